"""A push platform's broadcast sender: each due row is sent once, and its outcome recorded.

Runs on SQLite and PostgreSQL (the `bot` fixture), with a fake `Outlet` in place of a platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.adapters.broadcasting import BroadcastSender
from bot.adapters.testing import TEST_PLATFORM
from bot.binding import NotYours
from bot.core import Bot
from bot.messages import Choices, Reply
from domain.notices import Category
from domain.people import OPERATOR, Role
from services import broadcasts
from services.broadcasts import Draft
from storage.broadcasts import BroadcastDelivery, DeliveryStatus
from storage.models import Identity
from storage.repositories import Repositories
from tests.bot.adapters.test_delivery import FakeOutlet
from tests.conftest import FakeClock, unit


async def _members(bot: Bot, *people: str) -> None:
    async with bot.services.database.transaction() as session:
        repos = Repositories.bound_to(session)
        for person in people:
            await repos.members.create(
                display_name=person.title(),
                role=Role.MEMBER,
                tags=(),
                now=bot.services.clock(),
                identity=(TEST_PLATFORM, person),
            )


async def _broadcast(bot: Bot, **draft: object) -> int:
    async def create(repos: Repositories) -> int:
        scheduled = await broadcasts.schedule(
            repos,
            Draft("Open space on Thursday.", category=Category.ESSENTIAL, **draft),  # type: ignore[arg-type]
            bot.services.clock(),
            bot.services.settings,
            OPERATOR,
        )
        assert scheduled.broadcast_id is not None
        return scheduled.broadcast_id

    return await unit(bot.services.database, create)


async def _counts(bot: Bot, broadcast_id: int) -> dict[str, int]:
    report = await unit(bot.services.database, lambda r: broadcasts.status(r, broadcast_id))
    return report.as_json()


async def test_every_due_row_is_sent_once_with_its_choices_bound_to_the_recipient(
    bot: Bot,
) -> None:
    await _members(bot, "ann", "ben", "cat")
    broadcast_id = await _broadcast(bot, choices=("Attend", "Not this time"))
    outlet = FakeOutlet()
    sender = BroadcastSender(bot, outlet)

    assert await sender.run_once() == 3
    assert await sender.run_once() == 0

    assert sorted(address for address, _ in outlet.sent) == ["dm-ann", "dm-ben", "dm-cat"]
    address, (reply,) = outlet.sent[0]
    assert isinstance(reply, Choices) and "Open space on Thursday." in reply.text
    person = address.removeprefix("dm-")
    for option in reply.options:
        assert bot.services.binder.open(option.payload, TEST_PLATFORM, person) is not None
        with pytest.raises(NotYours):
            bot.services.binder.open(option.payload, TEST_PLATFORM, "someone-else")
    assert (await _counts(bot, broadcast_id))["sent"] == 3


async def test_a_refusal_for_good_fails_the_row_and_marks_the_account_unreachable(
    bot: Bot,
) -> None:
    await _members(bot, "ann", "ben")
    broadcast_id = await _broadcast(bot)

    await BroadcastSender(bot, FakeOutlet(blocked=["dm-ben"])).run_once()

    counts = await _counts(bot, broadcast_id)
    assert (counts["sent"], counts["failed"], counts["pending"]) == (1, 1, 0)
    report = await unit(bot.services.database, lambda r: broadcasts.status(r, broadcast_id))
    assert [(p.member_name, p.reason) for p in report.problems] == [("Ben", "unreachable: blocked")]
    async with bot.services.database.transaction() as session:
        ben = await session.scalar(select(Identity).where(Identity.external_id == "ben"))
        assert ben is not None and ben.unreachable_reason == "blocked"


async def test_a_transient_failure_is_retried_later_and_fails_after_the_fifth_attempt(
    bot: Bot, clock: FakeClock
) -> None:
    await _members(bot, "ann")
    broadcast_id = await _broadcast(bot)
    outlet = FakeOutlet(offline=["dm-ann"])
    sender = BroadcastSender(bot, outlet)

    for attempt in range(1, broadcasts.MAX_ATTEMPTS):
        await sender.run_once()
        assert (await _counts(bot, broadcast_id))["pending"] == 1
        assert await sender.run_once() == 0  # not due again yet
        clock.advance(hours=1)
        assert len(outlet.attempts) == attempt
    await sender.run_once()

    counts = await _counts(bot, broadcast_id)
    assert (counts["failed"], counts["pending"]) == (1, 0)

    async with bot.services.database.transaction() as session:
        await broadcasts.resend_failed(
            Repositories.bound_to(session), broadcast_id, clock(), OPERATOR
        )
    outlet.offline.clear()
    assert await sender.run_once() == 1


async def test_a_row_held_by_a_live_lease_is_left_alone_and_taken_over_once_it_expires(
    bot: Bot, clock: FakeClock
) -> None:
    await _members(bot, "ann")
    broadcast_id = await _broadcast(bot)
    async with bot.services.database.transaction() as session:  # a worker that died holding it
        await session.execute(
            update(BroadcastDelivery).values(claimed_until=clock() + timedelta(seconds=30))
        )
    outlet = FakeOutlet()
    sender = BroadcastSender(bot, outlet)

    assert await sender.run_once() == 0
    clock.advance(seconds=31)
    assert await sender.run_once() == 1
    assert (await _counts(bot, broadcast_id))["sent"] == 1


async def test_a_cancelled_broadcast_sends_nothing_more(bot: Bot, clock: FakeClock) -> None:
    await _members(bot, "ann", "ben")
    broadcast_id = await _broadcast(bot)
    async with bot.services.database.transaction() as session:
        await broadcasts.cancel(Repositories.bound_to(session), broadcast_id, clock(), OPERATOR)
    outlet = FakeOutlet()

    assert await BroadcastSender(bot, outlet).run_once() == 0
    assert outlet.attempts == []
    async with bot.services.database.transaction() as session:
        statuses = (await session.execute(select(BroadcastDelivery.status))).scalars().all()
    assert set(statuses) == {DeliveryStatus.CANCELLED}


async def test_a_message_on_its_way_when_staff_cancel_still_counts_as_sent(
    bot: Bot, clock: FakeClock
) -> None:
    await _members(bot, "ann")
    broadcast_id = await _broadcast(bot)

    class CancelledMidway(FakeOutlet):
        async def send(self, address: str, replies: Sequence[Reply], *, bulk: bool = False) -> None:
            async with bot.services.database.transaction() as session:
                await broadcasts.cancel(
                    Repositories.bound_to(session), broadcast_id, clock(), OPERATOR
                )
            await super().send(address, replies, bulk=bulk)

    assert await BroadcastSender(bot, CancelledMidway()).run_once() == 1

    counts = await _counts(bot, broadcast_id)
    assert (counts["sent"], counts["pending"]) == (1, 0)
