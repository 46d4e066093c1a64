"""Loading a dialog folder into typed, immutable spec objects; every problem reported in place.

A dialog folder holds:
  bot.yaml          start state, global intents, the bot's own texts, word normalisation
  data/*.yaml       office facts (`office:`), requirements (`services:`), hours (`schedule:`)
  *.yaml            one flow (`dialog:`) per file: states, what they say or ask, their choices
  tests/*.yaml      conversation tests (see convtest.py)
The allowed keys of every block are declared once below (FIELDS); the checker, the error hints
and the JSON Schema all come from that table.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

from .errors import DialogSpecError, Problem
from .yamlpos import MarkedList, MarkedMap, load_yaml

# --- the format, declared once -------------------------------------------------------------

FieldType = Literal["str", "int", "bool", "ref", "strlist", "reflist", "map", "list", "date", "any"]


@dataclass(frozen=True, slots=True)
class Field:
    type: FieldType
    doc: str
    required: bool = False
    enum: tuple[str, ...] = ()
    item: str = ""  # the block name of items, for "map" and "list"


SLOT_TYPES: Final = ("text", "nik", "kk", "phone", "date", "number", "ticket")
ACTIONS: Final = (
    "open_complaint",
    "request_operator",
    "record_consent",
    "clear_slots",
    "lookup_complaint",
    "record_rating",
)
# Slots filled by actions rather than by the resident.
ACTION_SLOTS: Final = {
    "open_complaint": ("tiket",),
    "request_operator": ("antrian", "kabar_antrean"),
    "lookup_complaint": ("status_tiket",),
}
INTENT_ACTIONS: Final = ("back", "help")

FIELDS: Final[dict[str, dict[str, Field]]] = {
    "flow": {
        "dialog": Field("str", "Name of this dialog, used in targets as dialog.state", True),
        "title": Field("str", "A human title, shown in diagrams and reports"),
        "start": Field("str", "The state a resident enters this dialog at", True),
        "fallback": Field("str", "What to say when a message matches nothing in this dialog"),
        "states": Field("map", "The states of this dialog, by name", True, item="state"),
        "moved_to": Field(
            "map",
            "Removed states and where residents in them go: old_name: new_target",
            item="moves",
        ),
        "en": Field("map", "English title and fallback of this dialog", item="flow_en"),
    },
    "flow_en": {
        "title": Field("str", "The title in English"),
        "fallback": Field("str", "The fallback in English"),
    },
    "moves": {},  # free names: each key a removed state, each value a target
    "state": {
        "say": Field("str", "Text sent on entering the state; may use {office.x}, {slot.x}"),
        "service": Field("str", "Service id from data/services.yaml whose requirements to show"),
        "choices": Field("list", "Choices offered in this state", item="choice"),
        "ask": Field("map", "A slot to ask for; the answer is checked by its type", item="ask"),
        "next": Field("ref", "Where to go after the asked slot is answered"),
        "keywords": Field("strlist", "Phrases that lead here from anywhere (a shortcut)"),
        "fallback": Field("str", "What to say when a message matches nothing in this state"),
        "back": Field("ref", "Where 'kembali' goes from here (default: the dialog's start)"),
        "location": Field("bool", "Attach the office's map location"),
        "contact": Field("bool", "Attach the office's contact card"),
        "action": Field("strlist", "Things to do on entering", enum=ACTIONS),
        "renamed_from": Field(
            "strlist", "Former names of this state, so residents in it stay here after a rename"
        ),
        "en": Field("map", "English texts of this state", item="state_en"),
    },
    "state_en": {
        "say": Field("str", "What the state says, in English"),
        "fallback": Field("str", "The state's fallback, in English"),
        "reprompt": Field("str", "The question's reprompt, in English"),
        "example": Field("str", "The question's example, in English"),
        "keywords": Field("strlist", "English words that lead here (added to the others)"),
    },
    "choice": {
        "id": Field("str", "Stable id of the choice (buttons send it back)", True),
        "label": Field("str", "Button text: at most 20 characters (24 in a list)", True),
        "description": Field("str", "Second line in a WhatsApp list, at most 72 characters"),
        "keywords": Field("strlist", "Words and phrases that select this choice"),
        "goto": Field("ref", "Target state: name, or dialog.state", True),
        "en": Field("map", "English label, description and keywords", item="choice_en"),
    },
    "choice_en": {
        "label": Field("str", "The button text in English (same limits)"),
        "description": Field("str", "The list row's second line in English"),
        "keywords": Field("strlist", "English words that select this choice"),
    },
    "ask": {
        "slot": Field("str", "Name of the slot to fill ({slot.name} in texts)", True),
        "type": Field("str", "What kind of answer is valid", True, enum=SLOT_TYPES),
        "min": Field("int", "Shortest valid answer (text) or smallest number"),
        "max": Field("int", "Longest valid answer (text) or largest number"),
        "reprompt": Field("str", "Said after the first invalid answer", True),
        "example": Field("str", "An example answer, shown after the second invalid answer", True),
        "optional": Field("bool", "The resident may answer 'lewati' to skip it"),
    },
    "bot": {
        "start": Field("ref", "Where a new conversation starts", True),
        "idle_minutes": Field("int", "Minutes of silence after which a conversation restarts"),
        "turns_kept": Field("int", "How many recent turns a session keeps for officers"),
        "greet_after_days": Field("int", "Days of silence after which the greeting comes again"),
        "remind_after_hours": Field("int", "Office hours a request may wait before a reminder"),
        "texts": Field("map", "The bot's own texts", True, item="texts"),
        "intents": Field("list", "Global intents, understood in every state", True, item="intent"),
        "normalise": Field("map", "Words typed by residents and what they mean", item="words"),
        "en": Field("map", "English: the bot's own texts", item="bot_en"),
    },
    "bot_en": {
        "texts": Field("map", "The bot's own texts in English", item="texts_en"),
    },
    "texts": {
        "greeting": Field("str", "Said before the first answer to a new resident", True),
        "fallback": Field("str", "Said when nothing matches and no state/dialog fallback", True),
        "ambiguous": Field("str", "Asks which of several matching choices was meant", True),
        "media": Field("str", "Answer to a photo, file or voice note", True),
        "unsupported": Field("str", "Answer to a message type the bot cannot read", True),
        "idle_restart": Field("str", "Said when a conversation restarts after silence", True),
        "help": Field("str", "Answer to 'bantuan'", True),
        "giveup": Field("str", "Said after the third invalid answer to a question", True),
        "too_long": Field("str", "Said when a message is cut because it is very long", True),
        "free_notice": Field("str", "Added to every adminduk service answer", True),
        "skip_words": Field("strlist", "Words that skip an optional question"),
        "stale": Field("str", "Said when an old keyboard's button is tapped"),
        "operator_take": Field("str", "Said when an officer takes the question (then the name)"),
        "operator_close": Field("str", "Said when the officer closes the conversation"),
        "queue_open": Field("str", "An officer was asked for, the office is open"),
        "queue_closed": Field("str", "Asked while the office is closed (once per closed time)"),
        "queue_again": Field("str", "Asked again while the office is still closed"),
        "queue_still": Field("str", "Reminder: the request is still waiting for an officer"),
        "menu_changed": Field("str", "Said when the resident's place in a dialog was removed"),
        "language": Field("str", "Said when the resident switches to this language"),
    },
    "intent": {
        "id": Field("str", "Name of the intent", True),
        "keywords": Field("strlist", "Words and phrases that trigger it anywhere", True),
        "goto": Field("ref", "Target state (or use action)"),
        "action": Field("str", "A built-in move instead of a target", enum=INTENT_ACTIONS),
    },
    "service": {
        "name": Field("str", "Name of the service", True),
        "category": Field(
            "str",
            "adminduk services get the free-of-charge notice",
            True,
            enum=("adminduk", "surat", "lain"),
        ),
        "summary": Field("str", "One line on who needs it"),
        "requirements": Field("list", "What to bring: a complete list", True, item="requirement"),
        "steps": Field("strlist", "The procedure, in order"),
        "duration": Field("str", "How long it takes"),
        "cost": Field("str", "What it costs (adminduk: free)", True),
        "product": Field("str", "What the resident receives"),
        "where": Field("str", "Where it is done"),
        "notes": Field("strlist", "Anything else a resident should know"),
        "sources": Field("strlist", "Where the requirements come from (links)", True),
        "checked": Field("date", "When the requirements were last checked", True),
        "confirm": Field("str", "What the office still has to confirm (never shown)"),
    },
    "requirement": {
        "text": Field("str", "One item to bring", True),
        "local": Field("bool", "Local practice the office must confirm (never shown)"),
        "source": Field("str", "Where this item comes from"),
    },
    "schedule": {
        "timezone": Field("str", "IANA time zone, e.g. Asia/Jakarta", True),
        "weekly": Field("map", "Opening periods per weekday", True, item="week"),
        "overrides": Field("list", "Date ranges with other hours (Ramadan)", item="override"),
        "closures": Field("list", "Local closures by date", item="closure"),
        "holidays": Field("map", "National holidays from the holidays package", item="holidays"),
    },
    "override": {
        "name": Field("str", "Name of the period", True),
        "from": Field("date", "First day (YYYY-MM-DD)", True),
        "to": Field("date", "Last day (YYYY-MM-DD)", True),
        "weekly": Field("map", "Opening periods per weekday", True, item="week"),
    },
    "closure": {
        "date": Field("date", "The day (YYYY-MM-DD)", True),
        "name": Field("str", "Why the office is closed", True),
    },
    "inbox": {
        "quick_replies": Field(
            "list", "Saved answers officers insert with /shortcut", item="quick_reply"
        ),
        "labels": Field("strlist", "Labels officers put on conversations"),
    },
    "quick_reply": {
        "shortcut": Field("str", "What the officer types after '/', e.g. syarat_ktp", True),
        "text": Field("str", "The answer inserted into the reply box", True),
    },
    "holidays": {
        "country": Field("str", "Country code for the holidays package, e.g. ID", True),
        "categories": Field("strlist", "public, government (cuti bersama)"),
        "exclude": Field("list", "Dates the office works despite the calendar"),
    },
}
# The bot's texts in English: the same keys, none required (missing ones stay Indonesian).
FIELDS["texts_en"] = {k: replace(f, required=False) for k, f in FIELDS["texts"].items()}
LANGUAGES: Final = ("id", "en")
DEFAULT_SKIP_WORDS: Final = ("lewati", "skip", "-")
DEFAULT_STALE: Final = "Menu ini sudah kedaluwarsa. Berikut menu yang berlaku sekarang:"
DEFAULT_OPERATOR_TAKE: Final = "Pertanyaan Anda sedang ditangani oleh petugas:"
DEFAULT_OPERATOR_CLOSE: Final = "Petugas telah menutup percakapan ini. Terima kasih."
DEFAULT_QUEUE_OPEN: Final = "Anda berada di urutan antrean ke-*{slot.antrian}*."
DEFAULT_QUEUE_CLOSED: Final = "Kantor sedang tutup. {hours.next_open}\n\n{hours.weekly}"
DEFAULT_QUEUE_AGAIN: Final = "Pertanyaan Anda sudah masuk antrean; dijawab setelah kantor buka."
OPTIONAL_TEXTS: Final = {
    "stale": DEFAULT_STALE,
    "operator_take": DEFAULT_OPERATOR_TAKE,
    "operator_close": DEFAULT_OPERATOR_CLOSE,
    "queue_open": DEFAULT_QUEUE_OPEN,
    "queue_closed": DEFAULT_QUEUE_CLOSED,
    "queue_again": DEFAULT_QUEUE_AGAIN,
    "queue_still": "Pertanyaan Anda masih dalam antrean. Mohon menunggu, petugas akan membalas.",
    "menu_changed": "Mohon maaf, menu kami baru saja diperbarui. Silakan lanjutkan dari sini:",
    "language": "Baik, kita lanjutkan dalam Bahasa Indonesia. Type ENGLISH for English.",
}
SHORTCUT_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")
MAX_LABEL: Final = 30
WEEKDAYS: Final = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")
NAME_RE: Final = re.compile(r"^[a-z][a-z0-9_]*$")
TEMPLATE_RE: Final = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")

# --- spec objects ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pos:
    file: str
    line: int = 0
    column: int = 0


@dataclass(frozen=True, slots=True, order=True)
class StateRef:
    dialog: str
    state: str

    def __str__(self) -> str:
        return f"{self.dialog}.{self.state}"


@dataclass(frozen=True, slots=True)
class ChoiceSpec:
    id: str
    label: str
    target: StateRef
    description: str = ""
    keywords: tuple[str, ...] = ()
    pos: Pos = Pos("")
    en: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SlotSpec:
    slot: str
    type: str
    reprompt: str
    example: str
    min: int | None = None
    max: int | None = None
    optional: bool = False
    pos: Pos = Pos("")


@dataclass(frozen=True, slots=True)
class StateSpec:
    ref: StateRef
    say: str = ""
    service: str = ""
    choices: tuple[ChoiceSpec, ...] = ()
    ask: SlotSpec | None = None
    next: StateRef | None = None
    keywords: tuple[str, ...] = ()
    fallback: str = ""
    back: StateRef | None = None
    location: bool = False
    contact: bool = False
    actions: tuple[str, ...] = ()
    pos: Pos = Pos("")
    renamed_from: tuple[StateRef, ...] = ()
    en: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FlowSpec:
    name: str
    title: str
    start: str
    fallback: str
    states: Mapping[str, StateSpec]
    file: str
    moved_to: Mapping[StateRef, tuple[StateRef, Pos]] = field(default_factory=dict)
    en: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IntentSpec:
    id: str
    keywords: tuple[str, ...]
    target: StateRef | None = None
    action: str = ""
    pos: Pos = Pos("")


@dataclass(frozen=True, slots=True)
class Requirement:
    text: str
    local: bool = False
    source: str = ""


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    id: str
    name: str
    category: str
    requirements: tuple[Requirement, ...]
    cost: str
    sources: tuple[str, ...]
    checked: date
    summary: str = ""
    steps: tuple[str, ...] = ()
    duration: str = ""
    product: str = ""
    where: str = ""
    notes: tuple[str, ...] = ()
    confirm: str = ""


Period = tuple[time, time]


@dataclass(frozen=True, slots=True)
class WeekSpec:
    days: tuple[tuple[Period, ...], ...]  # index 0 = Monday


@dataclass(frozen=True, slots=True)
class OverrideSpec:
    name: str
    first: date
    last: date
    week: WeekSpec


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    timezone: str
    week: WeekSpec
    overrides: tuple[OverrideSpec, ...] = ()
    closures: Mapping[date, str] = field(default_factory=dict)
    holiday_country: str = ""
    holiday_categories: tuple[str, ...] = ("public",)
    holiday_exclude: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class Texts:
    greeting: str
    fallback: str
    ambiguous: str
    media: str
    unsupported: str
    idle_restart: str
    help: str
    giveup: str
    too_long: str
    free_notice: str
    skip_words: tuple[str, ...] = ()
    stale: str = ""
    operator_take: str = ""
    operator_close: str = ""
    queue_open: str = ""
    queue_closed: str = ""
    queue_again: str = ""
    queue_still: str = ""
    menu_changed: str = ""
    language: str = ""


@dataclass(frozen=True, slots=True)
class DialogBundle:
    """Everything loaded from one dialog folder. Immutable: a reload makes a new one."""

    root: str
    flows: Mapping[str, FlowSpec]
    start: StateRef
    texts: Texts
    intents: tuple[IntentSpec, ...]
    normalise: Mapping[str, str]
    office: Mapping[str, str]  # flattened: "address" -> text, "location.latitude" -> "..."
    services: Mapping[str, ServiceSpec]
    schedule: ScheduleSpec | None
    idle_minutes: int
    turns_kept: int
    greet_after_days: int
    remind_after_hours: int
    version: str
    warnings: tuple[Problem, ...] = ()
    quick_replies: Mapping[str, str] = field(default_factory=dict)  # shortcut -> text
    labels: tuple[str, ...] = ()
    texts_en: Mapping[str, Any] = field(default_factory=dict)  # the bot's texts in English
    lang: str = "id"  # the language this bundle speaks (see translate)

    @property
    def languages(self) -> tuple[str, ...]:
        """Indonesian always; English when bot.yaml carries English texts."""
        return ("id", "en") if self.texts_en else ("id",)

    def state(self, ref: StateRef) -> StateSpec:
        return self.flows[ref.dialog].states[ref.state]

    def moves(self) -> dict[StateRef, tuple[StateRef, str]]:
        """Where residents in a state that no longer exists go: renamed states keep them
        (kind 'renamed'), removed ones send them to the declared target (kind 'moved')."""
        out: dict[StateRef, tuple[StateRef, str]] = {}
        for flow in self.flows.values():
            for old, (target, _) in flow.moved_to.items():
                out[old] = (target, "moved")
            for st in flow.states.values():
                for old in st.renamed_from:
                    out[old] = (st.ref, "renamed")
        return out

    def nearest_menu(self, ref: StateRef) -> StateRef:
        """The start of the dialog a resident was in, or the bot's start."""
        flow = self.flows.get(ref.dialog)
        if flow is not None and flow.start in flow.states:
            return StateRef(flow.name, flow.start)
        return self.start

    def has(self, ref: StateRef) -> bool:
        flow = self.flows.get(ref.dialog)
        return flow is not None and ref.state in flow.states


# --- loading ---------------------------------------------------------------------------------


class _Reader:
    """Reads marked YAML blocks against FIELDS, collecting problems instead of raising."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def problem(self, file: str, at: tuple[int, int], message: str, hint: str = "") -> None:
        self.problems.append(Problem(file, at[0], at[1], message, hint))

    def block(self, file: str, data: Any, kind: str, where: str) -> MarkedMap | None:
        """Check that `data` is a mapping with only known keys and every required key."""
        if not isinstance(data, MarkedMap):
            at = getattr(data, "pos", (0, 0))
            self.problem(
                file,
                at,
                f"{where} must be a block of 'key: value' lines",
                f"Allowed keys: {', '.join(FIELDS[kind])}.",
            )
            return None
        known = FIELDS[kind]
        for key in data:
            if key in known or key == "$schema":
                continue
            close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
            hint = f"Did you mean '{close[0]}'?" if close else f"Allowed: {', '.join(known)}."
            self.problem(file, data.key_pos[key], f"unknown key '{key}' in {where}", hint)
        for key, spec in known.items():
            if spec.required and key not in data:
                self.problem(
                    file,
                    data.pos,
                    f"{where} is missing '{key}' ({spec.doc})",
                    f"Add a line '{key}: ...'.",
                )
        return data

    def value(self, file: str, block: MarkedMap, key: str, kind: str, where: str) -> Any:
        """Fetch block[key] converted to the declared type, or None with a problem recorded."""
        if key not in block:
            return None
        spec = FIELDS[kind][key]
        raw = block[key]
        at = block.value_pos[key]
        if raw is None:
            self.problem(file, at, f"'{key}' in {where} is empty", f"Give {spec.doc.lower()}.")
            return None
        match spec.type:
            case "str" | "ref":
                if isinstance(raw, MarkedMap | MarkedList):
                    self.problem(
                        file,
                        at,
                        f"'{key}' in {where} must be text",
                        "Write it on one line, or as a block with '|'.",
                    )
                    return None
                text = raw.isoformat() if isinstance(raw, date) else str(raw)
                if spec.enum and text not in spec.enum:
                    close = difflib.get_close_matches(text, spec.enum, n=1, cutoff=0.5)
                    hint = f"Did you mean '{close[0]}'? " if close else ""
                    self.problem(
                        file,
                        at,
                        f"'{key}: {text}' in {where} is not known",
                        f"{hint}Valid: {', '.join(spec.enum)}.",
                    )
                    return None
                return text
            case "int":
                if isinstance(raw, bool) or not isinstance(raw, int):
                    self.problem(file, at, f"'{key}' in {where} must be a whole number")
                    return None
                return raw
            case "bool":
                if not isinstance(raw, bool):
                    self.problem(file, at, f"'{key}' in {where} must be true or false")
                    return None
                return raw
            case "date":
                if not isinstance(raw, date):
                    self.problem(
                        file,
                        at,
                        f"'{key}' in {where} must be a date",
                        "Write it as YYYY-MM-DD, e.g. 2026-02-17.",
                    )
                    return None
                return raw
            case "strlist":
                if isinstance(raw, MarkedList):
                    items: list[Any] = raw
                    positions = raw.item_pos
                elif isinstance(raw, str | int | float):
                    items, positions = [str(raw)], [at]
                else:
                    self.problem(
                        file,
                        at,
                        f"'{key}' in {where} must be a list of texts",
                        "Write [a, b] or one '- item' per line.",
                    )
                    return None
                out = []
                for item, item_at in zip(items, positions, strict=True):
                    if isinstance(item, MarkedMap | MarkedList) or item is None:
                        self.problem(file, item_at, f"an item of '{key}' in {where} is not text")
                        continue
                    text = str(item)
                    if spec.enum and text not in spec.enum:
                        self.problem(
                            file,
                            item_at,
                            f"'{text}' in '{key}' of {where} is not known",
                            f"Valid: {', '.join(spec.enum)}.",
                        )
                        continue
                    out.append(text)
                return tuple(out)
            case "list":
                if not isinstance(raw, MarkedList):
                    self.problem(
                        file,
                        at,
                        f"'{key}' in {where} must be a list",
                        "Start each item on its own line with '- '.",
                    )
                    return None
                return raw
            case "map":
                if not isinstance(raw, MarkedMap):
                    self.problem(file, at, f"'{key}' in {where} must be a block of 'name: ...'")
                    return None
                return raw
        return raw  # pragma: no cover - "any"


def _ref(text: str, dialog: str) -> StateRef:
    if "." in text:
        d, _, s = text.partition(".")
        return StateRef(d, s)
    return StateRef(dialog, text)


def _pos(file: str, at: tuple[int, int]) -> Pos:
    return Pos(file, at[0], at[1])


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list):
        out[prefix] = "\n".join(f"• {v}" for v in value)
    elif value is not None:
        out[prefix] = value.isoformat() if isinstance(value, date) else str(value)


def _parse_time(text: str) -> time | None:
    m = re.fullmatch(r"(\d{1,2})[.:](\d{2})", text.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        return None
    return time(int(m[1]), int(m[2]))


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.r = _Reader(root)
        self.flows: dict[str, FlowSpec] = {}
        self.services: dict[str, ServiceSpec] = {}
        self.office: dict[str, str] = {}
        self.schedule: ScheduleSpec | None = None
        self.quick_replies: dict[str, str] = {}
        self.texts_en: dict[str, Any] = {}
        self.labels: list[str] = []
        self.digest = hashlib.sha256()

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def read(self, path: Path) -> Any:
        self.digest.update(path.name.encode())
        self.digest.update(path.read_bytes())
        before = len(self.r.problems)
        data = load_yaml(path, self.rel(path), self.r.problems)
        if data is None and len(self.r.problems) > before:
            self.unreadable = True
        return data

    unreadable = False

    # flows ----------------------------------------------------------------------------------

    def english(self, file: str, parent: MarkedMap, kind: str, where: str) -> dict[str, Any]:
        """The `en:` block of a flow, state or choice: its English texts, as read."""
        raw = self.r.value(file, parent, "en", kind, where)
        if raw is None:
            return {}
        item = FIELDS[kind]["en"].item
        b = self.r.block(file, raw, item, f"'en' of {where}")
        if b is None:
            return {}
        out = {}
        for key in FIELDS[item]:
            value = self.r.value(file, b, key, item, f"'en' of {where}")
            if value is not None:
                out[key] = value
        return out

    def flow(self, path: Path) -> None:
        file = self.rel(path)
        raw = self.read(path)
        if raw is None:
            return  # the syntax error is already reported
        data = self.r.block(file, raw, "flow", "the dialog file")
        if data is None:
            return
        name = self.r.value(file, data, "dialog", "flow", "the dialog file")
        start = self.r.value(file, data, "start", "flow", "the dialog file")
        states = self.r.value(file, data, "states", "flow", "the dialog file")
        if name is None or start is None or states is None:
            return
        if not NAME_RE.match(name):
            self.r.problem(
                file,
                data.value_pos["dialog"],
                f"dialog name '{name}' is not valid",
                "Use lower-case letters, digits and '_', starting with a letter.",
            )
        if name in self.flows:
            self.r.problem(
                file,
                data.value_pos["dialog"],
                f"dialog '{name}' is also defined in {self.flows[name].file}",
                "Give each dialog file its own name.",
            )
            return
        parsed: dict[str, StateSpec] = {}
        for state_name, body in states.items():
            where = f"state '{state_name}'"
            at = states.key_pos[state_name]
            if not NAME_RE.match(state_name):
                self.r.problem(
                    file,
                    at,
                    f"state name '{state_name}' is not valid",
                    "Use lower-case letters, digits and '_', starting with a letter.",
                )
            spec = self.state(file, name, state_name, body, at, where)
            if spec is not None:
                parsed[state_name] = spec
        moved: dict[StateRef, tuple[StateRef, Pos]] = {}
        raw_moved = self.r.value(file, data, "moved_to", "flow", "the dialog file")
        for old, target in (raw_moved or {}).items():
            at = raw_moved.value_pos[old]
            if not isinstance(target, str) or not target.strip():
                self.r.problem(
                    file,
                    at,
                    f"'moved_to' of '{old}' must name a state",
                    "Write old_name: new_state (or dialog.state), e.g. syarat_lama: syarat.",
                )
                continue
            moved[_ref(str(old), name)] = (_ref(target.strip(), name), _pos(file, at))
        self.flows[name] = FlowSpec(
            name=name,
            title=self.r.value(file, data, "title", "flow", "the dialog file") or name,
            start=start,
            fallback=self.r.value(file, data, "fallback", "flow", "the dialog file") or "",
            states=MappingProxyType(parsed),
            file=file,
            moved_to=MappingProxyType(moved),
            en=MappingProxyType(self.english(file, data, "flow", "the dialog file")),
        )
        self.flow_marks[name] = data

    flow_marks: dict[str, MarkedMap]

    def state(
        self, file: str, dialog: str, name: str, body: Any, at: tuple[int, int], where: str
    ) -> StateSpec | None:
        if body is None:
            self.r.problem(
                file,
                at,
                f"{where} is empty",
                "Give it at least 'say:' and 'choices:' (or 'ask:' and 'next:').",
            )
            return None
        block = self.r.block(file, body, "state", where)
        if block is None:
            return None

        def get(key: str) -> Any:
            return self.r.value(file, block, key, "state", where)

        choices: list[ChoiceSpec] = []
        seen_ids: dict[str, int] = {}
        raw_choices = get("choices") or MarkedList()
        for i, raw in enumerate(raw_choices):
            cwhere = f"choice {i + 1} of {where}"
            c = self.r.block(file, raw, "choice", cwhere)
            if c is None:
                continue
            cid = self.r.value(file, c, "id", "choice", cwhere)
            label = self.r.value(file, c, "label", "choice", cwhere)
            goto = self.r.value(file, c, "goto", "choice", cwhere)
            if cid is None or label is None or goto is None:
                continue
            if cid in seen_ids:
                self.r.problem(
                    file,
                    c.value_pos["id"],
                    f"choice id '{cid}' is used twice in {where}",
                    f"The first is on line {seen_ids[cid]}; ids must be unique.",
                )
            seen_ids[cid] = c.value_pos["id"][0]
            choices.append(
                ChoiceSpec(
                    id=cid,
                    label=label,
                    target=_ref(goto, dialog),
                    description=self.r.value(file, c, "description", "choice", cwhere) or "",
                    keywords=self.r.value(file, c, "keywords", "choice", cwhere) or (),
                    pos=_pos(file, c.pos),
                    en=MappingProxyType(self.english(file, c, "choice", cwhere)),
                )
            )
        ask = None
        raw_ask = get("ask")
        if raw_ask is not None:
            a = self.r.block(file, raw_ask, "ask", f"'ask' of {where}")
            if a is not None:

                def aget(key: str) -> Any:
                    return self.r.value(file, a, key, "ask", f"'ask' of {where}")

                slot, stype = aget("slot"), aget("type")
                reprompt, example = aget("reprompt"), aget("example")
                if slot and stype and reprompt and example:
                    if not NAME_RE.match(slot):
                        self.r.problem(
                            file,
                            a.value_pos["slot"],
                            f"slot name '{slot}' is not valid",
                            "Use lower-case letters, digits and '_'.",
                        )
                    ask = SlotSpec(
                        slot,
                        stype,
                        reprompt,
                        example,
                        aget("min"),
                        aget("max"),
                        bool(aget("optional")),
                        _pos(file, a.pos),
                    )
        nxt = get("next")
        back = get("back")
        return StateSpec(
            ref=StateRef(dialog, name),
            say=get("say") or "",
            service=get("service") or "",
            choices=tuple(choices),
            ask=ask,
            next=_ref(nxt, dialog) if nxt else None,
            keywords=get("keywords") or (),
            fallback=get("fallback") or "",
            back=_ref(back, dialog) if back else None,
            location=bool(get("location")),
            contact=bool(get("contact")),
            actions=get("action") or (),
            pos=_pos(file, at),
            renamed_from=tuple(_ref(old, dialog) for old in get("renamed_from") or ()),
            en=MappingProxyType(self.english(file, block, "state", where)),
        )

    # data -----------------------------------------------------------------------------------

    def data_file(self, path: Path) -> None:
        file = self.rel(path)
        data = self.read(path)
        if data is None:
            return
        if not isinstance(data, MarkedMap):
            self.r.problem(
                file,
                (1, 1),
                "a data file must be a block of 'name: ...'",
                "Start with 'office:', 'services:' or 'schedule:'.",
            )
            return
        for key in data:
            if key == "office":
                _flatten("", data[key], self.office)
            elif key == "services":
                self.services_block(file, data[key])
            elif key == "schedule":
                self.schedule_block(file, data[key])
            elif key == "inbox":
                self.inbox_block(file, data[key])
            elif key != "$schema":
                sections = ["office", "services", "schedule", "inbox"]
                close = difflib.get_close_matches(key, sections, n=1)
                hint = (
                    f"Did you mean '{close[0]}'?" if close else f"Allowed: {', '.join(sections)}."
                )
                self.r.problem(file, data.key_pos[key], f"unknown section '{key}'", hint)

    def inbox_block(self, file: str, data: Any) -> None:
        """Officers' quick replies and conversation labels (the web inbox)."""
        b = self.r.block(file, data, "inbox", "the inbox")
        if b is None:
            return
        raw = self.r.value(file, b, "quick_replies", "inbox", "the inbox") or MarkedList()
        for i, item in enumerate(raw):
            where = f"quick reply {i + 1}"
            qb = self.r.block(file, item, "quick_reply", where)
            if qb is None:
                continue
            shortcut = self.r.value(file, qb, "shortcut", "quick_reply", where)
            text = self.r.value(file, qb, "text", "quick_reply", where)
            if shortcut is None or text is None:
                continue
            shortcut = shortcut.removeprefix("/")
            if not SHORTCUT_RE.match(shortcut):
                self.r.problem(
                    file,
                    qb.value_pos["shortcut"],
                    f"shortcut '{shortcut}' cannot be typed after '/'",
                    "Use up to 30 small letters, digits, '_' or '-', e.g. syarat_ktp.",
                )
            elif shortcut in self.quick_replies:
                self.r.problem(
                    file,
                    qb.value_pos["shortcut"],
                    f"shortcut '/{shortcut}' is defined twice",
                    "Give each quick reply its own shortcut.",
                )
            else:
                self.quick_replies[shortcut] = text.strip()
        labels = self.r.value(file, b, "labels", "inbox", "the inbox") or ()
        for i, label in enumerate(labels):
            at = (
                b["labels"].item_pos[i]
                if isinstance(b["labels"], MarkedList)
                else b.value_pos["labels"]
            )
            if len(label) > MAX_LABEL or not label.strip():
                self.r.problem(
                    file,
                    at,
                    f"label '{label}' is empty or too long",
                    f"Keep it to {MAX_LABEL} characters.",
                )
            elif label in self.labels:
                self.r.problem(
                    file, at, f"label '{label}' is listed twice", "List each label once."
                )
            else:
                self.labels.append(label)

    def services_block(self, file: str, data: Any) -> None:
        if not isinstance(data, MarkedMap):
            self.r.problem(file, getattr(data, "pos", (0, 0)), "'services' must be a block")
            return
        for sid, body in data.items():
            where = f"service '{sid}'"
            if sid in self.services:
                self.r.problem(file, data.key_pos[sid], f"service '{sid}' is defined twice")
                continue
            b = self.r.block(file, body, "service", where)
            if b is None:
                continue

            def get(key: str, b: MarkedMap = b, where: str = where) -> Any:
                return self.r.value(file, b, key, "service", where)

            reqs = []
            for i, raw in enumerate(get("requirements") or ()):
                rwhere = f"requirement {i + 1} of {where}"
                if isinstance(raw, str):
                    reqs.append(Requirement(raw))
                    continue
                rb = self.r.block(file, raw, "requirement", rwhere)
                if rb is None:
                    continue
                text = self.r.value(file, rb, "text", "requirement", rwhere)
                if text:
                    reqs.append(
                        Requirement(
                            text,
                            bool(self.r.value(file, rb, "local", "requirement", rwhere)),
                            self.r.value(file, rb, "source", "requirement", rwhere) or "",
                        )
                    )
            name, category, cost = get("name"), get("category"), get("cost")
            sources, checked = get("sources"), get("checked")
            if not (name and category and cost and sources is not None and checked):
                continue
            self.services[sid] = ServiceSpec(
                id=sid,
                name=name,
                category=category,
                requirements=tuple(reqs),
                cost=cost,
                sources=sources,
                checked=checked,
                summary=get("summary") or "",
                steps=get("steps") or (),
                duration=get("duration") or "",
                product=get("product") or "",
                where=get("where") or "",
                notes=get("notes") or (),
                confirm=get("confirm") or "",
            )

    def week(self, file: str, raw: MarkedMap, where: str) -> WeekSpec:
        days: list[tuple[Period, ...]] = [() for _ in WEEKDAYS]
        for day, periods in raw.items():
            if day not in WEEKDAYS:
                close = difflib.get_close_matches(day, WEEKDAYS, n=1)
                hint = f"Did you mean '{close[0]}'?" if close else f"Use: {', '.join(WEEKDAYS)}."
                self.r.problem(file, raw.key_pos[day], f"'{day}' in {where} is not a weekday", hint)
                continue
            parsed: list[Period] = []
            items = periods if isinstance(periods, MarkedList) else MarkedList()
            if periods is not None and not isinstance(periods, MarkedList):
                self.r.problem(
                    file,
                    raw.value_pos[day],
                    f"hours of '{day}' must be a list",
                    "Write e.g. [07.30-12.00, 13.00-16.00], or [] when closed.",
                )
            for i, text in enumerate(items):
                m = re.fullmatch(r"\s*(\S+)\s*-\s*(\S+)\s*", str(text))
                start = _parse_time(m[1]) if m else None
                end = _parse_time(m[2]) if m else None
                if start is None or end is None or end <= start:
                    self.r.problem(
                        file,
                        items.item_pos[i],
                        f"'{text}' in {where} ({day}) is not an opening period",
                        "Write HH.MM-HH.MM with the end after the start, e.g. 07.30-12.00.",
                    )
                    continue
                parsed.append((start, end))
            days[WEEKDAYS.index(day)] = tuple(sorted(parsed))
        return WeekSpec(tuple(days))

    def schedule_block(self, file: str, data: Any) -> None:
        b = self.r.block(file, data, "schedule", "the schedule")
        if b is None:
            return

        def get(key: str) -> Any:
            return self.r.value(file, b, key, "schedule", "the schedule")

        tz = get("timezone")
        weekly = get("weekly")
        if tz is None or weekly is None:
            return
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(tz)
        except Exception:
            self.r.problem(
                file,
                b.value_pos["timezone"],
                f"time zone '{tz}' is not known",
                "Use an IANA name such as Asia/Jakarta (WIB).",
            )
        overrides = []
        for i, raw in enumerate(get("overrides") or ()):
            where = f"override {i + 1} of the schedule"
            o = self.r.block(file, raw, "override", where)
            if o is None:
                continue
            name = self.r.value(file, o, "name", "override", where)
            first = self.r.value(file, o, "from", "override", where)
            last = self.r.value(file, o, "to", "override", where)
            wk = self.r.value(file, o, "weekly", "override", where)
            if name and first and last and wk is not None:
                if last < first:
                    self.r.problem(file, o.value_pos["to"], f"{where} ends before it starts")
                overrides.append(OverrideSpec(name, first, last, self.week(file, wk, where)))
        closures: dict[date, str] = {}
        for i, raw in enumerate(get("closures") or ()):
            where = f"closure {i + 1} of the schedule"
            c = self.r.block(file, raw, "closure", where)
            if c is None:
                continue
            day = self.r.value(file, c, "date", "closure", where)
            name = self.r.value(file, c, "name", "closure", where)
            if day and name:
                closures[day] = name
        country, categories, exclude = "", ("public",), frozenset[date]()
        hol = get("holidays")
        if hol is not None:
            h = self.r.block(file, hol, "holidays", "'holidays' of the schedule")
            if h is not None:
                country = self.r.value(file, h, "country", "holidays", "'holidays'") or ""
                categories = self.r.value(file, h, "categories", "holidays", "'holidays'") or (
                    "public",
                )
                exclude = frozenset(
                    d
                    for d in (self.r.value(file, h, "exclude", "holidays", "'holidays'") or ())
                    if isinstance(d, date)
                )
        self.schedule = ScheduleSpec(
            timezone=tz,
            week=self.week(file, weekly, "the weekly hours"),
            overrides=tuple(overrides),
            closures=MappingProxyType(closures),
            holiday_country=country,
            holiday_categories=categories,
            holiday_exclude=exclude,
        )

    # bot.yaml -------------------------------------------------------------------------------

    def bot(
        self, path: Path
    ) -> tuple[StateRef, Texts, tuple[IntentSpec, ...], dict[str, str], int, int, int, int] | None:
        file = self.rel(path)
        b = self.r.block(file, self.read(path), "bot", "bot.yaml")
        if b is None:
            return None

        def get(key: str) -> Any:
            return self.r.value(file, b, key, "bot", "bot.yaml")

        start, texts_raw, intents_raw = get("start"), get("texts"), get("intents")
        texts = None
        if texts_raw is not None:
            t = self.r.block(file, texts_raw, "texts", "'texts' of bot.yaml")
            if t is not None:
                values = {k: self.r.value(file, t, k, "texts", "'texts'") for k in FIELDS["texts"]}
                if all(values[k] is not None for k, f in FIELDS["texts"].items() if f.required):
                    skip = values.pop("skip_words") or DEFAULT_SKIP_WORDS
                    for name, default in OPTIONAL_TEXTS.items():
                        values[name] = values[name] or default
                    texts = Texts(**values, skip_words=skip)
        english = self.english(file, b, "bot", "bot.yaml")
        if "texts" in english:
            t = self.r.block(file, english["texts"], "texts_en", "'en: texts' of bot.yaml")
            for key in FIELDS["texts_en"]:
                value = None if t is None else self.r.value(file, t, key, "texts_en", "'en: texts'")
                if value is not None:
                    self.texts_en[key] = value
        intents: list[IntentSpec] = []
        for i, raw in enumerate(intents_raw or ()):
            where = f"intent {i + 1} of bot.yaml"
            it = self.r.block(file, raw, "intent", where)
            if it is None:
                continue
            iid = self.r.value(file, it, "id", "intent", where)
            kws = self.r.value(file, it, "keywords", "intent", where)
            goto = self.r.value(file, it, "goto", "intent", where)
            action = self.r.value(file, it, "action", "intent", where)
            if iid is None or kws is None:
                continue
            if bool(goto) == bool(action):
                self.r.problem(
                    file,
                    it.pos,
                    f"{where} ('{iid}') needs exactly one of goto/action",
                    f"Either 'goto: dialog.state' or 'action: {'|'.join(INTENT_ACTIONS)}'.",
                )
                continue
            target = _ref(goto, "") if goto else None
            if target is not None and not target.dialog:
                self.r.problem(
                    file,
                    it.value_pos["goto"],
                    f"goto of {where} must name a dialog",
                    "Write it as dialog.state, e.g. main.menu.",
                )
                continue
            intents.append(IntentSpec(iid, kws, target, action or "", _pos(file, it.pos)))
        normalise: dict[str, str] = {}
        words = get("normalise")
        if words is not None:
            for k, v in words.items():
                if not isinstance(v, str | int):
                    self.r.problem(file, words.value_pos[k], f"normalise '{k}' must map to text")
                    continue
                normalise[str(k).lower()] = str(v).lower()
        if start is None or texts is None:
            return None
        ref = _ref(start, "")
        if not ref.dialog:
            self.r.problem(
                file,
                b.value_pos["start"],
                "'start' must name a dialog and a state",
                "Write it as dialog.state, e.g. main.menu.",
            )
            return None
        self.bot_marks = b
        return (
            ref,
            texts,
            tuple(intents),
            normalise,
            get("idle_minutes") or 30,
            get("turns_kept") or 20,
            get("greet_after_days") or 14,
            get("remind_after_hours") or 2,
        )

    bot_marks: MarkedMap


def load_dialogs(root: str | Path) -> DialogBundle:
    """Load and check a dialog folder. Raises DialogSpecError listing every problem."""
    from .lint import lint  # the graph checks need the parsed bundle

    bundle, problems = _load(Path(root))
    if bundle is not None and not _unreadable(problems):
        problems += lint(bundle)
    errors = [p for p in problems if p.severity == "error"]
    if errors or bundle is None:
        raise DialogSpecError(problems)
    return replace(bundle, warnings=tuple(p for p in problems if p.severity == "warning"))


def check_dialogs(root: str | Path) -> list[Problem]:
    """Every problem in a dialog folder (errors and warnings), without raising."""
    from .lint import lint

    bundle, problems = _load(Path(root))
    if bundle is not None and not _unreadable(problems):
        problems += lint(bundle)
    return problems


def _unreadable(problems: list[Problem]) -> bool:
    # With a file unreadable the graph is incomplete: its checks would only add noise.
    return any(p.message.startswith(("YAML syntax", "the file is not UTF-8")) for p in problems)


def _load(root: Path) -> tuple[DialogBundle | None, list[Problem]]:
    loader = _Loader(root)
    loader.flow_marks = {}
    r = loader.r
    if not root.is_dir():
        r.problems.append(
            Problem(
                str(root),
                0,
                0,
                "the dialogs folder does not exist",
                "Pass the folder that holds bot.yaml, e.g. dialogs/.",
            )
        )
        return None, r.problems
    bot_path = root / "bot.yaml"
    if not bot_path.is_file():
        r.problems.append(
            Problem(
                loader.rel(bot_path),
                0,
                0,
                "bot.yaml is missing",
                "Every dialog folder needs a bot.yaml with start and texts.",
            )
        )
        return None, r.problems
    for path in sorted((root / "data").glob("*.yaml")) if (root / "data").is_dir() else []:
        loader.data_file(path)
    for path in sorted(root.glob("*.yaml")):
        if path.name != "bot.yaml":
            loader.flow(path)
    bot = loader.bot(bot_path)
    if bot is None:
        return None, r.problems
    start, texts, intents, normalise, idle, turns, greet_days, remind_hours = bot
    bundle = DialogBundle(
        root=str(root),
        flows=MappingProxyType(loader.flows),
        start=start,
        texts=texts,
        intents=intents,
        normalise=MappingProxyType(normalise),
        office=MappingProxyType(loader.office),
        services=MappingProxyType(loader.services),
        schedule=loader.schedule,
        idle_minutes=idle,
        turns_kept=turns,
        greet_after_days=greet_days,
        remind_after_hours=remind_hours,
        version=loader.digest.hexdigest()[:12],
        quick_replies=MappingProxyType(loader.quick_replies),
        labels=tuple(loader.labels),
        texts_en=MappingProxyType(loader.texts_en),
    )
    return bundle, r.problems


def template_names(text: str) -> list[str]:
    """The {names} a text refers to, in order."""
    return [m[1] for m in TEMPLATE_RE.finditer(text) if m[1] is not None]


def translate(bundle: DialogBundle, lang: str) -> DialogBundle:
    """The same dialogs speaking `lang`: every text that has a translation uses it, the rest
    stays Indonesian. Keywords of both languages are understood, and so are the Indonesian
    labels, so a resident who switched can still type what they see in the other language."""
    if lang == "id" or lang == bundle.lang:
        return bundle

    def choice(c: ChoiceSpec) -> ChoiceSpec:
        label = c.en.get("label") or c.label
        keywords = (
            *c.keywords,
            *c.en.get("keywords", ()),
            *((c.label,) if label != c.label else ()),
        )
        return replace(
            c, label=label, description=c.en.get("description") or c.description, keywords=keywords
        )

    def state(st: StateSpec) -> StateSpec:
        en = st.en
        ask = st.ask
        if ask is not None:
            ask = replace(
                ask,
                reprompt=en.get("reprompt") or ask.reprompt,
                example=en.get("example") or ask.example,
            )
        return replace(
            st,
            say=en.get("say") or st.say,
            fallback=en.get("fallback") or st.fallback,
            keywords=(*st.keywords, *en.get("keywords", ())),
            choices=tuple(choice(c) for c in st.choices),
            ask=ask,
        )

    flows = {
        name: replace(
            f,
            title=f.en.get("title") or f.title,
            fallback=f.en.get("fallback") or f.fallback,
            states=MappingProxyType({n: state(st) for n, st in f.states.items()}),
        )
        for name, f in bundle.flows.items()
    }
    texts = bundle.texts
    changes = {k: v for k, v in bundle.texts_en.items() if k != "skip_words"}
    if "skip_words" in bundle.texts_en:
        changes["skip_words"] = (*texts.skip_words, *bundle.texts_en["skip_words"])
    return replace(
        bundle, flows=MappingProxyType(flows), texts=replace(texts, **changes), lang=lang
    )
