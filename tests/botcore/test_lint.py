"""The checks across files that need the whole bundle: channel limits, text lengths, slots."""

from __future__ import annotations

from pathlib import Path

from botcore.errors import Problem
from botcore.spec import check_dialogs
from tests.conftest import edit, line_of


def found(tree: Path, words: str) -> list[Problem]:
    return [p for p in check_dialogs(tree) if words in p.message]


def only_channels(tree: Path, *channels: str) -> None:
    bot = tree / "bot.yaml"
    lines = [x for x in bot.read_text().splitlines() if not x.startswith("channels:")]
    bot.write_text("\n".join([*lines, f"channels: [{', '.join(channels)}]", ""]))


LONG_ID = "kk_hilang_" + "x" * 60  # 70 bytes


def test_telegram_callback_data_is_counted_in_bytes(tree: Path) -> None:
    edit(tree / "ktp.yaml", "{id: kk_hilang,", f"{{id: {LONG_ID},")
    [p] = found(tree, "bytes long")
    assert (p.file, p.line) == ("dialogs/ktp.yaml", line_of(tree / "ktp.yaml", LONG_ID))
    assert p.severity == "error" and "at most 64 bytes" in p.hint and "shorter id" in p.hint


def test_a_channel_left_out_is_not_held_to_its_limits(tree: Path) -> None:
    edit(tree / "ktp.yaml", "{id: kk_hilang,", f"{{id: {LONG_ID},")
    edit(tree / "ktp.yaml", "label: KTP-el hilang,", "label: KTP elektronik yang hilang dicuri,")
    only_channels(tree, "console")
    assert check_dialogs(tree) == []
    only_channels(tree, "whatsapp")
    assert [p.message for p in check_dialogs(tree)] == [
        "label 'KTP elektronik yang hilang dicuri' of choice 'hilang' of state 'ktp.menu' "
        "has 33 characters"
    ]
    only_channels(tree, "telegram")
    assert len(found(tree, "bytes long")) == 1 and not found(tree, "has 33 characters")


def test_a_text_longer_than_a_message_once_filled_in(tree: Path) -> None:
    edit(
        tree / "data/office.yaml",
        "  privacy: Kami menjaga data Anda.",
        "  privacy: " + "data " * 900,
    )
    edit(
        tree / "main.yaml",
        '    say: "Terima kasih."',
        '    say: "{office.privacy}{office.privacy}"',
    )
    [p] = found(tree, "may be up to")
    assert (p.file, p.line) == ("dialogs/main.yaml", line_of(tree / "main.yaml", "  selesai:"))
    assert p.severity == "warning"
    # Twice a fact of 4499 characters: three WhatsApp or Telegram messages.
    assert "'main.selesai' may be up to 8998 characters" in p.message
    assert "3 parts" in p.hint and "state of its own" in p.hint


def test_a_long_text_above_buttons(tree: Path) -> None:
    edit(tree / "main.yaml", '    say: "Terima kasih."', '    say: "' + "Terima kasih. " * 80 + '"')
    [p] = found(tree, "'say' of state 'main.selesai' has")
    assert p.file == "dialogs/main.yaml" and p.line == line_of(tree / "main.yaml", "  selesai:")
    assert p.severity == "warning" and "at most 1024 above reply buttons" in p.hint


def test_a_slot_that_may_be_missing(tree: Path) -> None:
    # A shortcut into the last step skips the question that fills {slot.isi}.
    edit(
        tree / "main.yaml",
        "    action: [open_complaint]\n",
        "    action: [open_complaint]\n    keywords: [kirim keluhan]\n",
    )
    [p] = found(tree, "may be missing")
    assert p.file == "dialogs/main.yaml" and p.line == line_of(tree / "main.yaml", "aduan_kirim:")
    assert p.message == "'say' of state 'main.aduan_kirim' uses {slot.isi}, which may be missing"
    assert "on the way main.aduan_kirim," in p.hint and "Ask for 'isi'" in p.hint
    assert p.severity == "warning"


def test_a_slot_filled_on_every_way_is_not_missing(tree: Path) -> None:
    # {slot.tiket} comes from the state's own action; {slot.isi} from the question before.
    assert found(tree, "may be missing") == []


def test_a_slot_nobody_reads(tree: Path) -> None:
    # Without the complaint that keeps them, and with the officer's queue starting afresh,
    # the phone number and NIK asked for go nowhere.
    edit(tree / "main.yaml", "    action: [open_complaint]\n", "")
    edit(tree / "main.yaml", " Tiket: {slot.tiket}", "")
    edit(
        tree / "main.yaml", "action: [request_operator]", "action: [clear_slots, request_operator]"
    )
    problems = found(tree, "is never used")
    assert [(p.file, p.line, p.message) for p in problems] == [
        (
            "dialogs/main.yaml",
            line_of(tree / "main.yaml", "slot: hp"),
            "slot 'hp' asked in state 'main.aduan_hp' is never used",
        ),
        (
            "dialogs/main.yaml",
            line_of(tree / "main.yaml", "slot: nik"),
            "slot 'nik' asked in state 'main.aduan_nik' is never used",
        ),
    ]
    assert all(p.severity == "warning" and "{slot." in p.hint for p in problems)


def test_an_officer_who_gets_the_slots_uses_them(tree: Path) -> None:
    edit(tree / "main.yaml", "    action: [open_complaint]\n", "")
    edit(tree / "main.yaml", " Tiket: {slot.tiket}", "")
    # 'petugas' (request_operator) is a global intent: it takes whatever was asked before.
    assert found(tree, "is never used") == []
