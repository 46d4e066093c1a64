"""The channel-neutral message types: what a channel hands the engine, what the engine answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NewType

ConversationKey = NewType("ConversationKey", str)


class Kind(StrEnum):
    """What a resident sent, after the channel has normalised it."""

    TEXT = "text"
    CHOICE = "choice"  # a tapped button or list row; `payload` is the choice id
    LOCATION = "location"
    MEDIA = "media"  # image, document, audio, video, sticker: the bot cannot read them yet
    CONTACT = "contact"
    UNSUPPORTED = "unsupported"
    OPERATOR = "operator"  # an officer's action in a handed-over conversation (payload: what)


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message from a resident, whatever the platform.

    `channel` and `sender` together identify the conversation; `message_id` is the platform's
    id (used to recognise redeliveries). `text` is what the resident typed (or the button's
    title); `payload` is the choice id for taps, the media id for files.
    """

    channel: str
    sender: str
    text: str = ""
    kind: Kind = Kind.TEXT
    payload: str = ""
    message_id: str = ""
    time: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> ConversationKey:
        return ConversationKey(f"{self.channel}:{self.sender}")


@dataclass(frozen=True, slots=True)
class Choice:
    """A choice offered to the resident. `id` is stable across label edits."""

    id: str
    label: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float
    name: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class Media:
    kind: str  # "image" | "document"
    url: str
    caption: str = ""
    filename: str = ""


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str = ""
    email: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer, rendered by each channel as well as it can.

    A reply has text and may offer choices; a location, a document or image, or a contact card
    may come with it. Channels that cannot show choices as widgets number them in the text.
    """

    text: str = ""
    choices: tuple[Choice, ...] = ()
    location: Location | None = None
    media: Media | None = None
    contact: Contact | None = None
    # Heading for a list of choices (WhatsApp list button label); a hint, not required.
    choices_title: str = ""


def message_to_dict(msg: IncomingMessage) -> dict[str, Any]:
    """A JSON-ready form of a message, for the inbox."""
    return {
        "channel": msg.channel,
        "sender": msg.sender,
        "text": msg.text,
        "kind": msg.kind.value,
        "payload": msg.payload,
        "message_id": msg.message_id,
        "time": msg.time.isoformat() if msg.time else None,
        "extra": msg.extra,
    }


def message_from_dict(data: dict[str, Any]) -> IncomingMessage:
    time = data.get("time")
    return IncomingMessage(
        channel=data["channel"],
        sender=data["sender"],
        text=data.get("text", ""),
        kind=Kind(data.get("kind", "text")),
        payload=data.get("payload", ""),
        message_id=data.get("message_id", ""),
        time=datetime.fromisoformat(time) if time else None,
        extra=data.get("extra") or {},
    )
