"""coworkbot: the engine (`bot/`) put together with the coworking behaviour (`handlers/`).

This is the composition root, the one place that knows both: it lists the
capabilities' routers and hands them to the engine's command line, which hands them
to `App`. The engine imports nothing from `handlers/`; a capability knows the engine
only through `Router`, `Context` and the storage session.
"""

from __future__ import annotations

from bot.registry import Router


def routers() -> list[Router]:
    """Every capability's router, in the order `help` lists them."""
    from handlers import chats, costs, fund, invites, members, presence, privacy, skills, web

    return [
        members.router,
        presence.router,
        skills.router,
        costs.router,
        fund.router,
        privacy.router,
        web.router,
        invites.router,
        chats.router,
    ]


def main(argv: list[str] | None = None) -> int:
    """The `coworkbot` command."""
    from bot import cli

    return cli.main(argv, routers=routers())
