"""What the officers' inbox shows, read from the store: the queue, a conversation's
transcript, complaints, the audit log, and the response-time metrics.

Only reads. Every change goes through channels/operator.py, which the console uses too, so
the inbox and `loket operator` cannot drift apart.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from botcore.hours import Schedule
from botcore.messages import Kind, message_from_dict
from botcore.sessions import SQLiteStore

from ..operator import WHO

CHANNELS = {"whatsapp": "WhatsApp", "telegram": "Telegram", "console": "Konsol"}


@dataclass(frozen=True, slots=True)
class Line:
    at: float
    who: str  # warga, bot, petugas, sistem
    text: str
    officer: str = ""


@dataclass(frozen=True, slots=True)
class RequestView:
    id: int
    key: str
    channel: str
    contact: str
    status: str
    question: str
    officer: str
    created_at: float
    taken_at: float | None
    first_response_at: float | None
    closed_at: float | None
    labels: tuple[str, ...] = ()
    last_text: str = ""

    @property
    def waiting(self) -> float:
        return (self.closed_at or time.time()) - self.created_at

    @property
    def first_response(self) -> float | None:
        return None if self.first_response_at is None else self.first_response_at - self.created_at

    @property
    def resolution(self) -> float | None:
        return None if self.closed_at is None else self.closed_at - self.created_at


def _contact(key: str) -> tuple[str, str]:
    channel, _, sender = key.partition(":")
    if channel == "whatsapp" and sender.isdigit():
        sender = "+" + sender
    return CHANNELS.get(channel, channel), sender


_REQUEST_COLUMNS = (
    "id, key, status, data, COALESCE(officer, ''), created_at, taken_at, first_response_at, "
    "closed_at"
)


def _request(store: SQLiteStore, row: tuple[object, ...]) -> RequestView:
    rid, key, status, data, officer, created, taken, first, closed = row
    channel, contact = _contact(str(key))
    with store.lock:
        labels = store.db.execute(
            "SELECT label FROM labels WHERE key = ? ORDER BY at", (key,)
        ).fetchall()
        last = store.db.execute(
            "SELECT message FROM inbox WHERE key = ? ORDER BY id DESC LIMIT 1", (key,)
        ).fetchone()
    last_text = ""
    if last is not None:
        message = message_from_dict(json.loads(last[0]))
        if message.kind != Kind.OPERATOR:
            last_text = message.text
    return RequestView(
        int(str(rid)),
        str(key),
        channel,
        contact,
        str(status),
        str(json.loads(str(data)).get("pertanyaan", "")),
        str(officer),
        float(str(created)),
        None if taken is None else float(str(taken)),
        None if first is None else float(str(first)),
        None if closed is None else float(str(closed)),
        tuple(str(r[0]) for r in labels),
        last_text,
    )


def waiting_requests(store: SQLiteStore) -> list[RequestView]:
    """Requests not yet closed, oldest first: the officers' queue."""
    with store.lock:
        rows = store.db.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM operator_requests "
            "WHERE status IN ('open', 'taken') ORDER BY id"
        ).fetchall()
    return [_request(store, row) for row in rows]


def waiting_count(store: SQLiteStore) -> int:
    with store.lock:
        row = store.db.execute(
            "SELECT COUNT(*) FROM operator_requests WHERE status IN ('open', 'taken')"
        ).fetchone()
    return int(row[0])


def requests_since(store: SQLiteStore, since: float) -> list[RequestView]:
    """Requests made since `since`, newest first."""
    with store.lock:
        rows = store.db.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM operator_requests WHERE created_at >= ? "
            "ORDER BY id DESC",
            (since,),
        ).fetchall()
    return [_request(store, row) for row in rows]


def request(store: SQLiteStore, rid: int) -> RequestView | None:
    with store.lock:
        row = store.db.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM operator_requests WHERE id = ?", (rid,)
        ).fetchone()
    return None if row is None else _request(store, row)


def transcript(store: SQLiteStore, rid: int) -> list[Line]:
    """The turns before the request (as the bot kept them), then everything that came in since:
    the resident's messages and the officers' actions, in order."""
    with store.lock:
        row = store.db.execute(
            "SELECT key, context, created_at, COALESCE(closed_at, 1e18) "
            "FROM operator_requests WHERE id = ?",
            (rid,),
        ).fetchone()
        if row is None:
            return []
        key, context, created, closed = row
        rows = store.db.execute(
            "SELECT message, received_at FROM inbox WHERE key = ? AND received_at >= ? "
            "AND received_at <= ? ORDER BY id",
            (key, created, closed + 1),
        ).fetchall()
    lines = [
        Line(float(t["at"]), WHO.get(t["who"], t["who"]), str(t["text"]))
        for t in json.loads(context)
    ]
    seen_question = {line.text for line in lines if line.who == "warga"}
    for raw, received in rows:
        m = message_from_dict(json.loads(raw))
        officer = str(m.extra.get("officer", ""))
        if m.kind != Kind.OPERATOR:
            text = m.text or f"[{m.kind.value}]"
            if text in seen_question:  # the question itself is already in the context
                seen_question.discard(text)
                continue
            lines.append(Line(received, "warga", text))
        elif m.payload == "reply":
            lines.append(Line(received, "petugas", m.text, officer))
        elif m.payload == "take":
            lines.append(Line(received, "sistem", f"{officer} mengambil percakapan ini"))
        elif m.payload == "close":
            lines.append(Line(received, "sistem", f"{officer} menutup percakapan ini"))
        elif m.payload == "remind":
            lines.append(Line(received, "sistem", "Warga diberi tahu bahwa masih dalam antrean"))
    return lines


def history(store: SQLiteStore, key: str, limit: int = 10) -> list[RequestView]:
    """This resident's earlier requests, newest first."""
    with store.lock:
        rows = store.db.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM operator_requests WHERE key = ? "
            "ORDER BY id DESC LIMIT ?",
            (key, limit),
        ).fetchall()
    return [_request(store, row) for row in rows]


@dataclass(frozen=True, slots=True)
class ComplaintView:
    ticket: str
    status: str
    reason: str
    anonymous: bool
    name: str
    contact: str
    channel: str
    text: str
    created_at: float
    updated_at: float
    events: tuple[tuple[str, str, str, float], ...]  # status, reason, officer, at

    @property
    def first_response(self) -> float | None:
        return self.events[0][3] - self.created_at if self.events else None

    @property
    def resolution(self) -> float | None:
        done = [e[3] for e in self.events if e[0] in ("selesai", "ditolak")]
        return done[0] - self.created_at if done else None


def complaints(store: SQLiteStore, status: str = "") -> list[ComplaintView]:
    """Complaints, newest first. An anonymous complaint shows neither the name nor the
    resident's number: the officer sees only what was said."""
    where, args = ("WHERE status = ?", (status,)) if status else ("", ())
    with store.lock:
        rows = store.db.execute(
            "SELECT ticket, status, reason, key, data, created_at, "
            f"COALESCE(updated_at, created_at) FROM complaints {where} "
            "ORDER BY created_at DESC LIMIT 500",
            args,
        ).fetchall()
        events: dict[str, list[tuple[str, str, str, float]]] = {}
        for ticket, st, reason, officer, at in store.db.execute(
            "SELECT ticket, status, reason, officer, at FROM complaint_events ORDER BY id"
        ):
            events.setdefault(ticket, []).append((st, reason, officer, at))
    out = []
    for ticket, st, reason, key, data, created, updated in rows:
        fields = json.loads(data)
        anonymous = not fields.get("nama")
        channel, contact = _contact(key)
        out.append(
            ComplaintView(
                ticket,
                st,
                reason,
                anonymous,
                "" if anonymous else str(fields.get("nama", "")),
                "" if anonymous else str(fields.get("kontak") or contact),
                channel,
                str(fields.get("isi", "")),
                float(created),
                float(updated),
                tuple(events.get(ticket, ())),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class AuditLine:
    at: float
    officer: str
    action: str
    target: str
    detail: str


def audit(store: SQLiteStore, limit: int = 200) -> list[AuditLine]:
    with store.lock:
        rows = store.db.execute(
            "SELECT at, officer, action, target, detail FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
    return [AuditLine(*row) for row in rows]


# --- metrics ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Durations:
    """Response or resolution times of one kind of case in a period."""

    values: tuple[float, ...] = ()

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def longest(self) -> float | None:
        return max(self.values) if self.values else None


@dataclass(frozen=True, slots=True)
class Period:
    name: str
    since: float
    handovers: int = 0
    handover_first: Durations = field(default_factory=Durations)
    handover_first_open: Durations = field(default_factory=Durations)  # in office hours
    handover_resolved: Durations = field(default_factory=Durations)
    complaints: int = 0
    complaint_first: Durations = field(default_factory=Durations)
    complaint_resolved: Durations = field(default_factory=Durations)


def periods(tz: ZoneInfo, now: float) -> list[tuple[str, float]]:
    """Today and this week (from Monday), in the office's time zone."""
    local = datetime.fromtimestamp(now, tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = midnight - timedelta(days=local.weekday())
    return [("Hari ini", midnight.timestamp()), ("Minggu ini", monday.timestamp())]


def metrics(
    store: SQLiteStore, tz: ZoneInfo, schedule: Schedule | None, now: float | None = None
) -> list[Period]:
    """First-response and resolution times of hand-overs and complaints opened today and
    this week. Requests a resident left before anyone answered are not counted as served."""
    now = now or time.time()
    out = []
    for name, since in periods(tz, now):
        with store.lock:
            reqs = store.db.execute(
                "SELECT created_at, first_response_at, closed_at, status FROM operator_requests "
                "WHERE created_at >= ?",
                (since,),
            ).fetchall()
        first = [f - c for c, f, _, _ in reqs if f is not None]
        first_open = [
            schedule.open_seconds(datetime.fromtimestamp(c, tz), datetime.fromtimestamp(f, tz))
            if schedule
            else f - c
            for c, f, _, _ in reqs
            if f is not None
        ]
        resolved = [d - c for c, _, d, s in reqs if d is not None and s == "closed"]
        cases = list(complaints_since(store, since))
        out.append(
            Period(
                name,
                since,
                len(reqs),
                Durations(tuple(first)),
                Durations(tuple(first_open)),
                Durations(tuple(resolved)),
                len(cases),
                Durations(tuple(v for c in cases if (v := c[0]) is not None)),
                Durations(tuple(v for c in cases if (v := c[1]) is not None)),
            )
        )
    return out


def complaints_since(
    store: SQLiteStore, since: float
) -> Iterable[tuple[float | None, float | None]]:
    """(first response, resolution) of each complaint filed since `since`."""
    with store.lock:
        rows = store.db.execute(
            "SELECT c.created_at, MIN(e.at), "
            "MIN(CASE WHEN e.status IN ('selesai', 'ditolak') THEN e.at END) "
            "FROM complaints c LEFT JOIN complaint_events e ON e.ticket = c.ticket "
            "WHERE c.created_at >= ? GROUP BY c.ticket",
            (since,),
        ).fetchall()
    for created, first, done in rows:
        yield (
            None if first is None else first - created,
            None if done is None else done - created,
        )


def version(store: SQLiteStore) -> tuple[int, ...]:
    """Changes whenever anything an officer looks at changes: new messages, requests,
    actions, complaints. Cheap: maxima of integer keys and one small count."""
    with store.lock:
        row = store.db.execute(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM inbox), "
            "(SELECT COALESCE(MAX(id), 0) FROM operator_requests), "
            "(SELECT COUNT(*) FROM operator_requests WHERE status IN ('open', 'taken')), "
            "(SELECT COALESCE(MAX(id), 0) FROM audit), "
            "(SELECT COUNT(*) FROM complaints), "
            "(SELECT COALESCE(MAX(id), 0) FROM complaint_events)"
        ).fetchone()
    return tuple(int(v) for v in row)


def duration(seconds: float | None) -> str:
    """'45 dtk', '12 mnt', '2 jam 5 mnt', '3 hari 4 jam'; '–' when there is nothing."""
    if seconds is None:
        return "–"
    s = int(max(0, seconds))
    if s < 60:
        return f"{s} dtk"
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if s < 3600:
        return f"{minutes} mnt"
    if s < 86400:
        rest = minutes % 60
        return f"{hours} jam {rest} mnt" if rest else f"{hours} jam"
    rest = hours % 24
    return f"{days} hari {rest} jam" if rest else f"{days} hari"
