"""dialogs/schema.json: up to date, named by every dialog file, and accepting exactly what the
loader accepts (documents generated from the schema, then broken at random)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from botcore.convtest import run_tests
from botcore.schema import SCHEMA_FILE, json_schema, kind_schema, modeline, schema_text
from botcore.spec import PATTERNS, WEEKDAYS, check_dialogs, check_format, load_dialogs
from botcore.yamlpos import load_yaml
from tests.conftest import MINI, ROOT

DIALOGS = ROOT / "dialogs"
SCHEMA = json_schema()
DEFS: dict[str, Any] = SCHEMA["definitions"]
KINDS = ("flow", "bot", "data", "tests")
MINIMAL_BOT = MINI / "bot.yaml"
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # the test's own writing, not the loader
JSON = Any


def validator(kind: str | None = None) -> Draft7Validator:
    schema = kind_schema(kind) if kind else SCHEMA
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


VALIDATORS = {kind: validator(kind) for kind in KINDS}
WHOLE = validator()


def kind_of(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts
    if parts[0] == "tests":
        return "tests"
    if parts[0] == "data":
        return "data"
    return "bot" if parts == ("bot.yaml",) else "flow"


def plain(data: Any) -> JSON:
    """A loaded YAML document as JSON values (what an editor's schema check sees)."""
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def dialog_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.yaml"))


# --- the file and its users ------------------------------------------------------------------


def test_schema_file_is_up_to_date() -> None:
    written = (DIALOGS / SCHEMA_FILE).read_text(encoding="utf-8")
    assert written == schema_text(), (
        "dialogs/schema.json is out of date with botcore/spec.py FIELDS: "
        "run `loket schema --write` (or `make schema`) and commit it"
    )


def test_schema_is_valid_draft_07() -> None:
    Draft7Validator.check_schema(SCHEMA)


def test_every_dialog_file_names_the_schema() -> None:
    for path in dialog_files(DIALOGS):
        depth = len(path.relative_to(DIALOGS).parts) - 1
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first == modeline(depth), f"{path}: the first line must be {modeline(depth)!r}"
        target = first.split("$schema=", 1)[1]
        assert (path.parent / target).resolve() == (DIALOGS / SCHEMA_FILE).resolve()


@pytest.mark.parametrize("root", [DIALOGS, MINI], ids=["dialogs", "mini"])
def test_the_schema_accepts_the_dialogs_the_loader_accepts(root: Path) -> None:
    assert check_dialogs(root, graph=False) == []
    for path in dialog_files(root):
        data = plain(load_yaml(path, str(path), []))
        kind = kind_of(path, root)
        errors = [e.message for e in VALIDATORS[kind].iter_errors(data)]
        assert errors == [], f"{path} ({kind})"
        # The top level picks the kind from the keys alone, as an editor must.
        assert [e.message for e in WHOLE.iter_errors(data)] == [], path


# --- documents from the schema -----------------------------------------------------------------

TEXT_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp")
) | st.just("\n")
TEXT = st.text(TEXT_CHARS, max_size=12)
NUMBER = st.integers(-(10**6), 10**6) | st.floats(-1e6, 1e6, allow_nan=False).filter(
    lambda x: not x.is_integer()
)
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
MAX_DEPTH = 3


def _regex(pattern: str) -> str:
    assert pattern.startswith("^(?:") and pattern.endswith(")$")
    return pattern[4:-2]


def strategy(node: JSON, depth: int = 0) -> st.SearchStrategy[JSON]:
    """Values the schema node accepts, for the constructs json_schema() writes."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        return st.deferred(lambda: strategy(DEFS[name], depth + 1))
    if "allOf" in node:
        [only] = node["allOf"]
        return strategy(only, depth)
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "anyOf" in node and "type" not in node:
        branches = [
            b for b in node["anyOf"] if depth < MAX_DEPTH or b.get("$ref") != "#/definitions/facts"
        ]
        return st.one_of(*(strategy(b, depth) for b in branches))
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of(*(strategy({**node, "type": k}, depth) for k in kind))
    match kind:
        case "string":
            if node.get("format") == "date":
                return st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(date.isoformat)
            if "pattern" in node:
                return st.from_regex(_regex(node["pattern"]), fullmatch=True)
            return TEXT
        case "number":
            return NUMBER
        case "integer":
            return st.integers(-(10**6), 10**6)
        case "boolean":
            return st.booleans()
        case "null":
            return st.none()
        case "array":
            return st.lists(strategy(node["items"], depth + 1), max_size=3 if depth < 4 else 1)
        case "object":
            return _object(node, depth)
    raise AssertionError(f"the generator does not know {node}")


def _object(node: JSON, depth: int) -> st.SearchStrategy[JSON]:
    props: dict[str, JSON] = node.get("properties", {})
    required = list(node.get("required", []))

    @st.composite
    def build(draw: Callable[..., Any]) -> JSON:
        keys = set(required)
        excluded: set[str] = set()
        if "oneOf" in node:  # exactly one of these keys
            groups = [b["required"][0] for b in node["oneOf"]]
            pick = draw(st.sampled_from(groups))
            keys.add(pick)
            excluded |= set(groups) - {pick}
        if "anyOf" in node:  # at least one of these keys
            keys.add(draw(st.sampled_from([b["required"][0] for b in node["anyOf"]])))
        for key in props:
            if key not in keys | excluded and key != "$schema" and draw(st.booleans()):
                keys.add(key)
        out = {key: draw(strategy(props[key], depth + 1)) for key in props if key in keys}
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and depth < MAX_DEPTH + 2:
            names = NAMES
            if "propertyNames" in node:
                names = st.from_regex(_regex(node["propertyNames"]["pattern"]), fullmatch=True)
            out |= draw(st.dictionaries(names, strategy(extra, depth + 1), max_size=3))
        return out

    return build()


# --- what is not the format: values the loader checks beyond their shape -----------------------


def _period_in_order(text: str) -> str:
    start, end = (t.strip().replace(":", ".").zfill(5) for t in text.split("-"))
    if start == end:
        return "07.30-12.00"
    return f"{min(start, end)}-{max(start, end)}"


def make_consistent(kind: str, doc: JSON) -> JSON:
    """Fix the values whose problems are not the format's: an unknown time zone, an opening
    period or date range that ends before it starts, a choice id used twice in a state, a
    quick reply's shortcut or a label listed twice."""
    period = re.compile(PATTERNS["period"][0])

    def hours(week: Any) -> None:
        for periods in week.values() if isinstance(week, dict) else ():
            for i, text in enumerate(periods if isinstance(periods, list) else ()):
                if isinstance(text, str) and period.fullmatch(text):
                    periods[i] = _period_in_order(text)

    if kind == "data" and isinstance(doc.get("schedule"), dict):
        schedule = doc["schedule"]
        if isinstance(schedule.get("timezone"), str | int | float) and not isinstance(
            schedule.get("timezone"), bool
        ):
            schedule["timezone"] = "Asia/Jakarta"
        hours(schedule.get("weekly"))
        for o in schedule.get("overrides") if isinstance(schedule.get("overrides"), list) else ():
            if not isinstance(o, dict):
                continue
            hours(o.get("weekly"))
            first, last = o.get("from"), o.get("to")
            if isinstance(first, str) and isinstance(last, str) and last < first:
                o["from"], o["to"] = last, first
    if kind == "flow" and isinstance(doc.get("states"), dict):
        for state in doc["states"].values():
            choices = state.get("choices") if isinstance(state, dict) else None
            seen: set[str] = set()
            for i, c in enumerate(choices if isinstance(choices, list) else ()):
                if isinstance(c, dict) and isinstance(c.get("id"), str):
                    if c["id"] in seen:
                        c["id"] = f"{c['id']}_{i}"
                    seen.add(c["id"])
    inbox = doc.get("inbox") if kind == "data" else None
    if isinstance(inbox, dict):
        replies = inbox.get("quick_replies")
        shortcuts: set[str] = set()
        for i, q in enumerate(replies if isinstance(replies, list) else ()):
            if isinstance(q, dict) and isinstance(q.get("shortcut"), str):
                name = q["shortcut"].removeprefix("/")
                if name in shortcuts:
                    q["shortcut"] = f"{name[:25]}_{i}"
                shortcuts.add(q["shortcut"].removeprefix("/"))
        if isinstance(inbox.get("labels"), list):
            unique = [x for n, x in enumerate(inbox["labels"]) if x not in inbox["labels"][:n]]
            inbox["labels"] = unique
    return doc


def loader_problems(kind: str, doc: JSON, tmp: Path) -> list[str]:
    """What the loader says of this document as a file of its kind."""
    root = tmp / "dialogs"
    if root.exists():
        shutil.rmtree(root)
    (root / "data").mkdir(parents=True)
    (root / "tests").mkdir()
    shutil.copy(MINIMAL_BOT, root / "bot.yaml")
    where = {"flow": "x.yaml", "bot": "bot.yaml", "data": "data/x.yaml", "tests": "tests/x.yaml"}
    path = root / where[kind]
    text = yaml.dump(doc, Dumper=DUMPER, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    if kind == "tests":
        problems: list[Any] = []
        data = load_yaml(path, "x", problems)
        problems += check_format("x", data, "tests", "the test file")
    else:
        problems = check_dialogs(root, graph=False)
    return [str(p) for p in problems]


def schema_errors(kind: str, doc: JSON) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in VALIDATORS[kind].iter_errors(doc)]


PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("kind", KINDS)
@PROPERTY
@given(data=st.data())
def test_documents_from_the_schema_load(kind: str, data: st.DataObject, tmp_path: Path) -> None:
    doc = make_consistent(kind, data.draw(strategy(DEFS[kind]), label="document"))
    assert schema_errors(kind, doc) == []  # the generator stays inside the schema
    assert loader_problems(kind, doc, tmp_path) == []


# --- documents broken at random: the schema and the loader agree --------------------------------

POOL: list[JSON] = [
    None,
    True,
    0,
    7,
    2.0,
    1.5,
    "",
    "x",
    "Bad Name",
    "main.menu",
    "2026-02-30",
    "2026-02-03",
    "07.30-12.00",
    [],
    ["a"],
    [1, None],
    {},
    {"k": "v"},
    {"text": "x"},
]
NEW_KEYS = ["bogus", "$schema", "Bad Key", "menu", "text"]


def _sites(doc: JSON, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _sites(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _sites(v, (*path, i))
    return out


def _parent(doc: JSON, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def broken(draw: Callable[..., Any], kind: str) -> JSON:
    doc = draw(strategy(DEFS[kind]), label="document")
    for _ in range(draw(st.integers(1, 2))):
        sites = _sites(doc)
        objects = [()] + [p for p in sites if isinstance(_parent(doc, (*p, None)), dict)]
        how = draw(st.sampled_from(["replace", "delete", "add"]))
        if how == "replace" and sites:
            path = draw(st.sampled_from(sites))
            _parent(doc, path)[path[-1]] = draw(st.sampled_from(POOL))
        elif how == "delete" and sites:
            path = draw(st.sampled_from(sites))
            parent = _parent(doc, path)
            if isinstance(parent, dict):
                del parent[path[-1]]
        else:
            path = draw(st.sampled_from(objects))
            target = _parent(doc, (*path, None))
            target[draw(st.sampled_from(NEW_KEYS))] = draw(st.sampled_from(POOL))
        event(how)
    return make_consistent(kind, doc)


@pytest.mark.parametrize("kind", KINDS)
@PROPERTY
@given(data=st.data())
def test_schema_and_loader_agree_on_broken_documents(
    kind: str, data: st.DataObject, tmp_path: Path
) -> None:
    doc = data.draw(broken(kind), label="broken")
    by_schema = schema_errors(kind, doc)
    by_loader = loader_problems(kind, doc, tmp_path)
    event("rejected" if by_schema else "accepted")
    assert bool(by_schema) == bool(by_loader), json.dumps(
        {"schema": by_schema, "loader": by_loader}, indent=1, ensure_ascii=False
    )


# --- every place of a complete document, broken every way -------------------------------------

PATTERN_EXAMPLES = {
    "name": "a",
    "choice_id": "a",
    "target": "a",
    "state_ref": "a.b",
    "date": "2026-01-02",
    "period": "07.30-12.00",
    "moment": "2026-12-07 09:00",
}
EXAMPLES = {f"^(?:{PATTERNS[name][0]})$": text for name, text in PATTERN_EXAMPLES.items()}
KINDS_OF_VALUE: list[JSON] = [None, True, 7, 1.5, "x", "2026-02-30", [], {}]


def complete(node: JSON, depth: int = 0) -> JSON:
    """One document with every key, every kind of item and every branch the schema allows."""
    if "$ref" in node:
        return complete(DEFS[node["$ref"].rsplit("/", 1)[1]], depth + 1)
    if "allOf" in node:
        return complete(node["allOf"][0], depth)
    if "enum" in node:
        return node["enum"][0]
    if "anyOf" in node and "type" not in node:
        return complete(node["anyOf"][-1], depth)  # the list form of one-or-more
    kind = node.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "string":
        return EXAMPLES.get(node.get("pattern", ""), "x")
    if kind in ("integer", "boolean", "null"):
        return {"integer": 3, "boolean": True, "null": None}[kind]
    if kind == "array":
        items = node["items"]
        branches = items.get("anyOf") if "type" not in items else None
        return [complete(b, depth + 1) for b in branches] if branches else [complete(items)]
    assert kind == "object", node
    props = node.get("properties", {})
    if list(props) == list(WEEKDAYS):
        props = {day: props[day] for day in WEEKDAYS[-2:]}  # every day has the same form
    skip = {b["required"][0] for b in node.get("oneOf", [])[1:]}
    out = {k: complete(v, depth + 1) for k, v in props.items() if k not in skip}
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        branches = extra.get("anyOf", [extra])
        if depth > 3:
            branches = [b for b in branches if "$ref" not in b]
        for i, branch in enumerate(branches):
            out[f"a{i}"] = complete(branch, depth + 1)
    return out


def _renamed(kind: str, doc: JSON, i: int) -> JSON:
    """Give the i-th of several files side by side names of their own (a valid name stays
    valid, so the document is as acceptable as before)."""
    doc = json.loads(json.dumps(doc))
    name = doc.get("dialog") if isinstance(doc, dict) else None
    if kind == "flow" and isinstance(name, str) and re.fullmatch(PATTERNS["name"][0], name):
        doc["dialog"] = f"d{i}"
    if kind == "data" and isinstance(doc, dict) and isinstance(doc.get("services"), dict):
        doc["services"] = {f"{k}_{i}": v for k, v in doc["services"].items()}
    inbox = doc.get("inbox") if kind == "data" and isinstance(doc, dict) else None
    if isinstance(inbox, dict):

        def own(value: Any, pattern: str, sep: str) -> Any:
            valid = isinstance(value, str) and re.fullmatch(PATTERNS[pattern][0], value)
            mine = f"{value[:24]}{sep}{i}" if isinstance(value, str) else value
            return mine if valid and re.fullmatch(PATTERNS[pattern][0], mine) else value

        for q in (
            inbox.get("quick_replies") or () if isinstance(inbox.get("quick_replies"), list) else ()
        ):
            if isinstance(q, dict) and "shortcut" in q:
                q["shortcut"] = own(q["shortcut"], "shortcut", "_")
        if isinstance(inbox.get("labels"), list):
            inbox["labels"] = [own(x, "label", " ") for x in inbox["labels"]]
    return doc


def verdicts(kind: str, docs: list[JSON], tmp: Path) -> list[bool]:
    """Whether the loader accepts each document; flows and data files side by side in one folder."""
    if kind in ("bot", "tests"):
        return [not loader_problems(kind, doc, tmp) for doc in docs]
    root = tmp / "many"
    if root.exists():
        shutil.rmtree(root)
    (root / "data").mkdir(parents=True)
    shutil.copy(MINIMAL_BOT, root / "bot.yaml")
    folder = root / "data" if kind == "data" else root
    for i, doc in enumerate(docs):
        text = yaml.dump(_renamed(kind, doc, i), Dumper=DUMPER, allow_unicode=True, sort_keys=False)
        (folder / f"f{i}.yaml").write_text(text, encoding="utf-8")
    bad = {Path(p.file).name for p in check_dialogs(root, graph=False)}
    return [f"f{i}.yaml" not in bad for i in range(len(docs))]


def variants(doc: JSON) -> list[tuple[str, JSON]]:
    """The document with one place changed: each value replaced by each kind of value, each
    key removed, and a key added to each block."""
    out = []
    for path in _sites(doc):
        for value in KINDS_OF_VALUE:
            changed = json.loads(json.dumps(doc))
            _parent(changed, path)[path[-1]] = value
            out.append((f"{list(path)} = {value!r}", changed))
        if isinstance(_parent(doc, path), dict):
            changed = json.loads(json.dumps(doc))
            del _parent(changed, path)[path[-1]]
            out.append((f"{list(path)} removed", changed))
    for path in [(), *_sites(doc)]:
        if isinstance(_parent(doc, (*path, None)), dict):
            for key in ("bogus", "$schema"):
                changed = json.loads(json.dumps(doc))
                _parent(changed, (*path, None))[key] = "x"
                out.append((f"{[*path, key]} added", changed))
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_schema_and_loader_agree_on_every_single_change(kind: str, tmp_path: Path) -> None:
    doc = make_consistent(kind, complete(DEFS[kind]))
    assert schema_errors(kind, doc) == []
    assert verdicts(kind, [doc], tmp_path) == [True]
    cases = variants(doc)
    docs = [make_consistent(kind, changed) for _, changed in cases]
    by_loader = verdicts(kind, docs, tmp_path)
    disagree = []
    for (what, _), changed, loader_ok in zip(cases, docs, by_loader, strict=True):
        schema_ok = not schema_errors(kind, changed)
        if schema_ok != loader_ok:
            verdict = {True: "accepts", False: "refuses"}
            disagree.append(f"{what}: schema {verdict[schema_ok]}, loader {verdict[loader_ok]}")
    assert disagree == [], "\n".join(disagree)


# --- the usual mistakes, by name ---------------------------------------------------------------


def test_each_usual_mistake_is_refused_by_both(tmp_path: Path) -> None:
    flow = {
        "dialog": "x",
        "start": "a",
        "states": {"a": {"say": "hi", "choices": [{"id": "m", "label": "M", "goto": "a"}]}},
    }
    assert schema_errors("flow", flow) == [] and loader_problems("flow", flow, tmp_path) == []
    mistakes: list[Callable[[JSON], None]] = [
        lambda d: d["states"]["a"].update(sya="typo"),  # unknown key
        lambda d: d["states"]["a"].update(location="yes"),  # wrong type
        lambda d: d["states"]["a"]["choices"][0].pop("goto"),  # missing required key
        lambda d: d["states"]["a"]["choices"][0].update(id="Not An Id"),  # pattern
        lambda d: d["states"]["a"].update(action=["fly"]),  # enum
        lambda d: d.update(states={"Bad": {}}),  # a name that is not a name
    ]
    for mistake in mistakes:
        doc = json.loads(json.dumps(flow))
        mistake(doc)
        assert schema_errors("flow", doc), doc
        assert loader_problems("flow", doc, tmp_path), doc


async def test_run_tests_reads_the_same_format(mini_bundle: Any) -> None:
    assert (await run_tests(mini_bundle)).problems == []
    assert load_dialogs(MINI).flows
