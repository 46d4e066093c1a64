"""Checks across a loaded dialog bundle: targets, reachability, dead ends, templates, limits."""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Callable, Iterator
from typing import Final

from .errors import Problem
from .spec import (
    ACTION_SLOTS,
    FIELDS,
    DialogBundle,
    Pos,
    StateRef,
    StateSpec,
    template_names,
)

# Platform limits (reference/protocols.md §2.2, §3.5).
WA_BUTTON_TITLE: Final = 20
WA_LIST_ROW_TITLE: Final = 24
WA_LIST_ROW_DESCRIPTION: Final = 72
WA_LIST_ROWS: Final = 10
WA_BUTTONS: Final = 3
WA_TEXT: Final = 4096
WA_ROW_ID: Final = 200
TG_CALLBACK_DATA: Final = 64
CHOICE_ID_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_:-]*$")
# Telegram callback data is "<state version tag>|<choice id>"; keep room for the tag.
CHOICE_ID_MAX_BYTES: Final = TG_CALLBACK_DATA - 16

HOURS_NAMES: Final = ("status", "today", "weekly", "next_open")
SERVICE_NAMES: Final = (
    "name",
    "summary",
    "requirements",
    "steps",
    "duration",
    "cost",
    "product",
    "where",
    "notes",
    "checked",
    "detail",
)


def _problem(pos: Pos, message: str, hint: str = "", severity: str = "error") -> Problem:
    return Problem(
        pos.file,
        pos.line,
        pos.column,
        message,
        hint,
        "warning" if severity == "warning" else "error",
    )


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"Did you mean '{close[0]}'?" if close else ""


def slot_names(bundle: DialogBundle) -> set[str]:
    names = {s for slots in ACTION_SLOTS.values() for s in slots}
    for flow in bundle.flows.values():
        names.update(st.ask.slot for st in flow.states.values() if st.ask)
    return names


def edges(state: StateSpec) -> Iterator[tuple[StateRef, str, Pos]]:
    """Every move declared out of a state, with what causes it and where it is written."""
    for c in state.choices:
        yield c.target, f"choice '{c.id}'", c.pos
    if state.next:
        yield state.next, "next", state.pos
    if state.back:
        yield state.back, "back", state.pos


def _renames(
    bundle: DialogBundle, check_ref: Callable[[StateRef, Pos, str], bool]
) -> list[Problem]:
    """renamed_from and moved_to name states that are gone, each old name once, and targets
    that exist: otherwise a resident in the old state would not land where the editor meant."""
    problems: list[Problem] = []
    claimed: dict[StateRef, str] = {}

    def claim(old: StateRef, by: str, pos: Pos) -> None:
        if bundle.has(old):
            problems.append(
                _problem(
                    pos,
                    f"{by} names '{old}', but that state still exists",
                    "Only list names that no longer exist; remove this line or the old state.",
                )
            )
        elif old in claimed:
            problems.append(
                _problem(
                    pos,
                    f"'{old}' is claimed twice: by {claimed[old]} and by {by}",
                    "Residents in the old state can go to one place only; keep one of them.",
                )
            )
        claimed.setdefault(old, by)

    for flow in bundle.flows.values():
        for old, (target, pos) in flow.moved_to.items():
            claim(old, f"'moved_to' of dialog '{flow.name}'", pos)
            check_ref(target, pos, f"'moved_to' of '{old}'")
        for st in flow.states.values():
            for old in st.renamed_from:
                claim(old, f"'renamed_from' of state '{st.ref}'", st.pos)
    return problems


def _translations(bundle: DialogBundle) -> list[Problem]:
    """With English switched on (bot.yaml's en: texts), every text without English is
    reported: residents who chose English would read it in Indonesian."""
    if not bundle.texts_en:
        return []
    out: list[Problem] = []
    bot_pos = Pos(f"{bundle.root.rstrip('/').split('/')[-1]}/bot.yaml", 1, 1)
    for key, spec in FIELDS["texts"].items():
        said = str(getattr(bundle.texts, key, ""))
        if spec.type == "str" and said and key not in bundle.texts_en:
            out.append(
                _problem(
                    bot_pos,
                    f"the bot's text '{key}' has no English",
                    f"Add '{key}: ...' under 'en: texts:' in bot.yaml.",
                    "warning",
                )
            )
    for flow in bundle.flows.values():
        states = list(flow.states.values())
        if not flow.en and not any(st.en or any(c.en for c in st.choices) for st in states):
            out.append(
                _problem(
                    Pos(flow.file, 1, 1),
                    f"dialog '{flow.name}' has no English texts: residents who chose English "
                    "read it in Indonesian",
                    "Add 'en: {say: ...}' to its states and 'en: {label: ...}' to its choices.",
                    "warning",
                )
            )
            continue
        if flow.fallback and "fallback" not in flow.en:
            out.append(
                _problem(
                    Pos(flow.file, 1, 1),
                    f"the fallback of dialog '{flow.name}' has no English",
                    "Add 'en: {fallback: ...}' at the top of the file.",
                    "warning",
                )
            )
        for st in states:
            wanted = [k for k in ("say", "fallback") if getattr(st, k)]
            if st.ask:
                wanted += ["reprompt", "example"]
            missing = [k for k in wanted if k not in st.en]
            if missing:
                out.append(
                    _problem(
                        st.pos,
                        f"state '{st.ref}' has no English {', '.join(missing)}",
                        "Add " + ", ".join(f"'{k}: ...'" for k in missing) + " under its 'en:'.",
                        "warning",
                    )
                )
            for c in st.choices:
                if "label" not in c.en:
                    out.append(
                        _problem(
                            c.pos,
                            f"choice '{c.id}' of state '{st.ref}' has no English label",
                            f"Add 'en: {{label: ...}}' to the choice (now '{c.label}').",
                            "warning",
                        )
                    )
    return out


def lint(bundle: DialogBundle) -> list[Problem]:
    problems: list[Problem] = []
    all_states = [str(s.ref) for f in bundle.flows.values() for s in f.states.values()]

    def check_ref(ref: StateRef, pos: Pos, what: str) -> bool:
        if bundle.has(ref):
            return True
        if ref.dialog not in bundle.flows:
            hint = (
                _suggest(ref.dialog, list(bundle.flows))
                or f"Known dialogs: {', '.join(sorted(bundle.flows))}."
            )
            problems.append(
                _problem(
                    pos, f"{what} goes to '{ref}', but there is no dialog '{ref.dialog}'", hint
                )
            )
        else:
            names = list(bundle.flows[ref.dialog].states)
            hint = (
                _suggest(ref.state, names)
                or _suggest(str(ref), all_states)
                or f"States of '{ref.dialog}': {', '.join(names)}."
            )
            problems.append(_problem(pos, f"{what} goes to '{ref}', which does not exist", hint))
        return False

    bot_pos = Pos(f"{bundle.root.rstrip('/').split('/')[-1]}/bot.yaml")
    check_ref(bundle.start, bot_pos, "'start' in bot.yaml")
    intent_ids: set[str] = set()
    for intent in bundle.intents:
        if intent.id in intent_ids:
            problems.append(_problem(intent.pos, f"intent id '{intent.id}' is used twice"))
        intent_ids.add(intent.id)
        if intent.target:
            check_ref(intent.target, intent.pos, f"intent '{intent.id}'")

    problems += _renames(bundle, check_ref)
    problems += _translations(bundle)
    slots = slot_names(bundle)
    check_texts = []
    for flow in bundle.flows.values():
        fpos = Pos(flow.file, 1, 1)
        check_ref(StateRef(flow.name, flow.start), fpos, f"'start' of dialog '{flow.name}'")
        if flow.fallback:
            check_texts.append((flow.fallback, fpos, f"the fallback of dialog '{flow.name}'"))
        for st in flow.states.values():
            where = f"state '{st.ref}'"
            for target, why, pos in edges(st):
                check_ref(target, pos, f"{why} of {where}")
            if st.ask and not st.next:
                problems.append(
                    _problem(
                        st.pos,
                        f"{where} asks for '{st.ask.slot}' but has no 'next'",
                        "Add 'next: <state>' to say where the answer leads.",
                    )
                )
            if st.next and not st.ask:
                problems.append(
                    _problem(
                        st.pos,
                        f"{where} has 'next' but asks nothing",
                        "'next' follows an answer to 'ask'; offer 'choices' instead.",
                    )
                )
            if not st.choices and not st.ask:
                problems.append(
                    _problem(
                        st.pos,
                        f"{where} has no way out: no choices and nothing asked",
                        "Add 'choices:' (at least one, e.g. to the menu with goto: main.menu).",
                    )
                )
            if st.ask and st.choices:
                problems.append(
                    _problem(
                        st.pos, f"{where} both asks and offers choices", "Split it into two states."
                    )
                )
            if (
                st.ask
                and st.ask.min is not None
                and st.ask.max is not None
                and st.ask.min > st.ask.max
            ):
                problems.append(_problem(st.ask.pos, f"'min' is above 'max' in {where}"))
            if st.service and st.service not in bundle.services:
                problems.append(
                    _problem(
                        st.pos,
                        f"{where} shows service '{st.service}', which is not in data/services.yaml",
                        _suggest(st.service, list(bundle.services)),
                    )
                )
            if st.location and not {"location.latitude", "location.longitude"} <= set(
                bundle.office
            ):
                problems.append(
                    _problem(
                        st.pos,
                        f"{where} attaches the office location, but data has no office location",
                        "Add location: {latitude: ..., longitude: ...} under "
                        "office: in data/office.yaml.",
                    )
                )
            for text, what in ((st.say, "say"), (st.fallback, "fallback")):
                if text:
                    check_texts.append((text, st.pos, f"'{what}' of {where}"))
            if st.ask:
                check_texts.append((st.ask.reprompt, st.ask.pos, f"'reprompt' of {where}"))
                check_texts.append((st.ask.example, st.ask.pos, f"'example' of {where}"))
            problems += _check_choices(st, where)

    for name, text in _texts(bundle):
        check_texts.append((text, bot_pos, f"text '{name}' in bot.yaml"))
    for text, pos, what in check_texts:
        problems += _check_template(bundle, text, pos, what, slots)
        if len(text) > WA_TEXT:
            problems.append(
                _problem(
                    pos,
                    f"{what} is {len(text)} characters long",
                    f"WhatsApp and Telegram take at most {WA_TEXT}; split it.",
                )
            )
    problems += _reachability(bundle)
    return problems


def _texts(bundle: DialogBundle) -> Iterator[tuple[str, str]]:
    for name in bundle.texts.__dataclass_fields__:
        value = getattr(bundle.texts, name)
        if isinstance(value, str):
            yield name, value


def _check_choices(st: StateSpec, where: str) -> list[Problem]:
    problems = []
    n = len(st.choices)
    if n > WA_LIST_ROWS:
        problems.append(
            _problem(
                st.pos,
                f"{where} offers {n} choices",
                f"WhatsApp lists take at most {WA_LIST_ROWS}; residents will "
                "see numbered text instead.",
                "warning",
            )
        )
    labels: dict[str, str] = {}
    for c in st.choices:
        cwhere = f"choice '{c.id}' of {where}"
        if not CHOICE_ID_RE.match(c.id) or len(c.id.encode()) > CHOICE_ID_MAX_BYTES:
            problems.append(
                _problem(
                    c.pos,
                    f"choice id '{c.id}' in {where} is not valid",
                    "Use lower-case letters, digits, '_', '-' or ':', at most "
                    f"{CHOICE_ID_MAX_BYTES} characters (Telegram buttons carry "
                    f"at most {TG_CALLBACK_DATA} bytes).",
                )
            )
        if len(c.label) > WA_LIST_ROW_TITLE:
            problems.append(
                _problem(
                    c.pos,
                    f"label '{c.label}' of {cwhere} has {len(c.label)} characters",
                    f"WhatsApp shows at most {WA_LIST_ROW_TITLE} in a list ({WA_BUTTON_TITLE} on a "
                    f"button); shorten it, e.g. '{c.label[:WA_BUTTON_TITLE].rstrip()}', and move "
                    "the rest to 'description'.",
                )
            )
        elif len(c.label) > WA_BUTTON_TITLE and n <= WA_BUTTONS:
            problems.append(
                _problem(
                    c.pos,
                    f"label '{c.label}' of {cwhere} has {len(c.label)} characters",
                    f"Buttons take at most {WA_BUTTON_TITLE}; WhatsApp will show a list instead.",
                    "warning",
                )
            )
        if len(c.description) > WA_LIST_ROW_DESCRIPTION:
            problems.append(
                _problem(
                    c.pos,
                    f"description of {cwhere} has {len(c.description)} characters",
                    f"WhatsApp lists show at most {WA_LIST_ROW_DESCRIPTION}.",
                )
            )
        key = c.label.strip().lower()
        if key in labels:
            problems.append(
                _problem(
                    c.pos,
                    f"label '{c.label}' is used twice in {where}",
                    "WhatsApp rejects buttons with equal titles; make them differ.",
                )
            )
        labels[key] = c.id
    return problems


def _check_template(
    bundle: DialogBundle, text: str, pos: Pos, what: str, slots: set[str]
) -> list[Problem]:
    problems = []
    for name in template_names(text):
        ns, _, rest = name.partition(".")
        ok = False
        hint = "Known names start with office., service., slot. or hours."
        if ns == "office":
            ok = rest in bundle.office
            hint = _suggest(rest, list(bundle.office)) or "See data/office.yaml for the names."
        elif ns == "slot":
            ok = rest in slots
            hint = (
                _suggest(rest, sorted(slots))
                or f"Slots asked somewhere: {', '.join(sorted(slots))}."
            )
        elif ns == "hours":
            ok = rest in HOURS_NAMES
            hint = f"Use one of: {', '.join('hours.' + h for h in HOURS_NAMES)}."
        elif ns == "service":
            sid, _, fld = rest.partition(".")
            ok = sid in bundle.services and fld in SERVICE_NAMES
            hint = (
                _suggest(sid, list(bundle.services))
                if sid not in bundle.services
                else f"Fields: {', '.join(SERVICE_NAMES)}."
            )
        if not ok:
            problems.append(
                _problem(
                    pos,
                    f"{what} uses '{{{name}}}', which is not defined",
                    hint or "Check the spelling.",
                )
            )
    return problems


def _reachability(bundle: DialogBundle) -> list[Problem]:
    roots = [bundle.start]
    roots += [i.target for i in bundle.intents if i.target]
    for flow in bundle.flows.values():
        roots += [st.ref for st in flow.states.values() if st.keywords]
    seen: set[StateRef] = set()
    queue = deque(r for r in roots if bundle.has(r))
    while queue:
        ref = queue.popleft()
        if ref in seen:
            continue
        seen.add(ref)
        st = bundle.state(ref)
        for target, _, _ in edges(st):
            if bundle.has(target) and target not in seen:
                queue.append(target)
        # 'kembali' without an explicit back goes to the dialog's start.
        start = StateRef(ref.dialog, bundle.flows[ref.dialog].start)
        if bundle.has(start):
            queue.append(start)
    problems = []
    for flow in bundle.flows.values():
        for st in flow.states.values():
            if st.ref not in seen:
                problems.append(
                    _problem(
                        st.pos,
                        f"state '{st.ref}' cannot be reached from the start ({bundle.start})",
                        "Add a choice that goes to it, or 'keywords:' so "
                        "residents can ask for it, or remove it.",
                    )
                )
    return problems
