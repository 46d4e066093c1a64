"""Replies as Graph API request bodies: every one of them accepted by Meta's send-side checks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botcore.messages import Choice, Contact, Location, Media, Reply
from channels.whatsapp.render import mark_read, recipient_fields, split_text, to_whatsapp
from tests.fakes.whatsapp_api import validate_send

RESIDENT = "6281234567890"
TO = "+6281234567890"
BSUID = "ID.8123456789012345678"
HEAD = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": TO}
FAMILY = "👨‍👩‍👧"  # five code points that must stay together


def render(reply: Reply, to: str = RESIDENT) -> list[dict[str, Any]]:
    """to_whatsapp, with every body checked as Meta would (raises GraphError otherwise)."""
    bodies = to_whatsapp(reply, to)
    for body in bodies:
        validate_send(body)
    return bodies


def choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(f"c{i}", label) for i, label in enumerate(labels, 1))


def kinds(bodies: list[dict[str, Any]]) -> list[str]:
    return [b["interactive"]["type"] if b["type"] == "interactive" else b["type"] for b in bodies]


# -- recipients --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "fields"),
    [
        ("6281234567890", {"to": TO}),
        ("081234567890", {"to": TO}),
        ("0812-3456-7890", {"to": TO}),
        ("0812.3456.7890", {"to": TO}),
        ("+62 812 3456 7890", {"to": TO}),
        ("+62 0812 3456 7890", {"to": TO}),
        ("14155550123", {"to": "+14155550123"}),
        ("+44 20 7946 0958", {"to": "+442079460958"}),
        (BSUID, {"recipient": BSUID}),
        ("ID.ENT.99aa", {"recipient": "ID.ENT.99aa"}),
    ],
)
def test_recipient_fields(sender: str, fields: dict[str, str]) -> None:
    assert recipient_fields(sender) == fields


@pytest.mark.parametrize("sender", ["", "   ", "+"])
def test_no_recipient(sender: str) -> None:
    with pytest.raises(ValueError):
        recipient_fields(sender)


def test_local_number_is_sent_with_plus_62() -> None:
    (body,) = render(Reply("Halo"), "081234567890")
    assert body["to"] == TO


def test_bsuid_recipient() -> None:
    (body,) = render(Reply("Halo"), BSUID)
    assert body["recipient"] == BSUID and "to" not in body


def test_mark_read() -> None:
    assert mark_read("wamid.IN1") == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.IN1",
    }


# -- text --------------------------------------------------------------------------------------


def test_text() -> None:
    assert render(Reply("Syarat KTP-el: fotokopi KK.")) == [
        HEAD
        | {"type": "text", "text": {"preview_url": False, "body": "Syarat KTP-el: fotokopi KK."}}
    ]


@pytest.mark.parametrize(
    ("text", "preview"),
    [
        ("Lihat https://kecamatan.example.go.id/ktp", True),
        ("Peta: HTTP://maps.example/?q=1", True),
        ("Email budi@contoh.id atau kunjungi www.example.go.id", False),
        ("protokol https:// saja", False),
    ],
)
def test_preview_url_only_with_a_link(text: str, preview: bool) -> None:
    assert render(Reply(text))[0]["text"]["preview_url"] is preview


def test_empty_reply_sends_nothing() -> None:
    assert render(Reply()) == [] and render(Reply("  \n ")) == []


def test_long_text_is_split_at_line_ends() -> None:
    lines = [f"{i:03d}. " + "Persyaratan KTP-el é " * 3 for i in range(80)]
    text = "\n".join(lines)
    assert len(text) > 5000
    bodies = render(Reply(text))
    chunks = [b["text"]["body"] for b in bodies]
    assert len(chunks) == 2 and all(len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == text
    assert all(set(c.split("\n")) <= set(lines) for c in chunks)


def test_split_keeps_short_text_whole() -> None:
    assert split_text("a\nb") == ["a\nb"]
    assert split_text("x" * 4096) == ["x" * 4096]
    assert split_text("") == [] and split_text("\n\n") == []


def test_split_cuts_a_long_line_at_a_space() -> None:
    text = " ".join(["kata"] * 1000)  # 4,999 characters, one line
    chunks = split_text(text)
    assert all(len(c) <= 4096 for c in chunks)
    assert all(not c.startswith(" ") and not c.endswith(" ") for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_split_hard_cuts_a_line_without_spaces() -> None:
    chunks = split_text("x" * 10_000)
    assert [len(c) for c in chunks] == [4096, 4096, 1808]


def test_split_counts_emoji_as_characters() -> None:
    chunks = split_text("🙏" * 5000)  # 20,000 bytes in UTF-8, 5,000 characters
    assert [len(c) for c in chunks] == [4096, 904]


def test_split_never_breaks_an_emoji_sequence() -> None:
    text = "a" * 4094 + FAMILY + "b"  # the family would straddle the limit
    chunks = split_text(text)
    assert chunks == ["a" * 4094, FAMILY + "b"]


def test_split_blank_lines_do_not_open_a_chunk() -> None:
    chunks = split_text("a" * 4000 + "\n\n" + "b" * 200, limit=4096)
    assert chunks == ["a" * 4000, "b" * 200]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(st.sampled_from(["a", "é", " ", "\n", "🙏", "\u200d", "\u0301"]), max_size=300),
    limit=st.integers(1, 40),
)
def test_split_loses_nothing_but_whitespace(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit and c.strip() for c in chunks)
    assert re.sub(r"\s", "", "".join(chunks)) == re.sub(r"\s", "", text)


# -- choices -----------------------------------------------------------------------------------


def test_reply_buttons() -> None:
    reply = Reply("Silakan pilih layanan:", choices("Layanan KTP", "Kartu Keluarga", "Lainnya"))
    assert render(reply) == [
        HEAD
        | {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "Silakan pilih layanan:"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "c1", "title": "Layanan KTP"}},
                        {"type": "reply", "reply": {"id": "c2", "title": "Kartu Keluarga"}},
                        {"type": "reply", "reply": {"id": "c3", "title": "Lainnya"}},
                    ]
                },
            },
        }
    ]


@pytest.mark.parametrize(
    ("length", "kind"), [(20, "button"), (21, "list"), (24, "list"), (25, "text")]
)
def test_label_length_picks_the_widget(length: int, kind: str) -> None:
    bodies = render(Reply("Pilih:", choices("x" * length, "KK")))
    assert kinds(bodies) == [kind]
    if kind == "text":
        assert bodies[0]["text"]["body"] == f"Pilih:\n\n1. {'x' * length}\n2. KK"


def test_emoji_labels_count_characters_not_bytes() -> None:
    label = "🪪" * 20  # 80 bytes
    bodies = render(Reply("Pilih:", choices(label, "📄 KK")))
    assert kinds(bodies) == ["button"]
    assert bodies[0]["interactive"]["action"]["buttons"][0]["reply"]["title"] == label


@pytest.mark.parametrize(
    "labels", [("KTP", "KK", "KTP"), ("KTP", "ktp"), ("Lainnya", "Lainnya ")], ids=str
)
def test_duplicate_labels_fall_back_to_numbered_text(labels: tuple[str, ...]) -> None:
    bodies = render(Reply("Pilih:", choices(*labels)))
    assert kinds(bodies) == ["text"]
    numbered = bodies[0]["text"]["body"].split("\n\n", 1)[1].split("\n")
    assert numbered == [f"{i}. {label}" for i, label in enumerate(labels, 1)]


def test_duplicate_or_empty_ids_fall_back_to_numbered_text() -> None:
    same = (Choice("x", "Satu"), Choice("x", "Dua"))
    assert kinds(render(Reply("Pilih:", same))) == ["text"]
    assert kinds(render(Reply("Pilih:", (Choice("", "Satu"),)))) == ["text"]


def test_list_for_four_to_ten_choices() -> None:
    items = tuple(Choice(f"svc:{i}", f"Layanan {i}", f"Keterangan {i}") for i in range(10))
    (body,) = render(Reply("Pilih layanan:", items))
    inter = body["interactive"]
    assert (inter["type"], inter["body"]["text"]) == ("list", "Pilih layanan:")
    assert inter["action"]["button"] == "Pilih"
    (section,) = inter["action"]["sections"]
    assert section["title"] == "Pilihan"
    assert section["rows"][3] == {
        "id": "svc:3",
        "title": "Layanan 3",
        "description": "Keterangan 3",
    }


def test_list_button_title() -> None:
    many = choices("a", "b", "c", "d")
    (body,) = render(Reply("x", many, choices_title="Lihat layanan"))
    assert body["interactive"]["action"]["button"] == "Lihat layanan"
    (body,) = render(Reply("x", many, choices_title="Lihat semua layanan kami"))  # 24 > 20
    assert body["interactive"]["action"]["button"] == "Pilih"


def test_row_without_description_has_no_description() -> None:
    (body,) = render(Reply("x", choices("a", "b", "c", "d")))
    assert "description" not in body["interactive"]["action"]["sections"][0]["rows"][0]


@pytest.mark.parametrize("tail", ["x" * 80, FAMILY * 20, "e\u0301" * 50])
def test_long_descriptions_are_cut_with_an_ellipsis(tail: str) -> None:
    items = tuple(Choice(f"c{i}", f"L{i}", "Keterangan " + tail) for i in range(4))
    (body,) = render(Reply("x", items))
    description = body["interactive"]["action"]["sections"][0]["rows"][0]["description"]
    assert len(description) <= 72 and description.endswith("…")
    assert ("Keterangan " + tail).startswith(description[:-1])
    assert not description[:-1].endswith(("\u200d", "e"))  # no half emoji, no bare e before ́


def test_more_than_ten_choices_become_numbered_lines_in_order() -> None:
    labels = [f"Layanan {i}" for i in range(1, 12)]
    items = tuple(Choice(f"svc:{i}", label) for i, label in enumerate(labels, 1))
    (body,) = render(Reply("Layanan kami:", items))
    assert body["text"]["body"] == "Layanan kami:\n\n" + "\n".join(
        f"{i}. Layanan {i}" for i in range(1, 12)
    )


def test_numbered_lines_show_descriptions() -> None:
    items = (Choice("a", "A" * 30, "yang pertama"), Choice("b", "B"))
    (body,) = render(Reply("Pilih:", items))
    assert body["text"]["body"].endswith(f"1. {'A' * 30} — yang pertama\n2. B")


def test_empty_text_with_choices() -> None:
    assert render(Reply("", choices("Ya", "Tidak")))[0]["interactive"]["body"]["text"] == (
        "Silakan pilih:"
    )
    assert render(Reply(" ", choices("a", "b", "c", "d")))[0]["interactive"]["body"]["text"] == (
        "Silakan pilih:"
    )
    assert render(Reply("", choices("x" * 30)))[0]["text"]["body"] == "Silakan pilih:\n\n1. " + (
        "x" * 30
    )


def test_button_body_fits_exactly_1024() -> None:
    bodies = render(Reply("é" * 1024, choices("Ya", "Tidak")))
    assert kinds(bodies) == ["button"]


def test_long_text_goes_first_then_buttons_with_a_short_body() -> None:
    text = "Persyaratan lengkap: " + "x" * 1100
    bodies = render(Reply(text, choices("Ya", "Tidak")))
    assert kinds(bodies) == ["text", "button"]
    assert bodies[0]["text"]["body"] == text
    assert bodies[1]["interactive"]["body"]["text"] == "Silakan pilih:"


def test_very_long_text_goes_first_then_the_list() -> None:
    text = "\n".join(["baris " * 10] * 100)  # about 6,000 characters
    bodies = render(Reply(text, choices("a", "b", "c", "d")))
    assert kinds(bodies) == ["text", "text", "list"]
    assert bodies[2]["interactive"]["body"]["text"] == "Silakan pilih:"


def test_numbered_fallback_of_a_long_text_is_split() -> None:
    text = "\n".join(["baris " * 10] * 70)  # about 4,200 characters
    bodies = render(Reply(text, choices(*[f"p{i}" for i in range(12)])))
    assert kinds(bodies) == ["text", "text"]
    assert bodies[-1]["text"]["body"].endswith("12. p11")


# -- location, media, contact ------------------------------------------------------------------


def test_location_comes_after_the_text() -> None:
    loc = Location(-3.7573, 102.2718, "Kantor Camat Muara Bangkahulu", "Jl. Contoh No. 1")
    bodies = render(Reply("Lokasi kantor:", choices("Menu", "Selesai"), location=loc))
    assert kinds(bodies) == ["button", "location"]
    assert bodies[1] == HEAD | {
        "type": "location",
        "location": {
            "latitude": -3.7573,
            "longitude": 102.2718,
            "name": "Kantor Camat Muara Bangkahulu",
            "address": "Jl. Contoh No. 1",
        },
    }


def test_location_alone() -> None:
    (body,) = render(Reply(location=Location(-3.75, 102.27)))
    assert body["location"] == {"latitude": -3.75, "longitude": 102.27}


def test_image_by_link() -> None:
    media = Media("image", "https://kecamatan.example.go.id/alur-ktp.png", "Alur KTP-el")
    (body,) = render(Reply(media=media))
    assert body == HEAD | {
        "type": "image",
        "image": {"link": "https://kecamatan.example.go.id/alur-ktp.png", "caption": "Alur KTP-el"},
    }


def test_document_by_link_with_filename() -> None:
    media = Media("document", "https://x.example/f101.pdf", "Formulir F-1.01", "F-1.01.pdf")
    bodies = render(Reply("Ini formulirnya.", media=media))
    assert kinds(bodies) == ["text", "document"]
    assert bodies[1]["document"] == {
        "link": "https://x.example/f101.pdf",
        "caption": "Formulir F-1.01",
        "filename": "F-1.01.pdf",
    }


def test_long_caption_is_cut() -> None:
    (body,) = render(Reply(media=Media("image", "https://x.example/a.png", "🙏" * 2000)))
    caption = body["image"]["caption"]
    assert len(caption) == 1024 and caption.endswith("…")


def test_contact_card() -> None:
    contact = Contact("Kantor Camat", "+62736123456", "camat@example.go.id", "https://x.example")
    (body,) = render(Reply(contact=contact))
    assert body == HEAD | {
        "type": "contacts",
        "contacts": [
            {
                "name": {"formatted_name": "Kantor Camat", "first_name": "Kantor Camat"},
                "phones": [{"phone": "+62736123456", "type": "WORK"}],
                "emails": [{"email": "camat@example.go.id", "type": "WORK"}],
                "urls": [{"url": "https://x.example", "type": "WORK"}],
            }
        ],
    }


def test_contact_with_email_only() -> None:
    (body,) = render(Reply(contact=Contact("Kantor", email="a@example.go.id")))
    assert set(body["contacts"][0]) == {"name", "emails"}


def test_everything_at_once_in_order() -> None:
    reply = Reply(
        "Info kantor",
        choices("Menu"),
        location=Location(-3.7, 102.2),
        media=Media("image", "https://x.example/a.png"),
        contact=Contact("Kantor", "+62736123456"),
    )
    bodies = render(reply, BSUID)
    assert kinds(bodies) == ["button", "location", "image", "contacts"]
    assert all(b["recipient"] == BSUID and b["recipient_type"] == "individual" for b in bodies)


# -- any reply at all --------------------------------------------------------------------------

LABELS = st.lists(st.sampled_from(["a", "B", " ", "é", "🙏", FAMILY, "\u0301"]), max_size=26).map(
    "".join
)
REPLIES = st.builds(
    Reply,
    text=st.text(max_size=5000) | st.sampled_from(["", "Silakan pilih", "x" * 1025]),
    choices=st.lists(
        st.builds(
            Choice,
            id=st.text(st.sampled_from("ab:_"), max_size=8),
            label=LABELS,
            description=LABELS | st.text(max_size=100),
        ),
        max_size=12,
    ).map(tuple),
    location=st.none() | st.builds(Location, st.floats(-90, 90), st.floats(-180, 180)),
    media=st.none()
    | st.builds(
        Media,
        kind=st.sampled_from(["image", "document", "video"]),
        url=st.just("https://x.example/a"),
        caption=st.text(max_size=1100),
        filename=st.text(max_size=20),
    ),
    contact=st.none() | st.builds(Contact, name=LABELS, phone=st.just("+62736123456")),
    choices_title=LABELS,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reply=REPLIES, to=st.sampled_from([RESIDENT, "081234567890", BSUID]))
def test_every_reply_is_accepted_by_meta(reply: Reply, to: str) -> None:
    bodies = render(reply, to)
    if reply.choices:
        # The resident can always answer: a widget, or numbered lines to reply to.
        last = [b for b in bodies if b["type"] in ("interactive", "text")][-1]
        assert last["type"] == "interactive" or f"{len(reply.choices)}. " in last["text"]["body"]
