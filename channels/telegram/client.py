"""The Bot API client on python-telegram-bot: its Bot, request layer, rate limiter and errors.

Calls go through `Bot.do_api_request(..., return_type=None)` with plain dicts: building and
parsing PTB's Telegram objects would cost most of the time of a call. Method names are sent
in lower case (the Bot API ignores case), which also keeps PTB from suggesting its own
methods for them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any, Final

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from botcore.mailbox import OutboxItem
from channels.delivery import SendResult

log = logging.getLogger("loket.telegram")

PER_CHAT_INTERVAL: Final = 1.0  # seconds between two messages to one chat (Bot FAQ)
COMMANDS: Final = [
    {"command": "start", "description": "Mulai dan tampilkan menu utama"},
    {"command": "menu", "description": "Menu utama"},
    {"command": "petugas", "description": "Bertanya kepada petugas"},
    {"command": "bantuan", "description": "Cara menggunakan layanan ini"},
]
ALLOWED_UPDATES: Final = ["message", "edited_message", "callback_query", "my_chat_member"]


class TelegramClient:
    channel = "telegram"
    window = False  # Telegram has no customer-service window; blocked chats are closed instead

    def __init__(self, token: str, base_url: str, *, polling: bool = False) -> None:
        # PTB's AIORateLimiter keeps to 30 messages a second overall (and 20 a minute per
        # group); a 429 is handed back to the sender, which waits retry_after and retries.
        self.bot: ExtBot[Any] = ExtBot(
            token,
            base_url=base_url,
            request=HTTPXRequest(connection_pool_size=32),
            get_updates_request=HTTPXRequest(read_timeout=60) if polling else None,
            rate_limiter=AIORateLimiter(max_retries=0),
        )
        self._last: dict[str, float] = {}  # chat -> when the last message went out

    async def start(self) -> None:
        await self.bot.initialize()  # getMe: fails early on a wrong token

    async def close(self) -> None:
        await self.bot.shutdown()

    async def call(self, method: str, params: dict[str, Any], **timeouts: Any) -> Any:
        return await self.bot.do_api_request(
            method.lower(), api_kwargs=params, return_type=None, **timeouts
        )

    async def send(self, item: OutboxItem) -> SendResult:
        params = dict(item.body)
        method = str(params.pop("method", "sendMessage"))
        if method.startswith("send"):  # edits take a keyboard away; they need no pacing
            await self._pace(item.recipient)
        try:
            result = await self.call(method, params)
        except RetryAfter as exc:
            return SendResult(
                False, code=429, error=str(exc), retry=True, retry_after=_seconds(exc.retry_after)
            )
        except Forbidden as exc:  # blocked by the user, or the bot may not write first
            return SendResult(False, code=403, error=str(exc), close_window=True)
        except BadRequest as exc:
            # An edit of a message that did not change, or is gone, is not worth a retry.
            return SendResult(False, code=400, error=str(exc))
        except (NetworkError, TimeoutError) as exc:
            return SendResult(False, error=f"{type(exc).__name__}: {exc}", retry=True)
        except TelegramError as exc:
            token = "Unauthorized" in str(exc) or "token" in str(exc).lower()
            return SendResult(False, error=str(exc), token_error=token, retry=not token)
        message_id = result.get("message_id", "") if isinstance(result, dict) else ""
        return SendResult(True, platform_id=str(message_id))

    async def mark_read(self, message_id: str) -> None:
        return None  # bots have no read receipts on Telegram

    async def answer_callback(self, query_id: str) -> None:
        """Stop the spinner on a tapped button; every tap gets this, even a stale one."""
        try:
            await self.call("answerCallbackQuery", {"callback_query_id": query_id})
        except TelegramError as exc:
            log.info("answerCallbackQuery failed: %s", exc)

    async def _pace(self, chat: str) -> None:
        # The sender sends one message per chat at a time, so a sleep here orders nothing
        # out; it only spaces one chat's messages.
        now = time.monotonic()
        wait = self._last.get(chat, 0.0) + PER_CHAT_INTERVAL - now
        if wait > 0:
            await asyncio.sleep(wait)
        self._last[chat] = time.monotonic()
        if len(self._last) > 10_000:
            cutoff = time.monotonic() - PER_CHAT_INTERVAL
            self._last = {c: t for c, t in self._last.items() if t > cutoff}


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
