"""Timed work (reminders, scheduled sends, expiries): job kinds and the scheduler that runs them.

A capability registers its kinds the way it registers its router:

    jobs = JobKinds("coaching")

    @jobs.kind("reminder")
    async def remind(job: DueJob, ctx: JobContext) -> None:
        ...  # ctx.repos: the job's own transaction; queue messages with ctx.repos.outbox

and schedules work with `repos.jobs.schedule(kind, payload, due_at, key)` in the transaction that
decides it. Every worker runs a `Scheduler`: it claims due jobs with a lease (storage.jobs), runs
each handler in one transaction with the job's completion, and records a failure in another, so
a job's database effects happen exactly once however many workers there are and whoever crashes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.context import Services
from bot.loops import Loop
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


class JobKinds:
    """The job kinds of one capability, each with its handler."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.handlers: dict[str, JobHandler] = {}

    def kind(self, name: str) -> Callable[[JobHandler], JobHandler]:
        """Register the handler for jobs of kind `name`."""

        def register(handler: JobHandler) -> JobHandler:
            if name in self.handlers:
                raise ValueError(f"job kind {name!r} is registered twice in {self.name!r}")
            self.handlers[name] = handler
            return handler

        return register


def _handlers_of(registries: Iterable[JobKinds]) -> dict[str, JobHandler]:
    """One table of every kind; two capabilities claiming one kind is a mistake, refused."""
    handlers: dict[str, JobHandler] = {}
    for registry in registries:
        clash = handlers.keys() & registry.handlers.keys()
        if clash:
            raise ValueError(f"job kinds {registry.name!r} register {sorted(clash)} again")
        handlers.update(registry.handlers)
    return handlers


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
        self._services = services
        self._handlers = _handlers_of(kinds)
        self._lease = lease
        self._batch = batch
        self._loop = Loop("scheduler", services.settings.scheduler_poll_seconds, self.run_due)

    def start(self) -> None:
        self._loop.start()

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
                await handler(job, JobContext(self._services, repos, self._services.clock()))
                if not await repos.jobs.complete(job):
                    raise _LeaseLost
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
            await Repositories.bound_to(session).jobs.fail(
                job, _describe(error), self._services.clock()
            )
