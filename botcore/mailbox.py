"""The durable inbox and outbox, in the SQLite store beside the sessions.

Webhooks: each verified webhook body is stored as it came before the platform is told 200;
that is all the web server does with it. The worker reads the stored bodies in arrival order
and moves their messages into the inbox and their statuses onto the outbox, in one
transaction per body.

Inbox: every platform message, keyed by (channel, message id); a redelivery finds its key
and is dropped. The worker answers pending items in arrival order and marks each done in the
same transaction that saves the session, the effects and the outgoing messages.

Outbox: one row per platform API call, in order. A sender delivers the rows of a recipient
one after another; statuses from the platform move a row forward only (sent < delivered <
read). A row given up on keeps its error for the operators to see.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from .messages import IncomingMessage, message_from_dict, message_to_dict
from .sessions import SQLiteStore

WINDOW_SECONDS: Final = 24 * 3600
# Statuses only move forward; a late "delivered" never overwrites "read".
RANK: Final = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4, "played": 4}
OPEN: Final = ("queued", "sending")

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at REAL NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    key TEXT NOT NULL,
    message TEXT NOT NULL,
    received_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    UNIQUE (channel, message_id)
);
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (status, id);
CREATE INDEX IF NOT EXISTS inbox_key ON inbox (key, id);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    reply_to TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    platform_id TEXT,
    error_code INTEGER,
    error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (channel, status, id);
CREATE INDEX IF NOT EXISTS outbox_next ON outbox (channel, status, next_at);
CREATE INDEX IF NOT EXISTS outbox_recipient ON outbox (channel, recipient, status, id);
CREATE INDEX IF NOT EXISTS outbox_platform ON outbox (platform_id);
CREATE TABLE IF NOT EXISTS windows (
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    last_inbound_at REAL NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, recipient)
);
"""


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    message: IncomingMessage


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    channel: str
    recipient: str
    key: str
    body: dict[str, Any]
    reply_to: str
    attempts: int
    status: str
    error_code: int | None = None
    error: str = ""
    platform_id: str = ""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A platform API call to make, as the worker hands it to the outbox."""

    channel: str
    recipient: str
    key: str
    body: dict[str, Any]
    reply_to: str = ""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Mailbox:
    """Inbox and outbox on a SQLite store's connection (and its lock and transactions)."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.db: sqlite3.Connection = store.db
        with store.lock:
            self.db.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.store.transaction() as db:
            yield db

    # -- webhooks as received -------------------------------------------------------------

    def keep_webhooks(self, bodies: Iterable[tuple[str, bytes]], now: float) -> None:
        """Store verified webhook bodies as they came. Call inside a transaction."""
        self.db.executemany(
            "INSERT INTO webhooks (channel, body, received_at) VALUES (?, ?, ?)",
            [(channel, body, now) for channel, body in bodies],
        )

    def webhooks(self, limit: int = 50) -> list[tuple[int, str, bytes]]:
        with self.store.lock:
            rows = self.db.execute(
                "SELECT id, channel, body FROM webhooks WHERE error IS NULL ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [(int(i), str(c), bytes(b)) for i, c, b in rows]

    def webhook_read(self, webhook_id: int) -> None:
        """Its messages are in the inbox now. Call inside a transaction."""
        self.db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,))

    def webhook_failed(self, webhook_id: int, error: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE webhooks SET error = ? WHERE id = ?", (error, webhook_id))

    # -- inbox ----------------------------------------------------------------------------

    def accept(self, messages: Iterable[IncomingMessage], now: float) -> list[bool]:
        """Record messages; True for each one not seen before. Call inside a transaction."""
        new = []
        for msg in messages:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO inbox (channel, message_id, key, message, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (msg.channel, msg.message_id, msg.key, _dumps(message_to_dict(msg)), now),
            )
            new.append(cur.rowcount == 1)
        return new

    def pending(
        self, limit: int = 100, channels: Iterable[str] | None = None, key: str | None = None
    ) -> list[InboxItem]:
        """Pending items in arrival order; only of some channels, or of one conversation."""
        sql, args = "SELECT id, message FROM inbox WHERE status = 'pending'", []
        if channels is not None:
            names = sorted(channels)
            sql += f" AND channel IN ({', '.join('?' * len(names))})"
            args += names
        if key is not None:
            sql += " AND key = ?"
            args.append(key)
        with self.store.lock:
            rows = self.db.execute(sql + " ORDER BY id LIMIT ?", (*args, limit)).fetchall()
        return [InboxItem(i, message_from_dict(json.loads(m))) for i, m in rows]

    def done(self, item: InboxItem, outgoing: Iterable[Outgoing], now: float) -> None:
        """Mark an inbox item answered and queue its replies. Call inside a transaction.

        The resident's message also (re)opens their customer-service window."""
        msg = item.message
        self.db.execute(
            "INSERT INTO windows (channel, recipient, last_inbound_at, closed) "
            "VALUES (?, ?, ?, 0) ON CONFLICT (channel, recipient) DO UPDATE SET "
            "last_inbound_at = MAX(last_inbound_at, excluded.last_inbound_at), closed = 0",
            (msg.channel, msg.sender, msg.time.timestamp() if msg.time else now),
        )
        self.queue(outgoing, now)
        self.db.execute("UPDATE inbox SET status = 'done' WHERE id = ?", (item.id,))

    def fail(self, item_id: int, error: str) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE inbox SET status = 'failed', error = ? WHERE id = ?", (error, item_id)
            )

    # -- outbox ---------------------------------------------------------------------------

    def queue(self, outgoing: Iterable[Outgoing], now: float) -> None:
        self.db.executemany(
            "INSERT INTO outbox (channel, recipient, key, body, reply_to, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (o.channel, o.recipient, o.key, _dumps(o.body), o.reply_to, now, now)
                for o in outgoing
            ],
        )

    def due(self, channel: str, now: float, limit: int = 50) -> list[OutboxItem]:
        """The next row of each recipient, if it is due: earlier rows block later ones."""
        with self.store.lock:
            rows = self.db.execute(
                "SELECT id, channel, recipient, key, body, reply_to, attempts, status "
                # +next_at: walk outbox_due in id order and stop at the limit, rather than
                # collect every queued row by next_at and sort them.
                "FROM outbox o WHERE channel = ? AND status = 'queued' AND +next_at <= ? "
                "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel "
                "AND p.recipient = o.recipient AND p.status IN ('queued', 'sending') "
                "AND p.id < o.id) ORDER BY id LIMIT ?",
                (channel, now, limit),
            ).fetchall()
        return [
            OutboxItem(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7]) for r in rows
        ]

    def next_due_at(self, channel: str) -> float | None:
        with self.store.lock:
            row = self.db.execute(
                "SELECT MIN(next_at) FROM outbox WHERE channel = ? AND status = 'queued'",
                (channel,),
            ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def sending(self, item_id: int, now: float) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, "
                "updated_at = ? WHERE id = ?",
                (now, item_id),
            )

    def sent(self, item_id: int, platform_id: str, now: float) -> None:
        with self.transaction():
            # A status webhook may have arrived first and moved it further already.
            self.db.execute(
                "UPDATE outbox SET status = CASE WHEN status IN ('queued', 'sending') "
                "THEN 'sent' ELSE status END, platform_id = ?, error_code = NULL, error = NULL, "
                "updated_at = ? WHERE id = ?",
                (platform_id, now, item_id),
            )

    def retry(self, item_id: int, at: float, code: int | None, error: str, now: float) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE outbox SET status = 'queued', next_at = ?, error_code = ?, "
                "error = ?, updated_at = ? WHERE id = ?",
                (at, code, error, now, item_id),
            )

    def failed(self, item_id: int, code: int | None, error: str, now: float) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE outbox SET status = 'failed', error_code = ?, error = ?, "
                "updated_at = ? WHERE id = ?",
                (code, error, now, item_id),
            )

    def status(
        self,
        platform_id: str,
        status: str,
        now: float,
        code: int | None = None,
        error: str = "",
        callback_data: str = "",
    ) -> bool:
        """Apply a delivery status; never moves a row backwards. Call inside a transaction.

        Returns False when no row knows the message (someone else's, or not recorded yet)."""
        row = self.db.execute(
            "SELECT id, status FROM outbox WHERE platform_id = ?", (platform_id,)
        ).fetchone()
        if row is None and callback_data.startswith("loket:"):
            # We crashed between the platform accepting the call and recording its id.
            row_id = int(callback_data[6:]) if callback_data[6:].isdigit() else -1
            row = self.db.execute(
                "SELECT id, status FROM outbox WHERE id = ?", (row_id,)
            ).fetchone()
            if row is not None:
                self.db.execute(
                    "UPDATE outbox SET platform_id = ? WHERE id = ?", (platform_id, row[0])
                )
        if row is None:
            return False
        row_id, current = row
        if status == "failed":
            if RANK.get(current, 0) < RANK["delivered"]:
                self.db.execute(
                    "UPDATE outbox SET status = 'failed', error_code = ?, error = ?, "
                    "updated_at = ? WHERE id = ?",
                    (code, error, now, row_id),
                )
            return True
        if current != "failed" and RANK.get(status, 0) > RANK.get(current, 0):
            self.db.execute(
                "UPDATE outbox SET status = ?, updated_at = ? WHERE id = ?", (status, now, row_id)
            )
        return True

    def recover(self, channel: str, grace_until: float) -> int:
        """After a restart, rows caught 'sending' wait a while for a status webhook that tells
        whether the platform got them, then go out again (at least once, never silently lost)."""
        with self.transaction():
            cur = self.db.execute(
                "UPDATE outbox SET status = 'queued', next_at = ? "
                "WHERE channel = ? AND status = 'sending'",
                (grace_until, channel),
            )
        return cur.rowcount

    # -- the 24-hour window (WhatsApp) --------------------------------------------------------

    def window_open(self, channel: str, recipient: str, now: float, margin: float) -> bool:
        with self.store.lock:
            row = self.db.execute(
                "SELECT last_inbound_at, closed FROM windows WHERE channel = ? AND recipient = ?",
                (channel, recipient),
            ).fetchone()
        return row is not None and not row[1] and now - row[0] < WINDOW_SECONDS - margin

    def newest_keyboard(self, channel: str, recipient: str) -> str:
        """The platform id of the newest message sent to a chat with buttons ("" if none)."""
        with self.store.lock:
            row = self.db.execute(
                "SELECT platform_id FROM outbox WHERE channel = ? AND recipient = ? "
                "AND platform_id IS NOT NULL AND body LIKE '%\"inline_keyboard\":[[%' "
                "ORDER BY id DESC LIMIT 1",
                (channel, recipient),
            ).fetchone()
        return str(row[0]) if row else ""

    def closed(self, channel: str, recipient: str) -> bool:
        """A chat closed by the platform (Telegram: the bot was blocked) until they write."""
        with self.store.lock:
            row = self.db.execute(
                "SELECT closed FROM windows WHERE channel = ? AND recipient = ?",
                (channel, recipient),
            ).fetchone()
        return bool(row and row[0])

    def close_window(self, channel: str, recipient: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO windows (channel, recipient, last_inbound_at, closed) "
                "VALUES (?, ?, 0, 1) ON CONFLICT (channel, recipient) DO UPDATE SET closed = 1",
                (channel, recipient),
            )

    # -- for operators and health checks ----------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self.store.lock:
            inbox = self.db.execute(
                "SELECT COUNT(*) FROM inbox WHERE status = 'pending'"
            ).fetchone()[0]
            unread = self.db.execute(
                "SELECT COUNT(*) FROM webhooks WHERE error IS NULL"
            ).fetchone()[0]
            queued = self.db.execute(
                "SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending')"
            ).fetchone()[0]
            failed = self.db.execute(
                "SELECT COUNT(*) FROM outbox WHERE status = 'failed'"
            ).fetchone()[0]
        return {
            "inbox_pending": inbox + unread,
            "outbox_open": queued,
            "outbox_failed": failed,
        }

    def outbox(self, channel: str | None = None) -> list[OutboxItem]:
        sql = (
            "SELECT id, channel, recipient, key, body, reply_to, attempts, status, "
            "error_code, COALESCE(error, ''), COALESCE(platform_id, '') FROM outbox"
        )
        args: tuple[str, ...] = ()
        if channel:
            sql += " WHERE channel = ?"
            args = (channel,)
        with self.store.lock:
            rows = self.db.execute(sql + " ORDER BY id", args).fetchall()
        return [
            OutboxItem(
                r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7], r[8], r[9], r[10]
            )
            for r in rows
        ]
