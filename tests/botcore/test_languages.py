"""A second language beside Indonesian: switching, falling back, and what the checker says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from botcore.spec import DialogBundle, check_dialogs, load_dialogs, translate
from tests.conftest import Chat


def with_english(tree: Path) -> None:
    bot = tree / "bot.yaml"
    bot.write_text(bot.read_text() + "en:\n  texts:\n    greeting: Welcome!\n")
    main = tree / "main.yaml"
    main.write_text(
        main.read_text().replace(
            '    say: "Menu utama:"\n',
            '    say: "Menu utama:"\n    en: {say: "Main menu:"}\n',
        )
    )


async def test_without_english_the_word_english_is_just_a_word(
    mini_chat: Chat,
) -> None:
    await mini_chat.say("halo")
    answer = await mini_chat.say("english")
    assert "English" not in answer and await mini_chat.state() == "main.menu"


async def test_switching_and_falling_back(
    tree: Path, make_chat: Callable[[DialogBundle], Chat]
) -> None:
    with_english(tree)
    chat = make_chat(load_dialogs(tree))
    await chat.say("halo")
    answer = await chat.say("English")
    assert "Main menu:" in answer
    # Untranslated choices keep their Indonesian labels; Indonesian words still work.
    assert chat.choices == ["KTP-el", "Jam layanan", "Pengaduan"]
    assert "Layanan KTP-el" in await chat.say("ktp")
    session = await chat.engine.store.load(f"{chat.channel}:{chat.sender}")
    assert session is not None and session.lang == "en"
    chat.clock.advance(hours=2)  # idle: the conversation restarts, the language stays
    assert "Main menu:" in await chat.say("halo")
    assert "Menu utama:" in await chat.say("bahasa indonesia")


def test_missing_translations_are_reported_where_they_are(tree: Path) -> None:
    with_english(tree)
    found = [str(p) for p in check_dialogs(tree)]
    assert any(
        m.startswith("dialogs/main.yaml:")
        and "choice 'ktp' of state 'main.menu' has no English" in m
        for m in found
    ), found
    assert any("dialog 'ktp' has no English texts" in m for m in found), found
    assert any("the bot's text 'fallback' has no English" in m for m in found), found
    assert all(": warning:" in m for m in found), found  # reported, never refused


def test_translate_keeps_both_languages_keywords(tree: Path) -> None:
    with_english(tree)
    english = translate(load_dialogs(tree), "en")
    menu = english.flows["main"].states["menu"]
    assert menu.say == "Main menu:" and english.texts.greeting == "Welcome!"
    assert english.lang == "en" and english.texts.fallback  # untranslated: Indonesian


def test_english_labels_must_fit_the_channels_too(tree: Path) -> None:
    with_english(tree)
    main = tree / "main.yaml"
    main.write_text(
        main.read_text().replace(
            "        label: Jam layanan\n",
            "        label: Jam layanan\n"
            "        en: {label: Opening hours of the sub-district office}\n",
        )
    )
    found = [str(p) for p in check_dialogs(tree) if "Opening hours of the" in str(p)]
    assert found and found[0].startswith("dialogs/main.yaml:"), found
