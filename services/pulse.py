"""Pulse check-ins: the rules the chat, the jobs and the command line all call.

A check-in is created with its opening and closing as scheduler jobs. When it opens, each member
of its segment gets a participation row and a job that sends it within working hours and
outside their quiet hours; one reminder follows 3 days later if they have not finished. Answers
are written through `answer` straight into storage.pulse's unlinked table: nothing of an answer
is kept with the member, in participation or in their conversation state. Results leave only
through `results`, which checks the viewer's role (the one check, as in chat) and applies
domain.pulse.release.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.router import Access
from bot.settings import Settings
from domain.errors import Refusal
from domain.notices import Preferences
from domain.people import MemberRef, Role
from domain.pulse import (
    TREND_LENGTH,
    Definition,
    Policy,
    Question,
    QuestionKind,
    Release,
    State,
    WorkingHours,
    release,
    remove_names,
    sending_time,
    signpost,
)
from services.audit import Action, record
from services.settings import preferences, preferences_for
from storage.members import in_segment
from storage.models import Member
from storage.pulse import PulseCheckin, PulseParticipant
from storage.repositories import Repositories

OPEN = "pulse.open"
CLOSE = "pulse.close"
SEND = "pulse.send"
REMIND = "pulse.remind"
REMIND_AFTER = timedelta(days=3)
LATE_BY_AT_MOST = timedelta(minutes=5)  # a job this close to the member's hours still goes
COMMENT_MAX = 1000


class PulseError(Refusal):
    """A check-in request the rules refuse; the message says why."""


class NotStaff(PulseError):
    """Someone who is not staff asked for results."""


class CommentTooLong(PulseError):
    """A typed comment over `COMMENT_MAX`: the member may shorten it and type it again."""


NOT_STAFF = "Only programme staff can see check-in results."
NO_SUCH = "There is no check-in with id {id}."
CLOSED = "That check-in has closed, so it no longer takes answers. Thank you all the same."
NOT_SENT = "That check-in wasn't sent to you."


def require_staff(viewer: MemberRef | None) -> None:
    """The role check every results route goes through, in chat and at the terminal alike: the
    same `Access.STAFF` rule the chat's `authorize` middleware applies to staff routes."""
    if not Access.STAFF.allows(viewer):
        raise NotStaff(NOT_STAFF)


def _key(checkin_id: int, what: str, member_id: int | None = None) -> str:
    return f"pulse:{checkin_id}:{what}" + ("" if member_id is None else f":{member_id}")


async def create(
    repos: Repositories, definition: Definition, now: datetime, by: MemberRef
) -> PulseCheckin:
    """Keep a check-in and schedule its opening (now, if that time has passed) and closing."""
    checkin = await repos.pulse.add(definition, now)
    payload = {"checkin": checkin.id}
    await repos.jobs.schedule(OPEN, payload, max(definition.opens, now), _key(checkin.id, "open"))
    await repos.jobs.schedule(CLOSE, payload, definition.closes, _key(checkin.id, "close"))
    await record(repos, by, Action.PULSE_CREATE, f"checkin:{checkin.id}", now)
    return checkin


async def get(repos: Repositories, checkin_id: int, *, lock: bool = False) -> PulseCheckin:
    checkin = await repos.pulse.get(checkin_id, lock=lock)
    if checkin is None:
        raise PulseError(NO_SUCH.format(id=checkin_id))
    return checkin


async def _segment_members(repos: Repositories, segment: Sequence[str]) -> list[Member]:
    """Who a check-in for `segment` reaches: members (not coaches or staff) with any of its
    tags, or every member when it has none."""
    return [
        member
        for member in await repos.members.list(role=Role.MEMBER)
        if in_segment(member, segment)
    ]


async def reach(repos: Repositories, segment: Sequence[str]) -> int:
    """How many members a check-in for `segment` would reach now (staff confirm this)."""
    return len(await _segment_members(repos, segment))


async def open_checkin(
    repos: Repositories, checkin_id: int, now: datetime, settings: Settings
) -> int:
    """Open a scheduled check-in: each member of its segment (members, not coaches or staff)
    is due to be sent it at their first working, not quiet, moment. Returns how many."""
    checkin = await repos.pulse.get(checkin_id, lock=True)
    if checkin is None or checkin.state != State.SCHEDULED:
        return 0
    await repos.pulse.set_state(checkin.id, State.OPEN)
    members = await _segment_members(repos, checkin.segment)
    await repos.pulse.add_participants(checkin.id, [member.id for member in members])
    chosen = await preferences_for(repos, [member.id for member in members], settings)
    hours = settings.working_hours
    for member in members:
        due = sending_time(now, hours, chosen[member.id])
        if due < checkin.closes_at:
            payload = {"checkin": checkin.id, "member": member.id}
            await repos.jobs.schedule(SEND, payload, due, _key(checkin.id, "send", member.id))
    return len(members)


async def close(
    repos: Repositories, checkin_id: int, now: datetime, by: MemberRef | None
) -> PulseCheckin:
    """Close a check-in (at its closing time, `by` None, or early when staff `by` ask): it
    takes no more answers and sends nothing more."""
    checkin = await get(repos, checkin_id, lock=True)
    if checkin.state == State.CLOSED:
        raise PulseError(f"Check-in {checkin_id} is already closed.")
    await repos.pulse.set_state(checkin.id, State.CLOSED)
    checkin.state = State.CLOSED
    early = now < checkin.closes_at
    checkin.closes_at = min(checkin.closes_at, now)  # closed early: results say when it did
    await repos.jobs.cancel(_key(checkin.id, "open"))
    if early:
        # The closing job is not needed. At or after its time this may be that very job
        # running, and cancelling it would roll its own work back.
        await repos.jobs.cancel(_key(checkin.id, "close"))
    if by is not None:
        await record(repos, by, Action.PULSE_CLOSE, f"checkin:{checkin.id}", now)
    return checkin


def _open(checkin: PulseCheckin, now: datetime) -> bool:
    return checkin.state == State.OPEN and now < checkin.closes_at


async def _due(
    repos: Repositories, checkin_id: int, member_id: int, now: datetime
) -> tuple[PulseCheckin, PulseParticipant] | None:
    checkin = await repos.pulse.get(checkin_id)
    if checkin is None or not _open(checkin, now):
        return None
    participant = await repos.pulse.participant(checkin_id, member_id)
    if participant is None or participant.finished:
        return None
    return checkin, participant


async def _held_back(
    repos: Repositories,
    kind: str,
    checkin: PulseCheckin,
    member_id: int,
    now: datetime,
    hours: WorkingHours | None,
    chosen: Preferences,
) -> bool:
    """Whether a send or reminder that runs late (no worker ran at its time) has fallen outside
    the member's working hours or into their quiet hours: then it waits for them again, while
    the check-in is open."""
    allowed = sending_time(now, hours, chosen)
    if allowed - now <= LATE_BY_AT_MOST:
        return False
    if allowed < checkin.closes_at:
        payload = {"checkin": checkin.id, "member": member_id}
        key = f"{_key(checkin.id, kind.removeprefix('pulse.'), member_id)}:{allowed:%Y%m%d%H%M}"
        await repos.jobs.schedule(kind, payload, allowed, key)
    return True


async def due_to_send(
    repos: Repositories, checkin_id: int, member_id: int, now: datetime, settings: Settings
) -> PulseCheckin | None:
    """The check-in to send the member now, if it is still open for them and now is within
    their hours; the one reminder is scheduled 3 days on, within hours, while it is open."""
    due = await _due(repos, checkin_id, member_id, now)
    if due is None or due[1].sent:
        return None
    checkin, participant = due
    chosen = await preferences(repos, member_id, settings)
    if await _held_back(repos, SEND, checkin, member_id, now, settings.working_hours, chosen):
        return None
    participant.sent = True
    remind_at = sending_time(now + REMIND_AFTER, settings.working_hours, chosen)
    if remind_at < checkin.closes_at:
        payload = {"checkin": checkin_id, "member": member_id}
        await repos.jobs.schedule(REMIND, payload, remind_at, _key(checkin_id, "remind", member_id))
    return checkin


async def due_reminder(
    repos: Repositories, checkin_id: int, member_id: int, now: datetime, settings: Settings
) -> tuple[PulseCheckin, int] | None:
    """The check-in to remind the member of (and where they stopped), if they have not
    finished it, it is open and now is within their hours; once only."""
    due = await _due(repos, checkin_id, member_id, now)
    if due is None or due[1].reminded:
        return None
    checkin, participant = due
    chosen = await preferences(repos, member_id, settings)
    if await _held_back(repos, REMIND, checkin, member_id, now, settings.working_hours, chosen):
        return None
    participant.reminded = True
    return checkin, participant.next_position


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a member is in a check-in: the next question to show, or None when done."""

    checkin: PulseCheckin
    position: int
    question: Question | None

    @property
    def total(self) -> int:
        return len(self.checkin.questions)


async def progress(repos: Repositories, checkin_id: int, member_id: int, now: datetime) -> Progress:
    """The member's next question in an open check-in they were sent (resumable any time)."""
    checkin = await get(repos, checkin_id)
    if not _open(checkin, now):
        raise PulseError(CLOSED)
    participant = await repos.pulse.participant(checkin_id, member_id)
    if participant is None:
        raise PulseError(NOT_SENT)
    return _progress_at(checkin, participant.next_position)


async def unfinished(repos: Repositories, member_id: int, now: datetime) -> list[Progress]:
    """The open check-ins the member was sent and has not finished, where they stopped."""
    return [
        _progress_at(checkin, position)
        for checkin, position in await repos.pulse.unfinished(member_id, now)
    ]


def _progress_at(checkin: PulseCheckin, position: int) -> Progress:
    asked = checkin.asked()
    return Progress(checkin, position, asked[position] if position < len(asked) else None)


@dataclass(frozen=True, slots=True)
class Answered:
    """What follows an answer: the next step, whether the answer was already given (a second
    press of an old button changes nothing), and whether to offer support privately."""

    next: Progress
    repeated: bool = False
    offer_support: bool = False


async def _known_names(repos: Repositories) -> tuple[list[str], list[str]]:
    """Names of people and organisations the programme holds, to take out of comments."""
    people = list(await repos.members.display_names())
    people += [coach.name for coach in await repos.coaching.coaches()]
    profiles = await repos.intros.listed()
    people += [profile.name for profile in profiles]
    return people, [profile.organisation for profile in profiles]


async def answer(
    repos: Repositories,
    member: MemberRef,
    checkin_id: int,
    position: int,
    value: int | None,
    now: datetime,
    *,
    comment: str | None = None,
) -> Answered:
    """Keep one answer (None and no comment: skipped) to the question at `position`.

    The answer goes into the unlinked table with only the breakdown group (which of the
    check-in's breakdown tags the member has); the participation row learns only that the
    member moved on, and whether they have answered anything at all.
    """
    checkin = await get(repos, checkin_id, lock=True)
    if not _open(checkin, now):
        raise PulseError(CLOSED)
    participant = await repos.pulse.participant(checkin_id, member.id)
    if participant is None:
        raise PulseError(NOT_SENT)
    if position != participant.next_position:
        return Answered(_progress_at(checkin, participant.next_position), repeated=True)
    question = checkin.asked()[position]
    if value is not None and value not in question.values():
        raise PulseError("That isn't one of the answers to this question.")
    text = (comment or "").strip()
    if question.kind is QuestionKind.TEXT and len(text) > COMMENT_MAX:
        raise CommentTooLong(
            f"That's {len(text):,} characters; please keep it under {COMMENT_MAX:,}, or press Skip."
        )
    given = value is not None or (question.kind is QuestionKind.TEXT and bool(text))
    if given:
        group = [tag for tag in checkin.breakdown if tag in member.tags]
        kept = None
        if question.kind is QuestionKind.TEXT:
            people, organisations = await _known_names(repos)
            kept = remove_names(text, people, organisations)
        await repos.pulse.record(checkin_id, position, group, value, kept)
        participant.answered = True
    participant.next_position = position + 1
    participant.finished = participant.next_position >= len(checkin.questions)
    support = value is not None and signpost(question, value)
    return Answered(_progress_at(checkin, participant.next_position), offer_support=support)


@dataclass(frozen=True, slots=True)
class Summary:
    """A check-in in the staff list: how many were sent it and answered, never who."""

    checkin: PulseCheckin
    sent: int
    respondents: int


async def _summary_of(repos: Repositories, checkin: PulseCheckin) -> Summary:
    sent, respondents, _ = await repos.pulse.participation(checkin.id)
    return Summary(checkin, sent, respondents)


async def summaries(repos: Repositories) -> list[Summary]:
    return [await _summary_of(repos, checkin) for checkin in await repos.pulse.all()]


async def summary(repos: Repositories, checkin_id: int) -> Summary:
    """One check-in's counts, without its results: what staff may see before it closes."""
    return await _summary_of(repos, await get(repos, checkin_id))


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One earlier (or this) check-in's figure for a question, under its own release rule."""

    checkin_id: int
    title: str
    closes_at: datetime
    suppressed: bool
    counts: dict[str, int]
    mean: float | None


@dataclass(frozen=True, slots=True)
class Results:
    """What staff see of a check-in: its release and, per question position, the trend over
    the last check-ins that asked the same question id (oldest first)."""

    checkin: PulseCheckin
    sent: int
    release: Release
    trends: dict[int, list[TrendPoint]]
    policy: Policy  # the thresholds it was released under, to say why something is held back


def policy_of(settings: Settings) -> Policy:
    return Policy(settings.pulse_min_respondents)


async def _release_of(
    repos: Repositories, checkin: PulseCheckin, policy: Policy, respondents: int | None = None
) -> Release:
    """What a check-in may show; `respondents` when the caller has counted them already."""
    if respondents is None:
        _, respondents, _ = await repos.pulse.participation(checkin.id)
    closed = checkin.state == State.CLOSED
    answers = await repos.pulse.answers(checkin.id) if closed else []
    return release(checkin.asked(), checkin.breakdown, closed, respondents, answers, policy)


async def _trend(
    repos: Repositories,
    checkin: PulseCheckin,
    question: Question,
    policy: Policy,
    known: dict[int, Release],
) -> list[TrendPoint]:
    """The question over the last check-ins that asked it, up to this one: never one after."""
    points = []
    asking = await repos.pulse.closed_asking(question.id, question.kind, TREND_LENGTH, checkin)
    for earlier in asking:
        if earlier.id not in known:  # each check-in released once, whichever questions ask
            known[earlier.id] = await _release_of(repos, earlier, policy)
        shown = known[earlier.id]
        match = [q for q in shown.questions if q.question.id == question.id]
        result = match[0] if match else None
        suppressed = result is None or result.suppressed
        points.append(
            TrendPoint(
                earlier.id,
                earlier.title,
                earlier.closes_at,
                suppressed,
                {} if suppressed or result is None else result.counts,
                None if suppressed or result is None else result.mean,
            )
        )
    return list(reversed(points))


async def results(
    repos: Repositories,
    viewer: MemberRef | None,
    checkin_id: int,
    settings: Settings,
    now: datetime,
) -> Results:
    """A check-in's results as `viewer` may see them: refused unless they are staff; nothing
    before close or under the threshold (domain.pulse.release decides). Each viewing is in the
    audit trail."""
    require_staff(viewer)
    assert viewer is not None
    checkin = await get(repos, checkin_id)
    policy = policy_of(settings)
    sent, respondents, _ = await repos.pulse.participation(checkin.id)
    shown = await _release_of(repos, checkin, policy, respondents)
    known = {checkin.id: shown}
    trends: dict[int, list[TrendPoint]] = {}
    if shown.released:
        for position, result in enumerate(shown.questions):
            if result.question.kind is not QuestionKind.TEXT:
                trends[position] = await _trend(repos, checkin, result.question, policy, known)
    released = "yes" if shown.released else "no"
    await record(
        repos, viewer, Action.PULSE_RESULTS, f"checkin:{checkin.id}", now, released=released
    )
    return Results(checkin, sent, shown, trends, policy)
