"""Check-ins in the console: created from the form or the YAML file through the file's own
checks, counts but never names, closed early by staff, and results under the command line's
release rules (nothing before close, nothing under the threshold), with its chart and CSV."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from aiohttp import FormData

from bot.core import Bot
from domain.people import Role
from services import console, pulse
from services.audit import Action
from services.pulse_file import EXAMPLE, read_definition
from storage.members import to_ref
from storage.repositories import Repositories
from tests.conftest import FakeClock, unit
from tests.console.conftest import Browser, fresh_once, new_browser, text_of
from tests.handlers.pulse_setup import created, member_id, person, run_jobs

# One person's answers by position (the issue's four questions): wellbeing 1-5, isolated
# 1 yes / 0 no, need an option's index, and a comment; None skips.
Answers = tuple[int | None, int | None, int | None, str | None]
GOOD: Answers = (4, 0, 1, None)

FORM = {
    "title": "January check-in",
    "opens": "2026-12-01T09:00",
    "closes": "2026-12-08T17:00",
    "segment": "new-ceo",
    "breakdown": "",
    "q1_id": "wellbeing",
    "q1_text": "How are you finding the role this month?",
    "q1_kind": "scale",
    "q1_options": "Very hard\nHard\nManageable\nGood\nVery good",
    "q2_id": "isolated",
    "q2_text": "Have you felt isolated in the last month?",
    "q2_kind": "yesno",
    "q3_id": "need",
    "q3_text": "What would help you most right now?",
    "q3_kind": "choice",
    "q3_options": "Coaching\nPeer support\nSkills courses\nNothing right now",
    "q4_id": "comment",
    "q4_text": "Anything else you would like the programme to know?",
    "q4_kind": "text",
}


async def answered_by(
    bot: Bot, everyone: Sequence[Answers], *, close: bool = True, who: str = "member"
) -> int:
    """The issue's check-in, sent to one new member (named `who` and a number) per item of
    `everyone`, each answering so; closed when `close`. Returns its id."""
    chats = [await person(bot, f"{who}{index}") for index in range(len(everyone))]
    checkin_id = await created(bot)
    await run_jobs(bot)  # it opens, and each member is sent it
    now = bot.services.clock()
    for chat, answers in zip(chats, everyone, strict=True):
        found = await member_id(bot, chat)

        async def answer(
            repos: Repositories, found: int = found, answers: Answers = answers
        ) -> None:
            member = await repos.members.get(found)
            assert member is not None
            for position, value in enumerate(answers):
                comment = value if isinstance(value, str) else None
                number = value if isinstance(value, int) else None
                await pulse.answer(
                    repos, to_ref(member), checkin_id, position, number, now, comment=comment
                )

        await unit(bot.services.database, answer)
    if close:
        await unit(bot.services.database, lambda r: pulse.close(r, checkin_id, now, None))
    return checkin_id


async def results_viewings(bot: Bot) -> int:
    entries = await unit(bot.services.database, lambda r: r.audit.entries())
    return sum(entry.record.action == Action.PULSE_RESULTS for entry in entries)


async def upload(browser: Browser, content: bytes, name: str = "checkin.yaml") -> object:
    form = FormData()
    form.add_field("form_token", browser.form_token or "")
    form.add_field("once", fresh_once())
    form.add_field("file", content, filename=name, content_type="application/x-yaml")
    return await browser.post("/console/checkins/upload", data=form)


# Creating


async def test_staff_create_a_check_in_from_the_form(bot: Bot, browser: Browser) -> None:
    await person(bot, "ceo", tags=("new-ceo",))
    await browser.get("/console/checkins/new")
    page = await browser.post("/console/checkins/new", FORM)
    assert page.status == 200
    shown = text_of(page.text)
    assert (
        "Created check-in #1 “January check-in”; it will be sent to 1 member when it opens" in shown
    )
    assert "Members it will be sent to 1" in shown
    assert "What would help you most right now?" in shown
    listing = text_of((await browser.get("/console/checkins")).text)
    assert "#1 January check-in Scheduled" in listing


async def test_the_form_makes_the_check_in_the_file_would(
    bot: Bot, browser: Browser, clock: FakeClock
) -> None:
    await browser.get("/console/checkins/new")
    await browser.post("/console/checkins/new", FORM)
    text = EXAMPLE.replace("December", "January")
    text = text.replace("2026-12-07T09:00+00:00", FORM["opens"])
    text = text.replace("2026-12-14T17:00+00:00", FORM["closes"])
    from_file = read_definition(text, "checkin.yaml", clock.now)
    [made] = await unit(bot.services.database, pulse.summaries)
    checkin = made.checkin
    assert checkin.asked() == from_file.questions
    assert (checkin.title, tuple(checkin.segment)) == (from_file.title, from_file.segment)
    assert (checkin.opens_at, checkin.closes_at) == (from_file.opens, from_file.closes)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"title": ""}, "title is required"),
        ({"closes": "2026-11-30T09:00"}, "closes must be after opens"),
        ({"opens": "next tuesday"}, "'next tuesday' is not a time"),
        ({"segment": "North West"}, "'north west' is not a valid tag"),
        ({"q1_kind": "banana"}, "'banana' is not one of scale | yesno | choice | text"),
        ({"q3_options": "Coaching"}, "a choice needs 2 to 8 options"),
        ({"q2_options": "Maybe"}, "options are only for a choice question"),
        ({"q1_options": "Bad\nGood"}, "a scale has 5 labels"),
        ({"q2_id": "wellbeing"}, "question id 'wellbeing' is also used"),
        ({"q1_id": "Well Being!"}, "is not a question id"),
        ({"q4_text": "", "q4_id": ""}, None),  # a row left empty is simply not asked
        ({"q1_text": "x" * 301}, "the question is longer than 300 characters"),
    ],
)
async def test_the_form_says_what_is_wrong_and_keeps_what_was_typed(
    bot: Bot, browser: Browser, changes: dict[str, str], says: str | None
) -> None:
    await browser.get("/console/checkins/new")
    page = await browser.post("/console/checkins/new", {**FORM, **changes})
    if says is None:
        assert page.status == 200 and "Created check-in #1" in page.text
        return
    assert page.status == 400
    shown = text_of(page.text)
    assert "No check-in was created" in shown
    assert says in shown
    assert 'value="How are you finding the role this month?"' in page.text or "q1_text" in changes
    assert not await unit(bot.services.database, pulse.summaries)


async def test_a_form_with_no_questions_or_nothing_at_all_is_refused_politely(
    bot: Bot, browser: Browser
) -> None:
    await browser.get("/console/checkins/new")
    page = await browser.post("/console/checkins/new", {"title": "Empty"})
    assert page.status == 400
    assert "questions must be a list of at least one question" in text_of(page.text)
    page = await browser.post("/console/checkins/new", {**FORM, "title": "x" * 2001})
    assert "Title: at most 2000 characters" in text_of(page.text)
    assert not await unit(bot.services.database, pulse.summaries)


async def test_staff_create_a_check_in_by_uploading_the_yaml_file(browser: Browser) -> None:
    await browser.get("/console/checkins/new")
    text = EXAMPLE.replace("2026-12-07T09:00+00:00", "2026-12-01T09:00")
    page = await upload(browser, text.encode())
    assert page.status == 200  # type: ignore[attr-defined]
    shown = text_of(page.text)  # type: ignore[attr-defined]
    assert "Created check-in #1 “December check-in”" in shown
    assert "Sent to new-ceo" in shown
    assert "Anything else you would like the programme to know?" in shown


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"title: [unclosed\n", "checkin.yaml:2: is not valid YAML"),
        (
            EXAMPLE.replace("kind: yesno", "kind: maybe").encode(),
            "checkin.yaml:12: question #2: kind: 'maybe' is not one of",
        ),
        (b"title: Only a title\n", "checkin.yaml:1: opens is required"),
        (b"- a list\n", "must be a check-in"),
        (
            EXAMPLE.replace("closes: 2026-12-14", "closes: 2025-12-14").encode(),
            "closes must be after opens",
        ),
        (b"\xff\xfe not text", "the file is not UTF-8 text"),
        (b"   \n", "the file is empty"),
        (b"x" * (64 * 1024 + 1), "larger than 64 KB"),
    ],
)
async def test_a_bad_file_shows_its_problems_politely(
    bot: Bot, browser: Browser, content: bytes, says: str
) -> None:
    await browser.get("/console/checkins/new")
    page = await upload(browser, content)
    assert page.status in {200, 400}  # type: ignore[attr-defined]
    assert says in text_of(page.text)  # type: ignore[attr-defined]
    assert not await unit(bot.services.database, pulse.summaries)


async def test_an_upload_without_a_file_asks_for_one(browser: Browser) -> None:
    await browser.get("/console/checkins/new")
    page = await browser.post("/console/checkins/upload", {"file": "not a file"})
    assert "Check-in file: choose a file to upload" in text_of(page.text)


# Before close


async def test_before_close_the_counts_show_but_no_results_are_asked_for(
    bot: Bot, browser: Browser
) -> None:
    checkin_id = await answered_by(bot, [GOOD] * 6, close=False)
    page = await browser.get(f"/console/checkins/{checkin_id}")
    shown = text_of(page.text)
    assert "Sent to 6 Answered 6" in shown
    assert "results are released only after the check-in closes" in shown
    assert "member0" not in shown.lower()
    assert "chart.png" not in page.text
    for download in ("chart.png", "results.csv"):
        refused = await browser.get(f"/console/checkins/{checkin_id}/{download}")
        assert refused.status == 409
        assert "released only after the check-in closes" in refused.text
    assert await results_viewings(bot) == 0


async def test_close_now_closes_it_and_releases_the_results(bot: Bot, browser: Browser) -> None:
    checkin_id = await answered_by(
        bot, [GOOD, GOOD, (2, 1, 0, None), (5, 0, 3, None), (3, 0, 1, None)], close=False
    )
    await browser.get(f"/console/checkins/{checkin_id}")
    page = await browser.post(f"/console/checkins/{checkin_id}/close", {})
    shown = text_of(page.text)
    assert "Closed “December check-in”: it takes no more answers." in shown
    assert "5 of the 5 people it was sent to answered" in shown
    assert "5 answers, mean 3.6 of 5" in shown
    assert "4 Good 2 40%" in shown
    assert "Peer support 3 60%" in shown
    assert f'src="/console/checkins/{checkin_id}/chart.png"' in page.text
    assert 'alt="Chart of the results of “December check-in”' in page.text
    assert "Close now" not in shown
    again = await browser.post(f"/console/checkins/{checkin_id}/close", {})
    assert "is already closed" in text_of(again.text)
    entries = await unit(bot.services.database, lambda r: r.audit.entries())
    closes = [e.record for e in entries if e.record.action == Action.PULSE_CLOSE]
    assert [record.subject for record in closes] == [f"checkin:{checkin_id}"]
    assert "terminal" not in closes[0].actor  # the staff member who pressed it, not the CLI


async def test_a_released_check_in_serves_its_chart_and_csv(bot: Bot, browser: Browser) -> None:
    checkin_id = await answered_by(bot, [GOOD] * 5)
    async with browser.client.get(f"/console/checkins/{checkin_id}/chart.png") as response:
        assert response.status == 200
        assert response.content_type == "image/png"
        assert (await response.read()).startswith(b"\x89PNG")
    async with browser.client.get(f"/console/checkins/{checkin_id}/results.csv") as response:
        assert response.status == 200
        assert response.content_type == "text/csv"
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="checkin-{checkin_id}-results.csv"'
        )
        rows = (await response.text()).splitlines()
    assert rows[0] == "question_id,question,group,answer,count"
    assert "wellbeing,How are you finding the role this month?,all,4,5" in rows
    assert await results_viewings(bot) == 2


async def test_under_the_threshold_nothing_is_released(bot: Bot, browser: Browser) -> None:
    checkin_id = await answered_by(bot, [GOOD] * 4)
    page = await browser.get(f"/console/checkins/{checkin_id}")
    shown = text_of(page.text)
    assert "Not enough responses: fewer than 5 people answered, so no results are shown." in shown
    assert "chart.png" not in page.text and "results.csv" not in page.text
    assert "mean" not in shown
    for download in ("chart.png", "results.csv"):
        refused = await browser.get(f"/console/checkins/{checkin_id}/{download}")
        assert refused.status == 409
        assert "Not enough responses" in refused.text


async def test_a_question_too_few_answered_is_held_back_alone(bot: Bot, browser: Browser) -> None:
    skipped: Answers = (4, None, 1, None)
    checkin_id = await answered_by(bot, [GOOD] * 4 + [skipped])
    shown = text_of((await browser.get(f"/console/checkins/{checkin_id}")).text)
    held_back = "Not enough responses: not shown: fewer than 5 people answered it."
    assert f"Have you felt isolated in the last month? {held_back}" in shown
    assert "5 answers, mean 4.0 of 5" in shown
    assert "comments are shown only when at least 8 people answered" in shown


async def test_comments_show_without_names_once_enough_answered(bot: Bot, browser: Browser) -> None:
    said: Answers = (4, 0, 1, "More peer time with member3 please")
    checkin_id = await answered_by(bot, [said] * 8)
    shown = text_of((await browser.get(f"/console/checkins/{checkin_id}")).text)
    assert "8 comments, in no particular order" in shown
    assert "“More peer time with [name] please”" in shown


async def test_the_trend_shows_earlier_check_ins_that_asked_the_question(
    bot: Bot, browser: Browser, clock: FakeClock
) -> None:
    await answered_by(bot, [GOOD] * 5)
    clock.advance(hours=1)
    later = await answered_by(bot, [(2, 1, 0, None)] * 5, who="newcomer")
    shown = text_of((await browser.get(f"/console/checkins/{later}")).text)
    assert "Trend over the last 2 check-ins that asked it" in shown
    assert "mean 4.0" in shown and "mean 2.0" in shown


# Addresses that name nothing, and people who may not


@pytest.mark.parametrize(
    "path",
    [
        "/console/checkins/999",
        "/console/checkins/abc",
        "/console/checkins/99999999999999999999",
        "/console/checkins/999/chart.png",
        "/console/checkins/999/results.csv",
    ],
)
async def test_an_address_that_names_no_check_in_is_not_found(browser: Browser, path: str) -> None:
    page = await browser.get(path)
    assert page.status == 404


async def test_closing_a_check_in_that_does_not_exist_says_so(browser: Browser) -> None:
    await browser.get("/console/checkins")
    page = await browser.post("/console/checkins/999/close", {}, follow=False)
    assert page.status == 303
    assert page.location == "/console/checkins/999"


async def test_a_member_is_refused_every_check_in_page(bot: Bot, browser: Browser) -> None:
    checkin_id = await answered_by(bot, [GOOD] * 5)
    chat = await person(bot, "mo")
    found = await member_id(bot, chat)

    async def link(repos: Repositories) -> str:
        member = await repos.members.get(found)
        assert member is not None and member.role == Role.MEMBER
        return await console.issue_link(
            repos, to_ref(member), bot.services.clock(), bot.services.settings
        )

    address = await unit(bot.services.database, link)
    member = new_browser(browser.client)
    await member.sign_in_with(address.removeprefix(bot.services.settings.public_url or ""))
    for path in (
        "",
        "/new",
        f"/{checkin_id}",
        f"/{checkin_id}/chart.png",
        f"/{checkin_id}/results.csv",
    ):
        page = await member.get(f"/console/checkins{path}")
        assert page.status == 403, path
        assert "Good" not in page.text
    refused = await member.post(f"/console/checkins/{checkin_id}/close", {}, follow=False)
    assert refused.status == 403
    made = await member.post("/console/checkins/new", FORM, follow=False)
    assert made.status == 403
    assert len(await unit(bot.services.database, pulse.summaries)) == 1
