"""The database itself refuses a second booked session for one coach and start, whatever the
code above it does; a refused insert or move spoils nothing else in its transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from storage.coaching import BookingStatus
from storage.database import Database
from storage.repositories import Repositories
from tests.coaching_people import add_coach, add_member, booking_row

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
SLOT = datetime(2026, 11, 26, 9, tzinfo=UTC)
LATER = SLOT + timedelta(minutes=75)


async def _coach_and_two_members(database: Database) -> tuple[int, int, int]:
    async with database.transaction() as session:
        repos = Repositories.bound_to(session)
        coach = await add_coach(repos, "Dr Priya Shah", NOW)
        return coach.id, await add_member(repos, "Ann", NOW), await add_member(repos, "Bob", NOW)


async def test_a_second_booked_session_for_one_coach_and_start_is_refused(
    database: Database,
) -> None:
    coach_id, ann, bob = await _coach_and_two_members(database)
    async with database.transaction() as session:
        repos = Repositories.bound_to(session)
        coach = await repos.coaching.coach(coach_id)
        await repos.coaching.add_booking(booking_row(coach, ann, SLOT, NOW))

        with pytest.raises(IntegrityError):
            await repos.coaching.add_booking(booking_row(coach, bob, SLOT, NOW))

        # The savepoint took the failure: the transaction goes on, and commits.
        await repos.coaching.add_booking(booking_row(coach, bob, LATER, NOW))

    async with database.transaction() as session:
        booked = await Repositories.bound_to(session).coaching.booked_between(
            coach_id, NOW, NOW + timedelta(days=7)
        )
    assert [(b.member_id, b.start_at) for b in booked] == [(ann, SLOT), (bob, LATER)]


async def test_a_cancelled_session_does_not_hold_its_slot(database: Database) -> None:
    coach_id, ann, bob = await _coach_and_two_members(database)
    async with database.transaction() as session:
        repos = Repositories.bound_to(session)
        coach = await repos.coaching.coach(coach_id)
        first = await repos.coaching.add_booking(booking_row(coach, ann, SLOT, NOW))
        await repos.coaching.cancel(first, NOW)
        second = await repos.coaching.add_booking(booking_row(coach, bob, SLOT, NOW))

        with pytest.raises(IntegrityError):  # and the new booking holds it in turn
            await repos.coaching.add_booking(booking_row(coach, ann, SLOT, NOW))

    assert (first.status, first.sequence) == (BookingStatus.CANCELLED, 1)
    assert second.status == BookingStatus.BOOKED


async def test_moving_into_a_taken_slot_is_refused_and_leaves_the_session_as_it_was(
    database: Database,
) -> None:
    coach_id, ann, bob = await _coach_and_two_members(database)
    async with database.transaction() as session:
        repos = Repositories.bound_to(session)
        coach = await repos.coaching.coach(coach_id)
        anns = await repos.coaching.add_booking(booking_row(coach, ann, SLOT, NOW))
        await repos.coaching.add_booking(booking_row(coach, bob, LATER, NOW))

        with pytest.raises(IntegrityError):
            await repos.coaching.move(anns, LATER, LATER + timedelta(hours=1), NOW)

        assert (anns.start_at, anns.sequence) == (SLOT, 0)
        free = LATER + timedelta(minutes=75)
        await repos.coaching.move(anns, free, free + timedelta(hours=1), NOW)

    async with database.transaction() as session:
        moved = await Repositories.bound_to(session).coaching.booking(anns.id)
    assert (moved.start_at, moved.sequence, moved.uid) == (free, 1, anns.uid)
