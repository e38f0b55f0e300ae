"""Which events of a sync are new: pure decisions over raw Matrix events.

A room the bot has just arrived in comes with some of its past; that history must not run
as commands (a `!checkin` from last week is not a check-in today). Everything after the
bot's own join, and everything in later syncs, is new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

RawEvent = Mapping[str, Any]


def timestamp(event: RawEvent) -> int:
    value = event.get("origin_server_ts")
    return value if isinstance(value, int) else 0


def is_own_join(event: RawEvent, own_user_id: str) -> bool:
    content = event.get("content")
    return (
        event.get("type") == "m.room.member"
        and event.get("state_key") == own_user_id
        and isinstance(content, Mapping)
        and content.get("membership") == "join"
    )


def first_visit(
    events: Sequence[RawEvent], own_user_id: str, joined_at_ms: int | None
) -> tuple[int, list[RawEvent]]:
    """For a room seen for the first time: (history_before, the events that are new).

    The bot's own join event splits the timeline. Without it (an initial sync, or a
    timeline cut short), events are new only if this run joined the room itself and they
    are not older than that moment; otherwise all of them are history, and
    `history_before` is just past the newest, so a replay of this batch stays history too.
    """
    for index in range(len(events) - 1, -1, -1):
        if is_own_join(events[index], own_user_id):
            return timestamp(events[index]), list(events[index + 1 :])
    if joined_at_ms is not None:
        return joined_at_ms, [e for e in events if timestamp(e) >= joined_at_ms]
    newest = max((timestamp(e) for e in events), default=-1)
    return newest + 1, []


def not_history(events: Sequence[RawEvent], history_before: int) -> list[RawEvent]:
    return [e for e in events if timestamp(e) >= history_before]


def merge_gap(gap_newest_first: Sequence[RawEvent], timeline: Sequence[RawEvent]) -> list[RawEvent]:
    """The gap fetched backwards with /messages, then the sync's timeline, each event once."""
    seen: set[str] = set()
    merged: list[RawEvent] = []
    for event in [*reversed(gap_newest_first), *timeline]:
        event_id = event.get("event_id")
        if isinstance(event_id, str):
            if event_id in seen:
                continue
            seen.add(event_id)
        merged.append(event)
    return merged


def replacement_room(event: RawEvent) -> str:
    """The room an `m.room.tombstone` points to (the room was upgraded); '' otherwise."""
    content = event.get("content")
    if event.get("type") != "m.room.tombstone" or not isinstance(content, Mapping):
        return ""
    room = content.get("replacement_room")
    return room if isinstance(room, str) else ""


def removal(events: Sequence[RawEvent], own_user_id: str) -> tuple[str, str] | None:
    """(membership, by whom) when the last change of the bot's own membership in these
    events is someone else putting it out (a kick, `leave`) or a ban; None otherwise."""
    for event in reversed(events):
        content = event.get("content")
        if event.get("type") != "m.room.member" or event.get("state_key") != own_user_id:
            continue
        membership = content.get("membership") if isinstance(content, Mapping) else None
        sender = str(event.get("sender", ""))
        if membership == "ban" or (membership == "leave" and sender != own_user_id):
            return str(membership), sender
        return None
    return None
