"""The WhatsApp Cloud API webhook: Meta's handshake, signed deliveries, statuses.

POST bodies are checked against X-Hub-Signature-256 over the raw bytes, kept as they came
(group commit), and answered 200; the worker reads them (read_webhook). A body that is
signed but unreadable is still answered 200 (Meta would otherwise retry it for days) and
logged with personal data masked.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Final

from aiohttp import web

from botcore.errors import InboundPayloadError
from botcore.mailbox import Mailbox
from botcore.messages import IncomingMessage
from botcore.validators import mask, mask_number
from channels.inbox import InboxWriter

from .payloads import StatusUpdate, parse_webhook

log = logging.getLogger("loket.whatsapp")

PATH: Final = "/webhooks/whatsapp"
CHANNEL: Final = "whatsapp"
MAX_BODY: Final = 3 * 1024 * 1024  # Meta's payloads are at most 3 MB


class WhatsAppWebhook:
    def __init__(self, verify_token: str, app_secret: str, inbox: InboxWriter) -> None:
        self.verify_token = verify_token.encode()
        self.app_secret = app_secret.encode()
        self.inbox = inbox

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH, self.handshake), web.post(PATH, self.receive)]

    async def handshake(self, request: web.Request) -> web.Response:
        q = request.query
        token = q.get("hub.verify_token", "").encode()
        challenge = q.get("hub.challenge", "")
        if (
            q.get("hub.mode") == "subscribe"
            and challenge
            and hmac.compare_digest(token, self.verify_token)
        ):
            return web.Response(text=challenge, content_type="text/plain")
        log.warning("WhatsApp handshake refused (mode=%r)", q.get("hub.mode"))
        return web.Response(status=403, text="Forbidden")

    def signed(self, raw: bytes, header: str) -> bool:
        if not header.startswith("sha256="):
            return False
        expected = hmac.new(self.app_secret, raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, header[7:].strip().lower())

    async def receive(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="Payload Too Large")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="Payload Too Large")
        if not self.signed(raw, request.headers.get("X-Hub-Signature-256", "")):
            log.warning(
                "WhatsApp webhook with a missing or wrong signature refused (%d bytes)", len(raw)
            )
            return web.Response(status=401, text="Unauthorized")
        # Signed by Meta: keep it as it came, then answer. Reading it is the worker's job;
        # a body that turns out unreadable is logged there and still answered 200 here, so
        # Meta does not retry a poison message for days.
        try:
            await self.inbox.record(CHANNEL, raw)
        except Exception:  # storage trouble: let Meta retry later
            return web.Response(status=503, text="Service Unavailable")
        return web.Response(text="OK")


def read_webhook(
    raw: bytes, mailbox: Mailbox, now: float, phone_number_id: str
) -> list[IncomingMessage]:
    """A kept webhook body: its statuses applied to the outbox, its messages returned for
    the inbox. Runs in the worker, inside the transaction that moves them."""
    try:
        batch = parse_webhook(raw, phone_number_id)
    except InboundPayloadError as exc:
        excerpt = mask(raw[:200].decode("utf-8", "replace"))
        log.error("a signed WhatsApp webhook could not be read (%s): %r", exc, excerpt)
        return []
    for item in batch.ignored:
        log.info("WhatsApp webhook: ignored %s %s", item.reason, item.detail)
    for error in batch.errors:
        log.warning("WhatsApp webhook reports an error: %s", error)
    for status in batch.statuses:
        _status(mailbox, status, now)
    return list(batch.messages)


def _status(mailbox: Mailbox, s: StatusUpdate, now: float) -> None:
    known = mailbox.status(
        s.message_id, s.status, now, s.error_code, s.error_title, s.callback_data
    )
    if s.status == "failed":
        # A wamid encodes the resident's number: log the masked recipient instead.
        log.warning(
            "WhatsApp reports a message to %s failed: %s %s",
            mask_number(s.recipient),
            s.error_code,
            s.error_title,
        )
        if s.error_code == 131047:
            mailbox.close_window(CHANNEL, s.recipient)
    if not known:
        log.debug("status %s for a message we do not know", s.status)
