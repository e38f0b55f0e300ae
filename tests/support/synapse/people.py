"""People and a bot on the test homeserver: a whole Matrix conversation in a few lines.

    world = await MatrixWorld.create(server, tmp_path)
    replies = await world.command(world.bruno, "!setup Veglio")
    assert "ready" in replies[0].body
    note = await world.anna.next_private(lambda m: "admin" in m.body)

A `Person` is a real matrix-nio client with its own sync loop: it joins every room it is
invited to (so the bot's private rooms work) and keeps every message the bot sends it.
With `encrypted=True` it is a client like Element: its own device keys (nio over
vodozemac, a store in `store_dir`), encrypted rooms read and written, and the upkeep
nio's sync_forever does (keys uploaded, queried and claimed, to-device messages sent).
The bot is the real `App` with the real `MatrixTransport`, on its own data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    LocalProtocolError,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

import coworkbot
from bot.app import App
from bot.config import BotSection, Config, MatrixSection, SpaceSection
from bot.transports.base import Transport
from bot.transports.matrix import MatrixTransport
from tests.support.synapse.server import SynapseServer

WAIT = 60.0
PASSWORD = "correct horse battery staple"
_names = itertools.count(1)


class RunningClock:
    """The app's clock for flows that need a given day: it starts where it is set and runs
    at real speed from there, so the outbox's and the scheduler's real waits still end.
    `set()` only moves it forward (stored rows are due by it), like days passing."""

    def __init__(self, start: datetime) -> None:
        self._base = start
        self._since = time.monotonic()

    def now(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._since)

    def set(self, moment: datetime) -> None:
        assert moment.tzinfo is not None and moment >= self.now(), "the clock only goes on"
        self._base, self._since = moment, time.monotonic()


@dataclass(frozen=True)
class Said:
    """A message the bot sent, as a person received it."""

    room_id: str
    event_id: str
    content: dict[str, Any]
    encrypted: bool = False  # it came as m.room.encrypted and this device decrypted it

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))

    @property
    def html(self) -> str:
        return str(self.content.get("formatted_body", ""))

    @property
    def reply_to(self) -> str:
        relates = self.content.get("m.relates_to") or {}
        return str((relates.get("m.in_reply_to") or {}).get("event_id", ""))


ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


@dataclass
class Person:
    server: SynapseServer
    localpart: str
    bot_id: str = ""
    encrypted: bool = False
    store_dir: Path | None = None  # where an encrypted person's device keeps its keys
    register: bool = True  # False: another device of an account that exists
    device: str = ""  # log in on this device id (new keys on an old device: an impostor)
    client: AsyncClient = field(init=False)
    heard: list[Said] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # the bot's events it could not read
    sent: list[str] = field(default_factory=list)  # ids of the events this person sent
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _task: asyncio.Task[None] | None = None

    @property
    def user_id(self) -> str:
        return self.server.user_id(self.localpart)

    async def start(self) -> None:
        if self.register:
            await asyncio.to_thread(self.server.register, self.localpart, PASSWORD)
        store_path = ""
        if self.encrypted:
            assert self.store_dir is not None, "an encrypted person needs a store_dir"
            device_dir = self.store_dir / f"{self.localpart}-{next(_names)}"
            device_dir.mkdir(parents=True)
            store_path = str(device_dir)
        self.client = AsyncClient(
            self.server.url,
            self.user_id,
            device_id=self.device or None,
            store_path=store_path,
            config=AsyncClientConfig(
                max_limit_exceeded=0,
                max_timeouts=0,
                request_timeout=20,
                encryption_enabled=self.encrypted,
            ),
        )
        response = await self.client.login(PASSWORD)
        assert isinstance(response, LoginResponse), response
        first = await self.client.sync(timeout=0)
        assert isinstance(first, SyncResponse), first
        await self.upkeep()
        self._task = asyncio.create_task(self._listen(first.next_batch))

    @property
    def device_id(self) -> str:
        return str(self.client.device_id)

    def another_device(self, **changes: Any) -> Person:
        """The same account logged in on one more encrypted device (not started)."""
        return Person(
            self.server,
            self.localpart,
            self.bot_id,
            encrypted=True,
            store_dir=self.store_dir,
            register=False,
            **changes,
        )

    async def upkeep(self) -> None:
        """What nio's sync_forever does between syncs, for an encrypted person."""
        client = self.client
        if client.olm is None:
            return
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()

    async def _listen(self, since: str) -> None:
        """Sync for ever: join invites, keep what the bot says; survive server restarts."""
        while True:
            try:
                response = await self.client.sync(timeout=10_000, since=since)
            except Exception:
                await asyncio.sleep(0.3)
                continue
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(0.3)
                continue
            since = response.next_batch
            with contextlib.suppress(Exception):
                await self.upkeep()
            for room_id in response.rooms.invite:
                with contextlib.suppress(Exception):
                    await self.client.join(room_id)
            self.unreadable += [
                str(e.event_id)
                for info in response.rooms.join.values()
                for e in info.timeline.events
                if isinstance(e, MegolmEvent) and e.sender == self.bot_id
            ]
            heard = [
                Said(
                    room_id,
                    e.source["event_id"],
                    e.source.get("content", {}),
                    bool(getattr(e, "decrypted", False)),
                )
                for room_id, info in response.rooms.join.items()
                for e in info.timeline.events
                if e.source.get("sender") == self.bot_id
                and e.source.get("type") == "m.room.message"
            ]
            if heard:
                async with self._changed:
                    self.heard.extend(heard)
                    self._changed.notify_all()

    async def say(self, room_id: str, text: str) -> str:
        content = {"msgtype": "m.text", "body": text}
        for _ in range(50):
            try:  # an encrypted client must have synced the room before writing in it
                response = await self.client.room_send(
                    room_id, "m.room.message", content, ignore_unverified_devices=True
                )
            except LocalProtocolError as exc:
                response = exc  # type: ignore[assignment]
            if isinstance(response, RoomSendResponse):
                self.sent.append(str(response.event_id))
                return str(response.event_id)
            await asyncio.sleep(0.2)
        raise AssertionError(f"{self.localpart} could not send {text!r}: {response}")

    async def wait_for(self, found: Callable[[list[Said]], bool], what: str) -> list[Said]:
        async def waiting() -> list[Said]:
            async with self._changed:
                await self._changed.wait_for(lambda: found(self.heard))
                return list(self.heard)

        try:
            return await asyncio.wait_for(waiting(), WAIT)
        except TimeoutError:
            bodies = [s.body[:80] for s in self.heard]
            raise AssertionError(f"{self.localpart} never got {what}; heard {bodies}") from None

    def replies_to(self, event_id: str) -> list[Said]:
        return [s for s in self.heard if s.reply_to == event_id]

    def in_room(self, room_id: str) -> list[Said]:
        return [s for s in self.heard if s.room_id == room_id]

    async def next_private(self, match: Callable[[Said], bool], group_room: str) -> Said:
        """The first message from the bot outside the group room that matches."""
        heard = await self.wait_for(
            lambda said: any(s.room_id != group_room and match(s) for s in said),
            "a private message",
        )
        return next(s for s in heard if s.room_id != group_room and match(s))


@dataclass
class MatrixBot:
    """The real app on the real Matrix transport, on its own data directory."""

    server: SynapseServer
    data_dir: Path
    user_id: str
    timeline_limit: int = 50
    spaces: Sequence[SpaceSection] = ()
    clock: RunningClock | None = None  # the app's (the transport keeps the real one)
    others: Sequence[Transport] = ()  # more platforms in the same app (Telegram)
    encrypt_direct_chats: bool = False  # people's clients without encryption cannot read them
    unreadable_after: float = 120.0
    access_token: str = ""  # instead of the password (then no login is saved)
    app: App | None = None

    @property
    def config(self) -> Config:
        return Config(
            path=None,
            bot=BotSection(data_dir=self.data_dir, default_language="en"),
            matrix=MatrixSection(
                self.server.url,
                self.user_id,
                password="" if self.access_token else PASSWORD,
                access_token=self.access_token,
                encrypt_direct_chats=self.encrypt_direct_chats,
            ),
            spaces=tuple(self.spaces),
        )

    @property
    def transport(self) -> MatrixTransport:
        assert self.app is not None
        transport = self.app.transports["matrix"]
        assert isinstance(transport, MatrixTransport)
        return transport

    async def start(self) -> None:
        config = self.config
        transport = MatrixTransport(
            config.matrix,  # type: ignore[arg-type]
            data_dir=self.data_dir,
            database=config.database_path,
            timeline_limit=self.timeline_limit,
            max_backoff=2.0,
            unreadable_after=self.unreadable_after,
        )
        self.app = App(
            config, [transport, *self.others], routers=coworkbot.routers(), clock=self.clock
        )
        await self.app.start()
        await asyncio.wait_for(transport.synced.wait(), WAIT)

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def devices(self) -> list[str]:
        """The bot account's devices on the server; the saved one is among them."""
        saved = json.loads((self.data_dir / "matrix-session.json").read_text())
        found = self.server.admin_request(
            saved["access_token"], "GET", "/_matrix/client/v3/devices"
        )
        ids = sorted(d["device_id"] for d in found["devices"])
        assert saved["device_id"] in ids
        return ids

    def write_config(self, path: Path, extra: str = "") -> Path:
        """This bot as a config file, for the real `coworkbot run` in its own process."""
        path.write_text(
            f'[bot]\ndata_dir = "{self.data_dir}"\ndefault_language = "en"\n'
            f'[matrix]\nhomeserver = "{self.server.url}"\nuser_id = "{self.user_id}"\n'
            f'password = "{PASSWORD}"\n{extra}'
        )
        return path

    @staticmethod
    def process(
        config: Path, log: Path, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """`coworkbot run --config CONFIG` in its own process, its output added to `log`."""
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "coworkbot", "run", "--config", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        assert self.app is not None
        async with self.app.store.transaction() as session:
            return list(await session.tx.fetchall(sql, params))


@dataclass
class MatrixWorld:
    """A bot, Anna (creates the room), Bruno (power 50 there), Carla (power 0)."""

    server: SynapseServer
    bot: MatrixBot
    anna: Person
    bruno: Person
    carla: Person
    room: str = ""
    history: list[str] = field(default_factory=list)

    @property
    def people(self) -> list[Person]:
        return [self.anna, self.bruno, self.carla]

    @classmethod
    async def create(
        cls,
        server: SynapseServer,
        data_dir: Path,
        *,
        timeline_limit: int = 50,
        encrypted: bool = False,
    ) -> MatrixWorld:
        n = next(_names)
        bot_name = f"coworkbot{n}"
        bot_id = server.user_id(bot_name)
        await asyncio.to_thread(server.register, bot_name, PASSWORD)
        devices = data_dir.parent / "devices"
        people = [
            Person(server, f"{name}{n}", bot_id, encrypted=encrypted, store_dir=devices)
            for name in ("anna", "bruno", "carla")
        ]
        for person in people:
            await person.start()
        bot = MatrixBot(server, data_dir, bot_id, timeline_limit, encrypt_direct_chats=encrypted)
        world = cls(server, bot, *people)
        return world

    async def open_room(self, *, before_bot: Sequence[str] = (), encrypted: bool = False) -> str:
        """Anna's room with Bruno at power 50, Carla at 0; `before_bot` is said before the
        bot is invited (history it must not answer). The bot must be running."""
        initial_state = [ENCRYPTION] if encrypted else []
        response = await self.anna.client.room_create(
            name=f"Coworking {self.anna.localpart}",
            invite=[self.bruno.user_id, self.carla.user_id],
            power_level_override={"users": {self.bruno.user_id: 50}},
            initial_state=initial_state,
        )
        assert isinstance(response, RoomCreateResponse), response
        room = str(response.room_id)
        for line in before_bot:
            self.history.append(await self.anna.say(room, line))
        await self.invite_bot(room)
        return room

    async def invite_bot(self, room: str, by: Person | None = None) -> None:
        inviter = by or self.anna
        await inviter.client.room_invite(room, self.bot.user_id)
        await self.wait_for_membership(room, "join", inviter)

    async def wait_for_membership(self, room: str, membership: str, seen_by: Person) -> None:
        """Until the bot's membership in `room`, as `seen_by` reads it, is `membership`."""

        async def current() -> str:
            response = await seen_by.client.room_get_state_event(
                room, "m.room.member", self.bot.user_id
            )
            return str(getattr(response, "content", {}).get("membership", ""))

        deadline = asyncio.get_running_loop().time() + WAIT
        while await current() != membership:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"the bot's membership in {room} never became {membership}")
            await asyncio.sleep(0.05)

    async def command(
        self, person: Person, text: str, *, replies: int = 1, room: str = ""
    ) -> list[Said]:
        """Send a command as `person` (in the group room unless told) and wait for the
        bot's replies to that very message."""
        event_id = await person.say(room or self.room, text)
        await person.wait_for(
            lambda _: len(person.replies_to(event_id)) >= replies, f"a reply to {text!r}"
        )
        return person.replies_to(event_id)

    async def private_room(self, person: Person, *, encrypted: bool = False) -> str:
        """A direct room `person` opens with the bot: their private chat, like Telegram's.
        `encrypted`: as Element opens one (trusted private chat, encrypted from the start)."""
        response = await person.client.room_create(
            is_direct=True,
            invite=[self.bot.user_id],
            preset=RoomPreset.trusted_private_chat if encrypted else None,
            initial_state=[ENCRYPTION] if encrypted else [],
        )
        assert isinstance(response, RoomCreateResponse), response
        await self.wait_for_membership(response.room_id, "join", person)
        return str(response.room_id)

    async def burst(self, lines: Sequence[tuple[Person, str]]) -> list[tuple[Person, str]]:
        """Send all the lines at once; returns (person, event id) in sending order."""
        ids = await asyncio.gather(*(person.say(self.room, text) for person, text in lines))
        return [(person, event_id) for (person, _), event_id in zip(lines, ids, strict=True)]

    async def answered_once(self, sent: Sequence[tuple[Person, str]]) -> None:
        """Every event got its reply; then a last command's reply proves no late duplicate
        is still on its way (replies in a room go out in order), and each got exactly one."""
        for person, event_id in sent:
            await person.wait_for(
                lambda _, p=person, e=event_id: bool(p.replies_to(e)), "every reply"
            )
        await self.command(self.anna, "!help lang")
        counts = {event_id: len(person.replies_to(event_id)) for person, event_id in sent}
        assert set(counts.values()) == {1}, counts

    async def setup_space(self, *, open_join: bool = True) -> None:
        """Bruno sets the room up, with open joining; Anna and Carla join."""
        await self.command(self.bruno, "!setup Veglio")
        if open_join:
            await self.command(self.bruno, "!set join open")
            await self.command(self.anna, "!join")
            await self.command(self.carla, "!join")

    async def close(self) -> None:
        await self.bot.stop()
        for person in self.people:
            await person.stop()
