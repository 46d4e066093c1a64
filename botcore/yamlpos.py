"""YAML loading that keeps every key's and value's position, for messages that say file:line:col."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from .errors import Problem


class MarkedMap(dict[str, Any]):
    """A mapping from YAML that remembers where each key and value stood."""

    __slots__ = ("key_pos", "pos", "value_pos")

    def __init__(self) -> None:
        super().__init__()
        self.pos: tuple[int, int] = (0, 0)
        self.key_pos: dict[str, tuple[int, int]] = {}
        self.value_pos: dict[str, tuple[int, int]] = {}


class MarkedList(list[Any]):
    """A sequence from YAML that remembers where each item stood."""

    __slots__ = ("item_pos", "pos")

    def __init__(self) -> None:
        super().__init__()
        self.pos: tuple[int, int] = (0, 0)
        self.item_pos: list[tuple[int, int]] = []


def _at(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """SafeLoader with positions, YAML 1.2 booleans, dates left as text, duplicate keys reported.

    YAML 1.1 reads `no`, `yes`, `on` and `off` as booleans; in Indonesian dialog text (a keyword
    list `[ya, no]`) that surprise helps nobody, so only true/false are booleans here. Dates
    stay text, as in YAML 1.2 and JSON: the fields that hold a date parse it themselves, so a
    quoted and an unquoted date mean the same, and 2026-02-30 is reported where it stands
    instead of failing the whole file.
    """

    problems: list[Problem]
    file: str

    yaml_implicit_resolvers = {  # noqa: RUF012 - replaces the base class's table
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _Loader, node: MappingNode) -> MarkedMap:
    loader.flatten_mapping(node)
    result = MarkedMap()
    result.pos = _at(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            line, col = _at(key_node)
            first = result.key_pos[key][0]
            loader.problems.append(
                Problem(
                    loader.file,
                    line,
                    col,
                    f"key '{key}' appears twice in the same block (first on line {first})",
                    "Keep one of them; YAML would silently use the last one.",
                )
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_pos[key] = _at(key_node)
        result.value_pos[key] = _at(value_node)
    return result


def _construct_sequence(loader: _Loader, node: SequenceNode) -> MarkedList:
    result = MarkedList()
    result.pos = _at(node)
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.item_pos.append(_at(item))
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, display: str, problems: list[Problem]) -> Any:
    """Parse one YAML file; syntax errors become a Problem and the result is None."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(
                display, 0, 0, f"the file is not UTF-8 text ({exc.reason})", "Save it as UTF-8."
            )
        )
        return None
    loader = _Loader(text)
    loader.problems = problems
    loader.file = display
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or "invalid YAML"
        problems.append(Problem(display, line, col, f"YAML syntax: {what}", _syntax_hint(what)))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(display, 0, 0, f"YAML syntax: {exc}"))
        return None
    finally:
        loader.dispose()


def _syntax_hint(problem: str) -> str:
    if "tab" in problem:
        return "Indent with spaces, not tabs."
    if "mapping values are not allowed" in problem:
        return "A value containing ': ' must be quoted, e.g. say: \"Jam: 08.00\"."
    if "could not find expected ':'" in problem or "expected <block end>" in problem:
        return "Check the indentation of this line and the one before: keys of one block align."
    if "found character '\\t'" in problem:
        return "Indent with spaces, not tabs."
    return "Check quotes, colons and indentation around this line."
