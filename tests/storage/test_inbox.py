"""The inbox keeps every delivery until it is handled and its replies are sent, on both
databases and with two workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.database import Database
from storage.inbox import MAX_ATTEMPTS
from tests.conftest import unit

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


async def _store(
    database: Database, event_id: str, *, worker: str = "w1", at=NOW, person: str = "alice"
) -> bool:
    [stored] = await unit(
        database,
        lambda repos: repos.inbox.store(
            "telegram", [(event_id, '{"update_id": 1}', person)], at, worker=worker, lease=LEASE
        ),
    )
    return stored


async def _stale(database: Database, at: datetime, *, worker: str = "w2"):
    return await unit(
        database,
        lambda repos: repos.inbox.claim_stale("telegram", at, worker=worker, lease=LEASE),
    )


async def _handle(database: Database, event_id: str) -> bool:
    return await unit(
        database, lambda repos: repos.throttle.first_delivery("telegram", event_id, NOW)
    )


async def test_a_delivery_is_stored_once_and_a_redelivery_is_refused(workers) -> None:
    first, _ = workers
    assert await _store(first, "1")
    assert not await _store(first, "1")


async def test_deliveries_stored_together_are_each_new_once(workers) -> None:
    first, _ = workers
    await _store(first, "1")
    deliveries = [
        ("1", "again", "alice"),
        ("2", "new", "alice"),
        ("2", "twice in one go", "alice"),
        ("3", "new", "bob"),
    ]
    stored = await unit(
        first,
        lambda repos: repos.inbox.store("telegram", deliveries, NOW, worker="w1", lease=LEASE),
    )
    assert stored == [False, True, False, True]


async def test_nothing_is_taken_over_while_its_lease_lasts(workers) -> None:
    first, second = workers
    await _store(first, "1")
    assert await _stale(second, NOW + LEASE - timedelta(seconds=1)) == []


async def test_a_dead_workers_delivery_is_taken_over_with_its_body_once_the_lease_runs_out(
    workers,
) -> None:
    first, second = workers
    await _store(first, "1")
    [taken] = await _stale(second, NOW + LEASE + timedelta(seconds=1))
    assert (taken.event_id, taken.body, taken.replies) == ("1", '{"update_id": 1}', None)
    assert await _stale(first, NOW + LEASE + timedelta(seconds=2)) == []  # now leased to w2


async def test_a_live_worker_renews_its_leases_and_keeps_its_deliveries(workers) -> None:
    first, second = workers
    await _store(first, "1")
    later = NOW + LEASE - timedelta(seconds=1)
    await unit(first, lambda repos: repos.inbox.renew("telegram", later, worker="w1", lease=LEASE))
    assert await _stale(second, NOW + LEASE + timedelta(seconds=1)) == []


async def test_handled_deliveries_whose_replies_wait_are_taken_over_as_replies(workers) -> None:
    first, second = workers
    await _store(first, "1")
    assert await _handle(first, "1")
    replies = [{"kind": "text", "text": "Hello"}]
    await unit(
        first,
        lambda repos: repos.inbox.hold_replies(
            "telegram", "1", replies, reply_to="chat-9", reply_person="9"
        ),
    )
    [taken] = await _stale(second, NOW + LEASE + timedelta(seconds=1))
    assert (taken.body, taken.replies, taken.reply_to, taken.reply_person) == (
        None,
        replies,
        "chat-9",
        "9",
    )


async def test_a_finished_delivery_is_never_taken_over_and_still_refuses_redelivery(
    workers,
) -> None:
    first, second = workers
    await _store(first, "1")
    await _handle(first, "1")
    await unit(
        first,
        lambda repos: repos.inbox.hold_replies(
            "telegram", "1", [{"kind": "text", "text": "Hi"}], reply_to="9", reply_person="9"
        ),
    )
    await unit(first, lambda repos: repos.inbox.finish("telegram", ["1"], NOW))
    assert await _stale(second, NOW + 10 * LEASE) == []
    assert not await _store(first, "1")
    assert not await _handle(first, "1")


async def test_a_delivery_is_handled_once_when_two_workers_try_at_once(workers) -> None:
    first, second = workers
    await _store(first, "1")
    outcomes = await asyncio.gather(_handle(first, "1"), _handle(second, "1"))
    assert sorted(outcomes) == [False, True]


async def test_a_released_delivery_is_taken_again_at_the_next_look(workers) -> None:
    first, second = workers
    await _store(first, "1")
    await unit(first, lambda repos: repos.inbox.release("telegram", "1", NOW))
    [taken] = await _stale(second, NOW + timedelta(seconds=1))
    assert taken.event_id == "1"


async def test_a_delivery_no_worker_could_finish_is_left_alone_after_five_tries(workers) -> None:
    first, _ = workers
    await _store(first, "1")
    at = NOW
    for _ in range(4):
        at += LEASE + timedelta(seconds=1)
        assert len(await _stale(first, at)) == 1
    assert await _stale(first, at + LEASE + timedelta(seconds=1)) == []


async def test_two_workers_taking_over_at_once_share_the_deliveries_without_overlap(
    workers,
) -> None:
    first, second = workers
    for number in range(40):
        await _store(first, str(number))
    later = NOW + LEASE + timedelta(seconds=1)
    taken = await asyncio.gather(_stale(first, later, worker="a"), _stale(second, later))
    ids = [delivery.event_id for found in taken for delivery in found]
    assert sorted(ids, key=int) == [str(number) for number in range(40)]


async def _held_before(
    database: Database, event_id: str, worker: str, person: str = "alice"
) -> bool:
    return await unit(
        database,
        lambda repos: repos.inbox.held_elsewhere_before(
            "telegram", person, event_id, worker=worker
        ),
    )


async def test_a_delivery_waits_for_its_persons_earlier_one_at_another_worker_until_finished(
    workers,
) -> None:
    first, second = workers
    await _store(first, "1", worker="w1")
    await _store(first, "2", worker="w2", at=NOW + timedelta(milliseconds=5))
    await _store(first, "3", worker="w2", at=NOW, person="bob")  # someone else's
    assert await _held_before(second, "2", "w2")  # w1 still has Alice's first
    assert not await _held_before(second, "1", "w1")  # nothing earlier than the first
    assert not await _held_before(second, "3", "w2", person="bob")

    assert await _handle(first, "1")
    replies = [{"kind": "text", "text": "Hello"}]
    await unit(
        first,
        lambda repos: repos.inbox.hold_replies(
            "telegram", "1", replies, reply_to="9", reply_person="9"
        ),
    )
    assert await _held_before(second, "2", "w2")  # handled, its answer not yet sent
    await unit(first, lambda repos: repos.inbox.finish("telegram", ["1"], NOW))
    assert not await _held_before(second, "2", "w2")


async def test_an_earlier_delivery_at_the_same_worker_or_given_up_holds_nobody(workers) -> None:
    first, second = workers
    await _store(first, "1", worker="w1")
    await _store(first, "2", worker="w1", at=NOW + timedelta(milliseconds=5))
    assert not await _held_before(second, "2", "w1")  # this process's own turn orders them
    for attempt in range(2, MAX_ATTEMPTS + 1):  # taken over and failed until given up
        await _stale(second, NOW + attempt * 2 * LEASE, worker=f"w{attempt + 1}")
    assert not await _held_before(second, "2", "w1")


async def test_the_people_with_a_delivery_unfinished_at_another_worker_are_found_at_once(
    workers,
) -> None:
    first, second = workers
    await _store(first, "1", worker="w1")  # Alice's, unfinished at w1
    await _store(first, "2", worker="w2", person="bob")  # Bob's, at w2 itself
    await _store(first, "3", worker="w1", person="carol")
    assert await _handle(first, "3")
    await unit(first, lambda repos: repos.inbox.finish("telegram", ["3"], NOW))  # Carol's done

    found = await unit(
        second,
        lambda repos: repos.inbox.people_held_elsewhere(
            "telegram", {"alice", "bob", "carol", "dan"}, worker="w2"
        ),
    )
    assert found == {"alice"}
