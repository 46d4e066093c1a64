"""A real `loket serve` talking to the fake Bot API, by webhook or by long polling."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.channels.whatsapp.conftest import Server, free_port
from tests.conftest import ROOT
from tests.fakes.telegram_api import FakeBotAPI

SECRET = "loket-telegram-secret_2026"
CHAT = 5123456789


class TelegramServer(Server):
    def __init__(self, bot: FakeBotAPI, db: Path, webhook: bool) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = db
        self.log = db.with_suffix(".log")
        self.proc = None
        self.env = {
            **os.environ,
            "LOKET_STORE": f"sqlite:///{db}",
            "LOKET_DIALOGS": str(ROOT / "dialogs"),
            "LOKET_RETRY_SCALE": "0.02",
            "TELEGRAM_BOT_TOKEN": bot.token,
            "TELEGRAM_API_BASE": bot.base_url,
            "PTB_TIMEDELTA": "true",
        }
        if webhook:
            self.env["TELEGRAM_WEBHOOK_SECRET"] = SECRET


@pytest.fixture
async def bot() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


async def serve(bot: FakeBotAPI, tmp_path: Path, webhook: bool) -> TelegramServer:
    srv = TelegramServer(bot, tmp_path / "loket.db", webhook)
    await srv.start()
    return srv
