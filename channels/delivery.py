"""Delivering the outbox: in order per recipient, concurrently across recipients, with retries.

A channel supplies a Transport (how to make one platform call and what its answer means);
the Sender does the rest: it takes each recipient's next due row, sends it, records the
outcome, backs off and retries what the platform says is worth retrying, and gives up, with
the error kept in the outbox, on what is not.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Protocol

from botcore.engine import mask_key
from botcore.mailbox import Mailbox, OutboxItem

log = logging.getLogger("loket.delivery")

MAX_ATTEMPTS: Final = 6
POLL: Final = 2.0  # seconds between looks at the outbox when nobody wakes the sender
MAX_DELAY: Final = 300.0  # seconds between two attempts, at most
SENDING_GRACE: Final = 15.0  # after a restart: how long a row caught mid-send waits for a status
WINDOW_MARGIN: Final = 1800.0  # treat the 24-hour window as closing half an hour early


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    platform_id: str = ""
    code: int | None = None
    error: str = ""
    retry: bool = False
    retry_after: float | None = None  # seconds, when the platform says how long to wait
    backoff_base: float = 2.0  # the delay grows as base ** (attempt - 1)
    close_window: bool = False
    token_error: bool = False


class Transport(Protocol):
    channel: str
    window: bool  # free-form messages need an open customer-service window

    async def send(self, item: OutboxItem) -> SendResult: ...

    async def mark_read(self, message_id: str) -> None: ...


class Sender:
    def __init__(
        self,
        transport: Transport,
        mailbox: Mailbox,
        concurrency: int = 16,
        time_scale: float = 1.0,
        pause: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.pause = pause  # the worker process's Pace, if any
        self.transport = transport
        self.mailbox = mailbox
        self.concurrency = concurrency
        self.time_scale = time_scale  # tests shrink back-off delays with this
        self.wake = asyncio.Event()
        self._marked: dict[str, None] = {}  # inbound ids already marked read (recent ones)
        self._background: set[asyncio.Task[None]] = set()

    def poke(self) -> None:
        self.wake.set()

    async def run(self) -> None:
        channel = self.transport.channel
        recovered = self.mailbox.recover(channel, time.time() + SENDING_GRACE * self.time_scale)
        if recovered:
            log.warning(
                "%d %s message(s) were being sent at the last stop; they go out again "
                "unless a status shows the platform has them",
                recovered,
                channel,
            )
        inflight: dict[str, asyncio.Task[tuple[OutboxItem, SendResult]]] = {}
        while True:
            if self.pause is not None:
                await self.pause()
            self._start(inflight)
            # Rows queued by another process (an officer's notice) wake nobody: look again soon.
            next_at = self.mailbox.next_due_at(channel)
            timeout = POLL if next_at is None else min(POLL, max(0.01, next_at - time.time()))
            self.wake.clear()
            waiter = asyncio.create_task(self.wake.wait())
            try:
                await asyncio.wait(
                    [waiter, *inflight.values()],
                    timeout=timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                waiter.cancel()
            finished = [t for t in inflight.values() if t.done()]
            for task in finished:
                del inflight[task.result()[0].recipient]
            # One transaction for the outcome of every call that finished meanwhile.
            with self.mailbox.transaction():
                for task in finished:
                    self.record(*task.result())

    def _start(self, inflight: dict[str, asyncio.Task[tuple[OutboxItem, SendResult]]]) -> None:
        """Take each recipient's next due row (none while one is in flight) and send it."""
        channel, mailbox = self.transport.channel, self.mailbox
        now = time.time()
        starting: list[OutboxItem] = []
        with mailbox.transaction():
            room = self.concurrency - len(inflight)
            # Rows of recipients already in flight are not due (an earlier row is open).
            for item in mailbox.due(channel, now, limit=room) if room > 0 else ():
                if item.recipient in inflight:
                    continue
                if self.transport.window and not mailbox.window_open(
                    channel, item.recipient, now, WINDOW_MARGIN
                ):
                    mailbox.failed(item.id, 131047, "24-hour window closed: not sent", now)
                    log.warning(
                        "reply %d to %s not sent: the 24-hour window is closed",
                        item.id,
                        mask_key(item.key),
                    )
                    continue
                if not self.transport.window and mailbox.closed(channel, item.recipient):
                    mailbox.failed(item.id, 403, "chat inactive (the bot is blocked)", now)
                    continue
                mailbox.sending(item.id, now)
                starting.append(item)
        for item in starting:
            inflight[item.recipient] = asyncio.create_task(self._send(item))

    async def _send(self, item: OutboxItem) -> tuple[OutboxItem, SendResult]:
        try:
            return item, await self.transport.send(item)
        except Exception as exc:  # network trouble of any kind is retried
            return item, SendResult(False, error=f"{type(exc).__name__}: {exc}"[:300], retry=True)

    def record(self, item: OutboxItem, result: SendResult) -> None:
        """Write down what a call achieved, and decide on a retry. Inside a transaction."""
        channel, mailbox = self.transport.channel, self.mailbox
        who = mask_key(item.key)
        now = time.time()
        attempt = item.attempts + 1
        if result.ok:
            mailbox.sent(item.id, result.platform_id, now)
            if item.reply_to and item.reply_to not in self._marked:
                self._remember(item.reply_to)
                task = asyncio.create_task(self._mark_read(item.reply_to))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            return
        if result.token_error:
            log.error(
                "%s rejected the access token (code %s): replies are NOT being delivered."
                " Renew the token in the settings.",
                channel,
                result.code,
            )
        if result.close_window:
            mailbox.close_window(channel, item.recipient)
        if result.retry and attempt < MAX_ATTEMPTS:
            delay = (
                result.retry_after
                if result.retry_after is not None
                else min(MAX_DELAY, result.backoff_base ** (attempt - 1)) * random.uniform(0.9, 1.1)
            )
            mailbox.retry(item.id, now + delay * self.time_scale, result.code, result.error, now)
            log.info(
                "reply %d to %s: %s (code %s); retry %d in %.1fs",
                item.id,
                who,
                result.error,
                result.code,
                attempt,
                delay * self.time_scale,
            )
            return
        mailbox.failed(item.id, result.code, result.error or "failed", now)
        log.warning(
            "reply %d to %s given up after %d attempt(s): %s (code %s)",
            item.id,
            who,
            attempt,
            result.error,
            result.code,
        )

    async def _mark_read(self, message_id: str) -> None:
        try:
            await self.transport.mark_read(message_id)
        except Exception as exc:  # a read mark is a courtesy
            log.debug("marking a %s message read failed: %s", self.transport.channel, exc)

    def _remember(self, message_id: str) -> None:
        self._marked[message_id] = None
        if len(self._marked) > 10_000:
            del self._marked[next(iter(self._marked))]
