"""loket's engine: dialog specs and checks, matching, machines, rendering, sessions and stores."""

from .engine import Engine
from .errors import (
    BotError,
    DeliveryError,
    DialogSpecError,
    InboundPayloadError,
    Problem,
    StoreError,
)
from .messages import Choice, Contact, IncomingMessage, Kind, Location, Media, Reply
from .sessions import MemoryStore, Session, SQLiteStore, Store, open_store
from .spec import DialogBundle, StateRef, check_dialogs, load_dialogs

__all__ = [
    "BotError",
    "Choice",
    "Contact",
    "DeliveryError",
    "DialogBundle",
    "DialogSpecError",
    "Engine",
    "InboundPayloadError",
    "IncomingMessage",
    "Kind",
    "Location",
    "Media",
    "MemoryStore",
    "Problem",
    "Reply",
    "SQLiteStore",
    "Session",
    "StateRef",
    "Store",
    "StoreError",
    "check_dialogs",
    "load_dialogs",
    "open_store",
]
