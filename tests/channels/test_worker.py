"""The inbox worker: answers in arrival order, one transaction per message, never silently."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from botcore.engine import Engine
from botcore.mailbox import Mailbox
from botcore.messages import IncomingMessage, Reply
from botcore.sessions import SQLiteStore
from botcore.spec import DialogBundle
from channels.worker import Prelude, Reader, Renderer, Worker


@dataclass
class Outlets:
    renderers: dict[str, Renderer] = field(default_factory=dict)
    readers: dict[str, Reader] = field(default_factory=dict)
    preludes: dict[str, Prelude] = field(default_factory=dict)
    poked: list[str] = field(default_factory=list)

    def poke(self, channel: str) -> None:
        self.poked.append(channel)


def as_text(reply: Reply, to: str) -> list[dict[str, Any]]:
    return [{"to": to, "text": reply.text}]


@pytest.fixture
def parts(mini_bundle: DialogBundle) -> Iterator[tuple[Worker, Mailbox, Outlets]]:
    store = SQLiteStore(":memory:")
    mailbox = Mailbox(store)
    outlets = Outlets(renderers={"test": as_text})
    yield Worker(Engine(mini_bundle, store), store, mailbox, outlets), mailbox, outlets
    store.db.close()


def accept(mailbox: Mailbox, *texts: str, sender: str = "628", channel: str = "test") -> None:
    with mailbox.transaction():
        mailbox.accept(
            [
                IncomingMessage(channel, sender, t, message_id=f"m{i}-{t}")
                for i, t in enumerate(texts)
            ],
            0,
        )


async def test_answers_in_arrival_order(parts: tuple[Worker, Mailbox, Outlets]) -> None:
    worker, mailbox, outlets = parts
    accept(mailbox, "halo", "1", "hilang")
    await worker.answer(mailbox.pending())
    texts = [row.body["text"] for row in mailbox.outbox()]
    assert "Menu utama" in texts[0] and "Layanan KTP-el" in texts[1] and "Kepolisian" in texts[2]
    assert mailbox.pending() == [] and outlets.poked == ["test"]
    assert [row.reply_to for row in mailbox.outbox()] == ["m0-halo", "m1-1", "m2-hilang"]


async def test_effects_commit_with_the_answer(parts: tuple[Worker, Mailbox, Outlets]) -> None:
    worker, mailbox, _ = parts
    accept(mailbox, "pengaduan", "antrean di loket sangat lama", "lewati", "1771044506050001")
    await worker.answer(mailbox.pending())
    assert re.search(r"Tiket: ADU-\d{4}-000001", mailbox.outbox()[-1].body["text"])
    tickets = mailbox.db.execute("SELECT ticket FROM complaints").fetchall()
    assert len(tickets) == 1


async def test_report_notes_commit_with_the_answer_or_not_at_all(
    parts: tuple[Worker, Mailbox, Outlets], monkeypatch: pytest.MonkeyPatch
) -> None:
    worker, mailbox, _ = parts
    accept(mailbox, "halo")
    await worker.answer(mailbox.pending())
    done = mailbox.done

    def crash(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(mailbox, "done", crash)
    accept(mailbox, "apa kabar", sender="628")
    await worker.answer(mailbox.pending())
    assert await worker.store.unmatched() == []  # rolled back with the session and answer
    [conversation] = await worker.store.conversations()
    assert conversation.states == ("main.menu",)
    monkeypatch.setattr(mailbox, "done", done)
    accept(mailbox, "1", "apa kabar")
    await worker.answer(mailbox.pending())
    assert [u.text for u in await worker.store.unmatched()] == ["apa kabar"]
    [conversation] = await worker.store.conversations()
    assert conversation.states == ("main.menu", "ktp.menu")


async def test_a_failing_step_is_answered_with_the_fallback(
    parts: tuple[Worker, Mailbox, Outlets], monkeypatch: pytest.MonkeyPatch
) -> None:
    worker, mailbox, _ = parts

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(worker.engine, "step", broken)
    accept(mailbox, "halo")
    await worker.answer(mailbox.pending())
    assert "Maaf, saya belum paham" in mailbox.outbox()[0].body["text"]
    assert mailbox.pending() == []


async def test_a_message_for_an_unmounted_channel_is_kept_failed(
    parts: tuple[Worker, Mailbox, Outlets],
) -> None:
    worker, mailbox, _ = parts
    accept(mailbox, "halo", channel="nowhere")
    await worker.answer(mailbox.pending())
    assert mailbox.outbox() == []
    assert mailbox.db.execute("SELECT status FROM inbox").fetchall() == [("failed",)]
