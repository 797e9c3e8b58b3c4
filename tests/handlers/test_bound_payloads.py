"""A button works only for the person it was shown to: someone else pressing it, or typing its
payload, is refused and changes nothing. The exploits found in issue 9, then the property."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Choices, Edit, Reply, Text
from bot.middleware import NOT_YOURS
from domain.people import Role
from handlers.faq import ASK_TEAM, HANDED_OVER, NOT_HELPFUL
from tests.conftest import join_as
from tests.handlers.stored import Rows, stored_rows

ODD_QUESTION = "can I bring my dog?"
REFUSED = [Text(NOT_YOURS)]


@pytest.fixture
def bot(unthrottled_bot: Bot) -> Bot:
    return unthrottled_bot


async def _rows(bot: Bot) -> Rows:
    return await stored_rows(bot.services.database)


async def _answer_as_staff(bot: Bot, question_number: int, answer: str) -> None:
    staff = TestChat(bot, user_id="sam", display_name="Sam Staff")
    await join_as(bot, staff, Role.STAFF)
    await staff.send("/unanswered")
    await staff.press(f"Answer #{question_number}")
    await staff.send(answer)


async def test_someone_else_pressing_ask_the_team_is_refused_and_the_asker_still_gets_the_answer(
    bot: Bot,
) -> None:
    alice, mallory = TestChat(bot, user_id="alice"), TestChat(bot, user_id="mallory")
    await alice.send(ODD_QUESTION)
    before = await _rows(bot)
    assert await mallory.press_payload(alice.payload(ASK_TEAM)) == REFUSED
    assert await mallory.press_payload("faq:team:1") == REFUSED  # typed by hand, as before
    assert await _rows(bot) == before

    await alice.press(ASK_TEAM)
    assert alice.text == HANDED_OVER
    await _answer_as_staff(bot, 1, "It is a test string.")
    await alice.inbox()
    assert "It is a test string." in alice.text
    assert await mallory.inbox() == []


async def test_someone_else_voting_on_an_answer_is_refused_and_the_vote_stays_the_askers(
    bot: Bot,
) -> None:
    alice, mallory = TestChat(bot, user_id="alice"), TestChat(bot, user_id="mallory")
    await alice.send("How do I join the programme?")
    down = alice.payload(NOT_HELPFUL)
    before = await _rows(bot)
    assert await mallory.press_payload(down) == REFUSED
    assert await mallory.press_payload("faq:vote:1:down") == REFUSED
    assert await _rows(bot) == before

    await alice.press_payload(down)
    assert ASK_TEAM in alice.labels  # Alice's 👎 counts: it was hers to give


async def test_a_staff_members_buttons_are_refused_to_other_staff(bot: Bot) -> None:
    asker = TestChat(bot, user_id="alice")
    await asker.send(ODD_QUESTION)
    await asker.press(ASK_TEAM)
    sam, tess = TestChat(bot, user_id="sam"), TestChat(bot, user_id="tess")
    for staff in (sam, tess):
        await join_as(bot, staff, Role.STAFF)
    await sam.send("/unanswered")
    before = await _rows(bot)
    assert await tess.press_payload(sam.payload("Answer #1")) == REFUSED
    assert await _rows(bot) == before  # Tess is not waiting to type an answer


async def test_the_same_account_id_on_another_platform_is_someone_else(bot: Bot) -> None:
    on_test = TestChat(bot, user_id="42")
    on_slack = TestChat(bot, user_id="42", platform="slack")
    await on_test.send(ODD_QUESTION)
    assert await on_slack.press_payload(on_test.payload(ASK_TEAM)) == REFUSED


@pytest.mark.parametrize(
    "payload",
    [
        "faq:team:99999999999999999999999999",
        "faq:vote:2147483648:up",
        "faq:team:1\x00",
        "invite:staff\x00",
        "\x00",
        "menu:help" + "~" * 100,
        "🙃" * 30,
    ],
)
async def test_junk_payloads_are_refused_before_reaching_the_database(
    bot: Bot, payload: str
) -> None:
    mallory = TestChat(bot, user_id="mallory")
    assert await mallory.press_payload(payload) == REFUSED


# The property: random conversations by A; every payload A was offered, pressed by B.

COMMANDS = ["/start", "/help", "/me", "/join", "/cancel", "/invite", "/unanswered", "/report"]
QUESTIONS = [
    "How do I join the programme?",
    "mentoring",
    "what does the peer introductions thing cost me",
    ODD_QUESTION,
    "can my deputy come instead",
]
action = st.one_of(
    st.tuples(st.just("send"), st.sampled_from(COMMANDS + QUESTIONS)),
    st.tuples(st.just("press"), st.integers(0, 20)),
    st.tuples(st.just("inbox"), st.none()),
)
people = itertools.count()


def _offered(replies: list[Reply]) -> list[str]:
    return [
        option.payload
        for reply in replies
        if isinstance(reply, Choices | Edit)
        for option in reply.options
    ]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    role=st.sampled_from([None, Role.MEMBER, Role.STAFF]),
    actions=st.lists(action, max_size=12),
    other_platform=st.booleans(),
)
async def test_no_button_offered_to_one_person_works_for_another(
    bot: Bot, role: Role | None, actions: list[tuple[str, Any]], other_platform: bool
) -> None:
    n = next(people)
    someone = TestChat(bot, user_id=f"asker-{n}")  # hands a question over, for staff to see
    await someone.send(ODD_QUESTION)
    await someone.press(ASK_TEAM)

    a = TestChat(bot, user_id=f"a-{n}")
    if role is not None:
        await join_as(bot, a, role)
    offered = _offered(a.last)
    for kind, argument in actions:
        if kind == "send":
            replies = await a.send(argument)
        elif kind == "inbox":
            replies = await a.inbox()
        elif a.labels:
            replies = await a.press(a.labels[argument % len(a.labels)])
        else:
            continue
        offered += _offered(replies)

    # B is staff (so no role check stands in the way), or A's own id on another platform.
    b = TestChat(bot, user_id=f"a-{n}", platform="slack") if other_platform else None
    if b is None:
        b = TestChat(bot, user_id=f"b-{n}")
        await join_as(bot, b, Role.STAFF)
    before = await _rows(bot)
    for payload in dict.fromkeys(offered):
        assert await b.press_payload(payload) == REFUSED, payload
    assert await _rows(bot) == before
