"""The officers' inbox in a real browser: a real `loket serve`, the fake WhatsApp Graph API,
Chromium. An officer signs in, takes a request, answers with a quick reply, sees the resident's
next message arrive without reloading, and closes; the resident gets every word on WhatsApp."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.channels.whatsapp.conftest import OFFICER, OFFICER_TOKEN, Server
from tests.fakes.whatsapp_api import RESIDENT, FakeGraphAPI


async def say(graph: FakeGraphAPI, text: str) -> None:
    assert (await graph.post_inbound(graph.text_message(RESIDENT, text)))[0] == 200


def last(graph: FakeGraphAPI) -> str:
    texts = graph.texts_to(RESIDENT)
    return texts[-1] if texts else ""


async def sign_in(page: Page, server: Server) -> None:
    await page.goto(f"{server.url}/inbox/")
    await expect(page).to_have_url(re.compile(r"/inbox/login\?next="))
    await page.get_by_label("Token petugas").fill(OFFICER_TOKEN)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page).to_have_url(f"{server.url}/inbox/")


async def test_an_officer_takes_answers_and_closes_in_the_browser(
    server: Server, graph: FakeGraphAPI, page: Page
) -> None:
    await say(graph, "petugas")
    await graph.wait_until(lambda: "Tanya petugas" in last(graph), 10)
    await say(graph, "Apakah perekaman KTP-el bisa hari Sabtu?")
    await graph.wait_until(lambda: "keluar dari antrean" in last(graph), 10)

    await sign_in(page, server)
    row = page.locator("table.queue tbody tr").first
    await expect(row).to_contain_text("perekaman KTP-el bisa hari Sabtu")
    await expect(row).to_contain_text("+6281234567890")
    await expect(row).to_contain_text("menunggu")
    await row.get_by_role("link").first.click()
    await expect(page.locator(".transcript")).to_contain_text("perekaman KTP-el bisa hari Sabtu")

    await page.get_by_role("button", name="Ambil").click()
    await graph.wait_until(lambda: OFFICER in last(graph), 10)
    await expect(page.locator(".meta")).to_contain_text(f"Ditangani {OFFICER}")

    # A quick reply: "/syarat" offers /syarat_ktp; Enter puts its text into the box.
    box = page.get_by_label(re.compile("Balasan ke warga"))
    await box.press_sequentially("/syarat")
    await expect(page.locator("#quick-list li")).to_have_count(1)
    await box.press("Enter")
    await expect(box).to_have_value(re.compile(r"^Syarat KTP-el baru: .*gratis\.$", re.S))
    await box.press("End")
    await box.press_sequentially(" Sabtu tidak buka.")
    await page.get_by_role("button", name="Kirim").click()
    await graph.wait_until(lambda: "Sabtu tidak buka." in last(graph), 10)
    assert last(graph).startswith(f"*{OFFICER}:* Syarat KTP-el baru")

    # The resident answers; the page shows it without reloading.
    await page.evaluate("window.marker = 'same page'")
    await say(graph, "Baik, terima kasih Bu")
    await expect(page.locator(".transcript")).to_contain_text("Baik, terima kasih Bu")
    assert await page.evaluate("window.marker") == "same page"

    await page.get_by_role("button", name="Tutup percakapan").click()
    await expect(page.locator("#queue")).to_contain_text("Tidak ada warga yang menunggu")
    await graph.wait_until(lambda: "Penilaian layanan" in last(graph), 10)

    await page.get_by_role("link", name="Log audit").click()
    audit = page.locator("table.audit")
    for action in ("signin", "take", "reply", "close"):
        await expect(audit).to_contain_text(action)
    rows = server.rows("SELECT officer, action FROM audit WHERE action != 'signin' ORDER BY id")
    assert rows == [(OFFICER, "take"), (OFFICER, "reply"), (OFFICER, "close")]
    [(first, closed)] = server.rows(
        "SELECT first_response_at IS NOT NULL, status FROM operator_requests"
    )
    assert first == 1 and closed == "closed"
