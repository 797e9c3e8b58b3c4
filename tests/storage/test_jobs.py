"""The job store keeps its promises on both databases: one job per key, claims that never overlap,
leases that run out, failures that back off and end dead."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import event

from storage.database import Database
from storage.jobs import MAX_ERROR_CHARS, DueJob, JobState, retry_delay
from storage.migrate import upgrade_database
from storage.repositories import Repositories

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
ZERO = timedelta(0)  # a dead job keeps the due time of its last try
T = TypeVar("T")


@pytest.fixture
def run(database: Database) -> Callable[[Callable[[Repositories], Awaitable[T]]], Awaitable[T]]:
    """Run `work(repos)` in a transaction of its own."""

    async def in_transaction(work: Callable[[Repositories], Awaitable[T]]) -> T:
        async with database.transaction() as session:
            return await work(Repositories.bound_to(session))

    return in_transaction


def _schedule(key: str, due_at: datetime = NOW, **options: int):
    return lambda r: r.jobs.schedule("reminder", {"booking": key}, due_at, key, **options)


def _claim(now: datetime = NOW, limit: int = 10):
    return lambda r: r.jobs.claim(now, lease=LEASE, limit=limit)


async def test_scheduling_the_same_key_twice_keeps_the_first_job_only(run) -> None:
    assert await run(_schedule("b1", NOW)) is True
    assert await run(lambda r: r.jobs.schedule("other", {"x": 1}, NOW, "b1")) is False

    [job] = await run(lambda r: r.jobs.list())
    assert (job.kind, job.payload, job.due_at, job.state) == (
        "reminder",
        {"booking": "b1"},
        NOW,
        JobState.PENDING,
    )


async def test_a_job_needs_at_least_one_attempt(run) -> None:
    with pytest.raises(ValueError, match="at least one attempt"):
        await run(_schedule("b1", max_attempts=0))


async def test_only_due_jobs_are_claimed_earliest_first_with_their_payload(run) -> None:
    await run(_schedule("later", NOW + timedelta(minutes=1)))
    await run(_schedule("second", NOW - timedelta(minutes=1)))
    await run(_schedule("first", NOW - timedelta(hours=1)))

    claimed = await run(_claim())

    assert [job.key for job in claimed] == ["first", "second"]
    assert claimed[0].payload == {"booking": "first"}
    assert all(job.claimed_until == NOW + LEASE for job in claimed)


async def test_a_claim_takes_at_most_its_limit(run) -> None:
    for number in range(5):
        await run(_schedule(f"b{number}", NOW - timedelta(minutes=5 - number)))

    assert [job.key for job in await run(_claim(limit=3))] == ["b0", "b1", "b2"]
    assert [job.key for job in await run(_claim(limit=3))] == ["b3", "b4"]


async def test_a_claimed_job_is_not_claimed_again_until_its_lease_runs_out(run) -> None:
    await run(_schedule("b1"))
    [first] = await run(_claim())

    assert await run(_claim(NOW + LEASE - timedelta(seconds=1))) == []
    [again] = await run(_claim(NOW + LEASE))  # the first worker died: another takes over

    assert again.id == first.id
    assert again.claimed_until == NOW + 2 * LEASE


async def test_completing_deletes_the_job_and_frees_its_key(run) -> None:
    await run(_schedule("b1"))
    [job] = await run(_claim())

    assert await run(lambda r: r.jobs.complete(job)) is True

    assert await run(lambda r: r.jobs.list()) == []
    assert await run(_claim(NOW + 2 * LEASE)) == []
    assert await run(_schedule("b1")) is True


async def test_a_worker_whose_lease_was_taken_over_can_neither_complete_nor_fail_the_job(
    run,
) -> None:
    await run(_schedule("b1"))
    [stale] = await run(_claim())
    [current] = await run(_claim(NOW + LEASE))

    assert await run(lambda r: r.jobs.complete(stale)) is False
    assert await run(lambda r: r.jobs.fail(stale, "TimeoutError", NOW + LEASE)) is False

    [job] = await run(lambda r: r.jobs.list())
    assert (job.attempts, job.last_error, job.claimed_until) == (0, None, current.claimed_until)
    assert await run(lambda r: r.jobs.complete(current)) is True


async def test_a_failed_job_is_due_again_after_growing_delays_then_dead(run) -> None:
    await run(_schedule("b1", max_attempts=4))
    due_times = [NOW]
    for _ in range(4):
        now = due_times[-1]
        [job] = await run(_claim(now))
        assert await run(lambda r, job=job, now=now: r.jobs.fail(job, "TimeoutError", now))
        [stored] = await run(lambda r: r.jobs.list())
        due_times.append(stored.due_at)

    steps = [later - sooner for sooner, later in itertools.pairwise(due_times)]
    assert steps == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120), ZERO]
    assert (stored.state, stored.attempts, stored.last_error) == (JobState.DEAD, 4, "TimeoutError")
    assert await run(_claim(NOW + timedelta(days=30))) == []


async def test_a_job_with_one_attempt_is_dead_after_its_first_failure(run) -> None:
    await run(_schedule("b1", max_attempts=1))
    [job] = await run(_claim())
    assert job.last_try

    await run(lambda r: r.jobs.fail(job, "ValueError", NOW))

    [dead] = await run(lambda r: r.jobs.list(dead_only=True))
    assert (dead.state, dead.attempts, dead.claimed_until) == (JobState.DEAD, 1, None)


def test_the_retry_delay_doubles_up_to_an_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert retry_delay(10_000) == timedelta(hours=1)


async def test_a_long_error_is_cut_to_a_short_line(run) -> None:
    await run(_schedule("b1"))
    [job] = await run(_claim())

    await run(lambda r: r.jobs.fail(job, "x" * 5000, NOW))

    [stored] = await run(lambda r: r.jobs.list())
    assert stored.last_error == "x" * MAX_ERROR_CHARS


async def test_listing_shows_waiting_and_dead_jobs_soonest_first_or_only_the_dead(run) -> None:
    await run(_schedule("pending-later", NOW + timedelta(days=1)))
    await run(_schedule("doomed", NOW, max_attempts=1))
    await run(_schedule("pending-sooner", NOW + timedelta(hours=1)))
    [doomed] = await run(_claim())
    await run(lambda r: r.jobs.fail(doomed, "JobFailed", NOW))

    everything = await run(lambda r: r.jobs.list())
    dead = await run(lambda r: r.jobs.list(dead_only=True))

    assert [job.key for job in everything] == ["doomed", "pending-sooner", "pending-later"]
    assert [job.key for job in dead] == ["doomed"]


async def test_cancelling_removes_a_job_by_its_key(run) -> None:
    await run(_schedule("b1"))
    await run(_schedule("b2"))

    assert await run(lambda r: r.jobs.cancel("b1")) is True
    assert await run(lambda r: r.jobs.cancel("b1")) is False

    assert [job.key for job in await run(lambda r: r.jobs.list())] == ["b2"]


async def test_two_workers_claiming_at_once_never_get_the_same_job(database_url: str) -> None:
    workers = Database(database_url), Database(database_url)
    try:
        await upgrade_database(workers[0].engine)
        async with workers[0].transaction() as session:
            jobs = Repositories.bound_to(session).jobs
            for number in range(200):
                await jobs.schedule("reminder", {}, NOW, f"b{number}")

        async def claim(database: Database) -> list[DueJob]:
            async with database.transaction() as session:
                return await Repositories.bound_to(session).jobs.claim(NOW, lease=LEASE, limit=15)

        claims = await asyncio.gather(*(claim(workers[i % 2]) for i in range(16)))
    finally:
        for database in workers:
            await database.dispose()

    ids = [job.id for claimed in claims for job in claimed]
    assert len(ids) == len(set(ids)) == 200


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no row locks
async def test_postgresql_claims_in_one_statement_that_skips_rows_another_worker_locked(
    database: Database, run
) -> None:
    await run(_schedule("b1"))
    statements: list[str] = []

    def record(_conn, _cursor, statement: str, *_args) -> None:
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        await run(_claim())
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)

    [claim] = [statement for statement in statements if "jobs" in statement]
    assert claim.startswith("UPDATE jobs") and "FOR UPDATE SKIP LOCKED" in claim
    assert "RETURNING" in claim
