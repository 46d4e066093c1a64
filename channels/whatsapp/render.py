"""loket replies as WhatsApp Cloud API request bodies, within Meta's limits so none is refused."""

from __future__ import annotations

import re
from typing import Any, Final

from botcore import lint
from botcore.messages import Choice, Contact, Location, Media, Reply
from botcore.text import split_text, truncate

JSON = dict[str, Any]

# Meta's send-side limits (protocols.md §2.2), in characters (Python str length).
# The limits `loket check` holds the dialogs to are the ones applied here: one table.
TEXT_MAX: Final = lint.WA_TEXT
BUTTONS_MAX: Final = lint.WA_BUTTONS
BUTTON_TITLE_MAX: Final = lint.WA_BUTTON_TITLE
BUTTON_ID_MAX: Final = 256
BUTTON_BODY_MAX: Final = lint.WA_BUTTON_BODY
ROWS_MAX: Final = lint.WA_LIST_ROWS
ROW_TITLE_MAX: Final = lint.WA_LIST_ROW_TITLE
ROW_ID_MAX: Final = lint.WA_ROW_ID
ROW_DESCRIPTION_MAX: Final = lint.WA_LIST_ROW_DESCRIPTION
LIST_BUTTON_MAX: Final = 20
LIST_BODY_MAX: Final = lint.WA_LIST_BODY
CAPTION_MAX: Final = 1024

SHORT_BODY: Final = "Silakan pilih:"
LIST_BUTTON: Final = "Pilih"
SECTION_TITLE: Final = "Pilihan"
_URL: Final = re.compile(r"https?://\S", re.IGNORECASE)
_NOT_DIGIT: Final = re.compile(r"[^0-9]")
# Characters that belong to the one before them: cutting in front of one breaks an emoji
# (ZWJ sequences, skin tones, variation selectors, tags) or an accented letter.


def recipient_fields(sender: str) -> JSON:
    """`{"to": "+62…"}` for a phone number, `{"recipient": …}` for a business-scoped user id.

    Meta prepends the business's own country code to a `to` without `+`, so a local
    `0812…` is sent as `+62812…` and every number gets its `+`.
    """
    who = sender.strip()
    if not who:
        raise ValueError("no recipient")
    # A BSUID ("ID.8123…", 2026 usernames) starts with its country's letters; a dot alone is
    # no sign of one, as residents write numbers like 0812.3456.7890.
    if who[0].isalpha() or ("." in who and any(c.isalpha() for c in who)):
        return {"recipient": who}
    digits = _NOT_DIGIT.sub("", who)
    if digits.startswith("0"):
        digits = "62" + digits.lstrip("0")
    elif digits.startswith("620"):  # "+62 0812…", written with the trunk 0
        digits = "62" + digits[2:].lstrip("0")
    if not digits:
        raise ValueError("the recipient has no digits")
    return {"to": "+" + digits}


def mark_read(message_id: str) -> JSON:
    """The body that marks a resident's message (and the ones before it) as read."""
    return {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}


def to_whatsapp(reply: Reply, to: str) -> list[JSON]:
    """Request bodies for `POST /{phone_number_id}/messages`, to be sent in this order."""
    base: JSON = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    base |= recipient_fields(to)
    text = reply.text if reply.text.strip() else ""
    bodies = _choices(reply, text, base) if reply.choices else _texts(text, base)
    if reply.location is not None:
        bodies.append(base | {"type": "location", "location": _location(reply.location)})
    if reply.media is not None:
        bodies.append(_media(reply.media, base))
    if reply.contact is not None:
        bodies.append(base | {"type": "contacts", "contacts": [_contact(reply.contact)]})
    return bodies


def _texts(text: str, base: JSON) -> list[JSON]:
    return [
        base | {"type": "text", "text": {"preview_url": bool(_URL.search(c)), "body": c}}
        for c in split_text(text)
    ]


def _choices(reply: Reply, text: str, base: JSON) -> list[JSON]:
    """Reply buttons, else a list, else numbered lines: whichever Meta will accept."""
    choices = reply.choices
    labels = [c.label for c in choices]
    ids = [c.id for c in choices]
    # Duplicate titles are refused by Meta, and two equal labels would confuse residents anyway.
    distinct = len({label.strip().casefold() for label in labels}) == len(labels)
    distinct = distinct and len(set(ids)) == len(ids)
    distinct = distinct and all(label.strip() for label in labels) and all(ids)
    longest_label = max(len(label) for label in labels)
    longest_id = max(len(i) for i in ids)
    if (
        distinct
        and len(choices) <= BUTTONS_MAX
        and longest_label <= BUTTON_TITLE_MAX
        and longest_id <= BUTTON_ID_MAX
    ):
        before, body = _body(text, BUTTON_BODY_MAX, base)
        buttons = [{"type": "reply", "reply": {"id": c.id, "title": c.label}} for c in choices]
        action: JSON = {"buttons": buttons}
        return [*before, _interactive("button", body, action, base)]
    if (
        distinct
        and len(choices) <= ROWS_MAX
        and longest_label <= ROW_TITLE_MAX
        and longest_id <= ROW_ID_MAX
    ):
        before, body = _body(text, LIST_BODY_MAX, base)
        title = reply.choices_title.strip()
        button = title if title and len(title) <= LIST_BUTTON_MAX else LIST_BUTTON
        rows = [_row(c) for c in choices]
        action = {"button": button, "sections": [{"title": SECTION_TITLE, "rows": rows}]}
        return [*before, _interactive("list", body, action, base)]
    # Numbers in the same order as reply.choices: the engine maps "2" to the second choice.
    lines = [
        f"{i}. {c.label}" + (f" — {c.description}" if c.description else "")
        for i, c in enumerate(choices, 1)
    ]
    return _texts((text or SHORT_BODY) + "\n\n" + "\n".join(lines), base)


def _body(text: str, limit: int, base: JSON) -> tuple[list[JSON], str]:
    """Text messages to send first, and the interactive message's body."""
    if not text:
        return [], SHORT_BODY
    if len(text) <= limit:
        return [], text
    return _texts(text, base), SHORT_BODY


def _interactive(kind: str, body: str, action: JSON, base: JSON) -> JSON:
    inter = {"type": kind, "body": {"text": body}, "action": action}
    return base | {"type": "interactive", "interactive": inter}


def _row(choice: Choice) -> JSON:
    row = {"id": choice.id, "title": choice.label}
    if choice.description:
        row["description"] = truncate(choice.description, ROW_DESCRIPTION_MAX)
    return row


def _location(loc: Location) -> JSON:
    body: JSON = {"latitude": loc.latitude, "longitude": loc.longitude}
    if loc.name:
        body["name"] = loc.name
    if loc.address:
        body["address"] = loc.address
    return body


def _media(media: Media, base: JSON) -> JSON:
    # Anything that is not an image goes as a document: residents can still open the link.
    kind = "image" if media.kind == "image" else "document"
    body: JSON = {"link": media.url}
    if media.caption:
        body["caption"] = truncate(media.caption, CAPTION_MAX)
    if kind == "document" and media.filename:
        body["filename"] = media.filename
    return base | {"type": kind, kind: body}


def _contact(contact: Contact) -> JSON:
    name = contact.name.strip() or contact.phone or contact.email or "Kontak"
    # Meta wants at least one name part besides formatted_name.
    card: JSON = {"name": {"formatted_name": name, "first_name": name}}
    if contact.phone:
        card["phones"] = [{"phone": contact.phone, "type": "WORK"}]
    if contact.email:
        card["emails"] = [{"email": contact.email, "type": "WORK"}]
    if contact.url:
        card["urls"] = [{"url": contact.url, "type": "WORK"}]
    return card
