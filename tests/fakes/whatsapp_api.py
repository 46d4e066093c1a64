"""A local fake of Meta's WhatsApp Cloud API (Graph API sends, webhooks to the bot) for tests."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import ClientError, ClientSession, ClientTimeout, web

JSON = dict[str, Any]
StatusItem = tuple[str, str] | tuple[str, str, int] | Mapping[str, Any]
Injectable = int | Literal["drop"]

# The values used throughout /work/shared/reference/protocols.md.
PHONE_NUMBER_ID = "109000000000001"
DISPLAY_PHONE_NUMBER = "6282100000001"
WABA_ID = "104000000000001"
RESIDENT = "6281234567890"
WINDOW_SECONDS = 24 * 60 * 60
SEND_TYPES = frozenset(
    {"text", "interactive", "location", "image", "document", "template", "contacts"}
)
_TOP_LEVEL = SEND_TYPES | {"messaging_product", "recipient_type", "to", "recipient", "type"}
_TOP_LEVEL |= {"context", "biz_opaque_callback_data"}
_BSUID = re.compile(r"^[A-Z]{2}\.")
_ERROR_HREF = "/documentation/business-messaging/whatsapp/support/error-codes"

# code -> (HTTP status, title), as in protocols.md §2.5; Meta says to branch on the code only.
ERRORS: dict[int, tuple[int, str]] = {
    2: (503, "Service temporarily unavailable"),
    4: (400, "Application request limit reached"),
    100: (400, "Invalid parameter"),
    190: (401, "Invalid OAuth access token - Cannot parse access token"),
    130429: (400, "Rate limit hit"),
    131000: (500, "Something went wrong"),
    131008: (400, "Required parameter is missing"),
    131009: (400, "Parameter value is not valid"),
    131016: (500, "Service unavailable"),
    131026: (400, "Message undeliverable"),
    131047: (400, "Re-engagement message"),
    131048: (400, "Spam rate limit hit"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    131057: (500, "Account in maintenance mode"),
}
_DETAILS = {
    130429: "Cloud API message throughput has been reached.",
    131047: "Message failed to send because more than 24 hours have passed since the customer "
    "last replied to this number.",
    131056: "Message failed to send because there were too many messages sent from this phone "
    "number to the same phone number in a short period of time.",
}


def meta_json(obj: Any) -> bytes:
    """Serialise like Meta's webhook sender: compact, ASCII-only, `/` escaped as `\\/`."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


def signature_for(app_secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value Meta sends for these exact body bytes."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def user_key(who: str) -> str:
    """Phones compare by digits (`+62 812-…` == `62812…`); BSUIDs (`ID.812…`) stay as they are."""
    return who if _BSUID.match(who) else re.sub(r"\D", "", who)


class GraphError(Exception):
    """A Graph API error, rendered as Meta's error envelope."""

    def __init__(self, code: int, details: str = "") -> None:
        self.status, self.title = ERRORS.get(code, (400, "Error"))
        self.code, self.details = code, details or _DETAILS.get(code, self.title)
        super().__init__(f"(#{code}) {self.details}")

    def envelope(self) -> JSON:
        error: JSON = {"type": "OAuthException", "code": self.code}
        if self.code == 190:  # token errors carry no WhatsApp error_data
            error["message"] = self.title
        else:
            error["message"] = f"(#{self.code}) {self.title}"
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = secrets.token_urlsafe(12)
        return {"error": error}

    def response(self) -> web.Response:
        return web.json_response(self.envelope(), status=self.status)


@dataclass
class Sent:
    """One message the fake accepted, in arrival order."""

    index: int
    wamid: str
    recipient: str  # user_key() of `to` (or of the BSUID in `recipient`)
    body: JSON
    error_code: int | None = None  # accepted, then failed by a status webhook (async 131047)

    @property
    def type(self) -> str:
        return str(self.body.get("type", "text"))

    @property
    def text(self) -> str:
        """What the resident reads: text body, interactive body, caption, place, …"""
        payload = self.body[self.type]
        if self.type == "text":
            return str(payload["body"])
        if self.type == "interactive":
            return str(payload["body"]["text"])
        if self.type in ("image", "document"):
            return str(payload.get("caption", ""))
        if self.type == "location":
            place = [str(payload[k]) for k in ("name", "address") if payload.get(k)]
            return "\n".join(place) or f"{payload['latitude']},{payload['longitude']}"
        if self.type == "template":
            return f"[template {payload['name']}]"
        return ", ".join(str(c["name"]["formatted_name"]) for c in payload)  # contacts

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of each reply button or list row offered."""
        if self.type != "interactive":
            return []
        action = self.body["interactive"]["action"]
        if "buttons" in action:
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        return [(r["id"], r["title"]) for s in action["sections"] for r in s["rows"]]


@dataclass(frozen=True)
class ReadMark:
    message_id: str
    typing: bool


@dataclass(frozen=True)
class Rejection:
    code: int
    status: int
    recipient: str
    body: JSON | None


@dataclass
class _Injection:
    what: Injectable
    remaining: int
    recipient: str | None
    on: str


class FakeGraphAPI:
    """Meta's Graph API for one business phone number, on 127.0.0.1, plus Meta's webhook sender."""

    def __init__(
        self,
        access_token: str,
        phone_number_id: str = PHONE_NUMBER_ID,
        *,
        app_secret: str = "",
        webhook_url: str = "",
        display_phone_number: str = DISPLAY_PHONE_NUMBER,
        waba_id: str = WABA_ID,
        version: str = "v23.0",
    ) -> None:
        self.access_token, self.phone_number_id = access_token, phone_number_id
        self.app_secret, self.webhook_url = app_secret, webhook_url
        self.display_phone_number = display_phone_number
        self.waba_id, self.version = waba_id, version
        self.enforce_window = True
        # Meta reports 131047 either in the send response or later as a `failed` status.
        self.window_error: Literal["sync", "async"] = "sync"
        self.auto_status = False
        self.retry_webhooks = 0.0  # seconds to keep retrying a status webhook not answered 200
        self.status_delay = 0.0
        self.clock: Callable[[], float] = time.time
        self.sent: list[Sent] = []
        self.read_marks: list[ReadMark] = []
        self.rejected: list[Rejection] = []
        self.attempts: Counter[str] = Counter()  # every send request, accepted or not, by recipient
        self.last_inbound: dict[str, float] = {}
        self.webhook_results: list[int] = []  # statuses of background webhook posts; 0 = no answer
        self.media: dict[str, tuple[bytes, str]] = {}
        self.root_url = ""
        self._injections: list[_Injection] = []
        self._by_wamid: dict[str, Sent] = {}
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._tag = secrets.token_hex(3).upper()  # keeps wamids unique across fakes in one run
        self._seq = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/{self.version}"

    async def start(self) -> None:
        app = web.Application()
        version = r"{version:v\d+\.\d+}"
        app.router.add_post(f"/{version}/{{phone_number_id}}/messages", self._on_messages)
        app.router.add_get(f"/{version}/{{media_id}}", self._on_media_info)
        app.router.add_get("/media/{media_id}", self._on_media_download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.root_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._session = ClientSession(timeout=ClientTimeout(total=10))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeGraphAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- test controls -----------------------------------------------------------------------

    def open_window(self, who: str, at: float | None = None) -> None:
        """Pretend `who` wrote to us at `at` (default now), opening the 24-hour window."""
        self.last_inbound[user_key(who)] = self.clock() if at is None else at

    def close_window(self, who: str) -> None:
        self.last_inbound.pop(user_key(who), None)

    def window_open(self, who: str) -> bool:
        at = self.last_inbound.get(user_key(who))
        return at is not None and self.clock() - at < WINDOW_SECONDS

    def inject(
        self,
        what: Injectable,
        times: int = 1,
        recipient: str | None = None,
        on: Literal["send", "read", "any"] = "send",
    ) -> None:
        """Fail the next `times` matching requests before any other check.

        `what` is a Graph error code (130429, 131056, 131047, 131000, 131016, 190, …), a bare
        HTTP status not in ERRORS (500, 502: non-JSON body), or "drop" (close the connection).
        """
        key = None if recipient is None else user_key(recipient)
        self._injections.append(_Injection(what, times, key, on))

    def add_media(self, data: bytes, mime_type: str = "image/jpeg", media_id: str = "") -> str:
        media_id = media_id or str(880000000000000 + next(self._seq))
        self.media[media_id] = (data, mime_type)
        return media_id

    # -- inspection --------------------------------------------------------------------------

    def sent_to(self, who: str | None = None) -> list[Sent]:
        key = None if who is None else user_key(who)
        return [s for s in self.sent if key is None or s.recipient == key]

    def texts_to(self, who: str) -> list[str]:
        """The visible text of each message `who` actually received (async failures left out)."""
        return [s.text for s in self.sent_to(who) if s.error_code is None]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wake on every recorded request until `predicate()` holds; AssertionError on timeout."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except TimeoutError:
                seen = [(s.recipient, s.text) for s in self.sent]
                raise AssertionError(f"timed out after {timeout}s; sent so far: {seen}") from None

    async def wait_for(self, count: int, timeout: float = 5.0, to: str | None = None) -> list[Sent]:
        """Wait until at least `count` messages were accepted (for `to`, if given)."""
        await self.wait_until(lambda: len(self.sent_to(to)) >= count, timeout)
        return self.sent_to(to)

    # -- Graph API handlers ------------------------------------------------------------------

    async def _on_messages(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        is_read = isinstance(body, dict) and body.get("status") == "read"
        who = body.get("to", body.get("recipient")) if isinstance(body, dict) else None
        recipient = user_key(who) if isinstance(who, str) else ""
        kept = body if isinstance(body, dict) else None
        if not is_read:
            self.attempts[recipient] += 1
        try:
            injected = self._take_injection("read" if is_read else "send", recipient)
            if injected == "drop":
                # What a reset or timed-out connection looks like to the client.
                if request.transport is not None:
                    request.transport.close()
                return web.Response()
            if isinstance(injected, int):
                if injected not in ERRORS and 400 <= injected < 600:
                    html = "<html><body><h1>Server Error</h1></body></html>"
                    return web.Response(status=injected, text=html, content_type="text/html")
                raise GraphError(injected)
            self._check_auth(request)
            if (pnid := request.match_info["phone_number_id"]) != self.phone_number_id:
                raise GraphError(100, f"Unsupported post request. Object '{pnid}' does not exist")
            if kept is None:
                raise GraphError(100, "The request body must be a JSON object")
            return web.json_response(self._mark_read(kept) if is_read else self._send(kept))
        except GraphError as err:
            self.rejected.append(Rejection(err.code, err.status, recipient, kept))
            return err.response()
        finally:
            async with self._changed:
                self._changed.notify_all()

    def _take_injection(self, kind: str, recipient: str) -> Injectable | None:
        for injection in self._injections:
            if injection.on in (kind, "any") and injection.recipient in (None, recipient):
                injection.remaining -= 1
                if injection.remaining <= 0:
                    self._injections.remove(injection)
                return injection.what
        return None

    def _check_auth(self, request: web.BaseRequest) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        expected = self.access_token.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
            raise GraphError(190)

    def _send(self, body: JSON) -> JSON:
        validate_send(body, self.display_phone_number)
        who = body["to"] if "to" in body else body["recipient"]
        key = user_key(who)
        late = body.get("type", "text") != "template" and self.enforce_window
        late = late and not self.window_open(key)
        if late and self.window_error == "sync":
            raise GraphError(131047)
        sent = Sent(len(self.sent), self._wamid(), key, body, 131047 if late else None)
        self.sent.append(sent)
        self._by_wamid[sent.wamid] = sent
        if late:
            self._spawn([(sent.wamid, "failed", 131047)])
        elif self.auto_status:
            self._spawn([(sent.wamid, "sent")], [(sent.wamid, "delivered")])
        contacts = [{"input": who, ("user_id" if _BSUID.match(key) else "wa_id"): key}]
        messages = [{"id": sent.wamid}]
        return {"messaging_product": "whatsapp", "contacts": contacts, "messages": messages}

    def _mark_read(self, body: JSON) -> JSON:
        if body.get("messaging_product") != "whatsapp":
            raise GraphError(100, 'messaging_product must be "whatsapp"')
        message_id = _required(body, "message_id", "")
        typing = body.get("typing_indicator")
        if typing is not None and (not isinstance(typing, dict) or typing.get("type") != "text"):
            raise GraphError(100, 'typing_indicator.type must be "text"')
        self.read_marks.append(ReadMark(str(message_id), typing is not None))
        return {"success": True}

    async def _on_media_info(self, request: web.Request) -> web.Response:
        try:
            self._check_auth(request)
            media_id = request.match_info["media_id"]
            if media_id not in self.media:
                raise GraphError(100, f"Unsupported get request. Object with ID '{media_id}'")
        except GraphError as err:
            return err.response()
        data, mime_type = self.media[media_id]
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.root_url}/media/{media_id}",
                "mime_type": mime_type,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": str(len(data)),  # Meta sends it as a string at times
                "id": media_id,
            }
        )

    async def _on_media_download(self, request: web.Request) -> web.Response:
        try:
            self._check_auth(request)  # the download URL needs the Bearer header too
        except GraphError:
            return web.Response(status=401, text="Unauthorized")
        if (item := self.media.get(request.match_info["media_id"])) is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=item[0], content_type=item[1])

    # -- webhooks to the bot -----------------------------------------------------------------

    def message(
        self,
        from_: str,
        type_: str,
        payload: Any,
        *,
        wamid: str | None = None,
        name: str = "Budi",
        context_id: str | None = None,
    ) -> JSON:
        """A full inbound envelope holding one message of `type_` (Meta's field order)."""
        key = user_key(from_)
        bsuid = bool(_BSUID.match(key))
        msg: JSON = {}
        if context_id:
            msg["context"] = {"from": self.display_phone_number, "id": context_id}
        msg["from_user_id" if bsuid else "from"] = key
        msg |= {"id": wamid or self._wamid(), "timestamp": self._timestamp(), type_: payload}
        msg["type"] = type_
        contact = {"profile": {"name": name}, ("user_id" if bsuid else "wa_id"): key}
        return self._envelope({"contacts": [contact], "messages": [msg]})

    def text_message(
        self, from_: str, body: str, wamid: str | None = None, name: str = "Budi"
    ) -> JSON:
        return self.message(from_, "text", {"body": body}, wamid=wamid, name=name)

    def button_reply(self, from_: str, id: str, title: str, context_id: str | None = None) -> JSON:
        reply = {"type": "button_reply", "button_reply": {"id": id, "title": title}}
        context_id = context_id or self._last_to(from_)  # a tap answers our latest message
        return self.message(from_, "interactive", reply, context_id=context_id)

    def list_reply(
        self, from_: str, id: str, title: str, description: str = "", context_id: str | None = None
    ) -> JSON:
        row = {"id": id, "title": title} | ({"description": description} if description else {})
        reply = {"type": "list_reply", "list_reply": row}
        context_id = context_id or self._last_to(from_)
        return self.message(from_, "interactive", reply, context_id=context_id)

    def statuses(self, items: Iterable[StatusItem]) -> JSON:
        """A status envelope; items are (wamid, status[, error code]) or ready-made dicts."""
        statuses: list[JSON] = []
        for item in items:
            if isinstance(item, Mapping):
                statuses.append(dict(item))
                continue
            wamid, status, *code = item
            sent = self._by_wamid.get(wamid)
            recipient = sent.recipient if sent else RESIDENT
            st: JSON = {"id": wamid, "status": status, "timestamp": self._timestamp()}
            st["recipient_user_id" if _BSUID.match(recipient) else "recipient_id"] = recipient
            if sent and "biz_opaque_callback_data" in sent.body:
                st["biz_opaque_callback_data"] = sent.body["biz_opaque_callback_data"]
            if code:
                err = GraphError(code[0])
                st["errors"] = [
                    {
                        "code": err.code,
                        "title": err.title,
                        "message": err.title,
                        "error_data": {"details": err.details},
                        "href": _ERROR_HREF,
                    }
                ]
            elif status in ("sent", "delivered"):
                template = sent is not None and sent.type == "template"
                st["pricing"] = {
                    "billable": template,
                    "pricing_model": "PMP",
                    "type": "regular" if template else "free_customer_service",
                    "category": "utility" if template else "service",
                }
            statuses.append(st)
        return self._envelope({"statuses": statuses})

    def batch(
        self, *envelopes: JSON, shape: Literal["entries", "changes", "messages"] = "entries"
    ) -> JSON:
        """Merge envelopes into one body: as several entries, one entry with several changes,
        or one change whose value holds every contact, message and status."""
        obj = "whatsapp_business_account"
        if shape == "entries":
            return {"object": obj, "entry": [e for env in envelopes for e in env["entry"]]}
        changes = [c for env in envelopes for e in env["entry"] for c in e["changes"]]
        changes = copy.deepcopy(changes)  # the merge below must not edit the callers' dicts
        if shape == "changes":
            return {"object": obj, "entry": [{"id": self.waba_id, "changes": changes}]}
        value = changes[0]["value"]
        for change in changes[1:]:
            for key in ("contacts", "messages", "statuses", "errors"):
                items = value.setdefault(key, [])
                items.extend(x for x in change["value"].get(key, []) if x not in items)
        return {"object": obj, "entry": [{"id": self.waba_id, "changes": changes[:1]}]}

    async def post_inbound(
        self, envelope: JSON | bytes, sign: bool = True, signature: str | None = None
    ) -> tuple[int, str]:
        """POST a webhook body (dict, or raw bytes sent unchanged) to the bot; (status, text).

        `signature` replaces the computed header (to test forgeries); `sign=False` omits it.
        Every sender of a `messages` change gets an open 24-hour window, as on WhatsApp.
        """
        raw = envelope if isinstance(envelope, bytes) else meta_json(envelope)
        # Malformed bodies are posted anyway: that is what such tests are about.
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            self._open_windows_from(json.loads(raw))
        return await self._post_webhook(raw, sign, signature)

    async def post_statuses(self, items: Iterable[StatusItem], sign: bool = True) -> int:
        """POST one status webhook (items in the given order, duplicates kept); HTTP status."""
        status, _ = await self._post_webhook(meta_json(self.statuses(items)), sign, None)
        return status

    async def _post_webhook(self, raw: bytes, sign: bool, signature: str | None) -> tuple[int, str]:
        if self._session is None or not self.webhook_url:
            raise RuntimeError("start() the fake and set webhook_url before posting webhooks")
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        elif sign:
            if not self.app_secret:
                raise RuntimeError("app_secret is needed to sign webhooks")
            headers["X-Hub-Signature-256"] = signature_for(self.app_secret, raw)
        async with self._session.post(self.webhook_url, data=raw, headers=headers) as resp:
            return resp.status, await resp.text()

    def _spawn(self, *posts: list[StatusItem]) -> None:
        if not self.webhook_url:
            return
        task = asyncio.get_running_loop().create_task(self._post_in_background(posts))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post_in_background(self, posts: tuple[list[StatusItem], ...]) -> None:
        for items in posts:
            await asyncio.sleep(self.status_delay)
            # Meta retries a webhook that was not answered 200; retry_webhooks (seconds) does
            # the same here, so a bot that was down gets its statuses after a restart.
            deadline = asyncio.get_running_loop().time() + self.retry_webhooks
            while True:
                try:
                    result = await self.post_statuses(items)
                except (ClientError, OSError, TimeoutError):
                    result = 0  # the bot may already be gone at teardown
                if result == 200 or asyncio.get_running_loop().time() >= deadline:
                    break
                await asyncio.sleep(0.2)
            self.webhook_results.append(result)
            async with self._changed:
                self._changed.notify_all()

    def _open_windows_from(self, envelope: JSON) -> None:
        for entry in envelope.get("entry", []):
            for change in entry.get("changes", []):
                if change.get("field") != "messages":
                    continue  # e.g. smb_message_echoes are our own staff writing
                for msg in change.get("value", {}).get("messages", []):
                    for field in ("from", "from_user_id"):
                        if isinstance(msg.get(field), str):
                            self.open_window(msg[field])

    def _envelope(self, value: JSON, field: str = "messages") -> JSON:
        metadata = {
            "display_phone_number": self.display_phone_number,
            "phone_number_id": self.phone_number_id,
        }
        full = {"messaging_product": "whatsapp", "metadata": metadata} | value
        entry = {"id": self.waba_id, "changes": [{"value": full, "field": field}]}
        return {"object": "whatsapp_business_account", "entry": [entry]}

    def _last_to(self, who: str) -> str | None:
        sent = self.sent_to(who)
        return sent[-1].wamid if sent else None

    def _wamid(self) -> str:
        return f"wamid.FAKE{self._tag}{next(self._seq):06d}"

    def _timestamp(self) -> str:
        return str(int(self.clock()))


# -- send-side validation (protocols.md §2.2) ---------------------------------------------------


def validate_send(body: JSON, own_number: str = DISPLAY_PHONE_NUMBER) -> None:
    """Raise GraphError as Meta would for this `/messages` body: 100 bad or unknown parameter,
    131008 missing parameter, 131009 value out of limits."""
    if body.get("messaging_product") != "whatsapp":
        raise GraphError(100, 'messaging_product must be "whatsapp"')
    if unknown := sorted(set(body) - _TOP_LEVEL):
        raise GraphError(100, f"Unknown parameter(s): {', '.join(unknown)}")
    if "to" in body:
        _check_phone(body["to"], own_number)
    elif "recipient" in body:
        if not isinstance(body["recipient"], str) or not _BSUID.match(body["recipient"]):
            raise GraphError(100, "recipient must be a business-scoped user id (CC.…)")
    else:
        raise GraphError(131008, "to is required")
    kind = body.get("type", "text")  # Meta defaults a missing type to text
    if kind not in SEND_TYPES:
        raise GraphError(100, f"type {kind!r} is not supported")
    payload = _required(body, kind, "")
    if not isinstance(payload, list if kind == "contacts" else dict):
        raise GraphError(100, f"{kind} has the wrong type")
    _CHECKS[kind](payload)


def _check_phone(to: Any, own_number: str) -> None:
    if not isinstance(to, str) or not re.fullmatch(r"\+?[\d\s()\-]+", to):
        raise GraphError(100, "to must be a phone number")
    digits = user_key(to)
    if digits.startswith("0"):
        # Without "+" Meta prepends the business's country code, so 0812… reaches nobody.
        raise GraphError(100, f"to {to!r} is a local number; send +62…")
    if not 8 <= len(digits) <= 15:
        raise GraphError(100, f"to {to!r} is not a valid phone number")
    if digits == own_number:
        raise GraphError(100, "Recipient cannot be the sender")


def _required(obj: Any, key: str, where: str) -> Any:
    path = f"{where}.{key}" if where else key
    if not isinstance(obj, dict):
        raise GraphError(100, f"{where or 'body'} must be an object")
    if obj.get(key) in (None, "", [], {}):
        raise GraphError(131008, f"{path} is required")
    return obj[key]


def _length(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str):
        raise GraphError(100, f"{where} must be a string")
    if len(value) > limit:
        raise GraphError(131009, f"{where} is {len(value)} characters; the maximum is {limit}")
    return value


def _unique(values: list[str], what: str) -> None:
    if dupes := sorted({v for v in values if values.count(v) > 1}):
        raise GraphError(131009, f"duplicate {what}: {', '.join(dupes)}")


def _list(value: Any, where: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise GraphError(100, f"{where} must be an array")
    if len(value) > limit:
        raise GraphError(131009, f"{where} has {len(value)} items; the maximum is {limit}")
    return value


def _check_text(text: JSON) -> None:
    _length(_required(text, "body", "text"), "text.body", 4096)


def _check_interactive(inter: JSON) -> None:
    kind = _required(inter, "type", "interactive")
    if kind not in ("button", "list"):
        raise GraphError(100, f"interactive.type {kind!r} is not supported by the fake")
    body = _required(_required(inter, "body", "interactive"), "text", "interactive.body")
    _length(body, "interactive.body.text", 1024 if kind == "button" else 4096)
    if (header := inter.get("header")) is not None:
        if _required(header, "type", "interactive.header") == "text":
            _length(_required(header, "text", "interactive.header"), "interactive.header.text", 60)
        elif kind == "list":
            raise GraphError(131009, "a list header must be text")
    if (footer := inter.get("footer")) is not None:
        _length(_required(footer, "text", "interactive.footer"), "interactive.footer.text", 60)
    action = _required(inter, "action", "interactive")
    if kind == "button":
        _check_buttons(action)
    else:
        _check_list(action)


def _check_buttons(action: JSON) -> None:
    buttons = _required(action, "buttons", "interactive.action")
    buttons = _list(buttons, "interactive.action.buttons", 3)
    ids, titles = [], []
    for i, button in enumerate(buttons):
        where = f"interactive.action.buttons[{i}]"
        if not isinstance(button, dict) or button.get("type") != "reply":
            raise GraphError(100, f'{where}.type must be "reply"')
        reply = _required(button, "reply", where)
        ids.append(_length(_required(reply, "id", f"{where}.reply"), f"{where}.reply.id", 256))
        title = _required(reply, "title", f"{where}.reply")
        titles.append(_length(title, f"{where}.reply.title", 20))
    _unique(ids, "button ids")
    _unique(titles, "button titles")


def _check_list(action: JSON) -> None:
    _length(_required(action, "button", "interactive.action"), "interactive.action.button", 20)
    sections = _list(_required(action, "sections", "interactive.action"), "sections", 10)
    ids: list[str] = []
    for i, section in enumerate(sections):
        where = f"interactive.action.sections[{i}]"
        # Meta requires section titles only when there is more than one section.
        if len(sections) > 1 or (isinstance(section, dict) and "title" in section):
            _length(_required(section, "title", where), f"{where}.title", 24)
        for j, row in enumerate(_list(_required(section, "rows", where), f"{where}.rows", 10)):
            at = f"{where}.rows[{j}]"
            ids.append(_length(_required(row, "id", at), f"{at}.id", 200))
            _length(_required(row, "title", at), f"{at}.title", 24)
            if "description" in row:
                _length(row["description"], f"{at}.description", 72)
    if len(ids) > 10:
        raise GraphError(131009, f"the list has {len(ids)} rows in total; the maximum is 10")
    _unique(ids, "row ids")


def _check_location(location: JSON) -> None:
    for axis, bound in (("latitude", 90), ("longitude", 180)):
        value = _required(location, axis, "location")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise GraphError(100, f"location.{axis} must be a number") from None
        if not -bound <= number <= bound:
            raise GraphError(131009, f"location.{axis} {value} is out of range")


def _check_media(kind: str) -> Callable[[JSON], None]:
    def check(media: JSON) -> None:
        if not media.get("link") and not media.get("id"):
            raise GraphError(131008, f"{kind}.link or {kind}.id is required")
        if "link" in media and not str(media["link"]).startswith(("http://", "https://")):
            raise GraphError(131009, f"{kind}.link must be an http(s) URL")
        if "caption" in media:
            _length(media["caption"], f"{kind}.caption", 1024)

    return check


def _check_template(template: JSON) -> None:
    _required(template, "name", "template")
    _required(_required(template, "language", "template"), "code", "template.language")


def _check_contacts(contacts: list[Any]) -> None:
    for i, contact in enumerate(_list(contacts, "contacts", 257)):
        _required(_required(contact, "name", f"contacts[{i}]"), "formatted_name", "name")


_CHECKS: dict[str, Callable[[Any], None]] = {
    "text": _check_text,
    "interactive": _check_interactive,
    "location": _check_location,
    "image": _check_media("image"),
    "document": _check_media("document"),
    "template": _check_template,
    "contacts": _check_contacts,
}
