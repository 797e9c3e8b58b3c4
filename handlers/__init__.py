"""One module per capability; each exposes a `router` the core includes, and its `JobKinds`
when it has timed work."""

from __future__ import annotations

from bot.router import Router
from bot.scheduler import JobKinds
from handlers import faq, members, start, team


def all_routers() -> list[Router]:
    """Every capability's router, in the order /help lists their commands."""
    return [start.router, members.router, team.router, faq.router]


def all_job_kinds() -> list[JobKinds]:
    """Every capability's job kinds, which each worker's scheduler runs."""
    return []
