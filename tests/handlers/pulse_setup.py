"""Check-ins for the chat and job tests: the issue's definition, people in their roles, and the
scheduler run until nothing more is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.adapters.testing import TestChat
from bot.core import Bot
from domain.people import Role
from services import pulse
from services.pulse_file import read_definition
from storage.repositories import Repositories
from tests.conftest import join_as, unit

TITLE = "December check-in"
QUESTIONS = """questions:
  - id: wellbeing
    text: How are you finding the role this month?
    kind: scale
    labels: [Very hard, Hard, Manageable, Good, Very good]
  - id: isolated
    text: Have you felt isolated in the last month?
    kind: yesno
  - id: need
    text: What would help you most right now?
    kind: choice
    options: [Coaching, Peer support, Skills courses, Nothing right now]
  - id: comment
    text: Anything else you would like the programme to know?
    kind: text
"""
SCALE = ["1 Very hard", "2 Hard", "3 Manageable", "4 Good", "5 Very good"]
YES_NO = ["Yes", "No"]
NEEDS = ["Coaching", "Peer support", "Skills courses", "Nothing right now"]
SKIP = "Skip"


def definition_text(opens: datetime, closes: datetime, segment: tuple[str, ...] = ()) -> str:
    """The issue's definition, opening and closing as given."""
    lines = [f"title: {TITLE}"]
    if segment:
        lines.append(f"segment: [{', '.join(segment)}]")
    lines += [f"opens: {opens.isoformat()}", f"closes: {closes.isoformat()}"]
    return "\n".join(lines) + "\n" + QUESTIONS


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
        made = await pulse.create(repos, read_definition(text, "test", now), now)
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
