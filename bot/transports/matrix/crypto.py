"""End-to-end encryption for the Matrix transport, with matrix-nio's own Olm machine.

nio (over vodozemac) does the cryptography: the device's Olm account and sessions,
Megolm group sessions, decrypting a sync's to-device and timeline events as they
arrive (and the events of `/messages`), encrypting in `room_send`. Its `sync_forever`
would also do the upkeep between syncs; the transport runs its own sync loop, so this
module does that upkeep and adds what a bot that runs commands needs:

- the crypto store, one SQLite file per device in `data_dir/matrix-crypto/`, sealed
  with a random pickle key kept beside it (mode 0600);
- the upkeep after each sync (`maintain`): one-time keys topped up (also when the
  server says none are left, a count nio ignores), device lists queried when `/sync`
  says they changed, Olm sessions of wedged devices renewed, to-device messages sent;
- events nio could not decrypt (`readable`): decrypted here if their key is known by
  now, else parked in the database until the room key arrives (`released`), and after
  a while the sender is told once that the message could not be read;
- a replay guard that outlives restarts (nio's is in memory): a Megolm message index
  already seen under another event id never reaches the dispatcher;
- the trust policy of the README (`prepare`): a room's group session goes only to its
  space's members (and to the person, in a private chat; to everyone, in a room that
  is no space's yet; to the one a reply answers, for that reply), their devices trusted
  on first use, a new device too; the session is replaced as soon as someone who had
  it may no longer read.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from aiohttp import ClientError
from nio import (
    AsyncClient,
    Event,
    JoinedMembersResponse,
    KeysClaimResponse,
    KeysQueryResponse,
    KeysUploadResponse,
    LocalProtocolError,
    MegolmEvent,
    ShareGroupSessionResponse,
    SyncResponse,
)
from nio.api import Api
from nio.exceptions import EncryptionError, GroupEncryptionError

from bot.clock import Clock
from bot.events import Platform
from bot.i18n import Markup, Translator, escape
from bot.transports.base import DeliveryError
from bot.transports.matrix import e2e_extra
from bot.transports.matrix.content import localpart
from bot.transports.matrix.device_backup import CRYPTO_DIR as STORE_DIR
from bot.transports.matrix.timeline import RawEvent
from storage import Session, Store
from storage.matrix_crypto import Parked
from storage.outbox import NewOutboxItem

log = logging.getLogger(__name__)

PICKLE_KEY_FILE = "pickle-key"
MEGOLM = "m.megolm.v1.aes-sha2"
ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}

UNREADABLE_AFTER = 120.0  # seconds an event waits for its room key before the sender hears
KEEP_SEEN = timedelta(days=90)  # how long the replay guard remembers a message index
INDEXES_KEPT = 5000
SHARE_TRIES = 3


def store_dir(data_dir: Path) -> Path:
    return data_dir / STORE_DIR


def pickle_key(directory: Path) -> str:
    """The passphrase nio seals the Olm account and sessions with: made once, kept 0600."""
    path = directory / PICKLE_KEY_FILE
    with contextlib.suppress(FileNotFoundError):
        return path.read_text("utf-8").strip()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key)
        out.flush()
        os.fsync(out.fileno())
    return key


class Missing(Exception):
    """The room key of an event has not arrived (yet)."""


class Unreadable(Exception):
    """An event that will never decrypt: garbled, replayed, from a device whose keys
    do not match the ones trusted, or not Megolm at all."""


class Encryption:
    """The bot's end-to-end encryption: one per Matrix transport, over its nio client."""

    def __init__(
        self,
        client: AsyncClient,
        data_dir: Path,
        clock: Clock,
        store: Callable[[], Store],
        translator: Translator,
        *,
        unreadable_after: float = UNREADABLE_AFTER,
    ) -> None:
        self.client = client
        self.translator = translator
        self.data_dir = data_dir
        self.clock = clock
        self._store = store
        self.unreadable_after = timedelta(seconds=unreadable_after)
        self._keys_lock = asyncio.Lock()
        # Olm sessions and room keys are made one at a time: the outbox sends to several
        # rooms at once, and two claims for one person's device at once (two private
        # rooms to Bruno) left his device without the key of one of them.
        self._olm_lock = asyncio.Lock()
        self._indexes: OrderedDict[str, tuple[str, str, int]] = OrderedDict()
        self._watched: object = None
        self._parked_any = True  # until the table has been read once
        self._next_deadline: datetime | None = None  # when the oldest parked event is due
        self._told: OrderedDict[str, str] = OrderedDict()  # unreadable event id -> sender
        self._pruned_at: datetime | None = None

    @property
    def unavailable(self) -> str | None:
        """Why encryption cannot work in this install, or None."""
        return e2e_extra.UNAVAILABLE

    @property
    def enabled(self) -> bool:
        """True once the device's crypto store is open (after login)."""
        return self.client.olm is not None

    # -- the device -----------------------------------------------------------------------

    def configure(self) -> None:
        """Before login: where nio keeps the device's keys, and the key that seals them."""
        if self.unavailable is not None:
            return
        from nio.store import SqliteStore  # only there with the encryption extra

        directory = store_dir(self.data_dir)
        key = pickle_key(directory)
        self.client.store_path = str(directory)
        self.client.config = dataclasses.replace(
            self.client.config, encryption_enabled=True, store=SqliteStore, pickle_key=key
        )

    def has_keys(self, device_id: str) -> bool:
        """Whether this data directory holds the keys of the device (always True when
        encryption cannot load: then no device has any)."""
        if self.unavailable is not None:
            return True
        return (store_dir(self.data_dir) / f"{self.client.user}_{device_id}.db").exists()

    def forget_device(self) -> None:
        """The saved login was revoked: the next login is a new device with its own keys."""
        self.close()
        self.client.olm = None

    def close(self) -> None:
        store = self.client.store
        if store is not None:
            with contextlib.suppress(Exception):
                store.database.close()
        self.client.store = None

    def logged_in(self) -> None:
        """After login: open the device's store if nio did not, and watch Megolm indexes."""
        if self.unavailable is not None or not self.client.device_id:
            return
        if self.client.olm is None:
            self.client.load_store()  # an access-token login does not load it by itself
        olm = self.client.olm
        if olm is None or self._watched is olm:
            return
        check = olm.message_index_ok

        def checked(index: int, event: MegolmEvent) -> bool:
            ok = bool(check(index, event))
            if ok:
                self._indexes[str(event.event_id)] = (
                    str(event.sender_key),
                    str(event.session_id),
                    index,
                )
                while len(self._indexes) > INDEXES_KEPT:
                    self._indexes.popitem(last=False)
            return ok

        olm.message_index_ok = checked
        self.client.share_group_session = self._not_by_nio
        self._watched = olm
        log.info(
            "matrix: end-to-end encryption on; device %s, fingerprint %s",
            self.client.device_id,
            olm.account.identity_keys["ed25519"],
        )

    async def _not_by_nio(self, room_id: str, **_: object) -> None:
        """nio's room_send shares a room key itself when it finds none ready, with every
        device in the room: never here, where `prepare` decides who may read."""
        raise GroupEncryptionError(f"the room key of {room_id} was not prepared")

    # -- between syncs ---------------------------------------------------------------------

    async def maintain(self, response: SyncResponse) -> None:
        """What nio's sync_forever does between syncs. A failure is logged and the step
        is tried again after the next sync: it must not hold the batch's commands up."""
        olm = self.client.olm
        if olm is None:
            return
        # nio takes the count only when it is not 0; 0 is exactly when topping up matters.
        if response.device_key_count.signed_curve25519 == 0:
            olm.uploaded_key_count = 0
        try:
            if self.client.should_upload_keys:
                _check(await self.client.keys_upload(), KeysUploadResponse, "uploading keys")
            await self._query_keys()
            async with self._olm_lock:
                if self.client.should_claim_keys:
                    claim = self.client.get_users_for_key_claiming()
                    _check(await self.client.keys_claim(claim), KeysClaimResponse, "claiming keys")
            if self.client.outgoing_to_device_messages:
                await self.client.send_to_device_messages()
        except (ClientError, TimeoutError, OSError, LocalProtocolError) as exc:
            log.warning("matrix: encryption upkeep failed (%r); retried after the next sync", exc)
        await self._prune()

    async def _query_keys(self) -> None:
        async with self._keys_lock:
            if self.client.should_query_keys:
                _check(await self.client.keys_query(), KeysQueryResponse, "querying keys")
                self._trust()

    def wait_at_most(self, seconds: float) -> float:
        """How long the next /sync may wait for news: less when a parked event falls
        due sooner, so its sender hears in time even in a quiet room."""
        if self._next_deadline is None:
            return seconds
        left = (self._next_deadline - self.clock.now()).total_seconds()
        return max(1.0, min(seconds, left + 0.5))

    async def _prune(self) -> None:
        now = self.clock.now()
        if self._pruned_at is not None and now - self._pruned_at < timedelta(hours=6):
            return
        self._pruned_at = now
        async with self._store().transaction() as session:
            await session.matrix_crypto.prune_seen(now - KEEP_SEEN)

    # -- receiving -----------------------------------------------------------------------

    async def readable(self, events: Sequence[tuple[str, RawEvent]]) -> list[tuple[str, RawEvent]]:
        """The batch's new events as the bot may read them, in order: decrypted where nio
        could not yet, parked while their key is missing, replays and garbage dropped."""
        if not self.enabled:
            return list(events)
        out: list[tuple[str, RawEvent]] = []
        parked: list[tuple[str, RawEvent, MegolmEvent]] = []
        for room_id, event in events:
            if event.get("type") != "m.room.encrypted":
                out.append((room_id, event))
                continue
            if event.get("sender") == self.client.user_id:
                continue  # the bot's own echo
            try:
                out.append((room_id, self._decrypt(room_id, event, first_try=True)))
            except Missing as missing:
                megolm = missing.args[0]
                parked.append((room_id, event, megolm))
            except Unreadable as why:
                log.warning(
                    "matrix: event %s from %s in %s cannot be read and is skipped: %s",
                    event.get("event_id"),
                    event.get("sender"),
                    room_id,
                    why,
                )
        if not parked and not any(str(e.get("event_id")) in self._indexes for _, e in out):
            return out
        now = self.clock.now()
        async with self._store().transaction() as session:
            for room_id, event, megolm in parked:
                log.info(
                    "matrix: no key yet for event %s from %s in %s; kept until it comes",
                    megolm.event_id,
                    megolm.sender,
                    room_id,
                )
                await session.matrix_crypto.park(
                    str(megolm.event_id),
                    room_id,
                    str(megolm.sender),
                    str(megolm.session_id),
                    json.dumps(event),
                    now,
                )
                self._parked_any = True
                due = now + self.unreadable_after
                self._next_deadline = min(self._next_deadline or due, due)
            return await self._not_replayed(session, out, now)

    async def released(self) -> list[tuple[str, RawEvent]]:
        """Parked events whose room key has come since, decrypted; the ones that waited
        too long are given up, and their senders told once, in that room."""
        if not self.enabled or not self._parked_any:
            return []
        async with self._store().transaction() as session:
            rows = await session.matrix_crypto.parked()
        self._parked_any = bool(rows)
        self._next_deadline = None
        now = self.clock.now()
        ready: list[tuple[str, RawEvent]] = []
        done: list[str] = []
        overdue: list[Parked] = []
        for row in rows:
            try:
                ready.append((row.room_id, self._decrypt(row.room_id, json.loads(row.event_json))))
            except Missing:
                due = row.parked_at + self.unreadable_after
                if now < due:
                    self._next_deadline = min(self._next_deadline or due, due)
                    continue
                log.warning(
                    "matrix: the key of event %s from %s in %s never came; the sender is told",
                    row.event_id,
                    row.sender,
                    row.room_id,
                )
                overdue.append(row)
            except (Unreadable, ValueError) as why:
                log.warning("matrix: parked event %s cannot be read: %s", row.event_id, why)
            done.append(row.event_id)
        if not done:
            return []
        async with self._store().transaction() as session:
            await session.matrix_crypto.unpark(done)
            await self._tell_unreadable(session, overdue, now)
            if ready:
                log.info("matrix: %d event(s) decrypted once their key came", len(ready))
            return await self._not_replayed(session, ready, now)

    def decrypted(self, room_id: str, event: RawEvent) -> RawEvent | None:
        """An event read out of its time (the file a command replies to) as the bot may
        read it: decrypted if it came encrypted and its key is here, None if not."""
        if event.get("type") != "m.room.encrypted" or not self.enabled:
            return event
        try:
            return self._decrypt(room_id, event)
        except (Missing, Unreadable) as why:
            log.info("matrix: replied-to event %s cannot be read: %r", event.get("event_id"), why)
            return None

    def _decrypt(self, room_id: str, event: RawEvent, *, first_try: bool = False) -> RawEvent:
        """The decrypted event, as the server would have sent it unencrypted."""
        olm = self.client.olm
        assert olm is not None
        try:
            parsed = Event.parse_event(dict(event))
        except Exception as exc:  # nio's parsers index into what they are given
            raise Unreadable(f"garbled ({exc!r})") from exc
        if not isinstance(parsed, MegolmEvent):
            raise Unreadable(f"not a Megolm event ({type(parsed).__name__})")
        parsed.room_id = room_id
        if olm.inbound_group_store.get(room_id, parsed.sender_key, parsed.session_id) is None:
            if first_try:
                olm.check_if_wedged(parsed)  # asks for the key again if the Olm session broke
            raise Missing(parsed)
        try:
            decrypted = olm.decrypt_megolm_event(parsed)
        except EncryptionError as exc:
            raise Unreadable(str(exc)) from exc
        except Exception as exc:  # a payload nio's parsers cannot take
            raise Unreadable(f"garbled payload ({exc!r})") from exc
        source = getattr(decrypted, "source", None)
        if not isinstance(decrypted, Event) or not isinstance(source, Mapping):
            raise Unreadable(f"garbled payload ({type(decrypted).__name__})")
        return source

    async def _not_replayed(
        self, session: Session, events: list[tuple[str, RawEvent]], now: datetime
    ) -> list[tuple[str, RawEvent]]:
        """Drop decrypted events whose Megolm index came before under another id."""
        kept: list[tuple[str, RawEvent]] = []
        for room_id, event in events:
            event_id = str(event.get("event_id", ""))
            index = self._indexes.pop(event_id, None)
            if index is not None:
                sender_key, session_id, message_index = index
                first = await session.matrix_crypto.first_seen(
                    sender_key,
                    session_id,
                    message_index,
                    event_id,
                    str(event.get("sender", "")),
                    now,
                )
                if not first:
                    log.warning(
                        "matrix: event %s in %s replays an earlier message (session %s,"
                        " index %d); skipped",
                        event_id,
                        room_id,
                        session_id,
                        message_index,
                    )
                    continue
            kept.append((room_id, event))
        return kept

    async def _tell_unreadable(
        self, session: Session, rows: Iterable[Parked], now: datetime
    ) -> None:
        told: set[tuple[str, str]] = set()
        for row in rows:
            if (row.room_id, row.sender) in told:
                continue  # one word per person and room is enough
            told.add((row.room_id, row.sender))
            self._told[row.event_id] = row.sender
            while len(self._told) > INDEXES_KEPT:
                self._told.popitem(last=False)
            space = await session.spaces.by_chat(Platform.MATRIX, row.room_id)
            language = space.language if space else "en"
            if space is not None:
                member = await session.members.by_identity(space.id, f"matrix:{row.sender}")
                language = (member.language if member else None) or language
            who = Markup(
                f'<a href="https://matrix.to/#/{escape(row.sender)}">{escape(self._name(row))}</a>'
            )
            text = self.translator.t(
                self.translator.language(language), "matrix.unreadable", who=who
            )
            await session.outbox.enqueue(
                NewOutboxItem(
                    Platform.MATRIX,
                    row.room_id,
                    False,
                    str(text),
                    reply_to=row.event_id,
                    space_id=space.id if space else None,
                ),
                now,
            )

    def _name(self, row: Parked) -> str:
        room = self.client.rooms.get(row.room_id)
        user = room.users.get(row.sender) if room is not None else None
        return str(getattr(user, "display_name", "") or localpart(row.sender))

    def sender_of(self, event_id: str) -> str | None:
        """Who sent an event the bot could not read (and answers), for the answer's key."""
        return self._told.get(event_id)

    # -- sending -------------------------------------------------------------------------

    def is_encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return self.enabled and room is not None and bool(room.encrypted)

    async def prepare(
        self, room_id: str, private_to: str | None, addressee: str | None = None
    ) -> None:
        """Before a message goes to an encrypted room: its group session shared with the
        devices that may read it, and with no other (see the module's docstring).
        `addressee` is the person a reply answers: a non-member who sent `!join` or
        `!help` reads that answer, and the next message takes a new key without them."""
        room = self.client.rooms.get(room_id)
        if not self.enabled or room is None or not room.encrypted:
            return
        async with self._olm_lock:
            if not room.members_synced:
                members = await self.client.joined_members(room_id)
                if not isinstance(members, JoinedMembersResponse):
                    raise DeliveryError(f"cannot read the members of {room_id}: {members}")
            for _ in range(SHARE_TRIES):
                readers = await self._readers(room_id, private_to, addressee)
                await self._query_keys()
                self._trust()
                if await self._share(room_id, readers):
                    return
            raise DeliveryError(f"the room key of {room_id} kept changing while being shared")

    async def _readers(
        self, room_id: str, private_to: str | None, addressee: str | None
    ) -> set[str]:
        """Who may read this message of the bot in the room (besides the bot)."""
        if private_to is not None:
            # The private room of that person: theirs to read, whether or not the bot has
            # seen them join. A room the bot opened a moment ago shows them only invited,
            # or not at all (members load lazily, and /joined_members leaves invitees
            # out): keyed to the room's members alone, the first message there went out
            # with a key nobody had.
            return {private_to}
        room = self.client.rooms[room_id]
        present = set(room.users) - {self.client.user_id}
        async with self._store().transaction() as session:
            space = await session.spaces.by_chat(Platform.MATRIX, room_id)
            if space is None:
                return present  # no space yet (before setup): nothing private is said
            allowed = await session.matrix_crypto.space_accounts(space.id)
        return present & (allowed | ({addressee} if addressee else set()))

    def _trust(self) -> None:
        """Trust on first use: a device never seen before is trusted with the keys it
        shows, so that nio checks them from then on: a device that later shows other
        keys is refused (nio logs it) and its messages do not decrypt. Who *gets* the
        room keys is another matter, decided per message (`_readers`)."""
        for device in list(self.client.device_store):
            if device.deleted or device.verified or device.blacklisted or device.ignored:
                continue
            self.client.verify_device(device)
            log.info(
                "matrix: trusting %s's device %s (fingerprint %s) on first use",
                device.user_id,
                device.id,
                device.ed25519,
            )

    async def _share(self, room_id: str, readers: set[str]) -> bool:
        """Share the room's outbound session with the readers' devices that lack it.
        False when the session was replaced meanwhile (a sync saw someone come or go)."""
        olm = self.client.olm
        assert olm is not None
        current = olm.outbound_group_sessions.get(room_id)
        if current is not None:
            gone = {user for user, _ in current.users_shared_with if user not in readers}
            if gone or current.expired:
                log.info("matrix: new room key for %s (no longer readers: %s)", room_id, gone)
                olm.outbound_group_sessions.pop(room_id, None)
                current = None
        wanted = {
            (device.user_id, device.id)
            for user in readers
            for device in self.client.device_store.active_user_devices(user)
            if not device.blacklisted
        }
        if (
            current is not None
            and current.shared
            and wanted <= current.users_shared_with | current.users_ignored
        ):
            return True
        if current is None:
            olm.create_outbound_group_session(room_id)
            current = olm.outbound_group_sessions[room_id]
        current.shared = False  # nio then adds the devices that lack it, to this session
        missing = olm.get_missing_sessions(sorted(readers))
        if missing:
            _check(await self.client.keys_claim(missing), KeysClaimResponse, "claiming keys")
        shares = olm.share_group_session_parallel(
            room_id, sorted(readers), ignore_unverified_devices=True
        )
        for sharing_with, payload in shares:
            method, path, data = Api.to_device(
                self.client.access_token, "m.room.encrypted", payload, uuid4()
            )
            # What nio's own share_group_session sends; its response marks the devices.
            response = await self.client._send(
                ShareGroupSessionResponse, method, path, data, response_data=(room_id, sharing_with)
            )
            if not isinstance(response, ShareGroupSessionResponse):
                raise DeliveryError(f"sharing the room key of {room_id} failed: {response}")
        if olm.outbound_group_sessions.get(room_id) is not current:
            return False
        current.shared = True
        return True

    # -- what other modules build with it ------------------------------------------------------

    def direct_room_state(self, wanted: bool) -> list[dict[str, Any]]:
        """The initial state of a private room the bot opens: encrypted, as Element does."""
        return [dict(ENCRYPTION_STATE)] if wanted and self.enabled else []


def _check(response: object, expected: type, what: str) -> None:
    if not isinstance(response, expected):
        log.warning("matrix: %s failed: %s", what, response)
