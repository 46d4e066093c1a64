"""Sessions (where each conversation stands) and the stores that keep them: memory and SQLite.

A store keeps sessions and what conversations produce (complaint tickets, requests for an
officer, consents), and what the reports read: messages the bot did not understand (masked)
and the states each conversation entered. `open_store(url)` picks one from a URL:
  memory://                          in-process, for tests
  sqlite:///var/loket.db             one file, WAL; the default
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time as _time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol

from .errors import StoreError

DEFAULT_STORE: Final = "sqlite:///var/loket.db"


@dataclass(slots=True)
class Turn:
    at: float
    who: str  # "in" (resident), "out" (bot), "officer"
    text: str


@dataclass(slots=True)
class Session:
    """Where one conversation stands. Small: it is loaded and saved on every message."""

    key: str
    dialog: str
    state: str
    version: str = ""
    slots: dict[str, str] = field(default_factory=dict)
    retries: int = 0  # invalid answers to the current question
    pending: list[list[str]] = field(default_factory=list)  # [key, label] options asked about
    lang: str = "id"
    created_at: float = 0.0
    updated_at: float = 0.0
    turns: list[Turn] = field(default_factory=list)
    flags: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = {name: getattr(self, name) for name in _SESSION_FIELDS}
        data["turns"] = [[t.at, t.who, t.text] for t in self.turns]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Session:
        data = json.loads(text)
        data["turns"] = [Turn(*t) for t in data.get("turns", ())]
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})

    def copy(self) -> Session:
        """A copy that shares nothing mutable with this one."""
        return Session(
            self.key,
            self.dialog,
            self.state,
            self.version,
            dict(self.slots),
            self.retries,
            [list(p) for p in self.pending],
            self.lang,
            self.created_at,
            self.updated_at,
            list(self.turns),
            dict(self.flags),
        )

    def add_turn(self, who: str, text: str, at: float, keep: int) -> None:
        self.turns.append(Turn(at, who, text))
        if len(self.turns) > keep:
            del self.turns[: len(self.turns) - keep]

    def conversation(self, ended: bool = False) -> Conversation | None:
        """The conversation this session is in (None for a session older than conversation
        ids); the engine keeps its id, start and states in `flags`."""
        conv = self.flags.get("conv")
        if conv is None:
            return None
        return Conversation(
            str(conv),
            float(self.flags.get("conv_at", self.created_at)),
            tuple(self.flags.get("trail", ())),
            f"{self.dialog}.{self.state}",
            self.updated_at,
            ended,
            bool(self.flags.get("handover")),
        )


_SESSION_FIELDS: Final = tuple(Session.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A message the bot did not understand: its text masked and cut (validators.mask_line),
    where and when. No resident key: `conversation` is a random id per conversation."""

    conversation: str
    state: str  # dialog.state
    text: str
    at: float


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation's way through the states, for the funnel report."""

    id: str  # random, drawn when it began; not derived from the resident's number
    started_at: float
    states: tuple[str, ...]  # dialog.state entered, in order, each once
    state: str  # where it stands, or where it was left
    last_at: float  # its last message
    ended: bool = False  # the resident's next message began a new conversation
    waiting: bool = False  # handed over to an officer, which no silence ends


Note = Unmatched | Conversation  # what a step records beside the session, in one transaction


class Store(Protocol):
    """Where sessions and conversation records live. Every method is safe to call concurrently."""

    async def load(self, key: str) -> Session | None: ...

    async def save(self, session: Session, notes: Sequence[Note] = ()) -> None:
        """Keep the session and the step's notes together: both or neither."""
        ...

    async def forget(self, key: str) -> None:
        """Drop a conversation's session: it starts afresh with the next message."""
        ...

    async def open_complaint(self, key: str, data: dict[str, str], now: datetime) -> str:
        """Record a complaint; return its ticket number (ADU-YYYY-NNNNNN)."""
        ...

    async def request_operator(
        self, key: str, data: dict[str, str], context: list[Turn], now: datetime
    ) -> tuple[int, int]:
        """Record a request for an officer; return its id and place in the queue (1 = next)."""
        ...

    async def leave_queue(self, request: int, now: datetime) -> None:
        """The resident left the queue (menu, selesai) before an officer closed it."""
        ...

    async def record_rating(self, key: str, value: str, now: datetime) -> None: ...

    async def record_consent(self, key: str, purpose: str, notice: str, now: datetime) -> None: ...

    async def complaint(self, ticket: str) -> Complaint | None:
        """A complaint's status by its ticket number, or None."""
        ...

    async def set_complaint_status(
        self, ticket: str, status: str, reason: str, officer: str, now: datetime
    ) -> Complaint | None:
        """Move a complaint to a status (with the officer and, for 'ditolak', the reason)."""
        ...

    async def unmatched(self, since: float = 0.0) -> list[Unmatched]:
        """Messages not understood at or after `since`, oldest first."""
        ...

    async def conversations(self, since: float = 0.0) -> list[Conversation]:
        """Conversations begun at or after `since`: the ended ones and each session's own."""
        ...

    async def close(self) -> None: ...


COMPLAINT_STATUSES: Final = ("baru", "diproses", "selesai", "ditolak")


@dataclass(frozen=True, slots=True)
class Complaint:
    ticket: str
    key: str  # the conversation that filed it, to tell the resident of changes
    status: str
    reason: str
    updated_at: float
    anonymous: bool


def ticket_number(year: int, seq: int) -> str:
    return f"ADU-{year}-{seq:06d}"


class MemoryStore:
    """Everything in dictionaries; for tests and the console's throw-away sessions."""

    def __init__(self) -> None:
        # Copies, not JSON: the memory store is for tests and benchmarks, and copying keeps a
        # failed step from changing what is stored, as a real store would.
        self.sessions: dict[str, Session] = {}
        self.complaints: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.consents: list[dict[str, Any]] = []
        self.ratings: list[dict[str, Any]] = []
        self.notes: list[Note] = []
        self._seq: dict[int, int] = {}

    async def load(self, key: str) -> Session | None:
        stored = self.sessions.get(key)
        return stored.copy() if stored is not None else None

    async def save(self, session: Session, notes: Sequence[Note] = ()) -> None:
        self.sessions[session.key] = session  # the caller is done with it; load() copies
        self.notes += notes

    async def forget(self, key: str) -> None:
        self.sessions.pop(key, None)

    async def open_complaint(self, key: str, data: dict[str, str], now: datetime) -> str:
        seq = self._seq.get(now.year, 0) + 1
        self._seq[now.year] = seq
        ticket = ticket_number(now.year, seq)
        self.complaints[ticket] = {
            "key": key,
            "data": dict(data),
            "status": "baru",
            "reason": "",
            "created_at": now.timestamp(),
            "updated_at": now.timestamp(),
            "events": [],
        }
        return ticket

    async def complaint(self, ticket: str) -> Complaint | None:
        c = self.complaints.get(ticket)
        if c is None:
            return None
        anonymous = not c["data"].get("nama")
        return Complaint(ticket, c["key"], c["status"], c["reason"], c["updated_at"], anonymous)

    async def set_complaint_status(
        self, ticket: str, status: str, reason: str, officer: str, now: datetime
    ) -> Complaint | None:
        c = self.complaints.get(ticket)
        if c is None:
            return None
        c.update(status=status, reason=reason, updated_at=now.timestamp())
        c["events"].append((officer, status, reason, now.timestamp()))
        return await self.complaint(ticket)

    async def request_operator(
        self, key: str, data: dict[str, str], context: list[Turn], now: datetime
    ) -> tuple[int, int]:
        self.requests.append(
            {
                "key": key,
                "data": dict(data),
                "status": "open",
                "context": [asdict(t) for t in context],
                "created_at": now.timestamp(),
            }
        )
        return len(self.requests), sum(1 for r in self.requests if r["status"] == "open")

    async def leave_queue(self, request: int, now: datetime) -> None:
        if 0 < request <= len(self.requests):
            self.requests[request - 1]["status"] = "left"

    async def record_rating(self, key: str, value: str, now: datetime) -> None:
        self.ratings.append({"key": key, "value": value, "at": now.timestamp()})

    async def record_consent(self, key: str, purpose: str, notice: str, now: datetime) -> None:
        self.consents.append(
            {"key": key, "purpose": purpose, "notice": notice, "at": now.timestamp()}
        )

    async def unmatched(self, since: float = 0.0) -> list[Unmatched]:
        return [n for n in self.notes if isinstance(n, Unmatched) and n.at >= since]

    async def conversations(self, since: float = 0.0) -> list[Conversation]:
        ended = [n for n in self.notes if isinstance(n, Conversation)]
        current = [s.conversation() for s in self.sessions.values()]
        return [c for c in (*ended, *current) if c is not None and c.started_at >= since]

    async def close(self) -> None:
        return None


SCHEMA: Final = [
    # version 1
    """
    CREATE TABLE sessions (
        key TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE complaints (
        ticket TEXT PRIMARY KEY,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        key TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'baru',
        data TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (year, seq)
    );
    CREATE TABLE operator_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        data TEXT NOT NULL,
        context TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX operator_requests_open ON operator_requests (status, id);
    CREATE TABLE consents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        purpose TEXT NOT NULL,
        notice TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
    # version 2: complaints move through statuses; every move is recorded
    """
    ALTER TABLE complaints ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE complaints ADD COLUMN updated_at REAL;
    CREATE TABLE complaint_events (
        id INTEGER PRIMARY KEY,
        ticket TEXT NOT NULL REFERENCES complaints (ticket),
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        officer TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
    # version 3: officers take and close requests; residents rate the service
    """
    ALTER TABLE operator_requests ADD COLUMN officer TEXT;
    ALTER TABLE operator_requests ADD COLUMN taken_at REAL;
    ALTER TABLE operator_requests ADD COLUMN first_response_at REAL;
    ALTER TABLE operator_requests ADD COLUMN closed_at REAL;
    CREATE TABLE ratings (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
    # version 4: a request still waiting after a while gets a reminder
    """
    ALTER TABLE operator_requests ADD COLUMN reminded_at REAL;
    """,
    # version 5: the officers' inbox: an audit log of every officer action, and labels
    """
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        officer TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_at ON audit (at);
    CREATE TABLE labels (
        key TEXT NOT NULL,
        label TEXT NOT NULL,
        officer TEXT NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (key, label)
    );
    CREATE INDEX operator_requests_key ON operator_requests (key, id);
    """,
    # version 6: for `loket report`: messages not understood (masked, no resident key), and
    # ended conversations with the states they entered (the current one of each resident is
    # in its session, so a message costs no extra write)
    """
    CREATE TABLE unmatched (
        id INTEGER PRIMARY KEY,
        conversation TEXT NOT NULL,
        state TEXT NOT NULL,
        text TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX unmatched_at ON unmatched (at);
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        started_at REAL NOT NULL,
        states TEXT NOT NULL,
        state TEXT NOT NULL,
        last_at REAL NOT NULL
    );
    """,
]


_SAVE_SESSION: Final = (
    "INSERT INTO sessions (key, data, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"
)


class SQLiteStore:
    """One SQLite file in WAL mode. Calls are short and local, so they run on the event loop.

    A lock serialises use of the one connection, so that threads (a benchmark, a CLI command
    beside the server) may share the store too.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the SQLite store at {self.path}: {exc}") from exc
        self.lock = threading.RLock()
        self.depth = 0  # nesting of transaction() blocks
        self.failed = False
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        with self.lock:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(SCHEMA[version:], start=version + 1):
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    for statement in script.split(";"):
                        if statement.strip():
                            self.db.execute(statement)
                    self.db.execute(f"PRAGMA user_version={number}")
                    self.db.execute("COMMIT")
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise

    def wait_for_lock(self, milliseconds: int) -> None:
        """How long a write waits for another process's write; 0: fail at once (the caller
        retries without blocking its event loop)."""
        with self.lock:
            self.db.execute(f"PRAGMA busy_timeout={int(milliseconds)}")

    def transaction(self) -> _Transaction:
        return _Transaction(self)

    async def load(self, key: str) -> Session | None:
        with self.lock:
            row = self.db.execute("SELECT data FROM sessions WHERE key = ?", (key,)).fetchone()
        return Session.from_json(row[0]) if row else None

    async def save(self, session: Session, notes: Sequence[Note] = ()) -> None:
        row = (session.key, session.to_json(), session.updated_at or _time.time())
        if not notes:  # most messages: one statement, committed on its own
            with self.lock:
                self.db.execute(_SAVE_SESSION, row)
            return
        ended = [
            (n.id, n.started_at, json.dumps(n.states), n.state, n.last_at)
            for n in notes
            if isinstance(n, Conversation)
        ]
        unmatched = [
            (n.conversation, n.state, n.text, n.at) for n in notes if isinstance(n, Unmatched)
        ]
        with self.transaction() as db:
            db.execute(_SAVE_SESSION, row)
            if ended:
                db.executemany(
                    "INSERT OR IGNORE INTO conversations (id, started_at, states, state, last_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    ended,
                )
            if unmatched:
                db.executemany(
                    "INSERT INTO unmatched (conversation, state, text, at) VALUES (?, ?, ?, ?)",
                    unmatched,
                )

    async def forget(self, key: str) -> None:
        with self.lock:
            self.db.execute("DELETE FROM sessions WHERE key = ?", (key,))

    async def open_complaint(self, key: str, data: dict[str, str], now: datetime) -> str:
        with self.transaction():
            seq = self.db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM complaints WHERE year = ?", (now.year,)
            ).fetchone()[0]
            ticket = ticket_number(now.year, seq)
            self.db.execute(
                "INSERT INTO complaints (ticket, year, seq, key, data, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (ticket, now.year, seq, key, json.dumps(data, ensure_ascii=False), now.timestamp()),
            )
        return ticket

    async def complaint(self, ticket: str) -> Complaint | None:
        with self.lock:
            row = self.db.execute(
                "SELECT key, status, reason, COALESCE(updated_at, created_at), data "
                "FROM complaints WHERE ticket = ?",
                (ticket,),
            ).fetchone()
        if row is None:
            return None
        anonymous = not json.loads(row[4]).get("nama")
        return Complaint(ticket, row[0], row[1], row[2], float(row[3]), anonymous)

    async def set_complaint_status(
        self, ticket: str, status: str, reason: str, officer: str, now: datetime
    ) -> Complaint | None:
        with self.transaction():
            cur = self.db.execute(
                "UPDATE complaints SET status = ?, reason = ?, updated_at = ? WHERE ticket = ?",
                (status, reason, now.timestamp(), ticket),
            )
            if cur.rowcount == 0:
                return None
            self.db.execute(
                "INSERT INTO complaint_events (ticket, status, reason, officer, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (ticket, status, reason, officer, now.timestamp()),
            )
        return await self.complaint(ticket)

    async def request_operator(
        self, key: str, data: dict[str, str], context: list[Turn], now: datetime
    ) -> tuple[int, int]:
        with self.transaction():
            # A resident already waiting keeps their place rather than queueing twice.
            self.db.execute(
                "UPDATE operator_requests SET status = 'left' WHERE key = ? AND status = 'open'",
                (key,),
            )
            cur = self.db.execute(
                "INSERT INTO operator_requests (key, data, context, created_at) "
                "VALUES (?, ?, ?, ?)",
                (
                    key,
                    json.dumps(data, ensure_ascii=False),
                    json.dumps([asdict(t) for t in context], ensure_ascii=False),
                    now.timestamp(),
                ),
            )
            position = self.db.execute(
                "SELECT COUNT(*) FROM operator_requests WHERE status = 'open'"
            ).fetchone()[0]
        return int(cur.lastrowid or 0), int(position)

    async def leave_queue(self, request: int, now: datetime) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE operator_requests SET status = 'left', closed_at = ? "
                "WHERE id = ? AND status IN ('open', 'taken')",
                (now.timestamp(), request),
            )

    async def record_rating(self, key: str, value: str, now: datetime) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO ratings (key, value, at) VALUES (?, ?, ?)",
                (key, value, now.timestamp()),
            )

    async def record_consent(self, key: str, purpose: str, notice: str, now: datetime) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO consents (key, purpose, notice, at) VALUES (?, ?, ?, ?)",
                (key, purpose, notice, now.timestamp()),
            )

    async def unmatched(self, since: float = 0.0) -> list[Unmatched]:
        with self.lock:
            rows = self.db.execute(
                "SELECT conversation, state, text, at FROM unmatched WHERE at >= ? ORDER BY at",
                (since,),
            ).fetchall()
        return [Unmatched(*row) for row in rows]

    async def conversations(self, since: float = 0.0) -> list[Conversation]:
        with self.lock:
            ended = self.db.execute(
                "SELECT id, started_at, states, state, last_at FROM conversations "
                "WHERE started_at >= ?",
                (since,),
            ).fetchall()
            # Each session's own conversation, read in SQL rather than by parsing every
            # session: the same fields as Session.conversation.
            current = self.db.execute(
                "SELECT json_extract(data, '$.flags.conv'), json_extract(data, '$.flags.conv_at'),"
                " json_extract(data, '$.flags.trail'),"
                " json_extract(data, '$.dialog') || '.' || json_extract(data, '$.state'),"
                " json_extract(data, '$.updated_at'), json_extract(data, '$.flags.handover') "
                "FROM sessions WHERE json_extract(data, '$.flags.conv_at') >= ?",
                (since,),
            ).fetchall()
        out = [
            Conversation(i, at, tuple(json.loads(st)), s, last, True)
            for i, at, st, s, last in ended
        ]
        out += [
            Conversation(
                str(i), float(at), tuple(json.loads(st or "[]")), s, float(last), False, bool(w)
            )
            for i, at, st, s, last, w in current
        ]
        return out

    async def close(self) -> None:
        with self.lock:
            self.db.close()


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, re-entrant: an inner block joins the outer transaction, so
    a worker can put the session, the effects and the outbox of one message in one commit."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        store = self.store
        store.lock.acquire()
        try:
            if store.depth == 0:
                store.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            store.lock.release()
            raise
        store.depth += 1
        return store.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        store = self.store
        try:
            store.depth -= 1
            if store.depth == 0:
                failed, store.failed = store.failed or bool(exc_type), False
                store.db.execute("ROLLBACK" if failed else "COMMIT")
            elif exc_type:
                store.failed = True  # the outer block must not commit half of it
        finally:
            store.lock.release()


def open_store(url: str = DEFAULT_STORE) -> MemoryStore | SQLiteStore:
    """The store named by a URL: memory://, sqlite:///relative/path.db, sqlite:////abs/path.db."""
    if url in ("memory://", "memory:"):
        return MemoryStore()
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path:
            raise StoreError(f"the store URL '{url}' names no file")
        return SQLiteStore(path)
    raise StoreError(f"unknown store URL '{url}': use memory:// or sqlite:///path/to/loket.db")
