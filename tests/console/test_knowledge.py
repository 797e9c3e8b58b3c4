"""The knowledge base page: the entries the bot answers from with every way of asking them (those
staff added in the database marked), a search, the staff report, a reload, and the problems of a
broken edit as `cedp-bot kb check` prints them, while the bot answers from the last good version."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.settings import SHIPPED_KNOWLEDGE, Settings
from domain.people import Role
from services import console
from storage.faq import Outcome
from storage.members import to_ref
from storage.repositories import Repositories
from tests.conftest import join_as, unit
from tests.console.conftest import Browser, new_browser, text_of

PAGE = "/console/knowledge"
NEW_ENTRY = (
    "\n- id: dogs-welcome\n  question: Can I bring my dog to the events?\n"
    "  answer: Yes, dogs on a lead are welcome at the open space events.\n  tags: [events]\n"
)
BROKEN = "- id: dogs\n  question: Can I bring my dog?\n  answer: no: a colon here\n"  # not YAML
NO_ANSWER = "- id: cats\n  question: And my cat?\n"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge base, to edit and break."""
    folder = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, folder)
    return folder


@pytest.fixture
def settings(settings: Settings, knowledge: Path) -> Settings:
    return settings.model_copy(update={"knowledge_path": knowledge})


def _section(html: str, entry_id: str) -> str:
    """The words of one entry's panel."""
    found = re.search(
        rf'<section class="panel entry" id="entry-{entry_id}".*?</section>', html, re.S
    )
    assert found, f"entry {entry_id} is not on the page"
    return text_of(found.group(0))


async def _kb_check(path: Path) -> list[str]:
    """What `cedp-bot kb check PATH` prints on stderr."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "cedp-bot"),
        "kb",
        "check",
        str(path),
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CEDP_SEMANTIC": "off"},
        cwd=path.parent,
    )
    _, stderr = await process.communicate()
    assert process.returncode == 1
    return stderr.decode().splitlines()


async def test_entries_show_answer_audience_tags_and_every_phrasing(browser: Browser) -> None:
    page = await browser.get(PAGE)
    assert page.status == 200
    words = _section(page.text, "new-ceo-start")
    assert "What's most useful for a new chief executive?" in words  # an alternate
    assert "the programme's first priority" in words  # the answer
    assert "members tagged new-ceo" in words
    assert "joining, development" in words
    assert "coaching-what-is" in words  # a follow-up
    assert "everyone" in _section(page.text, "eligibility-who")
    assert "Reload now" in page.text


async def test_phrasings_staff_added_in_the_database_are_marked(bot: Bot, browser: Browser) -> None:
    now = bot.services.clock()

    async def add(repos: Repositories) -> None:
        await repos.faq.add_alternate("join-how", "how do I get on the programme", now)
        await repos.faq.add_alternate("eligibility-who", "Am I eligible for the CEDP?", now)

    await unit(bot.services.database, add)
    await browser.post(f"{PAGE}/reload", {})
    page = await browser.get(PAGE)
    assert "«how do I get on the programme» added by staff on" in _section(page.text, "join-how")
    exported = _section(page.text, "eligibility-who")  # already in the file: the file's own
    assert "«Am I eligible for the CEDP?»" in exported
    assert "added by staff" not in exported


async def test_the_answer_is_shown_as_text_not_html(browser: Browser, knowledge: Path) -> None:
    (knowledge / "zz.yaml").write_text(
        "- id: markup\n  question: Is <b>this</b> bold?\n  answer: <script>alert(1)</script>\n",
        encoding="utf-8",
    )
    page = await browser.post(f"{PAGE}/reload", {})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_search_matches_questions_alternates_and_tags(browser: Browser) -> None:
    by_alternate = await browser.get(f"{PAGE}?q=elegible")
    assert 'id="entry-eligibility-who"' in by_alternate.text
    assert 'id="entry-join-how"' not in by_alternate.text
    assert re.search(r"Entries \(1 of \d+ match\)", text_of(by_alternate.text))
    by_words = await browser.get(f"{PAGE}?q=DIARY+chaos")  # any case, words in any phrasing
    assert 'id="entry-new-ceo-start"' in by_words.text
    by_tag = await browser.get(f"{PAGE}?q=eligibility")
    assert 'id="entry-eligibility-not-ceo"' in by_tag.text
    assert 'value="eligibility"' in by_tag.text  # the box keeps the search


async def test_a_search_that_matches_nothing_says_so(browser: Browser) -> None:
    page = await browser.get(f"{PAGE}?q=zebra+crossing")
    assert page.status == 200
    assert "No entries match «zebra crossing»." in text_of(page.text)
    assert "Show every entry" in page.text


async def test_the_staff_report_lists_the_most_missed_first(bot: Bot, browser: Browser) -> None:
    now = bot.services.clock()

    async def ask(repos: Repositories) -> None:
        for _ in range(3):
            await repos.faq.record("can I bring my dog?", Outcome.DECLINED, None, now)
        unhelped = await repos.faq.record("How do I join?", Outcome.ANSWERED, "join-how", now)
        await repos.faq.vote(unhelped, helpful=False)

    await unit(bot.services.database, ask)
    words = text_of((await browser.get(PAGE)).text)
    assert "3 Not answered «can I bring my dog?» nothing" in words
    assert (
        "1 Marked not helpful e.g. «How do I join?» How do I join the programme? (join-how)"
        in words
    )
    assert words.index("can I bring my dog?") < words.index("How do I join?")


async def test_the_staff_report_says_when_nothing_was_missed(browser: Browser) -> None:
    assert "Nothing missed so far" in text_of((await browser.get(PAGE)).text)


async def test_reload_picks_up_an_edited_file(
    browser: Browser, knowledge: Path, staff: TestChat
) -> None:
    before = await browser.get(PAGE)
    count = len(re.findall(r'class="panel entry"', before.text))
    with (knowledge / "membership.yaml").open("a", encoding="utf-8") as file:
        file.write(NEW_ENTRY)
    assert 'id="entry-dogs-welcome"' not in (await browser.get(PAGE)).text  # not live yet
    page = await browser.post(f"{PAGE}/reload", {})
    assert f"Knowledge base reloaded: {count + 1} entries." in text_of(page.text)
    assert "Yes, dogs on a lead are welcome" in _section(page.text, "dogs-welcome")
    await staff.send("Can I bring my dog to the events?")
    assert "dogs on a lead are welcome" in staff.text


async def test_a_broken_edit_shows_the_problems_as_kb_check_prints_them(
    browser: Browser, knowledge: Path
) -> None:
    (knowledge / "zz-broken.yaml").write_text(BROKEN, encoding="utf-8")
    (knowledge / "zz-incomplete.yaml").write_text(NO_ANSWER, encoding="utf-8")
    page = await browser.get(PAGE)
    assert page.status == 200
    problems = re.search(r'<pre class="problems" id="problems">(.*?)</pre>', page.text, re.S)
    assert problems, page.text
    shown = text_of(problems.group(1))
    printed = await _kb_check(knowledge)
    assert len(printed) == 3  # two problems, then how many
    assert shown == text_of("\n".join(printed))
    assert "the bot keeps answering from the last good version" in text_of(page.text)


async def test_reloading_a_broken_edit_keeps_the_bot_answering_from_the_old_entries(
    browser: Browser, knowledge: Path, staff: TestChat
) -> None:
    count = len(re.findall(r'class="panel entry"', (await browser.get(PAGE)).text))
    (knowledge / "membership.yaml").write_text(BROKEN, encoding="utf-8")
    page = await browser.post(f"{PAGE}/reload", {})
    assert page.status == 200
    words = text_of(page.text)
    assert f"Not reloaded; the previous version ({count} entries) is still answering." in words
    assert "is not valid YAML at line 3" in words
    assert len(re.findall(r'class="panel entry"', page.text)) == count
    assert 'id="entry-eligibility-who"' in page.text  # still live, though gone from the file
    await staff.send("Who can take part in the programme?")
    assert "chief executives of NHS trusts and health authorities" in staff.text


async def test_the_problems_panel_is_absent_when_the_files_are_fine(browser: Browser) -> None:
    page = await browser.get(PAGE)
    assert "have problems" not in page.text
    assert 'class="problems"' not in page.text


async def test_a_member_sees_nothing_and_cannot_reload(
    bot: Bot, console_client: TestClient, knowledge: Path
) -> None:
    chat = TestChat(bot, user_id="mo", display_name="Mo Member")
    await join_as(bot, chat, Role.MEMBER)
    services = bot.services

    async def leaked_link(repos: Repositories) -> str:
        [member] = await repos.members.list()
        link = await console.issue_link(repos, to_ref(member), services.clock(), services.settings)
        return link.removeprefix(services.settings.public_url or "")

    member = new_browser(console_client)
    await member.sign_in_with(await unit(services.database, leaked_link))
    page = await member.get(PAGE)
    assert page.status == 403
    assert "Reload now" not in page.text and "eligib" not in page.text
    with (knowledge / "membership.yaml").open("a", encoding="utf-8") as file:
        file.write(NEW_ENTRY)
    refused = await member.post(f"{PAGE}/reload", {}, follow=False)
    assert refused.status == 403
    assert "dogs-welcome" not in services.knowledge.current.entries


@pytest.mark.parametrize(
    "query",
    [
        "?q=",
        "?q=%00%01",
        "?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "?q=a&q=b",
        "?q=%FF%FE",
        "?nonsense=1&q",
        "?q=" + "%E2%80%8B" * 50,
        "?q=" + "x" * 200,
    ],
)
async def test_odd_query_strings_are_fine(browser: Browser, query: str) -> None:
    page = await browser.get(PAGE + query)
    assert page.status == 200
    assert "<script>alert" not in page.text


async def test_a_search_too_long_is_refused_politely(browser: Browser) -> None:
    page = await browser.get(f"{PAGE}?q={'x' * 201}")
    assert page.status == 400
    assert "Search: at most 200 characters" in page.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", f"{PAGE}/reload", 405),
        ("get", f"{PAGE}/nothing-here", 404),
        ("post", f"{PAGE}/nothing-here", 404),
        ("post", PAGE, 405),
    ],
)
async def test_addresses_that_are_not_pages_are_4xx(
    browser: Browser, method: str, path: str, status: int
) -> None:
    page = await (browser.get(path) if method == "get" else browser.post(path, {}, follow=False))
    assert page.status == status


async def test_reload_ignores_fields_it_does_not_take(browser: Browser) -> None:
    page = await browser.post(f"{PAGE}/reload", {"entries": "x" * 10_000, "force": "no"})
    assert page.status == 200
    assert "Knowledge base reloaded" in text_of(page.text)


async def test_a_reload_without_the_form_token_is_refused(browser: Browser) -> None:
    browser.form_token = "not-the-token"
    assert (await browser.post(f"{PAGE}/reload", {}, follow=False)).status == 403
