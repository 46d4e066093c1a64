"""Conversation tests written by content editors (dialogs/tests/*.yaml), run through the engine.

    tests:
      - name: KTP hilang lewat menu
        now: "2026-12-07 09:00"      # optional, local office time; default Monday 09.00
        turns:
          - say: halo
            expect: {state: main.menu, contains: [Menu utama], choices: [KTP-el]}
          - tap: ktp                   # a button tap, by choice id
            expect: {contains: Layanan KTP-el}

`expect` keys: state, contains, not_contains (text or list; case-insensitive), matches (a
regular expression), choices (labels or ids that must be offered). The format is declared with
the dialogs' own (spec.FIELDS: tests, test, turn, expect) and checked before anything runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from .engine import Engine
from .errors import Problem
from .lint import edges
from .messages import IncomingMessage, Kind, Reply
from .sessions import MemoryStore
from .spec import DialogBundle, StateRef, check_format
from .yamlpos import MarkedList, MarkedMap, load_yaml

DEFAULT_NOW: Final = "2026-12-07 09:00"  # a Monday, office open
TURN_GAP: Final = timedelta(seconds=20)


@dataclass(slots=True)
class Failure:
    file: str
    line: int
    test: str
    turn: int
    message: str
    replies: list[Reply]

    def __str__(self) -> str:
        shown = "\n".join(
            "      | " + line
            for r in self.replies
            for line in (r.text.splitlines() + [f"[{c.id}] {c.label}" for c in r.choices])
        )
        return (
            f"{self.file}:{self.line}: '{self.test}', turn {self.turn}: {self.message}\n"
            f"    the bot answered:\n{shown or '      | (nothing)'}"
        )


@dataclass(slots=True)
class Report:
    tests: int = 0
    failures: list[Failure] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    states_seen: set[StateRef] = field(default_factory=set)
    moves_seen: set[tuple[str, str]] = field(default_factory=set)
    states_total: int = 0
    moves_total: int = 0
    unvisited: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problems and self.tests > 0

    def coverage_line(self) -> str:
        seen_moves = len(self.moves_seen)
        return (
            f"states visited: {len(self.states_seen)}/{self.states_total} "
            f"({_pct(len(self.states_seen), self.states_total)}), transitions visited: "
            f"{seen_moves}/{self.moves_total} ({_pct(seen_moves, self.moves_total)})"
        )


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "n/a"


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _parse_now(text: str, tz: ZoneInfo) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=tz)


async def run_tests(bundle: DialogBundle, folder: Path | None = None) -> Report:
    folder = folder or Path(bundle.root) / "tests"
    report = Report()
    declared = {
        (str(st.ref), str(t))
        for f in bundle.flows.values()
        for st in f.states.values()
        for t, _, _ in edges(st)
    }
    report.moves_total = len(declared)
    report.states_total = sum(len(f.states) for f in bundle.flows.values())
    tz = ZoneInfo(bundle.schedule.timezone if bundle.schedule else "Asia/Jakarta")
    for path in sorted(folder.glob("*.yaml")):
        display = str(path)
        before = len(report.problems)
        data = load_yaml(path, display, report.problems)
        if len(report.problems) > before:
            continue
        problems = check_format(display, data, "tests", "the test file")
        if problems:
            report.problems += problems
            continue
        for test in data["tests"]:
            report.tests += 1
            await _run_one(bundle, display, test, tz, report, declared)
    report.unvisited = sorted(
        str(st.ref)
        for f in bundle.flows.values()
        for st in f.states.values()
        if st.ref not in report.states_seen
    )
    return report


async def _run_one(
    bundle: DialogBundle,
    file: str,
    test: MarkedMap,
    tz: ZoneInfo,
    report: Report,
    declared: set[tuple[str, str]],
) -> None:
    name = str(test.get("name", "(unnamed)"))
    try:
        now = _parse_now(str(test.get("now", DEFAULT_NOW)), tz)
    except ValueError:
        report.problems.append(
            Problem(
                file,
                test.value_pos.get("now", test.pos)[0],
                1,
                f"'now' of test '{name}' must look like {DEFAULT_NOW}",
            )
        )
        return
    store = MemoryStore()
    engine = Engine(bundle, store, clock=lambda: now)
    renamed = {
        str(old): str(new) for old, (new, how) in engine.compiled.moves.items() if how == "renamed"
    }
    channel = str(test.get("channel", "console"))
    sender = f"test-{abs(hash((file, name))) % 10**8}"
    replies: list[Reply] = []
    turns: MarkedList = test["turns"]
    for n, turn in enumerate(turns, 1):
        line = turns.item_pos[n - 1][0]
        expect = turn.get("expect") or MarkedMap()
        at = now + TURN_GAP * n
        if "tap" in turn:
            cid = str(turn["tap"])
            label = next((ch.label for r in replies for ch in r.choices if ch.id == cid), cid)
            msg = IncomingMessage(channel, sender, label, Kind.CHOICE, cid, time=at)
        else:
            kind = Kind(str(turn.get("kind", "text")))
            msg = IncomingMessage(channel, sender, str(turn.get("say", "")), kind, time=at)
        before = await store.load(msg.key)
        outcome = engine.step(before, msg, at)
        replies = await engine.finish(outcome, at)
        await store.save(outcome.session)
        session = outcome.session
        report.states_seen.add(StateRef(session.dialog, session.state))
        for src, dst, _ in outcome.trace:
            report.states_seen.add(dst)
            if (str(src), str(dst)) in declared:
                report.moves_seen.add((str(src), str(dst)))
        problem = _check(expect, replies, f"{session.dialog}.{session.state}", renamed)
        if problem:
            report.failures.append(Failure(file, line, name, n, problem, replies))
            return


def _check(
    expect: Any, replies: list[Reply], state: str, renamed: dict[str, str] | None = None
) -> str:
    if not isinstance(expect, dict):
        return ""
    text = "\n".join(r.text for r in replies)
    low = text.casefold()
    if "state" in expect and str(expect["state"]) != state:
        wanted = str(expect["state"])
        if (renamed or {}).get(wanted) == state:
            return (
                f"expected state {wanted}, which is now called {state} (renamed_from): "
                f"write 'state: {state}' in this test"
            )
        return f"expected state {wanted}, but the conversation is in {state}"
    for want in _texts(expect.get("contains")):
        if want.casefold() not in low:
            return f"expected the answer to contain {want!r}"
    for unwanted in _texts(expect.get("not_contains")):
        if unwanted.casefold() in low:
            return f"expected the answer not to contain {unwanted!r}"
    if "matches" in expect and not re.search(str(expect["matches"]), text, re.S):
        return f"expected the answer to match /{expect['matches']}/"
    offered = {x.casefold() for r in replies for ch in r.choices for x in (ch.id, ch.label)}
    for want in _texts(expect.get("choices")):
        if want.casefold() not in offered:
            return f"expected the choice {want!r} to be offered"
    return ""
