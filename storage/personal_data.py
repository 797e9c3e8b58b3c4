"""Every row that names one member, across every aggregate: what an export reads beyond the
capabilities' own repositories, and what an erasure deletes.

The one place that knows where a person's data lies, so nothing is missed when they ask for it
or ask to be forgotten; a test reflects the tables and fails on a member-linked table this
module has not accounted for (services/privacy.py keeps the list of what is left, and why).
Deletes name their rows explicitly rather than trusting the foreign keys' cascades, so each
count is what was erased and SQLite without `foreign_keys` would erase alike.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.broadcasts import Broadcast, BroadcastAnswer, BroadcastDelivery
from storage.coaching import Booking, Coach, WaitlistEntry
from storage.intros import (
    ConsentEntry,
    DirectoryProfile,
    IntroBlock,
    Introduction,
    IntroParty,
    NeverPair,
)
from storage.jobs import Job
from storage.models import (
    ConversationState,
    Delivery,
    Identity,
    LinkCode,
    Member,
    MemberSettings,
    MemberTag,
    OutboxMessage,
    RateLimitWindow,
    TeamQuestion,
)
from storage.pulse import PulseCheckin, PulseParticipant
from storage.throttle import rate_limit_key

Account = tuple[str, str]  # (platform, the platform's id for the person)


def _accounts_match(platform: Any, external_id: Any, accounts: Collection[Account]) -> Any:
    if not accounts:
        return false()
    return tuple_(platform, external_id).in_([tuple(account) for account in accounts])


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A coaching session as an export shows it: the other side named, nothing else of theirs."""

    booking: Booking
    coach_name: str
    member_name: str


class PersonalDataRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # Reading, for an export

    async def sessions(
        self, *, member_id: int | None = None, coach_id: int | None = None
    ) -> list[SessionRow]:
        """Every session of the member, or with the coach, whatever its status, oldest first."""
        query = (
            select(Booking, Coach.name, Member.display_name)
            .join(Coach, Coach.id == Booking.coach_id)
            .join(Member, Member.id == Booking.member_id)
            .order_by(Booking.start_at, Booking.id)
        )
        if member_id is not None:
            query = query.where(Booking.member_id == member_id)
        if coach_id is not None:
            query = query.where(Booking.coach_id == coach_id)
        rows = await self._session.execute(query)
        return [SessionRow(booking, coach, member) for booking, coach, member in rows.all()]

    async def waiting_lists(self, member_id: int) -> list[tuple[WaitlistEntry, str]]:
        """The member's places on coaches' waiting lists, with each coach's name."""
        rows = await self._session.execute(
            select(WaitlistEntry, Coach.name)
            .join(Coach, Coach.id == WaitlistEntry.coach_id)
            .where(WaitlistEntry.member_id == member_id)
            .order_by(WaitlistEntry.joined_at)
        )
        return [(entry, name) for entry, name in rows.all()]

    async def blocked_by(self, member_id: int) -> list[int]:
        """Whom the member blocked (never who blocked them: that is the other person's)."""
        rows = await self._session.execute(
            select(IntroBlock.blocked_id).where(IntroBlock.blocker_id == member_id)
        )
        return list(rows.scalars())

    async def broadcasts_received(
        self, member_id: int
    ) -> list[tuple[BroadcastDelivery, Broadcast, BroadcastAnswer | None]]:
        """Each broadcast addressed to the member, with their answer when they gave one."""
        rows = await self._session.execute(
            select(BroadcastDelivery, Broadcast, BroadcastAnswer)
            .join(Broadcast, Broadcast.id == BroadcastDelivery.broadcast_id)
            .outerjoin(
                BroadcastAnswer,
                and_(
                    BroadcastAnswer.broadcast_id == BroadcastDelivery.broadcast_id,
                    BroadcastAnswer.member_id == member_id,
                ),
            )
            .where(BroadcastDelivery.member_id == member_id)
            .order_by(Broadcast.id)
        )
        return [(delivery, broadcast, answer) for delivery, broadcast, answer in rows.all()]

    async def open_team_questions(self, accounts: Collection[Account]) -> list[TeamQuestion]:
        """Questions handed to the team from these accounts that still wait for an answer (an
        answered one no longer holds the reply address)."""
        rows = await self._session.execute(
            select(TeamQuestion)
            .where(
                _accounts_match(TeamQuestion.platform, TeamQuestion.recipient_id, accounts),
                TeamQuestion.answer.is_(None),
            )
            .order_by(TeamQuestion.id)
        )
        return list(rows.scalars())

    async def checkins(self, member_id: int) -> list[tuple[PulseParticipant, PulseCheckin]]:
        """The check-ins the member was chosen for and how far they got; never an answer."""
        rows = await self._session.execute(
            select(PulseParticipant, PulseCheckin)
            .join(PulseCheckin, PulseCheckin.id == PulseParticipant.checkin_id)
            .where(PulseParticipant.member_id == member_id)
            .order_by(PulseCheckin.opens_at)
        )
        return [(participant, checkin) for participant, checkin in rows.all()]

    async def jobs(self) -> list[Job]:
        """Every job still waiting or dead, to look for the ones naming a person."""
        return list((await self._session.execute(select(Job))).scalars())

    # Erasing

    async def _delete(self, table: Any, *where: ColumnElement[bool]) -> int:
        result = await self._session.execute(
            delete(table).where(*where).execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)

    async def erase_conversations(self, accounts: Collection[Account]) -> dict[str, int]:
        """Where the person's accounts are in a flow, and their rate-limit windows."""
        keys = [rate_limit_key(*account) for account in accounts]
        return {
            "conversation states": await self._delete(
                ConversationState,
                _accounts_match(ConversationState.platform, ConversationState.person_id, accounts),
            ),
            "rate-limit windows": await self._delete(
                RateLimitWindow, RateLimitWindow.key.in_(keys)
            ),
        }

    async def erase_messages(
        self, accounts: Collection[Account], mentions: Sequence[str]
    ) -> dict[str, int]:
        """Messages waiting for the person's accounts, and waiting messages to anyone that
        mention them by name or contact detail (a notice about someone who is gone must not go
        out); replies held in the inbox for their accounts are dropped unsent."""
        about = [OutboxMessage.text.contains(text, autoescape=True) for text in mentions if text]
        outbox = await self._delete(
            OutboxMessage,
            or_(
                _accounts_match(OutboxMessage.platform, OutboxMessage.recipient_id, accounts),
                *about,
            ),
        )
        held = await self._session.execute(
            update(Delivery)
            .where(_accounts_match(Delivery.platform, Delivery.reply_person, accounts))
            .values(replies=None, reply_to=None, reply_person=None, person=None)
            .execution_options(synchronize_session=False)
        )
        return {"waiting messages": outbox, "held replies": int(held.rowcount or 0)}

    async def erase_team_questions(
        self, accounts: Collection[Account], name: str
    ) -> dict[str, int]:
        """Questions the person handed to the team: open ones by their reply address, answered
        ones (whose address is already gone) by their name on their platforms."""
        platforms = sorted({platform for platform, _ in accounts})
        answered = and_(
            TeamQuestion.recipient_id.is_(None),
            TeamQuestion.asker_name == name,
            TeamQuestion.platform.in_(platforms),
        )
        mine = or_(
            _accounts_match(TeamQuestion.platform, TeamQuestion.recipient_id, accounts), answered
        )
        return {"team questions": await self._delete(TeamQuestion, mine)}

    async def erase_introductions(self, member_id: int) -> dict[str, int]:
        """The directory entry, every introduction they were in (the other people's record of
        it too), their consent record, blocks either way and "never pair" lines either way."""
        theirs = select(IntroParty.introduction_id).where(IntroParty.member_id == member_id)
        intro_ids = list((await self._session.execute(theirs)).scalars())
        await self._session.execute(  # the others' consents stay theirs, linked to no one
            update(ConsentEntry)
            .where(ConsentEntry.introduction_id.in_(intro_ids))
            .values(introduction_id=None)
            .execution_options(synchronize_session=False)
        )
        await self._delete(IntroParty, IntroParty.introduction_id.in_(intro_ids))
        return {
            "introductions": await self._delete(Introduction, Introduction.id.in_(intro_ids)),
            "consent record": await self._delete(ConsentEntry, ConsentEntry.member_id == member_id),
            "blocks": await self._delete(
                IntroBlock,
                or_(IntroBlock.blocker_id == member_id, IntroBlock.blocked_id == member_id),
            ),
            "never-pair lines": await self._delete(
                NeverPair, or_(NeverPair.member_id == member_id, NeverPair.other_id == member_id)
            ),
            "directory entry": await self._delete(
                DirectoryProfile, DirectoryProfile.member_id == member_id
            ),
        }

    async def erase_coaching(self, member_id: int, coach_id: int | None) -> dict[str, int]:
        """Their sessions and waiting-list places; for a coach, their profile with every session
        and waiting list of theirs (the caller has told the members first)."""
        counts = {
            "sessions": await self._delete(Booking, Booking.member_id == member_id),
            "waiting-list places": await self._delete(
                WaitlistEntry, WaitlistEntry.member_id == member_id
            ),
        }
        if coach_id is not None:
            counts["sessions as coach"] = await self._delete(Booking, Booking.coach_id == coach_id)
            counts["waiting list as coach"] = await self._delete(
                WaitlistEntry, WaitlistEntry.coach_id == coach_id
            )
            counts["coach profile"] = await self._delete(Coach, Coach.id == coach_id)
        return counts

    async def erase_jobs(self, job_ids: Collection[int]) -> dict[str, int]:
        return {"scheduled jobs": await self._delete(Job, Job.id.in_(list(job_ids)))}

    async def erase_member(self, member_id: int) -> dict[str, int]:
        """The member row last, with what hangs off it directly."""
        counts = {
            "accounts": await self._delete(Identity, Identity.member_id == member_id),
            "tags": await self._delete(MemberTag, MemberTag.member_id == member_id),
            "settings": await self._delete(MemberSettings, MemberSettings.member_id == member_id),
            "link codes": await self._delete(LinkCode, LinkCode.member_id == member_id),
            "broadcast deliveries": await self._delete(
                BroadcastDelivery, BroadcastDelivery.member_id == member_id
            ),
            "broadcast answers": await self._delete(
                BroadcastAnswer, BroadcastAnswer.member_id == member_id
            ),
            "check-ins sent": await self._delete(
                PulseParticipant, PulseParticipant.member_id == member_id
            ),
        }
        counts["member"] = await self._delete(Member, Member.id == member_id)
        return counts
