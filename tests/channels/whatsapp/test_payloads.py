"""Webhook bodies as Meta sends them, read into loket's messages, statuses and skipped items."""

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
from channels.whatsapp.payloads import Batch, Ignored, StatusUpdate, parse_webhook
from tests.fakes.whatsapp_api import meta_json

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "whatsapp"
PNID = "109000000000001"
RESIDENT = "6281234567890"
SITI = "6281300001111"
NEW_NUMBER = "6285700002222"
BSUID = "ID.8123456789012345678"
JSON = dict[str, Any]


def parse(name: str, phone_number_id: str = PNID) -> Batch:
    return parse_webhook((FIXTURES / name).read_bytes(), phone_number_id)


def only(batch: Batch) -> IncomingMessage:
    assert len(batch.messages) == 1 and not batch.ignored, batch
    return batch.messages[0]


def envelope(value: JSON, field: str = "messages", pnid: str = PNID) -> JSON:
    metadata = {"display_phone_number": "6282100000001", "phone_number_id": pnid}
    change = {"value": {"messaging_product": "whatsapp", "metadata": metadata} | value}
    entry = {"id": "104000000000001", "changes": [change | {"field": field}]}
    return {"object": "whatsapp_business_account", "entry": [entry]}


def message(type_: str, payload: Any = None, **fields: Any) -> JSON:
    msg: JSON = {"from": RESIDENT, "id": "wamid.T1", "timestamp": "1767578400", "type": type_}
    if payload is not None:
        msg[type_] = payload
    return msg | fields


def one(msg: Any) -> Batch:
    contacts = [{"profile": {"name": "Budi Santoso"}, "wa_id": RESIDENT}]
    return parse_webhook(meta_json(envelope({"contacts": contacts, "messages": [msg]})), PNID)


# -- every recorded body -----------------------------------------------------------------------

# (messages, statuses, ignored, errors) per fixture; a new fixture must be added here.
COUNTS = {
    "audio.json": (1, 0, 0, 0),
    "batch.json": (3, 3, 0, 0),
    "bsuid_text.json": (1, 0, 0, 0),
    "button_reply.json": (1, 0, 0, 0),
    "contacts.json": (1, 0, 0, 0),
    "document.json": (1, 0, 0, 0),
    "edit.json": (1, 0, 0, 0),
    "errors.json": (0, 0, 0, 1),
    "image.json": (1, 0, 0, 0),
    "list_reply.json": (1, 0, 0, 0),
    "location.json": (1, 0, 0, 0),
    "other_phone_number_id.json": (0, 0, 1, 0),
    "reaction.json": (0, 0, 1, 0),
    "revoke.json": (0, 0, 1, 0),
    "smb_message_echoes.json": (0, 0, 1, 0),
    "statuses_out_of_order.json": (0, 5, 0, 0),
    "sticker.json": (1, 0, 0, 0),
    "system.json": (0, 0, 1, 0),
    "template_button.json": (1, 0, 0, 0),
    "text.json": (1, 0, 0, 0),
    "unsupported.json": (1, 0, 0, 1),
    "video.json": (1, 0, 0, 0),
}


def test_every_fixture_is_covered() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(COUNTS)


PRIVATE_KEYS = frozenset(
    {
        "body",
        "caption",
        "phone",
        "from",
        "wa_id",
        "to",
        "name",
        "filename",
        "address",
        "recipient_id",
    }
)


def private_strings(obj: Any, key: str = "") -> set[str]:
    """Numbers and words a resident sent, anywhere in a fixture."""
    found: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            found |= private_strings(v, k)
    elif isinstance(obj, list):
        for v in obj:
            found |= private_strings(v, key)
    elif isinstance(obj, str) and key in PRIVATE_KEYS:
        found.add(obj)
    return found


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_fixture(name: str) -> None:
    batch = parse(name)
    counts = (len(batch.messages), len(batch.statuses), len(batch.ignored), len(batch.errors))
    assert counts == COUNTS[name]
    assert parse_webhook(json.loads((FIXTURES / name).read_bytes()), PNID) == batch
    for msg in batch.messages:
        assert msg.channel == "whatsapp" and msg.message_id.startswith("wamid.")
        assert msg.time is not None and msg.time.tzinfo is UTC
    # Skipped items and errors are logged: no resident's number or words may be in them.
    logged = [f"{i.reason} {i.detail}" for i in batch.ignored] + list(batch.errors)
    secrets = private_strings(json.loads((FIXTURES / name).read_bytes()))
    secrets |= {RESIDENT, SITI, NEW_NUMBER, BSUID}
    assert not [(s, line) for s in secrets for line in logged if s in line]


def test_text_with_accents_slash_at_and_emoji() -> None:
    msg = only(parse("text.json"))
    assert msg.kind is Kind.TEXT
    assert msg.text == (
        "Halo kak, syarat KTP-el/KK apa saja? Email saya budi@contoh.id, café sebelah 🙏"
    )
    assert (msg.sender, msg.message_id, msg.key) == (
        RESIDENT,
        "wamid.IN0001",
        f"whatsapp:{RESIDENT}",
    )
    assert msg.time == datetime(2026, 1, 5, 2, 1, tzinfo=UTC)
    assert msg.extra == {"type": "text", "wa_id": RESIDENT, "name": "Budi Santoso"}


@pytest.mark.parametrize("raw", [True, False], ids=["ascii-escaped", "utf-8"])
def test_curly_quotes_and_emoji_decode_either_way(raw: bool) -> None:
    text = "“Surat pindah” sudah jadi? 👨‍👩‍👧 é"
    obj = envelope({"messages": [message("text", {"body": text})]})
    body = meta_json(obj) if raw else json.dumps(obj, ensure_ascii=False).encode()
    assert parse_webhook(body, PNID).messages[0].text == text


def test_lone_surrogate_is_replaced_so_the_text_can_be_stored() -> None:
    body = meta_json(envelope({"messages": [message("text", {"body": "x"})]}))
    body = body.replace(b'"body":"x"', b'"body":"ok \\ud83d"')
    text = parse_webhook(body, PNID).messages[0].text
    assert text.startswith("ok ") and text.encode("utf-8")


def test_button_reply() -> None:
    msg = only(parse("button_reply.json"))
    assert (msg.kind, msg.payload, msg.text) == (Kind.CHOICE, "menu:ktp", "Layanan KTP")
    assert msg.extra["context_id"] == "wamid.OUT0001"


def test_list_reply() -> None:
    msg = only(parse("list_reply.json"))
    assert (msg.kind, msg.payload, msg.text) == (Kind.CHOICE, "svc:kk_baru", "KK baru")
    assert msg.extra["type"] == "interactive"


def test_template_quick_reply_routes_on_payload() -> None:
    msg = only(parse("template_button.json"))
    assert (msg.kind, msg.payload, msg.text) == (
        Kind.CHOICE,
        "antrian:konfirmasi",
        "Ya, saya datang",
    )
    assert msg.extra["context_id"] == "wamid.TPL0001"


def test_location() -> None:
    msg = only(parse("location.json"))
    assert (msg.kind, msg.payload) == (Kind.LOCATION, "-6.9175,107.6191")
    assert msg.text == "Rumah, Jl. Merdeka No. 1"


@pytest.mark.parametrize(
    ("name", "media_id", "caption", "mime"),
    [
        ("image.json", "880000000000001", "Foto KK", "image/jpeg"),
        ("document.json", "880000000000002", "Surat pengantar", "application/pdf"),
        ("audio.json", "880000000000003", "", "audio/ogg; codecs=opus"),
        ("video.json", "880000000000004", "Jalan rusak depan kantor desa", "video/mp4"),
        ("sticker.json", "880000000000005", "", "image/webp"),
    ],
)
def test_media(name: str, media_id: str, caption: str, mime: str) -> None:
    msg = only(parse(name))
    assert (msg.kind, msg.payload, msg.text) == (Kind.MEDIA, media_id, caption)
    assert msg.extra["mime_type"] == mime
    assert msg.extra["media_kind"] == msg.extra["type"] == name.removesuffix(".json")


def test_document_keeps_its_filename() -> None:
    assert only(parse("document.json")).extra["filename"] == "surat_pengantar_rt.pdf"


def test_contact_card() -> None:
    msg = only(parse("contacts.json"))
    assert (msg.kind, msg.payload, msg.text) == (Kind.CONTACT, "+62 813-0000-1111", "")
    assert msg.extra["contact_name"] == "Siti Aminah"


def test_unsupported_is_answered_and_its_error_reported() -> None:
    batch = parse("unsupported.json")
    assert only(batch).kind is Kind.UNSUPPORTED
    assert batch.messages[0].payload == "poll_update"
    assert batch.errors == ("131051 Message type unknown",)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("reaction.json", "reaction"),
        ("revoke.json", "revoke"),
        ("system.json", "system user_changed_number"),
        ("smb_message_echoes.json", "smb_message_echoes"),
        ("other_phone_number_id.json", "other phone_number_id"),
    ],
)
def test_not_for_the_engine(name: str, reason: str) -> None:
    batch = parse(name)
    assert batch.messages == () and [i.reason for i in batch.ignored] == [reason]


def test_other_number_is_masked_in_the_detail_and_ours_when_configured() -> None:
    (ignored,) = parse("other_phone_number_id.json").ignored
    assert "1090*********99" in ignored.detail and "6281*******90" in ignored.detail
    assert only(parse("other_phone_number_id.json", "109000000000999")).text


def test_bsuid_sender_without_phone_number() -> None:
    msg = only(parse("bsuid_text.json"))
    assert (msg.sender, msg.key) == (BSUID, f"whatsapp:{BSUID}")
    assert msg.extra == {"type": "text", "user_id": BSUID, "name": "Budi"}


def test_batch_yields_every_message_and_status_across_entries_and_changes() -> None:
    batch = parse("batch.json")
    assert [(m.message_id, m.sender, m.extra["name"]) for m in batch.messages] == [
        ("wamid.IN0030", RESIDENT, "Budi Santoso"),
        ("wamid.IN0031", SITI, "Siti Aminah"),
        ("wamid.IN0032", RESIDENT, "Budi Santoso"),
    ]
    assert batch.messages[2].kind is Kind.CHOICE
    assert [(s.message_id, s.status, s.recipient) for s in batch.statuses] == [
        ("wamid.OUT0010", "sent", RESIDENT),
        ("wamid.OUT0010", "delivered", RESIDENT),
        ("wamid.OUT0011", "read", SITI),
    ]


def test_statuses_keep_their_order_and_duplicates_with_the_failure_code() -> None:
    statuses = parse("statuses_out_of_order.json").statuses
    assert [s.status for s in statuses] == ["read", "delivered", "delivered", "sent", "failed"]
    assert statuses[0] == StatusUpdate("wamid.OUT0001", "read", 1767578430, RESIDENT)
    failed = statuses[-1]
    assert (failed.message_id, failed.error_code) == ("wamid.OUT0009", 131047)
    assert failed.error_title == "Re-engagement message"


def test_status_for_a_bsuid_with_callback_data() -> None:
    st_ = {"id": "wamid.O", "status": "delivered", "timestamp": "1767578401"}
    st_ |= {"recipient_user_id": BSUID, "biz_opaque_callback_data": "out:42"}
    (status,) = parse_webhook(envelope({"statuses": [st_]}), PNID).statuses
    assert (status.recipient, status.callback_data, status.error_code) == (BSUID, "out:42", None)


def test_value_level_errors() -> None:
    assert parse("errors.json").errors == ("130429 Rate limit hit",)


def test_edit_becomes_text_with_its_own_id() -> None:
    msg = only(parse("edit.json"))
    assert (msg.kind, msg.text, msg.message_id) == (
        Kind.TEXT,
        "Syarat bikin KK apa saja?",
        "wamid.IN0020",
    )
    assert msg.extra["edited_id"] == "wamid.IN0001" and msg.extra["type"] == "edit"


def test_edit_with_the_text_directly_in_edit() -> None:
    edit = {"original_message_id": "wamid.IN0001", "type": "text", "text": {"body": "KK baru"}}
    assert only(one(message("edit", edit))).text == "KK baru"


def test_edit_of_a_caption_is_ignored() -> None:
    edit = {"original_message_id": "wamid.X", "message": {"type": "image", "image": {"id": "1"}}}
    assert [i.reason for i in one(message("edit", edit)).ignored] == ["edit image"]


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        (message("interactive", {"type": "nfm_reply", "nfm_reply": {}}), "type nfm_reply"),
        (message("order", {"catalog_id": "1", "product_items": []}), "type order"),
        (message("request_welcome"), "type request_welcome"),
        (message("poll", {"q": "?"}), "type poll"),
        ({"id": "wamid.T1", "timestamp": "1", "type": "text", "text": {"body": "hi"}}, "no sender"),
        ({"from": RESIDENT, "timestamp": "1", "type": "text", "text": {"body": "hi"}}, "no id"),
        ({"from": RESIDENT, "id": "wamid.T1", "text": {"body": "hi"}}, "no type"),
        (message("interactive", "not an object"), "malformed message"),
        (message("location", {"latitude": "north", "longitude": 1}), "malformed message"),
        (message("contacts", {}), "malformed message"),
        ("a string", "malformed message"),
    ],
)
def test_skipped_messages(msg: Any, reason: str) -> None:
    batch = one(msg)
    assert batch.messages == () and [i.reason for i in batch.ignored] == [reason]
    assert "hi" not in batch.ignored[0].detail and RESIDENT not in batch.ignored[0].detail


def test_other_fields_are_ignored_by_name() -> None:
    batch = parse_webhook(envelope({"event": "FLAGGED"}, field="account_update"), PNID)
    assert [i.reason for i in batch.ignored] == ["field account_update"]


def test_unreadable_timestamp_keeps_the_message() -> None:
    msg = only(one(message("text", {"body": "x"}, timestamp="9" * 30)))
    assert msg.time is None and msg.text == "x"


# -- malformed bodies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe{",
        b"[" * 100_000,
        b"[]",
        b'"whatsapp"',
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account"}',
        b'{"object": "whatsapp_business_account", "entry": {"id": "1"}}',
    ],
)
def test_only_a_body_that_is_no_envelope_raises(body: bytes) -> None:
    with pytest.raises(InboundPayloadError) as err:
        parse_webhook(body, PNID)
    assert RESIDENT not in str(err.value)


def test_mixed_batch_keeps_the_good_parts() -> None:
    good = envelope(
        {
            "contacts": [{"profile": {"name": "Budi"}, "wa_id": RESIDENT}],
            "messages": [
                message("text", {"body": "satu"}),
                {"from": RESIDENT, "id": "wamid.T2", "timestamp": "1"},  # no type
                "junk",
                message("text", {"body": "dua"}, id="wamid.T3"),
            ],
            "statuses": [
                {"id": "wamid.O1", "status": "read", "timestamp": "1", "recipient_id": RESIDENT},
                {"id": 5},
                [],
            ],
            "errors": ["junk", {"code": 131000, "title": "Something went wrong"}],
        }
    )
    good_entry = good["entry"][0]
    good_entry["changes"] += [
        "a string change",
        {"field": "messages", "value": "a string value"},
        {"field": "messages", "value": {"metadata": {"phone_number_id": PNID}, "messages": {}}},
        {"value": {}},
    ]
    body = {
        "object": "whatsapp_business_account",
        "entry": ["junk", {"id": "1", "changes": "x"}, {"id": "1"}, good_entry],
    }
    batch = parse_webhook(body, PNID)
    assert [m.text for m in batch.messages] == ["satu", "dua"]
    assert [s.message_id for s in batch.statuses] == ["wamid.O1"]
    assert batch.errors == ("131000 Something went wrong",)
    assert sorted(i.reason for i in batch.ignored) == [
        *["malformed change"] * 4,
        *["malformed entry"] * 3,
        "malformed message",
        *["malformed status"] * 2,
        "no type",
    ]


def test_a_thousand_updates_in_one_post() -> None:
    msgs = [message("text", {"body": f"m{i}"}, id=f"wamid.{i}") for i in range(1000)]
    batch = parse_webhook(meta_json(envelope({"messages": msgs})), PNID)
    assert [m.text for m in batch.messages] == [f"m{i}" for i in range(1000)]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["from", "from_user_id", "id", "timestamp", "type", "text", "interactive", "button", "location",
     "image", "contacts", "edit", "system", "unsupported", "errors", "context", "reaction"]
)  # fmt: skip
MESSAGES = st.dictionaries(KEYS, JSON_VALUES | st.sampled_from(["text", "interactive", "edit"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    messages=st.lists(MESSAGES | JSON_VALUES, max_size=4),
    statuses=st.lists(st.dictionaries(st.sampled_from(["id", "status", "errors"]), JSON_VALUES)),
    contacts=JSON_VALUES,
    errors=JSON_VALUES,
)
def test_any_shape_inside_an_envelope_never_raises(
    messages: Any, statuses: Any, contacts: Any, errors: Any
) -> None:
    value = {"contacts": contacts, "messages": messages, "statuses": statuses, "errors": errors}
    batch = parse_webhook(envelope(value), PNID)
    assert isinstance(batch, Batch)
    assert all(isinstance(i, Ignored) for i in batch.ignored)
