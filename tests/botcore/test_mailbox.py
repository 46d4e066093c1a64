"""The durable inbox and outbox: dedupe, per-recipient order, statuses that only move forward."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from botcore.mailbox import Mailbox, Outgoing
from botcore.messages import IncomingMessage
from botcore.sessions import SQLiteStore
from channels.inbox import InboxWriter


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    store = SQLiteStore(":memory:")
    yield Mailbox(store)
    store.db.close()


def msg(sender: str, mid: str) -> IncomingMessage:
    return IncomingMessage("whatsapp", sender, "halo", message_id=mid)


def test_a_message_id_is_accepted_once(mailbox: Mailbox) -> None:
    with mailbox.transaction():
        assert mailbox.accept([msg("628", "w1"), msg("628", "w2")], 1.0) == [True, True]
        assert mailbox.accept([msg("628", "w1")], 2.0) == [False]
    assert [i.message.message_id for i in mailbox.pending()] == ["w1", "w2"]


def test_outbox_delivers_in_order_per_recipient(mailbox: Mailbox) -> None:
    mailbox.queue([Outgoing("whatsapp", "a", "k", {"n": i}) for i in range(3)], 0)
    mailbox.queue([Outgoing("whatsapp", "b", "k", {"n": 9})], 0)
    due = mailbox.due("whatsapp", 1.0)
    assert [(d.recipient, d.body["n"]) for d in due] == [("a", 0), ("b", 9)]
    mailbox.sending(due[0].id, 1.0)
    assert [d.recipient for d in mailbox.due("whatsapp", 1.0)] == ["b"]  # a's 2nd waits
    mailbox.retry(due[0].id, 10.0, 130429, "rate", 1.0)
    assert [d.recipient for d in mailbox.due("whatsapp", 5.0)] == ["b"]  # a waits for 10.0
    mailbox.sent(due[0].id, "wamid.1", 11.0)
    assert [(d.recipient, d.body["n"]) for d in mailbox.due("whatsapp", 11.0)] == [
        ("a", 1),
        ("b", 9),
    ]


def test_statuses_only_move_forward(mailbox: Mailbox) -> None:
    mailbox.queue([Outgoing("whatsapp", "a", "k", {})], 0)
    [item] = mailbox.due("whatsapp", 1.0)
    mailbox.sent(item.id, "wamid.1", 1.0)
    for status in ("read", "delivered", "sent"):
        assert mailbox.status("wamid.1", status, 2.0)
    assert mailbox.outbox()[0].status == "read"
    mailbox.status("wamid.1", "failed", 3.0, 131047, "late")  # after read: ignored
    assert mailbox.outbox()[0].status == "read"
    assert not mailbox.status("wamid.unknown", "read", 3.0)


def test_a_status_finds_a_row_caught_mid_send_by_its_callback_data(mailbox: Mailbox) -> None:
    mailbox.queue([Outgoing("whatsapp", "a", "k", {})], 0)
    [item] = mailbox.due("whatsapp", 1.0)
    mailbox.sending(item.id, 1.0)  # ... and the process died here
    assert mailbox.recover("whatsapp", grace_until=100.0) == 1
    assert mailbox.due("whatsapp", 50.0) == []  # waits for a status first
    assert mailbox.status("wamid.9", "sent", 2.0, callback_data=f"loket:{item.id}")
    row = mailbox.outbox()[0]
    assert (row.status, row.platform_id) == ("sent", "wamid.9")  # not sent again


def test_the_window(mailbox: Mailbox) -> None:
    with mailbox.transaction():
        mailbox.accept([IncomingMessage("whatsapp", "628", "x", message_id="w")], 0)
    [pending] = mailbox.pending()
    with mailbox.transaction():
        mailbox.done(pending, [], 0)
    assert mailbox.window_open("whatsapp", "628", 3600, 1800)
    assert not mailbox.window_open("whatsapp", "628", 23.6 * 3600, 1800)  # in the margin
    mailbox.close_window("whatsapp", "628")
    assert not mailbox.window_open("whatsapp", "628", 3600, 1800)


async def test_webhooks_of_one_loop_turn_share_one_commit(mailbox: Mailbox) -> None:
    woken: list[int] = []
    writer = InboxWriter(mailbox, on_new=woken.append)
    await asyncio.gather(*(writer.record("whatsapp", b"{%d}" % i) for i in range(5)))
    assert writer.commits == 1
    assert woken == [5]
    assert [body for _, _, body in mailbox.webhooks()] == [b"{%d}" % i for i in range(5)]
