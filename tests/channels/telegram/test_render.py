"""Replies as Bot API calls: HTML that Telegram parses as meant, and every call accepted."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botcore.messages import Choice, Contact, Location, Media, Reply
from channels.telegram.render import (
    SHORT_BODY,
    html,
    keyboard,
    remove_keyboard,
    split_text,
    to_telegram,
)
from tests.fakes.telegram_api import FakeBotAPI, _parse_html

SITI = 5123456789
JSON = dict[str, Any]
OFFICE = Location(-3.7589, 102.2680, "Kantor Kecamatan Muara Bangkahulu", "Jl. Contoh No. 1")


def visible(text: str) -> str:
    """What the resident sees, as Telegram's HTML parser (the fake's copy) reads it."""
    return _parse_html(text)


def choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(f"c{i}", label) for i, label in enumerate(labels, 1))


def rows(markup: JSON) -> list[list[str]]:
    return [[button["text"] for button in row] for row in markup["inline_keyboard"]]


# -- HTML --------------------------------------------------------------------------------------


def test_resident_words_stay_literal() -> None:
    said = "apa syarat <b>akta</b> kelahiran & KK? 3 < 4 > 2 &amp;"
    assert html(said) == (
        "apa syarat &lt;b&gt;akta&lt;/b&gt; kelahiran &amp; KK? 3 &lt; 4 &gt; 2 &amp;amp;"
    )
    assert visible(html(said)) == said


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ketik *MENU* untuk kembali", "Ketik <b>MENU</b> untuk kembali"),
        ("selesai dalam *3×24 jam*.", "selesai dalam <b>3×24 jam</b>."),
        ("_catatan_: bawa *asli*", "<i>catatan</i>: bawa <b>asli</b>"),
        ("*_tebal miring_*", "<b><i>tebal miring</i></b>"),
        ("_*miring tebal*_", "<i><b>miring tebal</b></i>"),
        ("*a & b*", "<b>a &amp; b</b>"),
        ("2*3*4 dan 5 * 6 * 7", "2*3*4 dan 5 * 6 * 7"),  # not wrapped around a word
        ("* spasi *", "* spasi *"),
        ("ktp_hilang dan https://x.id/a_b_c", "ktp_hilang dan https://x.id/a_b_c"),
        ("*dua\nbaris*", "*dua\nbaris*"),  # WhatsApp does not bold across lines either
        ("*a _b* c_", "<b>a _b</b> c_"),  # overlapping markers never cross tags
    ],
)
def test_whatsapp_markup(text: str, expected: str) -> None:
    assert html(text) == expected
    visible(expected)  # well-formed for Telegram


@given(st.text(alphabet=st.sampled_from("ab *_<>&;\n"), max_size=40) | st.text(max_size=40))
@settings(max_examples=500, deadline=None)
def test_any_text_is_valid_html_and_no_longer_than_typed(text: str) -> None:
    shown = visible(html(text))
    assert len(shown) <= len(text)
    assert shown.replace("*", "").replace("_", "") == text.replace("*", "").replace("_", "")


# -- splitting ---------------------------------------------------------------------------------


def test_a_5000_character_text_splits_at_line_ends() -> None:
    lines = [f"{i:03}. *Syarat* & <dokumen> nomor {i} " + "x" * 40 for i in range(80)]
    text = "\n".join(lines)
    assert len(text) > 5000
    chunks = split_text(text)
    assert len(chunks) == 2 and "\n".join(chunks) == text
    assert all(set(chunk.split("\n")) <= set(lines) for chunk in chunks)
    calls = to_telegram(Reply(text), str(SITI))
    assert [c["method"] for c in calls] == ["sendMessage", "sendMessage"]
    shown = [visible(c["text"]) for c in calls]
    assert all(len(s) <= 4096 for s in shown)
    assert "\n".join(shown) == text.replace("*Syarat*", "Syarat")


def test_visible_length_is_what_counts() -> None:
    """4,096 ampersands are 20,480 characters of HTML but one message."""
    calls = to_telegram(Reply("&" * 4096), str(SITI))
    assert len(calls) == 1 and len(calls[0]["text"]) == 5 * 4096
    assert len(to_telegram(Reply("&" * 4097), str(SITI))) == 2


def test_blank_text_sends_nothing() -> None:
    assert to_telegram(Reply(" \n"), str(SITI)) == []


# -- calls -------------------------------------------------------------------------------------


def test_text_call() -> None:
    assert to_telegram(Reply("Halo *Siti*"), str(SITI)) == [
        {
            "method": "sendMessage",
            "chat_id": SITI,
            "text": "Halo <b>Siti</b>",
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
    ]


def test_a_link_keeps_its_preview() -> None:
    [call] = to_telegram(Reply("Formulir: https://kec.example.go.id/form"), str(SITI))
    assert "link_preview_options" not in call


@pytest.mark.parametrize(("chat", "expected"), [("-4123456789", -4123456789), ("@kanal", "@kanal")])
def test_chat_id_is_an_int_when_numeric(chat: str, expected: int | str) -> None:
    assert to_telegram(Reply("x"), chat)[0]["chat_id"] == expected
    assert remove_keyboard(chat, 12) == {
        "method": "editMessageReplyMarkup",
        "chat_id": expected,
        "message_id": 12,
        "reply_markup": {"inline_keyboard": []},
    }


def test_keyboard_goes_on_the_last_chunk() -> None:
    calls = to_telegram(Reply("a\n" * 3000, choices("Ya", "Tidak")), str(SITI))
    assert len(calls) == 2 and "reply_markup" not in calls[0]
    assert rows(calls[1]["reply_markup"]) == [["Ya", "Tidak"]]


def test_choices_without_text_get_a_short_body() -> None:
    [call] = to_telegram(Reply("", choices("Ya")), str(SITI))
    assert call["text"] == SHORT_BODY and call["reply_markup"]["inline_keyboard"]


def test_rows_fit_a_phone() -> None:
    labels = ("KTP-el", "Kartu Keluarga", "Surat keterangan pindah", "Jam layanan", "Lokasi", "X")
    assert rows(keyboard(choices(*labels))) == [
        ["KTP-el", "Kartu Keluarga"],  # 14 characters: still half a row
        ["Surat keterangan pindah"],
        ["Jam layanan", "Lokasi"],
        ["X"],
    ]
    assert rows(keyboard(choices("Bicara dengan petugas", "Ya"))) == [
        ["Bicara dengan petugas"],
        ["Ya"],
    ]


def test_callback_data_is_the_choice_id_within_64_bytes() -> None:
    ids = ("ktp.hilang", "intent:menu", "🙏" * 16)  # the last is 16 characters, 64 bytes
    markup = keyboard(Choice(i, f"Pilihan {n}") for n, i in enumerate(ids))
    assert [b["callback_data"] for row in markup["inline_keyboard"] for b in row] == list(ids)
    with pytest.raises(ValueError, match="64 bytes"):
        keyboard([Choice("🙏" * 17, "Terlalu panjang")])
    with pytest.raises(ValueError):
        keyboard([Choice("", "Tanpa id")])


def test_venue_when_named_and_addressed_else_location() -> None:
    [venue] = to_telegram(Reply(location=OFFICE), str(SITI))
    assert venue == {
        "method": "sendVenue",
        "chat_id": SITI,
        "latitude": -3.7589,
        "longitude": 102.268,
        "title": OFFICE.name,
        "address": OFFICE.address,
    }
    [point] = to_telegram(Reply(location=Location(-3, 102, name="Kantor")), str(SITI))
    assert point == {
        "method": "sendLocation",
        "chat_id": SITI,
        "latitude": -3.0,
        "longitude": 102.0,
    }
    assert isinstance(point["latitude"], float)


def test_media_and_contact() -> None:
    reply = Reply(
        "Berikut formulirnya.",
        media=Media("document", "https://kec.example.go.id/f1.pdf", "Formulir *F-1.01* & lampiran"),
        contact=Contact("Petugas Loket", "+6282100000001", email="loket@example.go.id"),
    )
    text, doc, card = to_telegram(reply, str(SITI))
    assert text["method"] == "sendMessage"
    assert doc == {
        "method": "sendDocument",
        "chat_id": SITI,
        "document": "https://kec.example.go.id/f1.pdf",
        "caption": "Formulir <b>F-1.01</b> &amp; lampiran",
        "parse_mode": "HTML",
    }
    assert card["method"] == "sendContact" and card["phone_number"] == "+6282100000001"
    assert card["first_name"] == "Petugas Loket" and "EMAIL;TYPE=WORK:loket@" in card["vcard"]
    [photo] = to_telegram(Reply(media=Media("image", "https://x.id/p.jpg")), str(SITI))
    assert photo == {"method": "sendPhoto", "chat_id": SITI, "photo": "https://x.id/p.jpg"}


def test_long_caption_is_cut_and_contact_without_phone_is_skipped() -> None:
    reply = Reply(media=Media("image", "https://x.id/p.jpg", "kata " * 400), contact=Contact("A"))
    [photo] = to_telegram(reply, str(SITI))
    assert len(visible(photo["caption"])) <= 1024 and photo["caption"].endswith("…")


# -- against the fake Bot API ------------------------------------------------------------------


async def test_every_call_is_accepted_by_the_fake_bot_api() -> None:
    replies = [
        Reply("Anak saya Zoé 👶 — syarat <b>akta</b> & KK? *Wajib*: _asli_"),
        Reply("baris panjang\n" * 400, choices("KTP-el", "Kartu Keluarga", "Surat pindah datang")),
        Reply("Pilih:", (Choice("ktp.hilang", "KTP hilang"), Choice("intent:menu", "Menu"))),
        Reply(location=OFFICE),
        Reply("Lokasi:", location=Location(-3.7589, 102.268)),
        Reply("&" * 4096),  # 20,480 characters of HTML, 4,096 visible
    ]
    # sendPhoto, sendDocument and sendContact are not modelled by the fake.
    calls = [call for reply in replies for call in to_telegram(reply, str(SITI))]
    async with FakeBotAPI() as fake, aiohttp.ClientSession() as session:

        async def post(call: JSON) -> JSON:
            method, params = call["method"], {k: v for k, v in call.items() if k != "method"}
            async with session.post(f"{fake.base_url}{fake.token}/{method}", json=params) as resp:
                body: JSON = await resp.json()
            assert body["ok"] is True, (method, body)
            return body

        results = [await post(call) for call in calls]
        tapped = results[3]["result"]  # the message with the ambiguity buttons
        assert tapped["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ktp.hilang"
        await post(remove_keyboard(str(SITI), tapped["message_id"]))
    assert fake.sent[0].text == "Anak saya Zoé 👶 — syarat <b>akta</b> & KK? Wajib: asli"
    assert [s.method for s in fake.sent] == [
        *["sendMessage"] * 4,
        "sendVenue",
        "sendMessage",
        "sendLocation",
        "sendMessage",
        "editMessageReplyMarkup",
    ]
