"""Loading and checking dialogs: every problem is reported with file, line, column and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from botcore.errors import DialogSpecError
from botcore.spec import check_dialogs, load_dialogs
from channels.cli import main
from tests.conftest import edit, line_of


def messages(tree: Path) -> list[str]:
    return [str(p) for p in check_dialogs(tree)]


def test_the_fixture_is_clean(tree: Path) -> None:
    assert messages(tree) == []


def test_yaml_syntax_error_has_line_and_column(tree: Path) -> None:
    edit(tree / "ktp.yaml", '    say: "Layanan KTP-el:"', "    say: Layanan: KTP-el: baru")
    [msg] = messages(tree)
    line = line_of(tree / "ktp.yaml", "Layanan: KTP-el: baru")
    assert msg.startswith(f"dialogs/ktp.yaml:{line}:")
    assert "YAML syntax" in msg and "must be quoted" in msg


def test_tab_indentation_is_explained(tree: Path) -> None:
    edit(tree / "kk.yaml", "  hilang:\n    service", "  hilang:\n\tservice")
    [msg] = messages(tree)
    assert "dialogs/kk.yaml:5:" in msg and "tabs" in msg


def test_unknown_key_suggests_the_right_one(tree: Path) -> None:
    edit(tree / "ktp.yaml", "    back: menu", "    bakc: menu")
    [msg] = messages(tree)
    line = line_of(tree / "ktp.yaml", "bakc:")
    assert msg.startswith(f"dialogs/ktp.yaml:{line}:5: error: unknown key 'bakc'")
    assert "Did you mean 'back'?" in msg


def test_unknown_target_names_the_nearest_state(tree: Path) -> None:
    edit(tree / "ktp.yaml", "goto: hilang}", "goto: hilng}")
    msgs = messages(tree)
    assert any(
        "goes to 'ktp.hilng', which does not exist" in m and "Did you mean 'hilang'" in m
        for m in msgs
    )
    assert all(m.startswith("dialogs/ktp.yaml:") for m in msgs)


def test_unknown_dialog_in_a_target(tree: Path) -> None:
    edit(tree / "ktp.yaml", "goto: kk.hilang", "goto: kkk.hilang")
    assert any("there is no dialog 'kkk'" in m and "Did you mean 'kk'" in m for m in messages(tree))


def test_duplicate_choice_ids(tree: Path) -> None:
    edit(tree / "ktp.yaml", "{id: kk_hilang,", "{id: hilang,")
    assert any("choice id 'hilang' is used twice" in m for m in messages(tree))


def test_duplicate_keys_are_reported_not_silently_merged(tree: Path) -> None:
    edit(tree / "kk.yaml", "    service: kk_hilang\n", "    service: kk_hilang\n    service: x\n")
    assert any("key 'service' appears twice" in m for m in messages(tree))


def test_unreachable_state(tree: Path) -> None:
    edit(
        tree / "main.yaml",
        "  selesai:\n",
        "  lupa:\n    say: x\n    choices:\n"
        "      - {id: menu, label: Menu, goto: menu}\n"
        "  selesai:\n",
    )
    assert any("state 'main.lupa' cannot be reached" in m for m in messages(tree))


def test_state_with_no_way_out(tree: Path) -> None:
    edit(
        tree / "main.yaml",
        '  selesai:\n    say: "Terima kasih."\n    choices:\n'
        "      - {id: menu, label: Menu utama, goto: menu}\n",
        '  selesai:\n    say: "Terima kasih."\n',
    )
    assert any("state 'main.selesai' has no way out" in m for m in messages(tree))


def test_unknown_template_name(tree: Path) -> None:
    edit(tree / "main.yaml", "Antrean ke-{slot.antrian}", "Antrean ke-{slot.antrean}")
    assert any(
        "uses '{slot.antrean}', which is not defined" in m and "antrian" in m
        for m in messages(tree)
    )
    edit(tree / "main.yaml", "{hours.status}", "{office.nama}")
    assert any("'{office.nama}'" in m and "Did you mean 'name'" in m for m in messages(tree))


def test_labels_over_whatsapp_limits(tree: Path) -> None:
    edit(tree / "ktp.yaml", "label: KTP-el hilang,", "label: KTP elektronik yang hilang dicuri,")
    edit(
        tree / "main.yaml",
        "label: Menu utama, goto: menu}\n  petugas",
        "label: Kembali ke menu utama, goto: menu}\n  petugas",
    )
    msgs = check_dialogs(tree)
    too_long = [p for p in msgs if "has 33 characters" in p.message]
    assert too_long and too_long[0].severity == "error" and "at most 24" in too_long[0].hint
    button = [p for p in msgs if "'Kembali ke menu utama'" in p.message]
    assert button and button[0].severity == "warning" and "list instead" in button[0].hint


def test_bad_slot_type_and_hours(tree: Path) -> None:
    edit(tree / "main.yaml", "type: phone", "type: telepon")
    edit(tree / "data/office.yaml", "jumat: [07.30-11.30", "jumat: [7.30-11.70")
    msgs = messages(tree)
    assert any("'type: telepon'" in m and "Did you mean 'phone'" in m for m in msgs)
    assert any("is not an opening period" in m and "HH.MM-HH.MM" in m for m in msgs)


def test_load_raises_with_every_problem(tree: Path) -> None:
    edit(tree / "ktp.yaml", "    back: menu", "    bakc: menu")
    edit(tree / "kk.yaml", "goto: main.menu", "goto: main.menuu")
    with pytest.raises(DialogSpecError) as err:
        load_dialogs(tree)
    assert len(err.value.problems) == 2


def test_check_command_exit_codes(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tree)]) == 0
    edit(tree / "ktp.yaml", "    back: menu", "    bakc: menu")
    assert main(["check", str(tree)]) == 1
    out = capsys.readouterr().out
    assert "unknown key 'bakc'" in out and "1 error(s)" in out


def test_chat_refuses_a_broken_tree(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(tree / "ktp.yaml", "    back: menu", "    bakc: menu")
    assert main(["chat", "--dialogs", str(tree), "--store", "memory://"]) != 0
    err = capsys.readouterr().err
    assert "dialogs/ktp.yaml:" in err and "unknown key 'bakc'" in err


def test_the_bundled_dialogs_are_clean() -> None:
    """No errors, and no warnings but the dialogs not yet translated into English."""
    root = Path(__file__).resolve().parents[2] / "dialogs"
    untranslated = [p.file for p in check_dialogs(root) if "has no English texts" in p.message]
    others = [str(p) for p in check_dialogs(root) if "has no English texts" not in p.message]
    assert others == []
    assert untranslated == [
        f"dialogs/{name}.yaml"
        for name in ("ikd", "kantor", "kk", "ktp", "pengaduan", "petugas", "surat")
    ]


def test_quick_replies_and_labels_are_checked(tree: Path) -> None:
    inbox = tree / "data" / "inbox.yaml"
    inbox.parent.mkdir(exist_ok=True)
    inbox.write_text(
        "inbox:\n"
        "  quick_replies:\n"
        "    - shortcut: /salam\n"
        "      text: Selamat pagi.\n"
        "    - shortcut: Syarat KTP\n"
        "      text: Bawa fotokopi KK.\n"
        "    - shortcut: salam\n"
        "      text: Selamat siang.\n"
        "    - shortcut: jam\n"
        "  labels: [dokumen kurang, dokumen kurang]\n"
    )
    found = messages(tree)
    assert any(
        f"inbox.yaml:{line_of(inbox, 'Syarat KTP')}" in m and "Use up to 30 small letters" in m
        for m in found
    ), found
    assert any("'/salam' is defined twice" in m for m in found), found
    assert any("'text'" in m and "quick reply 4" in m for m in found), found
    assert any("'dokumen kurang' is listed twice" in m for m in found), found
    inbox.write_text(
        "inbox:\n  quick_replies:\n    - shortcut: /salam\n      text: Selamat pagi.\n"
        "  labels: [selesai]\n"
    )
    bundle = load_dialogs(tree)
    assert dict(bundle.quick_replies) == {"salam": "Selamat pagi."}
    assert bundle.labels == ("selesai",)


def test_an_impossible_date_is_reported_where_it_stands(tree: Path) -> None:
    edit(
        tree / "data/office.yaml",
        "checked: 2025-06-14\n  kk_hilang",
        "checked: 2025-02-30\n  kk_hilang",
    )
    msg = messages(tree)[0]
    line = line_of(tree / "data/office.yaml", "2025-02-30")
    assert msg.startswith(f"dialogs/data/office.yaml:{line}:")
    assert "not a real date: 2025-02-30" in msg and "YYYY-MM-DD" in msg


def test_a_quoted_date_is_a_date(tree: Path) -> None:
    edit(
        tree / "data/office.yaml",
        "checked: 2025-06-14\n  kk_hilang",
        'checked: "2025-06-14"\n  kk_hilang',
    )
    assert messages(tree) == []


def test_true_is_not_a_label(tree: Path) -> None:
    edit(tree / "ktp.yaml", "label: KTP-el hilang,", "label: true,")
    [msg] = messages(tree)
    assert "'label' in choice 1 of state 'menu' must be text" in msg and '"true"' in msg


def test_names_follow_one_pattern(tree: Path) -> None:
    edit(tree / "ktp.yaml", "  hilang:\n    service", "  Hilang:\n    service")
    msgs = messages(tree)
    assert any("'Hilang' in 'states' of the dialog file is not a valid name" in m for m in msgs)
    edit(tree / "ktp.yaml", "{id: hilang,", "{id: Hilang Baru,")
    assert any(
        "'id: Hilang Baru' in choice 1 of state 'menu' is not valid" in m for m in messages(tree)
    )


def test_schema_key_is_for_whole_files_only(tree: Path) -> None:
    edit(tree / "kk.yaml", "dialog: kk\n", "$schema: ./schema.json\ndialog: kk\n")
    assert messages(tree) == []
    edit(tree / "kk.yaml", "    service: kk_hilang\n", "    $schema: x\n    service: kk_hilang\n")
    assert any("unknown key '$schema' in state 'hilang'" in m for m in messages(tree))


def test_intents_need_exactly_one_of_goto_and_action(tree: Path) -> None:
    edit(tree / "bot.yaml", "    action: back\n", "    action: back\n    goto: main.menu\n")
    [msg] = messages(tree)
    assert "intent 2 of bot.yaml needs exactly one of 'goto' or 'action'" in msg


def test_office_facts_are_text(tree: Path) -> None:
    edit(tree / "data/office.yaml", "  privacy:", "  open: true\n  privacy:")
    [msg] = messages(tree)
    assert "office fact 'open' must be text" in msg
