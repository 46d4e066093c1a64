"""Telegram end to end: the fake Bot API and a real `loket serve`, by webhook and by polling."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from tests.channels.telegram.conftest import CHAT, SECRET, TelegramServer, serve
from tests.fakes.telegram_api import FakeBotAPI


async def webhook_server(bot: FakeBotAPI, tmp_path: Path) -> TelegramServer:
    srv = await serve(bot, tmp_path, webhook=True)
    bot.webhook_url = f"{srv.url}/webhooks/telegram"  # what `loket telegram set-webhook` does
    bot.webhook_secret = SECRET
    return srv


def texts(bot: FakeBotAPI) -> list[str]:
    return [s.text or "" for s in bot.messages_to(CHAT) if not s.edit]


def last_keyboard(bot: FakeBotAPI) -> tuple[int, list[tuple[str, str]]]:
    sent = [
        s
        for s in bot.sent
        if s.chat_id == CHAT and s.reply_markup and s.reply_markup.get("inline_keyboard")
    ]
    last = sent[-1]
    buttons = [
        (b["callback_data"], b["text"]) for row in last.reply_markup["inline_keyboard"] for b in row
    ]
    return last.message_id, buttons


async def ektp_conversation(bot: FakeBotAPI, deliver: object) -> None:
    send = deliver  # a coroutine function: posts or queues one update
    await send(bot.text_update(CHAT, "/start"))  # type: ignore[operator]
    await bot.wait_until(lambda: any("Selamat datang" in t for t in texts(bot)), 15)
    message_id, buttons = last_keyboard(bot)
    assert ("ktp", "KTP-el") in buttons
    await send(bot.callback_update(CHAT, "ktp", message_id))  # type: ignore[operator]
    await bot.wait_until(lambda: texts(bot)[-1].startswith("KTP-el"), 15)
    message_id, buttons = last_keyboard(bot)
    lost = next(cid for cid, label in buttons if "hilang" in label.lower())
    await send(bot.callback_update(CHAT, lost, message_id))  # type: ignore[operator]
    await bot.wait_until(lambda: any("Kepolisian" in t for t in texts(bot)), 15)
    # every tap was answered at once, and each tapped keyboard was taken away
    await bot.wait_until(lambda: len(bot.called("answerCallbackQuery")) == 2, 5)
    assert all(c.status == 200 for c in bot.called("answerCallbackQuery"))
    assert len(bot.called("editMessageReplyMarkup")) == 2
    assert bot.called("setMyCommands")


async def test_a_whole_conversation_by_webhook(bot: FakeBotAPI, tmp_path: Path) -> None:
    srv = await webhook_server(bot, tmp_path)
    try:

        async def post(update: dict[str, object]) -> None:
            assert await bot.post_webhook_update(update) == 200

        await ektp_conversation(bot, post)
    finally:
        srv.stop()


async def test_a_whole_conversation_by_polling(bot: FakeBotAPI, tmp_path: Path) -> None:
    srv = await serve(bot, tmp_path, webhook=False)
    try:

        async def push(update: dict[str, object]) -> None:
            bot.push_update(update)

        await ektp_conversation(bot, push)
        assert bot.called("deleteWebhook")
    finally:
        srv.stop()
    # stopping confirmed the offset: nothing would be fetched twice
    assert bot.called("getUpdates")[-1].params.get("offset", 0) > 0


async def test_forged_secret_and_duplicates(bot: FakeBotAPI, tmp_path: Path) -> None:
    srv = await webhook_server(bot, tmp_path)
    try:
        update = bot.text_update(CHAT, "halo")
        assert await bot.post_webhook_update(update, secret="wrong") == 403
        assert await bot.post_webhook_update(update, secret=None) == 403
        await asyncio.sleep(0.3)
        assert texts(bot) == []
        for _ in range(3):
            assert await bot.post_webhook_update(update) == 200
        await bot.wait_until(lambda: len(texts(bot)) >= 1, 15)
        await asyncio.sleep(0.5)
        assert len(texts(bot)) == 1
    finally:
        srv.stop()


async def test_a_stale_tap_gets_the_current_menu(bot: FakeBotAPI, tmp_path: Path) -> None:
    srv = await webhook_server(bot, tmp_path)
    try:
        await bot.post_webhook_update(bot.text_update(CHAT, "halo"))
        await bot.wait_until(lambda: len(texts(bot)) == 1, 15)
        old_menu, _ = last_keyboard(bot)
        await bot.post_webhook_update(bot.text_update(CHAT, "jam buka"))
        await bot.wait_until(lambda: len(texts(bot)) == 2, 15)
        # A resident sees the new menu only once it is sent; so does the bot, once recorded.
        for _ in range(100):
            if srv.rows("SELECT COUNT(*) FROM outbox WHERE platform_id IS NOT NULL") == [(2,)]:
                break
            await asyncio.sleep(0.05)
        await bot.post_webhook_update(bot.callback_update(CHAT, "ktp", old_menu))
        await bot.wait_until(lambda: "kedaluwarsa" in texts(bot)[-1], 15)
        assert len(bot.called("answerCallbackQuery")) == 1  # answered all the same
    finally:
        srv.stop()


async def test_group_messages_are_ignored(bot: FakeBotAPI, tmp_path: Path) -> None:
    srv = await webhook_server(bot, tmp_path)
    try:
        assert await bot.post_webhook_update(bot.group_text_update(-100123, "halo")) == 200
        await asyncio.sleep(0.5)
        assert [s for s in bot.sent if s.chat_id == -100123] == []
    finally:
        srv.stop()


async def test_429_then_delivery_in_order_and_403_stops(bot: FakeBotAPI, tmp_path: Path) -> None:
    srv = await webhook_server(bot, tmp_path)
    try:
        bot.inject(429, method="sendMessage", chat_id=CHAT, retry_after=1)
        for text in ("halo", "2", "menu"):
            await bot.post_webhook_update(bot.text_update(CHAT, text))
        await bot.wait_until(lambda: len(texts(bot)) >= 3, 20)
        got = texts(bot)
        assert "Selamat datang" in got[0] and "Kartu Keluarga" in got[1] and "Menu utama" in got[2]
        sends = [
            c for c in bot.called("sendMessage") if c.params.get("chat_id") in (CHAT, str(CHAT))
        ]
        gaps = [b.time - a.time for a, b in itertools.pairwise(sends)]
        assert min(gaps) >= 0.9  # about one message a second per chat
        # A chat that blocked the bot: 403, marked inactive, nothing retried.
        bot.inject(403, method="sendMessage", chat_id=CHAT, times=5)
        await bot.post_webhook_update(bot.text_update(CHAT, "menu"))
        query = "SELECT status, error_code FROM outbox WHERE status = 'failed'"
        for _ in range(200):
            if srv.rows(query):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # time for a retry, had there been one
        assert srv.rows(query) == [("failed", 403)]
        assert len(bot.called("sendMessage")) == 5  # 3 answers, the 429, the one 403
        assert srv.rows("SELECT closed FROM windows WHERE channel = 'telegram'") == [(1,)]
    finally:
        srv.stop()


async def test_an_officer_answers_on_telegram(bot: FakeBotAPI, tmp_path: Path) -> None:
    from tests.channels.whatsapp.test_handover import operator

    srv = await webhook_server(bot, tmp_path)
    try:
        await bot.post_webhook_update(bot.text_update(CHAT, "/petugas"))
        await bot.wait_until(lambda: any("Tanya petugas" in t for t in texts(bot)), 15)
        await bot.post_webhook_update(bot.text_update(CHAT, "Bisa rekam KTP-el hari Sabtu?"))
        await bot.wait_until(lambda: "keluar dari antrean" in texts(bot)[-1], 15)
        operator(srv, "reply", "1", "Bisa,", "di", "Disdukcapil.")
        await bot.wait_until(lambda: texts(bot)[-1].startswith("Rina: Bisa"), 15)
    finally:
        srv.stop()
