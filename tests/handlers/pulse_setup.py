"""Check-ins for the chat and job tests: the issue's definition, people in their roles, and the
scheduler run until nothing more is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.adapters.testing import TestChat
from bot.core import Bot
from domain.people import OPERATOR, Role
from services import pulse
from services.pulse_file import read_definition
from storage.repositories import Repositories
from tests.conftest import join_as, unit
from tests.handlers.pulse_checkins import definition

TITLE = "December check-in"
SCALE = ["1 Very hard", "2 Hard", "3 Manageable", "4 Good", "5 Very good"]
YES_NO = ["Yes", "No"]
NEEDS = ["Coaching", "Peer support", "Skills courses", "Nothing right now"]
SKIP = "Skip"


def definition_text(opens: datetime, closes: datetime, segment: tuple[str, ...] = ()) -> str:
    """The issue's definition, opening and closing as given, for `segment` (empty: everyone)."""
    extra = f"segment: [{', '.join(segment)}]\n" if segment else ""
    return definition(TITLE, opens=opens, closes=closes, extra=extra)


async def created(
    bot: Bot,
    *,
    opens_in: timedelta = timedelta(0),
    lasts: timedelta = timedelta(days=7),
    segment: tuple[str, ...] = (),
) -> int:
    """A check-in made through the rules, opening `opens_in` from now; returns its id."""
    now = bot.services.clock()
    text = definition_text(now + opens_in, now + opens_in + lasts, segment)

    async def make(repos: Repositories) -> int:
        made = await pulse.create(repos, read_definition(text, "test", now), now, OPERATOR)
        return made.id

    return await unit(bot.services.database, make)


async def run_jobs(bot: Bot) -> None:
    """Run every job due now, and those they make due now, until none is left."""
    while await bot.scheduler.run_due():
        pass


async def person(
    bot: Bot, user_id: str, role: Role = Role.MEMBER, tags: tuple[str, ...] = ()
) -> TestChat:
    chat = TestChat(bot, user_id=user_id, display_name=user_id.title())
    await join_as(bot, chat, role, tags=tags)
    return chat


async def member_id(bot: Bot, chat: TestChat) -> int:
    async def find(repos: Repositories) -> int:
        found = await repos.members.find_by_identity(chat.sender.platform, chat.sender.external_id)
        assert found is not None
        return found.id

    return await unit(bot.services.database, find)
