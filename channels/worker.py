"""The inbox worker: answers accepted messages in arrival order and queues the replies.

Each message's session, effects (a ticket, a request for an officer), outgoing platform calls
and the inbox row's 'done' mark commit in one SQLite transaction, or not at all. A crash
anywhere leaves the message pending, to be answered after the restart as if for the first
time. With a file store the worker runs in a process of its own beside the web server, so
acknowledging webhooks and answering them use both cores (see run_in_process).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import time
from collections.abc import Callable
from typing import Any, Final, Protocol

from botcore.engine import Engine, mask_key
from botcore.mailbox import InboxItem, Mailbox, Outgoing
from botcore.messages import IncomingMessage, Reply
from botcore.sessions import SQLiteStore, open_store
from botcore.spec import DialogBundle

from .settings import Settings

log = logging.getLogger("loket.worker")

BATCH = 8  # messages taken from the inbox at a time
POLL = 2.0  # seconds between looks at the inbox when nobody wakes the worker

# Turns one reply into the platform calls that show it, for one recipient.
Renderer = Callable[[Reply, str], list[dict[str, Any]]]
# Reads one kept webhook body: applies its statuses, returns its messages for the inbox.
Reader = Callable[[bytes, Mailbox, float], list[IncomingMessage]]
# Platform calls that come before the answer to a message (Telegram: take a keyboard away).
Prelude = Callable[[IncomingMessage], list[dict[str, Any]]]


class Outlets(Protocol):
    """What the worker needs of the mounted channels (see app.Channels)."""

    renderers: dict[str, Renderer]
    readers: dict[str, Reader]
    preludes: dict[str, Prelude]

    def poke(self, channel: str) -> None: ...


class Pace:
    """Whether the web server is in a surge of webhooks (it says so through the wake pipe).
    In a surge, background work takes small bites with pauses between them, so the server
    keeps the CPU and the database's write lock for acknowledging; it catches up after."""

    PAUSE: Final = 0.1  # seconds between bites during a surge

    def __init__(self) -> None:
        self.surge = False

    async def pause(self) -> None:
        await asyncio.sleep(self.PAUSE if self.surge else 0)


class Worker:
    def __init__(
        self,
        engine: Engine,
        store: SQLiteStore,
        mailbox: Mailbox,
        channels: Outlets,
        pace: Pace | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.mailbox = mailbox
        self.channels = channels
        self.pace = pace or Pace()
        self.wake = asyncio.Event()
        self.processed = 0

    async def run(self) -> None:
        while True:
            read = self.read_webhooks()
            # Console conversations are answered by their own `loket chat`, not here.
            served = self.channels.renderers.keys()
            items = self.mailbox.pending(BATCH, channels=served)
            if not items:
                if read:
                    continue
                self.wake.clear()
                # Re-check after clearing, so a wake-up between the two is not lost.
                if not self.mailbox.webhooks(1) and not self.mailbox.pending(1, served):
                    # An officer's action comes from another process and wakes nobody.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), POLL)
                continue
            await self.answer(items)
            await self.pace.pause()  # let the senders and the webhooks have the loop too

    def read_webhooks(self) -> int:
        """Move the messages of kept webhook bodies into the inbox, in arrival order, in one
        transaction (a savepoint per body, so one that fails is set aside alone)."""
        bodies = self.mailbox.webhooks(BATCH)
        if not bodies:
            return 0
        failed: list[tuple[int, str]] = []
        db = self.store.db
        with self.store.transaction():
            for webhook_id, channel, body in bodies:
                db.execute("SAVEPOINT read")
                try:
                    reader = self.channels.readers.get(channel)
                    if reader is None:
                        raise LookupError(f"no channel {channel} is mounted")
                    now = time.time()
                    self.mailbox.accept(reader(body, self.mailbox, now), now)
                    self.mailbox.webhook_read(webhook_id)
                except Exception as exc:
                    log.exception("could not read kept webhook %d (%s)", webhook_id, channel)
                    db.execute("ROLLBACK TO read")
                    failed.append((webhook_id, f"{type(exc).__name__}: {exc}"[:300]))
                db.execute("RELEASE read")
        for webhook_id, error in failed:
            self.mailbox.webhook_failed(webhook_id, error)
        return len(bodies)

    async def answer(self, items: list[InboxItem]) -> None:
        channels: set[str] = set()
        for item in items:
            try:
                await self._answer(item)
            except Exception:
                log.exception(
                    "could not answer inbox item %d from %s", item.id, mask_key(item.message.key)
                )
                self.mailbox.fail(item.id, "internal error")
                continue
            self.processed += 1
            channels.add(item.message.channel)
        for channel in channels:
            self.channels.poke(channel)

    async def _answer(self, item: InboxItem) -> None:
        """The step outside any transaction (this worker is the only writer of sessions),
        then one short transaction for effects, session, replies and the 'done' mark."""
        msg = item.message
        renderer = self.channels.renderers.get(msg.channel)
        if renderer is None:
            raise LookupError(f"no channel {msg.channel} is mounted")
        engine = self.engine
        compiled = engine.compiled
        now = msg.time or engine.clock()
        before = await self.store.load(msg.key)
        try:
            outcome = engine.step(before, msg, now, compiled)
        except Exception:
            log.exception("step failed for %s", mask_key(msg.key))
            outcome = None
        replies = [Reply(text=compiled.bundle.texts.fallback.strip())]
        if outcome is not None and not outcome.effects:
            # Nothing to write but the session: render before taking the write lock.
            replies = await engine.finish(outcome, now, compiled)
        # The store never suspends inside these awaits, so nothing else touches the
        # connection until this transaction commits.
        with self.store.transaction():
            if outcome is not None:
                if outcome.effects:
                    replies = await engine.finish(outcome, now, compiled)
                await self.store.save(outcome.session, outcome.notes)
            self.mailbox.done(item, self._calls(msg, replies, renderer), time.time())

    def _calls(
        self, msg: IncomingMessage, replies: list[Reply], renderer: Renderer
    ) -> list[Outgoing]:
        prelude = self.channels.preludes.get(msg.channel)
        bodies = prelude(msg) if prelude is not None else []
        bodies += [body for reply in replies for body in renderer(reply, msg.sender)]
        return [Outgoing(msg.channel, msg.sender, msg.key, b, msg.message_id) for b in bodies]


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


async def run_in_process(settings: Settings, bundle: DialogBundle, wake_fd: int) -> None:
    """The worker process (`loket work`): answer the inbox, deliver the outbox, until the
    server stops it or goes away."""
    from .app import build_channels
    from .operator import keep_reminding

    _die_with_parent()
    # Acknowledging first: when both processes want the CPU, the web server gets it sooner.
    with contextlib.suppress(OSError):
        os.nice(5)
    parent = os.getppid()
    store = open_store(settings.store)
    if not isinstance(store, SQLiteStore):
        raise SystemExit("loket work needs a file store (sqlite:///...)")
    mailbox = Mailbox(store)
    pace = Pace()
    channels = build_channels(settings, mailbox, pace)
    worker = Worker(Engine(bundle, store), store, mailbox, channels, pace)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def woken() -> None:
        try:
            data = os.read(wake_fd, 4096)
        except BlockingIOError:
            return
        if not data:  # the server closed its end: it is stopping
            loop.remove_reader(wake_fd)
            stop.set()
            return
        # b"s" starts a surge, b"q" ends it, anything else only wakes us.
        surge, quiet = data.rfind(b"s"), data.rfind(b"q")
        if surge != quiet:
            pace.surge = surge > quiet
        worker.wake.set()
        for channel in channels.senders:
            channels.poke(channel)

    os.set_blocking(wake_fd, False)
    loop.add_reader(wake_fd, woken)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    tasks = [asyncio.create_task(worker.run())]
    tasks += [asyncio.create_task(s.run()) for s in channels.senders.values()]
    tasks.append(asyncio.create_task(keep_reminding(store, worker.engine)))
    if settings.reload:
        from pathlib import Path

        from botcore.reload import DialogWatcher

        # The server reports refused edits; here a good one simply replaces the engine's.
        watcher = DialogWatcher(Path(settings.dialogs), worker.engine.reload, lambda _: None)
        tasks.append(asyncio.create_task(watcher.run(), name="dialogs-watcher"))

    async def watch_parent() -> None:
        while os.getppid() == parent:
            await asyncio.sleep(1.0)
        stop.set()

    tasks.append(asyncio.create_task(watch_parent()))
    worker.wake.set()  # whatever was pending at the last stop
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for close in channels.closers:
        await close()
    await store.close()
