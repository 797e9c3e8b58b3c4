"""Every console route, pages and actions alike, goes through the one role check: a member or a
guest who holds a link or a cookie from elsewhere gets nothing from any of them. Routes are
read from the sections themselves, so a page added tomorrow is covered the day it lands."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient

from bot.core import Bot
from console.app import sections
from domain.people import Role
from services import console
from services.audit import Action
from storage.members import to_ref
from storage.repositories import Repositories
from tests.conftest import unit
from tests.console.conftest import Browser, new_browser

EVERY_ROUTE = [
    (route.method, re.sub(r"\{[^}]+\}", "1", route.path))
    for pages in sections()
    for route in pages.routes
]
PROGRAMME_WORDS = ("Questions waiting", "Sign out", "Team queue")


def test_every_section_has_pages() -> None:
    assert {pages.section for pages in sections()} == {
        "",
        "team",
        "broadcasts",
        "checkins",
        "coaching",
        "members",
        "knowledge",
    }
    assert all(pages.routes for pages in sections())


async def _member_browser(bot: Bot, client: TestClient, role: Role) -> Browser:
    """A browser signed in with a link minted for someone who is not staff (as if forwarded)."""

    async def link(repos: Repositories) -> str:
        person = await repos.members.create(
            display_name="Mo Member", role=role, tags=("north",), now=bot.services.clock()
        )
        url = await console.issue_link(
            repos, to_ref(person), bot.services.clock(), bot.services.settings
        )
        return url.removeprefix(bot.services.settings.public_url or "")

    browser = new_browser(client)
    await browser.sign_in_with(await unit(bot.services.database, link))
    return browser


@pytest.mark.parametrize("role", [Role.MEMBER, Role.COACH])
async def test_a_member_or_coach_is_refused_every_page_and_action(
    bot: Bot, console_client: TestClient, role: Role
) -> None:
    browser = await _member_browser(bot, console_client, role)
    browser.form_token = "irrelevant"  # refused before the form token is even compared
    for method, path in EVERY_ROUTE:
        page = await (
            browser.get(path) if method == "GET" else browser.post(path, {}, follow=False)
        )
        assert page.status == 403, (method, path, page.status)
        assert "The console is for programme staff" in page.text
        assert not any(word in page.text for word in PROGRAMME_WORDS), (method, path)


async def test_without_a_session_every_page_and_action_asks_to_sign_in(
    console_client: TestClient,
) -> None:
    browser = new_browser(console_client)
    for method, path in EVERY_ROUTE:
        page = await (
            browser.get(path) if method == "GET" else browser.post(path, {}, follow=False)
        )
        assert page.status == 401, (method, path, page.status)
        assert not any(word in page.text for word in PROGRAMME_WORDS), (method, path)


async def test_signing_in_is_recorded_in_the_audit_trail(bot: Bot, browser: Browser) -> None:
    entries = await unit(bot.services.database, lambda repos: repos.audit.entries())
    assert [entry.record.action for entry in entries] == [Action.CONSOLE_SIGN_IN]
    [entry] = entries
    assert entry.record.actor == entry.record.subject
    assert entry.record.actor.startswith("m-")
