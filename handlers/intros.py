"""Peer introductions in chat: find peers, ask for an introduction with a note, answer one
(Accept / Not now / Block), withdraw, and see one's introductions with the details shared.
Every rule is in services/intros.py; the directory entry itself is handlers/directory.py.

The messages here are also what the jobs send (handlers/intros_jobs.py): a request, a round's
proposal and their reminder carry the same buttons, bound to the person they are sent to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum

from bot.context import Context
from bot.flows import Flow, Step
from bot.messages import Choice, InboundEvent, Reply, Text, TextMessage, in_place
from bot.notify import queue_for, queue_for_member
from bot.payloads import Payload, offer
from bot.refusals import refusals_said
from bot.router import Access, Router
from domain.intros import REGIONS, Answer, parse_note
from services import intros
from services.intros import ContactCard, IntrosError, Search, Seen
from storage.intros import DirectoryProfile, Introduction

router = Router("intros")

NOT_THIS_TIME = (
    "Your introduction to {names} did not happen this time. Send /directory to find other peers."
)


# Where the /directory menu leads (handlers/directory.py offers these)


class Find(Payload, prefix="dir:find"):
    pass


class Requests(Payload, prefix="dir:requests"):
    pass


class Introductions(Payload, prefix="dir:intros"):
    pass


# Answers, bound to the person the request or proposal was sent to


class Accept(Payload, prefix="intro:yes"):
    introduction: int


class NotNow(Payload, prefix="intro:no"):
    introduction: int


class Block(Payload, prefix="intro:block"):
    introduction: int


class NeverPairThem(Payload, prefix="intro:never"):
    """A round's proposal: "never pair me with them" (a private no, and a no to this one)."""

    introduction: int


class Withdraw(Payload, prefix="intro:withdraw"):
    introduction: int


class OpenSlackGroup(Payload, prefix="intro:slack-group"):
    introduction: int


def _month(day: date) -> str:
    return f"{day:%B %Y}"


def profile_text(entry: DirectoryProfile) -> str:
    """A directory entry as others see it: never a contact detail."""
    lines = [f"{entry.name}, {entry.organisation} ({entry.region})"]
    if entry.in_post_since is not None:
        lines.append(f"In post since {_month(entry.in_post_since)}")
    if entry.interests:
        lines.append("Interests: " + ", ".join(entry.interests))
    if entry.talk_about:
        lines.append(f"Happy to talk about: {entry.talk_about}")
    return "\n".join(lines)


def _lapses(introduction: Introduction) -> str:
    return (
        f"{introduction.expires_at:%A} {introduction.expires_at.day} {introduction.expires_at:%B}"
    )


def answer_options(introduction: Introduction) -> tuple[Choice, ...]:
    """The buttons on a request or a round's proposal."""
    if introduction.requester is not None:
        return (
            offer("Accept", Accept(introduction.id)),
            offer("Not now", NotNow(introduction.id)),
            offer("Block", Block(introduction.id)),
        )
    options = [
        offer("Yes, introduce us", Accept(introduction.id)),
        offer("Not this time", NotNow(introduction.id)),
    ]
    if len(introduction.parties) == 2:
        options.append(offer("Never pair me with them", NeverPairThem(introduction.id)))
    return tuple(options)


def request_text(introduction: Introduction, requester: DirectoryProfile) -> str:
    """What the person asked receives: who asks, their entry, their note."""
    note = f"\n\nTheir note:\n{introduction.note}" if introduction.note else ""
    return (
        f"{requester.name} would like to be introduced to you.\n\n{profile_text(requester)}"
        f"{note}\n\nIf you accept, you'll both receive each other's chosen contact details. "
        f"If not, they won't be told why. The request lapses on {_lapses(introduction)}."
    )


def proposal_text(introduction: Introduction, others: Sequence[DirectoryProfile]) -> str:
    """What each person in a round's pair (or trio) receives."""
    who = "\n\n".join(profile_text(entry) for entry in others)
    return (
        f"This round's introduction for you:\n\n{who}\n\nWould you like to be introduced? "
        "Details are shared only if everyone says yes; nobody is told who said no. "
        f"This lapses on {_lapses(introduction)}."
    )


def reminder_text(introduction: Introduction, others: Sequence[DirectoryProfile]) -> str:
    names = " and ".join(entry.name for entry in others) or "a peer"
    if introduction.requester is not None:
        opening = f"A reminder: {names} asked to be introduced to you."
    else:
        opening = f"A reminder: this round proposed introducing you to {names}."
    return f"{opening} It lapses on {_lapses(introduction)}; your answer?"


# Finding peers and asking: the payloads carry small ints and enums, never names or text


class IntrosFlow(Flow, name="intros"):
    """What a member types while finding peers or asking for an introduction."""

    NAME = Step()  # a name (or organisation) to look for
    FOUND = Step()  # no typing awaited: holds the typed name while its results are paged
    NOTE = Step()  # the note with a request; data: the invitee


class By(StrEnum):
    INTEREST = "interest"
    REGION = "region"
    NEW = "new"
    NAME = "name"


class FindBy(Payload, prefix="intro:by"):
    by: By


class InterestsPage(Payload, prefix="intro:interests"):
    page: int


class Results(Payload, prefix="intro:results"):
    """A page of results: `index` is into interests_in_use (INTEREST) or REGIONS (REGION)."""

    by: By
    index: int
    page: int


class ShowPeer(Payload, prefix="intro:peer"):
    """A peer's page, with the results page it came from for Back."""

    member: int
    by: By
    index: int
    page: int


class Ask(Payload, prefix="intro:ask"):
    member: int


class SendWithoutNote(Payload, prefix="intro:send"):
    member: int


class CancelAsk(Payload, prefix="intro:ask-cancel"):
    pass


class ConfirmBlock(Payload, prefix="intro:block-yes"):
    introduction: int


class ShowRequest(Payload, prefix="intro:show"):
    introduction: int


class ConfirmWithdraw(Payload, prefix="intro:withdraw-yes"):
    introduction: int


SLACK = "slack"  # the platform whose accounts can share a group DM
PAGE_SIZE = 5
INTERESTS_PAGE_SIZE = 8
FIND_BY = "Find peers by:"
NOTE_PROMPT = (
    "Add a short note to say why (at most 500 characters), or send it without one. "
    "Just type it here."
)
SENT = (
    "Sent to {name}. If they accept, you'll both get each other's details; "
    "I'll let you know either way within 7 days."
)
NOT_NOW = "Fine: {names} won't be told why."
BLOCKED = "Done: {names} won't be told, can't ask you again and won't be suggested to you."
NEVER_PAIRED = "Done: {names} won't be told, and rounds will never pair you again."
WHEN_THEY_SAY_YES = "Thanks: when {names} {verb} yes too, I'll send you each other's details."
TRY_AGAIN = "Sorry: {error}. Please type it again, or /cancel."


def sorry(error: IntrosError) -> str:
    return f"Sorry, {error}."


_polite = refusals_said(IntrosError, sorry)  # a stale button, a limit, someone not listed


def _me(event: InboundEvent) -> int:
    assert event.member is not None, "introduction routes are for members"
    return event.member.id


def _and(names: Sequence[str]) -> str:
    return " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"


def _label(text: str) -> str:
    return text[:1].upper() + text[1:]


async def _names_of(ctx: Context, member_ids: Sequence[int]) -> str:
    named = await intros.names(ctx.repos, member_ids)
    return _and([named[member_id] for member_id in member_ids])


@router.choice(Find, access=Access.MEMBERS, private_only=True)
@_polite
async def find(event: InboundEvent, ctx: Context, pressed: Find) -> list[Reply]:
    await intros.own_entry(ctx.repos, _me(event))  # only those listed may search
    options = (
        offer("Interest", FindBy(By.INTEREST)),
        offer("Region", FindBy(By.REGION)),
        offer("Also new in post", Results(By.NEW, 0, 0)),
        offer("Name", FindBy(By.NAME)),
    )
    return [in_place(event, FIND_BY, options)]


def _interests_page(interests: Sequence[str], page: int) -> tuple[str, tuple[Choice, ...]]:
    start = page * INTERESTS_PAGE_SIZE
    options = [
        offer(_label(interest), Results(By.INTEREST, start + place, 0))
        for place, interest in enumerate(interests[start : start + INTERESTS_PAGE_SIZE])
    ]
    if start + INTERESTS_PAGE_SIZE < len(interests):
        options.append(offer("More", InterestsPage(page + 1)))
    options.append(offer("New search", Find()))
    return "Which interest?", tuple(options)


@router.choice(FindBy, access=Access.MEMBERS, private_only=True)
async def find_by(event: InboundEvent, ctx: Context, pressed: FindBy) -> list[Reply]:
    if pressed.by is By.NAME:
        await ctx.conversation.go_to(IntrosFlow.NAME)
        return [in_place(event, "Type a name, or part of one, or an organisation. Or /cancel.")]
    if pressed.by is By.REGION:
        options = [offer(region, Results(By.REGION, i, 0)) for i, region in enumerate(REGIONS)]
        return [in_place(event, "Which region?", [*options, offer("New search", Find())])]
    return await interests_page(event, ctx, InterestsPage(0))


@router.choice(InterestsPage, access=Access.MEMBERS, private_only=True)
async def interests_page(event: InboundEvent, ctx: Context, pressed: InterestsPage) -> list[Reply]:
    interests = await intros.interests_in_use(ctx.repos)
    if not interests:
        return [
            in_place(event, "Nobody has listed an interest yet.", [offer("New search", Find())])
        ]
    return [in_place(event, *_interests_page(interests, pressed.page))]


@router.step(IntrosFlow.NAME, access=Access.MEMBERS)
@_polite
async def name_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    await ctx.conversation.go_to(IntrosFlow.FOUND, {"name": event.content.text})
    return await results(event, ctx, Results(By.NAME, 0, 0))


async def _wanted(ctx: Context, pressed: Results) -> tuple[Search, str] | None:
    """What a results page looks for, and its heading; None when it is no longer known (an
    interest nobody has now, or a typed name the conversation no longer holds)."""
    if pressed.by is By.NEW:
        return Search(new_in_post=True), "Peers also new in post"
    if pressed.by is By.REGION:
        if pressed.index >= len(REGIONS):
            return None
        return Search(region=REGIONS[pressed.index]), f"Peers in {REGIONS[pressed.index]}"
    if pressed.by is By.INTEREST:
        interests = await intros.interests_in_use(ctx.repos)
        if pressed.index >= len(interests):
            return None
        interest = interests[pressed.index]
        return Search(interest=interest), f"Peers interested in {interest}"
    state = ctx.conversation.state
    if state is None or state.flow != IntrosFlow.name or "name" not in state.data:
        return None
    return Search(name=state.data["name"]), f"Peers matching “{state.data['name']}”"


def _result_line(entry: DirectoryProfile) -> str:
    """One peer in a list of results: never a contact detail."""
    interests = f": {', '.join(entry.interests)}" if entry.interests else ""
    return f"• {entry.name}, {entry.organisation} ({entry.region}){interests}"


@router.choice(Results, access=Access.MEMBERS, private_only=True)
@_polite
async def results(event: InboundEvent, ctx: Context, pressed: Results) -> list[Reply]:
    wanted = await _wanted(ctx, pressed)
    new_search = offer("New search", Find())
    if wanted is None:
        return [in_place(event, "That search has ended; please start a new one.", [new_search])]
    search, heading = wanted
    found = await intros.search(ctx.repos, _me(event), search, ctx.now.date())
    if not found:
        text = f"{heading}: nobody in the directory yet. Try another search?"
        return [in_place(event, text, [new_search])]
    pages = (len(found) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(pressed.page, pages - 1)
    shown = found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = "\n".join(_result_line(entry) for entry in shown)
    where = f" (page {page + 1} of {pages})" if pages > 1 else ""
    options = [
        offer(entry.name, ShowPeer(entry.member_id, pressed.by, pressed.index, page))
        for entry in shown
    ]
    if page + 1 < pages:
        options.append(offer("More", Results(pressed.by, pressed.index, page + 1)))
    options.append(new_search)
    return [in_place(event, f"{heading}{where}:\n{lines}", options)]


@router.choice(ShowPeer, access=Access.MEMBERS, private_only=True)
@_polite
async def show_peer(event: InboundEvent, ctx: Context, pressed: ShowPeer) -> list[Reply]:
    entry = await intros.peer(ctx.repos, _me(event), pressed.member)
    options = (
        offer("Ask for an introduction", Ask(entry.member_id)),
        offer("Back", Results(pressed.by, pressed.index, pressed.page)),
    )
    return [in_place(event, profile_text(entry), options)]


@router.choice(Ask, access=Access.MEMBERS, private_only=True)
@_polite
async def ask(event: InboundEvent, ctx: Context, pressed: Ask) -> list[Reply]:
    entry = await intros.peer(ctx.repos, _me(event), pressed.member)
    await ctx.conversation.go_to(IntrosFlow.NOTE, {"invitee": entry.member_id})
    options = (
        offer("Send without a note", SendWithoutNote(entry.member_id)),
        offer("Cancel", CancelAsk()),
    )
    return [in_place(event, f"Asking {entry.name} for an introduction.\n\n{NOTE_PROMPT}", options)]


@router.step(IntrosFlow.NOTE, access=Access.MEMBERS)
@_polite
async def note_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage) and ctx.conversation.state is not None
    try:
        note = parse_note(event.content.text)
    except ValueError as error:
        await ctx.conversation.stay()
        return [Text(TRY_AGAIN.format(error=error))]
    return await _send(event, ctx, int(ctx.conversation.state.data["invitee"]), note)


@router.choice(SendWithoutNote, access=Access.MEMBERS, private_only=True)
@_polite
async def send_without_note(
    event: InboundEvent, ctx: Context, pressed: SendWithoutNote
) -> list[Reply]:
    return await _send(event, ctx, pressed.member, "")


@router.choice(CancelAsk, access=Access.MEMBERS, private_only=True)
async def cancel_ask(event: InboundEvent, ctx: Context, pressed: CancelAsk) -> list[Reply]:
    await ctx.conversation.finish()
    return [in_place(event, "Not sent.", [offer("New search", Find())])]


async def _send(event: InboundEvent, ctx: Context, invitee_id: int, note: str) -> list[Reply]:
    """Ask for the introduction and queue the request, with its buttons, for the invitee."""
    await ctx.conversation.finish()  # asked or refused, the note is no longer awaited
    introduction = await intros.request(ctx.repos, _me(event), invitee_id, note, ctx.now)
    requester = await intros.profile(ctx.repos, _me(event))
    invitee = await ctx.repos.members.get(invitee_id)
    assert requester is not None and invitee is not None, "request() checked both are listed"
    await queue_for_member(
        ctx.repos,
        ctx.services.binder,
        invitee,
        request_text(introduction, requester),
        ctx.now,
        answer_options(introduction),
    )
    name = await _names_of(ctx, [invitee_id])
    return [in_place(event, SENT.format(name=name))]


# Answers to a request or a round's proposal


@router.choice(Accept, access=Access.MEMBERS, private_only=True)
@_polite
async def accept(event: InboundEvent, ctx: Context, pressed: Accept) -> list[Reply]:
    me = _me(event)
    answered = await intros.answer(ctx.repos, me, pressed.introduction, True, ctx.now)
    introduction = answered.introduction
    if answered.complete:
        return await _introduce(event, ctx, introduction)
    if intros.seen_by(introduction, me, ctx.now) is Seen.INTRODUCED:  # pressed once more
        return [await _introduced_reply(event, ctx, introduction)]
    waiting = [p.member_id for p in introduction.parties if p.answer != Answer.ACCEPTED]
    names = await _names_of(ctx, waiting)
    verb = "says" if len(waiting) == 1 else "say"
    return [in_place(event, WHEN_THEY_SAY_YES.format(names=names, verb=verb))]


@router.choice(NotNow, access=Access.MEMBERS, private_only=True)
@_polite
async def not_now(event: InboundEvent, ctx: Context, pressed: NotNow) -> list[Reply]:
    answered = await intros.answer(ctx.repos, _me(event), pressed.introduction, False, ctx.now)
    names = await _names_of(ctx, answered.introduction.others(_me(event)))
    return [in_place(event, NOT_NOW.format(names=names))]


@router.choice(Block, access=Access.MEMBERS, private_only=True)
@_polite
async def block(event: InboundEvent, ctx: Context, pressed: Block) -> list[Reply]:
    introduction = await intros.introduction(ctx.repos, _me(event), pressed.introduction)
    names = await _names_of(ctx, introduction.others(_me(event)))
    text = f"Block {names}? They won't be told, can't ask you again and won't be suggested to you."
    options = (
        offer("Yes, block", ConfirmBlock(introduction.id)),
        offer("Cancel", ShowRequest(introduction.id)),
    )
    return [in_place(event, text, options)]


@router.choice(ConfirmBlock, access=Access.MEMBERS, private_only=True)
@_polite
async def confirm_block(event: InboundEvent, ctx: Context, pressed: ConfirmBlock) -> list[Reply]:
    me = _me(event)
    answered = await intros.answer(ctx.repos, me, pressed.introduction, False, ctx.now, block=True)
    names = await _names_of(ctx, answered.introduction.others(me))
    return [in_place(event, BLOCKED.format(names=names))]


@router.choice(NeverPairThem, access=Access.MEMBERS, private_only=True)
@_polite
async def never_pair_them(event: InboundEvent, ctx: Context, pressed: NeverPairThem) -> list[Reply]:
    me = _me(event)
    answered = await intros.answer(ctx.repos, me, pressed.introduction, False, ctx.now)
    others = answered.introduction.others(me)
    for other in others:
        await intros.never_pair_with(ctx.repos, me, other_id=other)
    return [in_place(event, NEVER_PAIRED.format(names=await _names_of(ctx, others)))]


@router.choice(ShowRequest, access=Access.MEMBERS, private_only=True)
@_polite
async def show_request(event: InboundEvent, ctx: Context, pressed: ShowRequest) -> list[Reply]:
    me = _me(event)
    introduction = await intros.introduction(ctx.repos, me, pressed.introduction)
    if intros.seen_by(introduction, me, ctx.now) is not Seen.WAITING_FOR_YOU:
        raise IntrosError("that one is no longer waiting for your answer")
    others = [await intros.profile(ctx.repos, other) for other in introduction.others(me)]
    listed = [entry for entry in others if entry is not None]
    if introduction.requester is not None and listed:
        text = request_text(introduction, listed[0])
    else:
        text = proposal_text(introduction, listed)
    return [in_place(event, text, answer_options(introduction))]


# Introduced: each gets the others' cards (shared_contacts alone reads contact details)


def _card_text(card: ContactCard) -> str:
    details = "\n".join(card.lines) or "(no contact details chosen)"
    return f"{card.name}, {card.organisation}\n{details}"


async def _cards_for(ctx: Context, viewer_id: int, introduction: Introduction) -> list[ContactCard]:
    cards = [
        await intros.shared_contacts(ctx.repos, viewer_id, other)
        for other in introduction.others(viewer_id)
    ]
    return [card for card in cards if card is not None]


async def _first_message(ctx: Context, viewer_id: int, cards: Sequence[ContactCard]) -> str:
    """A suggested opening, on an interest they share when there is one."""
    mine = await intros.profile(ctx.repos, viewer_id)
    theirs = [await intros.profile(ctx.repos, card.member_id) for card in cards]
    shared = [
        interest
        for interest in (mine.interests if mine else [])
        if all(entry is not None and interest in entry.interests for entry in theirs)
    ]
    topic = f"compare notes on {shared[0]}" if shared else "hear how things are going for you"
    names = _and([card.name for card in cards])
    return (
        f"Hello {names}, the CEDP bot introduced us. I'd love to {topic}: "
        "could we find 30 minutes in the next few weeks?"
    )


async def _introduced_text(ctx: Context, viewer_id: int, introduction: Introduction) -> str:
    cards = await _cards_for(ctx, viewer_id, introduction)
    if not cards:
        return "That introduction no longer stands."
    blocks = "\n\n".join(_card_text(card) for card in cards)
    first = await _first_message(ctx, viewer_id, cards)
    return (
        f"You're introduced! Here are the details they chose to share:\n\n{blocks}\n\n"
        f"A first message you could send:\n{first}"
    )


def _group_option(introduction: Introduction) -> tuple[Choice, ...]:
    return (offer("Open a group DM", OpenSlackGroup(introduction.id)),)


async def _on_slack(ctx: Context, introduction: Introduction) -> bool:
    """Whether everyone in it has a Slack account, so the bot can open a group DM."""
    for party in introduction.parties:
        member = await ctx.repos.members.get(party.member_id)
        if member is None or not any(i.platform == SLACK for i in member.identities):
            return False
    return True


async def _introduced_reply(event: InboundEvent, ctx: Context, introduction: Introduction) -> Reply:
    text = await _introduced_text(ctx, _me(event), introduction)
    group = event.sender.platform == SLACK and await _on_slack(ctx, introduction)
    return in_place(event, text, _group_option(introduction) if group else ())


async def _introduce(event: InboundEvent, ctx: Context, introduction: Introduction) -> list[Reply]:
    """Everyone said yes: the actor reads it here, the others in their outbox."""
    slack = _group_option(introduction) if await _on_slack(ctx, introduction) else ()
    for other in introduction.others(_me(event)):
        member = await ctx.repos.members.get(other)
        if member is not None:
            text = await _introduced_text(ctx, other, introduction)
            await queue_for_member(
                ctx.repos, ctx.services.binder, member, text, ctx.now, on_platform={SLACK: slack}
            )
    return [await _introduced_reply(event, ctx, introduction)]


@router.choice(OpenSlackGroup, access=Access.MEMBERS, private_only=True)
@_polite
async def open_slack_group(
    event: InboundEvent, ctx: Context, pressed: OpenSlackGroup
) -> list[Reply]:
    """One message to a group DM of everyone in it (the Slack outlet opens one for a list)."""
    me = _me(event)
    accounts = await intros.slack_group(ctx.repos, me, pressed.introduction, ctx.now)
    introduction = await intros.introduction(ctx.repos, me, pressed.introduction)
    names = await _names_of(ctx, [party.member_id for party in introduction.parties])
    text = f"Hello {names}: the CEDP bot opened this conversation for your introduction."
    await queue_for(ctx.repos, ctx.services.binder, SLACK, ",".join(accounts), text, ctx.now)
    return [in_place(event, "Done: look for the group DM in Slack in a moment.")]


# The member's requests and introductions


def _lapses_short(introduction: Introduction) -> str:
    return (
        f"{introduction.expires_at:%a} {introduction.expires_at.day} {introduction.expires_at:%b}"
    )


@router.choice(Requests, access=Access.MEMBERS, private_only=True)
async def requests(event: InboundEvent, ctx: Context, pressed: Requests) -> list[Reply]:
    me = _me(event)
    everything = await intros.introductions_of(ctx.repos, me)
    named = await intros.names(ctx.repos, sorted({m for i in everything for m in i.others(me)}))
    waiting, mine, options = [], [], []
    for introduction in everything:
        names = _and([named[other] for other in introduction.others(me)])
        seen = intros.seen_by(introduction, me, ctx.now)
        if seen is Seen.WAITING_FOR_YOU:
            waiting.append(f"• {names} (lapses {_lapses_short(introduction)})")
            options.append(offer(f"Answer {names}", ShowRequest(introduction.id)))
        elif introduction.requester == me:
            mine.append(f"• {names}: {seen.value}")
            if seen is Seen.WAITING_FOR_THEM:
                options.append(offer(f"Withdraw: {names}", Withdraw(introduction.id)))
    sections = [
        f"{heading}:\n" + "\n".join(lines)
        for heading, lines in (("Waiting for your answer", waiting), ("Your requests", mine))
        if lines
    ]
    text = "\n\n".join(sections) or "No requests yet. Find a peer to ask for an introduction."
    return [in_place(event, text, [*options, offer("Find peers", Find())])]


@router.choice(Withdraw, access=Access.MEMBERS, private_only=True)
@_polite
async def withdraw(event: InboundEvent, ctx: Context, pressed: Withdraw) -> list[Reply]:
    introduction = await intros.introduction(ctx.repos, _me(event), pressed.introduction)
    names = await _names_of(ctx, introduction.others(_me(event)))
    options = (
        offer("Yes, withdraw", ConfirmWithdraw(introduction.id)),
        offer("Keep it", Requests()),
    )
    return [in_place(event, f"Withdraw your request to {names}? They won't be told.", options)]


@router.choice(ConfirmWithdraw, access=Access.MEMBERS, private_only=True)
@_polite
async def confirm_withdraw(
    event: InboundEvent, ctx: Context, pressed: ConfirmWithdraw
) -> list[Reply]:
    introduction = await intros.withdraw(ctx.repos, _me(event), pressed.introduction, ctx.now)
    names = await _names_of(ctx, introduction.others(_me(event)))
    return [
        in_place(event, f"Withdrawn: your request to {names}.", [offer("Requests", Requests())])
    ]


@router.choice(Introductions, access=Access.MEMBERS, private_only=True)
async def introductions(event: InboundEvent, ctx: Context, pressed: Introductions) -> list[Reply]:
    """Accepted introductions, newest first, with the details each other person still shares."""
    me = _me(event)
    blocks = []
    for introduction in await intros.introductions_of(ctx.repos, me):
        if intros.seen_by(introduction, me, ctx.now) is Seen.INTRODUCED:
            blocks.extend(_card_text(card) for card in await _cards_for(ctx, me, introduction))
    text = (
        "Your introductions:\n\n" + "\n\n".join(blocks)
        if blocks
        else "No introductions yet. Find a peer to ask for one."
    )
    return [in_place(event, text, [offer("Find peers", Find())])]
