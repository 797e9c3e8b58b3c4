"""Data rights: a member's copy of everything stored about them, and their erasure from every
module in one transaction. The chat's /mydata and /forget and the command line's `members
export` and `members erase` call these.

What an export shows of other people is what the member was shown: names, and contact details
only through services.intros.shared_contacts. What an erasure leaves is linked to nobody:
check-in answers (they never carried a link), the audit trail's entries (they name a pseudonym,
and the one row that tied it to the person is deleted) and candidate phrasings (an HMAC of the
entry and the member id under the bot's secret; nothing that remains holds that id).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import Refusal
from domain.people import MemberRef
from services import coaching, intros
from services.audit import Action, member_label, record
from storage.coaching import Booking, Coach
from storage.intros import DirectoryProfile
from storage.models import Member
from storage.repositories import Repositories

# Tables with a member's id (a foreign key to members.id) that an export shows, and those it
# does not, with the reason; tests/services/test_privacy.py fails on a table in neither.
EXPORTED = frozenset(
    {
        "identities",
        "member_tags",
        "member_settings",
        "bookings",
        "coaches",
        "coaching_waitlist",
        "directory_profiles",
        "introduction_parties",
        "intro_consents",
        "intro_blocks",
        "intro_never_pair",
        "broadcast_deliveries",
        "broadcast_answers",
        "pulse_participants",
    }
)
NOT_EXPORTED = {
    "link_codes": "a one-time code that lives ten minutes, a key rather than data about them",
    "console_sign_ins": "a staff console link that lives ten minutes, a key like link_codes",
    "console_sessions": "a staff member's signed-in browser: a key that ends with the working day",
}
# Personal data held without a foreign key, exported from the accounts it names:
# team_questions (open ones, by reply address). Never exported: pulse_answers (linked to
# nobody, so nobody's), audit_entries (staff's record, under a pseudonym).


class PrivacyError(Refusal):
    """An export or erasure that cannot be done; the message says why."""


def _at(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


async def _member(repos: Repositories, member_id: int) -> Member:
    member = await repos.members.get(member_id)
    if member is None:
        raise PrivacyError(f"no member with id {member_id}")
    return member


def _accounts(member: Member) -> list[tuple[str, str]]:
    return [(identity.platform, identity.external_id) for identity in member.identities]


# The export


def _profile(member: Member) -> dict[str, Any]:
    return {
        "name": member.display_name,
        "role": member.role,
        "member_since": _at(member.created_at),
        "last_platform": member.last_platform,
        "audit_pseudonym": member.pseudonym,
    }


def _session(booking: Booking, **with_whom: str) -> dict[str, Any]:
    return {
        **with_whom,
        "start": _at(booking.start_at),
        "end": _at(booking.end_at),
        "status": booking.status,
        "booked_at": _at(booking.created_at),
    }


def _coach_profile(coach: Coach) -> dict[str, Any]:
    return {
        "name": coach.name,
        "kind": coach.kind,
        "specialisms": coach.specialisms,
        "format": coach.format,
        "bio": coach.bio,
        "timezone": coach.timezone,
        "session_minutes": coach.session_minutes,
        "buffer_minutes": coach.buffer_minutes,
        "notice_hours": coach.notice_hours,
        "horizon_weeks": coach.horizon_weeks,
        "weekly_availability": coach.weekly,
        "days_off": coach.exceptions,
    }


async def _coaching(repos: Repositories, member_id: int) -> dict[str, Any]:
    data = repos.personal_data
    coach = await repos.coaching.coach_of_member(member_id)
    as_coach = [] if coach is None else await data.sessions(coach_id=coach.id)
    return {
        "sessions": [
            _session(row.booking, coach=row.coach_name)
            for row in await data.sessions(member_id=member_id)
        ],
        "waiting_lists": [
            {
                "coach": name,
                "joined": _at(entry.joined_at),
                "offered_start": _at(entry.offered_start),
                "offered_until": _at(entry.offered_until),
            }
            for entry, name in await data.waiting_lists(member_id)
        ],
        "coach_profile": None if coach is None else _coach_profile(coach),
        "sessions_as_coach": [_session(row.booking, member=row.member_name) for row in as_coach],
    }


def _directory(entry: DirectoryProfile | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "name": entry.name,
        "organisation": entry.organisation,
        "region": entry.region,
        "in_post_since": None if entry.in_post_since is None else entry.in_post_since.isoformat(),
        "interests": entry.interests,
        "talk_about": entry.talk_about,
        "shares": entry.shares,
        "email": entry.email,
        "phone": entry.phone,
        "buddy": entry.buddy,
        "in_rounds": entry.in_rounds,
        "snoozed_until": _at(entry.snoozed_until),
        "suspended": entry.suspended_at is not None,
        "joined": _at(entry.joined_at),
        "updated": _at(entry.updated_at),
    }


async def _introductions(repos: Repositories, member_id: int, now: datetime) -> dict[str, Any]:
    """Each introduction as the member sees it (a "not now" or a block by someone else looks
    as it looked to them), and contact details exactly as shared with them."""
    mine = await intros.introductions_of(repos, member_id)
    others = sorted({other for i in mine for other in i.others(member_id)})
    blocked = await repos.personal_data.blocked_by(member_id)
    named = await intros.names(repos, [*others, *blocked])
    shared = {}
    for other in others:
        card = await intros.shared_contacts(repos, member_id, other)
        if card is not None:
            shared[other] = {
                "name": card.name,
                "organisation": card.organisation,
                "details": list(card.lines),
            }
    introductions = []
    for introduction in mine:
        party = introduction.party(member_id)
        assert party is not None
        introductions.append(
            {
                "with": [named[other] for other in introduction.others(member_id)],
                "origin": introduction.origin,
                "you_asked": party.asked,
                "note": introduction.note,
                "where_it_stands": intros.seen_by(introduction, member_id, now).value,
                "created": _at(introduction.created_at),
                "expires": _at(introduction.expires_at),
            }
        )
    consents = await intros.consent_record(repos, member_id)
    return {
        "introductions": introductions,
        "contact_details_shared_with_you": list(shared.values()),
        "consent_record": [
            {"at": _at(c.at), "kind": c.kind.value, "with": list(c.others), "detail": c.detail}
            for c in consents
        ],
        "you_blocked": [named[other] for other in blocked],
        "never_pair_with": [text for _, text in await intros.never_list(repos, member_id)],
    }


async def _broadcasts(repos: Repositories, member_id: int) -> list[dict[str, Any]]:
    rows = await repos.personal_data.broadcasts_received(member_id)
    return [
        {
            "broadcast": broadcast.id,
            "text": broadcast.text,
            "delivery": delivery.status,
            "sent_at": _at(delivery.sent_at),
            "your_answer": None if answer is None else broadcast.choices[answer.choice],
            "answered_at": None if answer is None else _at(answer.answered_at),
        }
        for delivery, broadcast, answer in rows
    ]


async def export(repos: Repositories, member_id: int, now: datetime) -> dict[str, Any]:
    """Everything stored about the member, as JSON-able data."""
    member = await _member(repos, member_id)
    stored = await repos.member_settings.get(member_id)
    data = repos.personal_data
    return {
        "exported_at": _at(now),
        "profile": _profile(member),
        "accounts": [
            {
                "platform": identity.platform,
                "id": identity.external_id,
                "unreachable_since": _at(identity.unreachable_since),
                "unreachable_reason": identity.unreachable_reason,
            }
            for identity in member.identities
        ],
        "tags": [tag.tag for tag in member.tags],
        "settings": {  # null: the programme's default
            "muted": sorted(stored.muted),
            "quiet_hours": stored.quiet_hours,
            "timezone": stored.timezone,
        },
        "coaching": await _coaching(repos, member_id),
        "directory_profile": _directory(await repos.intros.profile(member_id)),
        "introductions": await _introductions(repos, member_id, now),
        "broadcasts": await _broadcasts(repos, member_id),
        "questions_to_the_team_still_open": [
            {"question": row.question, "asked_at": _at(row.created_at)}
            for row in await data.open_team_questions(_accounts(member))
        ],
        "check_ins": [
            {
                "title": checkin.title,
                "opens": _at(checkin.opens_at),
                "closes": _at(checkin.closes_at),
                "sent": participant.sent,
                "questions_answered": participant.next_position,
                "finished": participant.finished,
            }
            for participant, checkin in await data.checkins(member_id)
        ],
        "not_included": (
            "Your check-in answers: they are stored with no link to anyone, so they cannot be "
            "found as yours. Staff actions are in an audit trail under your pseudonym."
        ),
    }


async def staff_export(
    repos: Repositories, member_id: int, now: datetime, by: MemberRef
) -> dict[str, Any]:
    """`export` for a member of staff, recorded in the audit trail."""
    exported = await export(repos, member_id, now)
    await record(repos, by, Action.MEMBER_EXPORT, await member_label(repos, member_id), now)
    return exported


# The erasure


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure deleted, by kind of record, and who was told of cancelled sessions."""

    counts: dict[str, int]
    told: coaching.Told


@dataclass(frozen=True, slots=True)
class _Traces:
    """The ids by which a job's payload can name the person being erased. A job naming them
    goes: their reminders and check-in sends, notices about their sessions and introductions,
    and a waiting-list offer that passed them (the slot is then free for anyone to book)."""

    member_id: int
    coach_id: int | None
    bookings: Collection[int]
    introductions: Collection[int]

    def in_payload(self, payload: dict[str, Any]) -> bool:
        return (
            payload.get("member") == self.member_id
            or self.member_id in payload.get("passed", ())
            or (self.coach_id is not None and payload.get("coach") == self.coach_id)
            or payload.get("booking") in self.bookings
            or payload.get("introduction") in self.introductions
        )


def _mentions(member: Member, entry: DirectoryProfile | None, coach: Coach | None) -> list[str]:
    """What in a waiting message's text would be about this person: contact details, and
    full names (a single word, or the default "member", would catch other people's messages)."""
    names = [member.display_name, entry.name if entry else "", coach.name if coach else ""]
    details = [entry.email, entry.phone] if entry else []
    return sorted(
        {name.strip() for name in names if len(name.split()) > 1}
        | {detail for detail in details if detail}
    )


async def erase(repos: Repositories, member_id: int, now: datetime, by: MemberRef) -> Erased:
    """Delete the member and everything that identifies them, in the caller's one transaction.
    The audit entry is written first, while their pseudonym is still theirs."""
    member = await _member(repos, member_id)
    await record(repos, by, Action.MEMBER_ERASE, await member_label(repos, member_id), now)
    accounts = _accounts(member)
    entry = await repos.intros.profile(member_id)
    coach = await repos.coaching.coach_of_member(member_id)
    data = repos.personal_data
    sessions = await data.sessions(member_id=member_id)
    if coach is not None:
        sessions += await data.sessions(coach_id=coach.id)
    traces = _Traces(
        member_id,
        coach.id if coach else None,
        {row.booking.id for row in sessions},
        {i.id for i in await intros.introductions_of(repos, member_id)},
    )
    jobs = [job.id for job in await data.jobs() if traces.in_payload(job.payload)]
    told = await coaching.tell_of_erasure(repos, member_id, coach, now)
    counts = {
        **await data.erase_jobs(jobs),
        **await data.erase_conversations(accounts),
        **await data.erase_messages(accounts, _mentions(member, entry, coach)),
        **await data.erase_team_questions(accounts, member.display_name),
        **await data.erase_introductions(member_id),
        **await data.erase_coaching(member_id, coach.id if coach else None),
        **await data.erase_member(member_id),
    }
    return Erased(counts, told)
