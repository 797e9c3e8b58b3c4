"""The console in a real browser: headless Chromium from Debian's `chromium` package, driven by
Playwright for Python (never a browser Playwright downloads). Locally, without Chromium, the
browser tests skip; in CI (CI=true) a missing browser fails them.

Staff sign in as they do for real: /console over the loopback Telegram API, then the link the
bot sent, opened in the browser, and its button pressed.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from domain.people import OPERATOR, Role
from services import broadcasts, pulse
from services.broadcasts import Draft
from services.pulse_file import read_definition
from storage.repositories import Repositories
from tests.coaching_people import add_coach
from tests.conftest import IN_CI, create_invite, eventually, unit
from tests.e2e.conftest import Served
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.people import Person
from tests.handlers.pulse_checkins import definition
from tests.handlers.pulse_setup import run_jobs

CHROMIUM = os.environ.get("CEDP_CHROMIUM", "/usr/bin/chromium")
# `make screenshots` sets this to docs/: the tests then save the pages they reach there.
SCREENSHOTS = os.environ.get("CEDP_CONSOLE_SCREENSHOTS")
_LINK = re.compile(r"http://\S+/console/sign-in/[\w-]+")


def _chromium() -> str:
    found = shutil.which(CHROMIUM)
    if found is None:
        reason = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    executable = _chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def console_served(served: Served) -> Served:
    """The server, its public address set to where it listens (known once it has started)."""
    served.bot.services.settings.public_url = served.url
    return served


async def join(served: Served, platforms: LoopbackPlatforms, user_id: int, role: Role) -> Person:
    person = Person(served, platforms, user_id, first=user_id * 1000)
    sent = await person.type(f"/join {await create_invite(served.bot, role)}")
    assert "Welcome" in sent.params["text"], sent.params["text"]
    return person


async def open_link(chromium: Browser, link: str, *, width: int = 1280) -> Page:
    """A fresh browser profile that opens a sign-in link and presses its button."""
    context = await chromium.new_context(viewport={"width": width, "height": 900})
    page = await context.new_page()
    await page.goto(link)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Open the console").click()
    return page


async def sign_in(chromium: Browser, person: Person) -> Page:
    """`person` sends /console and opens the link it brings."""
    before = len(person.received())
    await person.type("/console")

    def link() -> str | None:  # other messages (a team notice, say) may arrive around it
        texts = (call.params.get("text", "") for call in person.received()[before:])
        return next((found.group(0) for text in texts if (found := _LINK.search(text))), None)

    await eventually(lambda: link() is not None, 10, "the sign-in link")
    page = await open_link(chromium, str(link()))
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()
    return page


async def screenshot(page: Page, name: str) -> None:
    """Keep the page as docs/console-<name>.png when screenshots are asked for."""
    if SCREENSHOTS:
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"console-{name}.png"), full_page=True)


async def a_working_day(
    served: Served, platforms: LoopbackPlatforms, members: tuple[int, int]
) -> None:
    """What the home page counts: a question for the team, a broadcast due this afternoon to
    two `members` (Telegram user ids), a check-in open, and two coaches."""
    for user in members:
        await join(served, platforms, user, Role.MEMBER)
    asker = Person(served, platforms, members[1] + 10, first=1)
    await asker.press(await asker.type("can I bring my dog?"), "Ask the programme team")
    bot = served.bot
    now = bot.services.clock()

    async def plan(repos: Repositories) -> None:
        draft = Draft("The spring residential is confirmed.", send_at=now + timedelta(hours=5))
        await broadcasts.schedule(repos, draft, now, bot.services.settings, OPERATOR)
        text = definition("December check-in", opens=now, closes=now + timedelta(days=7))
        await pulse.create(repos, read_definition(text, "test", now), now, OPERATOR)
        for name in ("Dr Priya Shah", "Tom Okafor"):
            await add_coach(repos, name, now)

    await unit(bot.services.database, plan)
    await run_jobs(bot)  # the check-in opens
