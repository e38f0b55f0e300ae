"""Link codes: made, shown, read back as people type them, and stored only as hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from bot.context import Context, Runtime
from bot.events import Platform, UserRef

LINK_TTL = timedelta(minutes=10)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """`abcd-efgh`, `ABCD EFGH` → `ABCDEFGH`; None if it cannot be a code at all."""
    code = re.sub(r"[\s\-_.]", "", text).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def show_code(code: str) -> str:
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def other_prefix(rt: Runtime, platform: str) -> str:
    """How the code will be typed on the other platform: Matrix uses its own prefix."""
    return "/" if platform == Platform.MATRIX else rt.matrix_prefix


def platform_name(ctx: Context, platform: str) -> str:
    key = f"platform.{platform}"
    return str(ctx.t(key)) if ctx.rt.translator.has(key) else platform


def account_label(user: UserRef) -> str:
    if user.platform == Platform.MATRIX:
        return user.user_id
    return f"{user.display_name} (@{user.username})" if user.username else user.display_name
