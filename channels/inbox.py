"""Keeping verified webhook bodies with group commit: one transaction per event-loop turn.

Webhook handlers that run in the same turn of the event loop hand their bodies to one
InboxWriter; it commits them all in one SQLite transaction on the next turn and only then
lets the handlers answer 200. A commit per request would cost most of the server's time;
a commit per turn keeps the promise (nothing is acknowledged before it is on disk) at a
fraction of the cost. Reading the bodies is the worker's job (Worker.read_webhooks).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Final

from botcore.mailbox import Mailbox

log = logging.getLogger("loket.inbox")

LOCK_RETRY: Final = 0.0002  # seconds between tries while the worker process holds the lock
LOCK_PATIENCE: Final = 5.0  # then answer 503 so that the platform retries later


class InboxWriter:
    def __init__(self, mailbox: Mailbox, on_new: Callable[[int], None]) -> None:
        self.mailbox = mailbox
        self.on_new = on_new
        self._batch: list[tuple[str, bytes, asyncio.Future[None]]] = []
        self._since = time.monotonic()  # when the current batch started waiting
        self.commits = 0

    def record(self, channel: str, body: bytes) -> asyncio.Future[None]:
        """Queue a verified body for the next group commit; the future resolves once it is
        on disk (or fails, and the platform should be told to retry)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if not self._batch:
            self._since = time.monotonic()
            loop.call_soon(self._flush)
        self._batch.append((channel, body, future))
        return future

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        try:
            with self.mailbox.transaction():
                self.mailbox.keep_webhooks([(c, b) for c, b, _ in batch], time.time())
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
        self.commits += 1
        for _, _, future in batch:
            if not future.done():
                future.set_result(None)
        self.on_new(len(batch))

    def _fail(self, batch: list[tuple[str, bytes, asyncio.Future[None]]], exc: Exception) -> None:
        log.error("could not keep %d webhook(s): %s", len(batch), exc)
        for _, _, future in batch:
            if not future.done():
                future.set_exception(exc)
