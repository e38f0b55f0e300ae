"""The Matrix transport: matrix-nio with the bot's own sync loop.

Why its own loop rather than nio's `sync_forever`: the sync position must be saved only
after the batch's events are stored (a crash in between replays the batch, which the
dispatcher's event-id dedupe makes harmless), a `limited` timeline must have its gap
fetched with `/messages`, and every failure (a handler, a `SyncError`, a homeserver
restart, a timeout) must lead to a bounded backoff, never a tight loop or a dead bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import random
import secrets
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinError,
    LoginResponse,
    MessageDirection,
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomGetStateResponse,
    RoomMessagesResponse,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)
from nio.api import Api
from nio.exceptions import (
    EncryptionError,
    GroupEncryptionError,
    OlmTrustError,
    ProtocolError,
)

from bot.clock import Clock, SystemClock
from bot.config import Config, ConfigError, MatrixSection
from bot.events import ChatRef, IncomingMessage, Kind, OutgoingMessage, Platform, UserRef
from bot.i18n import Translator
from bot.transports.base import DeliveryError, Sink, unless_stopped
from bot.transports.matrix import device_backup, files
from bot.transports.matrix.content import (
    command_text,
    file_content,
    is_edit,
    is_room_creator,
    localpart,
    power_level_of,
    text_content,
    transaction_id,
)
from bot.transports.matrix.credentials import (
    Credentials,
    credentials_path,
    load_credentials,
    save_credentials,
)
from bot.transports.matrix.crypto import UNREADABLE_AFTER, Encryption
from bot.transports.matrix.timeline import RawEvent, first_visit, merge_gap, not_history
from storage import Session, Store
from storage.db import TaskLease
from storage.matrix import KnownRoom
from storage.outbox import NewOutboxItem

log = logging.getLogger(__name__)

CHAT_ADMIN_LEVEL = 50
MAX_GAP_EVENTS = 2000
GAP_PAGE = 100
REPEATED_FAILURES = 3
REPLY_SENDERS_KEPT = 2000
STOP_GRACE = 15.0
SYNC_STANDBY_WAIT = 1.0  # seconds between two asks of a replica that does not sync
ROOM_WAIT = 10.0  # how long a send waits for the sync to bring a room the bot just joined

# nio's complaints when a send meets the encryption state half-way (a room key being
# replaced, members not loaded yet): sending again after the next sync works.
CRYPTO_HICCUPS = (ProtocolError, EncryptionError, GroupEncryptionError, OlmTrustError)

# Errors after which sending the same thing again cannot succeed.
PERMANENT_ERRORS = {"M_BAD_JSON", "M_NOT_JSON", "M_TOO_LARGE", "M_INVALID_PARAM", "M_UNKNOWN"}


class SyncFailed(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Arrival:
    """An event found in a sync that may be a command, with the room it came from."""

    room_id: str
    event: RawEvent


def _now_ms(clock: Clock) -> int:
    return int(clock.now().timestamp() * 1000)


def _raw(event: object) -> RawEvent:
    """The event as the server sent it. nio keeps that in `source`, except that for some
    classes (invite state, account data) it moves `content` out into an attribute."""
    source = getattr(event, "source", None)
    source = source if isinstance(source, Mapping) else {}
    content = getattr(event, "content", None)
    if "content" not in source and isinstance(content, Mapping):
        kind = source.get("type") or getattr(event, "type", None)
        return {**source, "type": kind, "content": content}
    return source


def _errcode(response: object) -> str:
    return str(getattr(response, "status_code", "") or "")


def _retry_after(response: object) -> float | None:
    ms = getattr(response, "retry_after_ms", None)
    return ms / 1000 if isinstance(ms, int | float) and ms > 0 else None


class MatrixTransport:
    platform = Platform.MATRIX

    def __init__(
        self,
        settings: MatrixSection,
        *,
        data_dir: Path,
        database: Path | str,
        command_prefix: str = "!",
        config_path: Path | None = None,
        clock: Clock | None = None,
        timeline_limit: int = 50,
        poll_timeout: float = 30.0,
        request_timeout: float = 30.0,
        max_backoff: float = 60.0,
        unreadable_after: float = UNREADABLE_AFTER,
    ) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.database = database
        self.prefix = command_prefix
        self.config_path = config_path
        self.clock = clock or SystemClock()
        self.timeline_limit = timeline_limit
        self.poll_timeout = poll_timeout
        self.max_backoff = max_backoff
        self.user_id = settings.user_id
        # What the transport says itself (encrypted rooms): the space's language, else English.
        self.translator = Translator("en")
        self.client = AsyncClient(
            settings.homeserver,
            settings.user_id,
            config=AsyncClientConfig(
                # nio's own retries are bounded to none: the outbox and the sync loop
                # decide when to try again, and they honour retry_after themselves.
                max_limit_exceeded=0,
                max_timeouts=0,
                request_timeout=request_timeout,
                encryption_enabled=False,  # Encryption.configure() turns it on
                store=None,
                store_sync_tokens=False,
            ),
        )
        self.crypto = Encryption(
            self.client,
            data_dir,
            self.clock,
            lambda: self.store,
            self.translator,
            unreadable_after=unreadable_after,
        )
        self._store: Store | None = None
        self._sink: Sink | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._since: str | None = None
        self._fresh_start = True
        self._instance = ""
        self._logged_in = False
        self._failures: dict[str, int] = {}
        self._joined_at: dict[str, int] = {}
        self._invites_tried: set[str] = set()
        self._m_direct: dict[str, list[str]] = {}
        self._reply_senders: OrderedDict[str, str] = OrderedDict()
        self._dm_locks: dict[str, asyncio.Lock] = {}
        self.lease: TaskLease | None = None
        self._device_open = False
        self.synced = asyncio.Event()
        self._batches = asyncio.Condition()
        self._batch_count = 0

    @classmethod
    def from_config(cls, config: Config) -> MatrixTransport:
        assert config.matrix is not None
        return cls(
            config.matrix,
            data_dir=config.bot.data_dir,
            database=config.database_target,
            command_prefix=config.bot.command_prefix_matrix,
            config_path=config.path,
        )

    @property
    def bot_name(self) -> str:
        name = localpart(self.user_id)
        return name if name.replace("_", "").isalnum() and name.isascii() else ""

    @property
    def store(self) -> Store:
        assert self._store is not None, "MatrixTransport.start() first"
        return self._store

    @property
    def _position_key(self) -> str:
        return f"matrix.next_batch:{self.user_id}"

    # -- life cycle -------------------------------------------------------------------

    async def start(self, sink: Sink) -> None:
        self._sink = sink
        self._stopping.clear()
        self._store = await Store.open(self.database)
        async with self.store.transaction() as session:
            self._since = await session.kv.get(self._position_key)
            instance = await session.kv.get("matrix.instance")
            if instance is None:
                instance = secrets.token_hex(6)
                await session.kv.set("matrix.instance", instance)
        self._instance = instance
        self._fresh_start = True
        # With replicas, one at a time is the bot's Matrix device: it syncs and sends
        # (the outbox sends Matrix messages under this same lease), and it alone opens
        # the device's files in data_dir. The others wait for it in the sync loop.
        self.lease = self.store.lease("matrix")
        if await self.lease.hold():
            try:
                await self._open_device()
            except ConfigError:
                await self.close()
                raise
        self._task = asyncio.create_task(self._sync_loop(), name="matrix-sync")

    async def _open_device(self) -> None:
        """The device's keys and login (once, by the replica that holds the lease)."""
        self._device_open = True
        await self._restore_device()
        self.crypto.configure()
        if self.crypto.unavailable is not None:
            log.warning(
                "matrix: end-to-end encryption is off (%s): encrypted rooms cannot be read",
                self.crypto.unavailable,
            )
        try:
            await self._login()
        except (ClientError, TimeoutError, OSError) as exc:
            # The homeserver may be down now and up later: the sync loop keeps trying.
            log.warning("matrix: homeserver not reachable at start (%r); will retry", exc)

    async def stop(self) -> None:
        """Stop taking input: the batch in progress is finished and its position saved.

        Sending still works afterwards, for the outbox's last deliveries; `close()`
        releases the connection and the database once those are done.
        """
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), STOP_GRACE)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        self._sink = None

    async def close(self) -> None:
        await self.client.close()
        self.crypto.close()
        if self.lease is not None:
            await self.lease.release()  # another replica is the Matrix device from now on
            self.lease = None
        if self._store is not None:
            await self._store.close()
            self._store = None

    # -- login ------------------------------------------------------------------------

    async def _restore_device(self) -> None:
        """A database restored from `coworkbot backup` brings the device back with it."""
        async with self.store.transaction() as session:
            files = await session.matrix_crypto.identity_backup()
            if not files:
                return
            try:
                device_backup.restore(self.data_dir, files, self.clock.now())
            except (OSError, ValueError) as exc:
                log.error("matrix: cannot restore the device from the backup: %r", exc)
                return
            await session.matrix_crypto.clear_identity_backup()
        log.warning("matrix: the database comes from a backup: its Matrix device is restored")

    async def _login(self) -> None:
        """Reuse the saved device and token; log in with the password only when needed."""
        settings = self.settings
        if settings.access_token:
            self.client.access_token = settings.access_token
            self.client.user_id = settings.user_id
            who = await self.client.whoami()
            if not isinstance(who, WhoamiResponse):
                raise self._login_refused(who, "access_token")
            self.client.device_id = who.device_id or ""
            if not self.crypto.has_keys(self.client.device_id):
                log.error(
                    "matrix: device %s has no encryption keys in %s: make a new access token"
                    " (a new device) or restore a backup, or encrypted rooms will not work",
                    self.client.device_id,
                    self.data_dir,
                )
            self.crypto.logged_in()
            self._logged_in = True
            return
        path = credentials_path(self.data_dir)
        saved = load_credentials(path, settings.homeserver, settings.user_id)
        if saved is not None and not self.crypto.has_keys(saved.device_id):
            # Its keys are lost (or it predates encryption): people's clients would keep
            # encrypting for keys nobody has. A new device, and the old one logged out.
            log.warning(
                "matrix: device %s has no encryption keys here; logging in as a new device",
                saved.device_id,
            )
            self.client.access_token = saved.access_token
            with contextlib.suppress(ClientError, TimeoutError):
                await self.client.logout()
            self.client.access_token = ""
            saved = None
        if saved is not None:
            self.client.restore_login(saved.user_id, saved.device_id, saved.access_token)
            who = await self.client.whoami()
            if isinstance(who, WhoamiResponse):
                self.crypto.logged_in()
                self._logged_in = True
                return
            if _errcode(who) != "M_UNKNOWN_TOKEN":
                raise SyncFailed(f"whoami failed: {who}", _retry_after(who))
            log.warning("matrix: the saved access token was revoked; logging in again")
            self.client.access_token = ""
            self.crypto.forget_device()
        response = await self.client.login(settings.password, device_name=settings.device_name)
        if not isinstance(response, LoginResponse):
            if _errcode(response) == "M_LIMIT_EXCEEDED":
                raise SyncFailed(str(response), _retry_after(response))
            raise self._login_refused(response, "password")
        save_credentials(
            path,
            Credentials(
                settings.homeserver, response.user_id, response.device_id, response.access_token
            ),
        )
        log.info("matrix: logged in as %s, device %s", response.user_id, response.device_id)
        self.crypto.logged_in()
        self._logged_in = True

    def _login_refused(self, response: object, key: str) -> ConfigError:
        return ConfigError(
            self.config_path, f"matrix.{key}", f"the homeserver refused it ({_errcode(response)})"
        )

    # -- the sync loop ----------------------------------------------------------------

    def _backoff(self, failures: int) -> float:
        return min(self.max_backoff, 2.0 ** min(failures - 1, 10)) * random.uniform(0.8, 1.2)

    async def _sync_loop(self) -> None:
        failures = 0
        lease = self.lease
        assert lease is not None
        while not self._stopping.is_set():
            # One replica syncs; asked before every batch, so one that lost it stops.
            if not await lease.hold():
                await self._pause(SYNC_STANDBY_WAIT)
                continue
            try:
                if not self._device_open:
                    await self._open_device()
                if not self._logged_in:
                    await self._login()
                response = await self._sync_once()
                if response is None:
                    break  # stopping
                await self.crypto.maintain(response)
                await self._process(response)
                await self._save_position(response.next_batch)
                failures = 0
                self.synced.set()
                async with self._batches:
                    self._batch_count += 1
                    self._batches.notify_all()
            except asyncio.CancelledError:
                raise
            except ConfigError as err:
                failures += 1
                log.error("matrix: %s; retrying in a while", err)
                await self._pause(self.max_backoff)
            except Exception as exc:
                failures += 1
                retry_after = exc.retry_after if isinstance(exc, SyncFailed) else None
                delay = retry_after if retry_after is not None else self._backoff(failures)
                log.warning(
                    "matrix sync failed (%s); retrying in %.1fs",
                    exc if isinstance(exc, SyncFailed) else repr(exc),
                    delay,
                )
                await self._pause(delay)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _sync_filter(self) -> dict[str, Any]:
        return {
            "room": {
                "timeline": {"limit": self.timeline_limit},
                "ephemeral": {"types": []},
                "account_data": {"types": []},
            },
            "presence": {"types": []},
            "account_data": {"types": ["m.direct"]},
        }

    async def _sync_once(self) -> SyncResponse | None:
        """One /sync, abandoned if stop() is called while it waits for news."""
        # After a restart nio knows no room state: ask for all of it once (members,
        # encryption, power levels), with the timeline still from the saved position.
        full_state = self._fresh_start and self._since is not None
        response = await unless_stopped(
            self.client.sync(
                timeout=int(self.crypto.wait_at_most(self.poll_timeout) * 1000),
                sync_filter=self._sync_filter(),
                since=self._since,
                full_state=full_state or None,
            ),
            self._stopping,
        )
        if response is None:
            return None
        if isinstance(response, SyncResponse):
            return response
        code = _errcode(response)
        if code == "M_UNKNOWN_TOKEN":
            self._logged_in = False
            self.client.access_token = ""
        raise SyncFailed(str(response), _retry_after(response))

    async def _save_position(self, next_batch: str) -> None:
        async with self.store.transaction() as session:
            await session.kv.set(self._position_key, next_batch)
        self._since = next_batch
        self._fresh_start = False

    # -- one batch ----------------------------------------------------------------------

    async def _process(self, response: SyncResponse) -> None:
        """Everything the batch brings, in order; raises to have the batch fetched again."""
        initial = self._since is None
        self._read_m_direct(response)
        joined = response.rooms.join
        async with self.store.transaction() as session:
            known = await session.matrix.rooms(list(joined))
            direct = await session.matrix.direct_users(list(joined))
            for room_id in response.rooms.leave:
                await session.matrix.forget_room(room_id)
        arrivals: list[_Arrival] = []
        for room_id, info in joined.items():
            events = [_raw(e) for e in info.timeline.events]
            room = known.get(room_id)
            if room is None:
                history_before, new = first_visit(
                    events, self.user_id, self._joined_at.get(room_id)
                )
                async with self.store.transaction() as session:
                    await session.matrix.add_room(room_id, history_before, self.clock.now())
                room = KnownRoom(room_id, history_before, False)
                known[room_id] = room
            else:
                if info.timeline.limited and not initial and info.timeline.prev_batch:
                    gap = await self._fetch_gap(room_id, info.timeline.prev_batch)
                    log.debug("matrix: %d missed events fetched in %s", len(gap), room_id)
                    events = merge_gap(gap, events)
                new = not_history(events, room.history_before)
            arrivals += [_Arrival(room_id, e) for e in new]
        # Parked events whose room key came in this sync go first: they were sent earlier.
        readable = await self.crypto.released()
        readable += await self.crypto.readable([(a.room_id, a.event) for a in arrivals])
        for room_id, event in readable:
            await self._deliver(_Arrival(room_id, event), direct)
        for room_id in joined:
            await self._check_encryption(known[room_id], direct.get(room_id))
        for room_id, invite in response.rooms.invite.items():
            await self._consider_invite(room_id, [_raw(e) for e in invite.invite_state])
        if initial or self._fresh_start:
            await self._join_bound_rooms(set(joined) | set(response.rooms.invite))

    async def _fetch_gap(self, room_id: str, prev_batch: str) -> list[RawEvent]:
        """The events a `limited` sync left out, newest first, back to the saved position."""
        gap: list[RawEvent] = []
        token = prev_batch
        while len(gap) < MAX_GAP_EVENTS:
            response = await self.client.room_messages(
                room_id,
                start=token,
                end=self._since,
                direction=MessageDirection.back,
                limit=GAP_PAGE,
            )
            if not isinstance(response, RoomMessagesResponse):
                raise SyncFailed(f"fetching missed events failed: {response}", None)
            gap += [_raw(e) for e in response.chunk]
            if not response.chunk or not response.end or response.end == token:
                return gap
            token = response.end
        log.warning(
            "matrix: more than %d missed events in %s; older ones skipped", len(gap), room_id
        )
        return gap

    async def _deliver(self, arrival: _Arrival, direct: dict[str, str]) -> None:
        """Hand one event to the bot; a failing one is retried with its batch, then skipped."""
        event = arrival.event
        event_id = str(event.get("event_id", ""))
        try:
            message = await self._incoming(arrival, direct)
            if message is not None:
                assert self._sink is not None
                await self._sink(message)
        except Exception:
            count = self._failures.get(event_id, 0) + 1
            self._failures[event_id] = count
            if count < REPEATED_FAILURES:
                raise
            log.exception("matrix: event %s failed %d times; skipped", event_id, count)
        else:
            self._failures.pop(event_id, None)

    async def _incoming(self, arrival: _Arrival, direct: dict[str, str]) -> IncomingMessage | None:
        """The event as the bot sees it, or None for anything that cannot be a command."""
        event, room_id = arrival.event, arrival.room_id
        sender = event.get("sender")
        content = event.get("content")
        event_id = event.get("event_id")
        if not isinstance(sender, str) or not isinstance(event_id, str):
            return None
        if not isinstance(content, Mapping) or sender == self.user_id:
            return None
        kind_of = event.get("type")
        if kind_of == "m.room.member":
            return await self._membership(arrival, content, direct)
        msgtype = content.get("msgtype")
        if kind_of != "m.room.message" or msgtype not in ("m.text", *files.FILE_TYPES):
            return None  # notices are other bots talking; emotes are not commands
        text = command_text(content) if msgtype == "m.text" else files.caption(content)
        if not text.strip():
            return None  # a file without a caption is not a command
        attachment = None
        if text.lstrip().startswith(self.prefix) and not is_edit(content):
            if msgtype != "m.text":
                attachment = await files.fetch(self.client, content)
            elif target := files.reply_target(content):
                attachment = await files.replied_file(
                    self.client, room_id, target, self.crypto.decrypted
                )
        private = await self._is_private(room_id, sender, direct)
        if private:
            chat = ChatRef(Platform.MATRIX, sender, private=True)
        else:
            room = self.client.rooms.get(room_id)
            chat = ChatRef(Platform.MATRIX, room_id, False, room.display_name if room else "")
        self._remember_sender(event_id, sender)
        return IncomingMessage(
            update_id=event_id,
            chat=chat,
            sender=self._user(room_id, sender),
            text=text,
            timestamp=datetime.fromtimestamp(event.get("origin_server_ts", 0) / 1000, UTC),
            kind=Kind.EDITED if is_edit(content) else Kind.MESSAGE,
            message_id=event_id,
            attachment=attachment,
            raw=event,
        )

    def _user(self, room_id: str, user_id: str) -> UserRef:
        room = self.client.rooms.get(room_id)
        name = ""
        if room is not None and user_id in room.users:
            name = room.users[user_id].display_name or ""
        return UserRef(
            Platform.MATRIX, user_id, name or localpart(user_id), username=localpart(user_id)
        )

    def _remember_sender(self, event_id: str, sender: str) -> None:
        """Who sent a command, so the reply can mention them (kept for recent events only)."""
        self._reply_senders[event_id] = sender
        while len(self._reply_senders) > REPLY_SENDERS_KEPT:
            self._reply_senders.popitem(last=False)

    async def _membership(
        self, arrival: _Arrival, content: Mapping[str, Any], direct: dict[str, str]
    ) -> IncomingMessage | None:
        """Someone left: a private chat is closed; in a group it is the MEMBER_LEFT event."""
        event, room_id = arrival.event, arrival.room_id
        who = event.get("state_key")
        if content.get("membership") not in ("leave", "ban") or not isinstance(who, str):
            return None
        if who == self.user_id:
            return None
        if direct.get(room_id) == who:
            del direct[room_id]
            async with self.store.transaction() as session:
                await session.matrix.forget_direct_room(room_id)
            # A room the person left is no private chat any more: the next message to
            # them opens a new one they will see.
            with contextlib.suppress(ClientError, TimeoutError):
                await self.client.room_leave(room_id)
            return None
        room = self.client.rooms.get(room_id)
        return IncomingMessage(
            update_id=str(event["event_id"]),
            chat=ChatRef(Platform.MATRIX, room_id, False, room.display_name if room else ""),
            sender=self._user(room_id, who),
            text="",
            timestamp=datetime.fromtimestamp(event.get("origin_server_ts", 0) / 1000, UTC),
            kind=Kind.MEMBER_LEFT,
            message_id=str(event["event_id"]),
            raw=event,
        )

    async def _is_private(self, room_id: str, sender: str, direct: dict[str, str]) -> bool:
        """A direct room with this sender is their private chat (recorded or in m.direct)."""
        if direct.get(room_id) == sender:
            return True
        if room_id in direct:
            return False
        if room_id in self._m_direct.get(sender, []):
            room = self.client.rooms.get(room_id)
            if room is not None and room.encrypted and not self.crypto.enabled:
                return False
            async with self.store.transaction() as session:
                if await session.spaces.by_chat(Platform.MATRIX, room_id) is not None:
                    return False
                await session.matrix.set_direct_room(sender, room_id, self.clock.now())
            direct[room_id] = sender
            return True
        return False

    def _read_m_direct(self, response: SyncResponse) -> None:
        for event in response.account_data_events:
            source = _raw(event)
            if source.get("type") == "m.direct":
                content = source.get("content")
                if isinstance(content, Mapping):
                    self._m_direct = {
                        user: [r for r in rooms if isinstance(r, str)]
                        for user, rooms in content.items()
                        if isinstance(rooms, list)
                    }

    # -- invites and rooms --------------------------------------------------------------

    async def _consider_invite(self, room_id: str, invite_state: Sequence[RawEvent]) -> None:
        """Join rooms bound to a space, rooms a space admin invites the bot to, private
        chats, and, while the bot serves no space yet, any room so a first `setup` can
        happen. Other invites are declined, so they can be made again later."""
        if room_id in self._invites_tried or room_id in self.client.rooms:
            return
        invite = next(
            (
                e
                for e in invite_state
                if e.get("type") == "m.room.member" and e.get("state_key") == self.user_id
            ),
            {},
        )
        inviter = str(invite.get("sender", ""))
        content = invite.get("content")
        is_direct = isinstance(content, Mapping) and content.get("is_direct") is True
        encrypted = any(e.get("type") == "m.room.encryption" for e in invite_state)
        async with self.store.transaction() as session:
            accept, why = await self._invite_verdict(session, room_id, inviter, is_direct)
        self._invites_tried.add(room_id)
        if not accept:
            log.info("matrix: declining invite to %s from %s (%s)", room_id, inviter, why)
            with contextlib.suppress(ClientError, TimeoutError):
                await self.client.room_leave(room_id)
            return
        log.info("matrix: joining %s, invited by %s (%s)", room_id, inviter, why)
        self._joined_at[room_id] = _now_ms(self.clock)
        response = await self.client.join(room_id)
        if isinstance(response, JoinError):
            self._invites_tried.discard(room_id)  # try again with the next sync
            raise SyncFailed(f"joining {room_id} failed: {response}", _retry_after(response))
        if is_direct and inviter and (self.crypto.enabled or not encrypted):
            async with self.store.transaction() as session:
                await session.matrix.set_direct_room(inviter, room_id, self.clock.now())

    async def _invite_verdict(
        self, session: Session, room_id: str, inviter: str, is_direct: bool
    ) -> tuple[bool, str]:
        if await session.spaces.by_chat(Platform.MATRIX, room_id) is not None:
            return True, "the room belongs to a space"
        if is_direct:
            return True, "a private chat"
        for member in await session.members.memberships(f"matrix:{inviter}"):
            if member.is_admin and member.is_active:
                return True, "the inviter is a space admin"
        if not await session.spaces.all():
            return True, "no space yet: the room can be set up"
        return False, "not a space's room, and the inviter is no admin"

    async def _join_bound_rooms(self, present: set[str]) -> None:
        """Rooms bound in the config (or by setup) that the bot is not in: try to join."""
        async with self.store.transaction() as session:
            chats = await session.spaces.all_chats()
        for _, platform, room_id in chats:
            if platform != Platform.MATRIX or room_id in present:
                continue
            self._joined_at.setdefault(room_id, _now_ms(self.clock))
            response = await self.client.join(room_id)
            if isinstance(response, JoinError):
                log.warning("matrix: cannot join the space's room %s: %s", room_id, response)

    async def _check_encryption(self, room: KnownRoom, direct_user: str | None) -> None:
        """An encrypted room the bot cannot read: say so once, in the logs and to people."""
        state = self.client.rooms.get(room.room_id)
        if state is None or not state.encrypted or room.encryption_reported or self.crypto.enabled:
            return
        async with self.store.transaction() as session:
            if not await session.matrix.report_encryption(room.room_id):
                return
            log.warning(
                "matrix: room %s is end-to-end encrypted and encryption support is not"
                " installed: its messages cannot be read",
                room.room_id,
            )
            space = await session.spaces.by_chat(Platform.MATRIX, room.room_id)
            translator = self.translator
            language = space.language if space else translator.default_language
            if direct_user is not None:
                # Not a usable private chat: the next private message opens a new one.
                await session.matrix.forget_direct_room(room.room_id)
            now = self.clock.now()
            await session.outbox.enqueue(
                NewOutboxItem(
                    Platform.MATRIX,
                    room.room_id,
                    False,
                    str(translator.t(translator.language(language), "matrix.encrypted_room")),
                    space_id=space.id if space else None,
                ),
                now,
            )
            if space is None:
                return
            for admin in await session.members.admins(space.id):
                for identity in await session.members.identities(admin.id):
                    if identity.platform != Platform.MATRIX:
                        continue
                    lang = admin.language or space.language
                    html = str(
                        translator.t(
                            translator.language(lang),
                            "matrix.encrypted_room_admins",
                            room=state.display_name,
                            space=space.name,
                        )
                    )
                    await session.outbox.enqueue(
                        NewOutboxItem(
                            Platform.MATRIX,
                            identity.user_id,
                            True,
                            html,
                            space_id=space.id,
                            member_id=admin.id,
                        ),
                        now,
                    )

    # -- sending ------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> str:
        try:
            return await self._send(message)
        except DeliveryError:
            raise
        except (ClientError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"homeserver unreachable: {exc!r}") from exc
        except CRYPTO_HICCUPS as exc:
            raise DeliveryError(f"not ready to encrypt: {exc!r}", retry_after=2.0) from exc

    async def _send(self, message: OutgoingMessage) -> str:
        room_id = await self._room_for(message.chat)
        encrypted = await self._is_encrypted(room_id)
        event_id = ""
        if message.html or message.buttons or message.document is None:
            content = text_content(
                message.html,
                message.buttons,
                self.prefix,
                reply_to=message.reply_to,
                reply_sender=self._reply_senders.get(message.reply_to, ""),
            )
            event_id = await self._room_send(room_id, content, message, "text")
        if message.document is not None:
            document = message.document
            # In an encrypted room the file is encrypted too (AES-CTR, the same size),
            # and the keys travel in the encrypted event, as Element does.
            upload, keys = await self.client.upload(
                io.BytesIO(document.content),
                content_type=document.mime_type,
                filename=document.filename,
                encrypt=encrypted,
                filesize=len(document.content),
            )
            if not isinstance(upload, UploadResponse):
                raise await self._delivery_error(upload, message.chat, room_id)
            content = file_content(document, upload.content_uri, keys if encrypted else None)
            event_id = await self._room_send(room_id, content, message, "file")
        return event_id

    async def _room_send(
        self, room_id: str, content: dict[str, Any], message: OutgoingMessage, part: str
    ) -> str:
        tx_id = (
            transaction_id(self._instance, message.key, part)
            if message.key
            else f"coworkbot.{secrets.token_hex(8)}"
        )
        if self.crypto.enabled and room_id not in self.client.rooms:
            # nio with encryption on refuses rooms it has not synced; the bot is not in
            # this one (see _is_encrypted), so the server answers as it always did.
            method, path, data = Api.room_send(
                self.client.access_token, room_id, "m.room.message", content, tx_id
            )
            response = await self.client._send(RoomSendResponse, method, path, data, (room_id,))
        else:
            # The room key goes to the devices that may read this message, right before
            # nio encrypts with it (crypto.py); nio itself never shares one.
            chat, answered = message.chat, message.reply_to
            await self.crypto.prepare(
                room_id,
                chat.chat_id if chat.private else None,
                self._reply_senders.get(answered) or self.crypto.sender_of(answered),
            )
            response = await self.client.room_send(room_id, "m.room.message", content, tx_id=tx_id)
        if isinstance(response, RoomSendResponse):
            return str(response.event_id)
        raise await self._delivery_error(response, message.chat, room_id)

    async def _is_encrypted(self, room_id: str) -> bool:
        """Whether what goes to the room is encrypted. A room nio has not synced yet is
        waited for a little (the bot may have joined it a moment ago); if it still does
        not show, the bot is not in it, unless the server says it is encrypted: later."""
        if not self.crypto.enabled:
            return False
        if room_id not in self.client.rooms:
            await self._next_batch()
        if room_id in self.client.rooms:
            return self.crypto.is_encrypted(room_id)
        state = await self.client.room_get_state_event(room_id, "m.room.encryption")
        if isinstance(state, RoomGetStateEventResponse):
            raise DeliveryError(f"{room_id} is encrypted and not synced yet", retry_after=2.0)
        return False

    async def _next_batch(self) -> None:
        """Until the sync loop has handled one more batch (or ROOM_WAIT seconds)."""
        async with self._batches:
            target = self._batch_count + 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._batches.wait_for(lambda: self._batch_count >= target), ROOM_WAIT
                )

    async def _delivery_error(self, response: object, chat: ChatRef, room_id: str) -> DeliveryError:
        code = _errcode(response)
        reason = str(response)
        if code == "M_LIMIT_EXCEEDED":
            return DeliveryError(reason, retry_after=_retry_after(response) or 5.0)
        if code == "M_UNKNOWN_TOKEN":
            self._logged_in = False
            return DeliveryError(reason)
        if code in ("M_FORBIDDEN", "M_NOT_FOUND"):
            if chat.private:
                # The private room is gone or closed to the bot: forget it, and the retry
                # opens a new one.
                async with self.store.transaction() as session:
                    await session.matrix.forget_direct_room(room_id)
                return DeliveryError(reason)
            return DeliveryError(reason, permanent=True)
        if code in PERMANENT_ERRORS:
            return DeliveryError(reason, permanent=True)
        return DeliveryError(reason)

    async def _room_for(self, chat: ChatRef) -> str:
        if not chat.private:
            return chat.chat_id
        lock = self._dm_locks.setdefault(chat.chat_id, asyncio.Lock())
        async with lock:
            return await self._direct_room(chat.chat_id)

    async def _direct_room(self, user_id: str) -> str:
        """The user's private room: the recorded one, else one in m.direct, else a new one."""
        async with self.store.transaction() as session:
            recorded = await session.matrix.direct_room(user_id)
        if recorded is not None:
            return recorded
        for room_id in reversed(self._m_direct.get(user_id, [])):
            room = self.client.rooms.get(room_id)
            if room is None or (room.encrypted and not self.crypto.enabled):
                continue
            if user_id in room.users or user_id in room.invited_users:
                async with self.store.transaction() as session:
                    await session.matrix.set_direct_room(user_id, room_id, self.clock.now())
                return room_id
        response = await self.client.room_create(
            is_direct=True,
            invite=[user_id],
            preset=RoomPreset.trusted_private_chat,
            initial_state=self.crypto.direct_room_state(self.settings.encrypt_direct_chats),
        )
        if not isinstance(response, RoomCreateResponse):
            code = _errcode(response)
            if code == "M_LIMIT_EXCEEDED":
                raise DeliveryError(str(response), retry_after=_retry_after(response) or 5.0)
            permanent = code in ("M_NOT_FOUND", "M_INVALID_PARAM", "M_UNKNOWN")
            raise DeliveryError(f"cannot open a private room: {response}", permanent=permanent)
        room_id = str(response.room_id)
        async with self.store.transaction() as session:
            await session.matrix.set_direct_room(user_id, room_id, self.clock.now())
            # A room the bot made has no history: every event in it is new (and no
            # clock of ours must judge the server's timestamps).
            await session.matrix.add_room(room_id, 0, self.clock.now())
        await self._record_m_direct(user_id, room_id)
        log.info("matrix: opened private room %s with %s", room_id, user_id)
        return room_id

    async def _record_m_direct(self, user_id: str, room_id: str) -> None:
        """Add the room to the bot's m.direct account data, as clients expect of a DM."""
        rooms = self._m_direct.setdefault(user_id, [])
        if room_id not in rooms:
            rooms.append(room_id)
        path = Api._build_path(["user", self.user_id, "account_data", "m.direct"])
        try:
            response = await self.client.send(
                "PUT",
                path,
                json.dumps(self._m_direct),
                headers={
                    "Authorization": f"Bearer {self.client.access_token}",
                    "Content-Type": "application/json",
                },
            )
            if response.status >= 300:
                log.warning("matrix: could not update m.direct (HTTP %d)", response.status)
            response.release()
        except (ClientError, TimeoutError) as exc:
            log.warning("matrix: could not update m.direct: %r", exc)

    # -- chat admins ----------------------------------------------------------------------

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        """Power level 50 or more (a moderator) in the room, read fresh from the server."""
        if chat.private:
            return False
        response = await self.client.room_get_state(chat.chat_id)
        if not isinstance(response, RoomGetStateResponse):
            log.warning("matrix: cannot read the state of %s: %s", chat.chat_id, response)
            return False
        power_levels: Mapping[str, Any] = {}
        create_sender, create_content = "", {}  # type: tuple[str, Mapping[str, Any]]
        for event in response.events:
            if not isinstance(event, Mapping) or event.get("state_key") != "":
                continue
            if event.get("type") == "m.room.power_levels":
                power_levels = event.get("content") or {}
            elif event.get("type") == "m.room.create":
                create_sender = str(event.get("sender", ""))
                create_content = event.get("content") or {}
        if power_level_of(user.user_id, power_levels) >= CHAT_ADMIN_LEVEL:
            return True
        return is_room_creator(user.user_id, create_sender, create_content)
