"""The officers' inbox over HTTP: who may see what, sign-in, CSRF, the brake on guessing,
officers' actions and what they put in the store, complaints, labels, live updates."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from botcore.mailbox import Mailbox
from botcore.messages import Kind
from botcore.sessions import SQLiteStore, Turn
from botcore.spec import DialogBundle
from channels.app import MAILBOX, build_app
from channels.settings import Settings

RINA = "rina-7f3a9c1e5b2d4086"
BUDI = "budi-5c8e2a7f91d34b60"
RESIDENT = "whatsapp:6281234567890"
NIK = "1771010101900001"


@pytest.fixture
async def client(bundle: DialogBundle) -> AsyncIterator[TestClient[Any, Any]]:
    settings = Settings(
        store="memory://", inbox_token=f"Rina Marlina:{RINA}, Budi:{BUDI}, Ani:short"
    )
    app = build_app(settings, bundle)
    async with TestClient(TestServer(app)) as c:
        yield c


def store_of(client: TestClient[Any, Any]) -> SQLiteStore:
    assert client.app is not None
    store = client.app[MAILBOX].store
    assert isinstance(store, SQLiteStore)
    return store


async def ask(client: TestClient[Any, Any], question: str = "Bisa hari Sabtu?") -> int:
    context = [Turn(datetime.now(UTC).timestamp(), "in", question)]
    rid, _ = await store_of(client).request_operator(
        RESIDENT, {"pertanyaan": question}, context, datetime.now(UTC)
    )
    return rid


def csrf_in(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found[1]


async def sign_in(client: TestClient[Any, Any], token: str = RINA) -> str:
    page = await (await client.get("/inbox/login")).text()
    resp = await client.post(
        "/inbox/login", data={"csrf": csrf_in(page), "token": token}, allow_redirects=False
    )
    assert resp.status == 303, await resp.text()
    return csrf_in(await (await client.get("/inbox/")).text())


async def post(client: TestClient[Any, Any], path: str, **form: str) -> ClientResponse:
    return await client.post(path, data=form, allow_redirects=False)


async def test_nothing_personal_without_signing_in(client: TestClient[Any, Any]) -> None:
    rid = await ask(client, f"KTP saya hilang, NIK {NIK}")
    for path in ("/inbox/", f"/inbox/r/{rid}", "/inbox/complaints", "/inbox/audit"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"].startswith("/inbox/login")
        assert NIK not in await resp.text()
    assert (await client.get("/inbox/events")).status == 401
    resp = await post(client, f"/inbox/r/{rid}/reply", text="hai", csrf="x")
    assert resp.status == 401
    assert not store_of(client).db.execute("SELECT * FROM audit WHERE action = 'reply'").fetchall()


async def test_signing_in_sets_a_strict_cookie_and_a_new_session(
    client: TestClient[Any, Any],
) -> None:
    login = await client.get("/inbox/login")
    before = login.cookies["loket_inbox"].value
    resp = await client.post(
        "/inbox/login",
        data={"csrf": csrf_in(await login.text()), "token": RINA, "next": "/inbox/audit"},
        allow_redirects=False,
    )
    assert resp.status == 303 and resp.headers["Location"] == "/inbox/audit"
    cookie = resp.cookies["loket_inbox"]
    assert cookie.value != before  # no session fixation
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/inbox/"
    page = await client.get("/inbox/")
    assert "Rina Marlina" in await page.text()
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    audit = store_of(client).db.execute("SELECT officer, action FROM audit").fetchall()
    assert audit == [("Rina Marlina", "signin")]


async def test_a_sign_in_may_not_send_you_elsewhere(client: TestClient[Any, Any]) -> None:
    page = await (await client.get("/inbox/login")).text()
    resp = await client.post(
        "/inbox/login",
        data={"csrf": csrf_in(page), "token": RINA, "next": "//evil.example/inbox/"},
        allow_redirects=False,
    )
    assert resp.headers["Location"] == "/inbox/"


async def test_guessing_is_slowed_down(client: TestClient[Any, Any]) -> None:
    for _ in range(5):
        page = await (await client.get("/inbox/login")).text()
        resp = await post(client, "/inbox/login", csrf=csrf_in(page), token="tebak-tebakan-123456")
        assert resp.status == 401 and "Token tidak dikenal" in await resp.text()
    page = await (await client.get("/inbox/login")).text()
    resp = await post(client, "/inbox/login", csrf=csrf_in(page), token=RINA)  # right, but late
    assert resp.status == 429 and int(resp.headers["Retry-After"]) > 60
    assert "Terlalu banyak percobaan" in await resp.text()
    failed = (
        store_of(client)
        .db.execute("SELECT COUNT(*) FROM audit WHERE action = 'signin-failed'")
        .fetchone()
    )
    assert failed == (5,)


async def test_short_tokens_are_refused(client: TestClient[Any, Any]) -> None:
    page = await (await client.get("/inbox/login")).text()
    assert (await post(client, "/inbox/login", csrf=csrf_in(page), token="short")).status == 401


async def test_forms_need_their_csrf_token(client: TestClient[Any, Any]) -> None:
    rid = await ask(client)
    page = await (await client.get("/inbox/login")).text()
    assert (await post(client, "/inbox/login", token=RINA)).status == 403
    await post(client, "/inbox/login", csrf=csrf_in(page), token=RINA)
    resp = await post(client, f"/inbox/r/{rid}/take")
    assert resp.status == 403 and "kedaluwarsa" in await resp.text()
    resp = await post(client, f"/inbox/r/{rid}/take", csrf="forged")
    assert resp.status == 403
    assert store_of(client).db.execute("SELECT status FROM operator_requests").fetchone() == (
        "open",
    )


def officer_messages(client: TestClient[Any, Any]) -> list[tuple[str, str, str]]:
    """What the officers' actions put into the inbox for the worker: (action, officer, text)."""
    store = store_of(client)
    rows = store.db.execute("SELECT message FROM inbox ORDER BY id").fetchall()
    import json

    from botcore.messages import message_from_dict

    out = []
    for (raw,) in rows:
        m = message_from_dict(json.loads(raw))
        if m.kind == Kind.OPERATOR:
            out.append((m.payload, str(m.extra["officer"]), m.text))
    return out


async def test_take_reply_with_a_quick_reply_and_close(client: TestClient[Any, Any]) -> None:
    rid = await ask(client, "Bisa hari Sabtu?")
    csrf = await sign_in(client)
    queue = await (await client.get("/inbox/")).text()
    assert "Bisa hari Sabtu?" in queue and "+6281234567890" in queue and "menunggu" in queue
    assert (await post(client, f"/inbox/r/{rid}/take", csrf=csrf)).status == 303
    # Without the script, a reply that is only "/shortcut" is the quick reply itself.
    await post(client, f"/inbox/r/{rid}/reply", csrf=csrf, text="/ktp_hilang")
    await post(client, f"/inbox/r/{rid}/reply", csrf=csrf, text="  ")
    await post(client, f"/inbox/r/{rid}/close", csrf=csrf)
    sent = officer_messages(client)
    assert [a for a, _, _ in sent] == ["take", "reply", "close"]
    assert {o for _, o, _ in sent} == {"Rina Marlina"}
    assert sent[1][2].startswith("Untuk KTP-el yang hilang")
    row = (
        store_of(client)
        .db.execute(
            "SELECT status, officer, first_response_at >= taken_at, closed_at IS NOT NULL "
            "FROM operator_requests"
        )
        .fetchone()
    )
    assert row == ("closed", "Rina Marlina", 1, 1)
    page = await (await client.get(f"/inbox/r/{rid}")).text()
    assert "Balasan kosong tidak dikirim" in page
    assert "Ditutup oleh Rina Marlina" in page
    resp = await post(client, f"/inbox/r/{rid}/reply", csrf=csrf, text="masih ada?")
    assert "sudah ditutup" in await (await client.get(resp.headers["Location"])).text()


async def test_taking_over_from_a_colleague_says_so(client: TestClient[Any, Any]) -> None:
    rid = await ask(client)
    csrf = await sign_in(client, BUDI)
    await post(client, f"/inbox/r/{rid}/take", csrf=csrf)
    client.session.cookie_jar.clear()
    csrf = await sign_in(client, RINA)
    await post(client, f"/inbox/r/{rid}/take", csrf=csrf)
    page = await (await client.get(f"/inbox/r/{rid}")).text()
    assert "mengambil alih percakapan dari Budi" in page


async def test_the_transcript_shows_what_came_after_the_request(
    client: TestClient[Any, Any],
) -> None:
    rid = await ask(client, "Bisa hari Sabtu?")
    store = store_of(client)
    from botcore.messages import IncomingMessage

    Mailbox(store).accept(
        [IncomingMessage("whatsapp", "6281234567890", "halo, ada petugas?", message_id="w1")],
        datetime.now(UTC).timestamp() + 1,
    )
    csrf = await sign_in(client)
    await post(client, f"/inbox/r/{rid}/reply", csrf=csrf, text="Ada, saya Rina.")
    page = await (await client.get(f"/inbox/r/{rid}")).text()
    order = [page.index(t) for t in ("Bisa hari Sabtu?", "halo, ada petugas?", "Ada, saya Rina.")]
    assert order == sorted(order)


async def test_labels(client: TestClient[Any, Any]) -> None:
    rid = await ask(client)
    csrf = await sign_in(client)
    await post(client, f"/inbox/r/{rid}/label", csrf=csrf, label="dokumen kurang", on="1")
    await post(client, f"/inbox/r/{rid}/label", csrf=csrf, label="bukan label", on="1")
    page = await (await client.get(f"/inbox/r/{rid}")).text()
    assert "Label &#39;bukan label&#39; tidak dikenal" in page
    queue = await (await client.get("/inbox/")).text()
    assert '<span class="label">dokumen kurang</span>' in queue
    await post(client, f"/inbox/r/{rid}/label", csrf=csrf, label="dokumen kurang", on="0")
    assert '<span class="label">' not in await (await client.get("/inbox/")).text()
    actions = (
        store_of(client)
        .db.execute("SELECT action, detail FROM audit WHERE action LIKE '%label' ORDER BY id")
        .fetchall()
    )
    assert actions == [("label", "dokumen kurang"), ("unlabel", "dokumen kurang")]


async def test_complaints_page_hides_anonymous_residents(client: TestClient[Any, Any]) -> None:
    store = store_of(client)
    now = datetime.now(UTC)
    named = await store.open_complaint(
        "whatsapp:6281111111111", {"isi": "Antrean lama", "nama": "Budi Santoso"}, now
    )
    anonymous = await store.open_complaint(
        "telegram:99887766", {"isi": "Diminta uang di loket"}, now
    )
    csrf = await sign_in(client)
    page = await (await client.get("/inbox/complaints")).text()
    assert "Budi Santoso" in page and "+6281111111111" in page
    assert "Diminta uang di loket" in page and "99887766" not in page
    assert anonymous in page and named in page

    resp = await post(client, f"/inbox/complaints/{anonymous}", csrf=csrf, status="ditolak")
    page = await (await client.get(resp.headers["Location"])).text()
    assert "tulis alasan penolakan" in page
    await post(
        client,
        f"/inbox/complaints/{anonymous}",
        csrf=csrf,
        status="ditolak",
        reason="bukan wewenang kecamatan",
    )
    events = store.db.execute("SELECT ticket, status, officer FROM complaint_events").fetchall()
    assert events == [(anonymous, "ditolak", "Rina Marlina")]
    notices = [t for a, _, t in officer_messages(client) if a == "notify"]
    assert len(notices) == 1 and anonymous in notices[0] and "bukan wewenang" in notices[0]
    audit = store.db.execute("SELECT action, target FROM audit WHERE action LIKE 'complaint%'")
    assert audit.fetchall() == [("complaint:ditolak", anonymous)]


async def test_live_updates_tell_open_pages(client: TestClient[Any, Any]) -> None:
    await sign_in(client)
    async with client.get("/inbox/events") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert (await stream.content.readline()).startswith(b"retry:")
        await stream.content.readline()
        await ask(client, "Ada yang baru?")
        line = await asyncio.wait_for(stream.content.readline(), 5)
        assert line == b"event: changed\n"


async def test_metrics_show_response_and_resolution_times(client: TestClient[Any, Any]) -> None:
    store = store_of(client)
    now = datetime.now(UTC)
    rid = await ask(client)
    start = now.timestamp() - 1800
    store.db.execute(
        "UPDATE operator_requests SET created_at = ?, first_response_at = ?, closed_at = ?, "
        "status = 'closed', officer = 'Rina Marlina' WHERE id = ?",
        (start, start + 600, start + 1500, rid),
    )
    await sign_in(client)
    page = await (await client.get("/inbox/metrics")).text()
    assert "10 mnt" in page and "25 mnt" in page


async def test_metrics_endpoint_counts_without_personal_data(client: TestClient[Any, Any]) -> None:
    await ask(client, f"NIK saya {NIK}")
    resp = await client.get("/metrics")
    text = await resp.text()
    assert resp.status == 200
    assert 'loket_operator_requests{status="open"} 1' in text.splitlines()
    assert "loket_worker_up 1" in text and NIK not in text and "62812" not in text
