"""The programme team's desk: handed-over questions are answered and reach the asker."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.settings import SHIPPED_KNOWLEDGE, Settings
from domain.people import Role
from handlers.faq import ASK_TEAM
from handlers.team import DONT_ADD, LearnAlternate, StartAnswer
from storage.repositories import Repositories
from tests.conftest import FakeClock, join_as

ODD_QUESTION = "can I bring my dog?"


@pytest.fixture
async def desk(settings: Settings, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Bot]:
    """A bot on its own copy of the knowledge base, which tests may break; its watcher (when a
    test starts it) looks for edits every 10 ms."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, knowledge)
    started = await Bot.start(
        settings.model_copy(update={"knowledge_path": knowledge, "knowledge_reload_seconds": 0.01}),
        clock=clock,
    )
    yield started
    await started.close()


@pytest.fixture
async def staff(desk: Bot) -> TestChat:
    chat = TestChat(desk, user_id="sam", display_name="Sam Staff")
    await join_as(desk, chat, Role.STAFF)
    return chat


async def _hand_over(bot: Bot, question: str, user_id: str = "alice") -> TestChat:
    asker = TestChat(bot, user_id=user_id, display_name="Alice Jones")
    await asker.send(question)
    if "None of these" in asker.labels:
        await asker.press("None of these")
    await asker.press(ASK_TEAM)
    return asker


async def test_staff_are_told_of_a_new_question(desk: Bot, staff: TestChat) -> None:
    await _hand_over(desk, ODD_QUESTION)
    await staff.inbox()
    assert "New question for the programme team (#1) from Alice Jones" in staff.text
    assert ODD_QUESTION in staff.text


async def test_staff_answer_in_chat_and_the_asker_receives_it_once(
    desk: Bot, staff: TestChat
) -> None:
    asker = await _hand_over(desk, ODD_QUESTION)
    await staff.send("/unanswered")
    assert "#1 from Alice Jones" in staff.text
    answer_first = staff.payload("Answer #1")
    await staff.press("Answer #1")
    assert "Type your answer" in staff.text
    await staff.send("It is a test string; nothing to worry about.")
    assert staff.text.startswith("Sent to Alice Jones.")

    await asker.inbox()
    assert f"The programme team has answered your question «{ODD_QUESTION}»" in asker.text
    assert "nothing to worry about" in asker.text
    assert await asker.inbox() == []
    async with desk.services.database.transaction() as session:
        row = await Repositories.bound_to(session).team_questions.get(1)
    assert row is not None and row.recipient_id is None  # the reply address is not kept

    await staff.send("/unanswered")
    assert staff.text == "No questions are waiting for the team."
    await staff.press_payload(answer_first)
    assert "answered already" in staff.text


async def test_an_answered_question_can_teach_the_knowledge_base(
    desk: Bot, staff: TestChat
) -> None:
    question = "what does the open space thing cost me"
    await _hand_over(desk, question)
    await _answer_first(staff, "Nothing at all.")
    choice = next(label for label in staff.labels if label.startswith("Add to:"))
    await staff.press(choice)
    assert staff.text.startswith("Learnt:")
    entry_id = staff.text.split(" now also finds ")[1].split(" ")[0]

    assert await desk.refresh_knowledge() is not None  # the watcher's check sees the change
    entry = desk.services.knowledge.current.entries[entry_id]
    assert question in entry.alternates
    result = desk.services.knowledge.current.match(question)
    assert result.answer is not None and result.answer.entry.id == entry_id


async def _answer_first(staff: TestChat, answer: str = "Here is the answer.") -> None:
    await staff.send("/unanswered")
    await staff.press("Answer #1")
    await staff.send(answer)


async def _alternates(bot: Bot) -> list:
    async with bot.services.database.transaction() as session:
        return list(await Repositories.bound_to(session).faq.alternates())


async def test_learning_offers_only_plausible_entries_and_a_way_out(
    desk: Bot, staff: TestChat
) -> None:
    question = "can my deputy come instead"
    result = desk.services.knowledge.current.match(question)
    assert len(result.candidates) > len(result.suggestions) >= 1  # some candidates are far off
    await _hand_over(desk, question)
    await _answer_first(staff)
    assert staff.labels == [f"Add to: {m.entry.question}" for m in result.suggestions] + [DONT_ADD]

    await staff.press(DONT_ADD)
    assert staff.text == "Fine: the knowledge base stays as it is."
    assert await _alternates(desk) == []


async def test_no_learning_is_offered_when_no_entry_is_plausible(
    desk: Bot, staff: TestChat
) -> None:
    question = "where can I park my bicycle overnight"
    result = desk.services.knowledge.current.match(question)
    assert result.candidates and not result.suggestions
    await _hand_over(desk, question)
    await _answer_first(staff)
    assert staff.text == "Sent to Alice Jones." and staff.labels == []


async def test_members_cannot_use_the_desk(desk: Bot) -> None:
    member = TestChat(desk, user_id="mo")
    await join_as(desk, member, Role.MEMBER)
    await _hand_over(desk, ODD_QUESTION)
    for command in ("/unanswered", "/report", "/reload"):
        await member.send(command)
        assert member.text == "Sorry, that's only available to programme staff.", command
    await member.press_bound(StartAnswer(1))
    assert "only available to programme staff" in member.text
    await member.press_bound(LearnAlternate(1, "join-how"))
    assert "only available to programme staff" in member.text
    assert await member.inbox() == []  # staff notifications never reach members


async def test_the_report_lists_most_missed_first(desk: Bot, staff: TestChat) -> None:
    asker = TestChat(desk, user_id="alice")
    for _ in range(2):
        await asker.send(ODD_QUESTION)
    await asker.send("is there a car park at the venue?")
    await staff.send("/report")
    assert staff.text.splitlines() == [
        f"2 × not answered: «{ODD_QUESTION}»",
        "1 × not answered: «is there a car park at the venue?»",
    ]


async def test_a_broken_edit_keeps_the_previous_version_and_tells_staff_once(
    desk: Bot, staff: TestChat
) -> None:
    before = len(desk.services.knowledge.current)
    broken = desk.services.knowledge.path / "zz-broken.yaml"
    broken.write_text("- id: oops\n  question: [unclosed\n", encoding="utf-8")
    outcome = await desk.refresh_knowledge()
    assert outcome is not None and not outcome.reloaded
    assert len(desk.services.knowledge.current) == before
    await staff.inbox()
    assert "not loaded; the previous version is still answering" in staff.text
    assert "zz-broken.yaml: is not valid YAML at line" in staff.text

    assert await desk.refresh_knowledge() is None  # unchanged since: no second alarm
    assert await staff.inbox() == []

    await staff.send("/reload")
    assert staff.text.startswith("Not reloaded; the previous version is still answering")
    broken.write_text(
        "- id: oops\n  question: Is this new?\n  answer: Yes, it is new.\n", encoding="utf-8"
    )
    await staff.send("/reload")
    assert staff.text == f"Knowledge base reloaded: {before + 1} entries."
    assert "oops" in desk.services.knowledge.current.entries


async def test_the_watcher_picks_up_an_edit_without_a_restart(desk: Bot) -> None:
    extra = desk.services.knowledge.path / "zz-new.yaml"
    extra.write_text(
        "- id: brand-new\n  question: Is there a summer party?\n  answer: Yes, in July.\n",
        encoding="utf-8",
    )
    desk.start_background()
    for _ in range(200):
        if "brand-new" in desk.services.knowledge.current.entries:
            break
        await asyncio.sleep(0.02)
    assert "brand-new" in desk.services.knowledge.current.entries
