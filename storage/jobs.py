"""Durable jobs: work due at a set time, run once by whichever worker claims it first.

A job waits as `pending` until it is due; a worker claims it with a lease, runs it, and deletes
it in the transaction that holds the job's own effects, so its data changes exactly once. A
finished job is deleted rather than kept as `done`: the table then holds only work still to do
and the dead jobs staff should look at, and no payload (which may name people) outlives its use,
as with the outbox. The idempotency key is therefore unique among pending and dead jobs; once a
job is done, a handler that must never act twice checks its own record (say, `reminded_at`).

A failure is recorded in a transaction of its own: the job is due again after a growing delay,
and after its last attempt it is `dead`. A worker that dies mid-job records nothing; its lease
runs out and another worker takes the job over. A worker whose lease ran out while it was still
working finds out when it completes the job, and rolls its work back (see `complete`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage import leases
from storage.models import Base, UTCDateTime
from storage.upsert import insert_for

RETRY_FIRST_DELAY = timedelta(seconds=30)
RETRY_MAX_DELAY = timedelta(hours=1)
MAX_ERROR_CHARS = 200


class JobState(StrEnum):
    PENDING = "pending"
    DEAD = "dead"  # failed its last attempt; kept for staff (`cedp-bot jobs list --dead`)


class Job(Base):
    """Work due at `due_at`; `key` makes scheduling the same work twice a no-op."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default=JobState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed attempts so far
    max_attempts: Mapped[int] = mapped_column(Integer)
    # A worker running the job holds it until then; if it dies, another takes it over.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Short and safe to show staff: an error's type or a handler's own words, never a payload.
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR_CHARS), nullable=True)


@dataclass(frozen=True, slots=True)
class DueJob:
    """A claimed job, as its handler sees it; `claimed_until` identifies this worker's claim."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    due_at: datetime
    attempts: int
    max_attempts: int
    claimed_until: datetime

    @property
    def last_try(self) -> bool:
        """Whether failing now makes the job dead."""
        return self.attempts + 1 >= self.max_attempts


def retry_delay(failures: int) -> timedelta:
    """How long after its `failures`-th failure a job is due again: doubling, with a cap."""
    doublings = min(failures - 1, 16)  # 30 s * 2**16 is far past the cap already
    return min(RETRY_FIRST_DELAY * 2**doublings, RETRY_MAX_DELAY)


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(
        self,
        kind: str,
        payload: dict[str, Any],
        due_at: datetime,
        key: str,
        *,
        max_attempts: int = 5,
    ) -> bool:
        """Add a job; False (and nothing changes) when a job with `key` is already waiting."""
        if max_attempts < 1:
            raise ValueError("a job needs at least one attempt")
        result = await self._session.execute(
            insert_for(self._session, Job)
            .values(
                kind=kind,
                key=key,
                payload=payload,
                due_at=due_at,
                state=JobState.PENDING,
                attempts=0,
                max_attempts=max_attempts,
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return result.rowcount == 1

    async def claim(self, now: datetime, *, lease: timedelta, limit: int) -> list[DueJob]:
        """Due jobs, earliest first, held for `lease` by this worker, in one statement
        (storage.leases: concurrent workers choose different jobs)."""
        claimed = await self._session.execute(
            leases.claim(
                Job,
                Job.state == JobState.PENDING,
                Job.due_at <= now,
                order_by=(Job.due_at, Job.id),
                limit=limit,
                now=now,
                lease=lease,
                returning=(
                    Job.id,
                    Job.kind,
                    Job.key,
                    Job.payload,
                    Job.due_at,
                    Job.attempts,
                    Job.max_attempts,
                    Job.claimed_until,
                ),
            )
        )
        jobs = [DueJob(**row._mapping) for row in claimed]
        return sorted(jobs, key=lambda job: (job.due_at, job.id))

    async def complete(self, job: DueJob) -> bool:
        """Delete a job this worker still holds; False when its lease ran out and another worker
        took it over (or it was cancelled): then the caller must roll its work back."""
        result = await self._session.execute(
            delete(Job)
            .where(Job.id == job.id, Job.claimed_until == job.claimed_until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def fail(self, job: DueJob, error: str, now: datetime) -> bool:
        """Record a failed attempt: due again after `retry_delay`, or dead after the last try.
        False when this worker no longer holds the job (nothing is recorded then)."""
        failures = job.attempts + 1
        retry = {} if job.last_try else {"due_at": now + retry_delay(failures)}
        result = await self._session.execute(
            update(Job)
            .where(Job.id == job.id, Job.claimed_until == job.claimed_until)
            .values(
                attempts=failures,
                state=JobState.DEAD if job.last_try else JobState.PENDING,
                claimed_until=None,
                last_error=error[:MAX_ERROR_CHARS],
                **retry,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def list(self, *, dead_only: bool = False) -> list[Job]:
        """Every job waiting or dead (only the dead with `dead_only`), soonest due first."""
        query = select(Job).order_by(Job.due_at, Job.id)
        if dead_only:
            query = query.where(Job.state == JobState.DEAD)
        return list((await self._session.execute(query)).scalars().all())

    async def cancel(self, key: str) -> bool:
        """Withdraw the job with `key`, pending or dead; False when there is none. A worker
        running it at this moment finds it gone when it completes, and rolls its work back."""
        result = await self._session.execute(
            delete(Job).where(Job.key == key).execution_options(synchronize_session=False)
        )
        return result.rowcount == 1
