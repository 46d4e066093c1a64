"""The JSON Schema of dialog files, made from spec.FIELDS, so editors check files as they type.

`dialogs/schema.json` is this schema, written by `loket schema --write`; a test keeps the two
equal and checks that the schema accepts exactly what the loader accepts. Each dialog file
names it in its first line (`# yaml-language-server: $schema=./schema.json`), which the YAML
extension of VS Code (and other editors using yaml-language-server) reads.

One file serves every kind of dialog file: `definitions` holds one schema per block kind, and
the top level picks the kind from the keys a file has (tests:, dialog:/states:, a data
section such as office: or inbox:, else bot.yaml). Draft-07, the newest draft the editors
support fully.
"""

from __future__ import annotations

import json
from typing import Any, Final

from .spec import (
    AT_LEAST_ONE,
    EXACTLY_ONE,
    FIELDS,
    FILE_KINDS,
    PATTERNS,
    SHORTHAND,
    WEEKDAYS,
    Field,
)

DRAFT: Final = "http://json-schema.org/draft-07/schema#"
SCHEMA_FILE: Final = "schema.json"
MODELINE: Final = "# yaml-language-server: $schema="
TEXT: Final = {"type": ["string", "number"]}
JSON = dict[str, Any]


def json_schema() -> JSON:
    """The schema of every dialog file, as a JSON-ready dict."""
    definitions: JSON = {kind: _block(kind) for kind in FIELDS}
    definitions["facts"] = {
        "type": "object",
        "description": "Facts by name; nested names are joined with dots in texts",
        "additionalProperties": {
            "anyOf": [
                TEXT,
                {"type": "null"},
                {"type": "array", "items": TEXT},
                {"$ref": "#/definitions/facts"},
            ]
        },
    }
    return {
        "$schema": DRAFT,
        "title": "loket dialog files",
        "description": "A dialog folder: " + "; ".join(FILE_KINDS.values()) + ".",
        "definitions": definitions,
        **_pick(
            [
                ("tests", ["tests"]),
                ("flow", ["dialog", "states"]),
                ("data", list(FIELDS["data"])),
            ],
            "bot",
        ),
    }


def schema_text() -> str:
    """The schema as written to dialogs/schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def kind_schema(kind: str) -> JSON:
    """A schema for one block kind alone (for tests and tools that know the file's kind)."""
    return {"$schema": DRAFT, "definitions": json_schema()["definitions"], **_ref(kind)}


def modeline(depth: int) -> str:
    """The first line of a dialog file `depth` folders below the dialogs folder."""
    return f"{MODELINE}{'../' * depth or './'}{SCHEMA_FILE}"


def _pick(rules: list[tuple[str, list[str]]], default: str) -> JSON:
    if not rules:
        return _ref(default)
    kind, keys = rules[0]
    has = {"required": keys} if len(keys) == 1 else {"anyOf": [{"required": [k]} for k in keys]}
    return {"if": has, "then": _ref(kind), "else": _pick(rules[1:], default)}


def _ref(kind: str) -> JSON:
    return {"allOf": [{"$ref": f"#/definitions/{kind}"}]}


def _pattern(name: str) -> str:
    return f"^(?:{PATTERNS[name][0]})$"


def _block(kind: str) -> JSON:
    fields = FIELDS[kind]
    properties = {key: {**_value(f), "description": f.doc} for key, f in fields.items()}
    if kind in FILE_KINDS:
        properties["$schema"] = {
            "type": "string",
            "description": "This schema, for editors that read it from the file itself",
        }
    schema: JSON = {"type": "object", "properties": properties, "additionalProperties": False}
    required = [key for key, f in fields.items() if f.required]
    if required:
        schema["required"] = required
    if kind in EXACTLY_ONE:
        schema["oneOf"] = [{"required": [key]} for key in EXACTLY_ONE[kind]]
    if kind in AT_LEAST_ONE:
        schema["anyOf"] = [{"required": [key]} for key in AT_LEAST_ONE[kind]]
    return schema


def _text(f: Field) -> JSON:
    if f.pattern:
        return {"type": "string", "pattern": _pattern(f.pattern)}
    if f.enum:
        return {"type": "string", "enum": list(f.enum)}
    return dict(TEXT)


def _date() -> JSON:
    return {"type": "string", "pattern": _pattern("date"), "format": "date"}


def _item(kind: str) -> JSON:
    ref = {"$ref": f"#/definitions/{kind}"}
    return {"anyOf": [TEXT, ref]} if kind in SHORTHAND else ref


def _value(f: Field) -> JSON:
    match f.type:
        case "str" | "ref":
            return _text(f)
        case "int":
            return {"type": "integer"}
        case "bool":
            return {"type": "boolean"}
        case "date":
            return _date()
        case "strlist":
            return {"anyOf": [_text(f), {"type": "array", "items": _text(f)}]}
        case "datelist":
            return {"type": "array", "items": _date()}
        case "list":
            return {"type": "array", "items": _item(f.item)}
        case "block":
            return {"$ref": f"#/definitions/{f.item}"}
        case "map":
            schema: JSON = {"type": "object", "additionalProperties": _item(f.item)}
            if f.pattern:
                schema["propertyNames"] = {"pattern": _pattern(f.pattern)}
            return schema
        case "textmap":
            return {"type": "object", "additionalProperties": TEXT}
        case "hours":
            periods = {
                "type": ["array", "null"],
                "items": {"type": "string", "pattern": _pattern("period")},
                "description": "Opening periods as HH.MM-HH.MM; [] when closed",
            }
            return {
                "type": "object",
                "properties": dict.fromkeys(WEEKDAYS, periods),
                "additionalProperties": False,
            }
        case "facts":
            return {"$ref": "#/definitions/facts"}
    raise AssertionError(f.type)  # pragma: no cover - FieldType is closed
