"""The officer's console (`loket operator`): the queue, taking, replying and closing.

An officer's action does not touch the resident's session itself: it goes into the inbox as
an OPERATOR message of that conversation, so the worker applies it in order with whatever the
resident writes meanwhile, and the reply leaves on the resident's own channel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from botcore.engine import Engine
from botcore.hours import Schedule
from botcore.mailbox import Mailbox
from botcore.messages import IncomingMessage, Kind
from botcore.sessions import Session, SQLiteStore

log = logging.getLogger("loket.operator")


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
        elif action == "remind":
            pass  # only the message to the resident
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


def remind_waiting(
    store: SQLiteStore, schedule: Schedule | None, after_hours: int, now: float | None = None
) -> int:
    """Tell residents whose request nobody took within `after_hours` of office hours that it
    is still queued (again after as long once more). Nothing is dropped at closing time: the
    clock simply stands still while the office is closed. Returns how many were reminded."""
    now = now or time.time()
    with store.lock:
        rows = store.db.execute(
            "SELECT id, COALESCE(reminded_at, created_at) FROM operator_requests "
            "WHERE status = 'open'"
        ).fetchall()
    due = []
    for rid, since in rows:
        start, end = datetime.fromtimestamp(since, UTC), datetime.fromtimestamp(now, UTC)
        waited = schedule.open_seconds(start, end) if schedule else now - since
        if waited >= after_hours * 3600:
            due.append(int(rid))
    for rid in due:
        with store.transaction():
            store.db.execute(
                "UPDATE operator_requests SET reminded_at = ? WHERE id = ?", (now, rid)
            )
        act(store, rid, "remind", "")
    return len(due)


async def keep_reminding(store: SQLiteStore, engine: Engine, every: float = 60.0) -> None:
    """The worker's reminder round, once a minute."""
    while True:
        await asyncio.sleep(every)
        bundle = engine.bundle
        try:
            remind_waiting(store, engine.compiled.renderer.schedule, bundle.remind_after_hours)
        except Exception:
            log.exception("the reminder round failed")
