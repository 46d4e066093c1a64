"""Hand-over to an officer, end to end: the queue, a quiet bot, the officer's reply on
WhatsApp, closing, and the rating question."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tests.channels.whatsapp.conftest import Server
from tests.conftest import ROOT
from tests.fakes.whatsapp_api import RESIDENT, FakeGraphAPI


def operator(server: Server, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "channels.cli", "operator", "--officer", "Rina", *args],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


async def say(graph: FakeGraphAPI, text: str) -> None:
    assert (await graph.post_inbound(graph.text_message(RESIDENT, text)))[0] == 200


async def test_an_officer_answers_on_whatsapp(server: Server, graph: FakeGraphAPI) -> None:
    def last() -> str:
        texts = graph.texts_to(RESIDENT)
        return texts[-1] if texts else ""

    await say(graph, "petugas")
    await graph.wait_until(lambda: "Tanya petugas" in last(), 10)
    await say(graph, "Apakah perekaman KTP-el bisa hari Sabtu?")
    await graph.wait_until(lambda: "keluar dari antrean" in last(), 10)
    sent = len(graph.sent)
    await say(graph, "halo, ada petugas?")  # waiting: the bot keeps quiet
    await asyncio.sleep(1.0)
    assert len(graph.sent) == sent

    listing = operator(server, "list")
    assert "#1 whatsapp" in listing and "perekaman KTP-el bisa hari Sabtu" in listing
    assert "halo, ada petugas?" in listing  # the officer reads what came meanwhile
    operator(server, "take", "1")
    await graph.wait_until(lambda: "Rina" in last(), 10)
    operator(server, "reply", "1", "Bisa,", "di", "Disdukcapil", "Sabtu", "09.00-13.00.")
    await graph.wait_until(lambda: "Disdukcapil Sabtu 09.00-13.00." in last(), 10)
    assert last().startswith("*Rina:*")
    operator(server, "close", "1")
    await graph.wait_until(lambda: "Penilaian layanan" in last(), 10)
    await say(graph, "5")
    await graph.wait_until(lambda: "5* dari 5" in last(), 10)
    assert server.rows("SELECT value FROM ratings") == [("5",)]
    row = server.rows(
        "SELECT status, officer, first_response_at IS NOT NULL FROM operator_requests"
    )
    assert row == [("closed", "Rina", 1)]
    assert "no one is waiting" in operator(server, "list")


async def test_menu_leaves_the_queue(server: Server, graph: FakeGraphAPI) -> None:
    await say(graph, "petugas")
    await say(graph, "Bagaimana cara mengurus KK yang rusak?")
    await graph.wait_until(
        lambda: any("keluar dari antrean" in t for t in graph.texts_to(RESIDENT)), 10
    )
    await say(graph, "menu")
    await graph.wait_until(lambda: "Menu utama" in graph.texts_to(RESIDENT)[-1], 10)
    assert server.rows("SELECT status FROM operator_requests") == [("left",)]
