"""What follows an introduction, as timed work: the one reminder, the lapse, and matching rounds.

services/intros.py decides and schedules these jobs in the transaction of the change; here they
are run and written as messages through the outbox, to every platform account of each person,
their buttons bound to that person. The lapse says the same words whatever happened (a "Not
now", a block, no answer at all): never why, never when. Anyone gone meanwhile is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.messages import Choice
from bot.notify import queue_for_member
from bot.payloads import offer
from bot.scheduler import DueJob, JobContext, JobKinds
from domain.intros import Answer, Status
from handlers.directory import LeaveRounds, StayInRounds
from handlers.intros import NOT_THIS_TIME, answer_options, proposal_text, reminder_text
from services import intros
from storage.intros import DirectoryProfile, Introduction

jobs = JobKinds("intros")

STAY_IN_ROUNDS = "You haven't answered the last 3 matching rounds. Stay in them?"


async def _tell(ctx: JobContext, member_id: int, text: str, options: Sequence[Choice] = ()) -> None:
    """Queue `text` for the member, unless they are gone meanwhile."""
    member = await ctx.repos.members.get(member_id)
    if member is not None:
        await queue_for_member(ctx.repos, ctx.services.binder, member, text, ctx.now, options)


async def _others(
    ctx: JobContext, introduction: Introduction, member_id: int
) -> list[DirectoryProfile]:
    """The entries of the others in the introduction still in the directory, as shown to
    `member_id` (profile_text never shows a contact detail); none when they are all gone."""
    found = await ctx.repos.intros.profiles(introduction.others(member_id))
    return [found[other] for other in introduction.others(member_id) if other in found]


@jobs.kind(intros.REMIND)
async def remind(job: DueJob, ctx: JobContext) -> None:
    """The one reminder, to whoever has still to answer an introduction that is still open."""
    introduction = await ctx.repos.intros.get(job.payload["introduction"])
    if (
        introduction is None
        or introduction.status != Status.OPEN
        or introduction.expires_at <= ctx.now
    ):
        return
    for party in introduction.parties:
        others = await _others(ctx, introduction, party.member_id)
        if party.answer == Answer.PENDING and others:
            text = reminder_text(introduction, others)
            await _tell(ctx, party.member_id, text, answer_options(introduction))


def _joined(names: Sequence[str]) -> str:
    """`A`, `A and B`, `A, B and C`."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@jobs.kind(intros.CLOSE)
async def lapse(job: DueJob, ctx: JobContext) -> None:
    """An introduction reaches its expiry: whoever said yes to one that did not happen hears
    "not this time"; whoever ignored three rounds in a row is asked whether to stay in them."""
    closed = await intros.close(ctx.repos, job.payload["introduction"], ctx.now)
    if closed is None:
        return
    for member_id in closed.tell:
        others = closed.introduction.others(member_id)
        if others:
            named = await intros.names(ctx.repos, others)
            text = NOT_THIS_TIME.format(names=_joined([named[other] for other in others]))
            await _tell(ctx, member_id, text)
    stay_or_leave = (offer("Yes, stay in", StayInRounds()), offer("No, leave them", LeaveRounds()))
    for member_id in closed.ask_to_stay:
        await _tell(ctx, member_id, STAY_IN_ROUNDS, stay_or_leave)


@jobs.kind(intros.ROUND)
async def run_round(job: DueJob, ctx: JobContext) -> None:
    """Run a matching round: each person in each pair (or trio) receives the others' entries
    and the buttons to answer."""
    for introduction in await intros.run_round(ctx.repos, job.payload["round"], ctx.now):
        for party in introduction.parties:
            others = await _others(ctx, introduction, party.member_id)
            text = proposal_text(introduction, others)
            await _tell(ctx, party.member_id, text, answer_options(introduction))
