"""Live reload of the dialogs: watch the folder, check a new version whole, swap only a good one.

An editor saves a YAML file while residents are mid-conversation. The watcher notices (it
compares names, sizes and modification times every second, and waits until the folder has
stopped changing), loads the whole folder, runs every check and the conversation tests, and
only if all pass hands the new bundle over. A version with any problem is never served: the
last good one stays, and every problem is reported, with file and line.

The swap itself is the engine's: `Engine.reload` replaces one reference, and each message
keeps the version it started with, so a swap always falls between two messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DialogSpecError, Problem
from .spec import DialogBundle, StateRef, load_dialogs

log = logging.getLogger("loket.reload")

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A new version that was not swapped in, and why."""

    problems: tuple[Problem, ...] = ()
    failures: tuple[str, ...] = ()  # conversation tests that failed

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems] + [f"test failed: {f}" for f in self.failures]


def fingerprint(root: Path) -> Fingerprint:
    """What changes when an editor saves: every YAML file's name, size and mtime."""
    out = []
    for path in sorted(root.rglob("*.yaml")):
        try:
            st = path.stat()
        except FileNotFoundError:  # removed while we looked
            continue
        out.append((str(path.relative_to(root)), st.st_size, st.st_mtime_ns))
    return tuple(out)


def check_version(root: Path, run_tests: bool = True) -> DialogBundle | Rejection:
    """Load and check a dialog folder; with `run_tests`, its conversation tests must pass too.
    Blocking (reads files, runs the tests): call it in a thread."""
    try:
        bundle = load_dialogs(root)
    except DialogSpecError as exc:
        return Rejection(problems=tuple(p for p in exc.problems if p.severity == "error"))
    if run_tests and (root / "tests").is_dir():
        from .convtest import run_tests as conversation_tests

        report = asyncio.run(conversation_tests(bundle))
        if not report.ok:
            return Rejection(tuple(report.problems), tuple(str(f) for f in report.failures))
    return bundle


@dataclass
class DialogWatcher:
    """Watches `root` and calls `swap` with each new good version, `reject` with each bad one."""

    root: Path
    swap: Callable[[DialogBundle], None]
    reject: Callable[[Rejection], None]
    run_tests: bool = True
    interval: float = 1.0
    settle: float = 0.3  # an editor may save several files in a row
    last: Fingerprint = field(default=(), init=False)

    def __post_init__(self) -> None:
        self.last = fingerprint(self.root)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll()
            except Exception:  # the watcher must outlive any surprise in a file
                log.exception("checking the dialogs for changes failed")

    async def poll(self) -> bool:
        """Look once; load, check and swap or reject if anything changed. True if swapped."""
        now = await asyncio.to_thread(fingerprint, self.root)
        if now == self.last:
            return False
        while True:  # wait until the folder stops changing
            await asyncio.sleep(self.settle)
            settled = await asyncio.to_thread(fingerprint, self.root)
            if settled == now:
                break
            now = settled
        self.last = now
        result = await asyncio.to_thread(check_version, self.root, self.run_tests)
        if isinstance(result, Rejection):
            for line in result.lines():
                log.error("dialogs not reloaded: %s", line)
            log.error(
                "the edited dialogs have %d problem(s); the last good version stays in use",
                len(result.lines()),
            )
            self.reject(result)
            return False
        log.info("dialogs reloaded: version %s", result.version)
        self.swap(result)
        return True


@dataclass(frozen=True, slots=True)
class Move:
    """Where residents in a state of the old version go under the new one."""

    old: StateRef
    new: StateRef
    how: str  # 'renamed', 'moved_to', 'nearest menu'


def plan(old: DialogBundle, new: DialogBundle) -> list[Move]:
    """Every state of `old` that `new` no longer has, and where its residents will go: the
    same rules the engine follows when such a resident writes."""
    declared = new.moves()
    out = []
    for flow in old.flows.values():
        for st in flow.states.values():
            if new.has(st.ref):
                continue
            target, kind = declared.get(st.ref, (new.nearest_menu(st.ref), ""))
            how = {"renamed": "renamed", "moved": "moved_to"}.get(kind, "nearest menu")
            out.append(Move(st.ref, target, how))
    return out


def added(old: DialogBundle, new: DialogBundle) -> list[StateRef]:
    return [st.ref for f in new.flows.values() for st in f.states.values() if not old.has(st.ref)]
