"""One module per capability; each exposes a `router` the core includes."""

from __future__ import annotations

from bot.router import Router
from handlers import faq, members, start, team


def all_routers() -> list[Router]:
    """Every capability's router, in the order /help lists their commands."""
    return [start.router, members.router, team.router, faq.router]
