"""Self-tests of the fake WhatsApp Cloud API, so that channel tests can trust it."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import importlib.util
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, ServerDisconnectedError, web

from .whatsapp_api import (
    RESIDENT,
    WINDOW_SECONDS,
    FakeGraphAPI,
    StatusItem,
    meta_json,
    signature_for,
)

TOKEN = "EAAG-test-token"
SECRET = "app-secret-123"
SITI = "6281300001111"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
DELETE = object()

TEXT: dict[str, Any] = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "+6281234567890",
    "type": "text",
    "text": {"preview_url": False, "body": "Syarat KTP-el: fotokopi KK."},
}
BUTTONS: dict[str, Any] = {
    "messaging_product": "whatsapp",
    "to": "+6281234567890",
    "type": "interactive",
    "interactive": {
        "type": "button",
        "header": {"type": "text", "text": "Kantor Kecamatan"},
        "body": {"text": "Silakan pilih layanan:"},
        "footer": {"text": "Balas MENU kapan saja"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "menu:ktp", "title": "Layanan KTP"}},
                {"type": "reply", "reply": {"id": "menu:kk", "title": "Kartu Keluarga"}},
                {"type": "reply", "reply": {"id": "menu:lain", "title": "Lainnya"}},
            ]
        },
    },
}
LIST: dict[str, Any] = {
    "messaging_product": "whatsapp",
    "to": "+6281234567890",
    "type": "interactive",
    "interactive": {
        "type": "list",
        "header": {"type": "text", "text": "Layanan Kependudukan"},
        "body": {"text": "Pilih layanan yang Anda butuhkan."},
        "action": {
            "button": "Lihat layanan",
            "sections": [
                {
                    "title": "Dokumen",
                    "rows": [
                        {"id": "svc:ktp_baru", "title": "KTP-el baru", "description": "Usia 17"},
                        {"id": "svc:kk_baru", "title": "KK baru"},
                    ],
                },
                {"title": "Surat", "rows": [{"id": "svc:sktm", "title": "Surat Ket. Tidak Mampu"}]},
            ],
        },
    },
}
OTHERS: list[tuple[str, Any, str]] = [
    ("location", {"latitude": "-6.9147", "longitude": "107.6098", "name": "Kantor"}, "Kantor"),
    ("image", {"link": "https://kec.example.go.id/alur.png", "caption": "Alur KTP"}, "Alur KTP"),
    ("document", {"id": "990000000000001", "filename": "f1.pdf", "caption": "F-1.01"}, "F-1.01"),
    ("template", {"name": "pengingat_antrian", "language": {"code": "id"}}, "[template "),
    ("contacts", [{"name": {"formatted_name": "Kantor Kecamatan"}}], "Kantor Kecamatan"),
]


def tweak(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `body` with the dotted `path` set to `value` (or deleted)."""
    out = copy.deepcopy(body)
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    node = out
    for key in keys[:-1]:
        node = node[key]
    if value is DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return out


def button(i: int, title: str | None = None) -> dict[str, Any]:
    return {"type": "reply", "reply": {"id": f"b{i}", "title": title or f"Pilihan {i}"}}


def rows(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"id": f"r{i}", "title": f"Baris {i}"} for i in range(start, start + n)]


@dataclass
class Post:
    raw: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.raw)


class Receiver:
    """Stands in for the bot's webhook: records raw bodies and headers, answers `status`."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.status = 200
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._arrived = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.Response:
        self.posts.append(Post(await request.read(), dict(request.headers)))
        self._arrived.set()
        return web.Response(status=self.status, text="EVENT_RECEIVED")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhook/whatsapp", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/webhook/whatsapp"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, count: int) -> list[Post]:
        async with asyncio.timeout(5):
            while len(self.posts) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.posts


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    bot = Receiver()
    await bot.start()
    yield bot
    await bot.close()


@pytest.fixture
async def fake(receiver: Receiver) -> AsyncIterator[FakeGraphAPI]:
    async with FakeGraphAPI(TOKEN, app_secret=SECRET, webhook_url=receiver.url) as api:
        api.open_window(RESIDENT)
        yield api


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def send(
    http: ClientSession, fake: FakeGraphAPI, body: Any, token: str | None = TOKEN
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    url = f"{fake.base_url}/{fake.phone_number_id}/messages"
    async with http.post(url, json=body, headers=headers) as resp:
        text = await resp.text()
        try:
            return resp.status, json.loads(text)
        except ValueError:
            return resp.status, text


def assert_error(status: int, reply: Any, code: int, http_status: int = 400) -> None:
    assert status == http_status, reply
    error = reply["error"]
    assert error["code"] == code, error
    assert error["type"] == "OAuthException"
    assert isinstance(error["fbtrace_id"], str)
    if code != 190:
        assert error["message"].startswith(f"(#{code}) ")
        assert error["error_data"]["messaging_product"] == "whatsapp"
        assert error["error_data"]["details"]


# -- sending ----------------------------------------------------------------------------------


async def test_text_send_returns_meta_success_envelope(
    fake: FakeGraphAPI, http: ClientSession
) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:") and fake.base_url.endswith("/v23.0")
    status, reply = await send(http, fake, TEXT)
    assert status == 200
    wamid = reply["messages"][0]["id"]
    assert wamid.startswith("wamid.")
    assert reply == {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+6281234567890", "wa_id": RESIDENT}],
        "messages": [{"id": wamid}],
    }
    _, again = await send(http, fake, tweak(TEXT, "to", RESIDENT))
    assert again["messages"][0]["id"] != wamid
    assert [s.wamid for s in fake.sent] == [wamid, again["messages"][0]["id"]]
    assert [s.index for s in fake.sent] == [0, 1]
    assert fake.texts_to("+62 812-3456-7890") == ["Syarat KTP-el: fotokopi KK."] * 2


async def test_every_send_type_is_accepted_and_readable(
    fake: FakeGraphAPI, http: ClientSession
) -> None:
    assert (await send(http, fake, BUTTONS))[0] == 200
    assert (await send(http, fake, LIST))[0] == 200
    for kind, payload, _ in OTHERS:
        body = {"messaging_product": "whatsapp", "to": "+6281234567890", "type": kind}
        status, reply = await send(http, fake, body | {kind: payload})
        assert status == 200, reply
    texts = fake.texts_to(RESIDENT)
    assert texts[:2] == ["Silakan pilih layanan:", "Pilih layanan yang Anda butuhkan."]
    for text, (_, _, expected) in zip(texts[2:], OTHERS, strict=True):
        assert text.startswith(expected)
    assert fake.sent[0].choices[0] == ("menu:ktp", "Layanan KTP")
    assert [c[0] for c in fake.sent[1].choices] == ["svc:ktp_baru", "svc:kk_baru", "svc:sktm"]


async def test_limits_accept_exact_maxima(fake: FakeGraphAPI, http: ClientSession) -> None:
    at_max = [
        tweak(TEXT, "text.body", "x" * 4096),
        tweak(BUTTONS, "interactive.action.buttons.0.reply.title", "t" * 20),
        tweak(BUTTONS, "interactive.action.buttons.0.reply.id", "i" * 256),
        tweak(BUTTONS, "interactive.body.text", "b" * 1024),
        tweak(LIST, "interactive.action.button", "l" * 20),
        tweak(LIST, "interactive.action.sections.0.rows", rows(7)),
        tweak(LIST, "interactive.action.sections.0.rows.0.title", "t" * 24),
        tweak(LIST, "interactive.action.sections.0.rows.0.description", "d" * 72),
        tweak(LIST, "interactive.action.sections.0.rows.0.id", "i" * 200),
        tweak(LIST, "interactive.action.sections.0.title", "s" * 24),
    ]
    for body in at_max:
        status, reply = await send(http, fake, body)
        assert status == 200, reply


LIMIT_CASES: list[tuple[str, dict[str, Any], int]] = [
    ("text 4097 chars", tweak(TEXT, "text.body", "x" * 4097), 131009),
    ("empty text", tweak(TEXT, "text.body", ""), 131008),
    ("no text object", tweak(TEXT, "text", DELETE), 131008),
    ("no messaging_product", tweak(TEXT, "messaging_product", DELETE), 100),
    ("wrong messaging_product", tweak(TEXT, "messaging_product", "sms"), 100),
    ("no to", tweak(TEXT, "to", DELETE), 131008),
    ("local 0812 number", tweak(TEXT, "to", "081234567890"), 100),
    ("letters in to", tweak(TEXT, "to", "budi"), 100),
    ("own number", tweak(TEXT, "to", "+6282100000001"), 100),
    ("unknown type", tweak(TEXT, "type", "poll"), 100),
    ("unknown parameter", tweak(TEXT, "colour", "red"), 100),
    (
        "4 buttons",
        tweak(BUTTONS, "interactive.action.buttons", [button(i) for i in range(4)]),
        131009,
    ),
    ("no buttons", tweak(BUTTONS, "interactive.action.buttons", []), 131008),
    (
        "button title 21",
        tweak(BUTTONS, "interactive.action.buttons.0.reply.title", "t" * 21),
        131009,
    ),
    (
        "duplicate titles",
        tweak(BUTTONS, "interactive.action.buttons", [button(1, "Sama"), button(2, "Sama")]),
        131009,
    ),
    ("duplicate ids", tweak(BUTTONS, "interactive.action.buttons.1.reply.id", "menu:ktp"), 131009),
    ("button id 257", tweak(BUTTONS, "interactive.action.buttons.0.reply.id", "i" * 257), 131009),
    ("button body 1025", tweak(BUTTONS, "interactive.body.text", "b" * 1025), 131009),
    ("no body", tweak(BUTTONS, "interactive.body", DELETE), 131008),
    ("button type url", tweak(BUTTONS, "interactive.action.buttons.0.type", "url"), 100),
    ("list label 21", tweak(LIST, "interactive.action.button", "l" * 21), 131009),
    ("list without label", tweak(LIST, "interactive.action.button", DELETE), 131008),
    (
        "11 rows over 2 sections",
        tweak(
            LIST,
            "interactive.action.sections",
            [{"title": "A", "rows": rows(6)}, {"title": "B", "rows": rows(5, 6)}],
        ),
        131009,
    ),
    (
        "11 sections",
        tweak(
            LIST,
            "interactive.action.sections",
            [{"title": f"S{i}", "rows": rows(1, i)} for i in range(11)],
        ),
        131009,
    ),
    ("row title 25", tweak(LIST, "interactive.action.sections.0.rows.0.title", "t" * 25), 131009),
    (
        "row description 73",
        tweak(LIST, "interactive.action.sections.0.rows.0.description", "d" * 73),
        131009,
    ),
    ("row id 201", tweak(LIST, "interactive.action.sections.0.rows.0.id", "i" * 201), 131009),
    (
        "duplicate row ids",
        tweak(LIST, "interactive.action.sections.1.rows.0.id", "svc:kk_baru"),
        131009,
    ),
    ("section title 25", tweak(LIST, "interactive.action.sections.0.title", "s" * 25), 131009),
    ("untitled of 2 sections", tweak(LIST, "interactive.action.sections.1.title", DELETE), 131008),
    ("empty section", tweak(LIST, "interactive.action.sections.1.rows", []), 131008),
]


@pytest.mark.parametrize(
    ("body", "code"), [c[1:] for c in LIMIT_CASES], ids=[c[0] for c in LIMIT_CASES]
)
async def test_invalid_bodies_are_rejected_with_meta_codes(
    fake: FakeGraphAPI, http: ClientSession, body: dict[str, Any], code: int
) -> None:
    status, reply = await send(http, fake, body)
    assert_error(status, reply, code)
    assert fake.sent == []
    assert fake.rejected[-1].code == code


@pytest.mark.parametrize(
    ("kind", "payload", "code"),
    [
        ("location", {"longitude": 107.6}, 131008),
        ("location", {"latitude": "north", "longitude": 107.6}, 100),
        ("location", {"latitude": 91, "longitude": 107.6}, 131009),
        ("image", {"caption": "tanpa berkas"}, 131008),
        ("image", {"link": "ftp://x/y.png"}, 131009),
        ("document", {"id": "1", "caption": "c" * 1025}, 131009),
        ("template", {"name": "pengingat_antrian"}, 131008),
        ("contacts", [{"phones": []}], 131008),
    ],
)
async def test_other_types_are_validated(
    fake: FakeGraphAPI, http: ClientSession, kind: str, payload: Any, code: int
) -> None:
    body = {"messaging_product": "whatsapp", "to": "+6281234567890", "type": kind, kind: payload}
    assert_error(*await send(http, fake, body), code)


async def test_auth_is_required(fake: FakeGraphAPI, http: ClientSession) -> None:
    assert_error(*await send(http, fake, TEXT, token=None), 190, http_status=401)
    assert_error(*await send(http, fake, TEXT, token="wrong"), 190, http_status=401)
    assert fake.sent == [] and fake.attempts[RESIDENT] == 2
    url = f"{fake.base_url}/109000000000999/messages"
    async with http.post(url, json=TEXT, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
        assert_error(resp.status, await resp.json(), 100)


async def test_non_json_body_is_invalid(fake: FakeGraphAPI, http: ClientSession) -> None:
    url = f"{fake.base_url}/{fake.phone_number_id}/messages"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with http.post(url, data=b"to=6281234567890", headers=headers) as resp:
        assert_error(resp.status, await resp.json(), 100)


# -- 24-hour window -----------------------------------------------------------------------------


async def test_window_closed_rejects_free_form_but_not_templates(
    fake: FakeGraphAPI, http: ClientSession
) -> None:
    assert_error(*await send(http, fake, tweak(TEXT, "to", "+" + SITI)), 131047)
    template = {"name": "pengingat_antrian", "language": {"code": "id"}}
    body = {"messaging_product": "whatsapp", "to": SITI, "type": "template", "template": template}
    assert (await send(http, fake, body))[0] == 200
    fake.open_window(SITI, at=fake.clock() - WINDOW_SECONDS - 1)  # wrote 24 h + 1 s ago
    assert_error(*await send(http, fake, tweak(TEXT, "to", SITI)), 131047)
    fake.open_window("+" + SITI)
    assert (await send(http, fake, tweak(TEXT, "to", SITI)))[0] == 200
    fake.close_window(SITI)
    assert_error(*await send(http, fake, tweak(TEXT, "to", SITI)), 131047)
    fake.enforce_window = False
    assert (await send(http, fake, tweak(TEXT, "to", SITI)))[0] == 200


async def test_inbound_message_opens_the_window(
    fake: FakeGraphAPI, http: ClientSession, receiver: Receiver
) -> None:
    assert not fake.window_open(SITI)
    status, text = await fake.post_inbound(fake.text_message("+" + SITI, "Halo"))
    assert (status, text) == (200, "EVENT_RECEIVED")
    assert fake.window_open(SITI)
    assert (await send(http, fake, tweak(TEXT, "to", SITI)))[0] == 200


async def test_async_window_error_accepts_then_posts_failed_status(
    fake: FakeGraphAPI, http: ClientSession, receiver: Receiver
) -> None:
    fake.window_error = "async"
    status, reply = await send(http, fake, tweak(TEXT, "to", SITI))
    assert status == 200
    [post] = await receiver.wait_for(1)
    [st] = post.json()["entry"][0]["changes"][0]["value"]["statuses"]
    assert st["id"] == reply["messages"][0]["id"]
    assert st["status"] == "failed" and st["errors"][0]["code"] == 131047
    assert fake.texts_to(SITI) == []  # the resident never saw it
    await fake.wait_until(lambda: fake.webhook_results == [200])


# -- read marks, injection ----------------------------------------------------------------------


async def test_mark_as_read_and_typing(fake: FakeGraphAPI, http: ClientSession) -> None:
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN0002"}
    assert await send(http, fake, read) == (200, {"success": True})
    typing = read | {"typing_indicator": {"type": "text"}}
    assert await send(http, fake, typing) == (200, {"success": True})
    assert [(m.message_id, m.typing) for m in fake.read_marks] == [
        ("wamid.IN0002", False),
        ("wamid.IN0002", True),
    ]
    assert_error(*await send(http, fake, tweak(read, "message_id", DELETE)), 131008)
    assert fake.sent == [] and sum(fake.attempts.values()) == 0


@pytest.mark.parametrize(
    ("code", "http_status"),
    [(130429, 400), (131056, 400), (131047, 400), (131000, 500), (131016, 500), (190, 401)],
)
async def test_injected_graph_errors(
    fake: FakeGraphAPI, http: ClientSession, code: int, http_status: int
) -> None:
    fake.inject(code, times=2)
    assert_error(*await send(http, fake, TEXT), code, http_status)
    assert_error(*await send(http, fake, TEXT), code, http_status)
    assert (await send(http, fake, TEXT))[0] == 200
    assert fake.attempts[RESIDENT] == 3 and len(fake.sent) == 1


async def test_injection_for_one_recipient_and_bare_500(
    fake: FakeGraphAPI, http: ClientSession
) -> None:
    fake.enforce_window = False
    fake.inject(131056, recipient="+" + SITI)
    fake.inject(500, on="read")
    assert (await send(http, fake, TEXT))[0] == 200
    assert_error(*await send(http, fake, tweak(TEXT, "to", SITI)), 131056)
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"}
    status, body = await send(http, fake, read)
    assert status == 500 and isinstance(body, str) and "<html>" in body
    assert (await send(http, fake, tweak(TEXT, "to", SITI)))[0] == 200
    assert fake.attempts == {RESIDENT: 1, SITI: 2}


async def test_injected_dropped_connection(fake: FakeGraphAPI, http: ClientSession) -> None:
    fake.inject("drop")
    with pytest.raises(ServerDisconnectedError):
        await send(http, fake, TEXT)
    assert (await send(http, fake, TEXT))[0] == 200
    assert fake.attempts[RESIDENT] == 2


# -- waiting ----------------------------------------------------------------------------------


async def test_wait_for_wakes_on_arrival(fake: FakeGraphAPI, http: ClientSession) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await send(http, fake, TEXT)
        await send(http, fake, BUTTONS)

    task = asyncio.create_task(later())
    sent = await fake.wait_for(2, timeout=2, to="+6281234567890")
    assert [s.type for s in sent] == ["text", "interactive"]
    await task
    with pytest.raises(AssertionError, match="timed out"):
        await fake.wait_until(lambda: len(fake.read_marks) > 0, timeout=0.05)


# -- webhooks to the bot ----------------------------------------------------------------------


def verify(post: Post) -> None:
    """What the bot must do: HMAC over the raw bytes, constant-time compare."""
    expected = "sha256=" + hmac.new(SECRET.encode(), post.raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(post.headers["X-Hub-Signature-256"], expected)


async def test_post_statuses_is_signed_and_keeps_order(
    fake: FakeGraphAPI, http: ClientSession, receiver: Receiver
) -> None:
    _, reply = await send(http, fake, TEXT | {"biz_opaque_callback_data": "conv/42"})
    wamid = reply["messages"][0]["id"]
    items: list[StatusItem] = [(wamid, "read"), (wamid, "delivered"), (wamid, "delivered")]
    items.append((wamid, "failed", 131047))
    assert await fake.post_statuses(items) == 200
    [post] = receiver.posts
    verify(post)
    assert post.headers["Content-Type"] == "application/json"
    assert b"\\/" in post.raw and b"/" not in post.raw.replace(b"\\/", b"")
    body = post.json()
    assert body["object"] == "whatsapp_business_account"
    [entry] = body["entry"]
    assert entry["id"] == "104000000000001"
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["metadata"] == {
        "display_phone_number": "6282100000001",
        "phone_number_id": "109000000000001",
    }
    statuses = value["statuses"]
    assert [s["status"] for s in statuses] == ["read", "delivered", "delivered", "failed"]
    assert all(s["recipient_id"] == RESIDENT and s["id"] == wamid for s in statuses)
    assert all(isinstance(s["timestamp"], str) for s in statuses)
    assert statuses[0]["biz_opaque_callback_data"] == "conv/42"
    assert statuses[3]["errors"][0]["code"] == 131047 and "pricing" not in statuses[3]
    receiver.status = 500
    assert await fake.post_statuses([(wamid, "read")]) == 500


async def test_auto_status_posts_sent_then_delivered(
    fake: FakeGraphAPI, http: ClientSession, receiver: Receiver
) -> None:
    fake.auto_status = True
    _, reply = await send(http, fake, TEXT)
    posts = await receiver.wait_for(2)
    for post in posts:
        verify(post)
    states = [p.json()["entry"][0]["changes"][0]["value"]["statuses"][0] for p in posts]
    assert [(s["id"], s["status"]) for s in states] == [
        (reply["messages"][0]["id"], "sent"),
        (reply["messages"][0]["id"], "delivered"),
    ]
    assert states[0]["pricing"]["category"] == "service"


async def test_post_inbound_escapes_like_meta_and_signs_raw_bytes(
    fake: FakeGraphAPI, receiver: Receiver
) -> None:
    body = "café KTP/KK budi@contoh.id 🙏"
    envelope = fake.text_message("+6281234567890", body, name="Budi Santoso")
    await fake.post_inbound(envelope)
    [post] = receiver.posts
    verify(post)
    post.raw.decode("ascii")
    assert b"caf\\u00e9" in post.raw and b"KTP\\/KK" in post.raw and b"\\ud83d\\ude4f" in post.raw
    assert post.raw == meta_json(envelope)
    # A bot that re-serialises before hashing gets a different digest: the point of the test.
    assert json.dumps(post.json()).encode() != post.raw
    value = post.json()["entry"][0]["changes"][0]["value"]
    [msg] = value["messages"]
    assert msg["from"] == RESIDENT and msg["text"]["body"] == body and msg["type"] == "text"
    assert re.fullmatch(r"\d{10}", msg["timestamp"])
    assert value["contacts"] == [{"profile": {"name": "Budi Santoso"}, "wa_id": RESIDENT}]


async def test_post_inbound_signature_options(fake: FakeGraphAPI, receiver: Receiver) -> None:
    raw = (FIXTURES / "text.json").read_bytes()
    await fake.post_inbound(raw)
    await fake.post_inbound(raw, sign=False)
    await fake.post_inbound(raw, signature="sha256=" + "0" * 64)
    first, unsigned, forged = receiver.posts
    assert first.raw == raw and first.headers["X-Hub-Signature-256"] == signature_for(SECRET, raw)
    assert "X-Hub-Signature-256" not in unsigned.headers
    assert forged.headers["X-Hub-Signature-256"] == "sha256=" + "0" * 64


async def test_builders_and_batches(fake: FakeGraphAPI, http: ClientSession) -> None:
    _, reply = await send(http, fake, BUTTONS)
    tap = fake.button_reply(RESIDENT, "menu:ktp", "Layanan KTP")
    [msg] = tap["entry"][0]["changes"][0]["value"]["messages"]
    assert msg["interactive"]["button_reply"] == {"id": "menu:ktp", "title": "Layanan KTP"}
    assert msg["context"] == {"from": "6282100000001", "id": reply["messages"][0]["id"]}
    pick = fake.list_reply(SITI, "svc:sktm", "Surat Ket. Tidak Mampu", description="SKTM")
    text = fake.text_message(RESIDENT, "Halo")
    status = fake.statuses([(reply["messages"][0]["id"], "delivered")])
    ids = {
        m["id"]
        for env in (tap, pick, text)
        for m in env["entry"][0]["changes"][0]["value"]["messages"]
    }
    assert len(ids) == 3

    by_entry = fake.batch(tap, pick, status)
    assert len(by_entry["entry"]) == 3
    by_change = fake.batch(tap, pick, status, shape="changes")
    assert [len(e["changes"]) for e in by_change["entry"]] == [3]
    merged = fake.batch(tap, pick, text, status, shape="messages")
    value = merged["entry"][0]["changes"][0]["value"]
    assert [m["type"] for m in value["messages"]] == ["interactive", "interactive", "text"]
    assert [c["wa_id"] for c in value["contacts"]] == [RESIDENT, SITI]
    assert value["statuses"][0]["status"] == "delivered"


async def test_bsuid_users(fake: FakeGraphAPI, http: ClientSession, receiver: Receiver) -> None:
    bsuid = "ID.8123456789012345678"
    envelope = fake.text_message(bsuid, "Halo")
    value = envelope["entry"][0]["changes"][0]["value"]
    assert "from" not in value["messages"][0] and value["messages"][0]["from_user_id"] == bsuid
    assert value["contacts"][0] == {"profile": {"name": "Budi"}, "user_id": bsuid}
    await fake.post_inbound(envelope)
    body = {"messaging_product": "whatsapp", "recipient": bsuid, "text": {"body": "Halo juga"}}
    status, reply = await send(http, fake, body)
    assert status == 200 and reply["contacts"] == [{"input": bsuid, "user_id": bsuid}]
    assert fake.texts_to(bsuid) == ["Halo juga"]


async def test_media_lookup_and_download(fake: FakeGraphAPI, http: ClientSession) -> None:
    media_id = fake.add_media(b"%PDF-1.4 fake", "application/pdf")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with http.get(f"{fake.base_url}/{media_id}", headers=auth) as resp:
        info = await resp.json()
    assert info["mime_type"] == "application/pdf" and info["id"] == media_id
    async with http.get(info["url"]) as resp:
        assert resp.status == 401
    async with http.get(info["url"], headers=auth) as resp:
        assert await resp.read() == b"%PDF-1.4 fake"
    async with http.get(f"{fake.base_url}/404000", headers=auth) as resp:
        assert_error(resp.status, await resp.json(), 100)


# -- recorded fixtures ------------------------------------------------------------------------

FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.json"))


def test_all_expected_fixtures_exist() -> None:
    expected = {
        "text", "button_reply", "list_reply", "template_button", "location", "image",
        "document", "audio", "video", "sticker", "contacts", "reaction", "unsupported",
        "system", "bsuid_text", "smb_message_echoes", "other_phone_number_id", "batch",
        "statuses_out_of_order", "errors", "edit", "revoke",
    }  # fmt: skip
    assert {n.removesuffix(".json") for n in FIXTURE_NAMES} == expected
    readme = (FIXTURES / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in FIXTURE_NAMES)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_is_meta_serialised(name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    raw.decode("ascii")  # \uXXXX escapes only
    body = json.loads(raw)
    assert meta_json(body) == raw  # compact, and every "/" escaped
    assert b"/" not in raw.replace(b"\\/", b"")
    assert body["object"] == "whatsapp_business_account"
    for entry in body["entry"]:
        assert entry["id"] == "104000000000001"
        for change in entry["changes"]:
            assert change["value"]["messaging_product"] == "whatsapp"
            for msg in change["value"].get("messages", []):
                assert isinstance(msg["timestamp"], str) and msg["id"].startswith("wamid.")
                assert msg["type"] in msg


def test_fixture_specifics() -> None:
    def value(name: str) -> dict[str, Any]:
        body = json.loads((FIXTURES / name).read_bytes())
        return body["entry"][0]["changes"][0]["value"]  # type: ignore[no-any-return]

    raw = (FIXTURES / "text.json").read_bytes()
    assert all(s in raw for s in (b"\\u00e9", b"\\/", b"@", b"\\ud83d"))
    bsuid = value("bsuid_text.json")
    assert "from" not in bsuid["messages"][0] and "wa_id" not in bsuid["contacts"][0]
    assert bsuid["messages"][0]["from_user_id"].startswith("ID.")
    assert value("other_phone_number_id.json")["metadata"]["phone_number_id"] != "109000000000001"
    batch = json.loads((FIXTURES / "batch.json").read_bytes())
    assert len(batch["entry"]) == 2 and len(batch["entry"][0]["changes"]) == 2
    mixed = batch["entry"][1]["changes"][0]["value"]
    assert mixed["messages"] and mixed["statuses"]
    states = [s["status"] for s in value("statuses_out_of_order.json")["statuses"]]
    assert states.index("read") < states.index("delivered") and states.count("delivered") == 2
    assert "messages" not in value("errors.json") and value("errors.json")["errors"]
    echoes = json.loads((FIXTURES / "smb_message_echoes.json").read_bytes())
    assert echoes["entry"][0]["changes"][0]["field"] == "smb_message_echoes"


def test_generator_is_deterministic_and_matches_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.write(tmp_path):
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), path.name
