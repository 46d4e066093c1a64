"""A local aiohttp fake of the Telegram Bot API that tests point python-telegram-bot at."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import enum
import functools
import html
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, web

JSON = dict[str, Any]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
DEFAULT_TOKEN = "7000000001:AAHfakeLoketTokenForOfflineTests_12345"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
HTML_TAGS = _words(
    "a b strong i em u ins s strike del span tg-spoiler tg-emoji code pre blockquote"
)
MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
# Telegram's default when allowed_updates was never set: every kind except these opt-in ones.
OPT_IN_UPDATES = _words("chat_member message_reaction message_reaction_count")
# An inline button needs one action; a bare text button is rejected.
BUTTON_ACTIONS = _words(
    "url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat "
    "switch_inline_query_chosen_chat copy_text callback_game pay"
)
# Parameters Telegram types as String. PTB sends them raw but JSON-encodes everything else, so
# these must never be json-decoded (a text "123" or "true" would turn into a number or a bool).
STRING_PARAMS = _words(
    "text caption title address url secret_token callback_query_id parse_mode description "
    "language_code ip_address inline_message_id foursquare_id foursquare_type google_place_id "
    "google_place_type business_connection_id"
)
METHODS = _words(
    "getMe setWebhook deleteWebhook getWebhookInfo getUpdates sendMessage editMessageText "
    "editMessageReplyMarkup answerCallbackQuery sendLocation sendVenue setMyCommands getMyCommands"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_dumps = functools.partial(json.dumps, ensure_ascii=False)  # Telegram sends raw UTF-8


class ApiError(Exception):
    """A Bot API failure, answered as ``{"ok": false, ...}`` with the same HTTP status."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def _entities_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


class Secret(enum.Enum):
    """Sentinel for ``post_webhook_update``: send the secret registered with setWebhook."""

    REGISTERED = enum.auto()


@dataclass
class Call:
    """One request the fake received: canonical method name, decoded parameters, outcome."""

    method: str
    params: JSON
    time: float  # time.monotonic() on arrival, so tests can measure pacing between sends
    status: int | None = None  # HTTP status once answered; None while a long poll waits


@dataclass(frozen=True)
class Sent:
    """One outgoing message or edit, its text as the user sees it (HTML/Markdown parsed)."""

    chat_id: int
    message_id: int
    method: str
    text: str | None
    reply_markup: JSON | None
    edit: bool = False


@dataclass
class _Injection:
    error: ApiError
    times: int
    method: str | None
    chat_id: int | str | None


def load_fixture(name: str, *, keep_update_id: bool = False) -> JSON:
    """Load ``tests/fixtures/telegram/<name>.json``; drop update_id so the fake numbers it."""
    update: JSON = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    if not keep_update_id:
        update.pop("update_id", None)
    return update


def _decode(name: str, value: Any) -> Any:
    if name in STRING_PARAMS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. chat_id="@channel": a plain string is a valid value


def _parse_html(text: str) -> str:
    """Check Telegram's HTML subset roughly as tdlib does; return the visible text."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while (lt := text.find("<", pos)) != -1:
        out.append(text[pos:lt])
        offset = len(text[:lt].encode())  # Telegram reports byte offsets
        if (gt := text.find(">", lt)) == -1:
            raise _entities_error(f"Unclosed start tag at byte offset {offset}")
        tag = text[lt + 1 : gt]
        if tag.startswith("/"):
            name = tag[1:].strip().lower()
            if not stack:
                raise _entities_error(f"Unexpected end tag at byte offset {offset}")
            if name != (expected := stack.pop()):
                raise _entities_error(
                    f'Unmatched end tag at byte offset {offset}, expected "</{expected}>", '
                    f'found "</{name}>"'
                )
        else:
            name, _, attrs = tag.partition(" ")
            name = name.lower()
            if name not in HTML_TAGS or (name == "span" and "tg-spoiler" not in attrs):
                raise _entities_error(f'Unsupported start tag "{name}" at byte offset {offset}')
            stack.append(name)
        pos = gt + 1
    if stack:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return html.unescape("".join(out) + text[pos:])


def _parse_markdown_v2(text: str) -> str:
    """Reject unescaped reserved characters (the usual MarkdownV2 bug); return the visible text."""
    out: list[str] = []
    i, in_code = 0, False
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 1
        elif ch == "`":
            in_code = not in_code
        elif in_code:
            out.append(ch)
        elif ch == "]" and text.startswith("(", i + 1):
            # A link target may hold '.' and '-' unescaped: skip it whole.
            i = end if (end := text.find(")", i)) != -1 else len(text)
        elif ch in "*_~|[" or (ch == ">" and (i == 0 or text[i - 1] == "\n")):
            pass  # formatting or blockquote markers; their balance is not checked
        elif ch in MARKDOWN_V2_RESERVED:
            raise _entities_error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _render(text: Any, parse_mode: Any) -> str:
    mode = str(parse_mode or "").lower()
    if mode not in ("", "html", "markdown", "markdownv2"):
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    plain = str(text or "")
    if mode == "html":
        plain = _parse_html(plain)
    elif mode == "markdownv2":
        plain = _parse_markdown_v2(plain)
    if not plain.strip():
        raise bad_request("message text is empty")
    if len(plain) > 4096:  # the limit applies after entity parsing
        raise bad_request("message is too long")
    return plain


def _check_markup(markup: Any) -> JSON | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard", [])
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict) or not BUTTON_ACTIONS & button.keys():
            raise bad_request(
                "can't parse inline keyboard button: "
                "Text buttons are unallowed in the inline keyboard"
            )
        # The limit is 64 UTF-8 *bytes*: 22 emoji (88 bytes) are too long.
        if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    return markup


def _inline_only(markup: JSON | None) -> JSON | None:
    # Telegram echoes only inline keyboards in the returned Message; reply keyboards vanish.
    return markup if markup and "inline_keyboard" in markup else None


def _location(params: JSON) -> JSON:
    try:
        latitude, longitude = float(params["latitude"]), float(params["longitude"])
    except (KeyError, TypeError, ValueError):
        raise bad_request("latitude and longitude must be numbers") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong coordinates")
    return {"latitude": latitude, "longitude": longitude}


def _text(text: str) -> JSON:
    content: JSON = {"text": text}
    if text.startswith("/"):
        length = len(text.split()[0].encode("utf-16-le")) // 2  # entities count UTF-16 units
        content["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
    return content


def _commands_key(params: JSON) -> str:
    scope = params.get("scope") or {"type": "default"}
    return f"{json.dumps(scope, sort_keys=True)}|{params.get('language_code') or ''}"


class FakeBotAPI:
    """An in-process Bot API server: real HTTP on 127.0.0.1, inspectable state, test controls."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, callback_ttl: float = 15.0) -> None:
        self.token = token
        self.callback_ttl = callback_ttl  # seconds a callback query stays answerable
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Layanan Kecamatan",
            "username": "kec_contoh_bot",
        }
        self.base_url = ""
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.messages: dict[int, dict[int, JSON]] = {}  # chat id -> message id -> current Message
        self.updates: list[JSON] = []  # not yet confirmed by a getUpdates offset
        self.commands: dict[str, list[JSON]] = {}
        self.blocked: set[int] = set()  # private chats whose user blocked the bot
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.allowed_updates: list[str] | None = None
        self.max_connections = 40
        self.last_webhook_error: tuple[int, str] | None = None
        self._chats: dict[int, JSON] = {}
        self._raw_texts: dict[tuple[int, int], str] = {}  # text as sent, before parse_mode
        self._open_queries: dict[str, float] = {}  # callback query id -> monotonic deadline
        self._seen_queries: set[str] = set()
        self._injections: list[_Injection] = []
        self._next_update_id = 900000001
        self._next_message_id: dict[int, int] = {}
        self._query_ids = itertools.count(4382916551087654321)
        self._file_ids = itertools.count(1)
        self._poll_generation = 0
        self._closing = False
        # Replaced on every change: sync code (push_update) can wake waiters without awaiting a
        # Condition's lock; long polls and wait_until simply re-check their predicate.
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        # Each Bot API method maps to the coroutine named after it: sendMessage -> _send_message.
        self._methods: dict[str, tuple[str, Callable[[JSON], Awaitable[Any]]]] = {
            name.lower(): (name, getattr(self, re.sub("([A-Z])", r"_\1", "_" + name).lower()))
            for name in METHODS
        }

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/bot"

    async def close(self) -> None:
        self._closing = True
        self._bump()  # pending long polls return now instead of holding up the shutdown
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- test controls ---------------------------------------------------------------------

    def push_update(self, update: JSON) -> JSON:
        """Queue an update for getUpdates (numbering it if needed) and wake long polls."""
        update = self._stamp(update)
        self.updates.append(update)
        self._bump()
        return update

    async def post_webhook_update(
        self, update: JSON, secret: str | Secret | None = Secret.REGISTERED
    ) -> int | None:
        """POST an update to the webhook; secret=None omits the header; None if filtered out."""
        if not self.webhook_url:
            raise RuntimeError("no webhook is set: call setWebhook first")
        update = self._stamp(update)
        if not self._allowed(update):
            return None
        headers = {"Content-Type": "application/json"}
        token = self.webhook_secret if secret is Secret.REGISTERED else secret
        if token is not None:
            headers[SECRET_HEADER] = token
        async with (
            ClientSession() as session,
            session.post(self.webhook_url, data=_dumps(update).encode(), headers=headers) as resp,
        ):
            await resp.read()
        if not 200 <= resp.status < 300:
            message = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            self.last_webhook_error = (int(time.time()), message)
        return resp.status

    def inject(
        self,
        error: int | ApiError,
        times: int = 1,
        method: str | None = None,
        chat_id: int | str | None = None,
        *,
        retry_after: int = 3,
    ) -> None:
        """Fail the next ``times`` matching calls with 429, 403, 400 or any ApiError."""
        if isinstance(error, int):
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                403: "Forbidden: bot was blocked by the user",
                400: "Bad Request: chat not found",
            }.get(error) or HTTPStatus(error).phrase
            error = ApiError(error, description, retry_after if error == 429 else None)
        self._injections.append(_Injection(error, times, method, chat_id))

    def called(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def messages_to(self, chat_id: int) -> list[Sent]:
        """Texts sent to a chat in order; each editMessageText is an extra record (edit=True)."""
        kinds = ("sendMessage", "editMessageText")
        return [s for s in self.sent if s.chat_id == chat_id and s.method in kinds]

    def keyboards_to(self, chat_id: int) -> list[JSON]:
        """Every reply_markup (inline or reply keyboard) sent or edited into a chat, in order."""
        return [s.reply_markup for s in self.sent if s.chat_id == chat_id and s.reply_markup]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds, re-checking after every call and update."""
        try:
            await self._wait(predicate, timeout)
        except TimeoutError:
            seen = [call.method for call in self.calls[-10:]]
            raise TimeoutError(f"condition not met within {timeout}s; last calls: {seen}") from None

    # --- update builders: realistic shapes; each reserves an update id and message id -----

    def text_update(self, chat_id: int, text: str, first_name: str = "Siti") -> JSON:
        return self._update("message", self._incoming(chat_id, first_name, **_text(text)))

    def group_text_update(
        self, chat_id: int, text: str, first_name: str = "Siti", user_id: int = 5123456789
    ) -> JSON:
        chat = {"id": chat_id, "title": "Warga RT 05", "type": "group"}
        message = self._incoming(chat_id, first_name, user_id=user_id, chat=chat, **_text(text))
        return self._update("message", message)

    def edited_text_update(
        self, chat_id: int, message_id: int, text: str, first_name: str = "Siti"
    ) -> JSON:
        message = self._incoming(chat_id, first_name, message_id=message_id, **_text(text))
        return self._update("edited_message", {**message, "edit_date": message["date"]})

    def callback_update(
        self, chat_id: int, data: str, message_id: int, first_name: str = "Siti"
    ) -> JSON:
        """A tap on a button of bot message ``message_id``; the new query id works once."""
        message = self.messages.get(chat_id, {}).get(message_id) or {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
        }
        query = {
            "id": str(next(self._query_ids)),
            "from": self._user(chat_id, first_name),
            "message": copy.deepcopy(message),
            "chat_instance": str(-(abs(chat_id) * 7919 % 10**19)),
            "data": data,
        }
        return self._update("callback_query", query)

    def location_update(
        self, chat_id: int, latitude: float = -6.9175, longitude: float = 107.6191
    ) -> JSON:
        location = {"latitude": latitude, "longitude": longitude}
        return self._update("message", self._incoming(chat_id, "Siti", location=location))

    def contact_update(
        self, chat_id: int, phone_number: str = "6281234567890", first_name: str = "Siti"
    ) -> JSON:
        contact = {"phone_number": phone_number, "first_name": first_name, "user_id": chat_id}
        return self._update("message", self._incoming(chat_id, first_name, contact=contact))

    def photo_update(self, chat_id: int, caption: str | None = None) -> JSON:
        n = next(self._file_ids)
        photo = [
            {"file_id": f"AgACAgUAAxkBfakePhoto{n}_{w}", "file_unique_id": f"AQADfake{n}_{w}"}
            | {"width": w, "height": w * 3 // 4, "file_size": w * 130}
            for w in (90, 320, 1280)
        ]
        message = self._incoming(chat_id, "Siti", photo=photo, caption=caption)
        return self._update("message", message)

    def document_update(
        self,
        chat_id: int,
        file_name: str = "surat_pengantar.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> JSON:
        n = next(self._file_ids)
        ids = {"file_id": f"BQACAgUAAxkBfakeDoc{n}", "file_unique_id": f"AgADfakeDoc{n}"}
        document = {"file_name": file_name, "mime_type": mime_type, "file_size": 182_344, **ids}
        message = self._incoming(chat_id, "Siti", document=document, caption=caption)
        return self._update("message", message)

    def _user(self, user_id: int, first_name: str) -> JSON:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"}

    def _chat(self, chat_id: int) -> JSON:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id > 0:
            return {"id": chat_id, "type": "private"}
        return {"id": chat_id, "title": "Grup", "type": "group"}

    def _incoming(
        self,
        chat_id: int,
        first_name: str,
        *,
        user_id: int | None = None,
        chat: JSON | None = None,
        message_id: int | None = None,
        **content: Any,
    ) -> JSON:
        return {
            "message_id": message_id or self._new_message_id(chat_id),
            "from": self._user(user_id or chat_id, first_name),
            "chat": chat or {"id": chat_id, "first_name": first_name, "type": "private"},
            "date": int(time.time()),
            **{key: value for key, value in content.items() if value is not None},
        }

    def _update(self, kind: str, payload: JSON) -> JSON:
        return self._stamp({kind: payload})

    def _stamp(self, update: JSON) -> JSON:
        """Number an update and learn from it: chats, message ids, callback ids, blocks."""
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        for kind in ("message", "edited_message"):
            if kind in update:
                self._remember(update[kind], replace=True)
        if query := update.get("callback_query"):
            if "message" in query:
                self._remember(query["message"], replace=False)
            if query["id"] not in self._seen_queries:  # a re-delivery must not re-open it
                self._seen_queries.add(query["id"])
                self._open_queries[query["id"]] = time.monotonic() + self.callback_ttl
        member = update.get("my_chat_member")
        if member and member["chat"]["type"] == "private":
            blocked = member["new_chat_member"]["status"] == "kicked"
            (self.blocked.add if blocked else self.blocked.discard)(member["chat"]["id"])
        return update

    def _remember(self, message: JSON, *, replace: bool) -> None:
        chat_id = message["chat"]["id"]
        self._chats.setdefault(chat_id, message["chat"])
        next_id = max(self._next_message_id.get(chat_id, 1), message["message_id"] + 1)
        self._next_message_id[chat_id] = next_id
        if message.get("date"):  # date 0 marks an inaccessible message: nothing to remember
            stored = self.messages.setdefault(chat_id, {})
            if replace or message["message_id"] not in stored:
                stored[message["message_id"]] = copy.deepcopy(message)

    def _new_message_id(self, chat_id: int) -> int:
        # A private chat has one message id sequence shared by the user and the bot.
        message_id = self._next_message_id.get(chat_id, 11)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    # --- HTTP plumbing ---------------------------------------------------------------------

    def _bump(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, predicate: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await self._changed.wait()

    async def _handle(self, request: web.Request) -> web.Response:
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", request.path)
        try:
            if match is None:
                raise ApiError(404, "Not Found")
            if match[1] != self.token:
                raise ApiError(401, "Unauthorized")
            if (entry := self._methods.get(match[2].lower())) is None:
                raise ApiError(404, "Not Found")
            params = await self._read_params(request)
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.status)
        name, handler = entry
        call = Call(name, params, time.monotonic())
        self.calls.append(call)
        self._bump()
        try:
            self._check_injections(name, params)
            body, status = {"ok": True, "result": await handler(params)}, 200
        except ApiError as exc:
            body, status = exc.body(), exc.status
        call.status = status
        self._bump()
        return web.json_response(body, status=status, dumps=_dumps)

    async def _read_params(self, request: web.Request) -> JSON:
        raw: JSON = dict(request.query)
        if request.body_exists and request.content_type == "application/json":
            try:
                body = json.loads(await request.read())
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            raw.update(body)
        elif request.body_exists:  # form-urlencoded or multipart: aiohttp parses both
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    raw[key] = {"filename": value.filename, "size": len(value.file.read())}
                else:
                    raw[key] = value
        return {key: _decode(key, value) for key, value in raw.items()}

    def _check_injections(self, method: str, params: JSON) -> None:
        for injection in self._injections:
            if injection.method is None and method == "getUpdates":
                continue  # a background poller must not swallow an error meant for a send
            if injection.method is not None and injection.method.lower() != method.lower():
                continue
            if injection.chat_id is not None and params.get("chat_id") != injection.chat_id:
                continue
            injection.times -= 1
            if injection.times <= 0:
                self._injections.remove(injection)
            raise injection.error

    def _allowed(self, update: JSON) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        return kind in self.allowed_updates if self.allowed_updates else kind not in OPT_IN_UPDATES

    def _target(self, params: JSON) -> int:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")  # @channel usernames are not modelled
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _store(self, chat_id: int, method: str, content: JSON, markup: JSON | None) -> JSON:
        message = {
            "message_id": self._new_message_id(chat_id),
            "from": self.bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        if inline := _inline_only(markup):
            message["reply_markup"] = inline
        self.messages.setdefault(chat_id, {})[message["message_id"]] = message
        self.sent.append(Sent(chat_id, message["message_id"], method, content.get("text"), markup))
        return message

    def _editable(self, params: JSON) -> JSON:
        if params.get("inline_message_id"):
            raise bad_request("message to edit not found")  # inline mode is not modelled
        chat_id, message_id = self._target(params), params.get("message_id")
        message = self.messages.get(chat_id, {}).get(
            message_id if isinstance(message_id, int) else 0
        )
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(
        self, message: JSON, method: str, text: str | None, markup: JSON | None, raw: str | None
    ) -> JSON:
        inline = _inline_only(markup)  # an edit without reply_markup drops the keyboard
        key = (message["chat"]["id"], message["message_id"])
        # The raw text stands in for entities: a formatting-only change is still a change.
        same_text = message.get("text") == text and raw in (None, self._raw_texts.get(key))
        if same_text and message.get("reply_markup") == inline:
            raise bad_request(NOT_MODIFIED)
        if raw is not None:
            message["text"], self._raw_texts[key] = text, raw
        message.pop("reply_markup", None)
        if inline:
            message["reply_markup"] = inline
        message["edit_date"] = int(time.time())
        self.sent.append(Sent(key[0], key[1], method, text, markup, edit=True))
        return message

    # --- Bot API methods -------------------------------------------------------------------

    async def _get_me(self, params: JSON) -> JSON:
        return {**self.bot_user, "can_join_groups": True, "supports_inline_queries": False}

    async def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        # Plain http is let through for local test servers only.
        local = urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")
        if url and urlsplit(url).scheme != "https" and not local:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_RE.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.get("max_connections", 40)
        if not isinstance(max_connections, int) or not 1 <= max_connections <= 100:
            raise bad_request("bad max_connections")
        if "allowed_updates" in params:  # omitted keeps the previous setting, as on Telegram
            self.allowed_updates = list(params["allowed_updates"] or [])
        if params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook_url, self.webhook_secret = url, (str(secret) if url and secret else None)
        self.max_connections = max_connections
        self._bump()  # a pending long poll now fails with 409
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook_url, self.webhook_secret = "", None
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook_url:
            info["max_connections"] = self.max_connections
        if self.allowed_updates is not None:
            info["allowed_updates"] = self.allowed_updates
        if self.last_webhook_error:
            info["last_error_date"], info["last_error_message"] = self.last_webhook_error
        return info

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"] or [])
        if offset > 0:  # confirms (forgets) every update below the offset
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._bump()  # an older long poll ends with 409, as with two running bot instances

        def ready() -> bool:
            # Kinds excluded by allowed_updates are never delivered: drop them as Telegram does.
            self.updates = [u for u in self.updates if self._allowed(u)]
            stopped = self._closing or generation != self._poll_generation
            return bool(self.updates) or stopped or bool(self.webhook_url)

        with contextlib.suppress(TimeoutError):
            await self._wait(ready, max(0.0, float(params.get("timeout") or 0)))
        if generation != self._poll_generation:
            raise ApiError(409, POLL_CONFLICT)
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        return self.updates[: min(max(limit, 1), 100)]

    async def _send_message(self, params: JSON) -> JSON:
        chat_id = self._target(params)
        text = _render(params.get("text"), params.get("parse_mode"))
        markup = _check_markup(params.get("reply_markup"))
        message = self._store(chat_id, "sendMessage", {"text": text}, markup)
        self._raw_texts[chat_id, message["message_id"]] = str(params["text"])
        return message

    async def _edit_message_text(self, params: JSON) -> JSON:
        message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text = _render(params.get("text"), params.get("parse_mode"))
        markup = _check_markup(params.get("reply_markup"))
        return self._apply_edit(message, "editMessageText", text, markup, str(params["text"]))

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        message = self._editable(params)
        markup = _check_markup(params.get("reply_markup"))
        return self._apply_edit(
            message, "editMessageReplyMarkup", message.get("text"), markup, None
        )

    async def _answer_callback_query(self, params: JSON) -> bool:
        if len(str(params.get("text") or "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        deadline = self._open_queries.pop(str(params.get("callback_query_id")), None)
        if deadline is None or time.monotonic() > deadline:
            raise bad_request(QUERY_TOO_OLD)
        return True

    async def _send_location(self, params: JSON) -> JSON:
        chat_id, location = self._target(params), _location(params)
        markup = _check_markup(params.get("reply_markup"))
        return self._store(chat_id, "sendLocation", {"location": location}, markup)

    async def _send_venue(self, params: JSON) -> JSON:
        chat_id, location = self._target(params), _location(params)
        title, address = params.get("title"), params.get("address")
        if not title or not address:
            raise bad_request("venue title and address must be non-empty")
        venue = {"location": location, "title": str(title), "address": str(address)}
        markup = _check_markup(params.get("reply_markup"))
        return self._store(chat_id, "sendVenue", {"location": location, "venue": venue}, markup)

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        stored = [{"command": c["command"], "description": c["description"]} for c in commands]
        self.commands[_commands_key(params)] = stored
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.commands.get(_commands_key(params), [])
