"""Telegram updates in: the webhook, long polling, and reading kept updates in the worker.

Both ways in keep each update as it came (group commit) before acknowledging it, and answer
a button tap's callback query at once, even a stale one, so the resident's spinner stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from dataclasses import replace
from typing import Final

from aiohttp import web
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from botcore.errors import InboundPayloadError
from botcore.mailbox import Mailbox
from botcore.messages import IncomingMessage, Kind
from botcore.validators import mask_number
from channels.inbox import InboxWriter

from .client import ALLOWED_UPDATES, TelegramClient, _seconds
from .payloads import CHANNEL, parse_update
from .render import remove_keyboard

log = logging.getLogger("loket.telegram")

PATH: Final = "/webhooks/telegram"
MAX_BODY: Final = 1024 * 1024
POLL_TIMEOUT: Final = 25  # seconds a getUpdates call waits for updates


def callback_query_id(raw: bytes) -> str:
    if b'"callback_query"' not in raw:
        return ""
    try:
        query = json.loads(raw).get("callback_query") or {}
    except (ValueError, AttributeError):
        return ""
    return str(query.get("id", "")) if isinstance(query, dict) else ""


class Acknowledger:
    """Answers callback queries in the background, so that nothing waits on Telegram."""

    def __init__(self, client: TelegramClient) -> None:
        self.client = client
        self._tasks: set[asyncio.Task[None]] = set()

    def tapped(self, raw: bytes) -> None:
        query_id = callback_query_id(raw)
        if query_id:
            task = asyncio.create_task(self.client.answer_callback(query_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


class TelegramWebhook:
    def __init__(self, secret: str, inbox: InboxWriter, ack: Acknowledger) -> None:
        self.secret = secret.encode()
        self.inbox = inbox
        self.ack = ack

    def routes(self) -> list[web.RouteDef]:
        return [web.post(PATH, self.receive)]

    async def receive(self, request: web.Request) -> web.Response:
        token = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
        if not hmac.compare_digest(token, self.secret):
            log.warning("Telegram webhook with a missing or wrong secret token refused")
            return web.Response(status=403, text="Forbidden")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="Payload Too Large")
        raw = await request.read()
        try:
            await self.inbox.record(CHANNEL, raw)
        except Exception:  # storage trouble: Telegram retries a webhook that is not 2xx
            return web.Response(status=503, text="Service Unavailable")
        self.ack.tapped(raw)
        return web.Response(text="OK")


class Poller:
    """getUpdates with a long timeout, for an office PC without a public HTTPS address. An
    update is confirmed to Telegram (by the next call's offset) only once it is kept."""

    def __init__(self, client: TelegramClient, inbox: InboxWriter, ack: Acknowledger) -> None:
        self.client = client
        self.inbox = inbox
        self.ack = ack
        self.offset = 0

    async def run(self) -> None:
        await self.client.call("deleteWebhook", {"drop_pending_updates": False})
        try:
            while True:
                try:
                    updates = await self.client.call(
                        "getUpdates",
                        {
                            "offset": self.offset,
                            "timeout": POLL_TIMEOUT,
                            "allowed_updates": ALLOWED_UPDATES,
                        },
                        read_timeout=POLL_TIMEOUT + 10,
                    )
                except RetryAfter as exc:
                    await asyncio.sleep(_seconds(exc.retry_after))
                    continue
                except Conflict as exc:
                    log.error(
                        "Telegram refuses polling (%s): is a webhook set, or another "
                        "poller running with this token?",
                        exc,
                    )
                    await asyncio.sleep(5)
                    continue
                except InvalidToken:
                    log.error("Telegram rejected TELEGRAM_BOT_TOKEN; polling stopped")
                    return
                except (NetworkError, TelegramError, TimeoutError) as exc:
                    log.info("getUpdates failed (%s); trying again", exc)
                    await asyncio.sleep(1)
                    continue
                if not updates:
                    continue
                raws = [json.dumps(u, ensure_ascii=False).encode() for u in updates]
                await asyncio.gather(*(self.inbox.record(CHANNEL, raw) for raw in raws))
                for raw in raws:
                    self.ack.tapped(raw)
                self.offset = int(updates[-1]["update_id"]) + 1
        finally:
            if self.offset:
                # Confirm what was kept, so a restart does not fetch it again.
                with_timeout = asyncio.wait_for(
                    self.client.call("getUpdates", {"offset": self.offset, "timeout": 0}), 5
                )
                with contextlib.suppress(TelegramError, TimeoutError, asyncio.CancelledError):
                    await asyncio.shield(with_timeout)


def read_update(raw: bytes, mailbox: Mailbox, now: float) -> list[IncomingMessage]:
    """A kept update, read in the worker: the message for the inbox, if any. A tap on a
    keyboard older than the newest one sent to the chat is marked stale."""
    try:
        update = parse_update(raw)
    except InboundPayloadError as exc:
        log.error("a kept Telegram update could not be read: %s", exc)
        return []
    if update.blocked_chat:
        log.info(
            "chat %s blocked the bot; no more messages go to it until it writes",
            mask_number(update.blocked_chat),
        )
        mailbox.close_window(CHANNEL, update.blocked_chat)
    if update.message is None:
        if update.ignored:
            log.info("Telegram update ignored: %s", update.ignored)
        return []
    msg = update.message
    if msg.kind == Kind.CHOICE:
        tapped = str(msg.extra.get("tg_message_id", ""))
        newest = mailbox.newest_keyboard(CHANNEL, msg.sender)
        # Message ids grow within a chat: only an older keyboard is stale (a newer one may be
        # a message whose id the sender has not written down yet).
        if newest.isdigit() and tapped.isdigit() and int(tapped) < int(newest):
            msg = replace(msg, extra={**msg.extra, "stale": True})
    return [msg]


def prelude(msg: IncomingMessage) -> list[dict[str, object]]:
    """Before answering a tap: take the keyboard off the tapped message, so its buttons
    cannot be tapped again into a conversation that has moved on."""
    message_id = msg.extra.get("tg_message_id")
    if msg.kind == Kind.CHOICE and isinstance(message_id, int) and message_id > 0:
        return [remove_keyboard(msg.sender, message_id)]
    return []
