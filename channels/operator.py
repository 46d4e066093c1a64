"""The officer's console (`loket operator`): the queue, taking, replying and closing.

An officer's action does not touch the resident's session itself: it goes into the inbox as
an OPERATOR message of that conversation, so the worker applies it in order with whatever the
resident writes meanwhile, and the reply leaves on the resident's own channel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botcore.complaints import notice
from botcore.engine import Engine
from botcore.hours import Schedule
from botcore.mailbox import Mailbox
from botcore.messages import IncomingMessage, Kind
from botcore.sessions import COMPLAINT_STATUSES, Complaint, Session, SQLiteStore
from botcore.validators import mask

log = logging.getLogger("loket.operator")
WHO = {"in": "warga", "out": "bot", "officer": "petugas"}


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
        recent = [f"{WHO.get(t.who, t.who)}: {t.text[:80]}" for t in turns]
        question = json.loads(data).get("pertanyaan", "")
        out.append(Request(rid, key, status, question, officer, int((now - created) // 60), recent))
    return out


def record(
    db: sqlite3.Connection,
    officer: str,
    action: str,
    target: str,
    detail: str = "",
    now: float | None = None,
) -> None:
    """One line of the audit log (who, when, what). Call inside the action's transaction, so
    that an action and its record are kept or lost together. Free text is masked."""
    db.execute(
        "INSERT INTO audit (at, officer, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (now or time.time(), officer, action, target, mask(detail)[:300]),
    )


def _queue_message(
    mailbox: Mailbox, key: str, action: str, officer: str, text: str, extra: dict[str, Any]
) -> None:
    channel, _, sender = key.partition(":")
    message = IncomingMessage(
        channel,
        sender,
        text,
        Kind.OPERATOR,
        action,
        message_id=f"op-{action}-{time.time_ns()}",
        time=datetime.now(UTC),
        extra={"officer": officer, **extra},
    )
    mailbox.accept([message], time.time())


def act(
    store: SQLiteStore, request: int, action: str, officer: str, text: str = "", via: str = "cli"
) -> str:
    """Record an officer's action and queue it for the worker; returns the conversation key."""
    now = time.time()
    mailbox = Mailbox(store)
    with store.transaction() as db:
        row = db.execute(
            "SELECT key, status, COALESCE(officer, '') FROM operator_requests WHERE id = ?",
            (request,),
        ).fetchone()
        if row is None or row[1] not in ("open", "taken"):
            raise LookupError(f"request {request} is not waiting for an officer")
        key = str(row[0])
        if action == "take":
            db.execute(
                "UPDATE operator_requests SET status = 'taken', officer = ?, taken_at = ? "
                "WHERE id = ?",
                (officer, now, request),
            )
        elif action == "reply":
            if not text.strip():
                raise ValueError("an empty reply is not sent")
            db.execute(
                "UPDATE operator_requests SET status = 'taken', officer = COALESCE(officer, ?), "
                "taken_at = COALESCE(taken_at, ?), first_response_at = "
                "COALESCE(first_response_at, ?) WHERE id = ?",
                (officer, now, now, request),
            )
        elif action == "remind":
            pass  # only the message to the resident
        elif action == "close":
            db.execute(
                "UPDATE operator_requests SET status = 'closed', closed_at = ?, "
                "officer = COALESCE(officer, ?) WHERE id = ?",
                (now, officer, request),
            )
        else:
            raise ValueError(f"unknown action {action}")
        if action != "remind":
            record(
                db, officer, action, f"request #{request}", f"{via}: {text}" if text else via, now
            )
        _queue_message(mailbox, key, action, officer, text, {"request": request})
    return key


def change_complaint(
    store: SQLiteStore, ticket: str, status: str, reason: str, officer: str, via: str = "cli"
) -> Complaint:
    """Move a complaint to a status, keep the change and its audit line, and tell the resident
    on their own channel (through the worker, in order with the rest of their conversation)."""
    if status not in COMPLAINT_STATUSES:
        raise ValueError(f"unknown status {status}")
    reason = reason.strip()
    if status == "ditolak" and not reason:
        raise ValueError("a rejection needs a reason, which the resident will read")
    now = time.time()
    mailbox = Mailbox(store)  # before the transaction: it may create its tables
    with store.transaction() as db:
        row = db.execute("SELECT key, data FROM complaints WHERE ticket = ?", (ticket,)).fetchone()
        if row is None:
            raise LookupError(f"no complaint {ticket}")
        db.execute(
            "UPDATE complaints SET status = ?, reason = ?, updated_at = ? WHERE ticket = ?",
            (status, reason, now, ticket),
        )
        db.execute(
            "INSERT INTO complaint_events (ticket, status, reason, officer, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (ticket, status, reason, officer, now),
        )
        record(
            db, officer, f"complaint:{status}", ticket, f"{via}: {reason}" if reason else via, now
        )
        found = Complaint(
            ticket, str(row[0]), status, reason, now, not json.loads(row[1]).get("nama")
        )
        _queue_message(mailbox, found.key, "notify", officer, notice(found), {"ticket": ticket})
    return found


def set_label(store: SQLiteStore, key: str, label: str, on: bool, officer: str) -> None:
    """Put a label on a conversation or take it off (recorded in the audit log)."""
    now = time.time()
    with store.transaction() as db:
        if on:
            cur = db.execute(
                "INSERT OR IGNORE INTO labels (key, label, officer, at) VALUES (?, ?, ?, ?)",
                (key, label, officer, now),
            )
        else:
            cur = db.execute("DELETE FROM labels WHERE key = ? AND label = ?", (key, label))
        if cur.rowcount:
            record(db, officer, "label" if on else "unlabel", mask(key), label, now)


def labels_of(store: SQLiteStore, key: str) -> list[str]:
    with store.lock:
        rows = store.db.execute(
            "SELECT label FROM labels WHERE key = ? ORDER BY at", (key,)
        ).fetchall()
    return [str(r[0]) for r in rows]


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
