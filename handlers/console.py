"""/console: a staff member asks for a one-time link to the staff console in the browser
(rules: services/console.py; the pages: console/)."""

from __future__ import annotations

from bot.context import Context
from bot.messages import InboundEvent, Reply, Text
from bot.refusals import refusals_said
from bot.router import Access, Router
from services import console
from services.console import ConsoleError

router = Router("console")

LINK = (
    "Your sign-in link to the staff console, for you only: it works once, within 10 minutes.\n"
    "{url}\n"
    "Send /console again for a fresh one."
)


@router.command(
    "console",
    summary="A sign-in link to the staff console in your browser",
    access=Access.STAFF,
    private_only=True,
)
@refusals_said(ConsoleError)
async def sign_in_link(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert event.member is not None, "a staff route has a member"
    url = await console.issue_link(ctx.repos, event.member, ctx.now, ctx.services.settings)
    return [Text(LINK.format(url=url))]
