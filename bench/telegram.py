"""Telegram update throughput: loket's dialogs against a python-telegram-bot ConversationHandler.

The same e-KTP menu flow (/start → tap "KTP-el" → tap "KTP-el hilang") for N residents
(default 1,000), fed as the same recorded update JSON bytes, in process, to
  1. loket, as its worker and sender do it minus the durable SQLite inbox and outbox:
     parse_update, for a tap answerCallbackQuery and editMessageReplyMarkup (the tapped
     keyboard taken off), Engine.handle with the memory store, to_telegram, and one
     Bot.do_api_request per call;
  2. an idiomatic PTB Application with a ConversationHandler written here, whose handlers
     answer with reply_text, CallbackQuery.answer and edit_message_text; each update is read
     with Update.de_json and given to Application.process_update.
Both send through CannedRequest, which answers every Bot API call at once with a canned
response, so what is timed is parsing, the bot's logic and building and reading the calls.
The PTB flow shows the texts and buttons loket renders (taken from loket once at set-up).
Prints updates/s for both and the ratio; exits 1 below the floor.
Usage: python bench/telegram.py [--residents N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Final

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this file's folder comes first on the path and this file would shadow
# the telegram package it benchmarks.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

from telegram import (  # noqa: E402
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData  # noqa: E402
from telegram.warnings import PTBUserWarning  # noqa: E402

from botcore import Engine, IncomingMessage, Kind, MemoryStore, load_dialogs  # noqa: E402
from botcore.spec import DialogBundle  # noqa: E402
from channels.telegram.payloads import parse_update  # noqa: E402
from channels.telegram.render import to_telegram  # noqa: E402
from channels.telegram.webhook import prelude  # noqa: E402

TOKEN: Final = "7000000001:AAbenchmarkbenchmarkbenchmarkbench0"
FLOOR: Final = 2.0
CHAT0: Final = 5_100_000_000
DATE: Final = 1767578400  # 2026-01-05 09.00 WIB, a Monday
BOT_USER: Final = {"id": 7000000001, "is_bot": True, "first_name": "Layanan", "username": "kec_bot"}
JSON = dict[str, Any]

# PTB's own advice on this set-up, given once per handler or call: not what is measured here.
warnings.filterwarnings(
    "ignore", message=r"If 'per_message=False', 'CallbackQueryHandler'", category=PTBUserWarning
)
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)


class CannedRequest(BaseRequest):
    """A Bot API that answers every call at once, as Telegram would when all goes well."""

    def __init__(self) -> None:
        self.calls = 0
        self._ids = itertools.count(1000)

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.calls += 1
        endpoint = url.rsplit("/", 1)[-1].lower()
        result: Any
        if endpoint == "getme":
            result = BOT_USER
        elif endpoint in ("sendmessage", "editmessagetext"):
            params = request_data.parameters if request_data is not None else {}
            result = {
                "message_id": params.get("message_id") or next(self._ids),
                "date": DATE,
                "chat": {"id": params.get("chat_id", 0), "type": "private"},
                "text": "x",
            }
        else:  # answerCallbackQuery, editMessageReplyMarkup, and anything else
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()


# --- the updates -------------------------------------------------------------------------


def loket_flow(bundle: DialogBundle) -> list[JSON]:
    """What loket sends for the flow's three steps: the sendMessage call of each."""

    async def run() -> list[JSON]:
        engine, chat = Engine(bundle, MemoryStore()), str(CHAT0)
        steps = [("menu", Kind.TEXT, ""), ("KTP-el", Kind.CHOICE, "ktp")]
        steps.append(("KTP-el hilang", Kind.CHOICE, "hilang"))
        out = []
        for text, kind, payload in steps:
            replies = await engine.handle(IncomingMessage("telegram", chat, text, kind, payload))
            out.append(to_telegram(replies[-1], chat)[-1])
        return out

    return asyncio.run(run())


def updates(residents: int, shown: list[JSON]) -> list[bytes]:
    """The recorded updates, residents interleaved: every /start, then every first tap, ..."""
    out: list[bytes] = []
    update_id = itertools.count(900_000_000)
    tags = re.compile(r"</?[bi]>")
    for step, data in enumerate(("", "ktp", "hilang")):
        for r in range(residents):
            chat = CHAT0 + r
            user = {"id": chat, "is_bot": False, "first_name": "Warga", "language_code": "id"}
            when = DATE + step * 20
            body: JSON
            if not data:
                command = {"offset": 0, "length": 6, "type": "bot_command"}
                message = {"message_id": 1, "from": user, "date": when, "text": "/start"}
                body = {"message": message | {"chat": _chat(chat), "entities": [command]}}
            else:
                under = shown[step - 1]  # the message whose keyboard was tapped
                message = {"message_id": step + 1, "from": BOT_USER, "chat": _chat(chat)}
                message |= {"date": when - 10, "text": tags.sub("", under["text"])}
                query = {"id": f"{chat}{step}", "from": user, "chat_instance": f"-{chat}"}
                query |= {"message": message | {"reply_markup": under["reply_markup"]}}
                body = {"callback_query": query | {"data": data}}
            raw = {"update_id": next(update_id), **body}
            out.append(json.dumps(raw, ensure_ascii=False, separators=(",", ":")).encode())
    return out


def _chat(chat: int) -> JSON:
    return {"id": chat, "first_name": "Warga", "type": "private"}


# --- loket ------------------------------------------------------------------------------


class Loket:
    """loket's path for one update, in process: no inbox, outbox or sender tasks."""

    def __init__(self, bundle: DialogBundle, bot: ExtBot[Any]) -> None:
        self.engine = Engine(bundle, MemoryStore())
        self.bot = bot
        self.last: dict[str, list[JSON]] = {}

    async def call(self, call: JSON) -> Any:
        params = dict(call)
        method = str(params.pop("method"))
        return await self.bot.do_api_request(method.lower(), api_kwargs=params, return_type=None)

    async def handle(self, raw: bytes) -> None:
        update = parse_update(raw)
        if update.callback_query_id:  # the acknowledger answers every tap at once
            answer = {
                "method": "answerCallbackQuery",
                "callback_query_id": update.callback_query_id,
            }
            await self.call(answer)
        msg = update.message
        if msg is None:
            return
        calls = prelude(msg)
        for reply in await self.engine.handle(msg):
            calls += to_telegram(reply, msg.sender)
        for call in calls:
            await self.call(call)
        self.last[msg.sender] = calls


def loket_bot() -> ExtBot[Any]:
    # loket's TelegramClient without its AIORateLimiter: its pacing would be what is timed.
    return ExtBot(TOKEN, request=CannedRequest(), get_updates_request=CannedRequest())


# --- python-telegram-bot ------------------------------------------------------------------

MENU, KTP, ANSWER = range(3)
SCREENS: dict[str, tuple[str, InlineKeyboardMarkup]] = {}  # filled from loket_flow at set-up
NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)
FALLBACK: Final = "Maaf, saya belum memahami. Ketuk salah satu pilihan, atau ketik /start."


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    text, markup = SCREENS["menu"]
    assert update.message is not None
    await update.message.reply_text(
        text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_markup=markup
    )
    return MENU


async def show(update: Update, screen: str) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    text, markup = SCREENS[screen]
    await query.edit_message_text(
        text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_markup=markup
    )


async def ktp(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await show(update, "ktp")
    return KTP


async def hilang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await show(update, "hilang")
    return ANSWER


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await show(update, "menu")
    return MENU


async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(FALLBACK)


def ptb_app(request: CannedRequest | None = None) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(request or CannedRequest())
        .get_updates_request(CannedRequest())
        .updater(None)
        .build()
    )
    conversation = ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states={
            MENU: [CallbackQueryHandler(ktp, pattern="^ktp$")],
            KTP: [
                CallbackQueryHandler(hilang, pattern="^hilang$"),
                CallbackQueryHandler(menu, pattern="^menu$"),
            ],
            ANSWER: [CallbackQueryHandler(menu, pattern="^menu$")],
        },
        fallbacks=[
            CommandHandler("start", start),
            MessageHandler(filters.TEXT & ~filters.COMMAND, typed),
        ],
    )
    app.add_handler(conversation)
    return app


def screens(shown: list[JSON]) -> None:
    for name, call in zip(("menu", "ktp", "hilang"), shown, strict=True):
        rows = call["reply_markup"]["inline_keyboard"]
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
                for row in rows
            ]
        )
        SCREENS[name] = (call["text"], markup)


# --- timing -------------------------------------------------------------------------------


async def time_loket(bundle: DialogBundle, raws: list[bytes]) -> tuple[float, Loket]:
    bot = loket_bot()
    await bot.initialize()
    loket = Loket(bundle, bot)
    t0 = time.perf_counter()
    for raw in raws:
        await loket.handle(raw)
    rate = len(raws) / (time.perf_counter() - t0)
    await bot.shutdown()
    return rate, loket


async def time_ptb(raws: list[bytes]) -> tuple[float, CannedRequest]:
    app = ptb_app()
    await app.initialize()
    request = app.bot.request
    assert isinstance(request, CannedRequest)
    bot = app.bot
    t0 = time.perf_counter()
    for raw in raws:
        await app.process_update(Update.de_json(json.loads(raw), bot))
    rate = len(raws) / (time.perf_counter() - t0)
    await app.shutdown()
    return rate, request


class Recording(CannedRequest):
    """A canned request that also keeps each call's parameters, for the check before timing."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, JSON]] = []

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kw: Any
    ) -> tuple[int, bytes]:
        params = request_data.parameters if request_data is not None else {}
        self.sent.append((url.rsplit("/", 1)[-1], params))
        return await super().do_request(url, method, request_data)


async def check(bundle: DialogBundle, raws: list[bytes], residents: int) -> None:
    """Both sides answer the flow sensibly, or the comparison means nothing."""
    _, loket = await time_loket(bundle, raws)
    chat = str(CHAT0 + residents - 1)
    assert "Kepolisian" in loket.last[chat][-1]["text"], loket.last[chat]
    assert loket.last[chat][0]["method"] == "editMessageReplyMarkup", loket.last[chat]
    recording = Recording()
    app = ptb_app(recording)
    await app.initialize()
    for raw in raws:
        await app.process_update(Update.de_json(json.loads(raw), app.bot))
    await app.shutdown()
    edits = [p for m, p in recording.sent if m == "editMessageText" and p["chat_id"] == int(chat)]
    assert edits and "Kepolisian" in str(edits[-1]["text"]), edits
    answers = sum(m == "answerCallbackQuery" for m, _ in recording.sent)
    assert answers == 2 * residents, answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    bundle = load_dialogs(ROOT / "dialogs")
    shown = loket_flow(bundle)
    screens(shown)
    raws = updates(args.residents, shown)
    print(
        f"{args.residents} residents, {len(raws)} updates (/start, tap KTP-el, tap KTP-el "
        f"hilang), {args.rounds} rounds\nin process, without loket's durable SQLite inbox and "
        "outbox; every Bot API call answered at once by a canned request; loket sends through "
        "an ExtBot without rate limiter"
    )

    async def rounds() -> dict[str, list[float]]:
        await check(bundle, raws, args.residents)
        rates: dict[str, list[float]] = {"loket": [], "ptb": []}
        for i in range(args.rounds):  # alternate which goes first
            order = ("loket", "ptb") if i % 2 == 0 else ("ptb", "loket")
            for side in order:
                if side == "loket":
                    rates["loket"].append((await time_loket(bundle, raws))[0])
                else:
                    rates["ptb"].append((await time_ptb(raws))[0])
        return rates

    rates = asyncio.run(rounds())
    ratios = [lk / p for lk, p in zip(rates["loket"], rates["ptb"], strict=True)]
    ratio = statistics.median(ratios)
    print(
        f"PTB ConversationHandler : {statistics.median(rates['ptb']):9,.0f} updates/s (median; "
        "Update.de_json + process_update)"
    )
    print(
        f"loket dialogs           : {statistics.median(rates['loket']):9,.0f} updates/s (median; "
        "parse_update + Engine.handle + to_telegram)"
    )
    print(
        f"ratio loket/PTB         : {ratio:9.2f} (median of rounds "
        f"{', '.join(f'{r:.2f}' for r in ratios)}; floor {FLOOR})"
    )
    if ratio < FLOOR:
        print("BELOW FLOOR: loket/PTB")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
