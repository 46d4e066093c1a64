"""Answers residents type into questions: NIK, KK, phone, dates, text; and masking for logs."""

from __future__ import annotations

from datetime import date

import pytest

from botcore.validators import (
    check_date,
    check_kk,
    check_nik,
    check_phone,
    check_text,
    clean_text,
    mask,
)


@pytest.mark.parametrize(
    "text", ["1771044506050001", "1771 0445 0605 0001", "1771.0445.0605.0001", " 3273011208900003 "]
)
def test_valid_nik(text: str) -> None:
    result = check_nik(text)
    assert result.ok and len(result.value) == 16 and result.value.isdigit()
    assert not result.warning


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("177104450605000", "16 angka (yang Anda kirim 15"),
        ("17710445060500012", "16 angka"),
        ("abcd", "16 angka"),
        ("9971044506050001", "kode provinsi"),
        ("1771043206050001", "tanggal lahir"),  # day 32
        ("1771040513050001", "tanggal lahir"),  # month 13
        ("1771044506050000", "0000"),
    ],
)
def test_invalid_nik_says_what_is_wrong(text: str, why: str) -> None:
    result = check_nik(text)
    assert not result.ok and why in result.problem


def test_nik_birth_date_mismatch_only_warns() -> None:
    result = check_nik("1771044506050001", birth_date=date(2005, 6, 6))
    assert result.ok and "berbeda" in result.warning
    assert check_nik("1771044506050001", birth_date=date(2005, 6, 5)).warning == ""


def test_nik_with_an_impossible_calendar_date_is_kept_with_a_warning() -> None:
    result = check_nik("1771043102050001")  # 31 February
    assert result.ok and result.warning


def test_kk_number() -> None:
    assert check_kk("1771 0412 0315 0007").value == "1771041203150007"
    assert not check_kk("123").ok
    assert "provinsi" in check_kk("0071041203150007").problem


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
        ("(0736) 21234", "+6273621234"),
        ("+62 0812 3456 7890", "+6281234567890"),
    ],
)
def test_indonesian_phone_numbers_normalise_to_plus62(text: str, phone: str) -> None:
    assert check_phone(text).value == phone


@pytest.mark.parametrize("text", ["12345", "+1 202 555 0100", "0812", "telepon saya", "0" * 20])
def test_not_a_phone_number(text: str) -> None:
    assert not check_phone(text).ok


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("17-08-2005", "2005-08-17"),
        ("17/8/2005", "2005-08-17"),
        ("17 Agustus 2005", "2005-08-17"),
        ("2005-08-17", "2005-08-17"),
        ("1 jan 99", "1999-01-01"),
        ("5 mei 2010", "2010-05-05"),
    ],
)
def test_dates(text: str, iso: str) -> None:
    assert check_date(text).value == iso


@pytest.mark.parametrize("text", ["31-02-2005", "besok", "17 agustusan 2005", ""])
def test_not_dates(text: str) -> None:
    assert not check_date(text).ok


def test_text_bounds_and_control_characters() -> None:
    assert check_text("  antrean lama\x00\x07  ", 5, 20).value == "antrean lama"
    assert "minimal 10" in check_text("pendek", 10, None).problem
    assert "maksimal 5" in check_text("terlalu panjang", None, 5).problem
    assert clean_text("a\u200bb\ufeff") == "ab"


def test_mask_hides_nik_kk_and_phone_numbers() -> None:
    text = "NIK 1771044506050001, KK 1771 0412 0315 0007, HP 0812-3456-7890 atau +6281234567890"
    masked = mask(text)
    for secret in (
        "1771044506050001",
        "1771 0412 0315 0007",
        "0812-3456-7890",
        "+6281234567890",
        "34567890",
    ):
        assert secret not in masked
    assert "1771**********01" in masked
    assert (
        mask("jam 07.30 sampai 16.00, tiket ADU-2026-000123")
        == "jam 07.30 sampai 16.00, tiket ADU-2026-000123"
    )


@pytest.mark.parametrize(
    ("text", "ticket"),
    [
        ("ADU-2026-000123", "ADU-2026-000123"),
        ("adu 2026 123", "ADU-2026-000123"),
        ("tiket saya ADU_2026_7 ya", "ADU-2026-000007"),
    ],
)
def test_ticket_numbers(text: str, ticket: str) -> None:
    from botcore.validators import check_ticket

    assert check_ticket(text).value == ticket
    assert not check_ticket("2026-000123").ok
