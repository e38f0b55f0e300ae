"""A terminal REPL: try the whole bot with no account anywhere.

You type in the space's group; `:private` switches to your private chat with the bot and
`:as <name>` lets you speak as someone else (to try joins and approvals); `:wait 3d`
moves the console's clock on and runs what the jobs would have done meanwhile (charges,
reminders, closing time), to try a month in a minute. Input can be piped
(`printf '/help\\n' | coworkbot console`): the console answers each line before reading
the next, writes each line it read before its answers (a transcript), and exits when its
input ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.clock import MovableClock, OffsetClock
from bot.events import ChatRef, IncomingMessage, OutgoingMessage, Platform, UserRef
from bot.i18n import to_plain
from bot.transports.base import Sink

GROUP_CHAT = "demo"

HELP = """Console commands:
  :group            talk in the space's group (the default)
  :private          talk to the bot privately
  :as <name>        speak as another person (':as me' to come back)
  :wait <n>d|h|m    move the clock on and run what would have happened meanwhile
  :quit             leave (so does end of input, Ctrl-D)
Bot commands start with / or ! : try /help"""

_WAIT = re.compile(r"(\d{1,4})\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class ConsoleTransport:
    platform = Platform.CONSOLE

    def __init__(
        self,
        *,
        user_id: str = "local",
        display_name: str = "You",
        exports_dir: Path | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        after_input: Callable[[], Awaitable[object]] | None = None,
        clock: MovableClock | None = None,
        after_wait: Callable[[], Awaitable[object]] | None = None,
        timezone: ZoneInfo | None = None,
    ) -> None:
        self.user_id = user_id
        self.display_name = display_name
        self.exports_dir = exports_dir or Path("exports")
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stdout
        self._after_input = after_input
        self.clock: MovableClock = clock or OffsetClock()
        self._after_wait = after_wait
        self._tz = timezone or ZoneInfo("UTC")
        self._sink: Sink | None = None
        self._task: asyncio.Task[None] | None = None
        self._counter = 0
        self._speaker = UserRef(Platform.CONSOLE, user_id, display_name)
        self._private = False
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._busy: asyncio.Lock = asyncio.Lock()
        self.finished = asyncio.Event()

    @property
    def bot_name(self) -> str:
        return "coworkbot"

    def set_after_input(self, hook: Callable[[], Awaitable[object]]) -> None:
        self._after_input = hook

    def set_after_wait(self, hook: Callable[[], Awaitable[object]]) -> None:
        self._after_wait = hook

    async def start(self, sink: Sink) -> None:
        self._sink = sink
        loop = asyncio.get_running_loop()
        # A daemon thread, not the default executor: a blocked read of a terminal must
        # never keep the process from exiting on SIGTERM.
        threading.Thread(target=self._read, args=(loop,), daemon=True, name="stdin").start()
        self._task = asyncio.create_task(self._repl(), name="console")

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            for line in iter(self._in.readline, ""):
                loop.call_soon_threadsafe(self._lines.put_nowait, line)
            loop.call_soon_threadsafe(self._lines.put_nowait, None)
        except RuntimeError:
            pass  # the loop closed while we waited for a line: the bot is gone

    async def stop(self) -> None:
        """Let the line being handled finish, then stop reading."""
        async with self._busy:
            if self._task and not self._task.done():
                self._task.cancel()
        if self._task:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def close(self) -> None:
        """Nothing to release: the terminal stays."""

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return user.user_id == self.user_id  # it is your terminal

    async def send(self, message: OutgoingMessage) -> str:
        self._counter += 1
        where = "group"
        if message.chat.private:
            where = (
                "private"
                if message.chat.chat_id == self._speaker.user_id
                else (f"private to {message.chat.chat_id}")
            )
        lines = [f"[bot, {where}] {to_plain(message.html)}"]
        for button in message.buttons:
            lines.append(f"   [{to_plain(button.label)}]  (type /{button.command})")
        if message.document is not None:
            path = self._save(message.chat.chat_id, message.document.filename)
            path.write_bytes(message.document.content)
            lines.append(f"   file saved: {path}")
        self._print("\n".join(lines))
        return f"console-{self._counter}"

    def _save(self, chat_id: str, filename: str) -> Path:
        """A new file for every document: named after whom it was sent to, never over
        another (each person's /myexport is theirs)."""
        self.exports_dir.mkdir(parents=True, exist_ok=True)
        name = Path(filename).name
        owner = "".join(ch for ch in chat_id if ch.isalnum() or ch in "-_") or "chat"
        path = self.exports_dir / f"{owner}-{name}"
        number = 1
        while path.exists():
            number += 1
            path = self.exports_dir / f"{owner}-{Path(name).stem}-{number}{Path(name).suffix}"
        return path

    def _print(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def _prompt(self) -> str:
        where = "private" if self._private else "group"
        return f"{self._speaker.display_name} ({where})> "

    async def _repl(self) -> None:
        tty = self._in.isatty()
        try:
            while True:
                if tty:
                    self._out.write(self._prompt())
                    self._out.flush()
                line = await self._lines.get()
                if line is None:
                    break
                text = line.rstrip("\n")
                if not tty and text.strip():
                    self._print(self._prompt() + text)  # piped: a readable transcript
                if text.startswith(":"):
                    async with self._busy:
                        if not await self._meta(text):
                            break
                    continue
                if text.strip():
                    async with self._busy:
                        await self._say(text)
        finally:
            self.finished.set()

    async def _wait(self, arg: str) -> None:
        m = _WAIT.fullmatch(arg.strip().lower())
        if m is None:
            self._print("(say how long: :wait 3d, :wait 2h, :wait 30m)")
            return
        self.clock.advance(timedelta(**{_UNITS[m[2]]: int(m[1])}))
        self._print(f"(it is now {self.clock.now().astimezone(self._tz):%a %d %b %Y %H:%M})")
        if self._after_wait is not None:
            await self._after_wait()

    async def _meta(self, text: str) -> bool:
        word, _, arg = text[1:].strip().partition(" ")
        if word in {"quit", "q", "exit"}:
            return False
        if word == "private":
            self._private = True
        elif word == "group":
            self._private = False
        elif word == "wait":
            await self._wait(arg)
        elif word == "as" and arg.strip():
            name = arg.strip()
            if name.lower() in {"me", self.user_id}:
                self._speaker = UserRef(Platform.CONSOLE, self.user_id, self.display_name)
            else:
                user_id = "".join(ch for ch in name.lower() if ch.isalnum()) or "guest"
                self._speaker = UserRef(Platform.CONSOLE, user_id, name[:64])
            self._print(f"(now speaking as {self._speaker.display_name})")
        else:
            self._print(HELP)
        return True

    async def _say(self, text: str) -> None:
        assert self._sink is not None
        self._counter += 1
        chat = (
            ChatRef(Platform.CONSOLE, self._speaker.user_id, private=True)
            if self._private
            else ChatRef(Platform.CONSOLE, GROUP_CHAT, private=False, title="Demo")
        )
        stamp = self.clock.now()
        msg = IncomingMessage(
            update_id=f"{stamp.timestamp():.6f}-{self._counter}",
            chat=chat,
            sender=self._speaker,
            text=text,
            timestamp=stamp,
            message_id=str(self._counter),
        )
        await self._sink(msg)
        if self._after_input is not None:
            await self._after_input()
