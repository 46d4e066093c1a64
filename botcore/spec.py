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

FieldType = Literal[
    "str",
    "int",
    "bool",
    "ref",
    "date",
    "strlist",
    "datelist",
    "list",
    "block",
    "map",
    "textmap",
    "hours",
    "facts",
]
"""What a key's value may be:
  str       text (a number is read as text); `enum` or `pattern` may narrow it, and a pattern
            takes text only
  ref       text naming a state: `pattern` says whether the dialog may be left out
  int, bool a whole number; true or false
  date      YYYY-MM-DD
  strlist   one text or a list of texts (each narrowed by `enum` or `pattern`)
  datelist  a list of dates
  list      a list of `item` blocks
  block     one `item` block
  map       names (narrowed by `pattern`) to `item` blocks
  textmap   names to texts
  hours     weekday names to lists of opening periods (or nothing, for closed)
  facts     names to texts, lists of texts, or more facts (office facts, as deep as needed)
"""


@dataclass(frozen=True, slots=True)
class Field:
    type: FieldType
    doc: str
    required: bool = False
    enum: tuple[str, ...] = ()
    item: str = ""  # the block kind of items, for "list", "block" and "map"
    pattern: str = ""  # a name in PATTERNS: for text, the text; for a map, its names


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
# Slots an action reads by name; open_complaint and request_operator keep every slot set so far
# (the complaint's content, the question for the officer).
ACTION_READS: Final = {
    "record_rating": ("nilai",),
    "lookup_complaint": ("nomor_tiket",),
}
ACTIONS_KEEPING_SLOTS: Final = ("open_complaint", "request_operator")
INTENT_ACTIONS: Final = ("back", "help")
CHANNELS: Final = ("whatsapp", "telegram", "console")
TEST_KINDS: Final = ("text", "choice", "location", "media", "contact", "unsupported")
WEEKDAYS: Final = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")

_NAME = "[a-z][a-z0-9_]*"
_HOUR = "([01]?[0-9]|2[0-3])[.:][0-5][0-9]"
# Regular expressions that a whole value must match, written so that Python's `re` and the
# ECMA-262 dialect of JSON Schema read them alike; with what to write instead.
PATTERNS: Final[dict[str, tuple[str, str]]] = {
    "name": (_NAME, "Use lower-case letters, digits and '_', starting with a letter."),
    "choice_id": (
        "[a-z0-9][a-z0-9_:-]*",
        "Use lower-case letters, digits, '_', '-' or ':', e.g. kk_hilang.",
    ),
    "target": (
        f"{_NAME}([.]{_NAME})?",
        "Name a state of this dialog (hilang) or another dialog's as dialog.state (main.menu).",
    ),
    "state_ref": (f"{_NAME}[.]{_NAME}", "Write it as dialog.state, e.g. main.menu."),
    "label": ("(?=.{1,30}$).*[^ ].*", "Write a label of 1 to 30 characters on one line."),
    "shortcut": (
        "/?[a-z0-9][a-z0-9_-]{0,29}",
        "Use up to 30 small letters, digits, '_' or '-', e.g. syarat_ktp.",
    ),
    "date": ("[0-9]{4}-[0-9]{2}-[0-9]{2}", "Write it as YYYY-MM-DD, e.g. 2026-02-17."),
    "period": (
        f" *{_HOUR} *- *{_HOUR} *",
        "Write HH.MM-HH.MM with the end after the start, e.g. 07.30-12.00.",
    ),
    "moment": (
        "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]",
        "Write it as YYYY-MM-DD HH:MM, e.g. 2026-12-07 09:00.",
    ),
}
# A block that may be written as just the text of this one field.
SHORTHAND: Final = {"requirement": "text"}
# Keys of which a block needs exactly one, or at least one.
EXACTLY_ONE: Final = {"intent": ("goto", "action")}
AT_LEAST_ONE: Final = {"turn": ("say", "tap", "kind")}
# The blocks a whole file is, by where it lies in the dialogs folder.
FILE_KINDS: Final = {
    "flow": "*.yaml: one dialog",
    "bot": "bot.yaml: where conversations start, global intents, the bot's own texts",
    "data": "data/*.yaml: office facts, service requirements, opening hours",
    "tests": "tests/*.yaml: conversation tests",
}

FIELDS: Final[dict[str, dict[str, Field]]] = {
    "flow": {
        "dialog": Field(
            "str", "Name of this dialog, used in targets as dialog.state", True, pattern="name"
        ),
        "title": Field("str", "A human title, shown in diagrams and reports"),
        "start": Field("str", "The state a resident enters this dialog at", True, pattern="name"),
        "fallback": Field("str", "What to say when a message matches nothing in this dialog"),
        "states": Field(
            "map", "The states of this dialog, by name", True, item="state", pattern="name"
        ),
        "moved_to": Field(
            "textmap", "Removed states and where residents in them go: old_name: new_target"
        ),
        "en": Field("block", "English title and fallback of this dialog", item="flow_en"),
    },
    "flow_en": {
        "title": Field("str", "The title in English"),
        "fallback": Field("str", "The fallback in English"),
    },
    "state": {
        "say": Field("str", "Text sent on entering the state; may use {office.x}, {slot.x}"),
        "service": Field(
            "str", "Service id from data/services.yaml whose requirements to show", pattern="name"
        ),
        "choices": Field("list", "Choices offered in this state", item="choice"),
        "ask": Field("block", "A slot to ask for; the answer is checked by its type", item="ask"),
        "next": Field("ref", "Where to go after the asked slot is answered", pattern="target"),
        "keywords": Field("strlist", "Phrases that lead here from anywhere (a shortcut)"),
        "fallback": Field("str", "What to say when a message matches nothing in this state"),
        "back": Field(
            "ref", "Where 'kembali' goes from here (default: the dialog's start)", pattern="target"
        ),
        "location": Field("bool", "Attach the office's map location"),
        "contact": Field("bool", "Attach the office's contact card"),
        "action": Field("strlist", "Things to do on entering", enum=ACTIONS),
        "renamed_from": Field(
            "strlist",
            "Former names of this state, so residents in it stay here after a rename",
            pattern="target",
        ),
        "en": Field("block", "English texts of this state", item="state_en"),
    },
    "state_en": {
        "say": Field("str", "What the state says, in English"),
        "fallback": Field("str", "The state's fallback, in English"),
        "reprompt": Field("str", "The question's reprompt, in English"),
        "example": Field("str", "The question's example, in English"),
        "keywords": Field("strlist", "English words that lead here (added to the others)"),
    },
    "choice": {
        "id": Field(
            "str", "Stable id of the choice (buttons send it back)", True, pattern="choice_id"
        ),
        "label": Field("str", "Button text: at most 20 characters (24 in a list)", True),
        "description": Field("str", "Second line in a WhatsApp list, at most 72 characters"),
        "keywords": Field("strlist", "Words and phrases that select this choice"),
        "goto": Field("ref", "Target state: name, or dialog.state", True, pattern="target"),
        "en": Field("block", "English label, description and keywords", item="choice_en"),
    },
    "choice_en": {
        "label": Field("str", "The button text in English (same limits)"),
        "description": Field("str", "The list row's second line in English"),
        "keywords": Field("strlist", "English words that select this choice"),
    },
    "ask": {
        "slot": Field(
            "str", "Name of the slot to fill ({slot.name} in texts)", True, pattern="name"
        ),
        "type": Field("str", "What kind of answer is valid", True, enum=SLOT_TYPES),
        "min": Field("int", "Shortest valid answer (text) or smallest number"),
        "max": Field("int", "Longest valid answer (text) or largest number"),
        "reprompt": Field("str", "Said after the first invalid answer", True),
        "example": Field("str", "An example answer, shown after the second invalid answer", True),
        "optional": Field("bool", "The resident may answer 'lewati' to skip it"),
    },
    "bot": {
        "start": Field("ref", "Where a new conversation starts", True, pattern="state_ref"),
        "idle_minutes": Field("int", "Minutes of silence after which a conversation restarts"),
        "turns_kept": Field("int", "How many recent turns a session keeps for officers"),
        "greet_after_days": Field("int", "Days of silence after which the greeting comes again"),
        "remind_after_hours": Field("int", "Office hours a request may wait before a reminder"),
        "channels": Field("strlist", "Channels the texts must fit (default: all)", enum=CHANNELS),
        "texts": Field("block", "The bot's own texts", True, item="texts"),
        "intents": Field("list", "Global intents, understood in every state", True, item="intent"),
        "normalise": Field("textmap", "Words typed by residents and what they mean"),
        "en": Field("block", "English: the bot's own texts", item="bot_en"),
    },
    "bot_en": {
        "texts": Field("block", "The bot's own texts in English", item="texts_en"),
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
        "goto": Field("ref", "Target state (or use action)", pattern="state_ref"),
        "action": Field("str", "A built-in move instead of a target", enum=INTENT_ACTIONS),
    },
    "data": {
        "office": Field("facts", "Office facts, used in texts as {office.name}, {office.a.b}"),
        "services": Field(
            "map", "Services and their requirements, by id", item="service", pattern="name"
        ),
        "schedule": Field("block", "Opening hours, holidays and closures", item="schedule"),
        "inbox": Field("block", "Officers' quick replies and conversation labels", item="inbox"),
    },
    "inbox": {
        "quick_replies": Field(
            "list", "Saved answers officers insert with /shortcut", item="quick_reply"
        ),
        "labels": Field("strlist", "Labels officers put on conversations", pattern="label"),
    },
    "quick_reply": {
        "shortcut": Field(
            "str", "What the officer types after '/', e.g. syarat_ktp", True, pattern="shortcut"
        ),
        "text": Field("str", "The answer inserted into the reply box", True),
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
        "weekly": Field("hours", "Opening periods per weekday", True),
        "overrides": Field("list", "Date ranges with other hours (Ramadan)", item="override"),
        "closures": Field("list", "Local closures by date", item="closure"),
        "holidays": Field("block", "National holidays from the holidays package", item="holidays"),
    },
    "override": {
        "name": Field("str", "Name of the period", True),
        "from": Field("date", "First day (YYYY-MM-DD)", True),
        "to": Field("date", "Last day (YYYY-MM-DD)", True),
        "weekly": Field("hours", "Opening periods per weekday", True),
    },
    "closure": {
        "date": Field("date", "The day (YYYY-MM-DD)", True),
        "name": Field("str", "Why the office is closed", True),
    },
    "holidays": {
        "country": Field("str", "Country code for the holidays package, e.g. ID", True),
        "categories": Field("strlist", "public, government (cuti bersama)"),
        "exclude": Field("datelist", "Dates the office works despite the calendar"),
    },
    "tests": {
        "tests": Field("list", "Conversation tests, each a new conversation", True, item="test"),
    },
    "test": {
        "name": Field("str", "What the test shows, in a few words", True),
        "now": Field(
            "str",
            "Local office time, e.g. 2026-12-07 09:00 (default: a Monday 09.00)",
            pattern="moment",
        ),
        "channel": Field(
            "str", "The channel the resident writes on (default: console)", enum=CHANNELS
        ),
        "turns": Field(
            "list", "What the resident sends, in order, and what must come back", True, item="turn"
        ),
    },
    "turn": {
        "say": Field("str", "Text the resident types"),
        "tap": Field("str", "Id of the button the resident taps"),
        "kind": Field("str", "A message that is not text (default: text)", enum=TEST_KINDS),
        "expect": Field("block", "What the answer must be", item="expect"),
    },
    "expect": {
        "state": Field("ref", "The state the conversation is in afterwards", pattern="state_ref"),
        "contains": Field("strlist", "Texts the answer contains (case does not matter)"),
        "not_contains": Field("strlist", "Texts the answer must not contain"),
        "matches": Field("str", "A regular expression the answer matches"),
        "choices": Field("strlist", "Labels or ids of choices that must be offered"),
    },
}
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
# The bot's texts in English: the same keys, none required (missing ones stay Indonesian).
FIELDS["texts_en"] = {k: replace(f, required=False) for k, f in FIELDS["texts"].items()}
LANGUAGES: Final = ("id", "en")
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
    channels: tuple[str, ...] = CHANNELS  # whose limits the texts are checked against
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


def is_text(raw: Any) -> bool:
    """A YAML value that reads as text: a string or a number, never true/false or a block."""
    return isinstance(raw, str | int | float) and not isinstance(raw, bool)


def matches(pattern: str, text: str) -> bool:
    """Whether the whole text matches PATTERNS[pattern]."""
    return _COMPILED[pattern].fullmatch(text) is not None


_COMPILED: Final = {name: re.compile(regex) for name, (regex, _) in PATTERNS.items()}


def _shown(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw) if is_text(raw) else "a block"


class _Reader:
    """Reads marked YAML blocks against FIELDS, collecting problems instead of raising."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def problem(self, file: str, at: tuple[int, int], message: str, hint: str = "") -> None:
        self.problems.append(Problem(file, at[0], at[1], message, hint))

    def block(self, file: str, data: Any, kind: str, where: str) -> MarkedMap | None:
        """Check that `data` is a mapping with only known keys and every required key."""
        known = FIELDS[kind]
        if not isinstance(data, MarkedMap):
            at = getattr(data, "pos", (0, 0))
            self.problem(
                file,
                at,
                f"{where} must be a block of 'key: value' lines",
                f"Allowed keys: {', '.join(known)}.",
            )
            return None
        for key in data:
            if key in known:
                continue
            if key == "$schema" and kind in FILE_KINDS:
                # The JSON Schema convention, for editors that read it from the file itself.
                if not isinstance(data[key], str):
                    self.problem(
                        file,
                        data.value_pos[key],
                        "'$schema' must be the path of the schema file",
                        "Write '$schema: ./schema.json', or leave the line out.",
                    )
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
        one = EXACTLY_ONE.get(kind, ())
        if one and sum(k in data for k in one) != 1:
            self.problem(
                file,
                data.pos,
                f"{where} needs exactly one of {' or '.join(repr(k) for k in one)}",
                "; ".join(f"'{k}': {known[k].doc}" for k in one) + ".",
            )
        some = AT_LEAST_ONE.get(kind, ())
        if some and not any(k in data for k in some):
            self.problem(
                file,
                data.pos,
                f"{where} needs {' or '.join(repr(k) for k in some)}",
                "; ".join(f"'{k}': {known[k].doc}" for k in some) + ".",
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
                return self.text(file, at, raw, spec, key, where)
            case "int":
                if isinstance(raw, float) and raw.is_integer():
                    return int(raw)
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
                return self.date(file, at, raw, f"'{key}' in {where}")
            case "strlist":
                if isinstance(raw, MarkedList):
                    items: list[Any] = raw
                    positions = raw.item_pos
                elif is_text(raw):
                    items, positions = [raw], [at]
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
                    text = self.text(file, item_at, item, spec, key, where, item=True)
                    if text is not None:
                        out.append(text)
                return tuple(out)
            case "datelist":
                if not isinstance(raw, MarkedList):
                    self.problem(
                        file,
                        at,
                        f"'{key}' in {where} must be a list of dates",
                        "Write [2026-12-24, 2026-12-26] or one '- YYYY-MM-DD' per line.",
                    )
                    return None
                days = (
                    self.date(file, item_at, item, f"an item of '{key}' in {where}")
                    for item, item_at in zip(raw, raw.item_pos, strict=True)
                )
                return tuple(d for d in days if d is not None)
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
        if not isinstance(raw, MarkedMap):
            self.problem(file, at, f"'{key}' in {where} must be a block of 'name: ...'")
            return None
        match spec.type:
            case "map":
                for name in raw:
                    if spec.pattern and not matches(spec.pattern, name):
                        self.problem(
                            file,
                            raw.key_pos[name],
                            f"'{name}' in '{key}' of {where} is not a valid name",
                            PATTERNS[spec.pattern][1],
                        )
                return raw
            case "textmap":
                words: dict[str, str] = {}
                for name, meaning in raw.items():
                    if not is_text(meaning):
                        self.problem(
                            file,
                            raw.value_pos[name],
                            f"'{name}' in '{key}' of {where} must map to text",
                            f"Write '{name}: <word>'.",
                        )
                        continue
                    words[name] = str(meaning)
                return words
            case "hours":
                return self.hours(file, raw, f"'{key}' of {where}")
            case "facts":
                facts: dict[str, str] = {}
                self.facts(file, raw, "", facts)
                return facts
        return raw  # "block": its keys are checked by block()

    def values(self, file: str, block: MarkedMap, kind: str, where: str) -> dict[str, Any]:
        """Every key of the block kind, converted (None where absent or wrong)."""
        return {key: self.value(file, block, key, kind, where) for key in FIELDS[kind]}

    def text(
        self,
        file: str,
        at: tuple[int, int],
        raw: Any,
        spec: Field,
        key: str,
        where: str,
        item: bool = False,
    ) -> str | None:
        what = f"an item of '{key}' in {where}" if item else f"'{key}' in {where}"
        if spec.pattern:
            if isinstance(raw, str) and matches(spec.pattern, raw):
                return raw
            shown = f"'{raw}' in '{key}'" if item else f"'{key}: {_shown(raw)}'"
            self.problem(file, at, f"{shown} in {where} is not valid", PATTERNS[spec.pattern][1])
            return None
        if not is_text(raw):
            hint = (
                'Put it in quotes if you mean the word, e.g. "true".'
                if isinstance(raw, bool)
                else "Write it on one line, or as a block with '|'."
            )
            self.problem(file, at, f"{what} must be text", hint)
            return None
        text = str(raw)
        if spec.enum and text not in spec.enum:
            close = difflib.get_close_matches(text, spec.enum, n=1, cutoff=0.5)
            hint = f"Did you mean '{close[0]}'? " if close else ""
            shown = f"'{text}' in '{key}'" if item else f"'{key}: {text}'"
            self.problem(
                file,
                at,
                f"{shown} in {where} is not known",
                f"{hint}Valid: {', '.join(spec.enum)}.",
            )
            return None
        return text

    def date(self, file: str, at: tuple[int, int], raw: Any, what: str) -> date | None:
        day = None
        if isinstance(raw, str) and matches("date", raw):
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                self.problem(file, at, f"{what} is not a real date: {raw}", PATTERNS["date"][1])
                return None
        if day is None:
            self.problem(file, at, f"{what} must be a date", PATTERNS["date"][1])
        return day

    def hours(self, file: str, raw: MarkedMap, where: str) -> WeekSpec:
        days: list[tuple[Period, ...]] = [() for _ in WEEKDAYS]
        for day, periods in raw.items():
            if day not in WEEKDAYS:
                close = difflib.get_close_matches(day, WEEKDAYS, n=1)
                hint = f"Did you mean '{close[0]}'?" if close else f"Use: {', '.join(WEEKDAYS)}."
                self.problem(file, raw.key_pos[day], f"'{day}' in {where} is not a weekday", hint)
                continue
            if periods is None:
                continue  # closed, as []
            if not isinstance(periods, MarkedList):
                self.problem(
                    file,
                    raw.value_pos[day],
                    f"hours of '{day}' must be a list",
                    "Write e.g. [07.30-12.00, 13.00-16.00], or [] when closed.",
                )
                continue
            parsed: list[Period] = []
            for text, item_at in zip(periods, periods.item_pos, strict=True):
                period = _parse_period(text)
                if period is None:
                    self.problem(
                        file,
                        item_at,
                        f"'{_shown(text)}' in {where} ({day}) is not an opening period",
                        PATTERNS["period"][1],
                    )
                    continue
                parsed.append(period)
            days[WEEKDAYS.index(day)] = tuple(sorted(parsed))
        return WeekSpec(tuple(days))

    def facts(self, file: str, raw: MarkedMap, prefix: str, out: dict[str, str]) -> None:
        for key, value in raw.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            at = raw.value_pos[key]
            if value is None:
                continue
            if isinstance(value, MarkedMap):
                self.facts(file, value, name, out)
            elif isinstance(value, MarkedList):
                items = []
                for item, item_at in zip(value, value.item_pos, strict=True):
                    if is_text(item):
                        items.append(f"• {item}")
                    else:
                        self.problem(
                            file,
                            item_at,
                            f"an item of office fact '{name}' must be text",
                            "Each '- item' is one line of text.",
                        )
                out[name] = "\n".join(items)
            elif is_text(value):
                out[name] = str(value)
            else:
                self.problem(
                    file,
                    at,
                    f"office fact '{name}' must be text",
                    'Put it in quotes if you mean the word, e.g. "true".',
                )

    def tree(self, file: str, data: Any, kind: str, where: str) -> None:
        """Check a whole block and everything in it against FIELDS."""
        block = self.block(file, data, kind, where)
        if block is None:
            return
        for key, spec in FIELDS[kind].items():
            value = self.value(file, block, key, kind, where)
            if value is None:
                continue
            if spec.type == "list":
                for i, item in enumerate(value):
                    if not (spec.item in SHORTHAND and is_text(item)):
                        self.tree(file, item, spec.item, f"{spec.item} {i + 1} of {where}")
            elif spec.type == "block":
                self.tree(file, value, spec.item, f"'{key}' of {where}")
            elif spec.type == "map":
                for name, item in value.items():
                    self.tree(file, item, spec.item, f"{spec.item} '{name}'")


def check_format(file: str, data: Any, kind: str, where: str) -> list[Problem]:
    """Problems of a parsed YAML document against the format of `kind` (a FILE_KINDS name):
    unknown and missing keys, wrong types, values outside their enum or pattern."""
    reader = _Reader(Path())
    reader.tree(file, data, kind, where)
    return reader.problems


def _ref(text: str, dialog: str) -> StateRef:
    if "." in text:
        d, _, s = text.partition(".")
        return StateRef(d, s)
    return StateRef(dialog, text)


def _pos(file: str, at: tuple[int, int]) -> Pos:
    return Pos(file, at[0], at[1])


def _parse_period(text: Any) -> Period | None:
    if not isinstance(text, str) or not matches("period", text):
        return None
    start, end = (_parse_time(t) for t in text.split("-"))
    return (start, end) if start < end else None


def _parse_time(text: str) -> time:
    hour, minute = re.split("[.:]", text.strip())
    return time(int(hour), int(minute))


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.r = _Reader(root)
        self.flows: dict[str, FlowSpec] = {}
        self.services: dict[str, ServiceSpec] = {}
        self.office: dict[str, str] = {}
        self.schedule: ScheduleSpec | None = None
        self.quick_replies: dict[str, str] = {}
        self.labels: list[str] = []
        self.texts_en: dict[str, Any] = {}
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

    def flow(self, path: Path) -> None:
        file = self.rel(path)
        raw = self.read(path)
        if raw is None:
            return  # the syntax error is already reported
        data = self.r.block(file, raw, "flow", "the dialog file")
        if data is None:
            return

        def get(key: str) -> Any:
            return self.r.value(file, data, key, "flow", "the dialog file")

        name, start, states = get("dialog"), get("start"), get("states")
        title, fallback = get("title"), get("fallback")
        parsed: dict[str, StateSpec] = {}
        for state_name, body in (states or {}).items():
            where = f"state '{state_name}'"
            at = states.key_pos[state_name]
            spec = self.state(file, name or "", state_name, body, at, where)
            if spec is not None:
                parsed[state_name] = spec
        if name is None or start is None or states is None:
            return
        if name in self.flows:
            self.r.problem(
                file,
                data.value_pos["dialog"],
                f"dialog '{name}' is also defined in {self.flows[name].file}",
                "Give each dialog file its own name.",
            )
            return
        moved: dict[StateRef, tuple[StateRef, Pos]] = {}
        raw_moved = data.get("moved_to")
        for old, target in (get("moved_to") or {}).items():
            at = raw_moved.value_pos[old] if isinstance(raw_moved, MarkedMap) else data.pos
            moved[_ref(old, name)] = (_ref(target.strip(), name), _pos(file, at))
        self.flows[name] = FlowSpec(
            name=name,
            title=title or name,
            start=start,
            fallback=fallback or "",
            states=MappingProxyType(parsed),
            file=file,
            moved_to=MappingProxyType(moved),
            en=MappingProxyType(self.english(file, data, "flow", "the dialog file")),
        )
        self.flow_marks[name] = data

    def english(self, file: str, parent: MarkedMap, kind: str, where: str) -> dict[str, Any]:
        """The `en:` block of a flow, state or choice: its English texts, as read."""
        raw = self.r.value(file, parent, "en", kind, where)
        if raw is None:
            return {}
        item = FIELDS[kind]["en"].item
        b = self.r.block(file, raw, item, f"'en' of {where}")
        if b is None:
            return {}
        values = self.r.values(file, b, item, f"'en' of {where}")
        return {k: v for k, v in values.items() if v is not None}

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
            v = self.r.values(file, c, "choice", cwhere)
            cid, label, goto = v["id"], v["label"], v["goto"]
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
                    description=v["description"] or "",
                    keywords=v["keywords"] or (),
                    pos=_pos(file, c.pos),
                    en=MappingProxyType(self.english(file, c, "choice", cwhere)),
                )
            )
        ask = None
        raw_ask = get("ask")
        if raw_ask is not None:
            a = self.r.block(file, raw_ask, "ask", f"'ask' of {where}")
            if a is not None:
                q = self.r.values(file, a, "ask", f"'ask' of {where}")
                if all(q[k] is not None for k, f in FIELDS["ask"].items() if f.required):
                    ask = SlotSpec(
                        q["slot"],
                        q["type"],
                        q["reprompt"],
                        q["example"],
                        q["min"],
                        q["max"],
                        bool(q["optional"]),
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
        raw = self.read(path)
        if raw is None:
            return  # empty, or the syntax error is already reported
        data = self.r.block(file, raw, "data", "a data file")
        if data is None:
            return
        office = self.r.value(file, data, "office", "data", "the data file")
        self.office.update(office or {})
        services = self.r.value(file, data, "services", "data", "the data file")
        for sid, body in (services or {}).items():
            self.service(file, sid, body)
        if "schedule" in data:
            self.schedule_block(file, self.r.value(file, data, "schedule", "data", "the data file"))
        if "inbox" in data:
            self.inbox_block(file, self.r.value(file, data, "inbox", "data", "the data file"))

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
            v = self.r.values(file, qb, "quick_reply", where)
            if v["shortcut"] is None or v["text"] is None:
                continue
            shortcut = v["shortcut"].removeprefix("/")
            if shortcut in self.quick_replies:
                self.r.problem(
                    file,
                    qb.value_pos["shortcut"],
                    f"shortcut '/{shortcut}' is defined twice",
                    "Give each quick reply its own shortcut.",
                )
            else:
                self.quick_replies[shortcut] = v["text"].strip()
        labels = self.r.value(file, b, "labels", "inbox", "the inbox") or ()
        for i, label in enumerate(labels):
            raw_labels = b["labels"]
            at = (
                raw_labels.item_pos[i]
                if isinstance(raw_labels, MarkedList)
                else b.value_pos["labels"]
            )
            if label in self.labels:
                self.r.problem(
                    file, at, f"label '{label}' is listed twice", "List each label once."
                )
            else:
                self.labels.append(label)

    def service(self, file: str, sid: str, body: Any) -> None:
        where = f"service '{sid}'"
        b = self.r.block(file, body, "service", where)
        if b is None:
            return
        values = self.r.values(file, b, "service", where)
        reqs = []
        for i, raw in enumerate(values.pop("requirements") or ()):
            if is_text(raw):
                reqs.append(Requirement(str(raw)))
                continue
            rwhere = f"requirement {i + 1} of {where}"
            rb = self.r.block(file, raw, "requirement", rwhere)
            if rb is None:
                continue
            r = self.r.values(file, rb, "requirement", rwhere)
            if r["text"] is not None:
                reqs.append(Requirement(r["text"], bool(r["local"]), r["source"] or ""))
        if any(
            values[k] is None for k, f in FIELDS["service"].items() if f.required and k in values
        ):
            return
        if sid in self.services:
            self.r.problem(file, b.pos, f"service '{sid}' is defined twice")
            return
        self.services[sid] = ServiceSpec(
            id=sid,
            requirements=tuple(reqs),
            **{k: v for k, v in values.items() if v is not None},
        )

    def schedule_block(self, file: str, data: Any) -> None:
        b = self.r.block(file, data, "schedule", "the schedule") if data is not None else None
        if b is None:
            return

        v = self.r.values(file, b, "schedule", "the schedule")
        tz, week, hol = v["timezone"], v["weekly"], v["holidays"]
        if tz is not None:
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
                tz = None
        overrides = []
        for i, raw in enumerate(v["overrides"] or ()):
            where = f"override {i + 1} of the schedule"
            o = self.r.block(file, raw, "override", where)
            if o is None:
                continue
            ov = self.r.values(file, o, "override", where)
            name, first, last, owk = ov["name"], ov["from"], ov["to"], ov["weekly"]
            if name is None or first is None or last is None or owk is None:
                continue
            if last < first:
                self.r.problem(
                    file,
                    o.value_pos["to"],
                    f"{where} ends before it starts",
                    f"'to' is the last day, on or after 'from' ({first.isoformat()}).",
                )
                continue
            overrides.append(OverrideSpec(name, first, last, owk))
        closures: dict[date, str] = {}
        for i, raw in enumerate(v["closures"] or ()):
            where = f"closure {i + 1} of the schedule"
            c = self.r.block(file, raw, "closure", where)
            if c is None:
                continue
            cl = self.r.values(file, c, "closure", where)
            day, name = cl["date"], cl["name"]
            if day is not None and name is not None:
                closures[day] = name
        country, categories, exclude = "", ("public",), frozenset[date]()
        if hol is not None:
            h = self.r.block(file, hol, "holidays", "'holidays' of the schedule")
            if h is not None:
                hv = self.r.values(file, h, "holidays", "'holidays'")
                country = hv["country"] or ""
                categories = hv["categories"] or ("public",)
                exclude = frozenset(hv["exclude"] or ())
        if tz is None or week is None:
            return
        self.schedule = ScheduleSpec(
            timezone=tz,
            week=week,
            overrides=tuple(overrides),
            closures=MappingProxyType(closures),
            holiday_country=country,
            holiday_categories=categories,
            holiday_exclude=exclude,
        )

    # bot.yaml -------------------------------------------------------------------------------

    def bot(self, path: Path) -> dict[str, Any] | None:
        """The bundle's settings from bot.yaml, or None if it cannot be used."""
        file = self.rel(path)
        b = self.r.block(file, self.read(path), "bot", "bot.yaml")
        if b is None:
            return None
        values = self.r.values(file, b, "bot", "bot.yaml")
        texts = None
        if values["texts"] is not None:
            t = self.r.block(file, values["texts"], "texts", "'texts' of bot.yaml")
            if t is not None:
                said = self.r.values(file, t, "texts", "'texts'")
                if all(said[k] is not None for k, f in FIELDS["texts"].items() if f.required):
                    skip = said.pop("skip_words") or DEFAULT_SKIP_WORDS
                    for name, default in OPTIONAL_TEXTS.items():
                        said[name] = said[name] or default
                    texts = Texts(**said, skip_words=skip)
        english = self.english(file, b, "bot", "bot.yaml")
        if "texts" in english:
            t = self.r.block(file, english["texts"], "texts_en", "'en: texts' of bot.yaml")
            said_en = {} if t is None else self.r.values(file, t, "texts_en", "'en: texts'")
            self.texts_en.update({k: v for k, v in said_en.items() if v is not None})
        intents: list[IntentSpec] = []
        for i, raw in enumerate(values["intents"] or ()):
            where = f"intent {i + 1} of bot.yaml"
            it = self.r.block(file, raw, "intent", where)
            if it is None:
                continue
            iv = self.r.values(file, it, "intent", where)
            iid, kws, goto, action = iv["id"], iv["keywords"], iv["goto"], iv["action"]
            if iid is None or kws is None or (goto is None and action is None):
                continue
            target = _ref(goto, "") if goto and not action else None
            intents.append(IntentSpec(iid, kws, target, action or "", _pos(file, it.pos)))
        if values["start"] is None or texts is None:
            return None
        self.bot_marks = b
        return {
            "start": _ref(values["start"], ""),
            "texts": texts,
            "intents": tuple(intents),
            "normalise": MappingProxyType(
                {k.lower(): v.lower() for k, v in (values["normalise"] or {}).items()}
            ),
            "channels": values["channels"] or CHANNELS,
            "idle_minutes": values["idle_minutes"] or 30,
            "turns_kept": values["turns_kept"] or 20,
            "greet_after_days": values["greet_after_days"] or 14,
            "remind_after_hours": values["remind_after_hours"] or 2,
        }

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


def check_dialogs(root: str | Path, graph: bool = True) -> list[Problem]:
    """Every problem in a dialog folder (errors and warnings), without raising.

    With graph=False only each file's own format is checked (what the JSON Schema describes),
    not the checks across files: targets, reachability, templates, channel limits."""
    from .lint import lint

    bundle, problems = _load(Path(root))
    if graph and bundle is not None and not _unreadable(problems):
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
    bundle = DialogBundle(
        root=str(root),
        flows=MappingProxyType(loader.flows),
        office=MappingProxyType(loader.office),
        services=MappingProxyType(loader.services),
        schedule=loader.schedule,
        version=loader.digest.hexdigest()[:12],
        quick_replies=MappingProxyType(loader.quick_replies),
        labels=tuple(loader.labels),
        texts_en=MappingProxyType(loader.texts_en),
        **bot,
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
