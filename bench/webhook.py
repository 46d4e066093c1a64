"""Webhook throughput and latency of `loket serve` against a bare aiohttp app, with wrk.

1. Saturation: wrk (1 thread, 50 connections) posts signed WhatsApp text messages from many
   residents, first to a bare aiohttp app that only answers 200, then to `loket serve`
   (SQLite store, fake Graph API on loopback). Every body is distinct and carries its own
   X-Hub-Signature-256 (signed here; wrk's Lua has no HMAC, so it reads them from a file).
2. Latency: an open-loop generator offers 1,000 requests/s for a few seconds to `loket serve`
   and records how long each 200 took.
3. Every accepted message must be answered at the fake Graph API.
Prints requests/s, the ratio, p50/p99, and exits non-zero below the floors.
Usage: python bench/webhook.py [--seconds 10] [--rate 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.whatsapp_api import (  # noqa: E402
    PHONE_NUMBER_ID,
    FakeGraphAPI,
    meta_json,
    signature_for,
)

SECRET = "bench-secret"
TOKEN = "bench-token"
FLOORS = {"ratio": 0.5, "p50 ms": 3.0}
LUA = """
local bodies, sigs, i = {}, {}, 0
function init(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\\t", 1, true)
    sigs[#sigs + 1] = line:sub(1, tab - 1)
    bodies[#bodies + 1] = line:sub(tab + 1)
  end
end
function request()
  i = i + 1
  if i > #bodies then i = 1 end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["X-Hub-Signature-256"] = sigs[i]}, bodies[i])
end
"""
FAKE = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from tests.fakes.whatsapp_api import PHONE_NUMBER_ID, FakeGraphAPI
async def main():
    graph = FakeGraphAPI(sys.argv[2], PHONE_NUMBER_ID)
    graph.enforce_window = False
    await graph.start()
    print(graph.base_url, flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""
BARE_APP = """
import sys
from aiohttp import web
async def ok(request):
    await request.read()
    return web.Response(text="OK")
app = web.Application(client_max_size=3 * 1024 * 1024)
app.router.add_post("/webhooks/whatsapp", ok)
app.router.add_get("/healthz", lambda r: web.json_response({"status": "ok"}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bodies(graph: FakeGraphAPI, count: int, start: int) -> list[tuple[str, bytes]]:
    out = []
    for n in range(start, start + count):
        resident = f"62813{n % 20000:08d}"
        raw = meta_json(graph.text_message(resident, "halo", wamid=f"wamid.BENCH{n:09d}"))
        out.append((signature_for(SECRET, raw), raw))
    return out


async def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(400):
            if proc.poll() is not None:
                raise RuntimeError("server exited")
            try:
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("server did not start")


async def wrk(url: str, script: Path, data: Path, seconds: int) -> float:
    proc = await asyncio.create_subprocess_exec(
        "wrk",
        "-t1",
        "-c50",
        f"-d{seconds}s",
        "-s",
        str(script),
        f"{url}/webhooks/whatsapp",
        "--",
        str(data),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out = (await proc.communicate())[0].decode()
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if match is None or non2xx:
        raise RuntimeError(f"wrk failed:\n{out}")
    return float(match[1])


async def drain(url: str) -> float:
    """Wait until every accepted message is answered and delivered; seconds it took."""
    t0 = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        while time.perf_counter() - t0 < 600:
            async with http.get(f"{url}/healthz") as resp:
                health = await resp.json()
            if health["inbox_pending"] == 0 and health["outbox_open"] == 0:
                break
            await asyncio.sleep(0.2)
    return time.perf_counter() - t0


async def open_loop(url: str, items: list[tuple[str, bytes]], rate: int) -> list[float]:
    """Send at a fixed rate whatever the answers do; return each 200's latency in ms."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(sig: str, raw: bytes) -> None:
            t0 = time.perf_counter()
            async with http.post(
                f"{url}/webhooks/whatsapp",
                data=raw,
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig},
            ) as resp:
                await resp.read()
                if resp.status == 200:
                    latencies.append((time.perf_counter() - t0) * 1000)

        start = time.perf_counter()
        tasks = []
        for n, (sig, raw) in enumerate(items):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(sig, raw)))
        await asyncio.gather(*tasks)
    return latencies


def ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed: run `make bench` (it installs it) or `apt-get install -y wrk`"
        )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--latency-seconds", type=int, default=5)
    args = parser.parse_args()
    ensure_wrk()
    graph = FakeGraphAPI(TOKEN, PHONE_NUMBER_ID, app_secret=SECRET)  # builds bodies only
    tmp = Path(tempfile.mkdtemp(prefix="loket-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        count = args.seconds * 15_000  # more than either server can take: no body repeats
        script, data = tmp / "sign.lua", tmp / "bodies.tsv"
        script.write_text(LUA)
        with data.open("wb") as f:
            for sig, raw in bodies(graph, count, 0):
                f.write(sig.encode() + b"\t" + raw + b"\n")

        bare_port = free_port()
        bare = subprocess.Popen([sys.executable, "-c", BARE_APP, str(bare_port)])
        procs.append(bare)
        bare_url = f"http://127.0.0.1:{bare_port}"
        await wait_healthy(bare_url, bare)
        bare_rps = await wrk(bare_url, script, data, args.seconds)
        bare.terminate()

        # The fake Graph API runs in its own process, so it does not slow the load generator.
        fake = subprocess.Popen(
            [sys.executable, "-c", FAKE, str(ROOT), TOKEN], stdout=subprocess.PIPE
        )
        procs.append(fake)
        assert fake.stdout is not None
        graph_url = fake.stdout.readline().decode().strip()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "LOKET_STORE": f"sqlite:///{tmp}/loket.db",
            "LOKET_DIALOGS": str(ROOT / "dialogs"),
            "WHATSAPP_VERIFY_TOKEN": "v",
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_ACCESS_TOKEN": TOKEN,
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_API_BASE": graph_url,
        }
        loket = subprocess.Popen(
            [sys.executable, "-m", "channels.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        procs.append(loket)
        await wait_healthy(url, loket)
        loket_rps = await wrk(url, script, data, args.seconds)
        drained_after = await drain(url)

        latency_items = bodies(graph, args.rate * args.latency_seconds, count)
        latencies = await open_loop(url, latency_items, args.rate)
        await drain(url)
        import sqlite3

        with sqlite3.connect(tmp / "loket.db") as db:
            accepted = db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]
            answered = db.execute("SELECT COUNT(DISTINCT reply_to) FROM outbox").fetchone()[0]
            delivered = db.execute(
                "SELECT COUNT(DISTINCT reply_to) FROM outbox WHERE status = 'sent'"
            ).fetchone()[0]
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)

    ratio = loket_rps / bare_rps
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"bare aiohttp app : {bare_rps:9,.0f} requests/s")
    print(
        f"loket serve      : {loket_rps:9,.0f} requests/s  ratio {ratio:.2f} "
        f"(floor {FLOORS['ratio']}; 200 only after the inbox commit)"
    )
    print(
        f"at {args.rate} requests/s for {args.latency_seconds} s: p50 {p50:.2f} ms, "
        f"p99 {p99:.2f} ms over {len(latencies)} answers (floor p50 {FLOORS['p50 ms']} ms)"
    )
    print(
        f"accepted {accepted} messages; answered {answered}; replies delivered to the fake "
        f"for {delivered} (the saturation backlog drained {drained_after:.1f} s after wrk)"
    )
    failed = []
    if ratio < FLOORS["ratio"]:
        failed.append("ratio")
    if p50 > FLOORS["p50 ms"]:
        failed.append("p50")
    if not accepted == answered == delivered:
        failed.append("unanswered messages")
    if failed:
        print("BELOW FLOOR: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
