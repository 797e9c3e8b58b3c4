"""Two `cedp-bot serve` workers on one PostgreSQL behave as one: members racing for a few
coaching slots through both book each slot once and the rest are told politely, a delivery
posted to both (and Slack's retry of it) is answered once, a broadcast reaches each member once,
a reminder comes once, and an introduction asked for through one worker and accepted through
the other shares each side's details once, and not before the yes; and one person's messages,
each reaching the other worker, are answered in the order they were sent.

Requests go to the workers in turn, as a load balancer would send them. What each person
receives is counted at the loopback platforms once everything expected has arrived and a moment
has passed in which a second copy would have. PostgreSQL only: this is about processes sharing
one database, and two workers are a PostgreSQL deployment.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.broadcasting import CLAIM_BATCH
from bot.binding import Binder
from domain.coaching import WEEKDAYS
from domain.intros import ContactKind
from handlers.coaching import TAKEN, ConfirmBooking, minutes_since_epoch
from services import coaching, intros
from services.intros import ProfileDraft
from storage.coaching import Coach
from tests import coaching_people
from tests.conftest import eventually
from tests.e2e.conftest import Endpoint
from tests.e2e.loopback import LoopbackPlatforms, slack_dm_channel
from tests.e2e.named import (
    NAMED_REPLY,
    answered,
    slack_delivery,
    slack_retry,
    telegram_delivery,
)
from tests.e2e.payloads import telegram_callback
from tests.e2e.people import Person
from tests.e2e.processes import WORKERS, workers
from tests.e2e.roster import Roster
from tests.e2e.test_broadcasts import TEXT as BROADCAST_TEXT
from tests.e2e.test_broadcasts import send_broadcast
from tests.e2e.test_telegram import post_update

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

FAST = {  # no quiet hours, so notices go at once; the outbox and the jobs polled often
    "CEDP_QUIET_HOURS": "",
    "CEDP_OUTBOX_POLL_SECONDS": "0.05",
    "CEDP_SCHEDULER_POLL_SECONDS": "0.1",
}
SETTLE = 1.0  # seconds to watch, after all that was expected arrived, for anything sent twice
SENDS = frozenset({"sendMessage", "editMessageText", "chat.postMessage", "chat.update"})
COACH = 10_000  # the coach's Telegram account


def texts_to(platforms: LoopbackPlatforms, chat: int | str) -> list[str]:
    """What a Telegram chat (an int) or a Slack channel was sent, messages and edits, in order."""
    return [
        str(call.params.get("text", ""))
        for call in platforms.calls
        if call.ok
        and call.method in SENDS
        and call.params.get("chat_id", call.params.get("channel")) == chat
    ]


async def add_coach(roster: Roster, name: str, **availability: Any) -> Coach:
    """A coach who is told of bookings and reminded on Telegram, at COACH."""
    now = datetime.now(UTC)
    identity = ("telegram", str(COACH))
    return await roster.unit(
        lambda repos: coaching_people.add_coach(repos, name, now, identity=identity, **availability)
    )


async def free_slots(roster: Roster, coach: Coach) -> list[datetime]:
    now = datetime.now(UTC)
    return await roster.unit(lambda repos: coaching.free_slots(repos, coach, now))


def press_yes(
    binder: Binder, update_id: int, chat: int, coach: Coach, start: datetime
) -> dict[str, Any]:
    """The member's press on "Yes" under "Book <start> with <coach>?", bound to them."""
    packed = ConfirmBooking(coach.id, minutes_since_epoch(start)).pack()
    data = binder.bind(packed, "telegram", str(chat))
    return telegram_callback(update_id, chat, data, message_id=update_id)


async def book_through_both(
    pair: Sequence[Endpoint], roster: Roster, coach: Coach, wanted: dict[int, datetime]
) -> None:
    """Every member in `wanted` presses Yes on their slot at the same moment, the presses
    shared out between the workers in turn."""
    binder = await roster.binder()
    presses = [
        press_yes(binder, number, chat, coach, start)
        for number, (chat, start) in enumerate(wanted.items(), start=1)
    ]
    posted = await asyncio.gather(
        *(post_update(worker, press) for worker, press in zip(itertools.cycle(pair), presses))
    )
    assert posted == [200] * len(presses)


RACERS = list(range(20_001, 20_025))  # half of them through each worker
SLOTS = 3


async def test_members_racing_for_a_few_slots_through_both_workers_book_each_once(
    database_url: str, platforms: LoopbackPlatforms
) -> None:
    async with Roster.open(database_url) as roster:
        coach = await add_coach(roster, "Dr Priya Shah")
        member_ids = dict(zip(RACERS, await roster.add_telegram_members(RACERS), strict=True))
        slots = (await free_slots(roster, coach))[:SLOTS]
        wanted = {chat: slots[place % SLOTS] for place, chat in enumerate(RACERS)}
        async with workers(database_url, platforms, **FAST) as pair:
            await book_through_both(pair, roster, coach, wanted)
            await eventually(
                lambda: all(texts_to(platforms, chat) for chat in RACERS), 20, "every answer"
            )
            await eventually(
                lambda: len(texts_to(platforms, COACH)) >= SLOTS, 10, "the coach's notices"
            )
            await asyncio.sleep(SETTLE)
        booked = await roster.unit(lambda repos: repos.coaching.upcoming(datetime.now(UTC)))

    answers = {chat: texts_to(platforms, chat) for chat in RACERS}
    assert all(len(said) == 1 for said in answers.values()), answers  # nobody lost, none twice
    winners = {chat for chat, [said] in answers.items() if said.startswith("Booked: ")}
    losers = {chat for chat, [said] in answers.items() if said.startswith(TAKEN)}
    assert losers == set(RACERS) - winners  # every loser told politely, with other times
    assert sorted(wanted[chat] for chat in winners) == slots  # one winner per slot
    assert sorted((b.start_at, b.member_id) for b, _, _ in booked) == sorted(
        (wanted[chat], member_ids[chat]) for chat in winners
    )
    invites = Counter(call.params["chat_id"] for call in platforms.calls_to("sendDocument"))
    assert invites == Counter(winners)
    told = texts_to(platforms, COACH)
    assert len(told) == SLOTS and all(text.startswith("New booking: ") for text in told)


DUPLICATED = 20  # deliveries per platform


async def test_a_delivery_posted_to_both_workers_and_slack_retries_are_answered_once(
    database_url: str, platforms: LoopbackPlatforms
) -> None:
    telegram = [telegram_delivery(number, 30_000 + number) for number in range(DUPLICATED)]
    slack = [slack_delivery(number, f"U{30_000 + number}") for number in range(DUPLICATED)]
    retries = [slack_retry(delivery) for delivery in slack]
    async with workers(database_url, platforms, **FAST) as pair:
        for wave in (telegram + slack, retries):  # each to both workers at the same moment
            posted = await asyncio.gather(
                *(
                    worker.post(delivery.path, delivery.body, delivery.headers)
                    for delivery in wave
                    for worker in pair
                )
            )
            assert [status for status, _ in posted] == [200] * len(posted)
        names = {delivery.name for delivery in telegram + slack}
        await eventually(lambda: set(answered(platforms)) >= names, 20, "every delivery answered")
        await asyncio.sleep(SETTLE)

    assert answered(platforms) == Counter(dict.fromkeys(names, 1))


TELEGRAM_MEMBERS = list(range(40_000, 40_100 + 2 * CLAIM_BATCH))  # more than one worker claims
SLACK_MEMBERS = [f"U{number}" for number in range(41_000, 41_050)]


async def test_a_broadcast_from_the_command_line_reaches_each_member_once(
    database_url: str,
    platforms: LoopbackPlatforms,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CEDP_DATABASE_URL", database_url)  # for the command line, run here
    platforms.latency = 0.005  # sends take a moment, so both workers have a share to take
    async with Roster.open(database_url) as roster:
        await roster.add_telegram_members(TELEGRAM_MEMBERS)
        await roster.add_members("slack", SLACK_MEMBERS)
        async with workers(
            database_url, platforms, **FAST, TELEGRAM_BROADCAST_MESSAGES_PER_SECOND="100000"
        ):
            broadcast_id = await send_broadcast(tmp_path)

            async def done() -> bool:
                return (await roster.status(broadcast_id))["pending"] == 0

            await eventually(done, 30, "nothing pending")
            await asyncio.sleep(SETTLE)
        status = await roster.status(broadcast_id)

    sent = [call for call in platforms.calls if call.ok and call.method in SENDS]
    reached = Counter(
        call.params.get("chat_id", call.params.get("channel"))
        for call in sent
        if BROADCAST_TEXT in str(call.params.get("text", ""))
    )
    channels = [slack_dm_channel(user) for user in SLACK_MEMBERS]
    assert reached == Counter(TELEGRAM_MEMBERS + channels)
    assert status["sent"] == len(TELEGRAM_MEMBERS) + len(SLACK_MEMBERS)
    assert {call.sender for call in sent if call.platform == "telegram"} == set(WORKERS)


SOON = {  # a coach's time whose next sessions start within the hour: their reminders are due now
    "timezone": "UTC",
    "session_minutes": 5,
    "buffer_minutes": 0,
    "notice_hours": 0,
    "weekly": [f"{day} 00:00-23:59" for day in WEEKDAYS],
}
BOOKERS = [50_001, 50_002, 50_003, 50_004]


def reminders_to(platforms: LoopbackPlatforms, chat: int) -> list[str]:
    return [text for text in texts_to(platforms, chat) if text.startswith("Reminder: ")]


async def test_a_session_booked_through_either_worker_is_reminded_once(
    database_url: str, platforms: LoopbackPlatforms
) -> None:
    async with Roster.open(database_url) as roster:
        coach = await add_coach(roster, "Dr Sam Okafor", **SOON)
        await roster.add_telegram_members(BOOKERS)
        later = datetime.now(UTC) + timedelta(minutes=2)  # still free when the presses arrive
        slots = [slot for slot in await free_slots(roster, coach) if slot > later]
        assert slots[len(BOOKERS) - 1] < datetime.now(UTC) + coaching.REMINDER_LEADS[-1]
        async with workers(database_url, platforms, **FAST) as pair:
            await book_through_both(pair, roster, coach, dict(zip(BOOKERS, slots, strict=False)))

            await eventually(
                lambda: (
                    all(reminders_to(platforms, chat) for chat in BOOKERS)
                    and len(reminders_to(platforms, COACH)) >= len(BOOKERS)
                ),
                20,
                "the reminders of every session, to the member and the coach",
            )
            await asyncio.sleep(SETTLE)

    for chat in BOOKERS:
        [reminder] = reminders_to(platforms, chat)
        assert reminder.startswith("Reminder: your coaching session with Dr Sam Okafor is on")
    assert sorted(text.split(" is on ")[0] for text in reminders_to(platforms, COACH)) == [
        f"Reminder: your session with Member {chat}" for chat in BOOKERS
    ]


ALICE, BOB = 60_001, 60_002
ALICE_EMAIL, BOB_EMAIL = "alice.jones@northshire.nhs.uk", "bob.smith@leedsth.nhs.uk"
PROFILES = {
    ALICE: ProfileDraft(
        name="Alice Jones",
        organisation="Northshire NHS Trust",
        region="London",
        in_post_since=date(2026, 9, 1),
        interests=("digital",),
        shares=frozenset({ContactKind.EMAIL}),
        email=ALICE_EMAIL,
    ),
    BOB: ProfileDraft(
        name="Bob Smith",
        organisation="Leeds Teaching Hospitals",
        region="North East and Yorkshire",
        in_post_since=date(2019, 4, 1),
        interests=("digital",),
        shares=frozenset({ContactKind.EMAIL}),
        email=BOB_EMAIL,
    ),
}


async def list_in_directory(roster: Roster, member_id: int, draft: ProfileDraft) -> None:
    now = datetime.now(UTC)
    await roster.unit(lambda repos: intros.save_profile(repos, member_id, draft, now))


async def test_an_introduction_asked_through_one_worker_and_accepted_through_the_other(
    database_url: str, platforms: LoopbackPlatforms
) -> None:
    async with Roster.open(database_url) as roster:
        member_ids = await roster.add_telegram_members(list(PROFILES))
        for member_id, draft in zip(member_ids, PROFILES.values(), strict=True):
            await list_in_directory(roster, member_id, draft)
        async with workers(database_url, platforms, **FAST) as pair:
            alice = Person(pair, platforms, ALICE, 1)  # each step through the other worker
            bob = Person(pair[::-1], platforms, BOB, 5000)
            shown = await alice.type("/directory")
            for label in ("Find peers", "Interest", "Digital", "Bob Smith"):
                shown = await alice.press(shown, label)
            await alice.press(shown, "Ask for an introduction")
            sent = await alice.type("Could we compare notes on our EPR programmes?")
            assert sent.sender == WORKERS[0] and sent.params["text"].startswith("Sent to Bob")

            def requests() -> list[str]:
                return [t for t in texts_to(platforms, BOB) if "would like to be introduced" in t]

            await eventually(requests, 10, "the request reaches Bob through the outbox")
            assert not any(ALICE_EMAIL in text for text in texts_to(platforms, BOB))
            assert not any(BOB_EMAIL in text for text in texts_to(platforms, ALICE))

            [request] = [call for call in bob.received() if call.params["text"] in requests()]
            accepted = await bob.press(request, "Accept")
            assert accepted.sender == WORKERS[1] and ALICE_EMAIL in accepted.params["text"]
            await eventually(
                lambda: any(BOB_EMAIL in text for text in texts_to(platforms, ALICE)),
                10,
                "Bob's details reach Alice",
            )
            await asyncio.sleep(SETTLE)

    assert len(requests()) == 1
    assert sum(ALICE_EMAIL in text for text in texts_to(platforms, BOB)) == 1
    assert sum(BOB_EMAIL in text for text in texts_to(platforms, ALICE)) == 1


IN_TURN = list(range(70_001, 70_006))  # people each writing several messages in a row
MESSAGES = 12


def named_in_order(platforms: LoopbackPlatforms, chat: int) -> list[str]:
    """The deliveries a chat's replies name, in the order the replies reached it."""
    return [
        found.group(1) for text in texts_to(platforms, chat) if (found := NAMED_REPLY.search(text))
    ]


async def test_one_persons_messages_through_both_workers_are_answered_in_order(
    database_url: str, platforms: LoopbackPlatforms
) -> None:
    """Each person sends their messages one after another, each to the other worker, as a load
    balancer would: the answers come back in the order they were sent, none lost or doubled."""
    async with workers(database_url, platforms, **FAST) as pair:

        async def write(person: int) -> list[str]:
            sent = []
            for number in range(MESSAGES):
                delivery = telegram_delivery((person - IN_TURN[0] + 1) * 100 + number, person)
                worker = pair[number % 2]
                status, _ = await worker.post(delivery.path, delivery.body, delivery.headers)
                assert status == 200
                sent.append(delivery.name)
            return sent

        sent = dict(zip(IN_TURN, await asyncio.gather(*map(write, IN_TURN)), strict=True))
        await eventually(
            lambda: all(len(named_in_order(platforms, p)) >= MESSAGES for p in IN_TURN),
            30,
            "every message answered",
        )
        await asyncio.sleep(SETTLE)

    assert {person: named_in_order(platforms, person) for person in IN_TURN} == sent
