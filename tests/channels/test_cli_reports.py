"""`loket report`: what editors read, from conversations run through the engine."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from botcore.engine import Engine
from botcore.sessions import SQLiteStore
from botcore.spec import DialogBundle
from channels.cli import main
from tests.conftest import MINI, WIB, Chat, Clock


def converse(
    db: Path, bundle: DialogBundle, start: datetime, scripts: dict[str, list[str]]
) -> None:
    async def go() -> None:
        store = SQLiteStore(db)
        clock = Clock(start)
        for sender, lines in scripts.items():
            resident = Chat(Engine(bundle, store, clock=clock), clock, sender=sender)
            for line in lines:
                await resident.say(line)
        await store.close()

    asyncio.run(go())


def report(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> str:
    code = main(["report", *args, "--store", f"sqlite:///{db}", "--dialogs", str(MINI)])
    assert code == 0
    return capsys.readouterr().out


def test_no_data_is_said_plainly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "loket.db"
    assert report(capsys, db, "unmatched").startswith("Belum ada data: penyimpanan sqlite:///")
    assert not db.exists()  # a report creates nothing
    SQLiteStore(db).db.close()
    assert report(capsys, db, "unmatched") == (
        "Belum ada pesan yang tidak dipahami sejak awal pencatatan.\n"
    )
    assert report(capsys, db, "funnel", "--since", "2026-12-01") == (
        "Belum ada percakapan yang tercatat sejak 2026-12-01.\n"
    )


def test_unmatched_report_groups_typos_with_examples_states_and_a_hint(
    tmp_path: Path, mini_bundle: DialogBundle, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "loket.db"
    converse(
        db,
        mini_bundle,
        datetime(2026, 12, 7, 9, 0, tzinfo=WIB),
        {
            "a": ["halo", "kapan pasar murah", "1", "kpan pasar murah"],
            "b": ["halo", "kapan pasar murahh", "apa kabar"],
            "c": ["halo", "kapan pasar murah"],
        },
    )
    out = report(capsys, db, "unmatched")
    assert out.splitlines()[:6] == [
        "Pesan yang tidak dipahami sejak awal pencatatan: 5 pesan dalam 2 kelompok "
        "(pesan yang mirip dikelompokkan; yang paling sering di atas).",
        "",
        '1. 4 pesan dari 3 percakapan: "kapan pasar murah"',
        '   Contoh: "kapan pasar murah" · "kapan pasar murahh" · "kpan pasar murah"',
        "   Muncul di: main.menu (3), ktp.menu (1)",
        '   Saran: tambahkan kata kunci "kapan pasar murah" ke keywords: pilihan yang dimaksud '
        "di mini/main.yaml (keadaan menu), atau ke keywords: keadaan jawabannya.",
    ]
    assert out.splitlines()[6].startswith("   Kata yang belum dikenal bot: kapan, pasar, murah.")
    assert '2. 1 pesan dari 1 percakapan: "apa kabar"' in out
    limited = report(capsys, db, "unmatched", "--limit", "1")
    assert "2. " not in limited and "(1 kelompok lain tidak ditampilkan; pakai --limit.)" in limited


def test_since_counts_from_the_start_of_that_day_in_office_time(
    tmp_path: Path, mini_bundle: DialogBundle, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "loket.db"
    monday = datetime(2026, 12, 7, 23, 30, tzinfo=WIB)  # 16.30 UTC: still Monday in Bengkulu
    converse(db, mini_bundle, monday, {"a": ["halo", "apa kabar"]})
    converse(db, mini_bundle, monday + timedelta(hours=1), {"b": ["halo", "kapan pasar murah"]})
    out = report(capsys, db, "unmatched", "--since", "2026-12-08")
    assert "kapan pasar murah" in out and "apa kabar" not in out
    assert out.startswith("Pesan yang tidak dipahami sejak 2026-12-08: 1 pesan")
    assert "apa kabar" in report(capsys, db, "unmatched", "--since", "2026-12-07")
    funnel = report(capsys, db, "funnel", "--since", "2026-12-08")
    assert "1 percakapan" in funnel


def test_funnel_report_per_state(
    tmp_path: Path, mini_bundle: DialogBundle, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "loket.db"
    # The report measures silence against the real clock: these went quiet hours ago, but
    # for one who is still writing.
    hours_ago = datetime.now(UTC) - timedelta(hours=3)
    converse(
        db,
        mini_bundle,
        hours_ago,
        {"a": ["halo", "1"], "b": ["halo", "1", "hilang"], "c": ["jam buka", "menu"]},
    )
    converse(db, mini_bundle, datetime.now(UTC) - timedelta(minutes=5), {"d": ["halo", "1"]})
    out = report(capsys, db, "funnel")
    assert out.splitlines()[:7] == [
        "Alur percakapan sejak awal pencatatan: 4 percakapan, 1 masih berlangsung.",
        "",
        "keadaan     sampai  berhenti di sini  % berhenti",
        "main.menu        4                 1         25%",
        "ktp.menu         3                 1         33%",
        "ktp.hilang       1                 1        100%",
        "main.jam         1                 0          0%",
    ]
    only_ktp = report(capsys, db, "funnel", "--dialog", "ktp")
    assert only_ktp.splitlines()[0].endswith(": 3 percakapan, 1 masih berlangsung.")
    assert "main.menu" not in only_ktp and "ktp.hilang" in only_ktp


def test_a_bad_date_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["report", "unmatched", "--since", "7-12-2026"])
    assert exit.value.code == 2
    assert "use YYYY-MM-DD" in capsys.readouterr().err
