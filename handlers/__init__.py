"""The coworking behaviour, one module per capability, each with its own Router."""

from __future__ import annotations

from bot.dispatcher import Router


def all_routers() -> list[Router]:
    """Every capability's router, in the order `help` lists them."""
    from handlers import costs, members, presence, privacy, skills, web

    return [
        members.router,
        presence.router,
        skills.router,
        costs.router,
        privacy.router,
        web.router,
    ]
