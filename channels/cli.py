"""The `loket` command: chat, check, test, schema, graph, serve, the officers' tools and the
editors' reports."""

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
    if errors or not args.against:
        return 1 if errors else 0
    return compare(args.against, args.dir, args.store)


def compare(old_dir: str, new_dir: str, store_url: str | None) -> int:
    """`loket check --against OLD`: what an edit does to conversations in progress."""
    from botcore.reload import added, plan

    old, new = _load(old_dir), _load(new_dir)
    if old is None or new is None:
        return 1
    live = live_states(store_url or Settings.load().store, new.idle_minutes)
    moves = plan(old, new)
    print(f"\nCompared with {old_dir}:")
    if not moves:
        print("  no state was removed or renamed: every conversation continues where it is.")
    for m in moves:
        count = live.get(str(m.old), 0)
        print(
            f"  {m.old!s:<28} -> {m.new!s:<28} ({m.how}): {count} conversation(s) in progress there"
        )
        if m.how == "nearest menu":
            print(
                f"      residents there are told the menu changed; to send them elsewhere, "
                f"add to {m.old.dialog}.yaml:  moved_to: {{{m.old.state}: <state>}}, or "
                f"'renamed_from: [{m.old.state}]' to the state that replaces it"
            )
    new_states = added(old, new)
    if new_states:
        print("  new states: " + ", ".join(str(r) for r in new_states))
    return 0


def live_states(url: str, idle_minutes: int) -> dict[str, int]:
    """How many conversations sit in each state now (not idle, or waiting for an officer),
    read from the store; empty when there is no file store yet."""
    import json
    import time

    from botcore.sessions import SQLiteStore

    if not url.startswith("sqlite:///") or not Path(url[len("sqlite:///") :]).is_file():
        return {}
    store = open_store(url)
    assert isinstance(store, SQLiteStore)
    since = time.time() - idle_minutes * 60
    counts: dict[str, int] = {}
    try:
        with store.lock:
            rows = store.db.execute("SELECT data, updated_at FROM sessions").fetchall()
        for data, updated in rows:
            session = json.loads(data)
            if updated >= since or session.get("flags", {}).get("handover"):
                ref = f"{session['dialog']}.{session['state']}"
                counts[ref] = counts.get(ref, 0) + 1
    finally:
        asyncio.run(store.close())
    return counts


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


def cmd_schema(args: argparse.Namespace) -> int:
    from botcore.schema import SCHEMA_FILE, schema_text

    if not args.write:
        sys.stdout.write(schema_text())
        return 0
    path = Path(args.dialogs or Settings.load().dialogs) / SCHEMA_FILE
    if path.exists() and path.read_text(encoding="utf-8") == schema_text():
        print(f"{path} is up to date")
        return 0
    path.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    from botcore.graph import diagram, to_dot, to_mermaid
    from botcore.spec import StateRef

    folder = args.dialogs or Settings.load().dialogs
    bundle = _load(folder)
    if bundle is None:
        return 2
    missing = [d for d in args.dialog if d not in bundle.flows]
    if missing:
        known = ", ".join(sorted(bundle.flows))
        print(
            f"loket: there is no dialog '{missing[0]}' in {folder} (known: {known})",
            file=sys.stderr,
        )
        return 2
    report = asyncio.run(run_tests(bundle))
    unvisited = {StateRef(*ref.split(".", 1)) for ref in report.unvisited}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for dialog in args.dialog:
        drawn = diagram(bundle, dialog, unvisited)
        mmd = out / f"{dialog}.mmd"
        mmd.write_text(to_mermaid(drawn), encoding="utf-8")
        print(f"wrote {mmd}")
        svg = out / f"{dialog}.svg"
        skipped = _draw_svg(to_dot(drawn), svg)
        print(f"SVG skipped: {skipped}" if skipped else f"wrote {svg}")
        untested = [n.label for n in drawn.untested]
        states = sum(n.kind == "state" for n in drawn.nodes)
        print(
            f"{dialog}: {states} states, {len(untested)} that no conversation test visits"
            + (f" (drawn dashed red): {', '.join(untested)}" if untested else "")
        )
    return 0


def _draw_svg(dot: str, path: Path) -> str:
    """Render DOT to SVG with Graphviz's `dot`, or pygraphviz; else say why not."""
    import shutil
    import subprocess

    program = shutil.which("dot")
    if program is not None:
        subprocess.run([program, "-Tsvg", "-o", str(path)], input=dot.encode(), check=True)
        return ""
    try:
        import pygraphviz
    except ImportError:
        return (
            "Graphviz's 'dot' is not on PATH and pygraphviz is not installed "
            "(apt-get install graphviz, or pip install pygraphviz)"
        )
    pygraphviz.AGraph(string=dot).draw(str(path), format="svg", prog="dot")
    return ""


def cmd_chat(args: argparse.Namespace) -> int:
    settings = Settings.load()
    bundle = _load(args.dialogs or settings.dialogs)
    if bundle is None:
        return 2
    store = open_store(args.store or settings.store)

    async def chat() -> None:
        engine = Engine(bundle, store)
        watch = Path(bundle.root) if settings.reload else None
        try:
            await ConsoleChannel(engine, sender=args.sender, watch=watch).run()
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
    """Officers' side of complaints beside the web inbox: list them, move their status; the
    resident is told on their own channel."""
    from datetime import UTC, datetime

    from botcore.complaints import describe
    from botcore.sessions import SQLiteStore

    from .operator import change_complaint

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
    try:
        found = change_complaint(
            store, args.ticket, args.status, args.reason or "", args.officer, via="cli"
        )
    except (LookupError, ValueError) as exc:
        print(f"loket: {exc.args[0]}", file=sys.stderr)
        return 1 if isinstance(exc, LookupError) else 2
    finally:
        asyncio.run(store.close())
    print(f"{found.ticket}: {describe(found)}")
    print(f"(the resident is told on {found.key.partition(':')[0]})")
    return 0


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
        except (LookupError, ValueError) as exc:
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
    check.add_argument(
        "--against",
        metavar="OLD_DIR",
        help="the version in use: list removed or renamed states, the conversations in "
        "them (from the store) and where they will go",
    )
    check.add_argument("--store", help="store URL (default: $LOKET_STORE)")
    check.set_defaults(func=cmd_check)
    test = sub.add_parser("test", help="run the conversation tests in DIR/tests")
    test.add_argument("dir", nargs="?", default="dialogs")
    test.set_defaults(func=cmd_test)
    schema = sub.add_parser("schema", help="print the JSON Schema of dialog files")
    schema.add_argument("--write", action="store_true", help="write it to DIALOGS/schema.json")
    schema.add_argument("--dialogs", help="dialogs folder (default: $LOKET_DIALOGS or dialogs/)")
    schema.set_defaults(func=cmd_schema)
    graph = sub.add_parser("graph", help="draw a dialog: Mermaid text, and SVG with Graphviz")
    graph.add_argument("dialog", nargs="+", help="the dialog's name, e.g. ktp (or several)")
    graph.add_argument("--out", default=".", help="folder for DIALOG.mmd and DIALOG.svg")
    graph.add_argument("--dialogs", help="dialogs folder (default: $LOKET_DIALOGS or dialogs/)")
    graph.set_defaults(func=cmd_graph)
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
