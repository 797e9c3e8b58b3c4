"""Coaching rules: who may book, move and cancel which session, and what the refusals say;
many members racing for one slot; and random sequences that never break the rules."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError

from bot.settings import Settings
from services import coaching
from services.coaching import CoachingError, SlotTaken
from storage.coaching import Booking, BookingStatus, Coach, CoachingRepository
from storage.repositories import Repositories
from tests.coaching_people import add_coach, add_member, booking_row
from tests.services.conftest import NOW, Unit

# NOW is Tuesday 24 November 2026, 09:00 UTC (and London). The coach works 09:00-17:00 on
# weekdays, one-hour sessions with 15-minute buffers, 24 hours' notice, 8 weeks ahead.
WEDNESDAY_NINE = NOW + timedelta(days=1)  # exactly the notice away
THURSDAY_NINE = NOW + timedelta(days=2)
STEP = timedelta(minutes=75)
T = TypeVar("T")


async def _coach(unit: Unit, **profile: object) -> Coach:
    return await unit(lambda r: add_coach(r, "Dr Priya Shah", NOW, **profile))


async def _members(unit: Unit, count: int) -> list[int]:
    async def add(repos: Repositories) -> list[int]:
        return [await add_member(repos, f"Member {n}", NOW) for n in range(count)]

    return await unit(add)


async def _free(unit: Unit, coach: Coach, now: datetime = NOW) -> list[datetime]:
    return await unit(lambda r: coaching.free_slots(r, coach, now))


def _book(unit: Unit, settings: Settings, member: int, coach: Coach, start: datetime):
    return unit(lambda r: coaching.book(r, member, coach.id, start, NOW, settings))


async def test_a_booking_takes_its_slot_from_everyone_else(unit: Unit, settings: Settings) -> None:
    coach = await _coach(unit)
    [ann] = await _members(unit, 1)
    assert (await _free(unit, coach))[:2] == [WEDNESDAY_NINE, WEDNESDAY_NINE + STEP]

    change = await _book(unit, settings, ann, coach, WEDNESDAY_NINE)

    assert (change.booking.member_id, change.booking.start_at) == (ann, WEDNESDAY_NINE)
    assert change.booking.end_at == WEDNESDAY_NINE + timedelta(hours=1)
    assert change.booking.sequence == 0 and change.previous_start is None
    assert (await _free(unit, coach))[0] == WEDNESDAY_NINE + STEP
    [(booking, its_coach)] = await unit(lambda r: coaching.upcoming(r, ann, NOW))
    assert (booking.id, its_coach.id) == (change.booking.id, coach.id)


async def test_a_member_holds_at_most_the_cap_of_upcoming_sessions(
    unit: Unit, settings: Settings
) -> None:
    coach = await _coach(unit)
    [ann] = await _members(unit, 1)
    first = await _book(unit, settings, ann, coach, WEDNESDAY_NINE)
    await _book(unit, settings, ann, coach, THURSDAY_NINE)

    with pytest.raises(CoachingError, match="already have 2 upcoming sessions, the most"):
        await _book(unit, settings, ann, coach, THURSDAY_NINE + STEP)
    three = settings.model_copy(update={"max_upcoming_sessions": 3})
    await _book(unit, three, ann, coach, THURSDAY_NINE + STEP)

    await unit(lambda r: coaching.cancel(r, ann, first.booking.id, NOW, settings))
    with pytest.raises(CoachingError, match="already have 2"):  # still two with the cap at two
        await _book(unit, settings, ann, coach, WEDNESDAY_NINE)


@pytest.mark.parametrize(
    ("start", "refusal"),
    [
        (NOW - timedelta(days=6), "that time has passed"),
        (NOW + timedelta(hours=7, minutes=30), "too soon: Dr Priya Shah needs 24 hours' notice"),
        (
            NOW + timedelta(weeks=9),
            "too far ahead: Dr Priya Shah takes bookings 8 weeks ahead at most",
        ),
    ],
)
async def test_nothing_is_booked_in_the_past_inside_the_notice_or_beyond_the_horizon(
    unit: Unit, settings: Settings, start: datetime, refusal: str
) -> None:
    coach = await _coach(unit)
    [ann] = await _members(unit, 1)

    with pytest.raises(CoachingError, match=refusal) as refused:
        await _book(unit, settings, ann, coach, start)

    assert not isinstance(refused.value, SlotTaken)
    assert await unit(lambda r: coaching.upcoming(r, ann, NOW)) == []


async def test_a_time_off_the_grid_or_taken_is_refused_with_the_next_free_slots(
    unit: Unit, settings: Settings
) -> None:
    coach = await _coach(unit)
    ann, bob = await _members(unit, 2)
    await _book(unit, settings, ann, coach, WEDNESDAY_NINE)

    for start in (WEDNESDAY_NINE, WEDNESDAY_NINE + timedelta(minutes=30)):
        with pytest.raises(SlotTaken) as taken:
            await _book(unit, settings, bob, coach, start)
        assert taken.value.alternatives == [WEDNESDAY_NINE + n * STEP for n in (1, 2, 3)]


async def test_sessions_keep_their_buffer_from_one_booked_off_the_grid(
    unit: Unit, settings: Settings
) -> None:
    # As after a coach changed their windows: a session at 09:30 reaches, with its buffers,
    # from 09:15 to 10:45, so neither 09:00 nor 10:15 may be booked.
    coach = await _coach(unit)
    ann, bob = await _members(unit, 2)

    async def off_grid(repos: Repositories) -> None:
        start = WEDNESDAY_NINE + timedelta(minutes=30)
        await repos.coaching.add_booking(booking_row(coach, ann, start, NOW))

    await unit(off_grid)

    assert (await _free(unit, coach))[0] == WEDNESDAY_NINE + 2 * STEP
    with pytest.raises(SlotTaken):
        await _book(unit, settings, bob, coach, WEDNESDAY_NINE + STEP)


async def test_buffers_hold_against_sessions_just_past_and_beyond_the_horizon(
    unit: Unit, settings: Settings
) -> None:
    # With no notice, 09:00 now is bookable unless a session ended less than a buffer ago;
    # and a session booked before the coach shortened their horizon still keeps its buffer.
    coach = await _coach(unit, notice_hours=0, horizon_weeks=1)
    [ann] = await _members(unit, 1)
    assert (await _free(unit, coach))[0] == NOW
    last = (await _free(unit, coach))[-1]

    async def neighbours(repos: Repositories) -> None:
        await repos.coaching.add_booking(booking_row(coach, ann, NOW - timedelta(minutes=70), NOW))
        beyond = last + timedelta(minutes=65)  # starts after the horizon, within a buffer
        await repos.coaching.add_booking(booking_row(coach, ann, beyond, NOW, minutes=10))

    await unit(neighbours)

    free = await _free(unit, coach)
    assert NOW not in free and last not in free
    assert free[0] == NOW + STEP


async def test_no_one_books_a_session_with_themselves(unit: Unit, settings: Settings) -> None:
    coach = await _coach(unit)

    with pytest.raises(CoachingError, match="cannot book a session with yourself"):
        await _book(unit, settings, coach.member_id, coach, WEDNESDAY_NINE)


async def test_a_move_keeps_the_calendar_identity_and_frees_the_old_slot(
    unit: Unit, settings: Settings
) -> None:
    coach = await _coach(unit)
    ann, bob = await _members(unit, 2)
    booked = await _book(unit, settings, ann, coach, WEDNESDAY_NINE)
    await _book(unit, settings, bob, coach, THURSDAY_NINE)

    with pytest.raises(SlotTaken) as taken:
        await unit(
            lambda r: coaching.reschedule(r, ann, booked.booking.id, THURSDAY_NINE, NOW, settings)
        )
    assert THURSDAY_NINE not in taken.value.alternatives
    moved = await unit(
        lambda r: coaching.reschedule(
            r, ann, booked.booking.id, THURSDAY_NINE + STEP, NOW, settings
        )
    )

    assert moved.previous_start == WEDNESDAY_NINE
    assert (moved.booking.start_at, moved.booking.sequence) == (THURSDAY_NINE + STEP, 1)
    assert moved.booking.uid == booked.booking.uid
    assert (await _free(unit, coach))[0] == WEDNESDAY_NINE


async def test_cancelling_frees_the_slot_until_the_cancellation_notice_then_says_whom_to_ask(
    unit: Unit, settings: Settings
) -> None:
    coach = await _coach(unit)
    ann, bob = await _members(unit, 2)
    early = await _book(unit, settings, ann, coach, WEDNESDAY_NINE)
    late = await _book(unit, settings, ann, coach, THURSDAY_NINE)

    with pytest.raises(CoachingError, match="that session is no longer booked"):
        await unit(lambda r: coaching.cancel(r, bob, early.booking.id, NOW, settings))
    cancelled = await unit(lambda r: coaching.cancel(r, ann, early.booking.id, NOW, settings))
    assert (cancelled.booking.status, cancelled.booking.sequence) == (BookingStatus.CANCELLED, 1)
    assert (await _free(unit, coach))[0] == WEDNESDAY_NINE
    with pytest.raises(CoachingError, match="no longer booked"):
        await unit(lambda r: coaching.cancel(r, ann, early.booking.id, NOW, settings))

    eleven_hours_before = THURSDAY_NINE - timedelta(hours=11)
    for attempt in (
        lambda r: coaching.cancel(r, ann, late.booking.id, eleven_hours_before, settings),
        lambda r: coaching.reschedule(
            r, ann, late.booking.id, THURSDAY_NINE + STEP, eleven_hours_before, settings
        ),
    ):
        with pytest.raises(CoachingError) as refused:
            await unit(attempt)
        assert str(refused.value) == (
            "it starts in less than 12 hours, so it can no longer be changed here; "
            "please contact Dr Priya Shah directly, or the programme team"
        )


# Many members at once


def _one_winner(outcomes: list[object]) -> tuple[coaching.Change, list[SlotTaken]]:
    """The single booking among `outcomes`; every other outcome must be a SlotTaken."""
    won = [o for o in outcomes if isinstance(o, coaching.Change)]
    lost = [o for o in outcomes if isinstance(o, SlotTaken)]
    assert len(won) == 1 and len(lost) == len(outcomes) - 1, outcomes
    return won[0], lost


async def _race(unit: Unit, settings: Settings, coach: Coach, start: datetime) -> list[object]:
    members = await _members(unit, RACERS)
    return await asyncio.gather(
        *(_book(unit, settings, member, coach, start) for member in members),
        return_exceptions=True,
    )


async def _offers_are_really_free(unit: Unit, coach: Coach, lost: list[SlotTaken]) -> None:
    free = set(await _free(unit, coach))
    for refusal in lost:
        assert str(refusal) == "someone has just booked that time"
        assert refusal.alternatives and set(refusal.alternatives) <= free


RACERS = 50


async def test_fifty_members_racing_for_one_slot_get_one_booking_and_forty_nine_offers(
    unit: Unit, settings: Settings
) -> None:
    coach = await _coach(unit)

    won, lost = _one_winner(await _race(unit, settings, coach, WEDNESDAY_NINE))

    assert won.booking.start_at == WEDNESDAY_NINE
    await _offers_are_really_free(unit, coach, lost)
    booked = await unit(lambda r: r.coaching.upcoming(NOW, coach_id=coach.id))
    assert [b.id for b, _, _ in booked] == [won.booking.id]


async def test_without_the_coach_lock_the_unique_index_alone_lets_one_booking_through(
    unit: Unit, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one transaction at a time: there is no race to lose")
    coach_row, add_booking = CoachingRepository.coach, CoachingRepository.add_booking
    refused_by_index: list[int] = []

    async def unlocked(self: CoachingRepository, coach_id: int, *, lock: bool = False):
        return await coach_row(self, coach_id, lock=False)

    async def late_insert(self: CoachingRepository, booking: Booking) -> Booking:
        await asyncio.sleep(0.05)  # everyone has read the slot as free by now
        try:
            return await add_booking(self, booking)
        except IntegrityError:
            refused_by_index.append(booking.member_id)
            raise

    monkeypatch.setattr(CoachingRepository, "coach", unlocked)
    monkeypatch.setattr(CoachingRepository, "add_booking", late_insert)
    coach = await _coach(unit)

    _, lost = _one_winner(await _race(unit, settings, coach, WEDNESDAY_NINE))

    assert refused_by_index  # the index, not the rules' own check, turned these away
    await _offers_are_really_free(unit, coach, lost)


# Random sequences: book, cancel, move, and batches at once, by many members

EXAMPLES = int(os.environ.get("CEDP_FUZZ_EXAMPLES", "25"))
MEMBERS = 6
COACHES = (
    {"weekly": ("wed 09:00-12:00", "thu 09:00-12:00"), "horizon_weeks": 2},
    {"weekly": ("wed 09:00-11:00",), "horizon_weeks": 2, "timezone": "America/New_York"},
)
GRID = 10  # more grid positions than a coach has slots: some picks are off the end


@dataclass(frozen=True)
class World:
    coaches: list[Coach]
    members: list[int]
    grids: list[list[datetime]]  # each coach's slots with nothing booked


@pytest.fixture
async def world(unit: Unit) -> World:
    async def build(repos: Repositories) -> World:
        coaches = [
            await add_coach(repos, f"Coach {n}", NOW, **profile)
            for n, profile in enumerate(COACHES)
        ]
        members = [await add_member(repos, f"Member {n}", NOW) for n in range(MEMBERS)]
        grids = [await coaching.free_slots(repos, coach, NOW) for coach in coaches]
        return World(coaches, members, grids)

    return await unit(build)


member = st.integers(0, MEMBERS - 1)
coach_index = st.integers(0, len(COACHES) - 1)
slot = st.integers(0, GRID - 1)
one_booking = st.tuples(st.just("book"), member, coach_index, slot)
action = st.one_of(
    one_booking,
    st.tuples(st.just("cancel"), member, st.integers(0, 3)),
    st.tuples(st.just("move"), member, st.integers(0, 3), slot),
    st.tuples(st.just("race"), st.lists(one_booking, min_size=2, max_size=5)),
)


def _pick(items: list[T], index: int) -> T | None:
    return items[index % len(items)] if items else None


class Actions:
    """Runs the actions of one example and checks the rules after each."""

    def __init__(self, unit: Unit, settings: Settings, world: World) -> None:
        self.unit, self.settings, self.world = unit, settings, world

    async def booked(self) -> list[Booking]:
        return [b for b, _, _ in await self.unit(lambda r: r.coaching.upcoming(NOW))]

    async def mine(self, who: int) -> list[Booking]:
        return [b for b in await self.booked() if b.member_id == who]

    def start(self, coach: int, index: int) -> datetime:
        grid = self.world.grids[coach]
        return grid[index] if index < len(grid) else grid[-1] + timedelta(minutes=5)

    async def book(self, who: int, coach: int, index: int) -> object:
        chosen, start = self.world.coaches[coach], self.start(coach, index)
        try:
            return await _book(self.unit, self.settings, self.world.members[who], chosen, start)
        except CoachingError as refusal:
            return refusal

    async def run(self, step: tuple) -> None:
        kind, *args = step
        if kind == "book":
            await self.sequential_book(*args)
        elif kind == "race":
            await asyncio.gather(*(self.book(*booking[1:]) for booking in args[0]))
        else:
            await self.change(kind, *args)
        await self.check_rules()

    async def sequential_book(self, who: int, coach: int, index: int) -> None:
        """Alone, a booking succeeds exactly when the slot is offered and the cap allows it."""
        chosen, start = self.world.coaches[coach], self.start(coach, index)
        offered = start in await _free(self.unit, chosen)
        room = len(await self.mine(self.world.members[who])) < self.settings.max_upcoming_sessions
        outcome = await self.book(who, coach, index)
        assert isinstance(outcome, coaching.Change) == (offered and room), (start, outcome)

    async def change(self, kind: str, who: int, which: int, index: int = 0) -> None:
        member_id = self.world.members[who]
        booking = _pick(await self.mine(member_id), which)
        if booking is None:
            return
        coach = next(c for c in self.world.coaches if c.id == booking.coach_id)
        freed = booking.start_at
        try:
            if kind == "cancel":
                await self.unit(
                    lambda r: coaching.cancel(r, member_id, booking.id, NOW, self.settings)
                )
            else:
                target = self.start(self.world.coaches.index(coach), index)
                moved = await self.unit(
                    lambda r: coaching.reschedule(
                        r, member_id, booking.id, target, NOW, self.settings
                    )
                )
                if moved.booking.start_at == freed:
                    return
        except CoachingError:
            return
        assert freed in await _free(self.unit, coach), f"{freed} was not freed by {kind}"

    async def check_rules(self) -> None:
        booked = await self.booked()
        for coach in self.world.coaches:
            buffer = timedelta(minutes=coach.buffer_minutes)
            sessions = sorted(
                (b for b in booked if b.coach_id == coach.id), key=lambda b: b.start_at
            )
            for earlier, later in pairwise(sessions):
                assert earlier.end_at + buffer <= later.start_at, (earlier.id, later.id)
        per_member = Counter(b.member_id for b in booked)
        assert max(per_member.values(), default=0) <= self.settings.max_upcoming_sessions


@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(action, min_size=1, max_size=12))
async def test_random_bookings_cancellations_and_moves_never_break_the_rules(
    unit: Unit, settings: Settings, world: World, steps: list[tuple]
) -> None:
    async def clear(repos: Repositories) -> None:  # each example starts with nothing booked
        for booking, _, _ in await repos.coaching.upcoming(NOW):
            await repos.coaching.cancel(booking, NOW)

    await unit(clear)
    actions = Actions(unit, settings, world)
    for step in steps:
        await actions.run(step)
