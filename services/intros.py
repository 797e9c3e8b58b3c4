"""Peer introductions: the directory, requests and their answers, matching rounds, limits and
the consent record. The one home of these rules; the chat, the command line and the jobs call it.

Nobody's contact details move without their say-so: `shared_contacts` is the one function that
hands them out, and it does so only to someone the owner is in an accepted introduction with.

The one who asked never learns when or why an introduction did not happen: a "Not now" or a
block is stored as such, but to the one who asked the request looks the same as one still
waiting until it lapses, seven days after it was made, and then they hear the same words
whatever happened. Timed work (the reminder, the lapse, rounds) is scheduled as jobs in the
transaction that decides it; handlers/intros_jobs.py runs it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.errors import Refusal
from domain.intros import (
    Answer,
    Candidate,
    ConsentKind,
    ContactKind,
    Origin,
    Status,
    new_in_post,
    pair_up,
)
from domain.people import MemberRef
from services.audit import Action, member_label, record
from storage.intros import DirectoryProfile, Introduction, IntroParty, IntroRound
from storage.models import Member
from storage.repositories import Repositories

REQUEST_LIFETIME = timedelta(days=7)
REMINDER_AFTER = timedelta(days=5)  # the one reminder: two days before it lapses
MAX_WAITING_REQUESTS = 5
MAX_REQUESTS_PER_WEEK = 10
ROUNDS_IGNORED_BEFORE_ASKING = 3
ROUND_CADENCES_WEEKS = (2, 4)
DEFAULT_COOLDOWN_WEEKS = 12

# The job kinds this module schedules; handlers/intros_jobs.py runs them.
REMIND = "intros:remind"
CLOSE = "intros:close"
ROUND = "intros:round"


class IntrosError(Refusal):
    """A directory or introduction request the rules refuse; the message says why."""


class Seen(StrEnum):
    """Where an introduction stands as one of its parties may see it."""

    WAITING_FOR_YOU = "waiting for your answer"
    WAITING_FOR_THEM = "waiting for a reply"
    INTRODUCED = "introduced"
    YOU_SAID_NO = "you said not now"
    YOU_WITHDREW = "you withdrew it"
    DID_NOT_HAPPEN = "did not happen this time"


@dataclass(frozen=True, slots=True)
class ProfileDraft:
    """What a member fills in to join the directory or edit their entry (already parsed)."""

    name: str
    organisation: str
    region: str
    in_post_since: date | None
    interests: tuple[str, ...]
    talk_about: str = ""
    shares: frozenset[ContactKind] = frozenset()
    email: str | None = None
    phone: str | None = None
    buddy: bool = False

    @classmethod
    def of(cls, profile: DirectoryProfile) -> ProfileDraft:
        return cls(
            name=profile.name,
            organisation=profile.organisation,
            region=profile.region,
            in_post_since=profile.in_post_since,
            interests=tuple(profile.interests),
            talk_about=profile.talk_about,
            shares=frozenset(ContactKind(kind) for kind in profile.shares),
            email=profile.email,
            phone=profile.phone,
            buddy=profile.buddy,
        )


@dataclass(frozen=True, slots=True)
class Search:
    """What a member looks for; every field given must match."""

    interest: str | None = None
    region: str | None = None
    new_in_post: bool = False
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ContactCard:
    """Someone's chosen contact details, for a person they accepted an introduction with."""

    member_id: int
    name: str
    organisation: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Answered:
    """What an answer did: `complete` when everyone has now accepted (share the details)."""

    introduction: Introduction
    complete: bool


@dataclass(frozen=True, slots=True)
class Closed:
    """What the lapse of an introduction leaves to tell: who hears "not this time", and who
    ignored enough rounds in a row to be asked whether to stay in them."""

    introduction: Introduction
    tell: tuple[int, ...]
    ask_to_stay: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RoundPlan:
    """A round as staff start it."""

    tags: tuple[str, ...] = ()
    buddies: bool = False
    every_weeks: int | None = None
    cooldown_weeks: int = DEFAULT_COOLDOWN_WEEKS
    start_at: datetime | None = None  # None: now


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts only: what staff may see of introductions."""

    listed: int
    suspended: int
    requests: int
    accepted: int
    declined: int
    expired: int
    withdrawn: int
    waiting: int
    rounds: int
    round_introductions: int
    round_accepted: int


@dataclass(frozen=True, slots=True)
class ConsentLine:
    """One entry of a member's own consent record, with the names of the others involved."""

    at: datetime
    kind: ConsentKind
    others: tuple[str, ...]
    detail: str


# The directory


def _shares_text(shares: frozenset[ContactKind] | Sequence[str]) -> str:
    kinds = sorted(ContactKind(kind).value for kind in shares)
    return "sharing " + (", ".join(kinds) if kinds else "no contact details")


async def profile(repos: Repositories, member_id: int) -> DirectoryProfile | None:
    return await repos.intros.profile(member_id)


async def _listed(repos: Repositories, member_id: int) -> DirectoryProfile:
    """The member's own entry, if they may use the directory now."""
    found = await repos.intros.profile(member_id)
    if found is None:
        raise IntrosError("you're not in the directory: send /directory to join")
    if found.suspended_at is not None:
        raise IntrosError(
            "your place in the directory is paused by the programme team; please ask them"
        )
    return found


async def own_entry(repos: Repositories, member_id: int) -> DirectoryProfile:
    """The member's own entry when they may use the directory now; else IntrosError says why
    (the chat checks this before offering a search)."""
    return await _listed(repos, member_id)


async def _check_shares(repos: Repositories, member_id: int, draft: ProfileDraft) -> None:
    member = await repos.members.get(member_id)
    platforms = {identity.platform for identity in member.identities} if member else set()
    if ContactKind.EMAIL in draft.shares and not draft.email:
        raise IntrosError("to share your email, please give it")
    if ContactKind.PHONE in draft.shares and not draft.phone:
        raise IntrosError("to share your phone number, please give it")
    for kind in (ContactKind.TELEGRAM, ContactKind.SLACK):
        if kind in draft.shares and kind.value not in platforms:
            raise IntrosError(f"you don't use the bot on {kind.value.capitalize()} yet")


async def save_profile(
    repos: Repositories, member_id: int, draft: ProfileDraft, now: datetime
) -> DirectoryProfile:
    """Join the directory, or change one's entry; the consent record notes what is shared."""
    await _check_shares(repos, member_id, draft)
    existing = await repos.intros.profile(member_id)
    if existing is not None and existing.suspended_at is not None:
        raise IntrosError(
            "your place in the directory is paused by the programme team; please ask them"
        )
    entry = existing or DirectoryProfile(
        member_id=member_id, joined_at=now, in_rounds=True, ignored_rounds=0
    )
    entry.name = draft.name
    entry.organisation = draft.organisation
    entry.region = draft.region
    entry.in_post_since = draft.in_post_since
    entry.interests = list(draft.interests)
    entry.talk_about = draft.talk_about
    entry.shares = sorted(kind.value for kind in draft.shares)
    entry.email = draft.email if ContactKind.EMAIL in draft.shares else None
    entry.phone = draft.phone if ContactKind.PHONE in draft.shares else None
    entry.buddy = draft.buddy
    entry.updated_at = now
    saved = await repos.intros.save_profile(entry)
    kind = ConsentKind.JOINED if existing is None else ConsentKind.UPDATED
    await repos.intros.record(member_id, kind, now, detail=_shares_text(draft.shares))
    return saved


async def _end(
    repos: Repositories, introduction: Introduction, member_id: int, now: datetime
) -> None:
    """`member_id` withdraws from an introduction that has not been accepted. Only the one who
    asked makes it "withdrawn" for everyone; anyone else withdrawing (leaving the directory, or
    a round's party) ends it as a "no" would, which the others learn nothing of until it lapses."""
    party = introduction.party(member_id)
    assert party is not None
    party.answer = Answer.DECLINED
    party.answered_at = now
    if introduction.status == Status.OPEN:
        introduction.status = Status.WITHDRAWN if party.asked else Status.DECLINED
        introduction.decided_at = now
        await repos.jobs.cancel(_key(REMIND, introduction.id))
    await repos.intros.record(
        member_id, ConsentKind.WITHDRAWN, now, introduction_id=introduction.id
    )


async def _withdraw_all(repos: Repositories, member_id: int, now: datetime) -> int:
    withdrawn = 0
    for introduction in await repos.intros.of_member(
        member_id, statuses=(Status.OPEN, Status.DECLINED)
    ):
        party = introduction.party(member_id)
        if party is not None and party.answer != Answer.DECLINED and introduction.expires_at > now:
            await _end(repos, introduction, member_id, now)
            withdrawn += 1
    return withdrawn


async def leave(repos: Repositories, member_id: int, now: datetime) -> int:
    """Leave the directory: the entry and its contact details go, open introductions are
    withdrawn (returns how many); blocks and the "never pair me with" list stay."""
    if await repos.intros.profile(member_id) is None:
        raise IntrosError("you're not in the directory")
    withdrawn = await _withdraw_all(repos, member_id, now)
    await repos.intros.remove_profile(member_id)
    await repos.intros.record(member_id, ConsentKind.LEFT, now)
    return withdrawn


async def set_suspended(
    repos: Repositories, member_id: int, suspended: bool, now: datetime, by: MemberRef
) -> DirectoryProfile:
    """Staff pause (or restore) a member's place in the directory: while paused they are in no
    search and no round, ask for nothing, and their open introductions are withdrawn."""
    entry = await repos.intros.profile(member_id)
    if entry is None:
        raise IntrosError(f"member {member_id} is not in the directory")
    if suspended == (entry.suspended_at is not None):
        return entry
    if suspended:
        await _withdraw_all(repos, member_id, now)
    entry.suspended_at = now if suspended else None
    kind = ConsentKind.SUSPENDED if suspended else ConsentKind.RESTORED
    await repos.intros.record(member_id, kind, now)
    action = Action.DIRECTORY_SUSPEND if suspended else Action.DIRECTORY_RESTORE
    await record(repos, by, action, await member_label(repos, member_id), now)
    return entry


async def _apart(repos: Repositories, member_id: int) -> set[int]:
    """Everyone this member must never meet through the bot: blocks either way."""
    return await repos.intros.blocks_of(member_id)


async def search(
    repos: Repositories, viewer_id: int, wanted: Search, today: date
) -> list[DirectoryProfile]:
    """Peers in the directory matching `wanted`, by name: never the viewer, anyone suspended,
    or anyone either of them blocked. Only members in the directory may search it."""
    await _listed(repos, viewer_id)
    apart = await _apart(repos, viewer_id)
    name = wanted.name.strip().lower() if wanted.name else None
    found = []
    for entry in await repos.intros.listed():
        if entry.member_id == viewer_id or entry.member_id in apart:
            continue
        if wanted.interest and wanted.interest not in entry.interests:
            continue
        if wanted.region and entry.region != wanted.region:
            continue
        if wanted.new_in_post and not new_in_post(entry.in_post_since, today):
            continue
        if name and name not in entry.name.lower() and name not in entry.organisation.lower():
            continue
        found.append(entry)
    return found


async def interests_in_use(repos: Repositories) -> list[str]:
    """Interests someone in the directory has, most common first."""
    counts: dict[str, int] = {}
    for entry in await repos.intros.listed():
        for interest in entry.interests:
            counts[interest] = counts.get(interest, 0) + 1
    return sorted(counts, key=lambda interest: (-counts[interest], interest))


async def peer(repos: Repositories, viewer_id: int, other_id: int) -> DirectoryProfile:
    """Another member's entry as the viewer may see it (no contact details are shown from it)."""
    entry = await repos.intros.profile(other_id)
    if (
        entry is None
        or entry.suspended_at is not None
        or other_id == viewer_id
        or other_id in await _apart(repos, viewer_id)
    ):
        raise IntrosError("that person isn't in the directory now")
    return entry


# The one rule for contact details


async def shared_contacts(repos: Repositories, viewer_id: int, owner_id: int) -> ContactCard | None:
    """`owner_id`'s chosen contact details for `viewer_id`, or None: only while both are in an
    introduction that everyone in it accepted since both last joined the directory (leaving
    ends what was agreed before), both are in it, the owner not paused, and neither blocked the
    other. Nothing else in the bot reads contact details."""
    if viewer_id == owner_id or owner_id in await _apart(repos, viewer_id):
        return None
    entry = await repos.intros.profile(owner_id)
    viewer = await repos.intros.profile(viewer_id)
    if entry is None or entry.suspended_at is not None or viewer is None:
        return None
    since = max(entry.joined_at, viewer.joined_at)
    if not await repos.intros.accepted_with(viewer_id, owner_id, since):
        return None
    member = await repos.members.get(owner_id)
    accounts = (
        {identity.platform: identity.external_id for identity in member.identities}
        if (member)
        else {}
    )
    lines = []
    for kind in sorted(ContactKind(value) for value in entry.shares):
        if kind is ContactKind.EMAIL and entry.email:
            lines.append(f"Email: {entry.email}")
        elif kind is ContactKind.PHONE and entry.phone:
            lines.append(f"Phone: {entry.phone}")
        elif kind is ContactKind.TELEGRAM and "telegram" in accounts:
            lines.append(f"Telegram: tg://user?id={accounts['telegram']}")
        elif kind is ContactKind.SLACK and "slack" in accounts:
            lines.append(f"Slack: member ID {accounts['slack']}")
    return ContactCard(owner_id, entry.name, entry.organisation, tuple(lines))


# Requests and answers


def _key(kind: str, introduction_id: int) -> str:
    return f"{kind}:{introduction_id}"


async def _schedule_follow_ups(repos: Repositories, introduction: Introduction) -> None:
    payload = {"introduction": introduction.id}
    await repos.jobs.schedule(
        REMIND,
        payload,
        introduction.created_at + REMINDER_AFTER,
        _key(REMIND, introduction.id),
    )
    await repos.jobs.schedule(CLOSE, payload, introduction.expires_at, _key(CLOSE, introduction.id))


async def request(
    repos: Repositories, requester_id: int, invitee_id: int, note: str, now: datetime
) -> Introduction:
    """Ask for an introduction. Refused past the limits (5 waiting, 10 a week), to someone not
    in the directory or blocked either way, or when one is already waiting or made."""
    mine = await _listed(repos, requester_id)
    await repos.members.lock(requester_id)  # one request at a time per member: limits hold
    other = await peer(repos, requester_id, invitee_id)
    for earlier in await repos.intros.between(requester_id, invitee_id):
        seen = seen_by(earlier, requester_id, now)
        if seen is Seen.INTRODUCED:
            raise IntrosError(
                f"you're already introduced to {other.name}: /directory shows their details"
            )
        if seen is Seen.WAITING_FOR_THEM:
            raise IntrosError(f"your request to {other.name} is still waiting for their reply")
        if seen is Seen.WAITING_FOR_YOU:
            raise IntrosError(
                f"{other.name} has asked to meet you already: answer it in /directory"
            )
    if await repos.intros.waiting_for_reply(requester_id, now) >= MAX_WAITING_REQUESTS:
        raise IntrosError(
            f"you have {MAX_WAITING_REQUESTS} requests waiting for replies; withdraw one, or "
            "ask again once one is answered"
        )
    if await repos.intros.asked_since(requester_id, now - timedelta(days=7)) >= (
        MAX_REQUESTS_PER_WEEK
    ):
        raise IntrosError(
            f"you've asked for {MAX_REQUESTS_PER_WEEK} introductions this week; "
            "please ask again in a few days"
        )
    introduction = await repos.intros.add(
        Introduction(
            origin=Origin.REQUEST,
            note=note,
            status=Status.OPEN,
            created_at=now,
            expires_at=now + REQUEST_LIFETIME,
        ),
        [
            IntroParty(member_id=requester_id, asked=True, answer=Answer.ACCEPTED, answered_at=now),
            IntroParty(member_id=other.member_id, asked=False, answer=Answer.PENDING),
        ],
    )
    await repos.intros.record(
        requester_id,
        ConsentKind.REQUESTED,
        now,
        introduction_id=introduction.id,
        detail=_shares_text(mine.shares),
    )
    await _schedule_follow_ups(repos, introduction)
    return introduction


def seen_by(introduction: Introduction, member_id: int, now: datetime) -> Seen:
    """Where `introduction` stands for `member_id`: a "Not now" or a block by someone else
    looks like waiting until it lapses, and then like any other that did not happen."""
    if introduction.status == Status.ACCEPTED:
        return Seen.INTRODUCED
    party = introduction.party(member_id)
    if party is None:
        raise ValueError("not a party to this introduction")
    live = introduction.expires_at > now
    if party.answer == Answer.DECLINED:
        return Seen.YOU_WITHDREW if introduction.status == Status.WITHDRAWN else Seen.YOU_SAID_NO
    if party.answer == Answer.ACCEPTED:
        return Seen.WAITING_FOR_THEM if live else Seen.DID_NOT_HAPPEN
    if introduction.status in (Status.OPEN, Status.DECLINED) and live:
        return Seen.WAITING_FOR_YOU
    return Seen.DID_NOT_HAPPEN


async def _own(
    repos: Repositories, member_id: int, introduction_id: int, *, lock: bool = False
) -> tuple[Introduction, IntroParty]:
    introduction = await repos.intros.get(introduction_id, lock=lock)
    party = introduction.party(member_id) if introduction else None
    if introduction is None or party is None:
        raise IntrosError("that introduction is no longer here")
    return introduction, party


async def answer(
    repos: Repositories,
    member_id: int,
    introduction_id: int,
    accept: bool,
    now: datetime,
    *,
    block: bool = False,
) -> Answered:
    """Accept or decline (and, with `block`, block the others for good). Everyone accepting
    completes it; one "no" ends it, though nobody else hears so until it lapses."""
    introduction, party = await _own(repos, member_id, introduction_id, lock=True)
    seen = seen_by(introduction, member_id, now)
    if seen is Seen.INTRODUCED:  # pressed again later: a block still applies from now on
        if block:
            await _block_others(repos, introduction, member_id, now)
        return Answered(introduction, complete=False)
    if seen is not Seen.WAITING_FOR_YOU:
        if introduction.status == Status.WITHDRAWN and party.answer == Answer.PENDING:
            raise IntrosError("that introduction was withdrawn")
        if party.answer != Answer.PENDING:
            raise IntrosError("you've answered that one already")
        raise IntrosError("that introduction has lapsed")
    if accept:
        mine = await _listed(repos, member_id)
    party.answer = Answer.ACCEPTED if accept else Answer.DECLINED
    party.answered_at = now
    if introduction.origin == Origin.ROUND:
        entry = await repos.intros.profile(member_id)
        if entry is not None:
            entry.ignored_rounds = 0
    if accept:
        await repos.intros.record(
            member_id,
            ConsentKind.ACCEPTED,
            now,
            introduction_id=introduction.id,
            detail=_shares_text(mine.shares),
        )
    else:
        await repos.intros.record(
            member_id, ConsentKind.DECLINED, now, introduction_id=introduction.id
        )
    if block:
        await _block_others(repos, introduction, member_id, now)
    complete = accept and all(p.answer == Answer.ACCEPTED for p in introduction.parties)
    if complete:
        introduction.status = Status.ACCEPTED
        introduction.decided_at = now
        await repos.jobs.cancel(_key(REMIND, introduction.id))
        await repos.jobs.cancel(_key(CLOSE, introduction.id))
    elif not accept and introduction.status == Status.OPEN:
        introduction.status = Status.DECLINED
        introduction.decided_at = now
        await repos.jobs.cancel(_key(REMIND, introduction.id))
    return Answered(introduction, complete)


async def _block_others(
    repos: Repositories, introduction: Introduction, member_id: int, now: datetime
) -> None:
    for other in introduction.others(member_id):
        await repos.intros.block(member_id, other, now)
    await repos.intros.record(member_id, ConsentKind.BLOCKED, now, introduction_id=introduction.id)


async def withdraw(
    repos: Repositories, member_id: int, introduction_id: int, now: datetime
) -> Introduction:
    """Withdraw from an introduction not yet accepted."""
    introduction, _ = await _own(repos, member_id, introduction_id, lock=True)
    seen = seen_by(introduction, member_id, now)
    if seen is Seen.INTRODUCED:
        raise IntrosError("you're already introduced; there is nothing to withdraw")
    if seen not in (Seen.WAITING_FOR_THEM, Seen.WAITING_FOR_YOU):
        raise IntrosError("that introduction is closed already")
    await _end(repos, introduction, member_id, now)
    return introduction


async def close(repos: Repositories, introduction_id: int, now: datetime) -> Closed | None:
    """An introduction reaches its expiry: one still open lapses; whoever said yes to one that
    did not happen is told now (the same words, whatever happened); whoever ignored a round
    is counted, and asked after three in a row whether to stay in rounds."""
    introduction = await repos.intros.get(introduction_id, lock=True)
    if introduction is None or introduction.status == Status.ACCEPTED:
        return None
    if introduction.status == Status.OPEN:
        introduction.status = Status.EXPIRED
        introduction.decided_at = now
    tell, ask = [], []
    for party in introduction.parties:
        if party.answer == Answer.DECLINED:
            continue
        await repos.intros.record(
            party.member_id, ConsentKind.EXPIRED, now, introduction_id=introduction.id
        )
        if party.answer == Answer.ACCEPTED:
            tell.append(party.member_id)
        elif introduction.origin == Origin.ROUND:
            entry = await repos.intros.profile(party.member_id)
            if entry is not None:
                entry.ignored_rounds += 1
                if entry.ignored_rounds == ROUNDS_IGNORED_BEFORE_ASKING and entry.in_rounds:
                    ask.append(party.member_id)
    return Closed(introduction, tuple(tell), tuple(ask))


async def introduction(repos: Repositories, member_id: int, introduction_id: int) -> Introduction:
    """One of the member's own introductions."""
    return (await _own(repos, member_id, introduction_id))[0]


async def introductions_of(repos: Repositories, member_id: int) -> list[Introduction]:
    """The member's introductions, newest first."""
    return await repos.intros.of_member(member_id)


async def names(repos: Repositories, member_ids: Sequence[int]) -> dict[int, str]:
    """How each person is named to others: their directory name, else their display name."""
    entries = await repos.intros.profiles(member_ids)
    found = {member_id: entry.name for member_id, entry in entries.items()}
    for member_id in set(member_ids) - found.keys():
        member = await repos.members.get(member_id)
        found[member_id] = member.display_name if member else "a former member"
    return found


async def slack_group(
    repos: Repositories, member_id: int, introduction_id: int, now: datetime
) -> list[str]:
    """The Slack accounts of everyone in an accepted introduction, for a group DM the bot
    opens once; refused when it is not accepted, someone is not on Slack, or it is open."""
    introduction, _ = await _own(repos, member_id, introduction_id, lock=True)
    if introduction.status != Status.ACCEPTED:
        raise IntrosError("that introduction has not been accepted")
    if introduction.group_opened_at is not None:
        raise IntrosError("the group DM is open already: look for it in Slack")
    accounts = []
    for party in introduction.parties:
        if (
            party.member_id != member_id
            and await shared_contacts(repos, member_id, party.member_id) is None
        ):
            raise IntrosError("that introduction no longer stands")
        member: Member | None = await repos.members.get(party.member_id)
        slack = (
            [i.external_id for i in member.identities if i.platform == "slack"] if (member) else []
        )
        if not slack:
            raise IntrosError("not everyone in this introduction uses Slack")
        accounts.append(slack[0])
    introduction.group_opened_at = now
    return accounts


# Blocks and the "never pair me with" list


async def never_list(repos: Repositories, member_id: int) -> list[tuple[int, str]]:
    """The member's own list as (entry id, what it names)."""
    entries = await repos.intros.never_list(member_id)
    people = await names(repos, [e.other_id for e in entries if e.other_id is not None])
    return [
        (e.id, people[e.other_id] if e.other_id is not None else f"anyone at {e.organisation}")
        for e in entries
    ]


async def never_pair_with(
    repos: Repositories,
    member_id: int,
    *,
    other_id: int | None = None,
    organisation: str | None = None,
) -> None:
    """Add a person, or everyone at an organisation, to the member's private list."""
    if (other_id is None) == (organisation is None):
        raise ValueError("name a person or an organisation")
    organisation = " ".join(organisation.lower().split()) if organisation else None
    for entry in await repos.intros.never_list(member_id):
        if entry.other_id == other_id and entry.organisation == organisation:
            return
    await repos.intros.add_never(member_id, other_id=other_id, organisation=organisation)


async def forget_never(repos: Repositories, member_id: int, entry_id: int) -> bool:
    return await repos.intros.remove_never(member_id, entry_id)


# Rounds


async def set_rounds(
    repos: Repositories, member_id: int, *, in_rounds: bool, snooze_until: datetime | None = None
) -> DirectoryProfile:
    """Stay in or leave matching rounds, or snooze them until a time."""
    entry = await _listed(repos, member_id)
    entry.in_rounds = in_rounds
    entry.snoozed_until = snooze_until
    entry.ignored_rounds = 0
    return entry


async def start_round(
    repos: Repositories, plan: RoundPlan, now: datetime, by: MemberRef
) -> IntroRound:
    """Staff start a round, once or every `every_weeks` (2 or 4); its first run is a job."""
    if plan.every_weeks is not None and plan.every_weeks not in ROUND_CADENCES_WEEKS:
        raise IntrosError("a round repeats every 2 or every 4 weeks")
    if not 0 <= plan.cooldown_weeks <= 520:
        raise IntrosError("the cooldown is 0 to 520 weeks")
    first = max(plan.start_at or now, now)
    created = await repos.intros.add_round(
        IntroRound(
            tags=sorted(set(plan.tags)),
            buddies=plan.buddies,
            every_weeks=plan.every_weeks,
            cooldown_weeks=plan.cooldown_weeks,
            next_at=first,
            runs=0,
            created_at=now,
        )
    )
    await _schedule_run(repos, created, first)
    segment = ",".join(created.tags) or "everyone"
    await record(
        repos, by, Action.INTRO_ROUND_START, f"intro-round:{created.id}", now, segment=segment
    )
    return created


async def _schedule_run(repos: Repositories, round_: IntroRound, at: datetime) -> None:
    await repos.jobs.schedule(ROUND, {"round": round_.id}, at, f"{ROUND}:{round_.id}:{round_.runs}")


async def stop_round(
    repos: Repositories, round_id: int, now: datetime, by: MemberRef
) -> IntroRound:
    found = await repos.intros.round(round_id, lock=True)
    if found is None:
        raise IntrosError(f"there is no round {round_id}")
    if found.stopped_at is None:
        found.stopped_at = now
        found.next_at = None
        await repos.jobs.cancel(f"{ROUND}:{found.id}:{found.runs}")
        await record(repos, by, Action.INTRO_ROUND_STOP, f"intro-round:{found.id}", now)
    return found


async def _allowed(
    repos: Repositories, cooldown: timedelta, now: datetime
) -> Callable[[int, int], bool]:
    """Whether a round may propose `a` to `b`: no block either way, nothing on either's
    "never pair me with" list, and not in one introduction within the cooldown."""
    blocks = await repos.intros.all_blocks()
    never: dict[int, tuple[set[int], set[str]]] = {}
    for entry in await repos.intros.all_never():
        people, places = never.setdefault(entry.member_id, (set(), set()))
        if entry.other_id is not None:
            people.add(entry.other_id)
        if entry.organisation:
            places.add(entry.organisation)
    met = await repos.intros.met_since(now - cooldown)
    organisation = {
        entry.member_id: " ".join(entry.organisation.lower().split())
        for entry in await repos.intros.listed()
    }

    def allowed(a: int, b: int) -> bool:
        people, places = never.get(a, (set(), set()))
        return (
            (a, b) not in blocks
            and (b, a) not in blocks
            and b not in people
            and organisation.get(b) not in places
            and frozenset((a, b)) not in met
        )

    return allowed


async def run_round(
    repos: Repositories, round_id: int, now: datetime, rng: random.Random | None = None
) -> list[Introduction]:
    """Run a round: pair those in it (listed, not paused, in rounds, not snoozed, in the
    segment, not still to answer an earlier round), each pair an introduction both must
    accept; then schedule the next run if it repeats."""
    found = await repos.intros.round(round_id, lock=True)
    if found is None or found.stopped_at is not None:
        return []
    tagged = (
        {member.id for tag in found.tags for member in await repos.members.list(tag=tag)}
        if found.tags
        else None
    )
    still_to_answer = await repos.intros.still_to_answer_a_round()
    candidates = [
        Candidate(entry.member_id, entry.buddy)
        for entry in await repos.intros.listed()
        if entry.in_rounds
        and (entry.snoozed_until is None or entry.snoozed_until <= now)
        and (tagged is None or entry.member_id in tagged)
        and entry.member_id not in still_to_answer
    ]
    allowed = await _allowed(repos, timedelta(weeks=found.cooldown_weeks), now)
    groups = pair_up(candidates, allowed, rng or random.Random(), buddies=found.buddies)
    made = []
    for group in groups:
        introduction = await repos.intros.add(
            Introduction(
                origin=Origin.ROUND,
                round_id=found.id,
                status=Status.OPEN,
                created_at=now,
                expires_at=now + REQUEST_LIFETIME,
            ),
            [IntroParty(member_id=member_id, answer=Answer.PENDING) for member_id in group],
        )
        await _schedule_follow_ups(repos, introduction)
        made.append(introduction)
    found.runs += 1
    if found.every_weeks:
        found.next_at = now + timedelta(weeks=found.every_weeks)
        await _schedule_run(repos, found, found.next_at)
    else:
        found.next_at = None
    return made


async def rounds(repos: Repositories) -> list[IntroRound]:
    return await repos.intros.rounds()


# Oversight


async def stats(repos: Repositories, now: datetime) -> Stats:
    """Counts of requests, answers and rounds: never notes, never who asked whom."""
    counts = await repos.intros.counts()
    listed, suspended = await repos.intros.listed_count()

    def of(origin: Origin, *statuses: Status) -> int:
        return sum(counts.get((origin.value, status.value), 0) for status in statuses)

    return Stats(
        listed=listed,
        suspended=suspended,
        requests=of(Origin.REQUEST, *Status),
        accepted=of(Origin.REQUEST, Status.ACCEPTED),
        declined=of(Origin.REQUEST, Status.DECLINED),
        expired=of(Origin.REQUEST, Status.EXPIRED),
        withdrawn=of(Origin.REQUEST, Status.WITHDRAWN),
        waiting=of(Origin.REQUEST, Status.OPEN),
        rounds=sum(found.runs for found in await repos.intros.rounds()),
        round_introductions=of(Origin.ROUND, *Status),
        round_accepted=of(Origin.ROUND, Status.ACCEPTED),
    )


async def consent_record(repos: Repositories, member_id: int) -> list[ConsentLine]:
    """The member's own consent record, oldest first, naming the others in each introduction."""
    entries = await repos.intros.consents_of(member_id)
    others: dict[int, list[int]] = {}
    for entry in entries:
        if entry.introduction_id is not None and entry.introduction_id not in others:
            found = await repos.intros.get(entry.introduction_id)
            others[entry.introduction_id] = found.others(member_id) if found else []
    named = await names(repos, sorted({m for group in others.values() for m in group}))
    return [
        ConsentLine(
            entry.at,
            ConsentKind(entry.kind),
            tuple(named[m] for m in others.get(entry.introduction_id or -1, [])),
            entry.detail,
        )
        for entry in entries
    ]
