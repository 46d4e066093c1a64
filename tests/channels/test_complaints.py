"""Complaints after the ticket: officers move the status, residents are told and can ask."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from botcore.engine import Engine
from botcore.mailbox import Mailbox
from botcore.messages import IncomingMessage
from botcore.sessions import SQLiteStore
from botcore.spec import DialogBundle
from channels.cli import main
from channels.whatsapp.render import to_whatsapp
from channels.worker import Worker
from tests.channels.test_worker import Outlets
from tests.conftest import WIB

RESIDENT = "6281234567890"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "loket.db"
    monkeypatch.setenv("LOKET_STORE", f"sqlite:///{path}")
    for name, value in {
        "WHATSAPP_VERIFY_TOKEN": "v",
        "WHATSAPP_APP_SECRET": "s",
        "WHATSAPP_ACCESS_TOKEN": "t",
        "WHATSAPP_PHONE_NUMBER_ID": "1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return path


def file_complaint(db: Path, name: str = "") -> str:
    async def go() -> str:
        store = SQLiteStore(db)
        data = {"isi": "Antrean perekaman sangat lama", **({"nama": name} if name else {})}
        ticket = await store.open_complaint(
            f"whatsapp:{RESIDENT}", data, datetime(2026, 12, 7, 9, 0, tzinfo=WIB)
        )
        await store.close()
        return ticket

    return asyncio.run(go())


def deliver(db: Path, bundle: DialogBundle) -> Mailbox:
    """What the worker does with the notice: it goes out on the resident's channel."""
    store = SQLiteStore(db)
    mailbox = Mailbox(store)
    worker = Worker(
        Engine(bundle, store), store, mailbox, Outlets(renderers={"whatsapp": to_whatsapp})
    )
    asyncio.run(worker.answer(mailbox.pending()))
    return mailbox


def test_an_officer_moves_a_complaint_and_the_resident_is_told(
    db: Path, capsys: pytest.CaptureFixture[str], bundle: DialogBundle
) -> None:
    ticket = file_complaint(db)
    assert main(["complaints", "set", ticket, "diproses", "--officer", "Rina"]) == 0
    assert "DIPROSES" in capsys.readouterr().out
    mailbox = deliver(db, bundle)
    store = mailbox.store
    [row] = mailbox.outbox("whatsapp")
    assert row.recipient == RESIDENT and row.status == "queued"
    assert ticket in row.body["text"]["body"] and "DIPROSES" in row.body["text"]["body"]
    events = store.db.execute("SELECT status, officer FROM complaint_events").fetchall()
    assert events == [("diproses", "Rina")]
    store.db.close()


def test_a_rejection_needs_a_reason_the_resident_reads(
    db: Path, capsys: pytest.CaptureFixture[str], bundle: DialogBundle
) -> None:
    ticket = file_complaint(db)
    assert main(["complaints", "set", ticket, "ditolak"]) == 2
    assert (
        main(["complaints", "set", ticket, "ditolak", "--reason", "bukan wewenang kecamatan"]) == 0
    )
    mailbox = deliver(db, bundle)
    store = mailbox.store
    [row] = mailbox.outbox("whatsapp")
    assert "DITOLAK" in row.body["text"]["body"]
    assert "bukan wewenang kecamatan" in row.body["text"]["body"]
    store.db.close()


def test_unknown_ticket(db: Path) -> None:
    file_complaint(db)
    assert main(["complaints", "set", "ADU-2026-999999", "selesai"]) == 1


def test_the_list_hides_the_name_of_anonymous_complaints(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file_complaint(db, name="Budi Santoso")
    file_complaint(db)
    assert main(["complaints", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Budi Santoso" in lines[0] and "(anonim)" in lines[1]


def test_the_resident_asks_for_the_status(db: Path, bundle: DialogBundle) -> None:
    ticket = file_complaint(db)
    assert main(["complaints", "set", ticket, "selesai"]) == 0

    async def ask() -> str:
        store = SQLiteStore(db)
        engine = Engine(bundle, store, clock=lambda: datetime(2026, 12, 8, 9, 0, tzinfo=WIB))
        await engine.handle(IncomingMessage("whatsapp", RESIDENT, "cek tiket"))
        replies = await engine.handle(IncomingMessage("whatsapp", RESIDENT, ticket.lower()))
        await store.close()
        return replies[0].text

    answer = asyncio.run(ask())
    assert ticket in answer and "SELESAI" in answer
    assert "Antrean" not in answer  # the status only: never the content


def test_a_status_notice_leaves_the_conversation_where_it_is(
    db: Path, bundle: DialogBundle
) -> None:
    """A resident in the middle of something, silent for an hour: the notice arrives on its
    own, with no greeting and no 'we start over', and their next word continues there."""
    ticket = file_complaint(db)
    clock = [datetime(2026, 12, 8, 9, 0, tzinfo=WIB)]

    async def start() -> tuple[str, str]:
        store = SQLiteStore(db)
        engine = Engine(bundle, store, clock=lambda: clock[0])
        await engine.handle(IncomingMessage("whatsapp", RESIDENT, "ktp"))
        before = await store.load(f"whatsapp:{RESIDENT}")
        assert before is not None
        await store.close()
        return before.dialog, before.state

    dialog, state = asyncio.run(start())
    clock[0] += timedelta(hours=1)
    assert main(["complaints", "set", ticket, "diproses", "--officer", "Rina"]) == 0
    store = SQLiteStore(db)
    mailbox = Mailbox(store)
    worker = Worker(
        Engine(bundle, store, clock=lambda: clock[0]),
        store,
        mailbox,
        Outlets(renderers={"whatsapp": to_whatsapp}),
    )
    asyncio.run(worker.answer(mailbox.pending()))
    [row] = mailbox.outbox("whatsapp")
    text = row.body["text"]["body"]
    assert text.startswith(f"Kabar pengaduan Anda *{ticket}*")
    assert bundle.texts.greeting not in text and bundle.texts.idle_restart not in text
    after = asyncio.run(store.load(f"whatsapp:{RESIDENT}"))
    assert after is not None and (after.dialog, after.state) == (dialog, state)
    store.db.close()
