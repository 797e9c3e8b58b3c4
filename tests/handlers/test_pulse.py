"""Check-ins in chat. A member answers one question at a time with buttons, Skip on each, types
the comment, stops and carries on with /checkin; an old button changes nothing, a closed
check-in refuses every press politely and someone it was not sent to cannot answer. A worrying
answer brings a private offer of support that reaches nobody else. The conversation state never
holds an answer. Staff follow check-ins with /pulse, close one, read results and define one by
pasting YAML; every staff route refuses members, coaches and guests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Choices, Edit, Text
from bot.middleware import JOIN_FIRST, NOT_ALLOWED
from bot.payloads import Payload
from domain.people import OPERATOR, Role
from domain.pulse import StoredAnswer
from handlers.pulse import (
    SUPPORT,
    AnswerWith,
    AskClose,
    Begin,
    ConfirmClose,
    CreateCheckin,
    DiscardCheckin,
    NewCheckin,
    ShowCheckins,
    ShowResults,
    SkipQuestion,
)
from services import pulse
from services.pulse import CLOSED, NOT_SENT
from storage.models import ConversationState, OutboxMessage
from tests.conftest import FakeClock, unit
from tests.handlers.pulse_setup import (
    NEEDS,
    SCALE,
    SKIP,
    TITLE,
    YES_NO,
    created,
    definition_text,
    person,
    run_jobs,
)

SUPPORT_LABELS = ["Book a coaching session", "Meet a peer", "Who to talk to now"]
COMMENT = "More time with peers would help"


async def _opened(bot: Bot, **checkin: Any) -> int:
    """A check-in opened now and sent to its members."""
    checkin_id = await created(bot, **checkin)
    await run_jobs(bot)
    return checkin_id


async def _answers(bot: Bot, checkin_id: int) -> list[StoredAnswer]:
    return await unit(bot.services.database, lambda repos: repos.pulse.answers(checkin_id))


def _kept(answers: list[StoredAnswer]) -> set[tuple[int, int | None, str | None]]:
    return {(answer.position, answer.value, answer.comment) for answer in answers}


async def _started(bot: Bot, user_id: str = "alice") -> TestChat:
    """A member who was sent the check-in and pressed Start."""
    chat = await person(bot, user_id)
    await _opened(bot)
    await chat.inbox()
    await chat.press("Start")
    return chat


def _message(chat: TestChat) -> str:
    """The latest message's text alone, without its buttons."""
    last = chat.last[-1]
    assert isinstance(last, Text | Choices | Edit)
    return last.text


async def _rows(bot: Bot, table: type[Any]) -> list[Any]:
    async with bot.services.database.transaction() as session:
        return list((await session.execute(select(table))).scalars().all())


# Answering


async def test_a_member_answers_with_buttons_skips_one_and_types_the_comment(bot: Bot) -> None:
    alice = await person(bot, "alice")
    checkin_id = await _opened(bot)

    await alice.inbox()
    invitation = alice.text
    assert f"“{TITLE}”" in invitation and "4 questions, about a minute" in invitation
    assert "anonymous" in invitation and "no link to you" in invitation
    assert "totals from at least 5 people" in invitation
    assert "skip any question" in invitation and "carry on" in invitation
    assert "closes on Tue 1 Dec 09:00 (your time)" in invitation
    assert alice.labels == ["Start"]

    await alice.press("Start")
    assert alice.text.startswith("Question 1 of 4\n\nHow are you finding the role this month?")
    assert alice.labels == [*SCALE, SKIP]
    await alice.press("4 Good")
    assert alice.text.startswith("Question 2 of 4\n\nHave you felt isolated")
    assert alice.labels == [*YES_NO, SKIP]
    await alice.press(SKIP)
    assert alice.text.startswith("Question 3 of 4")
    assert alice.labels == [*NEEDS, SKIP]
    await alice.press("Peer support")
    assert alice.text.startswith("Question 4 of 4\n\nAnything else")
    assert "Type your answer here, or press Skip." in alice.text
    assert alice.labels == [SKIP]
    await alice.send(COMMENT)

    assert alice.text.startswith(f"That's all of “{TITLE}”: thank you.")
    assert "shared only as totals from at least 5 people, after it closes" in alice.text
    assert _kept(await _answers(bot, checkin_id)) == {
        (0, 4, None),
        (2, 1, None),
        (3, None, COMMENT),
    }
    participation = await unit(
        bot.services.database, lambda repos: repos.pulse.participation(checkin_id)
    )
    assert participation == (1, 1, 1)  # sent, answered something, finished


async def test_the_conversation_state_holds_where_but_never_an_answer(bot: Bot) -> None:
    alice = await _started(bot)
    for label in ("2 Hard", "Yes", "Coaching"):
        await alice.press(label)
        for state in await _rows(bot, ConversationState):
            assert set(state.data) <= {"checkin", "position"}
    [waiting] = await _rows(bot, ConversationState)
    assert waiting.data == {"checkin": 1, "position": 3}

    await alice.send(COMMENT)

    assert await _rows(bot, ConversationState) == []  # nothing waits, nothing was kept


async def test_skip_on_the_text_question_ends_the_wait_for_typing(bot: Bot) -> None:
    alice = await _started(bot)
    for label in ("3 Manageable", "No", "Coaching"):
        await alice.press(label)
    await alice.press(SKIP)

    assert "thank you" in alice.text
    assert await _rows(bot, ConversationState) == []
    await alice.send("How do I join the programme?")  # a question again, not a comment
    assert "Question" not in alice.text


async def test_a_comment_over_the_limit_can_be_typed_again(bot: Bot) -> None:
    alice = await _started(bot)
    for label in ("3 Manageable", "No", "Coaching"):
        await alice.press(label)

    await alice.send("x" * 1200)
    assert alice.text == ("That's 1,200 characters; please keep it under 1,000, or press Skip.")
    await alice.send(COMMENT)

    assert "thank you" in alice.text
    assert (3, None, COMMENT) in _kept(await _answers(bot, 1))


async def test_a_member_who_stops_midway_carries_on_with_checkin(bot: Bot) -> None:
    await person(bot, "bob")  # sent it too, and it is no business of Alice's
    alice = await _started(bot)
    await alice.press("4 Good")

    await alice.send("/checkin")
    assert alice.text.startswith("Open check-ins you haven't finished:")
    assert f"• “{TITLE}”: question 2 of 4, closes on Tue 1 Dec 09:00 (your time)" in alice.text
    assert alice.labels == [f"Carry on: {TITLE}"]
    await alice.press(f"Carry on: {TITLE}")
    assert alice.text.startswith("Question 2 of 4")
    for label in ("No", "Coaching", SKIP):
        await alice.press(label)

    await alice.send("/checkin")
    assert alice.text == (
        "There's no open check-in waiting for you. When there is, it arrives here."
    )


async def test_an_old_button_changes_nothing_and_shows_where_they_are(bot: Bot) -> None:
    alice = await _started(bot)
    hard = alice.payload("2 Hard")
    await alice.press("4 Good")

    await alice.press_payload(hard)

    assert alice.text.startswith("Question 2 of 4")
    assert SUPPORT not in alice.text  # the old "2 Hard" was not taken as an answer
    assert _kept(await _answers(bot, 1)) == {(0, 4, None)}


async def test_after_close_every_press_and_typed_comment_is_refused_politely(
    bot: Bot, clock: FakeClock
) -> None:
    alice = await _started(bot)
    good = alice.payload("4 Good")
    await alice.press("4 Good")
    on_screen = {label: alice.payload(label) for label in alice.labels}
    for label in ("No", "Coaching"):
        await alice.press(label)  # waiting for the comment now
    await unit(bot.services.database, lambda repos: pulse.close(repos, 1, clock.now, OPERATOR))

    for payload in (good, *on_screen.values()):
        await alice.press_payload(payload)
        assert alice.text == CLOSED
    await alice.press_bound(Begin(1))
    assert alice.text == CLOSED
    await alice.send(COMMENT)
    assert alice.text == CLOSED
    assert await _rows(bot, ConversationState) == []
    assert _kept(await _answers(bot, 1)) == {(0, 4, None), (1, 0, None), (2, 0, None)}
    await alice.send("/checkin")
    assert "no open check-in" in alice.text


async def test_the_closing_time_passing_refuses_presses_too(bot: Bot, clock: FakeClock) -> None:
    alice = await _started(bot)
    clock.advance(days=7)

    await alice.press("4 Good")

    assert alice.text == CLOSED
    assert await _answers(bot, 1) == []


async def test_someone_not_in_the_segment_cannot_answer(bot: Bot) -> None:
    await person(bot, "nina", tags=("new-ceo",))
    bob = await person(bot, "bob")
    checkin_id = await _opened(bot, segment=("new-ceo",))

    assert await bob.inbox() == []
    for payload in (Begin(checkin_id), AnswerWith(checkin_id, 0, 4), SkipQuestion(checkin_id, 0)):
        await bob.press_bound(payload)
        assert bob.text == NOT_SENT
    assert await _answers(bot, checkin_id) == []


async def test_an_answer_that_is_no_value_of_the_question_is_refused(bot: Bot) -> None:
    alice = await _started(bot)

    await alice.press_bound(AnswerWith(1, 0, 9))

    assert alice.text == "That isn't one of the answers to this question."
    assert await _answers(bot, 1) == []


# Signposting


@pytest.mark.parametrize(
    ("presses", "offered"),
    [
        (["1 Very hard"], True),
        (["2 Hard"], True),
        (["3 Manageable"], False),
        (["5 Very good", "Yes"], True),
        (["5 Very good", "No"], False),
        ([SKIP, SKIP], False),
    ],
)
async def test_support_is_offered_privately_for_low_wellbeing_or_isolation_only(
    bot: Bot, presses: list[str], offered: bool
) -> None:
    staff = await person(bot, "sam", Role.STAFF)
    alice = await _started(bot)
    outbox_before = len(await _rows(bot, OutboxMessage))

    for label in presses:
        await alice.press(label)

    assert (SUPPORT in alice.text) is offered
    assert f"Question {len(presses) + 1} of 4" in alice.text  # the next one follows the offer
    support_buttons = [label for label in alice.labels if label in SUPPORT_LABELS]
    assert support_buttons == (SUPPORT_LABELS if offered else [])
    assert len(await _rows(bot, OutboxMessage)) == outbox_before  # nothing queued for anyone
    assert await staff.inbox() == []


async def test_the_offer_leads_to_coaching_a_peer_and_the_helplines(bot: Bot) -> None:
    alice = await _started(bot)
    await alice.press("1 Very hard")
    offer_screen = {label: alice.payload(label) for label in SUPPORT_LABELS}

    await alice.press_payload(offer_screen["Who to talk to now"])
    assert "Samaritans" in alice.text and "116 123" in alice.text
    await alice.press_payload(offer_screen["Book a coaching session"])
    assert "coach" in alice.text.lower()
    await alice.press_payload(offer_screen["Meet a peer"])
    assert "directory" in alice.text.lower()


# Staff


async def _staff(bot: Bot) -> TestChat:
    return await person(bot, "sam", Role.STAFF)


async def test_staff_list_check_ins_with_counts_only_and_their_buttons(bot: Bot) -> None:
    sam = await _staff(bot)
    alice = await _started(bot)
    await alice.press("4 Good")

    await sam.send("/pulse")

    assert _message(sam) == (
        "Check-ins, latest first:\n\n"
        f"#1 “{TITLE}” (open)\nopens Tue 24 Nov 09:00 (your time)\n"
        "closes Tue 1 Dec 09:00 (your time)\nsent to 1; 1 answered"
    )
    assert sam.labels == ["Results #1", "Close #1", "New check-in"]


async def test_staff_close_a_check_in_after_confirming_and_read_its_results(bot: Bot) -> None:
    sam = await _staff(bot)
    members = [await person(bot, f"m{n}") for n in range(5)]
    await _opened(bot)
    for n, chat in enumerate(members):
        await chat.inbox()
        await chat.press("Start")
        await chat.press(SCALE[2 + n % 3])

    await sam.send("/pulse")
    await sam.press("Close #1")
    assert sam.text.startswith(f"Close check-in #1 “{TITLE}” now?")
    assert sam.labels == ["Yes, close #1", "Keep it open"]
    await sam.press("Keep it open")
    assert "(open)" in sam.text
    await sam.press("Close #1")
    await sam.press("Yes, close #1")
    assert _message(sam) == f"Check-in #1 “{TITLE}” has closed: 5 people answered. Results: /pulse"

    await sam.press("Results #1")
    assert f"Check-in #1 “{TITLE}”, closed" in sam.text
    assert "Sent to 5; 5 answered." in sam.text
    assert "5 answers, mean 3.8 of 5" in sam.text
    assert sam.labels == ["Back to the list"]
    await sam.send("/pulse")
    assert sam.labels == ["Results #1", "New check-in"]
    await sam.press_bound(AskClose(1))
    assert sam.text == "Check-in 1 is already closed."


async def test_results_before_close_show_no_numbers(bot: Bot) -> None:
    sam = await _staff(bot)
    alice = await _started(bot)
    await alice.press("1 Very hard")

    await sam.send("/pulse")
    await sam.press("Results #1")

    assert "No results are shown: results are released only after the check-in closes." in (
        sam.text
    )
    assert "Very hard" not in sam.text


async def test_staff_define_a_check_in_by_pasting_yaml_fixing_what_is_wrong(
    bot: Bot, clock: FakeClock
) -> None:
    sam = await _staff(bot)
    await person(bot, "nina", tags=("new-ceo",))
    good = definition_text(
        clock.now + timedelta(days=1), clock.now + timedelta(days=8), ("new-ceo",)
    )

    await sam.send("/pulse")
    await sam.press("New check-in")
    assert "Paste the check-in as one message" in sam.text and "kind: scale" in sam.text
    await sam.send(good.replace("kind: yesno", "kind: maybe").replace("title: ", "titel: "))
    assert sam.text.splitlines() == [
        "Sorry, no check-in was created; 3 problems:",
        "your message:1: unknown key 'titel'; the keys are title, segment, breakdown, opens, "
        "closes, anonymous, questions",
        "your message:1: title is required",
        "your message:12: question #2: kind: 'maybe' is not one of scale | yesno | choice | text",
        "",
        "Please paste a corrected definition, or /cancel.",
    ]

    await sam.send(good)
    assert sam.text.startswith(
        f"New check-in “{TITLE}”\nFor: members tagged new-ceo (1 member now)"
    )
    assert "Opens Wed 25 Nov 09:00 (your time); closes Wed 2 Dec 09:00 (your time)" in sam.text
    assert "1. How are you finding the role this month? (scale 1 to 5, Very hard to Very good)" in (
        sam.text
    )
    assert "2. Have you felt isolated in the last month? (yes or no)" in sam.text
    assert "3. What would help you most right now? (one of Coaching, Peer support" in sam.text
    assert "4. Anything else you would like the programme to know? (free text)" in sam.text
    assert sam.labels == ["Create", "Cancel"]
    await sam.press("Create")

    assert sam.text.startswith(f"Check-in #1 “{TITLE}” created: it opens Wed 25 Nov 09:00")
    made = await unit(bot.services.database, lambda repos: pulse.summaries(repos))
    assert [summary.checkin.segment for summary in made] == [["new-ceo"]]
    assert await _rows(bot, ConversationState) == []


async def test_a_pasted_definition_can_be_discarded(bot: Bot, clock: FakeClock) -> None:
    sam = await _staff(bot)
    await sam.press_bound(NewCheckin())
    await sam.send(definition_text(clock.now, clock.now + timedelta(days=2)))

    await sam.press("Cancel")

    assert _message(sam) == "Not created."
    assert await unit(bot.services.database, lambda repos: pulse.summaries(repos)) == []
    await sam.press_bound(CreateCheckin())
    assert sam.text == "That check-in is no longer being defined. Send /pulse to start again."


# Every staff route refuses everyone else


STAFF_PRESSES: list[Payload] = [
    ShowCheckins(),
    ShowResults(1),
    AskClose(1),
    ConfirmClose(1),
    NewCheckin(),
    CreateCheckin(),
    DiscardCheckin(),
]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.COACH, None], ids=str)
async def test_every_staff_route_refuses_a_member_a_coach_and_a_guest(
    bot: Bot, clock: FakeClock, role: Role | None
) -> None:
    someone = TestChat(bot, user_id="eve")
    if role is not None:
        someone = await person(bot, "eve", role)
    await _opened(bot)
    await unit(bot.services.database, lambda repos: pulse.close(repos, 1, clock.now, OPERATOR))
    refusal = (NOT_ALLOWED if role else JOIN_FIRST).format(who="programme staff")

    await someone.send("/pulse")
    assert someone.text == refusal
    for payload in STAFF_PRESSES:
        await someone.press_bound(payload)
        assert someone.text == refusal, payload

    assert "Results" not in someone.text
    assert await _rows(bot, ConversationState) == []


async def test_results_for_a_check_in_that_does_not_exist_are_a_polite_no(bot: Bot) -> None:
    sam = await _staff(bot)

    await sam.press_bound(ShowResults(42))

    assert sam.text == "There is no check-in with id 42."
