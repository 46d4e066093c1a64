"""The officer's console (`loket operator`): the queue, taking, replying and closing.

An officer's action does not touch the resident's session itself: it goes into the inbox as
an OPERATOR message of that conversation, so the worker applies it in order with whatever the
resident writes meanwhile, and the reply leaves on the resident's own channel.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from botcore.mailbox import Mailbox
from botcore.messages import IncomingMessage, Kind
from botcore.sessions import Session, SQLiteStore


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    key: str
    status: str
    question: str
    officer: str
    waiting_minutes: int
    recent: list[str]


def queue(store: SQLiteStore, now: float | None = None) -> list[Request]:
    """Requests still open or taken, oldest first, with the last turns of each."""
    now = now or time.time()
    with store.lock:
        rows = store.db.execute(
            "SELECT id, key, status, data, COALESCE(officer, ''), created_at "
            "FROM operator_requests WHERE status IN ('open', 'taken') ORDER BY id"
        ).fetchall()
    out = []
    for rid, key, status, data, officer, created in rows:
        with store.lock:
            raw = store.db.execute("SELECT data FROM sessions WHERE key = ?", (key,)).fetchone()
        turns = Session.from_json(raw[0]).turns[-6:] if raw else []
        recent = [f"{'warga' if t.who == 'in' else 'bot'}: {t.text[:80]}" for t in turns]
        question = json.loads(data).get("pertanyaan", "")
        out.append(Request(rid, key, status, question, officer, int((now - created) // 60), recent))
    return out


def act(store: SQLiteStore, request: int, action: str, officer: str, text: str = "") -> str:
    """Record an officer's action and queue it for the worker; returns the conversation key."""
    now = time.time()
    mailbox = Mailbox(store)
    with store.transaction():
        row = store.db.execute(
            "SELECT key, status FROM operator_requests WHERE id = ?", (request,)
        ).fetchone()
        if row is None or row[1] not in ("open", "taken"):
            raise LookupError(f"request {request} is not waiting for an officer")
        key = str(row[0])
        if action == "take":
            store.db.execute(
                "UPDATE operator_requests SET status = 'taken', officer = ?, taken_at = ? "
                "WHERE id = ?",
                (officer, now, request),
            )
        elif action == "reply":
            store.db.execute(
                "UPDATE operator_requests SET status = 'taken', officer = COALESCE(officer, ?), "
                "taken_at = COALESCE(taken_at, ?), first_response_at = "
                "COALESCE(first_response_at, ?) WHERE id = ?",
                (officer, now, now, request),
            )
        elif action == "close":
            store.db.execute(
                "UPDATE operator_requests SET status = 'closed', closed_at = ? WHERE id = ?",
                (now, request),
            )
        else:
            raise ValueError(f"unknown action {action}")
        channel, _, sender = key.partition(":")
        message = IncomingMessage(
            channel,
            sender,
            text,
            Kind.OPERATOR,
            action,
            message_id=f"op-{request}-{action}-{time.time_ns()}",
            time=datetime.now(UTC),
            extra={"officer": officer, "request": request},
        )
        mailbox.accept([message], now)
    return key
