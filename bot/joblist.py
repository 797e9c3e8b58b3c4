"""What staff see of the scheduler: `cedp-bot jobs list [--dead]`."""

from __future__ import annotations

from storage.jobs import Job
from storage.repositories import Repositories

HEADER = "id\tkind\tdue\tattempts\tstate\tlast error"


def describe_job(job: Job) -> str:
    """One line: id, kind, due time (UTC), failed attempts of the allowed, state, last error."""
    return (
        f"{job.id}\t{job.kind}\t{job.due_at:%Y-%m-%d %H:%M:%S}\t"
        f"{job.attempts}/{job.max_attempts}\t{job.state}\t{job.last_error or '-'}"
    )


async def list_jobs(repos: Repositories, *, dead_only: bool = False) -> list[str]:
    """Every waiting and dead job, soonest due first (only the dead with `dead_only`)."""
    jobs = await repos.jobs.list(dead_only=dead_only)
    if not jobs:
        return ["No jobs."]
    return [HEADER, *(describe_job(job) for job in jobs)]
