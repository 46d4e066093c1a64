"""Live reload: a bad edit never reaches a resident; renames and removals keep residents in a
sensible place, told politely when their place is gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from botcore.engine import Engine
from botcore.reload import DialogWatcher, Rejection, plan
from botcore.sessions import MemoryStore
from botcore.spec import check_dialogs, load_dialogs
from tests.conftest import Chat, Clock, edit


class Editor:
    """An engine serving `tree`, and a watcher swapping in what the editor saves."""

    def __init__(self, tree: Path, clock: Clock) -> None:
        self.tree = tree
        self.engine = Engine(load_dialogs(tree), MemoryStore(), clock=clock)
        self.rejections: list[Rejection] = []
        self.watcher = DialogWatcher(tree, self.engine.reload, self.rejections.append, settle=0)
        self.chat = Chat(self.engine, clock)

    async def saved(self) -> bool:
        return await self.watcher.poll()


@pytest.fixture
def editor(tree: Path, clock: Clock) -> Editor:
    return Editor(tree, clock)


# The ktp dialog of the fixture with its 'hilang' state renamed to 'ktp_hilang'.
RENAMED = """dialog: ktp
start: menu
states:
  menu:
    say: "Layanan KTP-el:"
    choices:
      - {id: hilang, label: KTP-el hilang, keywords: [hilang, kehilangan], goto: ktp_hilang}
      - {id: kk_hilang, label: KK hilang, goto: kk.hilang}
  ktp_hilang:
    renamed_from: [hilang]
    service: ktp_hilang
    keywords: [ktp hilang]
    back: menu
    choices:
      - {id: menu, label: Menu utama, goto: main.menu}
"""


async def test_a_broken_edit_never_reaches_a_resident(editor: Editor) -> None:
    await editor.chat.say("halo")
    before = editor.engine.bundle.version
    edit(editor.tree / "main.yaml", "choices:\n      - id: ktp", "choices:\n    - id: ktp\n\tx")
    assert await editor.saved() is False
    assert editor.engine.bundle.version == before
    [rejection] = editor.rejections
    assert any("main.yaml:" in line for line in rejection.lines()), rejection.lines()
    answer = await editor.chat.say("ktp")
    assert "Layanan KTP-el" in answer  # served by the last good version


async def test_an_edit_that_breaks_a_conversation_test_is_refused(editor: Editor) -> None:
    # Valid YAML and a valid graph, but the tested answer ("Kepolisian") is gone.
    edit(
        editor.tree / "data" / "office.yaml",
        "      - Surat Keterangan Kehilangan dari Kepolisian",
        "      - Surat Keterangan Kehilangan dari Desa",
    )
    assert await editor.saved() is False
    [rejection] = editor.rejections
    assert rejection.failures and "lost card by typing" in rejection.failures[0]
    assert "Kepolisian" in await editor.chat.say("ktp ilang")


async def test_a_good_edit_is_swapped_in_between_messages(editor: Editor) -> None:
    await editor.chat.say("halo")
    edit(editor.tree / "main.yaml", 'say: "Menu utama:"', 'say: "Menu utama kecamatan:"')
    assert await editor.saved() is True
    assert "Menu utama kecamatan:" in await editor.chat.say("menu")
    assert await editor.saved() is False  # nothing changed since


def rename(tree: Path) -> None:
    """The editor's whole change: the state, and the conversation test that names it."""
    (tree / "ktp.yaml").write_text(RENAMED)
    edit(tree / "tests" / "mini.yaml", "state: ktp.hilang", "state: ktp.ktp_hilang")


async def test_a_rename_without_updating_the_tests_is_refused_and_says_why(
    editor: Editor,
) -> None:
    (editor.tree / "ktp.yaml").write_text(RENAMED)
    assert await editor.saved() is False
    [rejection] = editor.rejections
    assert "now called ktp.ktp_hilang (renamed_from)" in rejection.failures[0]


async def test_a_renamed_state_keeps_the_resident_in_place(editor: Editor) -> None:
    await editor.chat.say("halo")
    await editor.chat.say("ktp ilang")
    assert await editor.chat.state() == "ktp.hilang"
    rename(editor.tree)
    assert await editor.saved() is True, editor.rejections
    # 'kembali' from the renamed state still means its own 'back: menu'.
    answer = await editor.chat.say("kembali")
    assert "Layanan KTP-el" in answer and "diperbarui" not in answer
    assert await editor.chat.state() == "ktp.menu"


async def test_a_renamed_state_answers_as_before(editor: Editor) -> None:
    await editor.chat.say("halo")
    await editor.chat.say("ktp ilang")
    rename(editor.tree)
    assert await editor.saved() is True
    await editor.chat.say("1")  # the first choice of the (renamed) state: Menu utama
    assert await editor.chat.state() == "main.menu"


async def test_a_removed_state_sends_residents_to_the_declared_target(editor: Editor) -> None:
    await editor.chat.say("halo")
    await editor.chat.say("ktp ilang")
    removed = RENAMED.replace("    renamed_from: [hilang]\n", "").replace(
        "start: menu\n", "start: menu\nmoved_to:\n  hilang: kk.hilang\n"
    )
    (editor.tree / "ktp.yaml").write_text(removed)
    edit(editor.tree / "tests" / "mini.yaml", "state: ktp.hilang", "state: ktp.ktp_hilang")
    assert await editor.saved() is True, editor.rejections
    answer = await editor.chat.say("1")
    assert answer.startswith("Mohon maaf, menu kami baru saja diperbarui")
    assert await editor.chat.state() == "kk.hilang"  # what they typed is not taken as an answer


async def test_an_undeclared_removal_goes_to_the_nearest_menu(editor: Editor) -> None:
    await editor.chat.say("halo")
    await editor.chat.say("ktp ilang")
    (editor.tree / "ktp.yaml").write_text(RENAMED.replace("    renamed_from: [hilang]\n", ""))
    edit(editor.tree / "tests" / "mini.yaml", "state: ktp.hilang", "state: ktp.ktp_hilang")
    assert await editor.saved() is True
    answer = await editor.chat.say("apa ini")
    assert "menu kami baru saja diperbarui" in answer and "Layanan KTP-el" in answer
    assert await editor.chat.state() == "ktp.menu"


def test_renames_and_moves_are_checked(tree: Path) -> None:
    moves = "moved_to:\n  foto: ktp.tidak_ada\n  menu: ktp_hilang\n  hilang: menu\n"
    (tree / "ktp.yaml").write_text(RENAMED.replace("start: menu\n", "start: menu\n" + moves))
    found = [str(p) for p in check_dialogs(tree)]
    assert any("names 'ktp.menu', but that state still exists" in m for m in found), found
    assert any("'moved_to' of 'ktp.foto' goes to 'ktp.tidak_ada'" in m for m in found), found
    assert any("'ktp.hilang' is claimed twice" in m for m in found), found
    assert all(m.startswith("dialogs/ktp.yaml:") for m in found), found


def test_the_plan_for_an_edit(tree: Path) -> None:
    old = load_dialogs(tree)
    (tree / "ktp.yaml").write_text(RENAMED)
    new = load_dialogs(tree)
    assert [(str(m.old), str(m.new), m.how) for m in plan(old, new)] == [
        ("ktp.hilang", "ktp.ktp_hilang", "renamed")
    ]
