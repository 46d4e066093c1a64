"""WhatsApp end to end: Meta's fake posts to a real `loket serve`, replies reach the fake."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable

import aiohttp

from tests.channels.whatsapp.conftest import SECRET, VERIFY, Server
from tests.fakes.whatsapp_api import RESIDENT, FakeGraphAPI, meta_json, signature_for


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


async def test_handshake(server: Server) -> None:
    url = f"{server.url}/webhooks/whatsapp"
    good = {"hub.mode": "subscribe", "hub.challenge": "874512093", "hub.verify_token": VERIFY}
    async with aiohttp.ClientSession() as http:
        async with http.get(url, params=good) as resp:
            assert resp.status == 200
            assert resp.content_type == "text/plain"
            assert await resp.text() == "874512093"  # bare, not JSON-quoted
        for bad in (
            {**good, "hub.verify_token": "wrong"},
            {**good, "hub.mode": "unsubscribe"},
            {"hub.challenge": "1"},
        ):
            async with http.get(url, params=bad) as resp:
                assert resp.status == 403


async def test_a_whole_ektp_conversation_with_taps(server: Server, graph: FakeGraphAPI) -> None:
    assert (await graph.post_inbound(graph.text_message(RESIDENT, "halo")))[0] == 200
    [menu] = await graph.wait_for(1, to=RESIDENT)
    assert "Selamat datang" in menu.text
    assert ("ktp", "KTP-el") in menu.choices  # the main menu as a WhatsApp list

    await graph.post_inbound(graph.list_reply(RESIDENT, "ktp", "KTP-el"))
    ktp = (await graph.wait_for(2, to=RESIDENT))[1]
    assert "KTP-el" in ktp.text
    lost = next(cid for cid, title in ktp.choices if "hilang" in title.lower())

    await graph.post_inbound(graph.list_reply(RESIDENT, lost, "KTP-el hilang"))
    answer = (await graph.wait_for(3, to=RESIDENT))[2]
    assert "Kepolisian" in answer.text and "GRATIS" in answer.text
    # every inbound message is marked read once its reply goes out
    await graph.wait_until(lambda: len(graph.read_marks) == 3)


async def test_free_text_and_numbers_work_like_taps(server: Server, graph: FakeGraphAPI) -> None:
    await graph.post_inbound(graph.text_message(RESIDENT, "ktp ilang"))
    await graph.wait_until(lambda: any("Kepolisian" in t for t in graph.texts_to(RESIDENT)))
    await graph.post_inbound(graph.text_message(RESIDENT, "menu"))
    await graph.wait_until(lambda: "*Menu utama*" in graph.texts_to(RESIDENT)[-1])
    await graph.post_inbound(graph.text_message(RESIDENT, "1"))  # the first choice: KTP-el
    await graph.wait_until(lambda: graph.texts_to(RESIDENT)[-1].startswith("*KTP-el*"))


async def test_duplicate_delivery_is_answered_once(server: Server, graph: FakeGraphAPI) -> None:
    envelope = graph.text_message(RESIDENT, "halo")
    results = await asyncio.gather(*(graph.post_inbound(envelope) for _ in range(3)))
    assert [status for status, _ in results] == [200, 200, 200]
    await graph.post_inbound(envelope)
    await graph.wait_for(1, to=RESIDENT)
    await asyncio.sleep(0.5)
    assert len(graph.sent_to(RESIDENT)) == 1
    assert server.rows("SELECT COUNT(*) FROM inbox") == [(1,)]


async def test_forged_or_missing_signature_is_refused(server: Server, graph: FakeGraphAPI) -> None:
    envelope = graph.text_message(RESIDENT, "halo")
    assert (await graph.post_inbound(envelope, signature="sha256=" + "0" * 64))[0] == 401
    assert (await graph.post_inbound(envelope, sign=False))[0] == 401
    other = signature_for("not-the-secret", meta_json(envelope))
    assert (await graph.post_inbound(envelope, signature=other))[0] == 401
    await asyncio.sleep(0.3)
    assert graph.sent == []
    assert server.rows("SELECT COUNT(*) FROM inbox") == [(0,)]


async def test_signature_is_over_the_raw_escaped_bytes(server: Server, graph: FakeGraphAPI) -> None:
    raw = meta_json(graph.text_message(RESIDENT, "Syarat e-KTP/KK café @kantor 🙏"))
    assert b"\\/" in raw and b"\\u00e9" in raw
    assert (await graph.post_inbound(raw))[0] == 200
    await graph.wait_for(1, to=RESIDENT)


async def test_bad_bodies(server: Server, graph: FakeGraphAPI) -> None:
    # Signed but unreadable: 200, so Meta does not retry it for days; nothing recorded.
    for raw in (b"{not json", b"[]", b'{"object":"page"}'):
        assert (await graph.post_inbound(raw))[0] == 200
    # Over 3 MB: 413 before anything else.
    big = b'{"object":"whatsapp_business_account","entry":[],"x":"' + b"a" * (3 * 2**20) + b'"}'
    headers = {"X-Hub-Signature-256": signature_for(SECRET, big)}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.url}/webhooks/whatsapp", data=io.BytesIO(big), headers=headers) as resp,
    ):
        assert resp.status == 413
    assert server.rows("SELECT COUNT(*) FROM inbox") == [(0,)]
    health = await server.health()
    assert health["status"] == "ok"


async def test_batched_envelopes_answer_every_message(server: Server, graph: FakeGraphAPI) -> None:
    others = ["6281300000001", "6281300000002", "6281300000003"]
    batch = graph.batch(*(graph.text_message(p, "halo") for p in others), shape="entries")
    assert (await graph.post_inbound(batch))[0] == 200
    for phone in others:
        await graph.wait_for(1, to=phone)


async def test_media_gets_a_polite_answer(server: Server, graph: FakeGraphAPI) -> None:
    image = {
        "id": "880000000000001",
        "mime_type": "image/jpeg",
        "sha256": "x",
        "caption": "Foto KK",
    }
    await graph.post_inbound(graph.message(RESIDENT, "image", image))
    [reply] = await graph.wait_for(1, to=RESIDENT)
    assert "belum bisa membaca foto" in reply.text


async def test_injected_errors_end_in_delivery_in_order(
    server: Server, graph: FakeGraphAPI
) -> None:
    graph.inject(130429, recipient=RESIDENT)
    graph.inject(500, recipient=RESIDENT)
    graph.inject(131056, times=2, recipient=RESIDENT)
    graph.inject("drop", recipient=RESIDENT)
    for text in ("halo", "2", "menu", "5"):
        await graph.post_inbound(graph.text_message(RESIDENT, text))
    sent = await graph.wait_for(4, to=RESIDENT, timeout=20)
    assert "Selamat datang" in sent[0].text
    assert "Kartu Keluarga" in sent[1].text
    assert "Menu utama" in sent[2].text
    assert "Jam layanan" in sent[3].text
    assert graph.attempts[RESIDENT] >= 9  # 5 failures before 4 deliveries
    await eventually(lambda: server.rows("SELECT status FROM outbox") == [("sent",)] * 4)


async def test_permanent_errors_are_kept_visible(server: Server, graph: FakeGraphAPI) -> None:
    graph.inject(131026, recipient=RESIDENT)  # undeliverable: no retry
    await graph.post_inbound(graph.text_message(RESIDENT, "halo"))
    await eventually(
        lambda: server.rows("SELECT status, error_code FROM outbox") == [("failed", 131026)]
    )
    assert graph.attempts[RESIDENT] == 1
    assert (await server.health())["outbox_failed"] == 1


async def test_statuses_only_move_forward_and_131047_closes_the_window(
    server: Server, graph: FakeGraphAPI
) -> None:
    await graph.post_inbound(graph.text_message(RESIDENT, "halo"))
    [first] = await graph.wait_for(1, to=RESIDENT)
    wamid = first.wamid
    statuses = [(wamid, "read"), (wamid, "delivered"), (wamid, "sent"), (wamid, "delivered")]
    assert await graph.post_statuses(statuses) == 200
    await eventually(lambda: server.rows("SELECT status FROM outbox") == [("read",)])
    await asyncio.sleep(0.2)
    assert server.rows("SELECT status FROM outbox") == [("read",)]  # and it stays read
    # A later message fails with 131047: the window is marked closed until the resident writes.
    await graph.post_inbound(graph.text_message(RESIDENT, "menu"))
    [_, second] = await graph.wait_for(2, to=RESIDENT)
    assert await graph.post_statuses([(second.wamid, "failed", 131047)]) == 200
    await eventually(lambda: server.rows("SELECT closed FROM windows") == [(1,)])
    assert server.rows("SELECT status, error_code FROM outbox ORDER BY id")[1] == ("failed", 131047)


async def test_a_crash_loses_nothing_and_sends_nothing_twice(
    server: Server, graph: FakeGraphAPI
) -> None:
    graph.auto_status = True
    graph.retry_webhooks = 30.0  # Meta keeps retrying statuses while the bot is down
    residents = [f"62813100000{i:02d}" for i in range(12)]
    accepted: dict[str, int] = dict.fromkeys(residents, 0)

    async def resident(phone: str) -> None:
        for _ in range(6):
            try:
                status, _ = await graph.post_inbound(graph.text_message(phone, "menu"))
            except (aiohttp.ClientError, OSError):
                return  # the server is gone; Meta would retry, but that is not this test
            if status == 200:
                accepted[phone] += 1
            await asyncio.sleep(0.01)

    burst = asyncio.gather(*(resident(p) for p in residents))
    await asyncio.sleep(0.15)
    server.kill()
    await burst
    total = sum(accepted.values())
    assert total > 0
    await server.start()
    await graph.wait_until(lambda: len(graph.sent) >= total, timeout=30)
    await asyncio.sleep(1.0)
    for phone in residents:
        assert len(graph.sent_to(phone)) == accepted[phone], phone  # one reply per message
    wamids = [s.wamid for s in graph.sent]
    assert len(wamids) == len(set(wamids))
    pending = server.rows("SELECT COUNT(*) FROM inbox WHERE status != 'done'")
    assert pending == [(0,)]
    assert json.loads(json.dumps(await server.health()))["outbox_open"] == 0
