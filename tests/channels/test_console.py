"""The console as developers use it: `loket chat`, typed or piped."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from botcore.engine import Engine
from botcore.messages import Choice, Contact, Location, Reply
from botcore.sessions import MemoryStore
from botcore.spec import DialogBundle
from channels.console import ConsoleChannel, format_reply
from tests.conftest import MINI, ROOT


def test_piped_chat_on_the_bundled_dialogs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "channels.cli", "chat", "--store", f"sqlite:///{tmp_path}/chat.db"],
        input="halo\nktp hilang\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    out = result.stdout
    assert "anda> halo" in out and "Selamat datang" in out
    assert "Kepolisian" in out and "GRATIS" in out
    assert "  1. KTP-el" in out
    assert result.stderr == ""


def test_sessions_survive_between_runs_with_sqlite(tmp_path: Path) -> None:
    def chat(lines: str) -> str:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "channels.cli",
                "chat",
                "--dialogs",
                str(MINI),
                "--store",
                f"sqlite:///{tmp_path}/chat.db",
            ],
            input=lines,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=True,
        ).stdout

    chat("halo\n1\n")
    second = chat("/debug\n")
    assert "state=ktp.menu" in second


async def test_reset_and_debug_commands(mini_bundle: DialogBundle) -> None:
    out = io.StringIO()
    engine = Engine(mini_bundle, MemoryStore())
    lines = iter(
        [
            "pengaduan\n",
            "antrean sangat lama sekali\n",
            "081234567890\n",
            "/debug\n",
            "/reset\n",
            "/debug\n",
            "/quit\n",
            "halo\n",
        ]
    )
    await ConsoleChannel(engine, stdin=io.StringIO(), stdout=out).run(lambda: next(lines, ""))
    text = out.getvalue()
    assert "state=main.aduan_nik" in text
    assert "6281234567890" not in text and "6281*******90" in text
    assert "(percakapan dimulai ulang)" in text and "(no session yet)" in text
    assert "anda> halo" not in text  # /quit ended the chat


def test_format_reply_numbers_choices_and_shows_attachments() -> None:
    reply = Reply(
        "Pilih:",
        (Choice("a", "KTP-el", "Rekam baru"), Choice("b", "KK")),
        location=Location(-3.75, 102.27, "Kantor", "Jl. A"),
        contact=Contact("Kantor", "+62736", "", ""),
    )
    text = format_reply(reply)
    assert "  1. KTP-el — Rekam baru\n  2. KK" in text
    assert "maps.google.com/?q=-3.75,102.27" in text and "📇 Kantor (+62736)" in text


async def test_an_officer_answers_a_console_resident(bundle: DialogBundle, tmp_path: Path) -> None:
    import time

    from botcore.sessions import SQLiteStore
    from channels import console
    from channels.operator import act

    console.OFFICER_POLL = 0.05
    store = SQLiteStore(tmp_path / "chat.db")
    out = io.StringIO()

    def officer_then_leave() -> str:
        act(store, 1, "reply", "Rina", "Bisa, di Disdukcapil hari Sabtu.")
        deadline = time.time() + 5
        while "*Rina:*" not in out.getvalue() and time.time() < deadline:
            time.sleep(0.05)
        act(store, 1, "close", "Rina")
        while "Penilaian layanan" not in out.getvalue() and time.time() < deadline:
            time.sleep(0.05)
        return ""  # end of input

    script = iter(
        ["petugas\n", "Apakah perekaman KTP-el bisa hari Sabtu?\n", "halo?\n", officer_then_leave]
    )

    def readline() -> str:
        item = next(script, "")
        return item() if callable(item) else item

    await ConsoleChannel(Engine(bundle, store), stdin=io.StringIO(), stdout=out).run(readline)
    text = out.getvalue()
    assert "keluar dari antrean" in text
    assert "anda> halo?\n\n" in text  # waiting for the officer: the bot said nothing
    assert "*Rina:* Bisa, di Disdukcapil hari Sabtu." in text
    assert "Penilaian layanan" in text
    store.db.close()
