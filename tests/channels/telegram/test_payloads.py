"""Telegram updates as the Bot API sends them, read into loket's messages or skipped with why."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botcore.errors import InboundPayloadError
from botcore.messages import IncomingMessage, Kind
from channels.telegram.payloads import Update, parse_update

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telegram"
SITI = 5123456789
JSON = dict[str, Any]


def fixture(name: str) -> JSON:
    data: JSON = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def message(update: Update) -> IncomingMessage:
    assert update.message is not None and not update.ignored, update
    assert update.message.channel == "telegram"
    assert update.message.message_id == f"u{update.update_id}"
    return update.message


def text_update(text: str, chat: JSON | None = None, update_id: int = 1) -> JSON:
    chat = chat or {"id": SITI, "first_name": "Siti", "type": "private"}
    msg = {"message_id": 20, "from": {"id": SITI, "first_name": "Siti"}, "chat": chat}
    return {"update_id": update_id, "message": msg | {"date": 1767578400, "text": text}}


# -- every recorded update ---------------------------------------------------------------------

# (kind or None when ignored, text, payload, extra["tg_message_id"] or the ignored reason)
EXPECTED: dict[str, tuple[Kind | None, str, str, int | str]] = {
    "text": (Kind.TEXT, "menu", "", 11),
    "text_plain": (
        Kind.TEXT,
        "Anak saya Zoé lahir kemarin 👶 — apa syarat <b>akta</b> kelahiran & KK?",
        "",
        16,
    ),
    "edited_message": (Kind.TEXT, "syarat KK baru", "", 13),
    "callback_query": (Kind.CHOICE, "KTP-el", "svc:ktp", 12),
    "callback_query_inaccessible": (Kind.CHOICE, "", "svc:kk", 0),
    "location": (Kind.LOCATION, "", "-6.9175,107.6191", 15),
    "contact": (Kind.CONTACT, "", "6281234567890", 14),
    "photo": (Kind.MEDIA, "Foto KK lama", "AgACAgUAAxkBAAMRaFakePhotoLarge", 17),
    "document": (Kind.MEDIA, "Surat pengantar RT", "BQACAgUAAxkBAAMSaFakeDocument", 18),
    "group_message": (None, "", "", "group chat"),
    "channel_post": (None, "", "", "channel_post"),
    "my_chat_member": (None, "", "", "blocked by the user"),
}
EXPECTED_TYPES = {"edited_message": "edited_message"}


def test_every_fixture_is_covered() -> None:
    assert {p.stem for p in FIXTURES.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name: str) -> None:
    raw = (FIXTURES / f"{name}.json").read_bytes()
    update = parse_update(raw)
    assert update == parse_update(json.loads(raw))  # bytes and dicts read the same
    assert update.update_id == json.loads(raw)["update_id"]
    kind, text, payload, detail = EXPECTED[name]
    if kind is None:
        assert update.message is None and update.ignored == detail
        assert update.callback_query_id == ""
        assert update.blocked_chat == (str(SITI) if name == "my_chat_member" else "")
        return
    msg = message(update)
    assert (msg.kind, msg.text, msg.payload, msg.sender) == (kind, text, payload, str(SITI))
    assert msg.extra["chat_id"] == SITI and msg.extra["tg_message_id"] == detail
    assert msg.extra["name"] == "Siti" and update.blocked_chat == ""
    is_tap = name.startswith("callback_query")
    assert bool(update.callback_query_id) is is_tap
    expected_type = "callback_query" if is_tap else EXPECTED_TYPES.get(name, "message")
    assert msg.extra["type"] == expected_type


def test_text_extra_and_time() -> None:
    msg = message(parse_update(fixture("text")))
    assert msg.time == datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    assert msg.extra == {
        "chat_id": SITI,
        "name": "Siti",
        "username": "siti_warga",
        "language_code": "id",
        "tg_message_id": 11,
        "type": "message",
    }


def test_edited_message_is_new_text_keyed_by_its_update() -> None:
    update = parse_update(fixture("edited_message"))
    assert message(update).extra["type"] == "edited_message"
    assert update.message is not None and update.message.message_id == "u900000002"


def test_callback_query() -> None:
    update = parse_update(fixture("callback_query"))
    msg = message(update)
    assert update.callback_query_id == "4382916551087654321"
    assert msg.extra["type"] == "callback_query" and msg.extra["language_code"] == "id"
    assert msg.time == datetime(2026, 1, 5, 2, 0, 5, tzinfo=UTC)


def test_inaccessible_callback_has_no_time_nor_message_id() -> None:
    update = parse_update(fixture("callback_query_inaccessible"))
    msg = message(update)
    assert msg.time is None and msg.extra["tg_message_id"] == 0
    assert update.callback_query_id == "4382916551087654399"


def test_media_extra() -> None:
    doc = message(parse_update(fixture("document")))
    assert doc.extra["media_kind"] == "document" and doc.extra["mime_type"] == "application/pdf"
    assert doc.extra["filename"] == "surat_pengantar_rt.pdf"
    assert message(parse_update(fixture("photo"))).extra["media_kind"] == "photo"


@pytest.mark.parametrize("kind", ["voice", "audio", "video", "sticker", "animation", "video_note"])
def test_other_media(kind: str) -> None:
    body = text_update("")
    del body["message"]["text"]
    body["message"][kind] = {"file_id": f"F-{kind}", "file_unique_id": "U"}
    msg = message(parse_update(body))
    assert (msg.kind, msg.payload, msg.text) == (Kind.MEDIA, f"F-{kind}", "")


def test_venue_is_a_location_with_its_name() -> None:
    body = text_update("")
    del body["message"]["text"]
    loc = {"latitude": -3.7589, "longitude": 102.2680}
    body["message"] |= {
        "location": loc,
        "venue": {"location": loc, "title": "Kantor", "address": "Jl. X"},
    }
    msg = message(parse_update(body))
    assert (msg.kind, msg.payload, msg.text) == (Kind.LOCATION, "-3.7589,102.268", "Kantor, Jl. X")


def test_dice_is_unsupported_not_dropped() -> None:
    body = text_update("")
    del body["message"]["text"]
    body["message"]["dice"] = {"emoji": "🎲", "value": 3}
    msg = message(parse_update(body))
    assert (msg.kind, msg.payload) == (Kind.UNSUPPORTED, "dice")


# -- commands ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "text"),
    [
        ("/start", "menu"),
        ("/start ref_qr_kantor", "menu"),  # a deep-link parameter, not the resident's words
        ("/menu", "menu"),
        ("/Menu", "menu"),
        ("/petugas", "petugas"),
        ("/bantuan", "bantuan"),
        ("/menu@kec_contoh_bot", "menu"),
        ("/jam@kec_contoh_bot", "jam"),
        ("/jam", "jam"),
        ("/petugas tolong dibantu", "petugas tolong dibantu"),
        ("/syarat ktp", "syarat ktp"),
        ("/ktp-hilang", "/ktp-hilang"),  # no command: kept as typed
        ("menu /start", "menu /start"),
        ("/", "/"),
        ("1/2", "1/2"),
    ],
)
def test_commands(typed: str, text: str) -> None:
    assert message(parse_update(text_update(typed))).text == text


# -- ignored -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["group", "supergroup", "channel"])
def test_not_private_chats_are_ignored(kind: str) -> None:
    update = parse_update(text_update("/menu", {"id": -100123, "title": "RT", "type": kind}))
    assert update.message is None and update.ignored == "group chat"


def test_group_callback_is_ignored_but_answerable() -> None:
    body = fixture("callback_query")
    body["callback_query"]["message"]["chat"] = {"id": -4123, "title": "RT", "type": "group"}
    update = parse_update(body)
    assert update.message is None and update.ignored == "group chat"
    assert update.callback_query_id == "4382916551087654321"


def test_game_button_without_data_is_ignored_but_answerable() -> None:
    body = fixture("callback_query")
    del body["callback_query"]["data"]
    body["callback_query"]["game_short_name"] = "kuis"
    update = parse_update(body)
    assert update.message is None and update.ignored
    assert update.callback_query_id == "4382916551087654321"


def test_inline_mode_callback_is_ignored_but_answerable() -> None:
    body = fixture("callback_query")
    del body["callback_query"]["message"]
    body["callback_query"]["inline_message_id"] = "AAAAAFake"
    update = parse_update(body)
    assert update.message is None and update.ignored == "callback without message"
    assert update.callback_query_id == "4382916551087654321"


@pytest.mark.parametrize(
    "kind",
    [
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "poll",
        "poll_answer",
        "chat_join_request",
        "chat_member",
        "message_reaction",
        "message_reaction_count",
        "business_message",
        "something_new_in_bot_api_11",
    ],
)
def test_other_update_kinds_are_ignored_by_name(kind: str) -> None:
    update = parse_update({"update_id": 5, kind: {"id": "x", "chat": {"id": SITI}}})
    assert update == Update(5, None, ignored=kind)


def test_unblock_is_ignored_without_a_blocked_chat() -> None:
    body = fixture("my_chat_member")
    member = body["my_chat_member"]
    member["old_chat_member"]["status"], member["new_chat_member"]["status"] = "kicked", "member"
    update = parse_update(body)
    assert update.ignored == "unblocked" and update.blocked_chat == "" and update.message is None


def test_edits_without_text_are_ignored() -> None:
    """Live locations are moved by an edit every few seconds: none of them is new input."""
    body = fixture("location")
    body["edited_message"] = body.pop("message") | {"edit_date": 1767578600}
    update = parse_update(body)
    assert update.message is None and update.ignored == "edited_message without text"


def test_service_message_is_ignored() -> None:
    body = text_update("")
    del body["message"]["text"]
    body["message"]["pinned_message"] = {"message_id": 3}
    assert parse_update(body).ignored == "message without content"


def test_lone_surrogate_is_replaced_so_the_text_can_be_stored() -> None:
    raw = json.dumps(text_update("syarat \ud83d KTP")).encode()
    text = message(parse_update(raw)).text
    text.encode("utf-8")
    assert text.startswith("syarat ") and text.endswith(" KTP")


# -- malformed bodies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"{", b"\xff\xfe", b"[]", b"null", b"{}", b'{"update_id": "1"}'],
    ids=["empty", "text", "truncated", "not-utf8", "list", "null", "no-id", "id-string"],
)
def test_only_a_body_without_json_or_update_id_raises(body: bytes) -> None:
    with pytest.raises(InboundPayloadError):
        parse_update(body)


def test_boolean_update_id_raises() -> None:
    with pytest.raises(InboundPayloadError):
        parse_update({"update_id": True, "message": {}})


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1},
        {"update_id": 1, "message": None},
        {"update_id": 1, "message": []},
        {"update_id": 1, "message": {"text": "halo"}},
        {"update_id": 1, "message": {"chat": {"type": "private"}, "text": "halo"}},
        {"update_id": 1, "message": {"chat": {"id": "5", "type": "private"}, "message_id": 1}},
        {"update_id": 1, "message": {"chat": {"id": 5, "type": "private"}, "message_id": 1}},
        {"update_id": 1, "callback_query": "tap"},
        {"update_id": 1, "callback_query": {"id": "q", "message": {"chat": 5}, "data": "x"}},
        {"update_id": 1, "my_chat_member": {"chat": {"type": "private"}}},
    ],
)
def test_weird_shapes_are_ignored_never_raised(update: JSON) -> None:
    result = parse_update(update)
    assert result.message is None and result.ignored


def test_malformed_callback_is_still_answerable() -> None:
    update = parse_update({"update_id": 1, "callback_query": {"id": "q1", "message": {"chat": 5}}})
    assert update.callback_query_id == "q1" and update.ignored.startswith("malformed")


def test_location_that_is_not_a_number_is_ignored() -> None:
    body = fixture("location")
    body["message"]["location"]["latitude"] = "NaN"
    assert parse_update(body).ignored == "malformed message: ValueError"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
KEY_NAMES = (
    "message_id chat id type from date text data message location latitude longitude "
    "contact phone_number photo file_id width height document caption reply_markup "
    "inline_keyboard callback_data new_chat_member status venue title first_name"
)
KEYS = st.sampled_from(KEY_NAMES.split())
SHAPES = st.recursive(
    JSON_VALUES | st.sampled_from(["private", "group", "kicked", "member", "/start@bot x"]),
    lambda inner: st.dictionaries(KEYS, inner, max_size=6) | st.lists(inner, max_size=3),
    max_leaves=25,
)


@given(
    update_id=st.integers(),
    kind=st.sampled_from(["message", "edited_message", "callback_query", "my_chat_member", "x"]),
    value=SHAPES,
)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_any_shape_with_an_update_id_never_raises(update_id: int, kind: str, value: Any) -> None:
    update = parse_update({"update_id": update_id, kind: value})
    assert update.update_id == update_id
    assert (update.message is None) == bool(update.ignored)
    if update.message is not None:
        json.dumps(update.message.extra)  # ready for the inbox
