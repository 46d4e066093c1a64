"""Live reload in `loket serve` (server and worker process) and `loket check --against`."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest

from botcore.engine import Engine
from botcore.messages import IncomingMessage
from botcore.sessions import SQLiteStore
from botcore.spec import load_dialogs
from channels.cli import main
from tests.botcore.test_reload import RENAMED
from tests.channels.whatsapp.conftest import OFFICER_TOKEN, Server, running
from tests.conftest import MINI, ROOT, WIB, edit
from tests.fakes.whatsapp_api import RESIDENT, FakeGraphAPI


async def say(graph: FakeGraphAPI, text: str) -> None:
    assert (await graph.post_inbound(graph.text_message(RESIDENT, text)))[0] == 200


@pytest.fixture
async def editable(graph: FakeGraphAPI, tmp_path: Path) -> AsyncIterator[Server]:
    """`loket serve` on a copy of the bundled dialogs that the test edits."""
    dialogs = tmp_path / "dialogs"
    shutil.copytree(ROOT / "dialogs", dialogs)
    async with running(graph, Server(graph, tmp_path / "loket.db", dialogs)) as srv:
        yield srv


async def test_serve_swaps_in_a_good_edit_and_keeps_serving_through_a_bad_one(
    editable: Server, graph: FakeGraphAPI
) -> None:
    dialogs = Path(editable.env["LOKET_DIALOGS"])
    await say(graph, "halo")
    await graph.wait_until(lambda: any("Menu utama" in t for t in graph.texts_to(RESIDENT)), 10)
    version = (await editable.health())["dialogs"]

    edit(dialogs / "main.yaml", "*Menu utama* —", "*Menu utama kecamatan* —")

    def reloaded() -> int:  # the server and its worker process each log the swap
        return editable.log.read_text().count("dialogs reloaded: version")

    for _ in range(300):
        if reloaded() >= 2:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"the good edit was not loaded:\n{editable.log.read_text()}")
    assert (await editable.health())["dialogs"] != version
    await say(graph, "menu")
    await graph.wait_until(lambda: "Menu utama kecamatan" in graph.texts_to(RESIDENT)[-1], 10)

    good = (await editable.health())["dialogs"]
    edit(dialogs / "ktp.yaml", "states:", "states:\n\tbroken")
    await asyncio.sleep(2.5)
    assert (await editable.health())["dialogs"] == good  # still the last good version
    await say(graph, "ktp")
    await graph.wait_until(lambda: "KTP" in graph.texts_to(RESIDENT)[-1], 10)
    assert "dialogs not reloaded: dialogs/ktp.yaml:" in editable.log.read_text()

    # Officers see the refused edit in the inbox (unsafe=True: cookies from 127.0.0.1).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{editable.url}/inbox/login") as resp:
            csrf = re.search(r'name="csrf" value="([^"]+)"', await resp.text())
        assert csrf is not None
        async with http.post(
            f"{editable.url}/inbox/login", data={"csrf": csrf[1], "token": OFFICER_TOKEN}
        ) as resp:
            page = await resp.text()
    assert "Perubahan dialog terakhir <strong>ditolak</strong>" in page
    assert "dialogs/ktp.yaml:" in page


def test_check_against_counts_conversations_and_says_where_they_go(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(MINI, old)
    shutil.copytree(MINI, new)
    db = tmp_path / "loket.db"

    async def residents() -> None:
        store = SQLiteStore(db)
        engine = Engine(load_dialogs(old), store, clock=lambda: datetime.now(WIB))
        for n, words in enumerate(["ktp ilang", "ktp ilang", "ktp"]):
            await engine.handle(IncomingMessage("whatsapp", f"62812000000{n}", words))
        await store.close()

    asyncio.run(residents())
    (new / "ktp.yaml").write_text(
        RENAMED.replace("    renamed_from: [hilang]\n", "").replace(
            "  menu:\n", "  menu:\n    renamed_from: [depan]\n"
        )
    )
    edit(new / "tests" / "mini.yaml", "state: ktp.hilang", "state: ktp.ktp_hilang")
    code = main(["check", str(new), "--against", str(old), "--store", f"sqlite:///{db}"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"ktp\.hilang\s+-> ktp\.menu\s+\(nearest menu\): 2 conversation", out), out
    assert "moved_to: {hilang: <state>}" in out
    assert "new states: ktp.ktp_hilang" in out
