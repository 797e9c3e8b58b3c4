"""What follows an introduction, run by the real scheduler on a fake clock: one reminder after
five days to whoever has still to answer, the lapse after seven in the same words whatever
happened, matching rounds proposing pairs and trios, and the question to those who ignored three
rounds in a row. Buttons are bound to the person they were sent to; nobody gone is written to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.adapters.testing import TestChat
from bot.binding import NotYours
from bot.core import Bot
from domain.people import OPERATOR
from handlers.directory import LeaveRounds, StayInRounds
from handlers.intros import Accept, Block, NotNow
from services import intros
from services.intros import RoundPlan
from storage.repositories import Repositories
from tests.conftest import FakeClock, unit
from tests.directory_entries import listed_member

NOT_THIS_TIME = (
    "Your introduction to {} did not happen this time. Send /directory to find other peers."
)
ANSWERS = ["Accept", "Not now", "Block"]
ROUND_ANSWERS = ["Yes, introduce us", "Not this time", "Never pair me with them"]
STAY_IN = "You haven't answered the last 3 matching rounds. Stay in them?"


@dataclass(frozen=True)
class Person:
    id: int
    chat: TestChat


async def _person(bot: Bot, name: str, **entry: object) -> Person:
    account = name.split()[0].lower()
    now = bot.services.clock()
    member_id = await unit(
        bot.services.database,
        lambda repos: listed_member(repos, name, now, account=account, **entry),  # type: ignore[arg-type]
    )
    return Person(member_id, TestChat(bot, user_id=account, display_name=name))


@pytest.fixture
async def alice(bot: Bot) -> Person:
    return await _person(bot, "Alice Jones", email="alice@nhs.example")


@pytest.fixture
async def bob(bot: Bot) -> Person:
    return await _person(bot, "Bob Brown", email="bob@nhs.example")


@pytest.fixture
async def carol(bot: Bot) -> Person:
    return await _person(bot, "Carol White", email="carol@nhs.example")


async def _request(bot: Bot, asker: Person, asked: Person) -> int:
    async def work(repos: Repositories) -> int:
        made = await intros.request(repos, asker.id, asked.id, "Hello", bot.services.clock())
        return made.id

    return await unit(bot.services.database, work)


async def _answer(bot: Bot, who: Person, introduction: int, accept: bool, block: bool = False):
    return await unit(
        bot.services.database,
        lambda repos: intros.answer(
            repos, who.id, introduction, accept, bot.services.clock(), block=block
        ),
    )


async def _at(bot: Bot, clock: FakeClock, later: timedelta) -> None:
    """Move the clock on by `later` and run every job then due."""
    clock.now += later
    await bot.scheduler.run_due()


async def _texts(person: Person) -> list[str]:
    """What the bot sent this person from elsewhere since the last look."""
    return [reply.text for reply in await person.chat.inbox()]  # type: ignore[attr-defined]


def _bound_to(bot: Bot, person: Person, label: str) -> object:
    """The payload behind the button `label` on the person's screen, opened as theirs."""
    return bot.services.binder.open(
        person.chat.payload(label), "test", person.chat.sender.external_id
    )


# The reminder


async def test_the_person_asked_is_reminded_once_after_five_days_with_their_own_buttons(
    bot: Bot, clock: FakeClock, alice: Person, bob: Person
) -> None:
    introduction = await _request(bot, alice, bob)

    await _at(bot, clock, timedelta(days=5) - timedelta(minutes=1))
    assert await _texts(bob) == []

    await _at(bot, clock, timedelta(minutes=1))
    [reminder] = await _texts(bob)
    assert reminder == (
        "A reminder: Alice Jones asked to be introduced to you. "
        "It lapses on Tuesday 1 December; your answer?"
    )
    assert bob.chat.labels == ANSWERS
    assert _bound_to(bot, bob, "Accept") == Accept(introduction)
    assert _bound_to(bot, bob, "Not now") == NotNow(introduction)
    assert _bound_to(bot, bob, "Block") == Block(introduction)
    with pytest.raises(NotYours):
        bot.services.binder.open(bob.chat.payload("Accept"), "test", "alice")
    assert await _texts(alice) == []

    await _at(bot, clock, timedelta(days=1))
    assert await _texts(bob) == []


async def test_no_reminder_once_answered_and_no_lapse_once_accepted(
    bot: Bot, clock: FakeClock, alice: Person, bob: Person
) -> None:
    introduction = await _request(bot, alice, bob)
    await _answer(bot, bob, introduction, accept=True)

    await _at(bot, clock, timedelta(days=8))

    assert await _texts(bob) == []
    assert await _texts(alice) == []


async def test_the_reminder_never_shows_a_contact_detail(
    bot: Bot, clock: FakeClock, alice: Person, bob: Person
) -> None:
    await _request(bot, alice, bob)

    await _at(bot, clock, timedelta(days=5))

    assert "alice@nhs.example" not in "".join(await _texts(bob))


# The lapse


async def test_a_no_a_block_and_no_answer_all_lapse_in_the_same_words_after_seven_days(
    bot: Bot, clock: FakeClock, alice: Person, bob: Person, carol: Person
) -> None:
    dave = await _person(bot, "Dave Green")
    declined = await _request(bot, alice, bob)
    blocked = await _request(bot, alice, carol)
    await _request(bot, alice, dave)
    await _answer(bot, bob, declined, accept=False)
    await _answer(bot, carol, blocked, accept=False, block=True)

    await _at(bot, clock, timedelta(days=5))
    assert await _texts(bob) == [] and await _texts(carol) == []
    assert len(await _texts(dave)) == 1  # only the one still to answer is reminded
    assert await _texts(alice) == []  # nothing yet: a "no" looks like waiting until it lapses

    await _at(bot, clock, timedelta(days=2))
    assert sorted(await _texts(alice)) == [
        NOT_THIS_TIME.format("Bob Brown"),
        NOT_THIS_TIME.format("Carol White"),
        NOT_THIS_TIME.format("Dave Green"),
    ]
    assert await _texts(bob) == [] and await _texts(carol) == [] and await _texts(dave) == []


async def test_a_withdrawn_request_is_neither_reminded_nor_lapsed(
    bot: Bot, clock: FakeClock, alice: Person, bob: Person
) -> None:
    introduction = await _request(bot, alice, bob)
    await unit(
        bot.services.database,
        lambda repos: intros.withdraw(repos, alice.id, introduction, clock.now),
    )

    await _at(bot, clock, timedelta(days=5))
    await _at(bot, clock, timedelta(days=2))

    assert await _texts(bob) == []
    assert await _texts(alice) == []


async def test_someone_gone_meanwhile_is_skipped_quietly(
    bot: Bot, clock: FakeClock, alice: Person, bob: Person, carol: Person
) -> None:
    await _request(bot, alice, bob)
    await _request(bot, carol, alice)
    await unit(bot.services.database, lambda repos: repos.members.remove(alice.id))

    await _at(bot, clock, timedelta(days=5))
    await _at(bot, clock, timedelta(days=2))

    assert await _texts(bob) == []
    assert await _texts(carol) == []
    jobs = await unit(bot.services.database, lambda repos: repos.jobs.list())
    assert [job for job in jobs if job.kind.startswith("intros:")] == []


# Rounds


async def _start_round(bot: Bot, plan: RoundPlan) -> int:
    async def work(repos: Repositories) -> int:
        return (await intros.start_round(repos, plan, bot.services.clock(), OPERATOR)).id

    return await unit(bot.services.database, work)


async def test_a_round_proposes_each_pair_the_others_entry_with_bound_buttons_and_no_contacts(
    bot: Bot, clock: FakeClock, alice: Person, bob: Person
) -> None:
    await _start_round(bot, RoundPlan())

    await _at(bot, clock, timedelta(0))

    [to_alice] = await _texts(alice)
    [to_bob] = await _texts(bob)
    assert to_alice.startswith("This round's introduction for you:\n\nBob Brown, Bob NHS Trust")
    assert to_bob.startswith("This round's introduction for you:\n\nAlice Jones, Alice NHS Trust")
    assert "This lapses on Tuesday 1 December." in to_bob
    assert "@" not in to_alice + to_bob
    assert bob.chat.labels == ROUND_ANSWERS
    accept = _bound_to(bot, bob, "Yes, introduce us")
    assert isinstance(accept, Accept)
    with pytest.raises(NotYours):
        bot.services.binder.open(bob.chat.payload("Yes, introduce us"), "test", "alice")


async def test_an_odd_number_makes_one_trio_and_each_hears_of_both_others(
    bot: Bot, clock: FakeClock, alice: Person, bob: Person, carol: Person
) -> None:
    await _start_round(bot, RoundPlan())

    await _at(bot, clock, timedelta(0))

    [to_carol] = await _texts(carol)
    assert "Alice Jones, Alice NHS Trust" in to_carol and "Bob Brown, Bob NHS Trust" in to_carol
    assert carol.chat.labels == ROUND_ANSWERS[:2]  # no "never pair me with them" for two people
    assert len(await _texts(alice)) == len(await _texts(bob)) == 1


async def test_a_round_only_reaches_its_segment(bot: Bot, clock: FakeClock) -> None:
    new_1 = await _person(bot, "Nia Ahmed", tags=("new-ce",))
    new_2 = await _person(bot, "Ned Price", tags=("new-ce",))
    other = await _person(bot, "Olu Bello")
    await _start_round(bot, RoundPlan(tags=("new-ce",)))

    await _at(bot, clock, timedelta(0))

    assert "Ned Price" in "".join(await _texts(new_1))
    assert "Nia Ahmed" in "".join(await _texts(new_2))
    assert await _texts(other) == []


async def test_when_one_of_a_round_says_no_the_one_who_said_yes_hears_only_not_this_time(
    bot: Bot, clock: FakeClock, alice: Person, bob: Person
) -> None:
    await _start_round(bot, RoundPlan())
    await _at(bot, clock, timedelta(0))
    await _texts(alice)
    await _texts(bob)
    introduction = _bound_to(bot, bob, "Not this time")
    assert isinstance(introduction, NotNow)
    await _answer(bot, alice, introduction.introduction, accept=True)
    await _answer(bot, bob, introduction.introduction, accept=False)

    await _at(bot, clock, timedelta(days=5))
    assert await _texts(alice) == [] and await _texts(bob) == []

    await _at(bot, clock, timedelta(days=2))
    assert await _texts(alice) == [NOT_THIS_TIME.format("Bob Brown")]
    assert await _texts(bob) == []


async def test_a_repeating_round_ignored_three_times_asks_whether_to_stay_in(
    bot: Bot, clock: FakeClock, alice: Person, bob: Person
) -> None:
    await _start_round(bot, RoundPlan(every_weeks=2, cooldown_weeks=0))

    for run in range(3):
        await _at(bot, clock, timedelta(0) if run == 0 else timedelta(days=7))  # a run
        assert len(await _texts(alice)) == 1
        await _at(bot, clock, timedelta(days=5))  # its reminder
        assert len(await _texts(alice)) == 1
        await _at(bot, clock, timedelta(days=2))  # its lapse
        lapsed = await _texts(alice)
        assert lapsed == ([] if run < 2 else [STAY_IN])

    assert alice.chat.labels == ["Yes, stay in", "No, leave them"]
    assert _bound_to(bot, alice, "Yes, stay in") == StayInRounds()
    assert _bound_to(bot, alice, "No, leave them") == LeaveRounds()
    assert (await _texts(bob))[-1] == STAY_IN
