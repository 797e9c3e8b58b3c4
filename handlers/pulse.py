"""Pulse check-ins in chat: members answer one question at a time with buttons (Skip on every
one), stop and carry on with /checkin; staff follow them with /pulse, close one early, read its
results and define a new one by pasting its YAML.

Every rule is in services/pulse.py. An answer goes from the button (or the typed comment)
straight to `pulse.answer`: the conversation state holds at most the check-in and the position
of a text question, never an answer. The offer of support after a worrying answer is a direct
reply here, never the outbox (whose row would say who got it), and nobody else is told.

The invitation and the reminder are sent by handlers/pulse_jobs.py with the texts made here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.dates import moment_text
from bot.flows import Flow, Step
from bot.messages import Choice, Choices, InboundEvent, Reply, Text, TextMessage, in_place
from bot.payloads import Payload, offer
from bot.refusals import refusals_said
from bot.router import Access, MenuChoice, Router
from bot.scheduler import JobContext
from domain.people import MemberRef
from domain.pulse import Definition, Question, QuestionKind, State
from handlers.faq import ShowEntry
from handlers.pulse_results import results_text
from services import pulse
from services.pulse import CommentTooLong, Progress, PulseError, Summary
from services.pulse_file import EXAMPLE, DefinitionRefused, read_definition
from services.settings import preferences
from storage.pulse import PulseCheckin

router = Router("pulse")

SKIP = "Skip"
START = "Start"
CARRY_ON = "Carry on"
SOURCE = "your message"  # how problems in a pasted definition name where they are
SHOWN_CHECKINS = 5
SUPPORT_ENTRY = "wellbeing-crisis"  # the knowledge base's helplines (knowledge/content)


# Answering: payloads carry the check-in, the question's position and the value, all ints


class Begin(Payload, prefix="pulse:go"):
    """Start, or carry on from where the member stopped."""

    checkin: int


class AnswerWith(Payload, prefix="pulse:a"):
    checkin: int
    position: int
    value: int


class SkipQuestion(Payload, prefix="pulse:skip"):
    checkin: int
    position: int


class PulseFlow(Flow, name="pulse"):
    """A member at a text question; staff pasting a definition."""

    COMMENT = Step()  # data: the check-in and the position, never the answer
    DEFINITION = Step()  # data: nothing yet
    CONFIRM = Step()  # data: the pasted definition (staff's text, not an answer)


_polite = refusals_said(PulseError)  # closed, not sent to you, not staff: said, not raised


def _me(event: InboundEvent) -> MemberRef:
    assert event.member is not None, "check-in routes are for members"
    return event.member


async def zone_of(ctx: Context | JobContext, member_id: int) -> ZoneInfo:
    """The member's own zone, for every time shown to them."""
    return (await preferences(ctx.repos, member_id, ctx.services.settings)).timezone


def when(moment: datetime, zone: ZoneInfo) -> str:
    """`Mon 14 Dec 17:00 (your time)`: every time is shown in the reader's own zone."""
    return f"{moment_text(moment, zone)} (your time)"


def _questions(count: int) -> str:
    return f"{count} question{'s' * (count != 1)}"


def invitation_text(checkin: PulseCheckin, min_respondents: int, zone: ZoneInfo) -> str:
    """What the invitation says, in plain words: what it is, how long, and what anonymous means."""
    return (
        f"The programme's check-in “{checkin.title}” is open to you: "
        f"{_questions(len(checkin.questions))}, about a minute.\n\n"
        "It's anonymous: your answers are kept with no link to you, and staff see only totals "
        f"from at least {min_respondents} people, after it closes. You can skip any question, "
        "and stop and carry on whenever you like until it closes on "
        f"{when(checkin.closes_at, zone)}."
    )


def reminder_text(checkin: PulseCheckin, position: int, zone: ZoneInfo) -> str:
    """The one reminder: where they stopped, and when it closes."""
    where = (
        f"pick up where you left off, at question {position + 1} of {len(checkin.questions)}"
        if position
        else f"it's {_questions(len(checkin.questions))}, about a minute"
    )
    return (
        f"A reminder: the check-in “{checkin.title}” is still open to you; {where}. "
        f"It closes on {when(checkin.closes_at, zone)}. Your answers stay anonymous."
    )


def begin_option(checkin: PulseCheckin, label: str = START) -> Choice:
    return offer(label, Begin(checkin.id))


def _asking(progress: Progress, question: Question) -> tuple[str, tuple[Choice, ...]]:
    """A question as the member sees it: "Question k of n", one button per value, Skip."""
    checkin_id, position = progress.checkin.id, progress.position
    text = f"Question {position + 1} of {progress.total}\n\n{question.text}"
    if question.kind is QuestionKind.TEXT:
        text += "\n\nType your answer here, or press Skip."
    options = [
        offer(question.label(value), AnswerWith(checkin_id, position, value))
        for value in question.values()
    ]
    options.append(offer(SKIP, SkipQuestion(checkin_id, position)))
    return text, tuple(options)


async def _thanks(ctx: Context, progress: Progress, member_id: int) -> str:
    checkin = progress.checkin
    closes = when(checkin.closes_at, await zone_of(ctx, member_id))
    threshold = ctx.services.settings.pulse_min_respondents
    return (
        f"That's all of “{checkin.title}”: thank you. Your answers are kept with no link to you; "
        f"results are shared only as totals from at least {threshold} people, after it closes "
        f"on {closes}."
    )


async def _show(
    event: InboundEvent, ctx: Context, progress: Progress, *, fresh: bool = False
) -> Reply:
    """The member's next question (or the thanks), in place of the one answered unless `fresh`.
    At a text question the conversation waits for the typed answer, holding only where."""
    question, member = progress.question, _me(event)
    state = ctx.conversation.state
    if question is not None and question.kind is QuestionKind.TEXT:
        where = {"checkin": progress.checkin.id, "position": progress.position}
        await ctx.conversation.go_to(PulseFlow.COMMENT, where)
    elif state is not None and state.flow == PulseFlow.name:
        await ctx.conversation.finish()
    if question is None:
        text, options = await _thanks(ctx, progress, member.id), ()
    else:
        text, options = _asking(progress, question)
    if fresh:
        return Choices(text, options) if options else Text(text)
    return in_place(event, text, options)


SUPPORT = (
    "Thank you for saying so. This role can be hard and lonely, and you don't have to carry it "
    "alone. If it would help, you could book a confidential coaching session, be introduced to "
    "a peer who has been there, or see who you can talk to right now. Nobody is told about this."
)


def _support_options(ctx: Context) -> list[Choice]:
    """Coaching, a peer, and the helplines when the knowledge base has them."""
    options = [
        offer("Book a coaching session", MenuChoice("book")),
        offer("Meet a peer", MenuChoice("directory")),
    ]
    if SUPPORT_ENTRY in ctx.services.knowledge.current.entries:
        options.append(offer("Who to talk to now", ShowEntry(SUPPORT_ENTRY)))
    return options


async def _answered(
    event: InboundEvent,
    ctx: Context,
    checkin_id: int,
    position: int,
    value: int | None,
    comment: str | None = None,
) -> list[Reply]:
    """Keep one answer (or a skip) and show what follows; an old button changes nothing."""
    answered = await pulse.answer(
        ctx.repos, _me(event), checkin_id, position, value, ctx.now, comment=comment
    )
    if not answered.offer_support:
        return [await _show(event, ctx, answered.next)]
    support = in_place(event, SUPPORT, _support_options(ctx))  # the offer, then the next one
    return [support, await _show(event, ctx, answered.next, fresh=True)]


@router.choice(Begin, access=Access.MEMBERS, private_only=True)
@_polite
async def begin(event: InboundEvent, ctx: Context, pressed: Begin) -> list[Reply]:
    progress = await pulse.progress(ctx.repos, pressed.checkin, _me(event).id, ctx.now)
    return [await _show(event, ctx, progress, fresh=True)]


@router.choice(AnswerWith, access=Access.MEMBERS, private_only=True)
@_polite
async def answer_with(event: InboundEvent, ctx: Context, pressed: AnswerWith) -> list[Reply]:
    return await _answered(event, ctx, pressed.checkin, pressed.position, pressed.value)


@router.choice(SkipQuestion, access=Access.MEMBERS, private_only=True)
@_polite
async def skip(event: InboundEvent, ctx: Context, pressed: SkipQuestion) -> list[Reply]:
    return await _answered(event, ctx, pressed.checkin, pressed.position, None)


@router.step(PulseFlow.COMMENT, access=Access.MEMBERS)
async def comment_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    """A typed answer to a text question: too long, it may be typed again; any other refusal
    (closed meanwhile) ends the wait."""
    assert isinstance(event.content, TextMessage) and ctx.conversation.state is not None
    where = ctx.conversation.state.data
    try:
        return await _answered(
            event, ctx, int(where["checkin"]), int(where["position"]), None, event.content.text
        )
    except CommentTooLong as error:
        await ctx.conversation.stay()
        return [Text(str(error))]
    except PulseError as error:
        await ctx.conversation.finish()
        return [Text(str(error))]


@router.command(
    "checkin",
    summary="Carry on with an open check-in",
    access=Access.MEMBERS,
    private_only=True,
)
async def checkin(event: InboundEvent, ctx: Context) -> list[Reply]:
    member = _me(event)
    waiting = await pulse.unfinished(ctx.repos, member.id, ctx.now)
    if not waiting:
        return [Text("There's no open check-in waiting for you. When there is, it arrives here.")]
    zone = await zone_of(ctx, member.id)
    lines = [
        f"• “{progress.checkin.title}”: question {progress.position + 1} of {progress.total}, "
        f"closes on {when(progress.checkin.closes_at, zone)}"
        for progress in waiting
    ]
    options = tuple(
        begin_option(progress.checkin, f"{CARRY_ON}: {progress.checkin.title}")
        for progress in waiting
    )
    return [Choices("Open check-ins you haven't finished:\n" + "\n".join(lines), options)]


# Staff: the list, closing early, results, and a new check-in pasted as YAML


class ShowCheckins(Payload, prefix="pulse:list"):
    pass


class ShowResults(Payload, prefix="pulse:results"):
    checkin: int


class AskClose(Payload, prefix="pulse:close"):
    checkin: int


class ConfirmClose(Payload, prefix="pulse:close-yes"):
    checkin: int


class NewCheckin(Payload, prefix="pulse:new"):
    pass


class CreateCheckin(Payload, prefix="pulse:create"):
    pass


class DiscardCheckin(Payload, prefix="pulse:discard"):
    pass


ASK_DEFINITION = (
    "Paste the check-in as one message, in this format (kinds: scale, yesno, choice with "
    f"options, text; leave out segment for every member):\n\n{EXAMPLE}\nOr /cancel."
)
NOT_DEFINING = "That check-in is no longer being defined. Send /pulse to start again."
KINDS = {
    QuestionKind.SCALE: "scale 1 to 5",
    QuestionKind.YESNO: "yes or no",
    QuestionKind.CHOICE: "one of",
    QuestionKind.TEXT: "free text",
}


def _listed(summary: Summary, zone: ZoneInfo) -> str:
    checkin = summary.checkin
    return (
        f"#{checkin.id} “{checkin.title}” ({checkin.state})\n"
        f"opens {when(checkin.opens_at, zone)}\ncloses {when(checkin.closes_at, zone)}\n"
        f"sent to {summary.sent}; {summary.respondents} answered"
    )


def _list_options(summaries: Sequence[Summary]) -> tuple[Choice, ...]:
    options = []
    for summary in summaries:
        number = summary.checkin.id
        options.append(offer(f"Results #{number}", ShowResults(number)))
        if summary.checkin.state != State.CLOSED:
            options.append(offer(f"Close #{number}", AskClose(number)))
    options.append(offer("New check-in", NewCheckin()))
    return tuple(options)


async def _checkins(event: InboundEvent, ctx: Context) -> list[Reply]:
    found = await pulse.summaries(ctx.repos)
    shown = found[:SHOWN_CHECKINS]
    zone = await zone_of(ctx, _me(event).id)
    blocks = [_listed(summary, zone) for summary in shown]
    if len(found) > len(shown):
        blocks.append(f"{len(found) - len(shown)} older: cedp-bot pulse list")
    text = "\n\n".join(["Check-ins, latest first:", *blocks]) if blocks else "No check-ins yet."
    return [in_place(event, text, _list_options(shown))]


@router.command(
    "pulse",
    summary="Check-ins: the list, results, closing one, a new one",
    access=Access.STAFF,
    private_only=True,
)
async def checkins(event: InboundEvent, ctx: Context) -> list[Reply]:
    return await _checkins(event, ctx)


@router.choice(ShowCheckins, access=Access.STAFF, private_only=True)
async def show_checkins(event: InboundEvent, ctx: Context, pressed: ShowCheckins) -> list[Reply]:
    return await _checkins(event, ctx)


@router.choice(ShowResults, access=Access.STAFF, private_only=True)
@_polite
async def show_results(event: InboundEvent, ctx: Context, pressed: ShowResults) -> list[Reply]:
    """Results through the one role check in services.pulse, as the command line's are."""
    settings = ctx.services.settings
    shown = await pulse.results(ctx.repos, event.member, pressed.checkin, settings, ctx.now)
    text = results_text(shown, await zone_of(ctx, _me(event).id))
    return [in_place(event, text, [offer("Back to the list", ShowCheckins())])]


@router.choice(AskClose, access=Access.STAFF, private_only=True)
@_polite
async def ask_close(event: InboundEvent, ctx: Context, pressed: AskClose) -> list[Reply]:
    found = await pulse.get(ctx.repos, pressed.checkin)
    if found.state == State.CLOSED:
        raise PulseError(f"Check-in {found.id} is already closed.")
    text = (
        f"Close check-in #{found.id} “{found.title}” now? It takes no more answers and sends "
        "nothing more; results are shown if enough people answered."
    )
    options = (
        offer(f"Yes, close #{found.id}", ConfirmClose(found.id)),
        offer("Keep it open", ShowCheckins()),
    )
    return [in_place(event, text, options)]


@router.choice(ConfirmClose, access=Access.STAFF, private_only=True)
@_polite
async def confirm_close(event: InboundEvent, ctx: Context, pressed: ConfirmClose) -> list[Reply]:
    closed = await pulse.close(ctx.repos, pressed.checkin, ctx.now, _me(event))
    _, respondents, _ = await ctx.repos.pulse.participation(closed.id)
    text = closed_text(closed, respondents)
    return [in_place(event, text, [offer(f"Results #{closed.id}", ShowResults(closed.id))])]


def closed_text(checkin: PulseCheckin, respondents: int) -> str:
    """What staff are told of a closed check-in: counts only."""
    people = f"{respondents} {'person' if respondents == 1 else 'people'}"
    return (
        f"Check-in #{checkin.id} “{checkin.title}” has closed: {people} answered. Results: /pulse"
    )


@router.choice(NewCheckin, access=Access.STAFF, private_only=True)
async def new_checkin(event: InboundEvent, ctx: Context, pressed: NewCheckin) -> list[Reply]:
    await ctx.conversation.go_to(PulseFlow.DEFINITION)
    return [in_place(event, ASK_DEFINITION)]


def _question_line(number: int, question: Question) -> str:
    kind = KINDS[question.kind]
    if question.kind is QuestionKind.CHOICE:
        kind = f"{kind} {', '.join(question.options)}"
    elif question.kind is QuestionKind.SCALE and question.options:
        kind = f"{kind}, {question.options[0]} to {question.options[-1]}"
    return f"{number}. {question.text} ({kind})"


def _opening(opens: datetime, ctx: Context, zone: ZoneInfo) -> str:
    """When a new check-in opens: a time already passed means at once."""
    return "now" if opens <= ctx.now else when(opens, zone)


async def _summary(ctx: Context, staff: MemberRef, definition: Definition) -> str:
    """What staff confirm: title, who it reaches now, when, and the questions."""
    zone = await zone_of(ctx, staff.id)
    reaches = await pulse.reach(ctx.repos, definition.segment)
    segment = (
        f"members tagged {', '.join(definition.segment)}" if definition.segment else "every member"
    )
    opens = _opening(definition.opens, ctx, zone)
    lines = [
        f"New check-in “{definition.title}”",
        f"For: {segment} ({reaches} {'member' if reaches == 1 else 'members'} now)",
        f"Opens {opens}; closes {when(definition.closes, zone)}",
    ]
    if definition.breakdown:
        lines.append(f"Results may compare: {', '.join(definition.breakdown)}")
    lines += ["", "Questions:"]
    lines += [_question_line(n, q) for n, q in enumerate(definition.questions, start=1)]
    return "\n".join(lines)


def _confirm_options() -> tuple[Choice, ...]:
    return (offer("Create", CreateCheckin()), offer("Cancel", DiscardCheckin()))


async def _paste_again(ctx: Context, refused: DefinitionRefused) -> list[Reply]:
    """The problems, each with its line; the step waits for a corrected paste."""
    await ctx.conversation.go_to(PulseFlow.DEFINITION)
    return [Text(f"Sorry, {refused}\n\nPlease paste a corrected definition, or /cancel.")]


@router.step(PulseFlow.DEFINITION, access=Access.STAFF)
@router.step(PulseFlow.CONFIRM, access=Access.STAFF)
async def definition_pasted(event: InboundEvent, ctx: Context) -> list[Reply]:
    """A pasted definition (a corrected one replaces what waits for Create): its problems with
    their lines, or the summary to confirm."""
    assert isinstance(event.content, TextMessage)
    pasted = event.content.text
    try:
        definition = read_definition(pasted, SOURCE, ctx.now)
    except DefinitionRefused as refused:
        return await _paste_again(ctx, refused)
    await ctx.conversation.go_to(PulseFlow.CONFIRM, {"definition": pasted})
    return [Choices(await _summary(ctx, _me(event), definition), _confirm_options())]


def _pasted(ctx: Context) -> str | None:
    state = ctx.conversation.state
    if state is None or (state.flow, state.step) != PulseFlow.CONFIRM.key:
        return None
    return str(state.data["definition"])


@router.choice(CreateCheckin, access=Access.STAFF, private_only=True)
async def create(event: InboundEvent, ctx: Context, pressed: CreateCheckin) -> list[Reply]:
    pasted = _pasted(ctx)
    if pasted is None:
        return [Text(NOT_DEFINING)]
    try:
        definition = read_definition(pasted, SOURCE, ctx.now)  # its closing may have passed
    except DefinitionRefused as refused:
        return await _paste_again(ctx, refused)
    await ctx.conversation.finish()
    made = await pulse.create(ctx.repos, definition, ctx.now, _me(event))
    zone = await zone_of(ctx, _me(event).id)
    opens, closes = _opening(made.opens_at, ctx, zone), when(made.closes_at, zone)
    text = f"Check-in #{made.id} “{made.title}” created: it opens {opens} and closes {closes}."
    return [in_place(event, text, [offer("Check-ins", ShowCheckins())])]


@router.choice(DiscardCheckin, access=Access.STAFF, private_only=True)
async def discard(event: InboundEvent, ctx: Context, pressed: DiscardCheckin) -> list[Reply]:
    if _pasted(ctx) is not None:
        await ctx.conversation.finish()
    return [in_place(event, "Not created.", [offer("Check-ins", ShowCheckins())])]
