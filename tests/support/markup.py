"""Checking the HTML the bot sends as Telegram (and Matrix) would: tags, nesting, escaping."""

from __future__ import annotations

import re

_TAG = re.compile(r'<(/?)([a-z]+)((?:\s+[a-z]+="[^"<>]*")*)\s*>')
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
ALLOWED = {"b": (), "i": (), "code": (), "pre": (), "a": ("href",)}


def html_problem(html: str) -> str | None:
    """Why Telegram's (and Matrix's) HTML parser would refuse this, or None."""
    stack: list[str] = []
    pos = 0
    for m in _TAG.finditer(html):
        closing, name, attrs = m.group(1), m.group(2), m.group(3)
        if _ENTITY.sub("", html[pos : m.start()]).count("&") or re.search(
            "[<>]", html[pos : m.start()]
        ):
            return f"unescaped text before {m.group(0)!r}"
        pos = m.end()
        if name not in ALLOWED:
            return f"tag {name!r} not allowed"
        names = re.findall(r"([a-z]+)=", attrs)
        if closing:
            if attrs or not stack or stack.pop() != name:
                return f"misnested {m.group(0)!r}"
        else:
            if any(a not in ALLOWED[name] for a in names):
                return f"attribute in {m.group(0)!r}"
            stack.append(name)
    rest = _ENTITY.sub("", html[pos:])
    if "&" in rest or re.search("[<>]", rest):
        return "unescaped text at the end"
    if stack:
        return f"unclosed {stack}"
    return None


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
