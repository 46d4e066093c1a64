"""Office hours with a frozen clock: breaks, Fridays, weekends, holidays, Ramadan, midnight."""

from __future__ import annotations

from datetime import datetime

import pytest

from botcore.hours import Schedule
from botcore.spec import DialogBundle
from tests.conftest import WIB


@pytest.fixture(scope="module")
def schedule(mini_bundle: DialogBundle) -> Schedule:
    assert mini_bundle.schedule is not None
    return Schedule(mini_bundle.schedule)


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=WIB)


@pytest.mark.parametrize(
    ("moment", "is_open", "says"),
    [
        ("2026-12-07 07:29", False, "Buka lagi hari ini pukul 07.30"),
        ("2026-12-07 07:30", True, "BUKA"),
        ("2026-12-07 11:59", True, "Istirahat mulai pukul 12.00"),
        ("2026-12-07 12:30", False, "istirahat"),
        ("2026-12-07 13:00", True, "hingga pukul 16.00"),
        ("2026-12-07 16:00", False, "besok, Selasa, 8 Desember 2026, pukul 07.30"),
        ("2026-12-11 11:45", False, "Buka lagi hari ini pukul 13.00"),  # Friday prayer break
        ("2026-12-11 16:15", True, "hingga pukul 16.30"),
        ("2026-12-12 10:00", False, "Senin, 14 Desember 2026, pukul 07.30"),  # Saturday
        ("2026-12-06 23:59", False, "besok, Senin, 7 Desember 2026"),  # Sunday before midnight
        ("2026-12-08 00:00", False, "Buka lagi hari ini pukul 07.30"),  # midnight
    ],
)
def test_status_across_the_week(schedule: Schedule, moment: str, is_open: bool, says: str) -> None:
    assert schedule.status(at(moment)).open is is_open
    assert says in schedule.describe(at(moment))


def test_utc_input_is_read_in_office_time(schedule: Schedule) -> None:
    utc = datetime.fromisoformat("2026-12-07T02:00:00+00:00")  # 09.00 WIB
    assert schedule.status(utc).open


def test_national_holiday_and_cuti_bersama_are_closed(schedule: Schedule) -> None:
    christmas = schedule.describe(at("2026-12-25 09:00"))
    assert "TUTUP" in christmas and "Natal" in christmas
    cuti = schedule.describe(at("2026-12-24 09:00"))  # cuti bersama, a Thursday
    assert "TUTUP" in cuti and "Cuti Bersama" in cuti
    assert "Senin, 28 Desember 2026, pukul 07.30" in cuti


def test_local_closure(schedule: Schedule) -> None:
    assert "Tutup akhir tahun" in schedule.describe(at("2026-12-31 09:00"))
    assert "Senin, 4 Januari 2027" in schedule.describe(at("2026-12-31 09:00"))  # 1 Jan holiday


def test_ramadan_hours_override(schedule: Schedule) -> None:
    assert not schedule.status(at("2026-03-02 07:45")).open  # normal days open at 07.30
    assert schedule.status(at("2026-03-02 08:00")).open
    assert schedule.status(at("2026-03-02 12:15")).on_break
    assert schedule.status(at("2026-03-02 14:30")).open
    assert not schedule.status(at("2026-03-02 15:30")).open
    assert "Ramadan 1447 H" in schedule.describe_week(at("2026-03-02 09:00"))
    assert "Ramadan" not in schedule.describe_week(at("2026-03-30 09:00"))


def test_weekly_text_groups_equal_days(schedule: Schedule) -> None:
    text = schedule.describe_week(at("2026-12-07 09:00"))
    assert "Senin–Kamis: 07.30–16.00 (istirahat 12.00–13.00)" in text
    assert "Jumat: 07.30–16.30 (istirahat 11.30–13.00)" in text
    assert "Sabtu–Minggu: tutup" in text
