"""A check-in's timed work: it opens, is sent to each member within working hours and outside
their quiet hours, reminds once those who have not finished, and closes.

services/pulse.py decides and schedules these jobs; here they are run and written as messages
through the outbox, to every platform account of the member, their buttons bound to them.
Nothing is sent for a check-in that has closed (the services return None then). Staff are told
of a close in counts only.
"""

from __future__ import annotations

from bot.notify import notify_staff, queue_for_member
from bot.scheduler import DueJob, JobContext, JobKinds
from handlers.pulse import (
    CARRY_ON,
    begin_option,
    closed_text,
    invitation_text,
    reminder_text,
    zone_of,
)
from services import pulse
from services.pulse import PulseError

jobs = JobKinds("pulse")


@jobs.kind(pulse.OPEN)
async def open_checkin(job: DueJob, ctx: JobContext) -> None:
    await pulse.open_checkin(ctx.repos, job.payload["checkin"], ctx.now, ctx.services.settings)


@jobs.kind(pulse.CLOSE)
async def close(job: DueJob, ctx: JobContext) -> None:
    """Close it at its closing time and tell staff once, in counts only; one that staff
    closed early was closed already, and they saw the counts then."""
    try:
        closed = await pulse.close(ctx.repos, job.payload["checkin"], ctx.now, by=None)
    except PulseError:
        return
    _, respondents, _ = await ctx.repos.pulse.participation(closed.id)
    await notify_staff(ctx.repos, ctx.services.binder, closed_text(closed, respondents), ctx.now)


@jobs.kind(pulse.SEND)
async def send(job: DueJob, ctx: JobContext) -> None:
    """The invitation, with its Start button, once the member's working hours have come."""
    member_id = job.payload["member"]
    settings = ctx.services.settings
    checkin = await pulse.due_to_send(
        ctx.repos, job.payload["checkin"], member_id, ctx.now, settings
    )
    member = await ctx.repos.members.get(member_id)
    if checkin is None or member is None:
        return
    text = invitation_text(checkin, settings.pulse_min_respondents, await zone_of(ctx, member_id))
    await queue_for_member(
        ctx.repos, ctx.services.binder, member, text, ctx.now, [begin_option(checkin)]
    )


@jobs.kind(pulse.REMIND)
async def remind(job: DueJob, ctx: JobContext) -> None:
    """The one reminder to a member who has not finished, from where they stopped."""
    member_id = job.payload["member"]
    settings = ctx.services.settings
    due = await pulse.due_reminder(ctx.repos, job.payload["checkin"], member_id, ctx.now, settings)
    member = await ctx.repos.members.get(member_id)
    if due is None or member is None:
        return
    checkin, position = due
    text = reminder_text(checkin, position, await zone_of(ctx, member_id))
    await queue_for_member(
        ctx.repos, ctx.services.binder, member, text, ctx.now, [begin_option(checkin, CARRY_ON)]
    )
