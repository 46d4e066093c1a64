"""Chromium driven by Playwright (async API), launched from Debian's `chromium` package.

`make test` and `.ci/run` install the package; Playwright never downloads a browser. A machine
without Chromium fails these tests with a message saying how to install it: they are not
skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

# The browser tests drive a real `loket serve` against the fake Graph API.
from tests.channels.whatsapp.conftest import graph, server

__all__ = ["browser", "graph", "page", "server"]

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def chromium() -> str:
    path = os.environ.get("LOKET_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium is missing: `make test` installs it (apt-get install chromium), "
            "or set LOKET_CHROMIUM to a Chromium executable",
            pytrace=False,
        )
    return path


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=chromium(), headless=True, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1200, "height": 900}, locale="id-ID")
    context.set_default_timeout(15_000)
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()
