"""The `loket` command: chat, check, test, serve, officers' tools and editors' reports."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from botcore.convtest import run_tests
from botcore.engine import Engine
from botcore.errors import BotError, DialogSpecError, Problem
from botcore.matching import Normaliser
from botcore.reports import (
    describe_funnel,
    describe_unmatched,
    funnel,
    group_unmatched,
    vocabulary,
)
from botcore.sessions import open_store
from botcore.spec import DialogBundle, check_dialogs, load_dialogs

from .console import ConsoleChannel
from .settings import Settings


def _print_problems(problems: list[Problem], out: TextIO | None = None) -> None:
    for p in problems:
        print(p, file=out or sys.stderr)


def _load(folder: str) -> DialogBundle | None:
    try:
        return load_dialogs(folder)
    except DialogSpecError as exc:
        _print_problems(exc.problems)
        errors = sum(p.severity == "error" for p in exc.problems)
        print(f"{folder}: {errors} error(s); the dialogs were not loaded.", file=sys.stderr)
        return None


def cmd_check(args: argparse.Namespace) -> int:
    problems = check_dialogs(args.dir)
    _print_problems(problems, sys.stdout)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"{args.dir}: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def cmd_test(args: argparse.Namespace) -> int:
    bundle = _load(args.dir)
    if bundle is None:
        return 1
    report = asyncio.run(run_tests(bundle))
    _print_problems(report.problems, sys.stdout)
    for failure in report.failures:
        print(f"FAIL {failure}\n")
    passed = report.tests - len(report.failures)
    print(report.coverage_line())
    if report.unvisited and args.verbose:
        print("states no test visits: " + ", ".join(report.unvisited))
    print(f"conversation tests: {passed} passed, {len(report.failures)} failed")
    return 0 if report.ok else 1


def cmd_chat(args: argparse.Namespace) -> int:
    settings = Settings.load()
    bundle = _load(args.dialogs or settings.dialogs)
    if bundle is None:
        return 2
    store = open_store(args.store or settings.store)

    async def chat() -> None:
        engine = Engine(bundle, store)
        try:
            await ConsoleChannel(engine, sender=args.sender).run()
        finally:
            await store.close()

    asyncio.run(chat())
    return 0


def _service(args: argparse.Namespace) -> tuple[Settings, DialogBundle] | None:
    """What `loket serve` and its worker process both start with."""
    # python-telegram-bot 22 gives RetryAfter.retry_after as a timedelta (and no deprecation
    # warning on every 429) once this is set; loket reads both forms.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    settings = Settings.load()
    bundle = _load(settings.dialogs)
    if bundle is None:
        return None
    logging.getLogger().setLevel(logging.DEBUG if args.verbose else logging.INFO)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per Bot API call, token included
    return settings, bundle


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from .app import build_app

    service = _service(args)
    if service is None:
        return 2
    app = build_app(*service)
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        access_log=None,
        print=lambda text: logging.getLogger("loket").info(text.strip()),
    )
    return 0


def cmd_telegram(args: argparse.Namespace) -> int:
    from .telegram.client import ALLOWED_UPDATES, TelegramClient

    settings = Settings.load()
    if not settings.telegram_bot_token:
        print("loket: TELEGRAM_BOT_TOKEN is not set", file=sys.stderr)
        return 2
    if args.action == "set-webhook" and not settings.telegram_webhook_secret:
        print(
            "loket: set TELEGRAM_WEBHOOK_SECRET first (A-Z, a-z, 0-9, _ and -; up to 256); "
            "loket serve checks it on every update",
            file=sys.stderr,
        )
        return 2

    async def run() -> object:
        client = TelegramClient(settings.telegram_bot_token, settings.telegram_api_base)
        await client.start()
        try:
            if args.action == "set-webhook":
                return await client.call(
                    "setWebhook",
                    {
                        "url": args.url,
                        "secret_token": settings.telegram_webhook_secret,
                        "allowed_updates": ALLOWED_UPDATES,
                    },
                )
            if args.action == "delete-webhook":
                return await client.call("deleteWebhook", {})
            return await client.call("getWebhookInfo", {})
        finally:
            await client.close()

    print(json.dumps(asyncio.run(run()), ensure_ascii=False))
    return 0


def cmd_complaints(args: argparse.Namespace) -> int:
    """Officers' side of complaints, until the web inbox: list them, move their status; the
    resident is told on their own channel."""
    import time as _time
    from datetime import UTC, datetime

    from botcore.complaints import describe, notice
    from botcore.mailbox import Mailbox, Outgoing
    from botcore.messages import Reply
    from botcore.sessions import SQLiteStore

    from .app import build_channels

    settings = Settings.load()
    store = open_store(args.store or settings.store)
    if not isinstance(store, SQLiteStore):
        print(
            "loket: complaints live in the file store; set LOKET_STORE=sqlite:///...",
            file=sys.stderr,
        )
        return 2
    if args.action == "list":
        rows = store.db.execute(
            "SELECT ticket, status, data, created_at FROM complaints ORDER BY created_at"
        ).fetchall()
        for ticket, status, data, created in rows:
            fields = json.loads(data)
            who = fields.get("nama") or "(anonim)"
            when = datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%d %H:%M UTC")
            print(f"{ticket}  {status:<9} {when}  {who}: {fields.get('isi', '')[:60]}")
        asyncio.run(store.close())
        return 0
    if args.status == "ditolak" and not args.reason:
        print("loket: a rejection needs --reason, which the resident will read", file=sys.stderr)
        return 2

    async def change() -> int:
        found = await store.set_complaint_status(
            args.ticket, args.status, args.reason or "", args.officer, datetime.now(UTC)
        )
        if found is None:
            print(f"loket: no complaint {args.ticket}", file=sys.stderr)
            return 1
        print(f"{found.ticket}: {describe(found)}")
        channel, _, sender = found.key.partition(":")
        renderer = build_channels(settings, Mailbox(store)).renderers.get(channel)
        if renderer is None:
            print(
                f"(the resident wrote on {channel}, which cannot be reached from here; "
                "they see the status when they ask for it)"
            )
            return 0
        mailbox = Mailbox(store)
        calls = [
            Outgoing(channel, sender, found.key, body)
            for body in renderer(Reply(text=notice(found)), sender)
        ]
        with mailbox.transaction():
            mailbox.queue(calls, _time.time())
        print(f"(the resident is told on {channel})")
        return 0

    try:
        return asyncio.run(change())
    finally:
        asyncio.run(store.close())


def cmd_operator(args: argparse.Namespace) -> int:
    from botcore.sessions import SQLiteStore

    from .operator import act, queue

    settings = Settings.load()
    store = open_store(args.store or settings.store)
    if not isinstance(store, SQLiteStore):
        print(
            "loket: the queue lives in the file store; set LOKET_STORE=sqlite:///...",
            file=sys.stderr,
        )
        return 2
    try:
        if args.action == "list":
            requests = queue(store)
            if not requests:
                print("(no one is waiting for an officer)")
            for r in requests:
                who = f", taken by {r.officer}" if r.officer else ""
                print(
                    f"#{r.id} {r.key.partition(':')[0]}  waiting {r.waiting_minutes} min"
                    f"  [{r.status}{who}]  {r.question}"
                )
                for line in r.recent:
                    print(f"      {line}")
            return 0
        text = " ".join(getattr(args, "text", []) or [])
        try:
            key = act(store, args.request, args.action, args.officer, text)
        except LookupError as exc:
            print(f"loket: {exc}", file=sys.stderr)
            return 1
        print(f"#{args.request}: {args.action} queued for {key.partition(':')[0]}")
        return 0
    finally:
        asyncio.run(store.close())


def _since(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date: use YYYY-MM-DD, e.g. 2026-12-01"
        ) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number above 0")
    return int(text)


def cmd_report(args: argparse.Namespace) -> int:
    """Editors' reports, in Bahasa Indonesia: messages the bot did not understand, grouped,
    and where conversations stop."""
    settings = Settings.load()
    folder = args.dialogs or settings.dialogs
    try:
        bundle: DialogBundle | None = load_dialogs(folder)
    except DialogSpecError:
        bundle = None
        print(
            f"(dialog di {folder} tidak bisa dimuat; laporan dibuat tanpa daftar ejaan warga "
            "dan dengan batas diam 30 menit)",
            file=sys.stderr,
        )
    url = args.store or settings.store
    zone = ZoneInfo(bundle.schedule.timezone if bundle and bundle.schedule else "UTC")
    since = datetime.combine(args.since, datetime.min.time(), zone).timestamp() if args.since else 0
    period = f"sejak {args.since.isoformat()}" if args.since else "sejak awal pencatatan"
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        print(f"Belum ada data: penyimpanan {url} belum ada.")
        return 0
    store = open_store(url)

    async def report() -> str:
        try:
            if args.report == "unmatched":
                records = await store.unmatched(since)
                normalise = Normaliser(bundle.normalise if bundle else {})
                files = {n: f.file for n, f in bundle.flows.items()} if bundle else {}
                known = vocabulary(bundle, normalise) if bundle else frozenset()
                groups = group_unmatched(records, normalise, known)
                return describe_unmatched(groups, args.limit, period, files, known)
            idle = bundle.idle_minutes if bundle else 30
            found = funnel(await store.conversations(since), time.time(), idle * 60, args.dialog)
            return describe_funnel(found, idle, period)
        finally:
            await store.close()

    print(asyncio.run(report()))
    return 0


def cmd_work(args: argparse.Namespace) -> int:
    from .worker import run_in_process

    service = _service(args)
    if service is None:
        return 2
    asyncio.run(run_in_process(*service, args.wake_fd))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loket", description="Public-service chatbot.")
    parser.add_argument("-v", "--verbose", action="store_true", help="more output and logs")
    sub = parser.add_subparsers(dest="command", required=True)
    chat = sub.add_parser("chat", help="chat with the bot in the terminal (stdin/stdout)")
    chat.add_argument("--dialogs", help="dialogs folder (default: $LOKET_DIALOGS or dialogs/)")
    chat.add_argument("--store", help="store URL (default: $LOKET_STORE or sqlite:///var/loket.db)")
    chat.add_argument("--sender", default="warga", help="who you are in the conversation")
    chat.set_defaults(func=cmd_chat)
    check = sub.add_parser("check", help="check the dialogs; exit 1 if anything is wrong")
    check.add_argument("dir", nargs="?", default="dialogs")
    check.set_defaults(func=cmd_check)
    test = sub.add_parser("test", help="run the conversation tests in DIR/tests")
    test.add_argument("dir", nargs="?", default="dialogs")
    test.set_defaults(func=cmd_test)
    serve = sub.add_parser("serve", help="the HTTP server: WhatsApp webhook, health check")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.set_defaults(func=cmd_serve)
    telegram = sub.add_parser("telegram", help="register or remove the Telegram webhook")
    tsub = telegram.add_subparsers(dest="action", required=True)
    setwh = tsub.add_parser("set-webhook", help="point Telegram at URL (with the secret)")
    setwh.add_argument("url", help="https://your-host/webhooks/telegram")
    tsub.add_parser("delete-webhook", help="back to long polling")
    tsub.add_parser("webhook-info", help="what Telegram knows of the webhook")
    telegram.set_defaults(func=cmd_telegram)
    complaints = sub.add_parser("complaints", help="officers: list complaints, change status")
    complaints.add_argument("--store", help="store URL (default: $LOKET_STORE)")
    csub = complaints.add_subparsers(dest="action", required=True)
    csub.add_parser("list", help="every complaint with its status")
    setst = csub.add_parser("set", help="move a complaint to a status and tell the resident")
    setst.add_argument("ticket", help="e.g. ADU-2026-000123")
    setst.add_argument("status", choices=["baru", "diproses", "selesai", "ditolak"])
    setst.add_argument("--reason", help="why (needed for ditolak)")
    setst.add_argument(
        "--officer",
        default=os.environ.get("USER", "petugas"),
        help="who makes the change (kept in the complaint's history)",
    )
    complaints.set_defaults(func=cmd_complaints)
    operator = sub.add_parser("operator", help="officers: the queue; take, reply, close")
    operator.add_argument("--store", help="store URL (default: $LOKET_STORE)")
    operator.add_argument(
        "--officer",
        default=os.environ.get("USER", "petugas"),
        help="your name as residents will see it",
    )
    osub = operator.add_subparsers(dest="action", required=True)
    osub.add_parser("list", help="who is waiting, for how long, and their last messages")
    for action, doc in (("take", "take a request"), ("close", "close it; the bot resumes")):
        p = osub.add_parser(action, help=doc)
        p.add_argument("request", type=int)
    reply = osub.add_parser("reply", help="answer the resident on their own channel")
    reply.add_argument("request", type=int)
    reply.add_argument("text", nargs="+")
    operator.set_defaults(func=cmd_operator)
    report = sub.add_parser("report", help="editors: what the bot did not understand; drop-off")
    rsub = report.add_subparsers(dest="report", required=True)
    unmatched = rsub.add_parser(
        "unmatched", help="messages not understood, similar ones grouped, most frequent first"
    )
    drop = rsub.add_parser("funnel", help="per state: conversations that reached it, left it")
    for p in (unmatched, drop):
        p.add_argument("--since", type=_since, help="from this day on (YYYY-MM-DD, office time)")
        p.add_argument("--store", help="store URL (default: $LOKET_STORE)")
        p.add_argument("--dialogs", help="dialogs folder (default: $LOKET_DIALOGS or dialogs/)")
    unmatched.add_argument("--limit", type=_positive, default=10, help="groups shown (default 10)")
    drop.add_argument("--dialog", default="", help="only this dialog's states, e.g. ktp")
    report.set_defaults(func=cmd_report)
    work = sub.add_parser("work", help=argparse.SUPPRESS)  # started by `loket serve`
    work.add_argument("--wake-fd", type=int, required=True)
    work.set_defaults(func=cmd_work)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except BotError as exc:
        print(f"loket: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
