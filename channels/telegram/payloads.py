"""Telegram Bot API updates to loket's messages, with what was ignored and why."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from botcore.errors import InboundPayloadError
from botcore.messages import IncomingMessage, Kind
from botcore.validators import storable

CHANNEL: Final = "telegram"
JSON = dict[str, Any]
# Bot commands registered with setMyCommands, as the words the dialogs already understand.
COMMANDS: Final = {"start": "menu", "menu": "menu", "petugas": "petugas", "bantuan": "bantuan"}
MEDIA_KINDS: Final = (
    "photo", "document", "video", "voice", "audio", "sticker", "animation", "video_note"
)  # fmt: skip
# Things a resident sends that the bot cannot read: answered ("please type"), not dropped.
UNSUPPORTED_KINDS: Final = ("dice", "poll", "game", "story", "paid_media", "checklist")
_MESSAGE_KINDS: Final = ("message", "edited_message")
_COMMAND: Final = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@\w+)?(?=\s|$)")
# Failures that walking a malformed dict can raise; anything else is a bug here.
_MALFORMED: Final = (AttributeError, KeyError, IndexError, TypeError, ValueError, OverflowError)


@dataclass(frozen=True, slots=True)
class Update:
    """One Telegram update: a message for the engine, or why there is none."""

    update_id: int
    message: IncomingMessage | None  # None when the update is ignored
    callback_query_id: str = ""  # set for button taps: the caller must answer it at once
    ignored: str = ""  # why it was ignored; never personal data
    blocked_chat: str = ""  # chat id when my_chat_member says the user blocked the bot


def parse_update(body: bytes | JSON) -> Update:
    """Read one update; raises InboundPayloadError only without JSON or an integer update_id."""
    data = _decode(body)
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise InboundPayloadError("Telegram update without an integer update_id")
    kind = next((key for key in data if key != "update_id"), "")
    try:
        if kind in _MESSAGE_KINDS:
            return _message(update_id, data[kind], kind)
        if kind == "callback_query":
            return _callback(update_id, data[kind])
        if kind == "my_chat_member":
            return _member(update_id, data[kind])
    except _MALFORMED as exc:
        query = data.get("callback_query")
        query_id = _text(query.get("id")) if isinstance(query, dict) else ""
        return Update(update_id, None, query_id, f"malformed {kind}: {type(exc).__name__}")
    return Update(update_id, None, ignored=kind or "empty update")


def _decode(body: bytes | JSON) -> Any:
    if isinstance(body, dict):
        return body
    if isinstance(body, bytes | bytearray | str):
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise InboundPayloadError("update body is not JSON") from None
    raise InboundPayloadError(f"update body is a {type(body).__name__}")


def _message(update_id: int, msg: JSON, kind: str) -> Update:
    chat = msg["chat"]
    if chat.get("type") != "private":
        return Update(update_id, None, ignored="group chat")
    extra = _extra(chat, msg.get("from"), msg["message_id"], kind)
    payload = ""
    if kind == "edited_message" and not isinstance(msg.get("text"), str):
        # Caption edits and live-location moves (an edit every few seconds) are not new input.
        return Update(update_id, None, ignored="edited_message without text")
    if isinstance(text := msg.get("text"), str):
        kind_, text = Kind.TEXT, _command(storable(text))
    elif isinstance(loc := msg.get("location"), dict):
        lat, lon = float(loc["latitude"]), float(loc["longitude"])
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValueError("location is not a number")
        kind_, payload = Kind.LOCATION, f"{lat},{lon}"
        venue = msg["venue"] if isinstance(msg.get("venue"), dict) else {}
        text = ", ".join(
            p for p in (storable(venue.get("title")), storable(venue.get("address"))) if p
        )
    elif isinstance(contact := msg.get("contact"), dict):
        kind_, payload, text = Kind.CONTACT, _text(contact.get("phone_number")), ""
        name = " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p)
        if name := storable(name):
            extra["contact_name"] = name
    elif media_kind := next((k for k in MEDIA_KINDS if msg.get(k)), ""):
        media = msg[media_kind]
        if media_kind == "photo":  # sizes come smallest first; the last is the original
            media = max(media, key=lambda size: size.get("width", 0) * size.get("height", 0))
        kind_, payload, text = Kind.MEDIA, _text(media["file_id"]), storable(msg.get("caption"))
        extra["media_kind"] = media_kind
        extra["mime_type"] = _text(media.get("mime_type"))
        if filename := storable(media.get("file_name")):
            extra["filename"] = filename
    elif unsupported := next((k for k in UNSUPPORTED_KINDS if k in msg), ""):
        kind_, payload, text = Kind.UNSUPPORTED, unsupported, ""
    else:  # service messages: pins, new members, auto-delete timers, and whatever comes next
        return Update(update_id, None, ignored=f"{kind} without content")
    incoming = IncomingMessage(
        CHANNEL,
        str(chat["id"]),
        text,
        kind_,
        payload,
        f"u{update_id}",
        _time(msg.get("date")),
        extra,
    )
    return Update(update_id, incoming)


def _callback(update_id: int, query: JSON) -> Update:
    query_id = _text(query.get("id"))
    msg = query.get("message")
    if not isinstance(msg, dict):  # a button under an inline-mode message: not ours to handle
        return Update(update_id, None, query_id, "callback without message")
    chat = msg["chat"]
    if chat.get("type") != "private":
        return Update(update_id, None, query_id, "group chat")
    data = query.get("data")
    if not isinstance(data, str) or not data:
        return Update(update_id, None, query_id, "callback without data")
    # An inaccessible (very old) message comes with date 0 and without its keyboard.
    date = msg.get("date")
    message_id = msg.get("message_id", 0) if date else 0
    extra = _extra(chat, query.get("from"), message_id, "callback_query")
    incoming = IncomingMessage(
        CHANNEL,
        str(chat["id"]),
        _label(msg.get("reply_markup"), data),
        Kind.CHOICE,
        data,
        f"u{update_id}",
        _time(date),
        extra,
    )
    return Update(update_id, incoming, query_id)


def _member(update_id: int, member: JSON) -> Update:
    chat = member["chat"]
    if chat.get("type") != "private":
        return Update(update_id, None, ignored="my_chat_member in a group")
    status = member["new_chat_member"]["status"]
    if status == "kicked":
        return Update(update_id, None, ignored="blocked by the user", blocked_chat=str(chat["id"]))
    if status == "member":
        return Update(update_id, None, ignored="unblocked")
    return Update(update_id, None, ignored=f"my_chat_member {_text(status)}")


def _extra(chat: JSON, user: Any, message_id: Any, kind: str) -> JSON:
    chat_id = chat["id"]
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        raise TypeError("chat id is not an integer")
    who = user if isinstance(user, dict) else chat
    name = " ".join(p for p in (who.get("first_name"), who.get("last_name")) if p)
    return {
        "chat_id": chat_id,
        "name": storable(name),
        "username": storable(who.get("username")),
        "language_code": _text(who.get("language_code")),
        "tg_message_id": message_id if isinstance(message_id, int) else 0,
        "type": kind,
    }


def _command(text: str) -> str:
    """`/start`, `/menu@kec_bot` → "menu"; other commands lose the slash and the bot's name."""
    match = _COMMAND.match(text)
    if match is None:
        return text
    name, rest = match[1].lower(), text[match.end() :]
    if name == "start":  # a deep-link parameter is not something the resident typed
        return COMMANDS[name]
    return COMMANDS.get(name, name) + rest


def _label(markup: Any, data: str) -> str:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else ():
        for button in row if isinstance(row, list) else ():
            if isinstance(button, dict) and button.get("callback_data") == data:
                return storable(button.get("text"))
    return ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _time(value: Any) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):  # a year past 9999 is no reason to drop it
        return None
