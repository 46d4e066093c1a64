"""Recording accepted messages with group commit: one transaction per event-loop turn.

Webhook handlers that run in the same turn of the event loop hand their messages to one
InboxWriter; it commits them all in one SQLite transaction on the next turn and only then
lets the handlers answer 200. A commit per request would cost most of the server's time;
a commit per turn keeps the promise (nothing is acknowledged before it is on disk) at a
fraction of the cost.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Final

from botcore.mailbox import Mailbox
from botcore.messages import IncomingMessage

log = logging.getLogger("loket.inbox")

Extra = Callable[[Mailbox, float], None]  # more work for the same transaction (statuses)
_Pending = tuple[Sequence[IncomingMessage], Extra | None, "asyncio.Future[list[bool]]"]
LOCK_RETRY: Final = 0.0002  # seconds between tries while the worker process holds the lock
LOCK_PATIENCE: Final = 5.0  # then answer 503 so that Meta retries later


class InboxWriter:
    def __init__(self, mailbox: Mailbox, on_new: Callable[[int], None]) -> None:
        self.mailbox = mailbox
        self.on_new = on_new
        self._batch: list[
            tuple[Sequence[IncomingMessage], Extra | None, asyncio.Future[list[bool]]]
        ] = []
        self.commits = 0

    def _fail(self, batch: list[_Pending], exc: Exception) -> None:
        log.error("could not record %d webhook(s) in the inbox: %s", len(batch), exc)
        self._since = time.monotonic()
        for _, _, future in batch:
            if not future.done():
                future.set_exception(exc)

    def record(
        self, messages: Sequence[IncomingMessage], extra: Extra | None = None
    ) -> asyncio.Future[list[bool]]:
        """Queue messages for the next group commit; the future says which ones were new."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[bool]] = loop.create_future()
        if not self._batch:
            self._since = time.monotonic()
            loop.call_soon(self._flush)
        self._batch.append((messages, extra, future))
        return future

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        now = time.time()
        results: list[list[bool]] = []
        try:
            with self.mailbox.transaction():
                for messages, extra, _ in batch:
                    results.append(self.mailbox.accept(messages, now))
                    if extra is not None:
                        extra(self.mailbox, now)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) and time.monotonic() - self._since < LOCK_PATIENCE:
                # The worker process is writing: try again shortly, without blocking the
                # event loop; requests arriving meanwhile join this commit.
                self._batch = batch + self._batch
                asyncio.get_running_loop().call_later(LOCK_RETRY, self._flush)
                return
            self._fail(batch, exc)
            return
        except Exception as exc:
            self._fail(batch, exc)
            return
        self._since = time.monotonic()
        self.commits += 1
        for (_, _, future), new in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(new)
        added = sum(sum(r) for r in results)
        if added:
            self.on_new(added)
