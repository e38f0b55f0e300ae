"""What the fund's commands share: the router, who holds the fund, amounts, receipts."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import MemberContext, Refusal, SpaceContext
from bot.events import MAX_ATTACHMENT, Attachment
from bot.i18n import Localizer, Translator
from bot.registry import Router
from handlers.costs.views import money
from handlers.members import clean_text
from storage.fund import Receipt
from storage.members import Member

router = Router("fund")

MAX_NOTE = 200


@dataclass(frozen=True)
class Money:
    """An amount in a private letter, formatted for each reader (`€ 12,50`, `€12.50`)."""

    minor: int
    currency: str

    def for_reader(self, loc: Localizer) -> object:
        return money(loc, self.minor, self.currency)


async def treasurer_of(ctx: SpaceContext) -> Member:
    """Who holds the fund: the member named with `treasurer`, while active; otherwise the
    space's first admin (every space keeps one)."""
    chosen = (await ctx.session.fund.settings(ctx.space.id)).treasurer_id
    if chosen is not None:
        member = await ctx.session.members.get(chosen)
        if member is not None and member.is_active and member.space_id == ctx.space.id:
            return member
    return (await ctx.session.members.admins(ctx.space.id))[0]


async def handles_money(ctx: MemberContext) -> Member:
    """The treasurer, if the caller is the treasurer or an admin; refused otherwise."""
    treasurer = await treasurer_of(ctx)
    if ctx.member.is_admin or ctx.member.id == treasurer.id:
        return treasurer
    raise Refusal("money.not_allowed", name=treasurer.display_name)


# -- receipts -------------------------------------------------------------------------------

# What a receipt may be, told by its first bytes (what the platform says the type is
# comes from the sender's device and can be anything).
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"%PDF-", 0, "application/pdf", "pdf"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
    (b"ftypheic", 4, "image/heic", "heic"),
    (b"ftypheix", 4, "image/heic", "heic"),
    (b"ftypmif1", 4, "image/heif", "heif"),
    (b"GIF8", 0, "image/gif", "gif"),
)


def receipt_kind(content: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of a photo or PDF, or None for anything else."""
    for magic, offset, mime, ext in _SIGNATURES:
        if content[offset : offset + len(magic)] == magic:
            return mime, ext
    return None


def check_receipt(attachment: Attachment | None) -> None:
    """Refuse a file sent with a command that cannot be a receipt (before any change)."""
    if attachment is None:
        return
    if attachment.too_big:
        raise Refusal("receipt.too_big", limit=MAX_ATTACHMENT // (1024 * 1024))
    if attachment.content is None:
        raise Refusal("receipt.unreadable")
    if receipt_kind(attachment.content) is None:
        shown = attachment.mime_type or attachment.filename.rpartition(".")[2] or "?"
        raise Refusal("receipt.not_kind", kind=shown[:40])


async def keep_receipt(ctx: MemberContext, attachment: Attachment | None) -> Receipt | None:
    """Store the file sent with the command (checked by `check_receipt` first), named as
    it was sent, with the extension its content says."""
    if attachment is None or attachment.content is None:
        return None
    kind = receipt_kind(attachment.content)
    assert kind is not None
    mime, ext = kind
    stem = clean_text(attachment.filename.rsplit("/", 1)[-1], 100) or "receipt"
    if not stem.lower().endswith(f".{ext}"):
        stem = f"{stem.rpartition('.')[0] or stem}.{ext}"
    return await ctx.session.fund.add_receipt(
        ctx.space.id, stem, mime, attachment.content, ctx.member.id, ctx.now
    )


def side_word(text: str, translator: Translator) -> bool:
    """Whether a side of a transfer is the fund: `fund`, or its word in any language
    (`cassa`, `Kasse`)."""
    return text.strip().casefold() in translator.words("word.fund")
