"""Timed work (reminders, scheduled sends, expiries): job kinds and the scheduler that runs them.

A capability registers its kinds the way it registers its router:

    jobs = JobKinds("coaching")

    @jobs.kind("reminder")
    async def remind(job: DueJob, ctx: JobContext) -> None:
        ...  # ctx.repos: the job's own transaction; queue messages with ctx.repos.outbox

and schedules work with `repos.jobs.schedule(kind, payload, due_at, key)` in the transaction that
decides it. Work that simply recurs (the retention sweep) is declared with `every` instead:

    @jobs.every("sweep", lambda settings: timedelta(minutes=settings.sweep_minutes))
    async def sweep(job: DueJob, ctx: JobContext) -> None: ...

Each occurrence belongs to one slot of the interval, counted from the Unix epoch, and its key
names the slot, so every worker plans the same occurrences and the key makes them one job. A
worker's scheduler plans the current slot's occurrence (due at once: work missed while nobody
ran is done at start) and the next one when it starts; an occurrence that completes schedules
the one after, in its own transaction; one that fails schedules it with the failure, so a bad
run never ends the recurrence.

Every worker runs a `Scheduler`: it claims due jobs with a lease (storage.jobs), runs
each handler in one transaction with the job's completion, and records a failure in another, so
a job's database effects happen exactly once however many workers there are and whoever crashes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.context import Services
from bot.loops import Loop
from bot.settings import Settings
from storage.jobs import DueJob
from storage.repositories import Repositories

log = logging.getLogger(__name__)

JOB_LEASE = timedelta(minutes=5)  # covers a whole claimed batch; handlers only touch the database
CLAIM_BATCH = 20


class JobFailed(Exception):
    """A failure in words staff may read in `cedp-bot jobs list`. Any other exception is shown by
    its type alone, because its message could carry a secret or a piece of the payload."""


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job handler gets besides the job. `repos` are bound to the transaction that also
    completes the job: do the job's database work through them (and send messages through the
    outbox), never in a transaction of its own, or it would not be undone with a failed job."""

    services: Services
    repos: Repositories
    now: datetime


JobHandler = Callable[[DueJob, JobContext], Awaitable[None]]
Interval = Callable[[Settings], timedelta]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class JobKinds:
    """The job kinds of one capability, each with its handler."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.handlers: dict[str, JobHandler] = {}
        self.intervals: dict[str, Interval] = {}

    def kind(self, name: str) -> Callable[[JobHandler], JobHandler]:
        """Register the handler for jobs of kind `name`."""

        def register(handler: JobHandler) -> JobHandler:
            if name in self.handlers:
                raise ValueError(f"job kind {name!r} is registered twice in {self.name!r}")
            self.handlers[name] = handler
            return handler

        return register

    def every(self, name: str, interval: Interval) -> Callable[[JobHandler], JobHandler]:
        """Register the handler of `name`, run once in every `interval` (read from the
        settings) on whichever worker claims it; see the module's docstring."""
        register = self.kind(name)

        def register_recurring(handler: JobHandler) -> JobHandler:
            self.intervals[name] = interval
            return register(handler)

        return register_recurring


def slot_start(now: datetime, interval: timedelta) -> datetime:
    """The start of the slot of `interval` that `now` falls in, counted from the Unix epoch."""
    return EPOCH + interval * ((now - EPOCH) // interval)


def occurrence_key(kind: str, due_at: datetime) -> str:
    """The key of a recurring kind's occurrence in the slot starting at `due_at`."""
    return f"{kind}@{due_at:%Y-%m-%dT%H:%M:%SZ}"


def _handlers_of(registries: Iterable[JobKinds]) -> dict[str, JobHandler]:
    """One table of every kind; two capabilities claiming one kind is a mistake, refused."""
    handlers: dict[str, JobHandler] = {}
    for registry in registries:
        clash = handlers.keys() & registry.handlers.keys()
        if clash:
            raise ValueError(f"job kinds {registry.name!r} register {sorted(clash)} again")
        handlers.update(registry.handlers)
    return handlers


async def _schedule_occurrence(repos: Repositories, kind: str, due_at: datetime) -> None:
    """Schedule the occurrence of `kind` in the slot starting at `due_at` (a no-op when it is
    already waiting, or dead)."""
    await repos.jobs.schedule(kind, {}, due_at, occurrence_key(kind, due_at))


def _describe(error: Exception) -> str:
    """The error as staff see it: a `JobFailed`'s own words, otherwise only the error's type."""
    return str(error) if isinstance(error, JobFailed) else type(error).__name__


class _LeaseLost(Exception):
    """The job was taken over (its lease ran out) or cancelled while it ran here."""


class Scheduler:
    """Claims due jobs and runs them, every `CEDP_SCHEDULER_POLL_SECONDS` once started."""

    def __init__(
        self,
        services: Services,
        kinds: Iterable[JobKinds],
        *,
        lease: timedelta = JOB_LEASE,
        batch: int = CLAIM_BATCH,
    ) -> None:
        kinds = list(kinds)
        self._services = services
        self._handlers = _handlers_of(kinds)
        self._intervals = {
            kind: interval(services.settings)
            for registry in kinds
            for kind, interval in registry.intervals.items()
        }
        self._lease = lease
        self._batch = batch
        self._planned = False
        self._loop = Loop("scheduler", services.settings.scheduler_poll_seconds, self._poll)

    def start(self) -> None:
        self._loop.start()

    async def _poll(self) -> None:
        if not self._planned:  # until it has worked once: the database may be away at start
            await self.plan_recurring()
            self._planned = True
        await self.run_due()

    async def plan_recurring(self) -> None:
        """Schedule each recurring kind's occurrence in the current slot, due at once, and in
        the next; what another worker planned already is left as it is."""
        now = self._services.clock()
        async with self._services.database.transaction() as session:
            repos = Repositories.bound_to(session)
            for kind, interval in self._intervals.items():
                current = slot_start(now, interval)
                for due_at in (current, current + interval):
                    await _schedule_occurrence(repos, kind, due_at)

    async def stop(self) -> None:
        """Stop polling; a job interrupted mid-run is rolled back and runs again later."""
        await self._loop.stop()

    async def run_due(self) -> int:
        """Run every job that is due, a batch at a time; returns how many completed."""
        completed = 0
        claimed = await self._claim()
        while claimed:
            for job in claimed:
                completed += await self._run(job)
            claimed = await self._claim() if len(claimed) == self._batch else []
        return completed

    async def _claim(self) -> list[DueJob]:
        async with self._services.database.transaction() as session:
            return await Repositories.bound_to(session).jobs.claim(
                self._services.clock(), lease=self._lease, limit=self._batch
            )

    async def _run(self, job: DueJob) -> bool:
        """Run one job: its effects and its completion commit together, or neither does."""
        try:
            handler = self._handlers.get(job.kind)
            if handler is None:
                raise JobFailed(f"unknown job kind {job.kind!r}")
            async with self._services.database.transaction() as session:
                repos = Repositories.bound_to(session)
                now = self._services.clock()
                await handler(job, JobContext(self._services, repos, now))
                if not await repos.jobs.complete(job):
                    raise _LeaseLost
                await self._schedule_next(repos, job, now)
        except _LeaseLost:
            log.warning(
                "job %d (%s) was taken over or cancelled; rolled back here", job.id, job.kind
            )
            return False
        except Exception as error:
            await self._record_failure(job, error)
            return False
        return True

    async def _record_failure(self, job: DueJob, error: Exception) -> None:
        log.error(
            "job %d (%s) failed on attempt %d of %d, %s: %s",
            job.id,
            job.kind,
            job.attempts + 1,
            job.max_attempts,
            "now dead" if job.last_try else "will retry",
            _describe(error),
            exc_info=not isinstance(error, JobFailed),
        )
        async with self._services.database.transaction() as session:
            repos, now = Repositories.bound_to(session), self._services.clock()
            await repos.jobs.fail(job, _describe(error), now)
            await self._schedule_next(repos, job, now)

    async def _schedule_next(self, repos: Repositories, job: DueJob, now: datetime) -> None:
        """For a recurring kind, the occurrence in the slot after `now`'s."""
        interval = self._intervals.get(job.kind)
        if interval is not None:
            await _schedule_occurrence(repos, job.kind, slot_start(now, interval) + interval)
