"""The coworking behaviour, one module per capability, each with its own Router."""

from __future__ import annotations

from bot.dispatcher import Router


def all_routers() -> list[Router]:
    """Every capability's router, in the order `help` lists them."""
    from handlers import costs, fund, members, presence, privacy, skills

    return [
        members.router,
        presence.router,
        skills.router,
        costs.router,
        fund.router,
        privacy.router,
    ]
