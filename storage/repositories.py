"""All repositories bound to one session: the unit of work handed to a handler."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.arrivals import ArrivalRepository
from storage.audit import AuditRepository
from storage.broadcasts import BroadcastRepository
from storage.candidates import CandidateRepository
from storage.coaching import CoachingRepository
from storage.console import ConsoleRepository
from storage.conversations import ConversationRepository
from storage.faq import FaqRepository
from storage.inbox import InboxRepository
from storage.intros import IntrosRepository
from storage.invites import InviteRepository
from storage.jobs import JobRepository
from storage.keys import SecretKeyRepository
from storage.links import LinkCodeRepository
from storage.member_settings import MemberSettingsRepository
from storage.members import MemberRepository
from storage.outbox import OutboxRepository
from storage.personal_data import PersonalDataRepository
from storage.pulse import PulseRepository
from storage.team import TeamQuestionRepository
from storage.throttle import ThrottleRepository


@dataclass(frozen=True, slots=True)
class Repositories:
    members: MemberRepository
    invites: InviteRepository
    link_codes: LinkCodeRepository
    conversations: ConversationRepository
    throttle: ThrottleRepository
    faq: FaqRepository
    candidates: CandidateRepository
    audit: AuditRepository
    team_questions: TeamQuestionRepository
    outbox: OutboxRepository
    inbox: InboxRepository
    arrivals: ArrivalRepository
    jobs: JobRepository
    member_settings: MemberSettingsRepository
    broadcasts: BroadcastRepository
    coaching: CoachingRepository
    intros: IntrosRepository
    pulse: PulseRepository
    keys: SecretKeyRepository
    personal_data: PersonalDataRepository
    console: ConsoleRepository

    @classmethod
    def bound_to(cls, session: AsyncSession) -> Repositories:
        members, conversations = MemberRepository(session), ConversationRepository(session)
        return cls(
            members=members,
            invites=InviteRepository(session),
            link_codes=LinkCodeRepository(session),
            conversations=conversations,
            throttle=ThrottleRepository(session),
            faq=FaqRepository(session),
            candidates=CandidateRepository(session),
            audit=AuditRepository(session),
            team_questions=TeamQuestionRepository(session),
            outbox=OutboxRepository(session),
            inbox=InboxRepository(session),
            arrivals=ArrivalRepository(session, members, conversations),
            jobs=JobRepository(session),
            member_settings=MemberSettingsRepository(session),
            broadcasts=BroadcastRepository(session),
            coaching=CoachingRepository(session),
            intros=IntrosRepository(session),
            pulse=PulseRepository(session),
            keys=SecretKeyRepository(session),
            personal_data=PersonalDataRepository(session),
            console=ConsoleRepository(session),
        )
