"""One message in, replies out: load the session, run the step, carry out effects, render, save.

The step (`Engine.step`) is synchronous and does no I/O: it decides where the conversation
goes and what to say, and lists effects (open a complaint ticket, ask for an officer, record
consent) as data, and notes for the editors' reports (a message it did not understand, masked;
a conversation that ended), which the store saves with the session. `Engine.handle` does the
I/O around it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from .complaints import describe as describe_complaint
from .machine import Machines, Run
from .matching import Match, Matcher, Target
from .messages import Choice, IncomingMessage, Kind, Reply
from .render import Renderer, short_label
from .sessions import Note, Session, Store, Unmatched
from .spec import DialogBundle, StateRef, StateSpec, translate
from .validators import (
    PERSONAL_SLOT_TYPES,
    check,
    clean_text,
    mask,
    mask_line,
    mask_number,
    parse_date,
)

log = logging.getLogger("loket.engine")

MAX_INPUT: Final = 1000  # characters of a message that are read; the rest is cut
# What a resident types to change the language (when the dialogs carry that language).
LANGUAGE_WORDS: Final = {
    "english": "en",
    "in english": "en",
    "inggris": "en",
    "bahasa inggris": "en",
    "bahasa": "id",
    "indonesia": "id",
    "bahasa indonesia": "id",
}
LANGUAGE_INITIALS: Final = "".join({w[0] + w[0].upper() for w in LANGUAGE_WORDS})
# Officer-side messages that are not part of a conversation with the resident.
QUIET_ACTIONS: Final = frozenset({"remind", "notify"})
GIVEUP_AFTER: Final = 3  # invalid answers before the bot offers an officer or the menu
LEAVE_WORDS: Final = {("menu",), ("menu", "utama"), ("batal",), ("selesai",)}
BOT_TURN_CHARS: Final = 200  # how much of each bot answer a session keeps in its turns
UNMATCHED_CHARS: Final = 200  # how much of a message not understood is kept for the report


@dataclass(slots=True)
class _Say:
    """One thing to say, rendered after effects: a text, or a state (with text before it)."""

    text: str = ""
    state: StateRef | None = None
    choices: tuple[Choice, ...] = ()
    literal: bool = False  # text that is not a template (a validator's message)


@dataclass(slots=True)
class Outcome:
    session: Session
    plan: list[_Say] = field(default_factory=list)
    effects: list[str] = field(default_factory=list)
    trace: list[tuple[StateRef, StateRef, str]] = field(default_factory=list)  # from, to, via
    notes: list[Note] = field(default_factory=list)  # saved with the session, for the reports
    why: str = ""


class Compiled:
    """What the engine needs from one dialog bundle, built once, swapped as a whole."""

    def __init__(self, bundle: DialogBundle) -> None:
        self.bundle = bundle
        self.matcher = Matcher(bundle)
        self.machines = Machines(bundle)
        self.renderer = Renderer(bundle)
        privacy = bundle.office.get("privacy", "")
        self.notice_version = hashlib.sha256(privacy.encode()).hexdigest()[:8]
        self.slot_types = {
            st.ask.slot: st.ask.type
            for f in bundle.flows.values()
            for st in f.states.values()
            if st.ask
        }
        self.operator = next(
            (i.target for i in bundle.intents if i.id == "operator" and i.target), None
        )
        self.moves = bundle.moves()
        # One compiled variant per language, sharing this table; a session speaks one.
        self.variants: dict[str, Compiled] = {bundle.lang: self}
        if bundle.lang == "id":
            for lang in bundle.languages[1:]:
                variant = Compiled(translate(bundle, lang))
                variant.variants = self.variants
                self.variants[lang] = variant

    def speaking(self, lang: str) -> Compiled:
        return self.variants.get(lang) or self.variants["id"]


def mask_key(key: str) -> str:
    channel, _, sender = key.partition(":")
    return f"{channel}:{mask_number(sender)}"


class Engine:
    def __init__(
        self,
        bundle: DialogBundle,
        store: Store,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.compiled = Compiled(bundle)
        self.store = store
        self.clock = clock

    @property
    def bundle(self) -> DialogBundle:
        return self.compiled.bundle

    def reload(self, bundle: DialogBundle) -> None:
        """Swap to a new, already checked bundle; messages in flight finish on the old one."""
        self.compiled = Compiled(bundle)

    # -- async shell ----------------------------------------------------------------------

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Answer one message: load the session, step, effects, render, save.

        Callers hand one conversation's messages over one at a time, in order (the inbox
        worker does); different conversations may run concurrently. Whatever goes wrong, the
        resident still gets an answer, and the session is left as it was."""
        compiled = self.compiled
        now = msg.time or self.clock()
        session = await self.store.load(msg.key)
        try:
            outcome = self.step(session, msg, now, compiled)
            replies = await self.finish(outcome, now, compiled)
        except Exception:
            log.exception("step failed for %s", mask_key(msg.key))
            return [Reply(text=compiled.bundle.texts.fallback.strip())]
        await self.store.save(outcome.session, outcome.notes)
        return replies

    async def finish(
        self, outcome: Outcome, now: datetime, compiled: Compiled | None = None
    ) -> list[Reply]:
        """Carry out the step's effects, then render what it planned to say."""
        c = compiled or self.compiled
        if outcome.session.lang != c.bundle.lang:
            c = c.speaking(outcome.session.lang)
        s = outcome.session
        for effect in outcome.effects:
            if effect == "open_complaint":
                s.slots["tiket"] = await self.store.open_complaint(s.key, dict(s.slots), now)
            elif effect == "request_operator":
                request, position = await self.store.request_operator(
                    s.key, dict(s.slots), list(s.turns), now
                )
                s.slots["antrian"] = str(position)
                s.flags["handover"] = request
                s.slots["kabar_antrean"] = self._queue_news(c, s, now)
            elif effect == "leave_queue":
                await self.store.leave_queue(int(s.flags.pop("left", 0)), now)
            elif effect == "record_rating":
                await self.store.record_rating(s.key, s.slots.get("nilai", ""), now)
            elif effect == "lookup_complaint":
                found = await self.store.complaint(s.slots.get("nomor_tiket", ""))
                s.slots["status_tiket"] = describe_complaint(found)
            elif effect == "record_consent":
                await self.store.record_consent(s.key, s.dialog, c.notice_version, now)
        replies = self.render(outcome, now, c)
        # Officers need the gist of what the bot said, not every requirement list again.
        said = replies[0].text if replies else ""
        if len(said) > BOT_TURN_CHARS or len(replies) > 1:
            said = said[: BOT_TURN_CHARS - 1] + "…"
        s.add_turn("out", said, now.timestamp(), c.bundle.turns_kept)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s -> %s.%s (%s)", mask_key(s.key), s.dialog, s.state, mask(outcome.why))
        return replies

    def _queue_news(self, c: Compiled, s: Session, now: datetime) -> str:
        """In hours: the place in the queue. Closed: the hours and when it will be answered,
        once per closed period (a second request in the same closed time is told briefly)."""
        texts, schedule = c.bundle.texts, c.renderer.schedule
        status = schedule.status(now) if schedule is not None else None
        if status is None or status.open:
            return c.renderer.fill(texts.queue_open, s.slots, now)
        period = status.next_open.timestamp() if status.next_open else 0.0
        if s.flags.get("away_for") == period:
            return c.renderer.fill(texts.queue_again, s.slots, now)
        s.flags["away_for"] = period
        return c.renderer.fill(texts.queue_closed, s.slots, now)

    def render(self, outcome: Outcome, now: datetime, c: Compiled) -> list[Reply]:
        plan = outcome.plan
        if len(plan) == 1 and plan[0].state is not None and not plan[0].text:
            return c.renderer.state(c.bundle.state(plan[0].state), outcome.session.slots, now)
        replies: list[Reply] = []
        before: list[str] = []
        slots = outcome.session.slots
        for item in outcome.plan:
            text = item.text if item.literal else c.renderer.fill(item.text, slots, now).strip()
            if item.state is not None:
                st = c.bundle.state(item.state)
                replies += c.renderer.state(st, slots, now, "\n\n".join([*before, text]).strip())
                before = []
            elif item.choices:
                replies.append(
                    Reply(text="\n\n".join([*before, text]).strip(), choices=item.choices)
                )
                before = []
            elif text:
                before.append(text)
        if before:
            replies.append(Reply(text="\n\n".join(before)))
        return replies

    # -- the step -------------------------------------------------------------------------

    def step(
        self,
        session: Session | None,
        msg: IncomingMessage,
        now: datetime,
        compiled: Compiled | None = None,
    ) -> Outcome:
        c = compiled or self.compiled
        fresh = session is None
        if session is not None and session.lang != c.bundle.lang:
            c = c.speaking(session.lang)
        b = c.bundle
        ts = now.timestamp()
        if session is None:
            session = Session(msg.key, b.start.dialog, b.start.state, b.version, created_at=ts)
        out = Outcome(session)
        # After a reload the resident's state may be gone: a renamed state keeps them (it is
        # the same place), a removed one sends them where the editor said, or to a menu.
        flow = b.flows.get(session.dialog)
        here = flow is not None and session.state in flow.states
        moved = "" if fresh or here else self._relocate(c, session)
        silence = ts - session.updated_at
        # The greeting is for a first message ever, or after a long silence (as the WhatsApp
        # Business app does); a conversation left for half an hour just starts over.
        # An officer's action is no sign of life from the resident: it neither greets nor
        # restarts an idle conversation, and a notice leaves the conversation's clock alone.
        officer = msg.kind == Kind.OPERATOR
        greet = not officer and (fresh or silence > b.greet_after_days * 86400)
        idle = silence > b.idle_minutes * 60 and not session.flags.get("handover") and not officer
        if not fresh and idle:
            moved = ""
            ended = session.conversation(ended=True)
            if ended is not None:
                out.notes.append(ended)
            if not greet:
                out.plan.append(_Say(b.texts.idle_restart))
            self._reset(session, b.start)
            fresh = True
        if greet:
            out.plan.append(_Say(b.texts.greeting))
        if not officer or msg.payload not in QUIET_ACTIONS:
            session.updated_at = ts
        session.version = b.version
        if fresh or "conv" not in session.flags:  # a session from before conversations had ids
            self._begin(out, ts)

        text = clean_text(msg.text)
        if len(text) > MAX_INPUT and not officer:  # officers may write at length
            text = text[:MAX_INPUT]
            out.plan.append(_Say(b.texts.too_long))
        run = Run(session.state, session.slots)
        if officer:
            if msg.payload == "reply":
                session.add_turn("officer", text, ts, b.turns_kept)
            self._operator(c, out, run, msg)
            return out
        session.add_turn("in", text or f"[{msg.kind.value}]", ts, b.turns_kept)
        if session.flags.get("handover"):
            self._handed_over(c, out, run, msg, text)
            return out
        # Cheap on purpose: most messages are not a language's name.
        lang = None
        if text[:1] in LANGUAGE_INITIALS and len(text) <= 24 and msg.kind == Kind.TEXT:
            lang = LANGUAGE_WORDS.get(" ".join(text.casefold().strip(" .!?").split()))
        if lang is not None and lang in c.variants:
            session.lang = lang
            out.why = f"the resident chose the language '{lang}'"
            out.plan.append(_Say(c.variants[lang].bundle.texts.language))
            out.plan.append(_Say(state=StateRef(session.dialog, session.state)))
            return out
        if moved == "moved":
            # What they typed answered a question that no longer exists: say so, show where
            # they are now, and let them go on from there.
            out.why = "the resident's state was removed by an edit"
            out.plan.append(_Say(b.texts.menu_changed))
            out.plan.append(_Say(state=StateRef(session.dialog, session.state)))
            return out
        if msg.kind == Kind.CHOICE and msg.extra.get("stale"):
            # A button from a keyboard that has since been replaced: say so, show the current.
            out.why = "a tap on an expired keyboard"
            out.plan.append(_Say(b.texts.stale))
            out.plan.append(_Say(state=StateRef(session.dialog, session.state)))
            return out
        if msg.kind in (Kind.MEDIA, Kind.UNSUPPORTED, Kind.LOCATION):
            answer = b.texts.media if msg.kind == Kind.MEDIA else b.texts.unsupported
            out.why = f"a {msg.kind.value} message"
            out.plan.append(_Say(answer))
            out.plan.append(_Say(state=StateRef(session.dialog, session.state)))
            return out
        if msg.kind == Kind.CONTACT and not text:
            text = msg.payload
        self._respond(c, out, run, msg, text, fresh)
        return out

    def _handed_over(
        self, c: Compiled, out: Outcome, run: Run, msg: IncomingMessage, text: str
    ) -> None:
        """Waiting for an officer: the bot keeps quiet, but 'menu' leaves the queue and
        'selesai' ends the conversation. What the resident writes stays in the turns, where
        the officer reads it."""
        session = out.session
        words = c.matcher.normalise(msg.payload if msg.kind == Kind.CHOICE else text)
        target = c.matcher.intent_exact.get(words)
        intent = target.intent if target is not None else None
        # Only the words themselves: a "halo?" while waiting is no reason to leave the queue.
        if target is None or intent is None or words not in LEAVE_WORDS:
            out.why = "handed over to an officer: the bot keeps quiet"
            return
        session.flags["left"] = session.flags.pop("handover", 0)
        out.effects.append("leave_queue")
        here = StateRef(session.dialog, session.state)
        self._go(c, out, run, here, target, "leaving the officer's queue")

    def _operator(self, c: Compiled, out: Outcome, run: Run, msg: IncomingMessage) -> None:
        """An officer took, answered or closed the conversation (loket operator)."""
        session, texts = out.session, c.bundle.texts
        officer = str(msg.extra.get("officer", "")) or "petugas"
        out.why = f"officer action {msg.payload}"
        if msg.payload == "take":
            out.plan.append(_Say(texts.operator_take))
            out.plan.append(_Say(f"*{officer}*", literal=True))
        elif msg.payload == "reply":
            out.plan.append(_Say(f"*{officer}:* {msg.text}", literal=True))
        elif msg.payload == "remind":
            out.plan.append(_Say(texts.queue_still))
        elif msg.payload == "notify":  # e.g. a complaint's new status; the state stays
            out.plan.append(_Say(msg.text, literal=True))
        elif msg.payload == "close":
            session.flags.pop("handover", None)
            target = c.bundle.start
            rating = StateRef(target.dialog, "nilai")
            here = StateRef(session.dialog, session.state)
            out.plan.append(_Say(texts.operator_close))
            self._go(
                c,
                out,
                run,
                here,
                Target("topic", "", rating if c.bundle.has(rating) else target),
                "the officer closed",
            )

    def _relocate(self, c: Compiled, session: Session) -> str:
        """Move a session out of a state the current dialogs no longer have. Returns
        'renamed' (same place, new name: carry on), or 'moved' (declared target or nearest
        menu: tell the resident)."""
        old = StateRef(session.dialog, session.state)
        target, kind = c.moves.get(old, (c.bundle.nearest_menu(old), "moved"))
        if not c.bundle.has(target):  # the checker forbids it; never strand a resident
            target, kind = c.bundle.start, "moved"
        log.info("session moved from %s to %s (%s)", old, target, kind)
        session.dialog, session.state = target.dialog, target.state
        if kind != "renamed":
            session.pending.clear()
            session.retries = 0
        return kind

    def _begin(self, out: Outcome, ts: float) -> None:
        """A new conversation: a random id (not derived from the resident's number, so the
        reports cannot be tied to anyone), its start, and the states it enters. They live in
        the session, which is written anyway; the store keeps them apart once it ends."""
        s = out.session
        s.flags.update(conv=secrets.token_hex(8), conv_at=ts, trail=[f"{s.dialog}.{s.state}"])

    def _visit(self, out: Outcome, ref: StateRef) -> None:
        flags = out.session.flags
        trail = flags.get("trail", [])
        name = f"{ref.dialog}.{ref.state}"
        if name not in trail:
            flags["trail"] = [*trail, name]  # a new list: Session.copy shares the old one

    def _unmatched(self, out: Outcome, here: StateRef, msg: IncomingMessage, text: str) -> None:
        """Note what a resident typed that nothing matched, masked, for `loket report`."""
        if msg.kind != Kind.TEXT:  # a contact card or an old button's title: not their words
            return
        s = out.session
        masked = mask_line(text, UNMATCHED_CHARS)
        out.notes.append(Unmatched(str(s.flags["conv"]), str(here), masked, s.updated_at))

    def _reset(self, session: Session, start: StateRef) -> None:
        session.dialog, session.state = start.dialog, start.state
        session.slots.clear()
        session.pending.clear()
        session.retries = 0

    def _respond(
        self, c: Compiled, out: Outcome, run: Run, msg: IncomingMessage, text: str, fresh: bool
    ) -> None:
        session = out.session
        st = c.bundle.flows[session.dialog].states[session.state]
        here = st.ref

        if msg.kind == Kind.CHOICE and msg.payload:
            option = self._pending_option(c, session, msg.payload)
            if option is not None:
                return self._go(c, out, run, here, option, "tap on an option")
            chosen = next((ch for ch in st.choices if ch.id == msg.payload), None)
            if chosen is not None:
                target = Target("choice", chosen.label, chosen.target, choice_id=chosen.id)
                return self._go(c, out, run, here, target, f"tap on '{chosen.id}'")
            stale = self._stale_tap(c, msg.payload, text)
            if stale is not None:
                return self._go(c, out, run, here, stale, f"tap on an older '{msg.payload}'")

        if session.pending:
            option = self._answer_to_pending(c, session, text)
            session.pending = []
            if option is not None:
                return self._go(c, out, run, here, option, "an answer to 'which one?'")

        if st.ask is not None:
            tokens = c.matcher.normalise(text)
            intent = c.matcher.intent_exact.get(tokens)
            if intent is not None:
                return self._go(c, out, run, here, intent, "an intent while asking")
            return self._answer(c, out, run, st, text, fresh)

        if not text:
            return self._fallback(c, out, st, fresh, "an empty message")
        if fresh and text.strip().isdigit():
            # A number means nothing in a menu the resident has not seen (yet, or any more).
            self._unmatched(out, here, msg, text)
            return self._fallback(c, out, st, fresh, "a number before any menu")
        match: Match = c.matcher.match(st, text)
        out.why = match.why
        if match.target is not None:
            return self._go(c, out, run, here, match.target, match.why)
        if match.ambiguous:
            return self._ask_which(c, out, match.options)
        self._unmatched(out, here, msg, text)
        return self._fallback(c, out, st, fresh, match.why)

    def _fallback(self, c: Compiled, out: Outcome, st: StateSpec, fresh: bool, why: str) -> None:
        out.why = why
        here = st.ref
        if fresh:  # a first message we do not understand is still a hello: show the menu
            out.plan.append(_Say(state=here))
            return
        flow = c.bundle.flows[here.dialog]
        text = st.fallback or flow.fallback or c.bundle.texts.fallback
        choices = tuple(Choice(ch.id, ch.label, ch.description) for ch in st.choices)
        if st.ask is not None:
            out.plan.append(_Say(text))
            out.plan.append(_Say(state=here))
        else:
            out.plan.append(_Say(text, choices=choices))

    def _ask_which(self, c: Compiled, out: Outcome, options: tuple[Target, ...]) -> None:
        session = out.session
        session.pending = [[t.key, short_label(t.label)] for t in options]
        choices = tuple(Choice(k, label) for k, label in session.pending)
        out.plan.append(_Say(c.bundle.texts.ambiguous, choices=choices))

    def _stale_tap(self, c: Compiled, choice_id: str, title: str) -> Target | None:
        """A button from an older message: honour it if its id and title name one target."""
        label = c.matcher.normalise(title)
        targets = {
            ch.target
            for f in c.bundle.flows.values()
            for st in f.states.values()
            for ch in st.choices
            if ch.id == choice_id and c.matcher.normalise(ch.label) == label
        }
        if len(targets) != 1:
            return None
        ref = targets.pop()
        return Target("topic", title, ref)

    def _pending_option(self, c: Compiled, session: Session, key: str) -> Target | None:
        for k, label in session.pending:
            if k == key:
                session.pending = []
                return self._target_for_key(c, k, label)
        return None

    def _answer_to_pending(self, c: Compiled, session: Session, text: str) -> Target | None:
        tokens = c.matcher.normalise(text)
        for i, (k, label) in enumerate(session.pending, 1):
            if tokens == (str(i),) or tokens == c.matcher.normalise(label):
                return self._target_for_key(c, k, label)
        return None

    def _target_for_key(self, c: Compiled, key: str, label: str) -> Target | None:
        if key.startswith("intent:"):
            intent = next((i for i in c.bundle.intents if i.id == key[7:]), None)
            return Target("intent", label, intent.target, intent=intent) if intent else None
        dialog, _, state = key.partition(".")
        ref = StateRef(dialog, state)
        return Target("topic", label, ref) if c.bundle.has(ref) else None

    def _answer(
        self, c: Compiled, out: Outcome, run: Run, st: StateSpec, text: str, fresh: bool
    ) -> None:
        assert st.ask is not None and st.next is not None
        ask = st.ask
        session = out.session
        if fresh:  # the greeting came first; ask the question rather than judge the hello
            out.plan.append(_Say(state=st.ref))
            return
        skip = {c.matcher.normalise(w) for w in c.bundle.texts.skip_words}
        if ask.optional and c.matcher.normalise(text) in skip | {()}:
            session.slots[ask.slot] = ""
            return self._go(
                c, out, run, st.ref, Target("topic", "", st.next), "skipped", trigger="next"
            )
        birth = parse_date(session.slots.get("tanggal_lahir", "")) if ask.type == "nik" else None
        result = check(ask.type, text, ask.min, ask.max, birth)
        shown = mask(text) if ask.type in PERSONAL_SLOT_TYPES else text[:40]
        if result.ok:
            session.slots[ask.slot] = result.value
            session.retries = 0
            if result.warning:
                out.plan.append(_Say(result.warning, literal=True))
            return self._go(
                c,
                out,
                run,
                st.ref,
                Target("topic", "", st.next),
                f"a valid {ask.type} for '{ask.slot}'",
                trigger="next",
            )
        session.retries += 1
        out.why = f"an invalid {ask.type} for '{ask.slot}' ({shown!r}), try {session.retries}"
        if session.retries >= GIVEUP_AFTER:
            session.retries = 0
            options = [Target("topic", "Ulangi jawaban", st.ref)]
            if c.operator is not None:
                options.append(Target("topic", "Tanya petugas", c.operator))
            options.append(Target("topic", "Menu utama", c.bundle.start))
            session.pending = [[t.key, short_label(t.label)] for t in options]
            out.plan.append(
                _Say(
                    c.bundle.texts.giveup, choices=tuple(Choice(k, lb) for k, lb in session.pending)
                )
            )
            return
        out.plan.append(_Say(result.problem, literal=True))
        out.plan.append(_Say(ask.reprompt))
        if session.retries >= 2:
            out.plan.append(_Say(ask.example))

    def _go(
        self,
        c: Compiled,
        out: Outcome,
        run: Run,
        here: StateRef,
        target: Target,
        why: str,
        trigger: str = "",
    ) -> None:
        session = out.session
        out.why = why
        intent = target.intent
        if intent is not None and intent.action == "help":
            out.plan.append(_Say(c.bundle.texts.help))
            out.plan.append(_Say(state=here))
            return
        ref = target.ref
        if intent is not None and intent.action == "back":
            st = c.bundle.state(here)
            start = StateRef(here.dialog, c.bundle.flows[here.dialog].start)
            ref = st.back or (start if here != start else c.bundle.start)
            trigger = "back" if st.back else ""
        if ref is None:
            return self._fallback(c, out, c.bundle.state(here), False, why)
        if target.source == "choice":
            trigger = f"choice:{target.choice_id}"
        run.slots = session.slots
        new = c.machines.move(run, here, trigger, ref)
        session.dialog, session.state = new.dialog, new.state
        session.retries = 0
        session.pending = []
        out.effects += run.effects
        run.effects = []
        out.trace.append((here, new, trigger))
        self._visit(out, new)
        out.plan.append(_Say(state=new))

    # -- for developers -------------------------------------------------------------------

    def describe(self, session: Session | None) -> str:
        """State and slots, personal data masked: what /debug shows."""
        if session is None:
            return "(no session yet)"
        types = self.compiled.slot_types
        slots = {
            k: (mask_number(v) if types.get(k) in PERSONAL_SLOT_TYPES else v)
            for k, v in session.slots.items()
        }
        return (
            f"state={session.dialog}.{session.state} version={session.version} "
            f"slots={slots} retries={session.retries} pending={session.pending}"
        )
