"""loket replies as Telegram Bot API calls, in HTML parse mode and within Telegram's limits."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from typing import Any, Final

from botcore import lint
from botcore.messages import Choice, Contact, Location, Media, Reply
from botcore.text import split_text as _split_text

JSON = dict[str, Any]

# Bot API limits (protocols.md §3.5): text and captions in visible characters, data in bytes.
TEXT_MAX: Final = lint.TG_TEXT  # the limits `loket check` holds the dialogs to
CAPTION_MAX: Final = 1024
CALLBACK_DATA_MAX: Final = lint.TG_CALLBACK_DATA
# Two buttons share a row only when both labels fit half a phone screen.
PAIR_LABEL_MAX: Final = 14
SHORT_BODY: Final = "Silakan pilih:"
_URL: Final = re.compile(r"https?://\S", re.IGNORECASE)
# WhatsApp markup as the dialogs write it: markers hug non-space text on one line and do not
# touch a letter or digit outside, so snake_case words and URLs with underscores stay as typed.
_BOLD: Final = re.compile(r"(?<![^\W_]|\*)\*([^\s*](?:[^\n]*?[^\s*])?)\*(?![^\W_]|\*)")
# Italics may hold a whole bold span but never half of one, so tags always nest.
_ITALIC: Final = re.compile(
    r"(?<!\w)_((?:[^\s<_]|<b>[^<\n]*</b>)(?:[^\n<_]|<b>[^<\n]*</b>)*?(?<!\s))_(?!\w)"
)


def to_telegram(reply: Reply, chat_id: str) -> list[JSON]:
    """Bot API calls, each `{"method": ..., **params}`, to be sent in this order."""
    chat: int | str = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
    chunks = split_text(reply.text) or ([SHORT_BODY] if reply.choices else [])
    calls: list[JSON] = [_message(chat, chunk) for chunk in chunks]
    if reply.choices:
        calls[-1]["reply_markup"] = keyboard(reply.choices)
    if reply.location is not None:
        calls.append(_location(chat, reply.location))
    if reply.media is not None:
        calls.append(_media(chat, reply.media))
    if reply.contact is not None and reply.contact.phone:
        calls.append(_contact(chat, reply.contact))
    return calls


def html(text: str) -> str:
    """Telegram HTML for a dialog text: `*bold*` and `_italic_` as tags, all else literal."""
    # Escaping first means a resident's "<b>" quoted in a reply is shown, never parsed.
    escaped = escape(text, quote=False)
    if "*" in escaped:
        escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    if "_" in escaped:
        escaped = _ITALIC.sub(r"<i>\1</i>", escaped)
    return escaped


def keyboard(choices: Iterable[Choice]) -> JSON:
    """An inline keyboard: short labels two to a row, longer ones alone, in the given order."""
    rows: list[list[JSON]] = []
    for choice in choices:
        data = choice.id
        if not 1 <= len(data.encode()) <= CALLBACK_DATA_MAX:
            raise ValueError(f"callback data must be 1-64 bytes: {data!r}")
        button = {"text": choice.label.strip() or data, "callback_data": data}
        last = rows[-1] if rows else None
        if (
            last is not None
            and len(last) == 1
            and len(last[0]["text"]) <= PAIR_LABEL_MAX
            and len(button["text"]) <= PAIR_LABEL_MAX
        ):
            last.append(button)
        else:
            rows.append([button])
    return {"inline_keyboard": rows}


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Plain-text chunks of at most `limit` characters, cut at line ends (botcore.text).

    Markup and escaping only shorten or keep the visible length, and tags are added per chunk
    afterwards, so no chunk's visible text exceeds `limit` and no tag or entity is cut.
    """
    return _split_text(text, limit)


def remove_keyboard(chat_id: str, message_id: int) -> JSON:
    """The call that takes the buttons off a message once one was tapped."""
    return {
        "method": "editMessageReplyMarkup",
        "chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
        "message_id": message_id,
        "reply_markup": {"inline_keyboard": []},
    }


def _message(chat: int | str, chunk: str) -> JSON:
    call: JSON = {"method": "sendMessage", "chat_id": chat, "text": html(chunk)}
    call["parse_mode"] = "HTML"
    if not _URL.search(chunk):  # a preview of the office's own link is useful; none otherwise
        call["link_preview_options"] = {"is_disabled": True}
    return call


def _location(chat: int | str, loc: Location) -> JSON:
    where = {"latitude": float(loc.latitude), "longitude": float(loc.longitude)}
    if loc.name.strip() and loc.address.strip():
        venue = {"title": loc.name, "address": loc.address}
        return {"method": "sendVenue", "chat_id": chat, **where, **venue}
    return {"method": "sendLocation", "chat_id": chat, **where}


def _media(chat: int | str, media: Media) -> JSON:
    # Anything that is not an image goes as a document: residents can still open the file.
    kind = "photo" if media.kind == "image" else "document"
    call: JSON = {"method": "sendPhoto" if kind == "photo" else "sendDocument", "chat_id": chat}
    call[kind] = media.url
    if caption := _truncate(media.caption.strip(), CAPTION_MAX):
        call |= {"caption": html(caption), "parse_mode": "HTML"}
    return call


def _contact(chat: int | str, contact: Contact) -> JSON:
    name = contact.name.strip() or contact.phone
    call: JSON = {"method": "sendContact", "chat_id": chat}
    call |= {"phone_number": contact.phone, "first_name": name}
    if contact.email or contact.url:  # only a vCard carries them
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{name}", f"TEL;TYPE=WORK:{contact.phone}"]
        lines += [f"EMAIL;TYPE=WORK:{contact.email}"] if contact.email else []
        lines += [f"URL:{contact.url}"] if contact.url else []
        call["vcard"] = "\n".join([*lines, "END:VCARD"])
    return call


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip() + "…"
