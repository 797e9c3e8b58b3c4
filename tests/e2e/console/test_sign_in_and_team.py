"""In a real browser: staff sign in with the link the bot sent over Telegram, answer a handed-over
question (it reaches the asker over the Telegram API), and a member sees nothing anywhere."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from console.app import sections
from domain.people import Role
from services import console
from storage.members import to_ref
from storage.repositories import Repositories
from tests.conftest import eventually, unit
from tests.e2e.conftest import Served
from tests.e2e.console.conftest import a_working_day, join, open_link, screenshot, sign_in
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.people import Person

STAFF, MEMBER, ASKER = 7001, 7002, 7003
ANSWER = "Yes: dogs are welcome at the open space events, on a lead."


async def test_staff_sign_in_with_the_link_the_bot_sent(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms
) -> None:
    await a_working_day(console_served, platforms, (MEMBER, ASKER))
    staff = await join(console_served, platforms, STAFF, Role.STAFF)
    page = await sign_in(chromium, staff)
    await expect(page.get_by_text("Questions waiting")).to_be_visible()
    await expect(page.get_by_role("heading", name="Broadcasts sending")).to_be_visible()
    await expect(page.get_by_role("cell", name="Tom Okafor")).to_be_visible()
    await screenshot(page, "home")
    cookie = next(c for c in await page.context.cookies() if c["name"] == "cedp_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


async def test_staff_answer_a_handed_over_question_and_the_asker_receives_it(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms
) -> None:
    staff = await join(console_served, platforms, STAFF, Role.STAFF)
    asker = Person(console_served, platforms, ASKER, first=1)
    offer = await asker.type("can I bring my dog?")
    await asker.press(offer, "Ask the programme team")

    page = await sign_in(chromium, staff)
    await page.get_by_role("link", name="Team queue").click()
    await expect(page.get_by_text("can I bring my dog?")).to_be_visible()
    await screenshot(page, "team")
    await page.get_by_label("Your answer").fill(ANSWER)
    await page.get_by_role("button", name="Send answer").click()
    await expect(page.get_by_role("status")).to_contain_text("the answer is on its way")
    await expect(page.get_by_text("No questions are waiting for the team.")).to_be_visible()

    def answered() -> bool:
        return any(ANSWER in call.params.get("text", "") for call in asker.received())

    await eventually(answered, 10, "the answer at the asker's chat")


def _every_get_page() -> list[str]:
    """Every console page a browser can open, with 1 for any record number in its address."""
    return [
        re.sub(r"\{[^}]+\}", "1", route.path)
        for pages in sections()
        for route in pages.routes
        if route.method == "GET"
    ]


async def test_a_member_with_a_link_from_elsewhere_sees_nothing_on_any_page(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms
) -> None:
    await join(console_served, platforms, STAFF, Role.STAFF)
    await join(console_served, platforms, MEMBER, Role.MEMBER)
    bot = console_served.bot

    async def member_link(repos: Repositories) -> str:  # minted for a member, as if leaked
        [member] = [m for m in await repos.members.list() if m.role == Role.MEMBER]
        return await console.issue_link(
            repos, to_ref(member), bot.services.clock(), bot.services.settings
        )

    link = await unit(bot.services.database, member_link)
    page = await open_link(chromium, link)
    for path in _every_get_page():
        address = console_served.url + path
        response = await page.goto(address)
        assert response is not None and response.status == 403, address
        await expect(page.get_by_text("The console is for programme staff")).to_be_visible()
        await expect(page.get_by_role("navigation")).to_have_count(0)


async def test_on_a_tablet_the_page_fits_and_works_from_the_keyboard(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms
) -> None:
    staff = await join(console_served, platforms, STAFF, Role.STAFF)
    asker = Person(console_served, platforms, ASKER, first=1)
    await asker.press(await asker.type("can I bring my dog?"), "Ask the programme team")
    page = await sign_in(chromium, staff)
    await page.set_viewport_size({"width": 768, "height": 1024})
    await page.goto(console_served.url + "/console/team")
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    await page.keyboard.press("Tab")  # the first stop skips the navigation
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    answer = page.get_by_label("Your answer")
    await answer.focus()
    await page.keyboard.type(ANSWER)
    await page.keyboard.press("Tab")  # the "learn as" choice
    await page.keyboard.press("Tab")  # the send button
    await expect(page.get_by_role("button", name="Send answer")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("the answer is on its way")
