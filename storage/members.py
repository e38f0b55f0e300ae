"""Members of a space and the platform identities that speak for them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from storage.db import Row, Tx, from_db, opt_from_db, to_db
from storage.names import clean_name
from storage.spaces import Space


class MemberRole(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"


class MemberStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    LEFT = "left"


# By stored value: a dict lookup, where calling the enum costs a few microseconds a row.
_ROLES = {role.value: role for role in MemberRole}
_STATUSES = {status.value: status for status in MemberStatus}


@dataclass(frozen=True)
class Member:
    id: int
    space_id: int
    display_name: str
    username: str
    role: MemberRole
    status: MemberStatus
    language: str | None
    visibility: str
    shares: int
    joined_at: datetime | None
    left_at: datetime | None
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role is MemberRole.ADMIN and self.status is MemberStatus.ACTIVE

    @property
    def is_active(self) -> bool:
        return self.status is MemberStatus.ACTIVE

    @classmethod
    def from_row(cls, row: Row, prefix: str = "") -> Member:
        """A member from its row; `prefix` names its columns in a joined row (`m_id`)."""
        return cls(
            id=row[prefix + "id"],
            space_id=row[prefix + "space_id"],
            display_name=row[prefix + "display_name"],
            username=row[prefix + "username"],
            role=_ROLES[row[prefix + "role"]],
            status=_STATUSES[row[prefix + "status"]],
            language=row[prefix + "language"],
            visibility=row[prefix + "visibility"],
            shares=row[prefix + "shares"],
            joined_at=opt_from_db(row[prefix + "joined_at"]),
            left_at=opt_from_db(row[prefix + "left_at"]),
            created_at=from_db(row[prefix + "created_at"]),
        )


@dataclass(frozen=True)
class MembershipPeriod:
    """One stretch of membership; `left_at` is None while it lasts."""

    joined_at: datetime
    left_at: datetime | None


_MEMBER_COLUMNS = (
    "id",
    "space_id",
    "display_name",
    "username",
    "role",
    "status",
    "language",
    "visibility",
    "shares",
    "joined_at",
    "left_at",
    "created_at",
)
# The caller of a group command: the chat's space and, if any, the member the sender is
# there, in one query (every command starts with it).
_IN_CHAT = (
    "SELECT s.*, "
    + ", ".join(f"m.{c} AS m_{c}" for c in _MEMBER_COLUMNS)
    + " FROM space_chats c JOIN spaces s ON s.id = c.space_id"
    " LEFT JOIN identities i ON i.space_id = s.id AND i.identity = ?"
    " LEFT JOIN members m ON m.id = i.member_id"
    " WHERE c.platform = ? AND c.chat_id = ?"
)
# The caller of a private command: the membership used last, one they have not left
# first, with its space.
_IN_PRIVATE = (
    "SELECT s.*, "
    + ", ".join(f"m.{c} AS m_{c}" for c in _MEMBER_COLUMNS)
    + " FROM identities i JOIN members m ON m.id = i.member_id"
    " JOIN spaces s ON s.id = m.space_id"
    " WHERE i.identity = ? ORDER BY m.status = 'left', i.last_seen_at DESC, m.id DESC LIMIT 1"
)


class OnPlatform:
    """A row about an account: `identity` is `platform:user_id` (`telegram:123`,
    `matrix:@anna:example.org`)."""

    identity: str

    @property
    def platform(self) -> str:
        return self.identity.partition(":")[0]

    @property
    def user_id(self) -> str:
        return self.identity.partition(":")[2]


@dataclass(frozen=True)
class Identity(OnPlatform):
    identity: str
    member_id: int
    last_seen_at: datetime


class MembersRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def get(self, member_id: int) -> Member | None:
        row = await self._tx.fetchone("SELECT * FROM members WHERE id = ?", (member_id,))
        return None if row is None else Member.from_row(row)

    async def many(self, member_ids: Collection[int]) -> dict[int, Member]:
        """Members by id, in one query (ids of no member are left out)."""
        if not member_ids:
            return {}
        ids = sorted(member_ids)
        marks = ", ".join("?" for _ in ids)
        rows = await self._tx.fetchall(f"SELECT * FROM members WHERE id IN ({marks})", ids)
        return {r["id"]: Member.from_row(r) for r in rows}

    async def by_identity(self, space_id: int, identity: str) -> Member | None:
        row = await self._tx.fetchone(
            "SELECT m.* FROM members m JOIN identities i ON i.member_id = m.id"
            " WHERE i.space_id = ? AND i.identity = ?",
            (space_id, identity),
        )
        return None if row is None else Member.from_row(row)

    async def in_chat(
        self, platform: str, chat_id: str, identity: str
    ) -> tuple[Space | None, Member | None]:
        """The space a group chat belongs to, and who `identity` is in it."""
        row = await self._tx.fetchone(_IN_CHAT, (identity, platform, chat_id))
        if row is None:
            return None, None
        member = None if row["m_id"] is None else Member.from_row(row, "m_")
        return Space.from_row(row), member

    async def in_private(self, identity: str) -> tuple[Space | None, Member | None]:
        """Who `identity` is in a private chat: the membership it used last (one it has
        not left, if any), and its space."""
        row = await self._tx.fetchone(_IN_PRIVATE, (identity,))
        if row is None:
            return None, None
        return Space.from_row(row), Member.from_row(row, "m_")

    async def memberships(self, identity: str) -> list[Member]:
        """Every member this identity is, most recently used first (private chats pick it)."""
        rows = await self._tx.fetchall(
            "SELECT m.* FROM members m JOIN identities i ON i.member_id = m.id"
            " WHERE i.identity = ? ORDER BY i.last_seen_at DESC, m.id DESC",
            (identity,),
        )
        return [Member.from_row(r) for r in rows]

    async def create(
        self,
        space_id: int,
        identity: str,
        display_name: str,
        now: datetime,
        *,
        username: str = "",
        role: MemberRole = MemberRole.MEMBER,
        status: MemberStatus = MemberStatus.PENDING,
        language: str | None = None,
    ) -> Member:
        joined = to_db(now) if status is MemberStatus.ACTIVE else None
        display_name = clean_name(display_name) or identity.partition(":")[2]
        member_id = await self._tx.execute(
            "INSERT INTO members (space_id, display_name, username, role, status, language,"
            " joined_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (space_id, display_name, username, role, status, language, joined, to_db(now)),
        )
        await self._tx.execute(
            "INSERT INTO identities (space_id, identity, member_id, last_seen_at)"
            " VALUES (?, ?, ?, ?)",
            (space_id, identity, member_id, to_db(now)),
        )
        if status is MemberStatus.ACTIVE:
            await self._begin_period(member_id, now)
        member = await self.get(member_id)
        assert member is not None
        return member

    async def set_status(self, member_id: int, status: MemberStatus, now: datetime) -> None:
        """Change a standing; becoming active opens a membership period, leaving ends it."""
        if status is MemberStatus.ACTIVE:
            await self._tx.execute(
                "UPDATE members SET status = ?, joined_at = ?, left_at = NULL WHERE id = ?",
                (status, to_db(now), member_id),
            )
            await self._begin_period(member_id, now)
        elif status is MemberStatus.LEFT:
            await self._tx.execute(
                "UPDATE members SET status = ?, left_at = ? WHERE id = ?",
                (status, to_db(now), member_id),
            )
            await self._end_period(member_id, now)
        else:
            await self._tx.execute(
                "UPDATE members SET status = ? WHERE id = ?", (status, member_id)
            )

    async def _begin_period(self, member_id: int, now: datetime) -> None:
        await self._tx.execute(
            "INSERT INTO membership_periods (member_id, joined_at) SELECT ?, ?"
            " WHERE NOT EXISTS (SELECT 1 FROM membership_periods"
            " WHERE member_id = ? AND left_at IS NULL)",
            (member_id, to_db(now), member_id),
        )

    async def _end_period(self, member_id: int, now: datetime) -> None:
        await self._tx.execute(
            "UPDATE membership_periods SET left_at = ? WHERE member_id = ? AND left_at IS NULL",
            (to_db(now), member_id),
        )

    async def periods(self, space_id: int) -> dict[int, list[MembershipPeriod]]:
        """Every member's periods of membership in the space, oldest first."""
        rows = await self._tx.fetchall(
            "SELECT p.member_id, p.joined_at, p.left_at FROM membership_periods p"
            " JOIN members m ON m.id = p.member_id WHERE m.space_id = ?"
            " ORDER BY p.member_id, p.joined_at, p.id",
            (space_id,),
        )
        out: dict[int, list[MembershipPeriod]] = {}
        for r in rows:
            period = MembershipPeriod(from_db(r["joined_at"]), opt_from_db(r["left_at"]))
            out.setdefault(r["member_id"], []).append(period)
        return out

    async def delete_pending(self, member_id: int) -> None:
        """Forget a refused request entirely (its identity goes with it)."""
        await self._tx.execute(
            "DELETE FROM members WHERE id = ? AND status = 'pending'", (member_id,)
        )

    async def set_role(self, member_id: int, role: MemberRole) -> None:
        await self._tx.execute("UPDATE members SET role = ? WHERE id = ?", (role, member_id))

    async def set_language(self, member_id: int, language: str) -> None:
        await self._tx.execute(
            "UPDATE members SET language = ? WHERE id = ?", (language, member_id)
        )

    async def set_visibility(self, member_id: int, visibility: str) -> None:
        await self._tx.execute(
            "UPDATE members SET visibility = ? WHERE id = ?", (visibility, member_id)
        )

    async def set_shares(self, member_id: int, shares: int) -> None:
        await self._tx.execute("UPDATE members SET shares = ? WHERE id = ?", (shares, member_id))

    async def touch(
        self, member: Member, identity: str, display_name: str, username: str, now: datetime
    ) -> Member:
        """Record that this identity spoke now, and follow a changed name or username
        (cleaned as every stored name is; an empty one keeps the name the member has)."""
        await self._tx.execute(
            "UPDATE identities SET last_seen_at = ? WHERE space_id = ? AND identity = ?",
            (to_db(now), member.space_id, identity),
        )
        name = clean_name(display_name) or member.display_name
        if (name, username) != (member.display_name, member.username):
            await self._tx.execute(
                "UPDATE members SET display_name = ?, username = ? WHERE id = ?",
                (name, username, member.id),
            )
            updated = await self.get(member.id)
            assert updated is not None
            return updated
        return member

    async def of_space(self, space_id: int, *statuses: MemberStatus) -> list[Member]:
        wanted = statuses or tuple(MemberStatus)
        marks = ", ".join("?" for _ in wanted)
        rows = await self._tx.fetchall(
            f"SELECT * FROM members WHERE space_id = ? AND status IN ({marks})"
            " ORDER BY display_name COLLATE NOCASE, id",
            (space_id, *wanted),
        )
        return [Member.from_row(r) for r in rows]

    async def admins(self, space_id: int) -> list[Member]:
        rows = await self._tx.fetchall(
            "SELECT * FROM members WHERE space_id = ? AND role = 'admin' AND status = 'active'"
            " ORDER BY id",
            (space_id,),
        )
        return [Member.from_row(r) for r in rows]

    async def identities(self, member_id: int) -> list[Identity]:
        """A member's identities, the one used most recently first (private messages go there)."""
        rows = await self._tx.fetchall(
            "SELECT identity, member_id, last_seen_at FROM identities WHERE member_id = ?"
            " ORDER BY last_seen_at DESC, identity",
            (member_id,),
        )
        return [Identity(r["identity"], r["member_id"], from_db(r["last_seen_at"])) for r in rows]

    async def preferred_identities(self, member_ids: list[int]) -> dict[int, Identity]:
        """For many members at once, the identity each was seen on last (no query per member)."""
        if not member_ids:
            return {}
        marks = ", ".join("?" for _ in member_ids)
        rows = await self._tx.fetchall(
            f"SELECT identity, member_id, last_seen_at FROM identities WHERE member_id IN ({marks})"
            " ORDER BY member_id, last_seen_at DESC, identity",
            member_ids,
        )
        out: dict[int, Identity] = {}
        for r in rows:
            out.setdefault(
                r["member_id"], Identity(r["identity"], r["member_id"], from_db(r["last_seen_at"]))
            )
        return out

    async def add_identity(
        self, space_id: int, member_id: int, identity: str, now: datetime
    ) -> None:
        await self._tx.execute(
            "INSERT INTO identities (space_id, identity, member_id, last_seen_at)"
            " VALUES (?, ?, ?, ?)",
            (space_id, identity, member_id, to_db(now)),
        )

    async def find(self, space_id: int, query: str) -> list[Member]:
        """Members a typed reference can mean: `#12`/`12`, `@username`, or a name.

        An exact name wins over a prefix, so `Anna` finds Anna even when Annalisa exists.
        """
        text = query.strip()
        number = text.removeprefix("#")
        if number.isdigit() and number.isascii():
            if len(number) > 18:  # no such id, and SQLite integers stop at 2**63
                return []
            row = await self._tx.fetchone(
                "SELECT * FROM members WHERE space_id = ? AND id = ?", (space_id, int(number))
            )
            return [] if row is None else [Member.from_row(row)]
        if text.startswith("@") and ":" not in text:
            rows = await self._tx.fetchall(
                "SELECT * FROM members WHERE space_id = ? AND lower(username) = lower(?)",
                (space_id, text[1:]),
            )
            return [Member.from_row(r) for r in rows]
        if text.startswith("@"):  # a Matrix user id
            rows = await self._tx.fetchall(
                "SELECT m.* FROM members m JOIN identities i ON i.member_id = m.id"
                " WHERE i.space_id = ? AND i.identity = ?",
                (space_id, f"matrix:{text}"),
            )
            return [Member.from_row(r) for r in rows]
        members = await self.of_space(space_id)
        folded = text.casefold()
        exact = [m for m in members if m.display_name.casefold() == folded]
        if exact:
            return exact
        return [m for m in members if m.display_name.casefold().startswith(folded)]

    # -- personal data (handlers/privacy/) ----------------------------------------------

    async def export_member(self, member_id: int) -> dict[str, object]:
        member = await self.get(member_id)
        if member is None:
            return {}
        return {
            "id": member.id,
            "name": member.display_name,
            "username": member.username,
            "role": member.role.value,
            "status": member.status.value,
            "language": member.language,
            "presence_visibility": member.visibility,
            "cost_shares": member.shares,
            "joined_at": to_db(member.joined_at) if member.joined_at else None,
            "left_at": to_db(member.left_at) if member.left_at else None,
            "membership_periods": [
                [r["joined_at"], r["left_at"]]
                for r in await self._tx.fetchall(
                    "SELECT joined_at, left_at FROM membership_periods WHERE member_id = ?"
                    " ORDER BY joined_at, id",
                    (member_id,),
                )
            ],
            "created_at": to_db(member.created_at),
            "accounts": [
                {"account": i.identity, "last_seen_at": to_db(i.last_seen_at)}
                for i in await self.identities(member_id)
            ],
        }

    async def erase_member(self, member_id: int, now: datetime) -> None:
        """The row stays as an anonymous placeholder `#<id>`: no name, no account, gone.

        Its membership periods go too: from now on it is nobody's share of a new charge
        (nobody could be asked to pay it); the charges already made keep its shares.
        """
        await self._tx.erase("identities", "member_id = ?", (member_id,), blank=("last_seen_at",))
        await self._tx.execute("DELETE FROM membership_periods WHERE member_id = ?", (member_id,))
        await self._tx.execute(
            "UPDATE members SET display_name = '#' || CAST(id AS TEXT), username = '',"
            " language = NULL, visibility = 'hidden', role = 'member', status = 'left',"
            " left_at = COALESCE(left_at, ?) WHERE id = ?",
            (to_db(now), member_id),
        )

    async def merge_member(self, source_id: int, target_id: int, now: datetime) -> None:
        """The source's accounts join the target, which keeps the better of both standings."""
        source, target = await self.get(source_id), await self.get(target_id)
        if source is None or target is None or source.id == target.id:
            return
        await self._tx.execute(
            "UPDATE identities SET member_id = ? WHERE member_id = ?", (target_id, source_id)
        )
        # Both periods of membership count; one open period per member, so the source's
        # open one ends now if the target has one too (the days they cover are the same).
        await self._tx.execute(
            "UPDATE membership_periods SET left_at = ? WHERE member_id = ? AND left_at IS NULL"
            " AND EXISTS (SELECT 1 FROM membership_periods o"
            " WHERE o.member_id = ? AND o.left_at IS NULL)",
            (to_db(now), source_id, target_id),
        )
        await self._tx.execute(
            "UPDATE membership_periods SET member_id = ? WHERE member_id = ?",
            (target_id, source_id),
        )
        merged = merged_standing(target, source)
        await self._tx.execute(
            "UPDATE members SET role = ?, status = ?, language = ?, visibility = ?,"
            " username = ?, joined_at = ?, left_at = ?, created_at = ? WHERE id = ?",
            (
                merged.role,
                merged.status,
                merged.language,
                merged.visibility,
                merged.username,
                to_db(merged.joined_at) if merged.joined_at else None,
                to_db(merged.left_at) if merged.left_at else None,
                to_db(merged.created_at),
                target_id,
            ),
        )
        await self._tx.execute("DELETE FROM members WHERE id = ?", (source_id,))


_STANDING = {MemberStatus.ACTIVE: 2, MemberStatus.PENDING: 1, MemberStatus.LEFT: 0}


def merged_standing(target: Member, source: Member) -> Member:
    """One member out of two accounts of the same person: the higher role and status,
    the earlier dates, hidden if either was; the target's name and language win."""
    status = max(target.status, source.status, key=lambda s: _STANDING[s])
    joined = [d for d in (target.joined_at, source.joined_at) if d is not None]
    return replace(
        target,
        role=MemberRole.ADMIN if MemberRole.ADMIN in (target.role, source.role) else target.role,
        status=status,
        language=target.language or source.language,
        visibility="hidden" if "hidden" in (target.visibility, source.visibility) else "visible",
        username=target.username or source.username,
        joined_at=min(joined) if joined else None,
        left_at=None if status is not MemberStatus.LEFT else target.left_at or source.left_at,
        created_at=min(target.created_at, source.created_at),
    )
