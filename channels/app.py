"""The composition root of `loket serve`: the store, the engine, the channels, the routes.

The web server acknowledges webhooks (inbox, group commit) and takes delivery statuses. The
worker answers the inbox and the senders deliver the outbox. With a file store they run in
a second process (`loket work`, started and watched by the server), so that a burst of
webhooks and the work of answering them do not share one core; with `memory://` they run
in the server's own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from botcore.engine import Engine
from botcore.mailbox import Mailbox
from botcore.reload import DialogWatcher, Rejection
from botcore.sessions import MemoryStore, SQLiteStore, open_store
from botcore.spec import DialogBundle

from .delivery import Sender
from .inbox import InboxWriter
from .settings import Settings
from .worker import Pace, Prelude, Reader, Renderer, Worker

log = logging.getLogger("loket.app")

MAILBOX: web.AppKey[Mailbox] = web.AppKey("mailbox", Mailbox)
MAX_BODY = 3 * 1024 * 1024
SURGE_RATE = 1500.0  # new messages a second above which the worker waits for a lull
SURGE_WINDOW = 0.2  # seconds over which that rate is measured
WHATSAPP_SETTINGS = {
    "whatsapp_verify_token": "WHATSAPP_VERIFY_TOKEN",
    "whatsapp_app_secret": "WHATSAPP_APP_SECRET",
    "whatsapp_access_token": "WHATSAPP_ACCESS_TOKEN",
    "whatsapp_phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
}


def missing(settings: Settings, names: dict[str, str]) -> list[str]:
    return [env for attr, env in names.items() if not getattr(settings, attr)]


@dataclass
class Channels:
    """The outgoing side of the mounted channels: how to render, who delivers."""

    renderers: dict[str, Renderer] = field(default_factory=dict)
    readers: dict[str, Reader] = field(default_factory=dict)
    preludes: dict[str, Prelude] = field(default_factory=dict)
    senders: dict[str, Sender] = field(default_factory=dict)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def poke(self, channel: str) -> None:
        sender = self.senders.get(channel)
        if sender is not None:
            sender.poke()


def build_channels(settings: Settings, mailbox: Mailbox, pace: Pace | None = None) -> Channels:
    """The sending side of every channel whose settings are there (build_app logs which
    are missing)."""
    channels = Channels()
    if not missing(settings, WHATSAPP_SETTINGS):
        from .whatsapp.client import WhatsAppClient
        from .whatsapp.render import to_whatsapp
        from .whatsapp.webhook import read_webhook

        client = WhatsAppClient(
            settings.whatsapp_api_base,
            settings.whatsapp_access_token,
            settings.whatsapp_phone_number_id,
        )
        channels.senders["whatsapp"] = Sender(
            client,
            mailbox,
            time_scale=settings.retry_scale,
            pause=pace.pause if pace is not None else None,
        )
        channels.renderers["whatsapp"] = to_whatsapp
        channels.readers["whatsapp"] = functools.partial(
            read_webhook, phone_number_id=settings.whatsapp_phone_number_id
        )
        channels.closers.append(client.close)
    if settings.telegram_bot_token:
        from .telegram.client import TelegramClient
        from .telegram.render import to_telegram
        from .telegram.webhook import prelude, read_update

        telegram = TelegramClient(settings.telegram_bot_token, settings.telegram_api_base)
        channels.senders["telegram"] = Sender(
            telegram,
            mailbox,
            time_scale=settings.retry_scale,
            pause=pace.pause if pace is not None else None,
        )
        channels.renderers["telegram"] = to_telegram
        channels.readers["telegram"] = read_update
        channels.preludes["telegram"] = prelude
        channels.closers.append(telegram.close)
    return channels


@dataclass
class Dialogs:
    """The dialogs in use, and the last edit that was refused (shown in the inbox)."""

    bundle: DialogBundle
    rejected: Rejection | None = None
    rejected_at: float = 0.0

    def swap(self, bundle: DialogBundle) -> None:
        self.bundle, self.rejected = bundle, None

    def reject(self, rejection: Rejection) -> None:
        self.rejected, self.rejected_at = rejection, time.time()

    def watcher(self, settings: Settings, *also: Callable[[DialogBundle], None]) -> DialogWatcher:
        def swap(bundle: DialogBundle) -> None:
            self.swap(bundle)
            for hook in also:
                hook(bundle)

        return DialogWatcher(Path(settings.dialogs), swap, self.reject)


def build_app(settings: Settings, bundle: DialogBundle) -> web.Application:
    opened = open_store(settings.store)
    in_process = isinstance(opened, MemoryStore)
    # The inbox and outbox live in SQLite; memory:// means a throw-away in-memory database.
    store = SQLiteStore(":memory:") if in_process else opened
    assert isinstance(store, SQLiteStore)
    mailbox = Mailbox(store)
    app = web.Application(client_max_size=MAX_BODY)
    dialogs = Dialogs(bundle)
    worker_proc = WorkerProcess(settings)
    worker: Worker | None = None
    channels = Channels()
    if in_process:
        channels = build_channels(settings, mailbox)
        worker = Worker(Engine(bundle, store), store, mailbox, channels)
        wake = worker.wake
        inbox = InboxWriter(mailbox, on_new=lambda _new: wake.set())
    else:
        # Never block the event loop on the worker's writes: the inbox retries instead.
        store.wait_for_lock(0)
        inbox = InboxWriter(mailbox, on_new=worker_proc.wake)

    async def health(_: web.Request) -> web.Response:
        alive = worker is not None or worker_proc.alive()
        return web.json_response(
            {
                "status": "ok" if alive else "degraded",
                "dialogs": dialogs.bundle.version,
                "worker": "in-process" if worker is not None else worker_proc.state(),
                **mailbox.counts(),
            },
            status=200 if alive else 503,
        )

    async def metrics(_: web.Request) -> web.Response:
        """Prometheus text format: queues, officers' queue, complaints. No personal data."""
        alive = worker is not None or worker_proc.alive()
        lines = [f"loket_worker_up {int(alive)}"]
        lines += [f"loket_{name} {value}" for name, value in mailbox.counts().items()]
        with store.lock:
            for status, count in store.db.execute(
                "SELECT status, COUNT(*) FROM operator_requests GROUP BY status"
            ):
                lines.append(f'loket_operator_requests{{status="{status}"}} {count}')
            for status, count in store.db.execute(
                "SELECT status, COUNT(*) FROM complaints GROUP BY status"
            ):
                lines.append(f'loket_complaints{{status="{status}"}} {count}')
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")

    app.router.add_get("/healthz", health)
    app.router.add_get("/metrics", metrics)
    if not missing(settings, WHATSAPP_SETTINGS):
        from .whatsapp.webhook import WhatsAppWebhook

        webhook = WhatsAppWebhook(
            settings.whatsapp_verify_token, settings.whatsapp_app_secret, inbox
        )
        app.router.add_routes(webhook.routes())
        log.info("WhatsApp mounted at /webhooks/whatsapp")
    else:
        log.warning(
            "WhatsApp is not mounted: %s not set",
            ", ".join(missing(settings, WHATSAPP_SETTINGS)),
        )

    def wake_worker() -> None:
        if worker is not None:
            worker.wake.set()
        else:
            worker_proc.wake(1)

    mount_inbox(app, settings, store, dialogs, wake_worker)

    telegram_in = None
    if settings.telegram_bot_token:
        from .telegram.client import TelegramClient
        from .telegram.webhook import Acknowledger, Poller, TelegramWebhook

        # The server's own client: it answers taps at once, registers commands, and polls.
        telegram_in = TelegramClient(
            settings.telegram_bot_token,
            settings.telegram_api_base,
            polling=not settings.telegram_webhook_secret,
        )
        ack = Acknowledger(telegram_in)
        if settings.telegram_webhook_secret:
            app.router.add_routes(
                TelegramWebhook(settings.telegram_webhook_secret, inbox, ack).routes()
            )
            log.info("Telegram mounted at /webhooks/telegram")
        else:
            poller = Poller(telegram_in, inbox, ack)
            log.info("Telegram: no TELEGRAM_WEBHOOK_SECRET, so updates are long-polled")
    else:
        log.warning("Telegram is not mounted: TELEGRAM_BOT_TOKEN not set")

    async def background(app: web.Application) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[Any]] = []
        if settings.reload:
            # The worker process watches on its own; this one keeps the inbox and /healthz
            # current, and remembers a refused edit for the officers to see.
            hooks = [worker.engine.reload] if worker is not None else []
            watcher = dialogs.watcher(settings, *hooks)
            tasks.append(asyncio.create_task(watcher.run(), name="dialogs-watcher"))
        if telegram_in is not None:
            await start_telegram(telegram_in)
            if not settings.telegram_webhook_secret:
                tasks.append(asyncio.create_task(poller.run(), name="telegram-poller"))
        if worker is not None:
            from .operator import keep_reminding

            tasks.append(asyncio.create_task(worker.run(), name="worker"))
            tasks.append(asyncio.create_task(keep_reminding(store, worker.engine)))
            tasks += [asyncio.create_task(s.run()) for s in channels.senders.values()]
        else:
            tasks.append(asyncio.create_task(worker_proc.supervise(), name="supervise"))
            tasks.append(asyncio.create_task(worker_proc.calm(), name="calm"))
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        worker_proc.stop()
        for close in channels.closers:
            await close()
        if telegram_in is not None:
            await telegram_in.close()
        await store.close()

    app.cleanup_ctx.append(background)
    app[MAILBOX] = mailbox
    return app


def mount_inbox(
    app: web.Application,
    settings: Settings,
    store: SQLiteStore,
    dialogs: Dialogs,
    wake: Callable[[], None],
) -> None:
    """The officers' web inbox under /inbox/, when LOKET_INBOX_TOKEN names officers."""
    from .web.auth import parse_officers
    from .web.inbox import Inbox

    officers, problems = parse_officers(settings.inbox_token)
    for problem in problems:
        log.error("%s", problem)
    if not officers:
        log.warning("the officers' inbox is not mounted: LOKET_INBOX_TOKEN names no officer")
        return
    inbox = Inbox(store, lambda: dialogs.bundle, officers, wake, lambda: dialogs.rejected)

    async def to_inbox(_: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently("/inbox/")

    app.router.add_get("/inbox", to_inbox)
    app.add_subapp("/inbox/", inbox.app())
    log.info("the officers' inbox is at /inbox/ for %d officer(s)", len(officers))


async def start_telegram(client: Any) -> None:
    """getMe (a wrong token fails here, loudly) and the bot's command menu."""
    from .telegram.client import COMMANDS

    try:
        await client.start()
        await client.call("setMyCommands", {"commands": COMMANDS})
    except Exception as exc:
        log.error("Telegram could not be started: %s", exc)


class WorkerProcess:
    """`loket work` as a child of the server: started, woken through a pipe, restarted if it
    dies, stopped with the server (and killed by the kernel if the server is)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.proc: subprocess.Popen[bytes] | None = None
        self.read_fd = self.write_fd = -1
        self.restarts = 0
        self.window_start = time.monotonic()
        self.count = 0
        self.surging = False

    def start(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.write_fd, False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "channels.cli", "work", "--wake-fd", str(self.read_fd)],
            pass_fds=(self.read_fd,),
        )
        os.close(self.read_fd)

    def wake(self, new: int) -> None:
        """New messages are in the inbox; also tell the worker when a surge starts or ends."""
        now = time.monotonic()
        self.count += new
        signal = b"x"
        if now - self.window_start >= SURGE_WINDOW:
            rate = self.count / (now - self.window_start)
            self.window_start, self.count = now, 0
            if (rate > SURGE_RATE) != self.surging:
                self.surging = not self.surging
                signal = b"s" if self.surging else b"q"
        self._send(signal)

    def _send(self, signal: bytes) -> None:
        if self.write_fd >= 0:
            # A full pipe already holds a wake-up; a missing reader is being restarted.
            with contextlib.suppress(BlockingIOError, BrokenPipeError):
                os.write(self.write_fd, signal)

    async def calm(self) -> None:
        """End a surge that ended with silence (no message arrives to say so)."""
        while True:
            await asyncio.sleep(SURGE_WINDOW)
            if self.surging and time.monotonic() - self.window_start > 2 * SURGE_WINDOW:
                self.surging, self.count = False, 0
                self.window_start = time.monotonic()
                self._send(b"q")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def state(self) -> str:
        return "running" if self.alive() else "stopped"

    async def supervise(self) -> None:
        self.start()
        while True:
            await asyncio.sleep(1.0)
            if not self.alive():
                code = self.proc.returncode if self.proc else None
                self.restarts += 1
                log.error("the worker process stopped (exit %s); restarting it", code)
                os.close(self.write_fd)
                self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1
