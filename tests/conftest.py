"""Shared fixtures: the bundled dialogs, a small fixed dialog set, engines with a frozen clock."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from botcore.engine import Engine
from botcore.messages import IncomingMessage, Kind, Reply
from botcore.sessions import MemoryStore
from botcore.spec import DialogBundle, load_dialogs

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "dialogs" / "mini"
WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A writable copy of the small dialog set, for editing and breaking."""
    dest = tmp_path / "dialogs"
    shutil.copytree(MINI, dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """An editor's change: the first `old` in the file becomes `new`."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.fixture(scope="session")
def mini_bundle() -> DialogBundle:
    return load_dialogs(MINI)


@pytest.fixture(scope="session")
def bundle() -> DialogBundle:
    return load_dialogs(ROOT / "dialogs")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class Chat:
    """A resident talking to an engine, as errbot's testbot does: say, tap, read replies."""

    def __init__(
        self, engine: Engine, clock: Clock, sender: str = "6281234567890", channel: str = "console"
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.sender = sender
        self.channel = channel
        self.replies: list[Reply] = []

    async def send(self, text: str = "", kind: Kind = Kind.TEXT, payload: str = "") -> list[Reply]:
        self.clock.advance(seconds=5)
        msg = IncomingMessage(self.channel, self.sender, text, kind, payload)
        self.replies = await self.engine.handle(msg)
        return self.replies

    async def say(self, text: str) -> str:
        return self.text_of(await self.send(text))

    async def tap(self, choice_id: str) -> str:
        label = next((c.label for r in self.replies for c in r.choices if c.id == choice_id), "")
        return self.text_of(await self.send(label, Kind.CHOICE, choice_id))

    @staticmethod
    def text_of(replies: list[Reply]) -> str:
        return "\n".join(r.text for r in replies)

    @property
    def choices(self) -> list[str]:
        return [c.label for r in self.replies for c in r.choices]

    async def state(self) -> str:
        s = await self.engine.store.load(f"{self.channel}:{self.sender}")
        assert s is not None
        return f"{s.dialog}.{s.state}"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 7, 9, 0, tzinfo=WIB))  # a Monday, the office is open


@pytest.fixture
def make_chat(clock: Clock) -> Callable[[DialogBundle], Chat]:
    def make(b: DialogBundle) -> Chat:
        return Chat(Engine(b, MemoryStore(), clock=clock), clock)

    return make


@pytest.fixture
def mini_chat(mini_bundle: DialogBundle, make_chat: Callable[[DialogBundle], Chat]) -> Chat:
    return make_chat(mini_bundle)
