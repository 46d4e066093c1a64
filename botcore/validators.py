"""Checking what residents type into slots (NIK, KK, phone, date, text); masking it in logs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Final

from .text import truncate

# Kemendagri province codes (the first two digits of a NIK or KK number), Kepmendagri 2025.
PROVINCES: Final = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "18",
        "19",
        "21",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "51",
        "52",
        "53",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "72",
        "73",
        "74",
        "75",
        "76",
        "81",
        "82",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
    }
)
MONTHS: Final = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "feb": 2,
    "pebruari": 2,
    "maret": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "nopember": 11,
    "desember": 12,
    "des": 12,
}
_SEPARATORS = re.compile(r"[\s.\-/()]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


@dataclass(frozen=True, slots=True)
class Checked:
    """The result of checking an answer: the value to keep, or why it is not valid."""

    ok: bool
    value: str = ""
    problem: str = ""  # shown to the resident when not ok
    warning: str = ""  # shown, but the answer is kept


def clean_text(text: str) -> str:
    """Remove control and invisible characters; keep newlines and emoji."""
    if text.isascii() and text.isprintable():
        return text.strip()  # the common case, and nothing to remove
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


def storable(value: object) -> str:
    """A resident's string, safe to store: a lone surrogate (`\\ud83d` cut from its pair, which
    json.loads lets through) would make every later UTF-8 encode fail."""
    if not isinstance(value, str):
        return ""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def _digits(text: str) -> str:
    return _SEPARATORS.sub("", text.strip())


def check_nik(text: str, birth_date: date | None = None) -> Checked:
    nik = _digits(text)
    if not nik.isdigit() or len(nik) != 16:
        n = sum(ch.isdigit() for ch in nik)
        return Checked(False, problem=f"NIK harus 16 angka (yang Anda kirim {n} angka).")
    if nik[:2] not in PROVINCES:
        return Checked(False, problem="Dua angka pertama NIK bukan kode provinsi yang dikenal.")
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    day -= 40 if female else 0
    if not 1 <= day <= 31 or not 1 <= month <= 12:
        return Checked(
            False,
            problem="Angka ke-7 sampai ke-10 NIK bukan tanggal lahir yang "
            "mungkin. Mohon periksa kembali.",
        )
    if nik[12:] == "0000":
        return Checked(False, problem="Empat angka terakhir NIK tidak boleh 0000.")
    warning = ""
    try:
        date(2000 + year, month, day)
    except ValueError:
        warning = "Tanggal lahir di dalam NIK tampak tidak biasa; NIK tetap kami catat."
    if birth_date is not None and (birth_date.day, birth_date.month, birth_date.year % 100) != (
        day,
        month,
        year,
    ):
        # A NIK never changes after a birth date is corrected, so a mismatch is only a warning.
        warning = (
            "Tanggal lahir pada NIK berbeda dengan tanggal lahir yang Anda sebutkan. "
            "NIK tetap kami catat; petugas akan memeriksanya."
        )
    return Checked(True, nik, warning=warning)


def check_kk(text: str) -> Checked:
    kk = _digits(text)
    if not kk.isdigit() or len(kk) != 16:
        n = sum(ch.isdigit() for ch in kk)
        return Checked(False, problem=f"Nomor KK harus 16 angka (yang Anda kirim {n} angka).")
    if kk[:2] not in PROVINCES:
        return Checked(
            False, problem="Dua angka pertama nomor KK bukan kode provinsi yang dikenal."
        )
    return Checked(True, kk)


def normalise_phone(text: str) -> str | None:
    """An Indonesian number as +62..., or None. 0812..., 62812..., +62 812-... all work."""
    raw = text.strip()
    digits = _digits(raw).lstrip("+")
    if not digits.isdigit():
        return None
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    elif digits.startswith("8") and not raw.startswith("+"):
        national = digits
    else:
        return None
    national = national.lstrip("0")
    if national.startswith("8"):
        ok = 9 <= len(national) <= 12  # mobile: 8xx plus 6 to 9 digits
    else:
        ok = national[:1] in "234567" and 8 <= len(national) <= 11  # fixed line with area code
    return f"+62{national}" if ok else None


def check_phone(text: str) -> Checked:
    phone = normalise_phone(text)
    if phone is None:
        return Checked(
            False,
            problem="Nomor telepon belum benar. Tulis nomor Indonesia, misalnya 0812 3456 7890.",
        )
    return Checked(True, phone)


def parse_date(text: str) -> date | None:
    t = text.strip().casefold()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.fullmatch(r"(\d{1,2})[\s./-]+([a-z]+|\d{1,2})[\s./-]+(\d{2}|\d{4})", t)
        if not m:
            return None
        d, y = int(m[1]), int(m[3])
        mo_text = m[2]
        if mo_text.isdigit():
            mo = int(mo_text)
        elif mo_text in MONTHS:
            mo = MONTHS[mo_text]
        else:
            return None
        if y < 100:
            y += 2000 if y <= date.today().year % 100 else 1900
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def check_date(text: str) -> Checked:
    value = parse_date(text)
    if value is None:
        return Checked(
            False,
            problem="Tanggal belum bisa saya baca. Tulis seperti 17-08-2005 atau 17 Agustus 2005.",
        )
    return Checked(True, value.isoformat())


def check_text(text: str, low: int | None, high: int | None) -> Checked:
    value = clean_text(text)
    if low is not None and len(value) < low:
        return Checked(False, problem=f"Jawaban terlalu singkat (minimal {low} huruf).")
    if high is not None and len(value) > high:
        return Checked(
            False, problem=f"Jawaban terlalu panjang (maksimal {high} huruf). Mohon diringkas."
        )
    return Checked(True, value)


def check_number(text: str, low: int | None, high: int | None) -> Checked:
    digits = _digits(text)
    if not digits.isdigit():
        return Checked(False, problem="Mohon jawab dengan angka.")
    n = int(digits)
    if (low is not None and n < low) or (high is not None and n > high):
        return Checked(False, problem=f"Angka harus antara {low} dan {high}.")
    return Checked(True, str(n))


_TICKET = re.compile(r"(?i)\bADU[\s_-]*(\d{4})[\s_-]*(\d{1,6})\b")


def check_ticket(text: str) -> Checked:
    m = _TICKET.search(text)
    if m is None:
        return Checked(False, problem="Nomor tiket belum benar. Bentuknya seperti ADU-2026-000123.")
    return Checked(True, f"ADU-{m[1]}-{int(m[2]):06d}")


def check(
    kind: str,
    text: str,
    low: int | None = None,
    high: int | None = None,
    birth_date: date | None = None,
) -> Checked:
    match kind:
        case "nik":
            return check_nik(text, birth_date)
        case "kk":
            return check_kk(text)
        case "phone":
            return check_phone(text)
        case "date":
            return check_date(text)
        case "number":
            return check_number(text, low, high)
        case "ticket":
            return check_ticket(text)
    return check_text(text, low, high)


# --- masking for logs and debug output -------------------------------------------------------

_LONG_NUMBER = re.compile(r"(?<!\d)(\d[\d .\-]{10,22}\d)(?!\d)")
_PHONE = re.compile(r"(?<![\w+])(\+?62|0)8[\d .\-]{7,14}\d")


def mask_number(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) < 8:
        return value
    return digits[:4] + "*" * (len(digits) - 6) + digits[-2:]


def mask(text: str) -> str:
    """Hide NIK, KK and phone numbers in free text: keep the first 4 and last 2 digits."""
    text = _PHONE.sub(lambda m: mask_number(m[0]), text)
    return _LONG_NUMBER.sub(
        lambda m: mask_number(m[0]) if sum(c.isdigit() for c in m[0]) >= 10 else m[0], text
    )


def mask_line(text: str, limit: int) -> str:
    """A resident's words as they may be kept for reports: one line (so a number broken over
    lines is still seen whole), NIK, KK and phone numbers masked, then cut to `limit`."""
    return truncate(mask(" ".join(text.split())), limit)


PERSONAL_SLOT_TYPES: Final = frozenset({"nik", "kk", "phone"})
