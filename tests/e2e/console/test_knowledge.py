"""In a real browser: staff search the knowledge base and read an entry with its phrasings and the
staff report; a broken edit, reloaded, shows its problems while the old entries stay live."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from bot.settings import SHIPPED_KNOWLEDGE, Settings
from domain.people import Role
from storage.faq import Outcome
from storage.repositories import Repositories
from tests.conftest import unit
from tests.e2e.conftest import Served
from tests.e2e.console.conftest import join, screenshot, sign_in
from tests.e2e.loopback import LoopbackPlatforms

STAFF = 7101


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, folder)
    return folder


@pytest.fixture
def settings(settings: Settings, knowledge: Path) -> Settings:
    return settings.model_copy(update={"knowledge_path": knowledge})


async def _history(served: Served) -> None:
    """What people asked lately, and a phrasing staff taught an entry."""
    now = served.bot.services.clock()

    async def asked(repos: Repositories) -> None:
        for question, times in [
            ("can I bring my dog?", 4),
            ("is there parking at Quarry House", 2),
        ]:
            for _ in range(times):
                await repos.faq.record(question, Outcome.DECLINED, None, now)
        unhelped = await repos.faq.record(
            "new in post, where to begin", Outcome.ANSWERED, "new-ceo-start", now
        )
        await repos.faq.vote(unhelped, helpful=False)
        await repos.faq.add_alternate("new-ceo-start", "new in post, where to begin", now)

    await unit(served.bot.services.database, asked)


async def test_staff_search_the_knowledge_base_and_read_an_entry(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms
) -> None:
    await _history(console_served)
    staff = await join(console_served, platforms, STAFF, Role.STAFF)
    page = await sign_in(chromium, staff)
    await page.get_by_role("link", name="Knowledge base").click()
    await page.get_by_role("button", name="Reload now").click()  # the phrasing staff added
    await expect(page.get_by_role("status")).to_contain_text("Knowledge base reloaded")
    await page.get_by_label("Search questions, phrasings and tags").fill("new chief executive")
    await page.get_by_label("Search questions, phrasings and tags").press("Enter")
    entry = page.locator("#entry-new-ceo-start")
    await expect(entry.get_by_role("heading", level=3)).to_contain_text("Where should I start?")
    await expect(entry).to_contain_text("members tagged new-ceo")
    await expect(entry.locator(".kb-added")).to_contain_text("added by staff")
    await expect(page.get_by_role("cell", name="«can I bring my dog?»")).to_be_visible()
    await expect(page.get_by_role("cell", name="Marked not helpful")).to_be_visible()
    await screenshot(page, "knowledge")
    await page.set_viewport_size({"width": 768, "height": 1024})  # a tablet: nothing overflows
    assert await page.evaluate("document.documentElement.scrollWidth") <= 768


async def test_a_broken_edit_reloaded_shows_its_problems_and_the_old_entries_stay(
    chromium: Browser,
    console_served: Served,
    platforms: LoopbackPlatforms,
    knowledge: Path,
) -> None:
    staff = await join(console_served, platforms, STAFF, Role.STAFF)
    page = await sign_in(chromium, staff)
    await page.get_by_role("link", name="Knowledge base").click()
    (knowledge / "draft.yaml").write_text(
        "- id: dogs\n  question: Can I bring my dog?\n  answer: no: a colon here\n",
        encoding="utf-8",
    )
    await page.get_by_role("button", name="Reload now").click()
    await expect(page.get_by_role("status")).to_contain_text("Not reloaded")
    panel = page.get_by_role("region", name="The files on disk have problems")
    await expect(panel).to_contain_text("draft.yaml: is not valid YAML at line 3")
    await expect(panel).to_contain_text("1 problem(s) in")
    await expect(page.locator("#entry-eligibility-who")).to_be_visible()  # still answering
