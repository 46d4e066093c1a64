"""Officers' sign-in for the inbox: who they are, their browser sessions, CSRF tokens, and a
brake on guessing.

`LOKET_INBOX_TOKEN` lists one token per officer with the name residents and colleagues see:

    LOKET_INBOX_TOKEN="Rina Marlina:9f2c...e1, Budi:4b7d...0a"

Pairs are separated by commas or new lines; a name never contains ':' or ','. Tokens are
compared in constant time (as hashes, so their lengths do not leak either) and are never
logged. A token shorter than MIN_TOKEN characters is refused, with a line in the log that
names the officer but not the token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Final

MIN_TOKEN: Final = 16
SESSION_IDLE: Final = 8 * 3600  # signed out after a working day without use
SESSION_MAX: Final = 12 * 3600
ANON_MAX: Final = 3600  # a sign-in form is good for an hour
ATTEMPTS: Final = 5  # failed sign-ins per address ...
ATTEMPT_WINDOW: Final = 15 * 60  # ... within this many seconds, then a pause
MAX_SESSIONS: Final = 10_000  # anonymous sessions are dropped oldest first beyond this


@dataclass(frozen=True, slots=True)
class Officer:
    name: str
    digest: bytes


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def parse_officers(spec: str) -> tuple[list[Officer], list[str]]:
    """Officers from LOKET_INBOX_TOKEN, and what is wrong with it (without the secrets)."""
    officers: list[Officer] = []
    problems: list[str] = []
    seen: set[bytes] = set()
    for n, part in enumerate(p.strip() for p in re.split(r"[,\n]", spec)):
        if not part:
            continue
        name, sep, token = part.partition(":")
        name, token = (name.strip(), token.strip()) if sep else ("Petugas", name.strip())
        if not name:
            name = "Petugas"
        if len(token) < MIN_TOKEN:
            problems.append(
                f"LOKET_INBOX_TOKEN entry {n + 1} ({name}): the token is shorter than "
                f"{MIN_TOKEN} characters, so it is not accepted"
            )
            continue
        digest = _digest(token)
        if digest in seen:
            problems.append(f"LOKET_INBOX_TOKEN entry {n + 1} ({name}): the same token twice")
            continue
        seen.add(digest)
        officers.append(Officer(name[:60], digest))
    return officers, problems


def identify(officers: list[Officer], token: str) -> Officer | None:
    """The officer whose token this is. Every entry is compared, matched or not."""
    digest = _digest(token)
    found = None
    for officer in officers:
        if hmac.compare_digest(officer.digest, digest):
            found = officer
    return found


@dataclass(slots=True)
class WebSession:
    sid: str
    csrf: str
    officer: str = ""
    created: float = field(default_factory=time.time)
    seen: float = field(default_factory=time.time)
    flash: list[str] = field(default_factory=list)  # notes for the next page shown


class Sessions:
    """Browser sessions in the server's memory: a restart signs everyone out, which is fine
    for an office of a few officers and keeps secrets off the disk."""

    def __init__(self) -> None:
        self.by_id: dict[str, WebSession] = {}

    def new(self, officer: str = "") -> WebSession:
        self._sweep()
        session = WebSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32), officer)
        self.by_id[session.sid] = session
        return session

    def get(self, sid: str | None) -> WebSession | None:
        if not sid:
            return None
        session = self.by_id.get(sid)
        if session is None:
            return None
        now = time.time()
        limit = SESSION_MAX if session.officer else ANON_MAX
        if now - session.created > limit or now - session.seen > SESSION_IDLE:
            self.by_id.pop(sid, None)
            return None
        session.seen = now
        return session

    def drop(self, sid: str) -> None:
        self.by_id.pop(sid, None)

    def _sweep(self) -> None:
        if len(self.by_id) < MAX_SESSIONS:
            return
        now = time.time()
        for sid, s in list(self.by_id.items()):
            if now - s.seen > ANON_MAX and not s.officer:
                del self.by_id[sid]
        while len(self.by_id) >= MAX_SESSIONS:  # still full: drop the oldest sign-in forms
            oldest = min(
                (s for s in self.by_id.values() if not s.officer),
                key=lambda s: s.seen,
                default=None,
            )
            if oldest is None:
                break
            del self.by_id[oldest.sid]


def csrf_ok(session: WebSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), str(sent).encode())


class Throttle:
    """At most ATTEMPTS failed sign-ins per address in ATTEMPT_WINDOW seconds."""

    def __init__(self, attempts: int = ATTEMPTS, window: float = ATTEMPT_WINDOW) -> None:
        self.attempts, self.window = attempts, window
        self.failures: dict[str, deque[float]] = {}

    def wait(self, address: str, now: float | None = None) -> float:
        """Seconds until this address may try again (0: now)."""
        now = now or time.time()
        times = self.failures.get(address)
        if not times:
            return 0.0
        while times and now - times[0] > self.window:
            times.popleft()
        if not times:
            del self.failures[address]
            return 0.0
        return max(0.0, times[0] + self.window - now) if len(times) >= self.attempts else 0.0

    def failed(self, address: str, now: float | None = None) -> None:
        if len(self.failures) > MAX_SESSIONS:  # a flood of addresses: forget the oldest
            self.failures.pop(next(iter(self.failures)))
        self.failures.setdefault(address, deque()).append(now or time.time())

    def succeeded(self, address: str) -> None:
        self.failures.pop(address, None)
