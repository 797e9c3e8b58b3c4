"""In a real browser: members who joined over Telegram answer check-ins; staff close one with
"Close now" and see its chart (the CLI's PNG, loaded) beside the numbers, and a check-in too few
answered shows "Not enough responses" and no chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from playwright.async_api import Browser, Page, expect

from domain.people import OPERATOR, Role
from services import pulse
from services.pulse_file import read_definition
from storage.members import to_ref
from storage.repositories import Repositories
from tests.conftest import FakeClock, unit
from tests.e2e.conftest import Served
from tests.e2e.console.conftest import join, screenshot, sign_in
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.people import Person
from tests.handlers.pulse_checkins import definition
from tests.handlers.pulse_setup import run_jobs

STAFF = 7201
MEMBERS = (7202, 7203, 7204, 7205, 7206, 7207)
# Each member's answers to the four questions: wellbeing 1-5, isolated (1 yes, 0 no),
# what would help (an option's index), and no comment.
NOVEMBER = ((3, 1, 1), (2, 1, 0), (4, 0, 1), (3, 0, 2), (4, 0, 1), (3, 1, 0))
DECEMBER = ((4, 0, 1), (3, 1, 0), (5, 0, 3), (4, 0, 1), (4, 0, 2), (3, 0, 1))


async def answered(
    served: Served,
    people: Sequence[Person],
    answers: Sequence[tuple[int, ...]],
    title: str = "December check-in",
) -> int:
    """The issue's check-in, opening now for a week and sent to every member, answered by
    `people` as given (through the rules, as the buttons would). Returns its id."""
    bot = served.bot
    now = bot.services.clock()
    text = definition(title, opens=now, closes=now + timedelta(days=7))

    async def make(repos: Repositories) -> int:
        made = await pulse.create(repos, read_definition(text, "test", now), now, OPERATOR)
        return made.id

    checkin_id = await unit(bot.services.database, make)
    await run_jobs(bot)

    async def answer(repos: Repositories) -> None:
        for person, values in zip(people, answers, strict=True):
            member = await repos.members.find_by_identity("telegram", str(person.user_id))
            assert member is not None
            for position, value in enumerate((*values, None)):
                await pulse.answer(repos, to_ref(member), checkin_id, position, value, now)

    await unit(bot.services.database, answer)
    return checkin_id


async def close(served: Served, checkin_id: int) -> None:
    bot = served.bot
    await unit(
        bot.services.database, lambda r: pulse.close(r, checkin_id, bot.services.clock(), None)
    )


async def open_checkin(page: Page, checkin_id: int) -> None:
    await page.get_by_role("link", name="Check-ins").first.click()
    await page.get_by_role("link", name=f"#{checkin_id} December check-in").click()


async def test_staff_close_a_check_in_and_see_its_chart(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms, clock: FakeClock
) -> None:
    staff = await join(console_served, platforms, STAFF, Role.STAFF)
    members = [await join(console_served, platforms, user, Role.MEMBER) for user in MEMBERS]
    earlier = await answered(console_served, members, NOVEMBER, "November check-in")
    clock.advance(days=7)
    await close(console_served, earlier)
    clock.advance(days=21)
    checkin_id = await answered(console_served, members, DECEMBER)

    page = await sign_in(chromium, staff)
    await open_checkin(page, checkin_id)
    await expect(
        page.get_by_text("results are released only after the check-in closes")
    ).to_be_visible()
    await page.get_by_role("button", name="Close now").click()
    await expect(page.get_by_role("status")).to_contain_text("it takes no more answers")

    chart = page.get_by_role("img", name="Chart of the results of “December check-in”")
    await expect(chart).to_be_visible()
    await chart.evaluate("image => image.decode()")
    assert await chart.evaluate("image => image.naturalWidth") > 0
    await expect(page.get_by_text("6 answers, mean 3.8 of 5")).to_be_visible()
    await expect(
        page.get_by_text("Trend over the last 2 check-ins that asked it").first
    ).to_be_visible()
    await expect(page.get_by_role("link", name="Download the results as CSV")).to_be_visible()
    await screenshot(page, "checkins")


async def test_a_check_in_too_few_answered_shows_not_enough_responses(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms
) -> None:
    staff = await join(console_served, platforms, STAFF, Role.STAFF)
    members = [await join(console_served, platforms, user, Role.MEMBER) for user in MEMBERS[:4]]
    checkin_id = await answered(console_served, members, DECEMBER[:4])
    await close(console_served, checkin_id)

    page = await sign_in(chromium, staff)
    await open_checkin(page, checkin_id)
    await expect(
        page.get_by_text("Not enough responses: fewer than 5 people answered")
    ).to_be_visible()
    await expect(page.get_by_role("img")).to_have_count(0)
    await expect(page.get_by_role("link", name="Download the results as CSV")).to_have_count(0)
