"""Learning from use in chat: "did you mean" picks become candidate phrasings linked to nobody;
when three different people asked alike, staff are told and add it with one tap in /learn."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.middleware import NOT_YOURS
from domain.people import Role
from handlers.faq import ASK_TEAM, UNSURE
from handlers.learn import AcceptSuggestion, DismissSuggestion
from handlers.team import DONT_ADD
from storage.models import KnowledgeCandidate
from storage.repositories import Repositories
from tests.conftest import join_as

QUESTION = "who pays for all this"  # "did you mean" on the shipped base
ENTRY_QUESTION = "How is the programme funded?"
ENTRY_ID = "programme-funding"
PEOPLE = [("ann", "Ann Archer"), ("ben", "Ben Barker"), ("cat", "Cat Cooper")]


@pytest.fixture
def bot(unthrottled_bot: Bot) -> Bot:
    return unthrottled_bot


@pytest.fixture
async def staff(bot: Bot) -> TestChat:
    chat = TestChat(bot, user_id="sam", display_name="Sam Staff")
    await join_as(bot, chat, Role.STAFF)
    return chat


async def _member(bot: Bot, user_id: str, name: str) -> TestChat:
    chat = TestChat(bot, user_id=user_id, display_name=name)
    await join_as(bot, chat, Role.MEMBER)
    return chat


async def _pick(chat: TestChat, question: str = QUESTION) -> None:
    await chat.send(question)
    assert chat.text.startswith(UNSURE), chat.text
    await chat.press(ENTRY_QUESTION)


async def _candidates(bot: Bot) -> list[KnowledgeCandidate]:
    async with bot.services.database.transaction() as session:
        return list((await session.execute(select(KnowledgeCandidate))).scalars())


async def _three_picks(bot: Bot) -> list[TestChat]:
    members = [await _member(bot, user_id, name) for user_id, name in PEOPLE]
    for member in members:
        await _pick(member)
    return members


async def test_a_pick_is_kept_as_a_candidate_that_names_nobody(bot: Bot) -> None:
    members = await _three_picks(bot)
    rows = await _candidates(bot)
    assert [(row.entry_id, row.question) for row in rows] == [(ENTRY_ID, QUESTION)] * 3
    assert len({row.asker_digest for row in rows}) == 3  # three people, told apart

    async with bot.services.database.transaction() as session:
        people = await Repositories.bound_to(session).members.list()
    traces = {str(m.id) for m in people} | {m.display_name for m in people}
    traces |= {chat.sender.external_id for chat in members} | {"test"}
    for row in rows:
        values = [  # all but the row's own number
            str(getattr(row, c.key)) for c in KnowledgeCandidate.__table__.c if c.key != "id"
        ]
        assert not [v for v in values for trace in traces if v == trace or trace in v.split()]
        assert not any(name in v for v in values for _, name in PEOPLE)


async def test_one_person_picking_three_times_suggests_nothing(bot: Bot, staff: TestChat) -> None:
    member = await _member(bot, *PEOPLE[0])
    for question in (QUESTION, f"{QUESTION}?", f"so {QUESTION}"):
        await _pick(member, question)
    await staff.send("/learn")
    assert staff.text.startswith("No phrasings are waiting")
    assert await staff.inbox() == []


async def test_staff_are_told_once_and_add_the_phrasing_with_one_tap(
    bot: Bot, staff: TestChat
) -> None:
    await _three_picks(bot)
    await staff.inbox()
    assert f"3 different people reached «{ENTRY_QUESTION}»" in staff.text
    assert f"«{QUESTION}»" in staff.text and "/learn" in staff.text
    late = await _member(bot, "dan", "Dan Dover")
    await _pick(late)
    assert await staff.inbox() == []  # one notice per suggestion

    await staff.send("/learn")
    [number] = {label.split("#")[1] for label in staff.labels}
    assert f"#{number} «{QUESTION}» for «{ENTRY_QUESTION}» (4 people)" in staff.text
    assert staff.labels == [f"Add #{number}", f"Dismiss #{number}"]
    await staff.press(f"Add #{number}")
    assert staff.text.startswith(f"Added: «{QUESTION}» now also finds «{ENTRY_QUESTION}»")

    # Live at once: the next person asking gets the answer, no "did you mean".
    assert QUESTION in bot.services.knowledge.current.entries[ENTRY_ID].alternates
    await late.send(QUESTION)
    assert not late.text.startswith(UNSURE)
    await staff.send("/learn")
    assert staff.text.startswith("No phrasings are waiting")


async def test_a_dismissed_phrasing_is_not_offered_again(bot: Bot, staff: TestChat) -> None:
    await _three_picks(bot)
    await staff.send("/learn")
    number = staff.labels[0].split("#")[1]
    add = staff.payload(f"Add #{number}")
    await staff.press(f"Dismiss #{number}")
    assert staff.text.startswith(f"Dismissed: «{QUESTION}» is no longer offered")
    await staff.send("/learn")
    assert staff.text.startswith("No phrasings are waiting")
    await staff.press_payload(add)  # the old button does nothing now
    assert staff.text.startswith("Not added: there is no suggestion")
    assert QUESTION not in bot.services.knowledge.current.entries[ENTRY_ID].alternates


async def test_learn_is_for_staff_only_and_its_buttons_for_whom_they_were_shown(
    bot: Bot, staff: TestChat
) -> None:
    members = await _three_picks(bot)
    member = members[0]
    await member.send("/learn")
    assert member.text == "Sorry, that's only available to programme staff."
    await staff.send("/learn")
    number = int(staff.labels[0].split("#")[1])
    for pressed in (AcceptSuggestion(number), DismissSuggestion(number)):
        await member.press_bound(pressed)
        assert "only available to programme staff" in member.text
    other_staff = TestChat(bot, user_id="sue", display_name="Sue Staff")
    await join_as(bot, other_staff, Role.STAFF)
    await other_staff.press_payload(staff.payload(f"Add #{number}"))
    assert other_staff.text == NOT_YOURS
    assert len(await _candidates(bot)) == 3
    assert all(row.state == "waiting" for row in await _candidates(bot))


async def test_a_staff_answer_linked_to_an_entry_counts_its_asker(
    bot: Bot, staff: TestChat
) -> None:
    """Two members picked; a guest handed a similar question over and staff linked it."""
    for user_id, name in PEOPLE[:2]:
        await _pick(await _member(bot, user_id, name))
    guest = TestChat(bot, user_id="gil", display_name="Gil Guest")
    await guest.send(QUESTION)
    await guest.press("None of these")
    await guest.press(ASK_TEAM)
    await staff.inbox()
    await staff.send("/unanswered")
    await staff.press("Answer #1")
    await staff.send("About £1m a year.")
    assert f"Add to: {ENTRY_QUESTION}" in staff.labels and DONT_ADD in staff.labels
    await staff.press(f"Add to: {ENTRY_QUESTION}")
    assert staff.text.startswith("Learnt:")

    rows = await _candidates(bot)
    assert len(rows) == 3 and len({row.asker_digest for row in rows}) == 3
    async with bot.services.database.transaction() as session:
        team_question = await Repositories.bound_to(session).team_questions.get(1)
    assert team_question is not None
    assert team_question.recipient_id is None and team_question.learn_digests is None
