"""A real `loket serve` on loopback, talking to the fake Graph API, as a fixture."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import ROOT
from tests.fakes.whatsapp_api import PHONE_NUMBER_ID, FakeGraphAPI

TOKEN = "test-access-token"
SECRET = "test-app-secret"
VERIFY = "kec-verify-2026"
OFFICER = "Rina Marlina"
OFFICER_TOKEN = "rina-7f3a9c1e5b2d4086"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`loket serve` as a child process, which a test may kill and start again."""

    def __init__(self, graph: FakeGraphAPI, db: Path, dialogs: Path = ROOT / "dialogs") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = db
        self.log = db.with_suffix(".log")
        self.env = {
            **os.environ,
            "LOKET_STORE": f"sqlite:///{db}",
            "LOKET_DIALOGS": str(dialogs),
            "LOKET_RETRY_SCALE": "0.02",
            "WHATSAPP_VERIFY_TOKEN": VERIFY,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_ACCESS_TOKEN": TOKEN,
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_API_BASE": graph.base_url,
            "LOKET_INBOX_TOKEN": f"{OFFICER}:{OFFICER_TOKEN}, Budi:budi-5c8e2a7f91d34b60",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "channels.cli", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"loket serve exited:\n{self.log.read_text()}")
                try:
                    async with http.get(f"{self.url}/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"loket serve did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """The crash: SIGKILL, no cleanup of any kind."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    async def health(self) -> dict[str, object]:
        async with aiohttp.ClientSession() as http, http.get(f"{self.url}/healthz") as resp:
            return dict(await resp.json())

    def rows(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, args).fetchall()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphAPI]:
    fake = FakeGraphAPI(TOKEN, PHONE_NUMBER_ID, app_secret=SECRET)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@contextlib.asynccontextmanager
async def running(graph: FakeGraphAPI, srv: Server) -> AsyncIterator[Server]:
    """The server started, with the fake Graph API posting to it; stopped afterwards."""
    graph.webhook_url = f"{srv.url}/webhooks/whatsapp"
    await srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
async def server(graph: FakeGraphAPI, tmp_path: Path) -> AsyncIterator[Server]:
    async with running(graph, Server(graph, tmp_path / "loket.db")) as srv:
        yield srv
