"""Office hours: whether the office is open at a moment, when it opens next, and how to say so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any, Final
from zoneinfo import ZoneInfo

from .spec import Period, ScheduleSpec, WeekSpec

DAY_NAMES: Final = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTH_NAMES: Final = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
LOOKAHEAD_DAYS: Final = 60  # the longest run of closed days we look through (holiday seasons)


def hhmm(t: time) -> str:
    return f"{t.hour:02d}.{t.minute:02d}"


def say_date(d: date) -> str:
    return f"{DAY_NAMES[d.weekday()]}, {d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


@dataclass(frozen=True, slots=True)
class Day:
    """The opening periods of one date, and why they differ from the normal week."""

    day: date
    periods: tuple[Period, ...]
    reason: str = ""  # holiday or closure name, or the override's name (e.g. Ramadan)
    closed_all_day_for: str = ""  # a holiday or closure name when closed for it


@dataclass(frozen=True, slots=True)
class Status:
    open: bool
    on_break: bool
    closes_at: datetime | None  # when open: the end of the current period
    next_open: datetime | None  # when closed: the next opening
    day: Day


class Schedule:
    def __init__(self, spec: ScheduleSpec) -> None:
        self.spec = spec
        self.tz = ZoneInfo(spec.timezone)
        self._holidays = _holiday_calendar(spec.holiday_country, spec.holiday_categories)

    def holiday(self, d: date) -> str:
        if d in self.spec.closures:
            return self.spec.closures[d]
        if d in self.spec.holiday_exclude or self._holidays is None:
            return ""
        return str(self._holidays.get(d) or "")

    def week_for(self, d: date) -> tuple[WeekSpec, str]:
        for o in self.spec.overrides:
            if o.first <= d <= o.last:
                return o.week, o.name
        return self.spec.week, ""

    def day(self, d: date) -> Day:
        week, name = self.week_for(d)
        closed_for = self.holiday(d)
        if closed_for:
            return Day(d, (), closed_for, closed_for)
        return Day(d, week.days[d.weekday()], name)

    def local(self, now: datetime) -> datetime:
        return now.astimezone(self.tz) if now.tzinfo else now.replace(tzinfo=self.tz)

    def status(self, now: datetime) -> Status:
        now = self.local(now)
        today = self.day(now.date())
        t = now.time()
        for start, end in today.periods:
            if start <= t < end:
                return Status(True, False, datetime.combine(now.date(), end, self.tz), None, today)
        on_break = bool(today.periods) and today.periods[0][0] <= t < today.periods[-1][1]
        return Status(False, on_break, None, self.next_open(now), today)

    def next_open(self, now: datetime) -> datetime | None:
        now = self.local(now)
        for offset in range(LOOKAHEAD_DAYS):
            d = now.date() + timedelta(days=offset)
            for start, _ in self.day(d).periods:
                at = datetime.combine(d, start, self.tz)
                if at > now:
                    return at
        return None

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """How much of [start, end) the office was open: waiting time in office hours."""
        start, end = self.local(start), self.local(end)
        total = 0.0
        day = start.date()
        while day <= end.date():
            for a, b in self.day(day).periods:
                lo = max(start, datetime.combine(day, a, self.tz))
                hi = min(end, datetime.combine(day, b, self.tz))
                total += max(0.0, (hi - lo).total_seconds())
            day += timedelta(days=1)
        return total

    # -- texts ----------------------------------------------------------------------------

    def describe(self, now: datetime) -> str:
        now = self.local(now)
        s = self.status(now)
        if s.open and s.closes_at is not None:
            last = s.day.periods[-1][1]
            if s.closes_at.time() < last:
                return (
                    f"Saat ini kantor *BUKA*. Istirahat mulai pukul {hhmm(s.closes_at.time())}"
                    f", buka lagi hingga pukul {hhmm(last)}."
                )
            return f"Saat ini kantor *BUKA* hingga pukul {hhmm(last)}."
        why = "istirahat" if s.on_break else (s.day.closed_all_day_for or "di luar jam layanan")
        if not s.day.periods and not s.day.closed_all_day_for:
            why = f"hari {DAY_NAMES[now.weekday()]} libur"
        return f"Saat ini kantor *TUTUP* ({why}). {self.describe_next(now)}"

    def describe_next(self, now: datetime) -> str:
        now = self.local(now)
        nxt = self.next_open(now)
        if nxt is None:
            return "Jadwal buka berikutnya belum tersedia."
        if nxt.date() == now.date():
            return f"Buka lagi hari ini pukul {hhmm(nxt.time())}."
        if nxt.date() == now.date() + timedelta(days=1):
            return f"Buka lagi besok, {say_date(nxt.date())}, pukul {hhmm(nxt.time())}."
        return f"Buka lagi {say_date(nxt.date())}, pukul {hhmm(nxt.time())}."

    def describe_today(self, now: datetime) -> str:
        now = self.local(now)
        day = self.day(now.date())
        if not day.periods:
            return f"Hari ini ({say_date(day.day)}) kantor tutup" + (
                f": {day.closed_all_day_for}." if day.closed_all_day_for else "."
            )
        return f"Hari ini ({say_date(day.day)}): {_periods(day.periods)}" + (
            f" ({day.reason})." if day.reason else "."
        )

    def describe_week(self, now: datetime) -> str:
        now = self.local(now)
        week, name = self.week_for(now.date())
        lines = [f"*Jam layanan{' ' + name if name else ''}* (WIB):"]
        days = week.days
        i = 0
        while i < 7:
            j = i
            while j + 1 < 7 and days[j + 1] == days[i]:
                j += 1
            label = DAY_NAMES[i] if i == j else f"{DAY_NAMES[i]}–{DAY_NAMES[j]}"
            lines.append(f"• {label}: {_periods(days[i]) if days[i] else 'tutup'}")
            i = j + 1
        lines.append("Tutup pada hari libur nasional dan cuti bersama.")
        return "\n".join(lines)


def _periods(periods: tuple[Period, ...]) -> str:
    if not periods:
        return "tutup"
    text = f"{hhmm(periods[0][0])}–{hhmm(periods[-1][1])}"
    breaks = [f"{hhmm(a[1])}–{hhmm(b[0])}" for a, b in pairwise(periods)]
    return text + (f" (istirahat {', '.join(breaks)})" if breaks else "")


@lru_cache(maxsize=8)
def _holiday_calendar(country: str, categories: tuple[str, ...]) -> Any:
    if not country:
        return None
    import holidays  # imported here: only schedules that ask for a calendar need it

    # The calendar fills in each year the first time a date of that year is asked for.
    return holidays.country_holidays(country, categories=categories, language="id")
