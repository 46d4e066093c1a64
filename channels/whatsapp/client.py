"""The Graph API client: one aiohttp session, one call per outbox row, errors classified."""

from __future__ import annotations

import json
import logging
from typing import Any, Final

import aiohttp

from botcore.mailbox import OutboxItem
from channels.delivery import SendResult

from .render import mark_read

log = logging.getLogger("loket.whatsapp")

# reference/protocols.md §2.5: codes worth another try, and the ones that never will be.
RETRYABLE: Final = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056, 131057})
TOKEN_ERRORS: Final = frozenset({0, 190})
TIMEOUT: Final = aiohttp.ClientTimeout(total=20, connect=5)


class WhatsAppClient:
    channel = "whatsapp"
    window = True

    def __init__(self, base_url: str, access_token: str, phone_number_id: str) -> None:
        self.url = f"{base_url.rstrip('/')}/{phone_number_id}/messages"
        self.headers = {"Authorization": f"Bearer {access_token}", "User-Agent": "loket/0.1"}
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT, headers=self.headers)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, item: OutboxItem) -> SendResult:
        # Echoed back in status webhooks: after a crash mid-send it tells whether Meta got it.
        body = {**item.body, "biz_opaque_callback_data": f"loket:{item.id}"}
        status, data = await self._post(body)
        if 200 <= status < 300:
            try:
                return SendResult(True, platform_id=str(data["messages"][0]["id"]))
            except (KeyError, IndexError, TypeError):
                return SendResult(False, error="success without a message id", retry=False)
        return classify(status, data)

    async def mark_read(self, message_id: str) -> None:
        status, data = await self._post(mark_read(message_id))
        if status >= 300:
            log.debug("mark as read answered %s: %s", status, _describe(data))

    async def _post(self, body: dict[str, Any]) -> tuple[int, Any]:
        async with self.session.post(self.url, json=body) as resp:
            raw = await resp.read()
            try:
                return resp.status, json.loads(raw)
            except ValueError:
                return resp.status, {"raw": raw[:200].decode("utf-8", "replace")}


def classify(status: int, data: Any) -> SendResult:
    """What an error answer means: retry (and how), give up, close the window, alarm."""
    error = data.get("error", {}) if isinstance(data, dict) else {}
    code = error.get("code") if isinstance(error, dict) else None
    code = code if isinstance(code, int) else None
    text = _describe(data)
    if code in TOKEN_ERRORS or status == 401:
        return SendResult(False, code=code, error=text, token_error=True)
    if code == 131056:  # pair rate limit: Meta asks for 4^n seconds
        return SendResult(False, code=code, error=text, retry=True, backoff_base=4.0)
    if code in RETRYABLE or (code is None and status >= 500) or status == 429:
        return SendResult(False, code=code, error=text, retry=True)
    if code is not None and status >= 500:
        return SendResult(False, code=code, error=text, retry=True)
    return SendResult(False, code=code, error=text, close_window=code == 131047)


def _describe(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        err = data["error"]
        details = (
            (err.get("error_data") or {}).get("details", "")
            if isinstance(err.get("error_data"), dict)
            else ""
        )
        return f"{err.get('message', 'error')}{': ' + details if details else ''}"[:300]
    return str(data)[:300]
