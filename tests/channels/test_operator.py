"""The officers' queue: reminders counted in office hours, carried over across closing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime

import pytest

from botcore.engine import Engine
from botcore.hours import Schedule
from botcore.mailbox import Mailbox
from botcore.sessions import SQLiteStore
from botcore.spec import DialogBundle
from channels.operator import act, queue, remind_waiting
from channels.worker import Worker
from tests.channels.test_worker import Outlets, as_text
from tests.conftest import WIB


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=WIB)


@pytest.fixture
def store() -> Iterator[SQLiteStore]:
    s = SQLiteStore(":memory:")
    yield s
    s.db.close()


def ask(store: SQLiteStore, when: str, key: str = "test:628") -> int:
    request, _ = asyncio.run(
        store.request_operator(key, {"pertanyaan": "Bisa hari Sabtu?"}, [], at(when))
    )
    return request


def test_reminders_count_office_hours_only(store: SQLiteStore, bundle: DialogBundle) -> None:
    assert bundle.schedule is not None
    schedule = Schedule(bundle.schedule)
    ask(store, "2026-12-07 09:00")  # Monday
    assert remind_waiting(store, schedule, 2, at("2026-12-07 10:30").timestamp()) == 0
    assert remind_waiting(store, schedule, 2, at("2026-12-07 12:30").timestamp()) == 1
    # the next one counts from the reminder: the 12.00-13.00 break does not count
    assert remind_waiting(store, schedule, 2, at("2026-12-07 14:00").timestamp()) == 0
    assert remind_waiting(store, schedule, 2, at("2026-12-07 15:05").timestamp()) == 1


def test_a_request_carries_over_the_weekend(store: SQLiteStore, bundle: DialogBundle) -> None:
    assert bundle.schedule is not None
    schedule = Schedule(bundle.schedule)
    ask(store, "2026-12-11 16:00")  # Friday, half an hour before closing
    assert remind_waiting(store, schedule, 2, at("2026-12-14 08:00").timestamp()) == 0
    assert remind_waiting(store, schedule, 2, at("2026-12-14 09:01").timestamp()) == 1
    assert [r.status for r in queue(store)] == ["open"]  # nothing lost at closing time


def test_taken_requests_get_no_reminder(store: SQLiteStore, bundle: DialogBundle) -> None:
    request = ask(store, "2026-12-07 09:00")
    act(store, request, "take", "Rina")
    assert bundle.schedule is not None
    later = at("2026-12-07 15:00").timestamp()
    assert remind_waiting(store, Schedule(bundle.schedule), 2, later) == 0


def test_the_resident_is_told_it_is_still_queued(store: SQLiteStore, bundle: DialogBundle) -> None:
    mailbox = Mailbox(store)
    request = ask(store, "2026-12-07 09:00")
    act(store, request, "remind", "")
    worker = Worker(Engine(bundle, store), store, mailbox, Outlets(renderers={"test": as_text}))
    asyncio.run(worker.answer(mailbox.pending()))
    [row] = mailbox.outbox()
    assert "masih dalam antrean" in row.body["text"] and row.recipient == "628"
