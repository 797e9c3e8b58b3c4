"""The scheduler runs each due job exactly once, across restarts and two workers; a job's effects
and its completion commit together; failures back off and end dead, for staff to see."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core import Bot
from bot.scheduler import (
    JOB_LEASE,
    DueJob,
    JobContext,
    JobFailed,
    JobKinds,
    Scheduler,
    occurrence_key,
)
from bot.settings import Settings
from storage.database import Database
from storage.jobs import Job, JobState
from storage.models import OutboxMessage
from storage.repositories import Repositories
from tests.conftest import FakeClock

SECRET = "xoxb-123-SECRET"


def note_kinds(runs: Counter[int]) -> JobKinds:
    """A capability's job kinds: `note` queues a message (its database effect) and counts its
    runs by job id; `broken` queues one too, then fails; `refused` fails in words for staff."""
    kinds = JobKinds("notes")

    @kinds.kind("note")
    async def note(job: DueJob, ctx: JobContext) -> None:
        runs[job.id] += 1
        await ctx.repos.outbox.enqueue("test", "alice", job.payload["text"], ctx.now)

    @kinds.kind("broken")
    async def broken(job: DueJob, ctx: JobContext) -> None:
        await ctx.repos.outbox.enqueue("test", "alice", "half-done work", ctx.now)
        raise RuntimeError(f"upstream refused token {SECRET}")

    @kinds.kind("refused")
    async def refused(job: DueJob, ctx: JobContext) -> None:
        raise JobFailed("booking 12 no longer exists")

    return kinds


@pytest.fixture
def runs() -> Counter[int]:
    return Counter()


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """The scheduler polls every 10 ms, so a second run would show within a test."""
    return settings.model_copy(update={"scheduler_poll_seconds": 0.01})


@pytest.fixture
async def worker(fast: Settings, clock: FakeClock, runs: Counter[int]) -> AsyncIterator[Bot]:
    started = await Bot.start(fast, clock=clock, job_kinds=[note_kinds(runs)])
    yield started
    await started.close()


async def schedule(
    bot: Bot, key: str, *, kind: str = "note", due_in: timedelta = timedelta(0), **options: int
) -> None:
    async with bot.services.database.transaction() as session:
        scheduled = await Repositories.bound_to(session).jobs.schedule(
            kind, {"text": key}, bot.services.clock() + due_in, key, **options
        )
    assert scheduled


async def stored_jobs(bot: Bot) -> list[Job]:
    async with bot.services.database.transaction() as session:
        return await Repositories.bound_to(session).jobs.list()


async def outbox_texts(bot: Bot) -> list[str]:
    async with bot.services.database.transaction() as session:
        rows = await session.execute(select(OutboxMessage.text).order_by(OutboxMessage.id))
        return list(rows.scalars())


async def eventually(condition: object, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not reached within {seconds} s")


# Restarts and workers


async def test_a_job_that_fell_due_while_the_server_was_down_runs_once_after_start(
    fast: Settings, clock: FakeClock, runs: Counter[int]
) -> None:
    first = await Bot.start(fast, clock=clock, job_kinds=[note_kinds(runs)])
    first.start_background()
    await schedule(first, "your session starts in an hour", due_in=timedelta(hours=1))
    await asyncio.sleep(0.05)  # several polls: not due yet, so nothing runs
    await first.close()
    assert runs == Counter()

    clock.advance(hours=2)
    restarted = await Bot.start(fast, clock=clock, job_kinds=[note_kinds(runs)])
    try:
        restarted.start_background()
        await eventually(lambda: runs)
        await asyncio.sleep(0.05)  # several more polls: it does not run again
        assert await outbox_texts(restarted) == ["your session starts in an hour"]
        assert await stored_jobs(restarted) == []
    finally:
        await restarted.close()
    assert list(runs.values()) == [1]


async def test_two_workers_run_each_of_a_thousand_due_jobs_exactly_once(
    settings: Settings, clock: FakeClock, runs: Counter[int]
) -> None:
    first = await Bot.start(settings, clock=clock, job_kinds=[note_kinds(runs)])
    second = await Bot.start(settings, clock=clock, job_kinds=[note_kinds(runs)], migrate=False)
    try:
        async with first.services.database.transaction() as session:
            jobs = Repositories.bound_to(session).jobs
            for number in range(1000):
                await jobs.schedule("note", {"text": f"n{number}"}, clock.now, f"n{number}")

        completed = await asyncio.gather(first.scheduler.run_due(), second.scheduler.run_due())

        assert await stored_jobs(first) == []
        texts = await outbox_texts(first)
    finally:
        await first.close()
        await second.close()
    assert sum(completed) == 1000 and min(completed) > 0  # both workers took a share
    assert len(runs) == 1000 and set(runs.values()) == {1}
    assert sorted(texts) == sorted(f"n{number}" for number in range(1000))


async def test_a_job_whose_worker_died_is_taken_over_when_the_lease_runs_out(
    worker: Bot, clock: FakeClock, runs: Counter[int]
) -> None:
    await schedule(worker, "reminder")
    async with worker.services.database.transaction() as session:  # a worker claims, then dies
        await Repositories.bound_to(session).jobs.claim(clock.now, lease=JOB_LEASE, limit=10)

    assert await worker.scheduler.run_due() == 0
    clock.advance(seconds=JOB_LEASE.total_seconds())
    assert await worker.scheduler.run_due() == 1

    assert list(runs.values()) == [1]


async def test_a_job_cancelled_while_it_runs_has_its_work_rolled_back(
    worker: Bot, settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    kinds = JobKinds("slow")

    @kinds.kind("slow")
    async def slow(job: DueJob, ctx: JobContext) -> None:
        entered.set()
        await release.wait()  # before any statement, so SQLite's write lock is free meanwhile
        await ctx.repos.outbox.enqueue("test", "alice", "too late", ctx.now)

    scheduler = Scheduler(worker.services, [kinds])
    await schedule(worker, "slow-1", kind="slow")
    running = asyncio.create_task(scheduler.run_due())
    await asyncio.wait_for(entered.wait(), 5)
    elsewhere = Database(settings.database_url)  # staff cancel it from another process
    try:
        async with elsewhere.transaction() as session:
            assert await Repositories.bound_to(session).jobs.cancel("slow-1")
    finally:
        await elsewhere.dispose()

    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        release.set()
        assert await running == 0

    assert await outbox_texts(worker) == []
    assert await stored_jobs(worker) == []
    assert "was taken over or cancelled; rolled back here" in caplog.text


# Failures


async def test_a_failing_job_is_retried_with_growing_delays_and_ends_dead(
    worker: Bot, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await schedule(worker, "b1", kind="broken", max_attempts=3)
    delays = []
    with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
        for _ in range(3):
            assert await worker.scheduler.run_due() == 0
            [job] = await stored_jobs(worker)
            delays.append(job.due_at - clock.now)
            assert await worker.scheduler.run_due() == 0  # not due again yet: not run
            clock.advance(seconds=max(delays[-1].total_seconds(), 0))

    assert delays == [timedelta(seconds=30), timedelta(seconds=60), timedelta(0)]
    assert (job.state, job.attempts, job.last_error) == (JobState.DEAD, 3, "RuntimeError")
    assert await outbox_texts(worker) == []  # each attempt's work was rolled back
    clock.advance(days=30)
    assert await worker.scheduler.run_due() == 0
    assert (await stored_jobs(worker))[0].attempts == 3
    assert [record.getMessage() for record in caplog.records] == [
        "job 1 (broken) failed on attempt 1 of 3, will retry: RuntimeError",
        "job 1 (broken) failed on attempt 2 of 3, will retry: RuntimeError",
        "job 1 (broken) failed on attempt 3 of 3, now dead: RuntimeError",
    ]


async def test_staff_see_a_jobs_own_words_for_why_it_failed_never_the_error_message(
    worker: Bot,
) -> None:
    await schedule(worker, "told", kind="refused", max_attempts=1)
    await schedule(worker, "raised", kind="broken", max_attempts=1)

    await worker.scheduler.run_due()

    errors = {job.key: job.last_error for job in await stored_jobs(worker)}
    assert errors == {"told": "booking 12 no longer exists", "raised": "RuntimeError"}
    assert SECRET not in str(errors)


async def test_a_job_of_an_unknown_kind_fails_clearly_and_the_others_still_run(
    worker: Bot, runs: Counter[int], caplog: pytest.LogCaptureFixture
) -> None:
    await schedule(worker, "mystery", kind="vanished-capability", max_attempts=1)
    await schedule(worker, "known")

    with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
        assert await worker.scheduler.run_due() == 1

    [dead] = await stored_jobs(worker)
    assert (dead.state, dead.last_error) == (
        JobState.DEAD,
        "unknown job kind 'vanished-capability'",
    )
    assert list(runs.values()) == [1]
    assert "unknown job kind 'vanished-capability'" in caplog.text


async def test_more_due_jobs_than_one_claim_takes_all_run_in_one_pass(
    worker: Bot, runs: Counter[int]
) -> None:
    for number in range(45):
        await schedule(worker, f"n{number}")

    assert await worker.scheduler.run_due() == 45
    assert len(runs) == 45


# Recurring work

HOURLY = timedelta(hours=1)


def tick_kinds(runs: Counter[str], *, broken: bool = False) -> JobKinds:
    """`tick` recurs every hour; it counts its runs by key, and fails when `broken`."""
    kinds = JobKinds("ticks")

    @kinds.every("tick", lambda settings: HOURLY)
    async def tick(job: DueJob, ctx: JobContext) -> None:
        runs[job.key] += 1
        if broken:
            raise JobFailed("the tick is broken")

    return kinds


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=UTC)


async def waiting(bot: Bot) -> list[tuple[str, datetime, str]]:
    return [(job.key, job.due_at, job.state) for job in await stored_jobs(bot)]


async def test_a_recurring_kind_runs_once_an_interval_however_many_workers_plan_it(
    settings: Settings, clock: FakeClock
) -> None:
    runs: Counter[str] = Counter()
    first = await Bot.start(settings, clock=clock, job_kinds=[tick_kinds(runs)])
    second = await Bot.start(settings, clock=clock, job_kinds=[tick_kinds(runs)], migrate=False)
    try:
        clock.now = at(9, 20)
        for worker in (first, second, first):  # two workers start, one restarts
            await worker.scheduler.plan_recurring()
        assert await waiting(first) == [
            (occurrence_key("tick", at(9)), at(9), "pending"),  # due at once: missed at start
            (occurrence_key("tick", at(10)), at(10), "pending"),
        ]

        await asyncio.gather(first.scheduler.run_due(), second.scheduler.run_due())
        assert runs == Counter({"tick@2026-11-24T09:00:00Z": 1})

        clock.now = at(10, 0)
        await asyncio.gather(first.scheduler.run_due(), second.scheduler.run_due())
        assert await waiting(first) == [(occurrence_key("tick", at(11)), at(11), "pending")]

        clock.now = at(13, 40)  # nobody ran for hours: one run, not one per missed hour
        assert await second.scheduler.run_due() == 1
        assert await first.scheduler.run_due() == 0
        assert await waiting(first) == [(occurrence_key("tick", at(14)), at(14), "pending")]
    finally:
        await first.close()
        await second.close()
    assert sorted(runs.values()) == [1, 1, 1]


async def test_a_recurring_occurrence_that_fails_for_good_leaves_the_next_one_planned(
    settings: Settings, clock: FakeClock
) -> None:
    runs: Counter[str] = Counter()
    bot = await Bot.start(settings, clock=clock, job_kinds=[tick_kinds(runs, broken=True)])
    try:
        async with bot.services.database.transaction() as session:
            await Repositories.bound_to(session).jobs.schedule(
                "tick", {}, at(9), occurrence_key("tick", at(9)), max_attempts=1
            )
        clock.now = at(9, 5)

        assert await bot.scheduler.run_due() == 0

        assert await waiting(bot) == [
            (occurrence_key("tick", at(9)), at(9), "dead"),
            (occurrence_key("tick", at(10)), at(10), "pending"),
        ]
    finally:
        await bot.close()


async def test_a_started_scheduler_plans_and_runs_recurring_work_by_itself(
    fast: Settings, clock: FakeClock
) -> None:
    runs: Counter[str] = Counter()
    bot = await Bot.start(fast, clock=clock, job_kinds=[tick_kinds(runs)])
    try:
        bot.start_background()
        await eventually(lambda: runs)
        await asyncio.sleep(0.05)  # several more polls: the hour is not over, nothing more runs
    finally:
        await bot.close()
    assert runs == Counter({occurrence_key("tick", at(9)): 1})


# Registering kinds


def test_one_capability_registering_a_kind_twice_is_refused() -> None:
    kinds = JobKinds("coaching")
    kinds.kind("reminder")(note_kinds(Counter()).handlers["note"])

    with pytest.raises(ValueError, match="'reminder' is registered twice in 'coaching'"):
        kinds.kind("reminder")(note_kinds(Counter()).handlers["note"])


async def test_two_capabilities_claiming_one_kind_are_refused(worker: Bot) -> None:
    with pytest.raises(ValueError, match=r"'notes' register \['broken', 'note', 'refused'\] again"):
        Scheduler(worker.services, [note_kinds(Counter()), note_kinds(Counter())])
