"""Tests of the fake Telegram Bot API, over plain aiohttp and through python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from .telegram_api import FIXTURES, FakeBotAPI, Secret, load_fixture

CHAT = 5123456789
KEYBOARD = {"inline_keyboard": [[{"text": "KTP-el", "callback_data": "svc:ktp"}]]}


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, fake: FakeBotAPI, method: str, **params: Any
) -> tuple[int, Any]:
    """POST a JSON body, as a hand-written client would."""
    async with http.post(f"{fake.base_url}{fake.token}/{method}", json=params) as response:
        return response.status, await response.json()


async def test_getme_via_get_query_and_method_names_are_case_insensitive(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{fake.base_url}{fake.token}/GETME?x=1") as response:
        body = await response.json()
    assert response.status == 200
    assert body["ok"] is True
    assert body["result"]["is_bot"] is True
    assert body["result"]["username"] == "kec_contoh_bot"
    assert fake.calls[-1].method == "getMe"


async def test_unknown_token_and_unknown_method(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    async with http.post(f"{fake.base_url}123:nope/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    status, body = await call(http, fake, "sendTelepathy")
    assert (status, body["description"]) == (404, "Not Found")


async def test_json_body_send_message_returns_a_message(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    status, body = await call(
        http, fake, "sendMessage", chat_id=CHAT, text="Pilih layanan:", reply_markup=KEYBOARD
    )
    assert status == 200
    message = body["result"]
    assert message["chat"] == {"id": CHAT, "type": "private"}
    assert message["from"]["id"] == 7000000001
    assert message["text"] == "Pilih layanan:"
    assert message["reply_markup"] == KEYBOARD
    assert isinstance(message["message_id"], int)
    assert abs(message["date"] - time.time()) < 5
    assert [m.text for m in fake.messages_to(CHAT)] == ["Pilih layanan:"]
    assert fake.keyboards_to(CHAT) == [KEYBOARD]


async def test_reply_keyboards_are_recorded_but_not_echoed(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    menu = {"keyboard": [[{"text": "Menu"}, {"text": "Jam layanan"}]], "resize_keyboard": True}
    _, body = await call(http, fake, "sendMessage", chat_id=CHAT, text="Menu:", reply_markup=menu)
    assert "reply_markup" not in body["result"]
    assert fake.keyboards_to(CHAT) == [menu]


async def test_form_fields_are_json_decoded_but_string_params_are_not(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    form = {"chat_id": str(CHAT), "text": "123", "reply_markup": json.dumps(KEYBOARD)}
    async with http.post(f"{fake.base_url}{fake.token}/sendMessage", data=form) as response:
        assert response.status == 200
    params = fake.calls[-1].params
    assert params == {"chat_id": CHAT, "text": "123", "reply_markup": KEYBOARD}


async def test_multipart_body(fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(CHAT))
    form.add_field("text", "lampiran")
    form.add_field("thumbnail", b"\x89PNG", filename="a.png", content_type="image/png")
    async with http.post(f"{fake.base_url}{fake.token}/sendMessage", data=form) as response:
        assert response.status == 200
    assert fake.calls[-1].params["thumbnail"] == {"filename": "a.png", "size": 4}


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ("😀" * 16, True),  # 64 bytes
        ("😀" * 22, False),  # 22 characters but 88 bytes
        ("a" * 65, False),
        ("", False),
    ],
)
async def test_callback_data_limit_is_64_utf8_bytes(
    fake: FakeBotAPI, http: aiohttp.ClientSession, data: str, ok: bool
) -> None:
    markup = {"inline_keyboard": [[{"text": "Tombol", "callback_data": data}]]}
    status, body = await call(
        http, fake, "sendMessage", chat_id=CHAT, text="x", reply_markup=markup
    )
    if ok:
        assert status == 200
    else:
        assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


async def test_text_button_without_action_is_rejected(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    markup = {"inline_keyboard": [[{"text": "KTP-el"}]]}
    status, body = await call(
        http, fake, "sendMessage", chat_id=CHAT, text="x", reply_markup=markup
    )
    assert status == 400
    assert "Text buttons are unallowed" in body["description"]


async def test_html_parse_mode(fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    status, body = await call(
        http,
        fake,
        "sendMessage",
        chat_id=CHAT,
        text="<b>Syarat</b> untuk &lt;b&gt;Zoé&lt;/b&gt; &amp; KK",
        parse_mode="HTML",
    )
    assert status == 200
    assert body["result"]["text"] == "Syarat untuk <b>Zoé</b> & KK"  # what the user sees
    for bad in ("a < b", "<b>tebal", "<br>baris", "<b><i>x</b></i>", "x</b>"):
        status, body = await call(
            http, fake, "sendMessage", chat_id=CHAT, text=bad, parse_mode="HTML"
        )
        assert status == 400, bad
        assert body["description"].startswith("Bad Request: can't parse entities: "), bad


async def test_markdown_v2_reserved_characters(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    ok = r"*Jam layanan* 08\.00\-15\.00, lihat [peta](https://maps.example.com/kec-1.html)"
    status, body = await call(
        http, fake, "sendMessage", chat_id=CHAT, text=ok, parse_mode="MarkdownV2"
    )
    assert status == 200
    assert body["result"]["text"] == "Jam layanan 08.00-15.00, lihat peta"
    status, body = await call(
        http, fake, "sendMessage", chat_id=CHAT, text="Jam 08.00", parse_mode="MarkdownV2"
    )
    assert status == 400
    assert "Character '.' is reserved" in body["description"]


async def test_text_length_limits(fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    assert (await call(http, fake, "sendMessage", chat_id=CHAT, text="a" * 4096))[0] == 200
    status, body = await call(http, fake, "sendMessage", chat_id=CHAT, text="a" * 4097)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    status, body = await call(http, fake, "sendMessage", chat_id=CHAT, text="")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")


async def test_edits_change_state_and_are_recorded(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    _, body = await call(
        http, fake, "sendMessage", chat_id=CHAT, text="Pilih layanan:", reply_markup=KEYBOARD
    )
    message_id = body["result"]["message_id"]
    status, body = await call(
        http,
        fake,
        "editMessageText",
        chat_id=CHAT,
        message_id=message_id,
        text="Pilih layanan:",
        reply_markup=KEYBOARD,
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified: ")
    status, body = await call(
        http, fake, "editMessageText", chat_id=CHAT, message_id=message_id, text="KTP-el dipilih"
    )
    assert status == 200
    assert "reply_markup" not in body["result"]  # an edit without markup drops the keyboard
    assert fake.messages[CHAT][message_id]["text"] == "KTP-el dipilih"
    status, body = await call(
        http,
        fake,
        "editMessageReplyMarkup",
        chat_id=CHAT,
        message_id=message_id,
        reply_markup=KEYBOARD,
    )
    assert status == 200
    assert body["result"]["reply_markup"] == KEYBOARD
    sent = fake.messages_to(CHAT)
    assert [(m.text, m.edit) for m in sent] == [("Pilih layanan:", False), ("KTP-el dipilih", True)]
    assert fake.keyboards_to(CHAT) == [KEYBOARD, KEYBOARD]
    for params in ({"message_id": 999}, {"message_id": message_id, "chat_id": 42}):
        status, body = await call(
            http, fake, "editMessageText", **{"chat_id": CHAT, "text": "x", **params}
        )
        assert (status, body["description"]) == (400, "Bad Request: message to edit not found")


async def test_formatting_only_edit_is_a_modification(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    _, body = await call(http, fake, "sendMessage", chat_id=CHAT, text="Selesai")
    message_id = body["result"]["message_id"]
    status, _ = await call(
        http,
        fake,
        "editMessageText",
        chat_id=CHAT,
        message_id=message_id,
        text="<b>Selesai</b>",
        parse_mode="HTML",
    )
    assert status == 200


async def test_answer_callback_query_once_and_only_in_time(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    _, body = await call(
        http, fake, "sendMessage", chat_id=CHAT, text="Pilih:", reply_markup=KEYBOARD
    )
    update = fake.callback_update(CHAT, "svc:ktp", body["result"]["message_id"])
    query_id = update["callback_query"]["id"]
    assert update["callback_query"]["message"]["reply_markup"] == KEYBOARD
    status, body = await call(
        http, fake, "answerCallbackQuery", callback_query_id=query_id, text="x" * 201
    )
    assert (status, body["description"]) == (400, "Bad Request: MESSAGE_TOO_LONG")
    status, body = await call(http, fake, "answerCallbackQuery", callback_query_id=query_id)
    assert (status, body["result"]) == (200, True)
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    for query in (query_id, "123"):
        status, body = await call(http, fake, "answerCallbackQuery", callback_query_id=query)
        assert (status, body["description"]) == (400, too_old)
    fake.callback_ttl = 0.05  # Telegram's window is a few seconds; shrink it for the test
    late = fake.callback_update(CHAT, "svc:kk", 1)["callback_query"]["id"]
    await asyncio.sleep(0.1)
    status, body = await call(http, fake, "answerCallbackQuery", callback_query_id=late)
    assert (status, body["description"]) == (400, too_old)


async def test_long_poll_times_out_empty(fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    started = time.monotonic()
    status, body = await call(http, fake, "getUpdates", timeout=0.3)
    assert (status, body["result"]) == (200, [])
    assert time.monotonic() - started >= 0.25


async def test_long_poll_wakes_on_push(fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    async def push_later() -> None:
        await asyncio.sleep(0.1)
        fake.push_update(fake.text_update(CHAT, "halo"))

    started = time.monotonic()
    (_, body), _ = await asyncio.gather(call(http, fake, "getUpdates", timeout=10), push_later())
    assert time.monotonic() - started < 2
    assert body["result"][0]["message"]["text"] == "halo"


async def test_offset_confirms_and_limit_caps(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    ids = [fake.push_update(fake.text_update(CHAT, f"pesan {i}"))["update_id"] for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    _, body = await call(http, fake, "getUpdates", limit=1)
    assert [u["update_id"] for u in body["result"]] == ids[:1]
    _, body = await call(http, fake, "getUpdates")
    assert [u["update_id"] for u in body["result"]] == ids  # nothing confirmed yet
    _, body = await call(http, fake, "getUpdates", offset=ids[1])
    assert [u["update_id"] for u in body["result"]] == ids[1:]
    _, body = await call(http, fake, "getUpdates", offset=ids[2] + 1)
    assert body["result"] == []
    assert fake.updates == []
    fake.push_update(fake.text_update(CHAT, "a"))
    last = fake.push_update(fake.text_update(CHAT, "b"))
    _, body = await call(http, fake, "getUpdates", offset=-1)
    assert body["result"] == [last]


async def test_second_poller_terminates_the_first(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    first = asyncio.ensure_future(call(http, fake, "getUpdates", timeout=10))
    await fake.wait_until(lambda: len(fake.called("getUpdates")) == 1)
    status, _ = await call(http, fake, "getUpdates", timeout=0)
    assert status == 200
    status, body = await first
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_webhook_delivery_secret_and_allowed_updates(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    received: list[tuple[str | None, str, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((secret, request.content_type, await request.json()))
        return web.Response(status=200 if secret == "rahasia_RT-05" else 403)

    app = web.Application()
    app.router.add_post("/tg", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/tg"
    try:
        status, body = await call(http, fake, "setWebhook", url=url, secret_token="bad secret!")
        assert status == 400
        status, _ = await call(
            http, fake, "setWebhook", url="http://example.com/tg", secret_token="x"
        )
        assert status == 400  # only local hosts may skip HTTPS
        status, _ = await call(
            http,
            fake,
            "setWebhook",
            url=url,
            secret_token="rahasia_RT-05",
            allowed_updates=["message"],
        )
        assert status == 200
        # Re-registering without allowed_updates keeps the previous list, as Telegram does.
        await call(http, fake, "setWebhook", url=url, secret_token="rahasia_RT-05")
        _, body = await call(http, fake, "getWebhookInfo")
        assert body["result"]["allowed_updates"] == ["message"]
        assert body["result"]["url"] == url

        update = fake.text_update(CHAT, "Zoé 👶")
        assert await fake.post_webhook_update(update, secret=Secret.REGISTERED) == 200
        assert received[-1][:2] == ("rahasia_RT-05", "application/json")
        assert received[-1][2]["message"]["text"] == "Zoé 👶"
        assert await fake.post_webhook_update(load_fixture("text"), secret="salah") == 403
        assert await fake.post_webhook_update(load_fixture("text"), secret=None) == 403
        assert received[-1][0] is None
        assert await fake.post_webhook_update(fake.callback_update(CHAT, "svc:ktp", 1)) is None
        _, body = await call(http, fake, "getWebhookInfo")
        assert (
            body["result"]["last_error_message"] == "Wrong response from the webhook: 403 Forbidden"
        )

        status, body = await call(http, fake, "getUpdates")
        assert status == 409
        assert body["description"] == (
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
        fake.push_update(fake.text_update(CHAT, "antre"))
        await call(http, fake, "deleteWebhook", drop_pending_updates=True)
        _, body = await call(http, fake, "getUpdates")
        assert body["result"] == []
    finally:
        await runner.cleanup()


async def test_injected_errors_match_method_chat_and_count(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    fake.inject(429, times=2, method="sendMessage", chat_id=CHAT, retry_after=7)
    fake.inject(400)
    status, body = await call(http, fake, "sendMessage", chat_id=42, text="lain")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    for _ in range(2):
        status, body = await call(http, fake, "sendMessage", chat_id=CHAT, text="x")
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
    assert (await call(http, fake, "sendMessage", chat_id=CHAT, text="x"))[0] == 200
    assert [c.status for c in fake.called("sendMessage")] == [400, 429, 429, 200]


async def test_set_and_get_my_commands(fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    commands = [
        {"command": "start", "description": "Mulai"},
        {"command": "jam", "description": "Jam layanan"},
    ]
    assert (await call(http, fake, "setMyCommands", commands=commands))[0] == 200
    _, body = await call(http, fake, "getMyCommands")
    assert body["result"] == commands
    _, body = await call(http, fake, "getMyCommands", language_code="en")
    assert body["result"] == []
    for bad in (
        {"command": "Start", "description": "x"},
        {"command": "a" * 33, "description": "x"},
    ):
        status, body = await call(http, fake, "setMyCommands", commands=[bad])
        assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")
    status, _ = await call(
        http, fake, "setMyCommands", commands=[{"command": "jam", "description": "x" * 257}]
    )
    assert status == 400


async def test_location_and_venue(fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    _, body = await call(
        http, fake, "sendLocation", chat_id=CHAT, latitude=-6.9175, longitude=107.6191
    )
    assert body["result"]["location"] == {"latitude": -6.9175, "longitude": 107.6191}
    _, body = await call(
        http,
        fake,
        "sendVenue",
        chat_id=CHAT,
        latitude=-6.9175,
        longitude=107.6191,
        title="Kantor Kecamatan",
        address="Jl. Merdeka No. 1",
    )
    assert body["result"]["venue"]["title"] == "Kantor Kecamatan"
    status, _ = await call(http, fake, "sendVenue", chat_id=CHAT, latitude=1, longitude=2)
    assert status == 400
    assert fake.messages_to(CHAT) == []  # locations are not texts


async def test_fixtures_parse_with_ptb_and_feed_the_fake(
    fake: FakeBotAPI, http: aiohttp.ClientSession
) -> None:
    kinds = {
        "text": "message",
        "text_plain": "message",
        "edited_message": "edited_message",
        "callback_query": "callback_query",
        "callback_query_inaccessible": "callback_query",
        "location": "message",
        "contact": "message",
        "photo": "message",
        "document": "message",
        "group_message": "message",
        "channel_post": "channel_post",
        "my_chat_member": "my_chat_member",
    }
    assert {path.stem for path in FIXTURES.glob("*.json")} == set(kinds)
    for name, kind in kinds.items():
        data = load_fixture(name, keep_update_id=True)
        update = Update.de_json(data, None)
        assert getattr(update, kind) is not None, name
    data = load_fixture("callback_query_inaccessible", keep_update_id=True)
    inaccessible = Update.de_json(data, None).callback_query
    assert inaccessible is not None and inaccessible.message is not None
    assert not inaccessible.message.is_accessible  # date 0: Bot API 7 InaccessibleMessage

    # The recorded callback is answerable once, and its bot message (12) is editable.
    query_id = fake.push_update(load_fixture("callback_query"))["callback_query"]["id"]
    assert (await call(http, fake, "answerCallbackQuery", callback_query_id=query_id))[0] == 200
    assert (await call(http, fake, "answerCallbackQuery", callback_query_id=query_id))[0] == 400
    status, _ = await call(
        http, fake, "editMessageText", chat_id=CHAT, message_id=12, text="KTP-el dipilih"
    )
    assert status == 200
    # A user's own message exists but cannot be edited by the bot.
    fake.push_update(load_fixture("text"))
    status, body = await call(http, fake, "editMessageText", chat_id=CHAT, message_id=11, text="x")
    assert (status, body["description"]) == (400, "Bad Request: message can't be edited")
    # After the user blocks the bot, sends fail with 403.
    fake.push_update(load_fixture("my_chat_member"))
    status, body = await call(http, fake, "sendMessage", chat_id=CHAT, text="halo")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")


async def test_builders_make_realistic_updates(fake: FakeBotAPI) -> None:
    start = fake.text_update(CHAT, "/start")
    assert start["message"]["entities"] == [{"offset": 0, "length": 6, "type": "bot_command"}]
    group = fake.group_text_update(-4123456789, "/jam@kec_contoh_bot")
    assert group["message"]["chat"]["type"] == "group" and group["message"]["chat"]["id"] < 0
    updates = [
        start,
        group,
        fake.edited_text_update(CHAT, start["message"]["message_id"], "/start lagi"),
        fake.location_update(CHAT),
        fake.contact_update(CHAT),
        fake.photo_update(CHAT, caption="KK"),
        fake.document_update(CHAT),
        fake.callback_update(CHAT, "svc:ktp", 999),
    ]
    ids = [u["update_id"] for u in updates]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for data in updates:
        assert Update.de_json(data, None).effective_chat is not None


async def test_wait_until_times_out_with_a_hint(fake: FakeBotAPI) -> None:
    with pytest.raises(TimeoutError, match="condition not met"):
        await fake.wait_until(lambda: False, timeout=0.05)


async def test_python_telegram_bot_against_the_fake(
    fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RetryAfter.retry_after warns (PTBDeprecationWarning) unless timedelta mode is on.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    bot = Bot(fake.token, base_url=fake.base_url)
    async with bot:  # initialize() -> getMe, shutdown() closes the httpx client
        assert bot.username == "kec_contoh_bot"
        assert fake.calls[0].method == "getMe"

        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("KTP-el", callback_data="svc:ktp")]])
        message = await bot.send_message(CHAT, "Pilih layanan:", reply_markup=keyboard)
        assert message.reply_markup == keyboard
        assert fake.calls[-1].params == {
            "chat_id": CHAT,
            "text": "Pilih layanan:",
            "reply_markup": KEYBOARD,
        }

        # PTB warns when do_api_request is used for a method it has a wrapper for.
        with pytest.warns(PTBUserWarning, match="Bot.sendMessage"):
            raw = await bot.do_api_request(
                "sendMessage",
                api_kwargs={"chat_id": CHAT, "text": "&lt;b&gt; <i>ok</i>", "parse_mode": "HTML"},
                return_type=None,
            )
        assert raw["text"] == "<b> ok"
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy")

        query = fake.callback_update(CHAT, "svc:ktp", message.message_id)["callback_query"]
        assert await bot.answer_callback_query(query["id"], text="Memuat syarat KTP…")
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(query["id"])
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text(
                "Pilih layanan:", CHAT, message.message_id, reply_markup=keyboard
            )
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(
                CHAT,
                "x",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("x", callback_data="🙂" * 22)]]
                ),
            )

        venue = await bot.send_venue(CHAT, -6.9175, 107.6191, "Kantor Kecamatan", "Jl. Merdeka 1")
        assert venue.venue is not None and venue.venue.title == "Kantor Kecamatan"
        assert (await bot.send_location(CHAT, -6.9175, 107.6191)).location is not None
        assert await bot.set_my_commands([("start", "Mulai"), ("jam", "Jam layanan")])
        assert [c.command for c in await bot.get_my_commands()] == ["start", "jam"]

        fake.push_update(fake.text_update(CHAT, "halo"))
        updates = await bot.get_updates(timeout=0)
        assert updates[0].message is not None and updates[0].message.text == "halo"

        assert await bot.set_webhook(
            "http://127.0.0.1:9/tg", secret_token="s3cr3t", allowed_updates=["message"]
        )
        info = await bot.get_webhook_info()
        assert info.url == "http://127.0.0.1:9/tg" and info.allowed_updates == ("message",)
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        assert await bot.delete_webhook()

        fake.inject(429, method="sendMessage", retry_after=7)
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(CHAT, "banyak")
        assert retry.value.retry_after == dtm.timedelta(seconds=7)
        fake.inject(403, chat_id=CHAT)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(CHAT, "halo?")
        assert (await bot.send_message(CHAT, "halo lagi")).text == "halo lagi"

    with pytest.raises(InvalidToken):
        async with Bot("123:salah", base_url=fake.base_url):
            pass


async def test_ptb_application_polls_the_fake(fake: FakeBotAPI) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Anda menulis: {update.effective_message.text}")

    app = Application.builder().token(fake.token).base_url(fake.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    fake.push_update(fake.text_update(CHAT, "stale"))  # dropped by drop_pending_updates
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0, timeout=dtm.timedelta(seconds=1), drop_pending_updates=True
        )
        fake.push_update(fake.text_update(CHAT, "halo"))
        await fake.wait_until(lambda: bool(fake.messages_to(CHAT)))
        await app.updater.stop()
        await app.stop()
    assert [m.text for m in fake.messages_to(CHAT)] == ["Anda menulis: halo"]
    assert fake.updates == []  # stop() confirmed the offset with a last getUpdates
    assert fake.called("deleteWebhook")[0].params == {"drop_pending_updates": True}
