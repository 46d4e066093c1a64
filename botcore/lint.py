"""Checks across a loaded dialog bundle: targets, reachability, dead ends, templates, limits.

Beyond the graph: every choice must fit each channel the bot is written for (bot.yaml
`channels:`, default all): WhatsApp button and list-row titles and descriptions, Telegram's
callback data in bytes. A text's longest rendering, with office facts, service details and the
longest answers filled in, is held against each channel's message length. A template's
{slot.x} is checked along the moves into its state (may it be missing there?), and a slot
asked for but never shown or passed on is reported: residents should not give data that
nobody reads.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Final

from .errors import Problem
from .render import MISSING, service_fields
from .spec import (
    ACTION_READS,
    ACTION_SLOTS,
    ACTIONS_KEEPING_SLOTS,
    FIELDS,
    TEMPLATE_RE,
    DialogBundle,
    Pos,
    StateRef,
    StateSpec,
    template_names,
    translate,
)

# Platform limits (reference/protocols.md §2.2, §3.5); channels/whatsapp/render.py and
# channels/telegram/render.py import and apply them. WhatsApp's list button ("Pilih") and
# section title ("Pilihan") are the renderer's own words, within their 20 and 24 characters.
WA_BUTTON_TITLE: Final = 20
WA_LIST_ROW_TITLE: Final = 24
WA_LIST_ROW_DESCRIPTION: Final = 72
WA_LIST_ROWS: Final = 10
WA_BUTTONS: Final = 3
WA_TEXT: Final = 4096
WA_BUTTON_BODY: Final = 1024  # the text above reply buttons
WA_LIST_BODY: Final = 4096
WA_ROW_ID: Final = 200
TG_TEXT: Final = 4096
TG_CALLBACK_DATA: Final = 64  # bytes of UTF-8: the choice id is the callback data

# The longest values a text may receive, for estimating its longest rendering.
ANSWER_LONGEST: Final = 1000  # engine.MAX_INPUT: what is read of a resident's message
SLOT_LONGEST: Final = {"nik": 16, "kk": 16, "phone": 16, "date": 10, "ticket": 15, "number": 12}
ACTION_SLOT_LONGEST: Final = {"tiket": 15, "antrian": 4, "status_tiket": 300}
HOURS_LONGEST: Final = {"status": 200, "today": 160, "weekly": 450, "next_open": 80}
# Slots read by a check rather than shown: a NIK is checked against the birth date if asked.
VALIDATOR_READS: Final = {"nik": ("tanggal_lahir",)}

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
    problems = _graph(bundle)
    problems += _text_lengths(bundle)
    problems += _slot_flow(bundle)
    for lang in bundle.languages[1:]:
        # Translated labels and texts must fit the channels too; each problem once.
        english = translate(bundle, lang)
        seen = {str(p) for p in problems}
        more = [*_text_lengths(english)]
        for flow in english.flows.values():
            for st in flow.states.values():
                more += _check_choices(st, f"state '{st.ref}'", english.channels)
        problems += [p for p in more if str(p) not in seen]
    return problems


def _graph(bundle: DialogBundle) -> list[Problem]:
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
            problems += _check_choices(st, where, bundle.channels)

    for name, text in _texts(bundle):
        check_texts.append((text, bot_pos, f"text '{name}' in bot.yaml"))
    for text, pos, what in check_texts:
        problems += _check_template(bundle, text, pos, what, slots)
        if len(text) > WA_TEXT and {"whatsapp", "telegram"} & set(bundle.channels):
            problems.append(
                _problem(
                    pos,
                    f"{what} is {len(text)} characters long",
                    f"WhatsApp and Telegram take at most {WA_TEXT} in one message; split it "
                    "into states of their own, reached by choices.",
                )
            )
    problems += _reachability(bundle)
    return problems


def _texts(bundle: DialogBundle) -> Iterator[tuple[str, str]]:
    for name in bundle.texts.__dataclass_fields__:
        value = getattr(bundle.texts, name)
        if isinstance(value, str):
            yield name, value


def _check_choices(st: StateSpec, where: str, channels: tuple[str, ...]) -> list[Problem]:
    problems = []
    n = len(st.choices)
    whatsapp = "whatsapp" in channels
    if "telegram" in channels:
        for c in st.choices:
            size = len(c.id.encode())
            if size > TG_CALLBACK_DATA:
                problems.append(
                    _problem(
                        c.pos,
                        f"choice id '{c.id}' in {where} is {size} bytes long",
                        f"Telegram buttons carry at most {TG_CALLBACK_DATA} bytes; use a shorter "
                        f"id, e.g. '{c.id[:20]}'.",
                    )
                )
    if not whatsapp:
        return problems
    for c in st.choices:
        if len(c.id) > WA_ROW_ID:
            problems.append(
                _problem(
                    c.pos,
                    f"choice id of '{c.id[:20]}…' in {where} has {len(c.id)} characters",
                    f"WhatsApp list rows take ids of at most {WA_ROW_ID}; residents would see "
                    "numbered text. Use a shorter id.",
                    "warning",
                )
            )
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


# --- how long texts may become -----------------------------------------------------------------


class _Longest:
    """The longest a template may become once its {names} are filled in (an estimate: office
    facts and service details as they are, answers at their longest, hours at their longest)."""

    def __init__(self, bundle: DialogBundle) -> None:
        self.office = bundle.office
        free = bundle.texts.free_notice
        self.services = {sid: service_fields(s, free) for sid, s in bundle.services.items()}
        self.slots = dict(ACTION_SLOT_LONGEST)
        for flow in bundle.flows.values():
            for st in flow.states.values():
                if st.ask:
                    longest = _answer_longest(st.ask.type, st.ask.min, st.ask.max)
                    self.slots[st.ask.slot] = max(self.slots.get(st.ask.slot, 0), longest)
        t = bundle.texts
        self.slots["kabar_antrean"] = max(
            self.length(x) for x in (t.queue_open, t.queue_closed, t.queue_again)
        )

    def length(self, template: str, depth: int = 0) -> int:
        total, end = 0, 0
        for m in TEMPLATE_RE.finditer(template):
            total += m.start() - end + (1 if m[1] is None else self.value(m[1], depth))
            end = m.end()
        return total + len(template) - end

    def value(self, name: str, depth: int) -> int:
        ns, _, rest = name.partition(".")
        text: str | None = None
        if ns == "office":
            text = self.office.get(rest)
        elif ns == "service":
            sid, _, fld = rest.partition(".")
            text = self.services.get(sid, {}).get(fld)
        elif ns == "slot":
            return self.slots.get(rest, len(MISSING))
        elif ns == "hours":
            return HOURS_LONGEST.get(rest, len(MISSING))
        if text is None or depth > 8:
            return len(MISSING)
        return self.length(text, depth + 1)


def _answer_longest(kind: str, low: int | None, high: int | None) -> int:
    if kind == "text":
        return min(high, ANSWER_LONGEST) if high is not None else ANSWER_LONGEST
    if kind == "number" and (low is not None or high is not None):
        return max(len(str(low or 0)), len(str(high or 0)))
    return SLOT_LONGEST.get(kind, ANSWER_LONGEST)


def whatsapp_form(st: StateSpec) -> str:
    """How the WhatsApp renderer shows a state's choices: buttons, list or numbered text."""
    n = len(st.choices)
    labels = [c.label for c in st.choices]
    distinct = len({x.strip().casefold() for x in labels}) == n and all(x.strip() for x in labels)
    longest = max((len(x) for x in labels), default=0)
    if not n:
        return "none"
    if distinct and n <= WA_BUTTONS and longest <= WA_BUTTON_TITLE:
        return "buttons"
    if distinct and n <= WA_LIST_ROWS and longest <= WA_LIST_ROW_TITLE:
        return "list"
    return "text"


def _text_lengths(bundle: DialogBundle) -> list[Problem]:
    channels = set(bundle.channels)
    if not channels & {"whatsapp", "telegram"}:
        return []
    longest = _Longest(bundle)
    problems = []
    for flow in bundle.flows.values():
        for st in flow.states.values():
            if len(st.say) > WA_TEXT:
                continue  # reported as written
            parts = [longest.length(st.say)] if st.say else []
            if st.service in longest.services:
                parts.append(longest.length(longest.services[st.service]["detail"]))
            if st.ref == bundle.start:
                t = bundle.texts
                parts.append(max(longest.length(t.greeting), longest.length(t.idle_restart)))
            size = sum(parts) + 2 * max(len(parts) - 1, 0)
            form = whatsapp_form(st) if "whatsapp" in channels else "none"
            if form == "text":
                size += sum(len(c.label) + len(c.description) + 6 for c in st.choices)
            what = f"the answer of state '{st.ref}'"
            if size > WA_TEXT:
                names = " and ".join(c for c in ("WhatsApp", "Telegram") if c.lower() in channels)
                parts_n = -(-size // WA_TEXT)
                problems.append(
                    _problem(
                        st.pos,
                        f"{what} may be up to {size} characters with its values filled in",
                        f"{names} send at most {WA_TEXT} in one message, so it may come in "
                        f"{parts_n} parts. Shorten 'say', or move part of it to a state of its "
                        "own, reached by a choice.",
                        "warning",
                    )
                )
            elif form == "buttons" and len(st.say.strip()) > WA_BUTTON_BODY:
                # Only the editor's own words: service details and answers that make a text
                # longer are sent as a message of their own, which is what the renderer is for.
                problems.append(
                    _problem(
                        st.pos,
                        f"'say' of state '{st.ref}' has {len(st.say.strip())} characters",
                        f"WhatsApp puts at most {WA_BUTTON_BODY} above reply buttons, so this "
                        "text comes as a message of its own and the buttons after it under "
                        f"'Silakan pilih:'. Shorten it to {WA_BUTTON_BODY}, or move part of it "
                        "to a state of its own.",
                        "warning",
                    )
                )
    return problems


# --- slots along the moves ---------------------------------------------------------------------


class _Moves:
    """The declared moves between states, with what each move fills in, for following slots."""

    def __init__(self, bundle: DialogBundle) -> None:
        self.bundle = bundle
        self.out: dict[StateRef, list[tuple[StateRef, str]]] = {}
        for flow in bundle.flows.values():
            start = StateRef(flow.name, flow.start)
            for st in flow.states.values():
                moves = [(c.target, "") for c in st.choices]
                if st.next and st.ask:
                    moves.append((st.next, st.ask.slot))
                # 'kembali': the explicit back, else the dialog's start, else the bot's start.
                moves.append((st.back or (start if st.ref != start else bundle.start), ""))
                self.out[st.ref] = [(t, slot) for t, slot in moves if bundle.has(t)]
        # Where a conversation can be without a move: its start, global intents, shortcuts.
        jumps = {i.target for i in bundle.intents if i.target}
        jumps |= {st.ref for f in bundle.flows.values() for st in f.states.values() if st.keywords}
        self.jumps = {r for r in jumps if bundle.has(r)}
        self.roots = self.jumps | ({bundle.start} if bundle.has(bundle.start) else set())

    def enter(self, ref: StateRef, slot: str, has: bool) -> bool:
        """Whether `slot` is set once `ref` has been entered (its actions done)."""
        actions = self.bundle.state(ref).actions
        if "clear_slots" in actions:
            has = False
        return has or any(slot in ACTION_SLOTS.get(a, ()) for a in actions)

    def follow(self, slot: str) -> dict[tuple[StateRef, bool], tuple[StateRef, bool] | None]:
        """Every (state, slot set?) a conversation can be in, with the step it came from."""
        seen: dict[tuple[StateRef, bool], tuple[StateRef, bool] | None] = {}
        queue = deque[tuple[tuple[StateRef, bool], tuple[StateRef, bool] | None]](
            ((r, self.enter(r, slot, False)), None) for r in sorted(self.roots)
        )
        seeded = False
        while queue:
            node, parent = queue.popleft()
            if node in seen:
                continue
            seen[node] = parent
            ref, has = node
            for target, fills in self.out[ref]:
                queue.append(((target, self.enter(target, slot, has or fills == slot)), node))
            if has and not seeded:
                # A global intent or shortcut jumps from anywhere, keeping the slots.
                seeded = True
                queue.extend(((r, self.enter(r, slot, True)), node) for r in sorted(self.jumps))
        return seen


def _path(seen: dict[tuple[StateRef, bool], tuple[StateRef, bool] | None], end: Any) -> str:
    steps = []
    node = end
    while node is not None:
        steps.append(str(node[0]))
        node = seen[node]
    steps.reverse()
    if len(steps) > 6:
        steps = [*steps[:2], "…", *steps[-3:]]
    return " → ".join(steps)


def _slot_flow(bundle: DialogBundle) -> list[Problem]:
    moves = _Moves(bundle)
    states = [st for f in bundle.flows.values() for st in f.states.values()]
    uses: dict[str, list[tuple[StateSpec, str, Pos]]] = {}
    used: set[str] = set()
    for st in states:
        texts = [(st.say, "say", st.pos), (st.fallback, "fallback", st.pos)]
        if st.ask:
            texts += [
                (st.ask.reprompt, "reprompt", st.ask.pos),
                (st.ask.example, "example", st.ask.pos),
            ]
        for text, what, pos in texts:
            for name in template_names(text):
                if name.startswith("slot."):
                    uses.setdefault(name[5:], []).append((st, what, pos))
        for action in st.actions:
            used.update(ACTION_READS.get(action, ()))
        if st.ask:
            used.update(VALIDATOR_READS.get(st.ask.type, ()))
    others = [getattr(bundle.texts, n) for n in bundle.texts.__dataclass_fields__]
    others += [f.fallback for f in bundle.flows.values()]
    for text in (t for t in others if isinstance(t, str)):
        used.update(n[5:] for n in template_names(text) if n.startswith("slot."))
    used.update(uses)
    keeping = [st.ref for st in states if set(st.actions) & set(ACTIONS_KEEPING_SLOTS)]
    problems = []
    asked = {st.ask.slot: st for st in states if st.ask}
    for slot in sorted(set(uses) | set(asked)):
        seen = moves.follow(slot)
        for st, what, pos in uses.get(slot, []):
            if (st.ref, False) not in seen:
                continue
            problems.append(
                _problem(
                    pos,
                    f"'{what}' of state '{st.ref}' uses {{slot.{slot}}}, which may be missing",
                    f"Nothing sets it on the way {_path(seen, (st.ref, False))}, so residents "
                    f"would read '{MISSING}'. Ask for '{slot}' on every way into this state, "
                    "or leave it out of this text.",
                    "warning",
                )
            )
        carried = any((ref, True) in seen for ref in keeping)
        if slot in asked and slot not in used and not carried:
            st = asked[slot]
            assert st.ask is not None
            problems.append(
                _problem(
                    st.ask.pos,
                    f"slot '{slot}' asked in state '{st.ref}' is never used",
                    f"No text shows {{slot.{slot}}} and no action passes it on "
                    f"({' and '.join(ACTIONS_KEEPING_SLOTS)} keep the slots set before them). "
                    f"Show it, e.g. in a confirmation ('{slot}: {{slot.{slot}}}'), or drop the "
                    "question: residents should not give data that nobody reads.",
                    "warning",
                )
            )
    return problems
