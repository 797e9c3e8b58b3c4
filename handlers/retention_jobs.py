"""The retention sweep as timed work: once every `CEDP_RETENTION_SWEEP_MINUTES`, on whichever
worker claims it, purge what has been kept long enough (services/retention.py). The log line
holds counts only: what is purged is exactly what must not reach a log."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.scheduler import DueJob, JobContext, JobKinds
from services import retention

log = logging.getLogger(__name__)

jobs = JobKinds("retention")


@jobs.every(retention.SWEEP, lambda settings: timedelta(minutes=settings.retention_sweep_minutes))
async def sweep(job: DueJob, ctx: JobContext) -> None:
    purged = await retention.purge(ctx.repos, ctx.services.settings, ctx.now)
    log.info("retention sweep purged %s", retention.summary(purged))
