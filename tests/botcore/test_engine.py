"""The engine as a resident meets it: greeting, menus, free text, questions, effects, bad input."""

from __future__ import annotations

import logging

import pytest

from botcore.messages import Kind
from tests.conftest import Chat


async def test_first_message_gets_greeting_and_main_menu(mini_chat: Chat) -> None:
    text = await mini_chat.say("halo")
    assert text.startswith("Selamat datang di Kantor Uji.")
    assert "Menu utama:" in text
    assert mini_chat.choices == ["KTP-el", "Jam layanan", "Pengaduan"]
    assert await mini_chat.state() == "main.menu"


async def test_first_message_with_a_question_is_answered_after_the_greeting(
    mini_chat: Chat,
) -> None:
    text = await mini_chat.say("ktp ilang")
    assert text.startswith("Selamat datang")
    assert "Surat Keterangan Kehilangan dari Kepolisian" in text
    assert await mini_chat.state() == "ktp.hilang"


async def test_numbers_select_the_listed_choice(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    assert "Layanan KTP-el" in await mini_chat.say("1")
    assert "KK hilang" in await mini_chat.say("2")
    assert await mini_chat.state() == "kk.hilang"


async def test_a_number_out_of_range_gets_the_fallback_and_the_same_choices(
    mini_chat: Chat,
) -> None:
    await mini_chat.say("halo")
    text = await mini_chat.say("7")
    assert "Maaf, saya belum paham" in text
    assert mini_chat.choices == ["KTP-el", "Jam layanan", "Pengaduan"]
    assert await mini_chat.state() == "main.menu"


async def test_button_tap_selects_by_id_even_when_the_label_changed(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    await mini_chat.send("some old title", Kind.CHOICE, "jam")
    assert await mini_chat.state() == "main.jam"


async def test_stale_button_is_read_as_its_title(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    await mini_chat.say("1")  # now in ktp.menu; 'jam' is a main-menu button
    await mini_chat.send("Jam layanan", Kind.CHOICE, "jam")
    assert await mini_chat.state() == "main.jam"


async def test_typo_is_corrected_to_the_vocabulary(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    await mini_chat.say("1")
    text = await mini_chat.say("kehilangn")
    assert "Kepolisian" in text
    assert await mini_chat.state() == "ktp.hilang"


async def test_two_equally_good_targets_make_the_bot_ask(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    text = await mini_chat.say("hilang")
    assert "Maksud Anda yang mana?" in text
    assert sorted(mini_chat.choices) == ["KK hilang", "KTP-el hilang"]
    # the resident answers by number, as with any list
    number = 1 + mini_chat.choices.index("KK hilang")
    await mini_chat.say(str(number))
    assert await mini_chat.state() == "kk.hilang"


async def test_ambiguity_answered_by_tap(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    await mini_chat.say("hilang")
    await mini_chat.tap("ktp.hilang")
    assert await mini_chat.state() == "ktp.hilang"


async def test_global_intents_work_from_inside_a_flow(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    await mini_chat.say("ktp hilang")
    assert "Layanan KTP-el" in await mini_chat.say("kembali")
    assert "Bantuan" in await mini_chat.say("bantuan")
    assert await mini_chat.state() == "ktp.menu"
    assert "Menu utama" in await mini_chat.say("menu")
    assert "Antrean ke-1" in await mini_chat.say("saya mau bicara dengan orang")
    # Waiting for an officer, thanks are no reason to leave the queue; "selesai" is.
    assert await mini_chat.say("terima kasih") == ""
    assert "Terima kasih" in await mini_chat.say("selesai")
    assert await mini_chat.state() == "main.selesai"


async def test_back_from_a_dialog_start_goes_to_the_main_menu(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    await mini_chat.say("1")
    await mini_chat.say("kembali")
    assert await mini_chat.state() == "main.menu"


async def test_reprompt_ladder_then_giveup_offers_officer_and_menu(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    assert "Ceritakan keluhan" in await mini_chat.say("pengaduan")
    first = await mini_chat.say("pendek")
    assert "minimal 10 huruf" in first and "Mohon ceritakan lebih rinci" in first
    assert "Contoh:" not in first
    second = await mini_chat.say("juga")
    assert "Contoh: antrean terlalu lama." in second
    third = await mini_chat.say("x")
    assert "Sepertinya ada kesulitan" in third
    assert mini_chat.choices == ["Ulangi jawaban", "Tanya petugas", "Menu utama"]
    await mini_chat.say("2")
    assert await mini_chat.state() == "main.petugas"


async def test_giveup_then_a_valid_answer_is_still_accepted(mini_chat: Chat) -> None:
    await mini_chat.say("pengaduan")
    for _ in range(3):
        await mini_chat.say("x")
    await mini_chat.say("antrean di loket sangat lama")
    assert await mini_chat.state() == "main.aduan_hp"


async def test_menu_and_batal_leave_a_question(mini_chat: Chat) -> None:
    await mini_chat.say("pengaduan")
    await mini_chat.say("batal")
    assert await mini_chat.state() == "main.menu"


async def test_complaint_gets_a_ticket_and_personal_data_is_normalised(mini_chat: Chat) -> None:
    await mini_chat.say("pengaduan")
    await mini_chat.say("antrean di loket sangat lama")
    await mini_chat.say("0812-3456-7890")
    text = await mini_chat.say("1771044506050001")
    assert "Tiket: ADU-2026-000001" in text
    store = mini_chat.engine.store
    complaint = store.complaints["ADU-2026-000001"]  # type: ignore[attr-defined]
    assert complaint["data"]["hp"] == "+6281234567890"
    assert complaint["data"]["isi"] == "antrean di loket sangat lama"


async def test_optional_question_can_be_skipped(mini_chat: Chat) -> None:
    await mini_chat.say("pengaduan")
    await mini_chat.say("antrean di loket sangat lama")
    assert "NIK Anda?" in await mini_chat.say("lewati")


async def test_shared_contact_answers_a_phone_question(mini_chat: Chat) -> None:
    await mini_chat.say("pengaduan")
    await mini_chat.say("antrean di loket sangat lama")
    await mini_chat.send("", Kind.CONTACT, "6281234567890")
    assert await mini_chat.state() == "main.aduan_nik"


async def test_media_gets_a_polite_answer_and_the_current_menu(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    replies = await mini_chat.send("", Kind.MEDIA, "880000000000001")
    assert "belum bisa membaca foto" in Chat.text_of(replies)
    assert mini_chat.choices == ["KTP-el", "Jam layanan", "Pengaduan"]


async def test_idle_conversation_restarts_saying_so(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    await mini_chat.say("1")
    mini_chat.clock.advance(minutes=31)
    text = await mini_chat.say("2")
    assert text.startswith("Percakapan sebelumnya sudah ditutup.")
    assert "Menu utama:" in text
    assert "Selamat datang" not in text  # greeted a moment ago; not again
    assert await mini_chat.state() == "main.menu"  # "2" is not read in a menu not yet shown


async def test_the_greeting_comes_again_after_14_days_of_silence(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    mini_chat.clock.advance(days=13, hours=23)
    assert "Selamat datang" not in await mini_chat.say("menu")
    mini_chat.clock.advance(days=14, minutes=1)
    text = await mini_chat.say("ktp hilang")
    assert text.startswith("Selamat datang") and "Kepolisian" in text  # then the answer


async def test_a_conversation_within_the_idle_time_continues(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    await mini_chat.say("1")
    mini_chat.clock.advance(minutes=29)
    assert "Selamat datang" not in await mini_chat.say("menu")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00\x07\x1b[31m",
        "😀🙏🏽" * 50,
        "ктп потерян",
        "كيف حالك",
        "{slot.isi} {office.name}",
        "%s %(x)s {0}",
    ],
)
async def test_odd_input_gets_a_sensible_answer(mini_chat: Chat, text: str) -> None:
    await mini_chat.say("halo")
    replies = await mini_chat.send(text)
    assert replies and all(r.text for r in replies)
    assert await mini_chat.state() == "main.menu"


async def test_a_5000_character_message_is_cut_and_answered(mini_chat: Chat) -> None:
    await mini_chat.say("halo")
    text = await mini_chat.say("ktp hilang " + "a" * 5000)
    assert "Pesan terlalu panjang" in text
    assert "Kepolisian" in text


async def test_resident_text_is_never_read_as_a_template(mini_chat: Chat) -> None:
    await mini_chat.say("pengaduan")
    await mini_chat.say("{office.name} {slot.nik} {{ }} minta uang")
    await mini_chat.say("lewati")
    text = await mini_chat.say("1771044506050001")
    assert "Keluhan: {office.name} {slot.nik} {{ }} minta uang." in text


async def test_personal_data_is_masked_in_logs(
    mini_chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="loket")
    await mini_chat.say("pengaduan")
    await mini_chat.say("nik saya 1771044506050001 hp 081234567890")
    await mini_chat.say("081234567890")
    await mini_chat.say("177104450605000")  # 15 digits: invalid, logged as a retry
    logged = caplog.text
    assert logged  # the engine did log these steps
    for secret in ("1771044506050001", "081234567890", "177104450605000", "6281234567890"):
        assert secret not in logged


async def test_debug_view_masks_personal_slots(mini_chat: Chat) -> None:
    await mini_chat.say("pengaduan")
    await mini_chat.say("antrean di loket sangat lama")
    await mini_chat.say("081234567890")
    await mini_chat.say("1771044506050001")
    session = await mini_chat.engine.store.load("console:6281234567890")
    shown = mini_chat.engine.describe(session)
    assert "1771044506050001" not in shown and "+6281234567890" not in shown
    assert "antrean di loket sangat lama" in shown


async def test_turns_are_kept_for_officers_up_to_the_limit(mini_chat: Chat) -> None:
    for word in ("halo", "1", "kembali", "2", "menu"):
        await mini_chat.say(word)
    session = await mini_chat.engine.store.load("console:6281234567890")
    assert session is not None
    assert len(session.turns) == 6  # turns_kept in the fixture's bot.yaml
    assert session.turns[-2].who == "in" and session.turns[-2].text == "menu"


async def test_location_is_attached_where_declared(mini_chat: Chat) -> None:
    replies = await mini_chat.send("jam buka")
    assert any(r.location is not None and r.location.latitude == -3.759 for r in replies)


async def test_a_failing_step_still_answers_and_keeps_the_session(
    mini_chat: Chat, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await mini_chat.say("halo")
    await mini_chat.say("1")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(mini_chat.engine, "step", broken)
    text = await mini_chat.say("2")
    assert "Maaf, saya belum paham" in text  # the bot's fallback, not silence
    assert await mini_chat.state() == "ktp.menu"  # nothing half-done was saved
    assert "step failed for console:6281*******90" in caplog.text  # logged, key masked
