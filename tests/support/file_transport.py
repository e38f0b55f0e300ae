"""A transport over files, for running the bot as a real process in tests.

It behaves like Telegram's long polling: updates come from a script (`script.jsonl`,
one JSON object a line, each with a stable update id), the messages sent at one moment
handed over together as one getUpdates answer brings them, and the transport confirms
how far it got (`state.json`) only every few updates, so after a crash the unconfirmed
ones are delivered again, as Telegram redelivers unconfirmed updates. What the bot sends is
appended to `sent.jsonl` before `send` returns (the platform accepted it); a kill
between that and the outbox marking the row sent means it is sent again.

Script lines: `{"at": ISO, "tick": true}` moves the clock and runs the jobs;
`{"at": ISO, "user": "anna", "name": "Anna", "chat": "group"|"private", "text": ...}`
is a message. The clock is the script's: every line sets it, so a run that crashes
and one that does not see the same times. `trace.log` says what was received when.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import FakeClock
from bot.events import ChatRef, IncomingMessage, OutgoingMessage, Platform, UserRef
from bot.transports.base import Sink

CONFIRM_EVERY = 7
ANSWER = 10  # messages handed over together at most
GROUP = ChatRef(Platform.MEMORY, "group", private=False, title="Crash test")


def read_script(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


class FileTransport:
    platform = Platform.MEMORY

    def __init__(
        self,
        workdir: Path,
        clock: FakeClock,
        *,
        chat_admins: frozenset[str] = frozenset({"anna"}),
        send_delay: float = 0.0,
        hang_sends: bool = False,
        stay: bool = False,
    ) -> None:
        self.workdir = workdir
        self.clock = clock
        self.chat_admins = chat_admins
        self.send_delay = send_delay
        self.hang_sends = hang_sends
        self.stay = stay
        self.script = read_script(workdir / "script.jsonl")
        self.on_tick: Callable[[], Awaitable[object]] | None = None
        self.go = asyncio.Event()  # set once the app is ready for input
        self.finished = asyncio.Event()
        self._sink: Sink | None = None
        self._task: asyncio.Task[None] | None = None
        self._busy = asyncio.Lock()
        self._stopping = False
        self._sent_fd = os.open(workdir / "sent.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        self._trace_fd = os.open(workdir / "trace.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        self.offset = self._load_offset()
        self._next = self.offset
        # Where the clock stood at the last confirmed line: the restart happens "then".
        start = self.script[max(0, self.offset - 1)]["at"] if self.script else None
        if start:
            clock.set(datetime.fromisoformat(start))

    @property
    def bot_name(self) -> str:
        return "coworkbot"

    def _load_offset(self) -> int:
        path = self.workdir / "state.json"
        if not path.exists():
            return 0
        return int(json.loads(path.read_text("utf-8"))["offset"])

    def _confirm(self, offset: int) -> None:
        tmp = self.workdir / "state.json.tmp"
        tmp.write_text(json.dumps({"offset": offset}), "utf-8")
        os.replace(tmp, self.workdir / "state.json")

    def _trace(self, text: str) -> None:
        os.write(self._trace_fd, f"{os.getpid()} {text}\n".encode())

    async def start(self, sink: Sink) -> None:
        self._sink = sink
        self._trace(f"start {self.offset}")
        self._task = asyncio.create_task(self._run(), name="file-transport")

    async def _run(self) -> None:
        await self.go.wait()
        try:
            index = self.offset
            while index < len(self.script):
                async with self._busy:
                    if self._stopping:
                        return
                    end = self._answer(index)
                    # As one getUpdates answer: handed over together, each in its own
                    # task, in order (they share the bot's transactions).
                    await asyncio.gather(
                        *(self._deliver(i, self.script[i]) for i in range(index, end))
                    )
                    self._next = end
                    if end // CONFIRM_EVERY > index // CONFIRM_EVERY:
                        self._confirm(self._next)
                    index = end
            self._confirm(len(self.script))
            self._trace("end")
            if self.stay:
                await asyncio.Event().wait()  # a bot with nothing to read waits
        finally:
            if not self._stopping:
                self.finished.set()

    def _answer(self, index: int) -> int:
        """Where the answer that starts at `index` ends: a tick alone; else the messages
        after it sent at the same moment (a burst), up to ANSWER of them. The script's
        moments decide, not timing, so a run killed and one never killed see the same
        clock at every command."""
        end = index + 1
        if self.script[index].get("tick"):
            return end
        while (
            end < len(self.script)
            and end - index < ANSWER
            and not self.script[end].get("tick")
            and self.script[end]["at"] == self.script[index]["at"]
        ):
            end += 1
        return end

    async def _deliver(self, index: int, line: dict[str, Any]) -> None:
        assert self._sink is not None
        self.clock.set(datetime.fromisoformat(line["at"]))
        self._trace(f"recv {index}")
        if line.get("tick"):
            if self.on_tick is not None:
                await self.on_tick()
        else:
            user = UserRef(Platform.MEMORY, line["user"], line["name"], username=line["user"])
            chat = (
                ChatRef(Platform.MEMORY, user.user_id, private=True)
                if line["chat"] == "private"
                else GROUP
            )
            await self._sink(
                IncomingMessage(
                    update_id=f"u{index}",
                    chat=chat,
                    sender=user,
                    text=line["text"],
                    timestamp=self.clock.now(),
                    message_id=f"m{index}",
                )
            )
        self._trace(f"done {index}")

    async def stop(self) -> None:
        """Finish the line in hand, confirm it (as PTB does when it stops), read no more."""
        self._stopping = True
        self.go.set()
        async with self._busy:
            self._confirm(self._next)
            self._trace(f"stopped {self._next}")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def send(self, message: OutgoingMessage) -> str:
        if self.hang_sends:
            await asyncio.Event().wait()
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        record = {
            "key": message.key,
            "chat": message.chat.chat_id,
            "private": message.chat.private,
            "reply_to": message.reply_to,
            "html": message.html,
            "buttons": [[b.label, b.command] for b in message.buttons],
            "document": message.document.filename if message.document else None,
        }
        os.write(self._sent_fd, (json.dumps(record, ensure_ascii=False) + "\n").encode())
        return f"file-{message.key}"

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return user.user_id in self.chat_admins
