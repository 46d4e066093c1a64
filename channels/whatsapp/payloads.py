"""WhatsApp webhook bodies to loket's types: residents' messages, statuses, and what was skipped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from botcore.errors import InboundPayloadError
from botcore.messages import IncomingMessage, Kind
from botcore.validators import mask, mask_number, storable

CHANNEL: Final = "whatsapp"
MEDIA_TYPES: Final = frozenset({"image", "document", "audio", "video", "sticker"})
_CHOICE_REPLIES: Final = frozenset({"button_reply", "list_reply"})
# Item-level failures that walking a malformed dict can raise; anything else is a bug here.
_MALFORMED: Final = (AttributeError, KeyError, IndexError, TypeError, ValueError)
JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """What happened to one of our outgoing messages (statuses arrive unordered, maybe twice)."""

    message_id: str  # the wamid of OUR outgoing message
    status: str  # sent | delivered | read | played | failed
    timestamp: int
    recipient: str  # recipient_id digits, or recipient_user_id (BSUID) when absent
    error_code: int | None = None
    error_title: str = ""
    callback_data: str = ""  # biz_opaque_callback_data echoed back, if any


@dataclass(frozen=True, slots=True)
class Ignored:
    """An item deliberately not handed to the engine, with why; for the caller's log."""

    reason: str
    detail: str = ""  # never message text or a full phone number


@dataclass(frozen=True, slots=True)
class Batch:
    """Everything one webhook POST carried, across all its entries and changes."""

    messages: tuple[IncomingMessage, ...]
    statuses: tuple[StatusUpdate, ...]
    ignored: tuple[Ignored, ...]
    errors: tuple[str, ...]  # "CODE title" from value.errors[] and messages[].errors[]


def parse_webhook(body: bytes | dict[str, Any], phone_number_id: str) -> Batch:
    """Read one webhook body; raises InboundPayloadError only when it is no WhatsApp envelope.

    Every entry, change, message and status is read (Meta batches up to 1000 updates); a
    malformed part is reported in `ignored` and the rest of the batch still comes through.
    """
    data = _decode(body)
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise InboundPayloadError("not a WhatsApp Business Account webhook")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise InboundPayloadError("WhatsApp webhook without an entry list")
    parser = _Parser(phone_number_id)
    for i, entry in enumerate(entries):
        parser.entry(entry, f"entry[{i}]")
    return Batch(
        tuple(parser.messages), tuple(parser.statuses), tuple(parser.ignored), tuple(parser.errors)
    )


def _decode(body: bytes | dict[str, Any]) -> Any:
    if isinstance(body, dict):
        return body
    if isinstance(body, bytes | bytearray | str):
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise InboundPayloadError("webhook body is not JSON") from None
    raise InboundPayloadError(f"webhook body is a {type(body).__name__}")


class _Parser:
    __slots__ = ("errors", "ignored", "messages", "phone_number_id", "statuses")

    def __init__(self, phone_number_id: str) -> None:
        self.phone_number_id = phone_number_id
        self.messages: list[IncomingMessage] = []
        self.statuses: list[StatusUpdate] = []
        self.ignored: list[Ignored] = []
        self.errors: list[str] = []

    def entry(self, entry: Any, where: str) -> None:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            self.ignored.append(Ignored("malformed entry", f"{where} has no changes list"))
            return
        for j, change in enumerate(changes):
            self.change(change, f"{where}.changes[{j}]")

    def change(self, change: Any, where: str) -> None:
        if not isinstance(change, dict):
            self.ignored.append(Ignored("malformed change", f"{where} is not an object"))
            return
        field, value = change.get("field"), change.get("value")
        if field != "messages":
            if field == "smb_message_echoes":
                # Staff typing in the Business app (coexistence): our own words, never input.
                self.ignored.append(Ignored("smb_message_echoes", where))
            elif isinstance(field, str):
                self.ignored.append(Ignored(f"field {field}", where))
            else:
                self.ignored.append(Ignored("malformed change", f"{where} has no field"))
            return
        if not isinstance(value, dict):
            self.ignored.append(Ignored("malformed change", f"{where}.value is not an object"))
            return
        messages = self._list(value, "messages", where)
        statuses = self._list(value, "statuses", where)
        errors = self._list(value, "errors", where)
        metadata = value.get("metadata")
        number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
        if number != self.phone_number_id:
            self._other_number(number, messages, statuses, errors, where)
            return
        contacts = _contacts_index(value.get("contacts")) if messages else {}
        for k, msg in enumerate(messages):
            try:
                item = _message(msg, contacts, self.errors)
            except _MALFORMED as exc:
                item = Ignored("malformed message", f"{where}.messages[{k}]: {type(exc).__name__}")
            if isinstance(item, Ignored):
                self.ignored.append(item)
            else:
                self.messages.append(item)
        for k, st in enumerate(statuses):
            try:
                status = _status(st)
            except _MALFORMED as exc:
                status = Ignored("malformed status", f"{where}.statuses[{k}]: {type(exc).__name__}")
            if isinstance(status, Ignored):
                self.ignored.append(status)
            else:
                self.statuses.append(status)
        _add_errors(errors, self.errors)

    def _list(self, value: JSON, key: str, where: str) -> list[Any]:
        items = value.get(key)
        if isinstance(items, list):
            return items
        if items is not None:
            self.ignored.append(Ignored("malformed change", f"{where}.{key} is not a list"))
        return []

    def _other_number(
        self, number: Any, messages: list[Any], statuses: list[Any], errors: list[Any], where: str
    ) -> None:
        """Logged item by item by the caller, never answered from our number (pitfall #12)."""
        theirs = f"phone_number_id {mask_number(str(number))}" if number else "no phone_number_id"
        reason = "other phone_number_id"
        for msg in messages:
            who = _who(msg.get("from") or msg.get("from_user_id")) if isinstance(msg, dict) else ""
            self.ignored.append(Ignored(reason, f"{theirs}: message from {who or '?'}"))
        self.ignored.extend(Ignored(reason, f"{theirs}: status") for _ in statuses)
        self.ignored.extend(Ignored(reason, f"{theirs}: error") for _ in errors)
        if not (messages or statuses or errors):
            self.ignored.append(Ignored(reason, f"{theirs}: {where}"))


def _contacts_index(contacts: Any) -> dict[str, JSON]:
    """Sender profiles by wa_id and by BSUID, so a batch of n messages costs O(n)."""
    index: dict[str, JSON] = {}
    if isinstance(contacts, list):
        for contact in contacts:
            if isinstance(contact, dict):
                for key in ("wa_id", "user_id"):
                    if isinstance(ident := contact.get(key), str) and ident:
                        index[ident] = contact
    return index


def _message(msg: Any, contacts: dict[str, JSON], errors: list[str]) -> IncomingMessage | Ignored:
    if not isinstance(msg, dict):
        return Ignored("malformed message", "not an object")
    if "errors" in msg:
        _add_errors(msg["errors"], errors)
    wa_id, user_id = _text(msg.get("from")), _text(msg.get("from_user_id"))
    sender = wa_id or user_id
    if not sender:
        return Ignored("no sender")
    wamid = _text(msg.get("id"))
    if not wamid:
        return Ignored("no id", f"from {_who(sender)}")
    kind_name = msg.get("type")
    text = payload = ""
    extra: JSON = {"type": kind_name}
    match kind_name:
        case "text":
            kind, text = Kind.TEXT, _body(msg.get("text"))
        case "interactive":
            inter = msg["interactive"]
            sub = inter.get("type")
            if sub not in _CHOICE_REPLIES:
                return Ignored(f"type {sub}", f"interactive from {_who(sender)}")
            reply = inter[sub]
            kind, payload, text = Kind.CHOICE, _text(reply.get("id")), storable(reply.get("title"))
        case "button":  # a quick-reply button of a template
            button = msg["button"]
            kind, payload, text = (
                Kind.CHOICE,
                _text(button.get("payload")),
                storable(button.get("text")),
            )
        case "location":
            loc = msg["location"]
            lat, lon = float(loc["latitude"]), float(loc["longitude"])
            kind, payload = Kind.LOCATION, f"{lat},{lon}"
            text = ", ".join(
                p for p in (storable(loc.get("name")), storable(loc.get("address"))) if p
            )
        case "image" | "document" | "audio" | "video" | "sticker":
            media = msg[kind_name]
            kind, payload, text = Kind.MEDIA, _text(media.get("id")), storable(media.get("caption"))
            extra["media_kind"] = kind_name
            extra["mime_type"] = _text(media.get("mime_type"))
            if filename := storable(media.get("filename")):
                extra["filename"] = filename
        case "contacts":
            card = msg["contacts"][0]  # a card-less or non-list `contacts` is malformed
            phones = card.get("phones") or [{}]
            kind, payload = Kind.CONTACT, _text(phones[0].get("phone"))
            if name := storable((card.get("name") or {}).get("formatted_name")):
                extra["contact_name"] = name
        case "unsupported":
            # The bot still answers ("please send text"); the 131051 went into `errors` above.
            kind, payload = Kind.UNSUPPORTED, _text((msg.get("unsupported") or {}).get("type"))
        case "edit":
            edit = msg["edit"]
            new = edit.get("message") if isinstance(edit.get("message"), dict) else edit
            if new.get("type", "text") != "text" or not isinstance(new.get("text"), dict):
                return Ignored(f"edit {new.get('type')}", f"from {_who(sender)}")
            kind, text = Kind.TEXT, _body(new["text"])
            extra["edited_id"] = _text(edit.get("original_message_id"))
        case "reaction" | "revoke":
            return Ignored(kind_name, f"from {_who(sender)}")
        case "system":
            return Ignored(
                f"system {(msg.get('system') or {}).get('type')}", f"from {_who(sender)}"
            )
        case None:
            return Ignored("no type", f"from {_who(sender)}")
        case _:  # order, request_welcome, and whatever Meta adds next
            return Ignored(f"type {kind_name}", f"from {_who(sender)}")
    contact = contacts.get(wa_id) or contacts.get(user_id) or {}
    wa_id = wa_id or _text(contact.get("wa_id"))
    user_id = user_id or _text(contact.get("user_id"))
    if wa_id:
        extra["wa_id"] = wa_id
    if user_id:
        extra["user_id"] = user_id
    profile = contact.get("profile")
    if isinstance(profile, dict) and (name := storable(profile.get("name"))):
        extra["name"] = name
    context = msg.get("context")
    if isinstance(context, dict) and (context_id := _text(context.get("id"))):
        extra["context_id"] = context_id
    return IncomingMessage(
        CHANNEL, sender, text, kind, payload, wamid, _time(msg.get("timestamp")), extra
    )


def _status(st: Any) -> StatusUpdate | Ignored:
    if not isinstance(st, dict):
        return Ignored("malformed status", "not an object")
    wamid, state = _text(st.get("id")), _text(st.get("status"))
    if not wamid or not state:
        return Ignored("malformed status", "no id or status")
    recipient = _text(st.get("recipient_id")) or _text(st.get("recipient_user_id"))
    code, title = None, ""
    errors = st.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        raw = errors[0].get("code")
        code = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if isinstance(raw, str) and raw.isascii() and raw.isdigit():
            code = int(raw)
        title = _text(errors[0].get("title"))
    callback = _text(st.get("biz_opaque_callback_data"))
    return StatusUpdate(
        wamid, state, _seconds(st.get("timestamp")), recipient, code, title, callback
    )


def _add_errors(errors: Any, into: list[str]) -> None:
    """Meta's errors as "CODE title"; details are left out, titles masked in case."""
    if not isinstance(errors, list):
        return
    for err in errors:
        if isinstance(err, dict):
            title = err.get("title") or err.get("message") or ""
            into.append(mask(f"{err.get('code')} {title}".strip())[:120])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _body(obj: Any) -> str:
    return storable(obj.get("body")) if isinstance(obj, dict) else ""


def _seconds(value: Any) -> int:
    """Meta's Unix time, a string of digits; 0 when absent or unreadable."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return 0


def _time(value: Any) -> datetime | None:
    seconds = _seconds(value)
    try:
        return datetime.fromtimestamp(seconds, UTC) if seconds else None
    except (OverflowError, OSError, ValueError):  # a year past 9999 is no reason to drop it
        return None


def _who(sender: Any) -> str:
    """A sender fit for a log line: a masked number, or the BSUID's country prefix."""
    if not isinstance(sender, str) or not sender:
        return ""
    if sender[:1].isdigit():
        return mask_number(sender)
    return sender[:3] + "…"
