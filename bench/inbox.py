"""How fast the officers' inbox answers, and how much it sends, with a full queue.

An in-process `loket serve` app (memory store) with 50 residents waiting, each with ten turns
of context, and one signed-in officer. Each page is fetched 100 times over loopback; the
median and 90th percentile of the time to the whole body, and the page's size, are printed,
beside the time of /healthz in the same run as the baseline (a page that does no work).
Usage: python bench/inbox.py [--waiting 50] [--repeat 100]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from botcore.sessions import Turn
from botcore.spec import load_dialogs
from channels.app import MAILBOX, build_app
from channels.settings import Settings

TOKEN = "bench-officer-token-0123456789"


async def main(waiting: int, repeat: int) -> int:
    root = Path(__file__).resolve().parent.parent
    settings = Settings(store="memory://", inbox_token=f"Rina:{TOKEN}", reload=False)
    app = build_app(settings, load_dialogs(root / "dialogs"))
    store = app[MAILBOX].store
    now = datetime.now(UTC)
    context = [Turn(now.timestamp(), "in", "Apakah perekaman KTP-el bisa hari Sabtu?")] * 10
    for i in range(waiting):
        await store.request_operator(
            f"whatsapp:62812{i:08d}", {"pertanyaan": f"Pertanyaan {i}"}, context, now
        )
    async with TestClient(TestServer(app)) as client:
        page = await (await client.get("/inbox/login")).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        await client.post("/inbox/login", data={"csrf": csrf[1], "token": TOKEN})
        print(f"{waiting} residents waiting, {repeat} fetches a page")
        for path in ["/healthz", "/inbox/", f"/inbox/r/{waiting // 2}", "/inbox/metrics"]:
            times, size = [], 0
            for _ in range(repeat):
                t0 = time.perf_counter()
                resp = await client.get(path)
                size = len(await resp.read())
                times.append(time.perf_counter() - t0)
                assert resp.status == 200, path
            times.sort()
            print(
                f"{path:<16} median {statistics.median(times) * 1000:5.1f} ms, "
                f"p90 {times[int(len(times) * 0.9) - 1] * 1000:5.1f} ms, {size / 1024:5.1f} KiB"
            )
        for name in ("inbox.css", "inbox.js"):
            body = await (await client.get(f"/inbox/static/{name}")).read()
            print(f"{name:<16} {len(body) / 1024:.1f} KiB (no build step, cached by the browser)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--waiting", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.waiting, args.repeat)))
