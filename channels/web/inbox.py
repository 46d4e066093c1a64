"""The officers' inbox under /inbox/: sign-in, the queue, a conversation with its transcript,
replies with quick replies, labels, take and close, complaints, metrics, the audit log, and
live updates by server-sent events.

Server-rendered HTML (Jinja2, autoescaped), one small stylesheet and one small script; every
page works without the script, which only adds live updates and the /shortcut picker. The
inbox is a sub-application, so its sign-in check, CSRF check and security headers never run
for the webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from botcore.hours import Schedule
from botcore.reload import Rejection
from botcore.sessions import COMPLAINT_STATUSES, SQLiteStore
from botcore.spec import DialogBundle

from ..operator import act, change_complaint, record, set_label
from . import views
from .auth import Officer, Sessions, Throttle, WebSession, csrf_ok, identify

log = logging.getLogger("loket.inbox")

HERE = Path(__file__).parent
COOKIE: Final = "loket_inbox"
MAX_REPLY: Final = 4000
LOCK_WAIT: Final = 10.0  # seconds an officer's action waits for the worker's writes
HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # residents' data never stays in a browser cache
}
T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SESSION_KEY: web.RequestKey[WebSession] = web.RequestKey("session", WebSession)


class Live:
    """Tells open inbox pages that something changed (new message, request, action). One
    look at the store's counters every POLL seconds while anyone watches."""

    POLL = 0.5

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.stamp: tuple[int, ...] = ()
        self.changed = asyncio.Event()
        self.watchers = 0
        self.closed = False

    def poke(self) -> None:
        stamp = views.version(self.store)
        if stamp != self.stamp:
            self.stamp = stamp
            self.changed.set()
            self.changed = asyncio.Event()

    async def run(self) -> None:
        while not self.closed:
            await asyncio.sleep(self.POLL)
            if self.watchers:
                try:
                    self.poke()
                except sqlite3.Error:
                    log.exception("could not read the store for live updates")

    def close(self) -> None:
        self.closed = True
        self.changed.set()


class Inbox:
    def __init__(
        self,
        store: SQLiteStore,
        bundle: Callable[[], DialogBundle],
        officers: list[Officer],
        wake: Callable[[], None],
        rejected: Callable[[], Rejection | None] = lambda: None,
    ) -> None:
        self.store = store
        self.bundle = bundle
        self.officers = officers
        self.wake = wake
        self.rejected = rejected
        self.sessions = Sessions()
        self.throttle = Throttle()
        self.live = Live(store)
        self._schedule: tuple[str, Schedule | None] = ("", None)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.filters["duration"] = views.duration
        self.templates.filters["clock"] = self.clock

    # -- the sub-application --------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard])
        r = app.router
        r.add_get("/", self.queue_page)
        r.add_get("/login", self.login_page)
        r.add_post("/login", self.login)
        r.add_post("/logout", self.logout)
        r.add_get("/r/{id:\\d+}", self.request_page)
        r.add_post("/r/{id:\\d+}/{action:take|reply|close}", self.request_action)
        r.add_post("/r/{id:\\d+}/label", self.label)
        r.add_get("/complaints", self.complaints_page)
        r.add_post("/complaints/{ticket:ADU-\\d{4}-\\d{6}}", self.complaint_action)
        r.add_get("/metrics", self.metrics_page)
        r.add_get("/audit", self.audit_page)
        r.add_get("/events", self.events)
        r.add_static("/static", HERE / "static", append_version=True)

        async def background(_: web.Application) -> Any:
            task = asyncio.create_task(self.live.run(), name="inbox-live")
            yield
            self.live.close()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        async def shutdown(_: web.Application) -> None:
            self.live.close()  # open event streams end, so the server can stop

        app.cleanup_ctx.append(background)
        app.on_shutdown.append(shutdown)
        return app

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every page but sign-in and the stylesheet needs a signed-in officer; every form
        needs its CSRF token. Security headers on everything."""
        public = request.path.endswith(("/login", "/logout")) or "/static/" in request.path
        session = self.sessions.get(request.cookies.get(COOKIE))
        if not public:
            if session is None or not session.officer:
                if request.method == "GET" and not request.path.endswith("/events"):
                    target = quote(request.path_qs, safe="/?=&")
                    raise web.HTTPSeeOther(f"/inbox/login?next={target}", headers=HEADERS)
                raise web.HTTPUnauthorized(text="Silakan masuk kembali.", headers=HEADERS)
            request[SESSION_KEY] = session
        if request.method == "POST" and not request.path.endswith("/login"):
            form = await request.post()
            if session is None or not csrf_ok(session, str(form.get("csrf", ""))):
                raise web.HTTPForbidden(
                    text="Formulir ini sudah kedaluwarsa. Muat ulang halaman lalu coba lagi.",
                    headers=HEADERS,
                )
        response = await handler(request)
        if not request.path.endswith("/events"):
            response.headers.update(HEADERS)
        return response

    # -- helpers ---------------------------------------------------------------------------

    def clock(self, ts: float | None) -> str:
        if ts is None:
            return "–"
        local = datetime.fromtimestamp(ts, self.tz())
        today = datetime.now(self.tz()).date()
        if local.date() == today:
            return local.strftime("%H.%M")
        return local.strftime("%d/%m %H.%M")

    def tz(self) -> ZoneInfo:
        schedule = self.schedule()
        return schedule.tz if schedule is not None else ZoneInfo("Asia/Jakarta")

    def schedule(self) -> Schedule | None:
        """The office hours of the dialogs in use (built once per dialog version)."""
        bundle = self.bundle()
        if self._schedule[0] != bundle.version:
            spec = bundle.schedule
            self._schedule = (bundle.version, Schedule(spec) if spec is not None else None)
        return self._schedule[1]

    def page(
        self, request: web.Request, template: str, code: int = 200, **context: Any
    ) -> web.Response:
        session = request.get(SESSION_KEY)
        flash = session.flash if session is not None else []
        body = self.templates.get_template(template).render(
            officer=session.officer if session else "",
            csrf=session.csrf if session else "",
            flash=list(flash),
            path=request.path,
            waiting=views.waiting_count(self.store) if session else 0,
            rejected=self.rejected(),
            **context,
        )
        flash.clear()
        return web.Response(text=body, status=code, content_type="text/html")

    async def write(self, action: Callable[[], T]) -> T:
        """Run a write, waiting (without blocking the loop) while the worker holds the lock."""
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.02)

    def changed(self) -> None:
        self.wake()
        with contextlib.suppress(sqlite3.Error):
            self.live.poke()

    # -- sign-in ---------------------------------------------------------------------------

    def _cookie(self, request: web.Request, response: web.StreamResponse, sid: str) -> None:
        secure = request.secure or request.headers.get("X-Forwarded-Proto") == "https"
        response.set_cookie(
            COOKIE, sid, path="/inbox/", httponly=True, samesite="Strict", secure=secure
        )

    async def login_page(
        self, request: web.Request, error: str = "", status: int = 200
    ) -> web.Response:
        session = self.sessions.get(request.cookies.get(COOKIE))
        if session is None:
            session = self.sessions.new()
        if session.officer and not error:
            raise web.HTTPSeeOther("/inbox/")
        body = self.templates.get_template("login.html").render(
            csrf=session.csrf,
            error=error,
            next=_safe_next(request.query.get("next", "")),
            configured=bool(self.officers),
        )
        response = web.Response(text=body, status=status, content_type="text/html")
        self._cookie(request, response, session.sid)
        return response

    async def login(self, request: web.Request) -> web.StreamResponse:
        address = request.remote or "?"
        wait = self.throttle.wait(address)
        if wait:
            minutes = max(1, round(wait / 60))
            response = await self.login_page(
                request,
                f"Terlalu banyak percobaan yang salah. Coba lagi dalam {minutes} menit.",
                429,
            )
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        form = await request.post()
        session = self.sessions.get(request.cookies.get(COOKIE))
        if session is None or not csrf_ok(session, str(form.get("csrf", ""))):
            return await self.login_page(
                request, "Formulir sudah kedaluwarsa. Silakan masukkan token sekali lagi.", 403
            )
        officer = identify(self.officers, str(form.get("token", "")).strip())
        if officer is None:
            self.throttle.failed(address)
            log.warning("a failed sign-in to the inbox from %s", address)
            await self.write(lambda: self._audit("-", "signin-failed", address))
            return await self.login_page(request, "Token tidak dikenal.", 401)
        self.throttle.succeeded(address)
        self.sessions.drop(session.sid)  # a new session id at sign-in: no fixation
        fresh = self.sessions.new(officer.name)
        await self.write(lambda: self._audit(officer.name, "signin", address))
        response = web.HTTPSeeOther(_safe_next(str(form.get("next", ""))) or "/inbox/")
        self._cookie(request, response, fresh.sid)
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session = self.sessions.get(request.cookies.get(COOKIE))
        if session is not None:
            if session.officer:
                name = session.officer
                await self.write(lambda: self._audit(name, "signout", request.remote or "?"))
            self.sessions.drop(session.sid)
        response = web.HTTPSeeOther("/inbox/login")
        response.del_cookie(COOKIE, path="/inbox/")
        raise response

    def _audit(self, officer: str, action: str, target: str, detail: str = "") -> None:
        with self.store.transaction() as db:
            record(db, officer, action, target, detail)

    # -- the queue and a conversation ------------------------------------------------------

    async def queue_page(self, request: web.Request) -> web.Response:
        return self.page(
            request,
            "queue.html",
            requests=views.waiting_requests(self.store),
            metrics=views.metrics(self.store, self.tz(), self.schedule())[0],
            now=time.time(),
        )

    async def request_page(self, request: web.Request) -> web.Response:
        rid = int(request.match_info["id"])
        found = views.request(self.store, rid)
        if found is None:
            raise web.HTTPNotFound(text="Permintaan ini tidak ada.")
        bundle = self.bundle()
        return self.page(
            request,
            "request.html",
            r=found,
            lines=views.transcript(self.store, rid),
            earlier=[h for h in views.history(self.store, found.key) if h.id != rid],
            quick=dict(bundle.quick_replies),
            labels=bundle.labels,
            max_reply=MAX_REPLY,
        )

    async def request_action(self, request: web.Request) -> web.StreamResponse:
        session = request[SESSION_KEY]
        rid, action = int(request.match_info["id"]), request.match_info["action"]
        form = await request.post()
        text = str(form.get("text", "")).strip()
        if action == "reply":
            text = self.expand(text)
            if not text:
                session.flash.append("Balasan kosong tidak dikirim.")
                raise web.HTTPSeeOther(f"/inbox/r/{rid}")
            if len(text) > MAX_REPLY:
                session.flash.append(f"Balasan terlalu panjang (maksimal {MAX_REPLY} karakter).")
                raise web.HTTPSeeOther(f"/inbox/r/{rid}")
        before = views.request(self.store, rid)
        try:
            await self.write(lambda: act(self.store, rid, action, session.officer, text, via="web"))
        except LookupError:
            session.flash.append("Percakapan ini sudah ditutup atau ditinggalkan warga.")
            raise web.HTTPSeeOther(f"/inbox/r/{rid}") from None
        if action == "take" and before and before.officer and before.officer != session.officer:
            session.flash.append(f"Anda mengambil alih percakapan dari {before.officer}.")
        self.changed()
        raise web.HTTPSeeOther("/inbox/" if action == "close" else f"/inbox/r/{rid}")

    def expand(self, text: str) -> str:
        """A reply that is just '/shortcut' becomes the quick reply (for browsers without the
        script, which inserts quick replies while typing)."""
        if text.startswith("/") and " " not in text:
            return self.bundle().quick_replies.get(text[1:].lower(), text)
        return text

    async def label(self, request: web.Request) -> web.StreamResponse:
        session = request[SESSION_KEY]
        rid = int(request.match_info["id"])
        form = await request.post()
        label, on = str(form.get("label", "")), form.get("on") == "1"
        found = views.request(self.store, rid)
        if found is None:
            raise web.HTTPNotFound(text="Permintaan ini tidak ada.")
        if label not in self.bundle().labels:
            session.flash.append(f"Label '{label}' tidak dikenal.")
        else:
            await self.write(lambda: set_label(self.store, found.key, label, on, session.officer))
            self.changed()
        raise web.HTTPSeeOther(f"/inbox/r/{rid}")

    # -- complaints ------------------------------------------------------------------------

    async def complaints_page(self, request: web.Request) -> web.Response:
        status = request.query.get("status", "")
        if status not in COMPLAINT_STATUSES:
            status = ""
        return self.page(
            request,
            "complaints.html",
            complaints=views.complaints(self.store, status),
            statuses=COMPLAINT_STATUSES,
            status=status,
        )

    async def complaint_action(self, request: web.Request) -> web.StreamResponse:
        session = request[SESSION_KEY]
        ticket = request.match_info["ticket"]
        form = await request.post()
        status, reason = str(form.get("status", "")), str(form.get("reason", ""))[:500]
        try:
            found = await self.write(
                lambda: change_complaint(
                    self.store, ticket, status, reason, session.officer, via="web"
                )
            )
        except LookupError:
            raise web.HTTPNotFound(text=f"Pengaduan {ticket} tidak ada.") from None
        except ValueError:
            if status == "ditolak":
                session.flash.append(f"{ticket}: tulis alasan penolakan; warga akan membacanya.")
            else:
                session.flash.append(f"{ticket}: status '{status}' tidak dikenal.")
        else:
            session.flash.append(f"{found.ticket} sekarang {found.status}; warga diberi tahu.")
            self.changed()
        raise web.HTTPSeeOther(f"/inbox/complaints#{ticket}")

    # -- metrics and audit -----------------------------------------------------------------

    async def metrics_page(self, request: web.Request) -> web.Response:
        now = time.time()
        today = views.periods(self.tz(), now)[0][1]
        return self.page(
            request,
            "metrics.html",
            periods=views.metrics(self.store, self.tz(), self.schedule(), now),
            today=views.requests_since(self.store, today),
            complaints=[c for c in views.complaints(self.store) if c.created_at >= today],
        )

    async def audit_page(self, request: web.Request) -> web.Response:
        return self.page(request, "audit.html", lines=views.audit(self.store))

    # -- live updates ----------------------------------------------------------------------

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: 'changed' whenever the inbox has something new; a comment line
        every 15 seconds keeps proxies from closing the stream."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        live = self.live
        live.watchers += 1
        try:
            if not live.stamp:
                live.poke()
            await response.write(b"retry: 2000\n\n")
            sid = request[SESSION_KEY].sid
            while not live.closed and self.sessions.get(sid) is not None:
                changed = live.changed
                try:
                    await asyncio.wait_for(changed.wait(), 15)
                except TimeoutError:
                    await response.write(b": tetap tersambung\n\n")
                    continue
                if live.closed:
                    break
                stamp = ".".join(map(str, live.stamp))
                await response.write(f"event: changed\ndata: {stamp}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            live.watchers -= 1
        return response


def _safe_next(target: str) -> str:
    """Only a page of the inbox itself: never an open redirect."""
    if target.startswith("/inbox/") and not target.startswith("/inbox//") and "\\" not in target:
        return target
    return ""
