"""The console channel: a resident's chat in the terminal, line by line, typed or piped."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from botcore.engine import Engine
from botcore.mailbox import Mailbox
from botcore.messages import IncomingMessage, Reply
from botcore.reload import DialogWatcher, Rejection
from botcore.sessions import SQLiteStore
from botcore.spec import DialogBundle

OFFICER_POLL = 1.0  # seconds between looks for an officer's messages
HELP = "Perintah pengembang: /reset (mulai ulang), /debug (state dan slot), /quit (keluar)"


def format_reply(reply: Reply) -> str:
    """A reply as plain text, the way a resident would read it; choices become numbered lines."""
    lines = [reply.text] if reply.text else []
    for i, choice in enumerate(reply.choices, 1):
        extra = f" — {choice.description}" if choice.description else ""
        lines.append(f"  {i}. {choice.label}{extra}")
    if reply.location is not None:
        loc = reply.location
        lines.append(f"📍 {loc.name}, {loc.address}".rstrip(", "))
        lines.append(f"   https://maps.google.com/?q={loc.latitude},{loc.longitude}")
    if reply.media is not None:
        lines.append(f"📎 {reply.media.caption or reply.media.filename}: {reply.media.url}")
    if reply.contact is not None:
        c = reply.contact
        details = " · ".join(x for x in (c.phone, c.email, c.url) if x)
        lines.append(f"📇 {c.name}" + (f" ({details})" if details else ""))
    return "\n".join(lines)


class ConsoleChannel:
    """Reads stdin, hands each line to the engine, prints the replies."""

    def __init__(
        self,
        engine: Engine,
        sender: str = "warga",
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        watch: Path | None = None,
    ) -> None:
        self.engine = engine
        self.watch = watch  # the dialogs folder to reload edits from
        self.sender = sender
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()

    def print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def run(self, readline: Callable[[], str] | None = None) -> None:
        read = readline or self.stdin.readline
        loop = asyncio.get_running_loop()
        if self.interactive:
            self.print(f"loket — ketik pesan seperti di WhatsApp. {HELP}")
        tasks = [asyncio.create_task(self.officers())]
        if self.watch is not None:
            watcher = DialogWatcher(self.watch, self.reloaded, self.refused)
            tasks.append(asyncio.create_task(watcher.run()))
        try:
            await self._read(read, loop)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def reloaded(self, bundle: DialogBundle) -> None:
        self.engine.reload(bundle)
        self.print(f"(dialog dimuat ulang: versi {bundle.version})")

    def refused(self, rejection: Rejection) -> None:
        self.print(
            "(perubahan dialog DITOLAK, versi lama tetap dipakai; perbaiki lalu simpan lagi:)"
        )
        for line in rejection.lines():
            self.print("  " + line.replace("\n", "\n  "))

    async def officers(self) -> None:
        """An officer's messages for this console resident (`loket operator`), as they come."""
        store = self.engine.store
        if not isinstance(store, SQLiteStore):
            return
        mailbox = Mailbox(store)
        key = f"console:{self.sender}"
        while True:
            await asyncio.sleep(OFFICER_POLL)
            for item in mailbox.pending(20, key=key):
                for reply in await self.engine.handle(item.message):
                    self.print("bot> " + format_reply(reply).replace("\n", "\n     "))
                with mailbox.transaction():
                    mailbox.done(item, [], time.time())

    async def _read(self, read: Callable[[], str], loop: asyncio.AbstractEventLoop) -> None:
        while True:
            if self.interactive:
                self.stdout.write("anda> ")
                self.stdout.flush()
            line = await loop.run_in_executor(None, read)
            if not line:
                break
            text = line.rstrip("\r\n")
            if not self.interactive:
                self.print(f"anda> {text}")
            if not await self.command(text):
                break

    async def command(self, text: str) -> bool:
        """Handle one line; False when the chat should end."""
        key = f"console:{self.sender}"
        stripped = text.strip()
        if stripped == "/quit":
            return False
        if stripped == "/reset":
            await self.engine.store.forget(key)
            self.print("(percakapan dimulai ulang)")
            return True
        if stripped == "/debug":
            self.print(self.engine.describe(await self.engine.store.load(key)))
            return True
        replies = await self.engine.handle(IncomingMessage("console", self.sender, text))
        for reply in replies:
            self.print("bot> " + format_reply(reply).replace("\n", "\n     "))
        self.print("")
        return True
