"""Who has just written, and where they are in a conversation: one query on every event.

Both are needed before any handler runs; asking for them together saves a database round trip
per event. The rules for each part stay with its repository (`MemberRepository.reached`,
`ConversationRepository.live`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from domain.people import MemberRef
from storage.conversations import (
    STATE_COLUMNS,
    ConversationKey,
    ConversationRepository,
    StoredState,
)
from storage.members import ACCOUNT_COLUMNS, MemberRepository
from storage.models import ConversationState, Identity, Member
from storage.prepared import Prepared


@dataclass(frozen=True, slots=True)
class Arrival:
    member: MemberRef | None  # None for a guest
    state: StoredState | None  # None outside any flow


def _look_up(_dialect: str) -> Executable:
    # One row whatever exists: the account and the state are outer-joined to a constant.
    anchor = select(literal_column("1").label("anchor")).subquery("anchor")
    platform, person = bindparam("platform"), bindparam("person_id")
    return (
        select(*ACCOUNT_COLUMNS, *STATE_COLUMNS)
        .select_from(anchor)
        .outerjoin(Identity, and_(Identity.platform == platform, Identity.external_id == person))
        .outerjoin(Member, Member.id == Identity.member_id)
        .outerjoin(
            ConversationState,
            and_(
                ConversationState.platform == platform,
                ConversationState.conversation_id == bindparam("conversation_id"),
                ConversationState.person_id == person,
            ),
        )
    )


_LOOK_UP = Prepared(_look_up)


class ArrivalRepository:
    def __init__(
        self,
        session: AsyncSession,
        members: MemberRepository,
        conversations: ConversationRepository,
    ) -> None:
        self._session = session
        self._members = members
        self._conversations = conversations

    async def look_up(self, key: ConversationKey, now: datetime) -> Arrival:
        """The member behind the account that wrote (`key.person_id`), and their live state."""
        row = (
            await _LOOK_UP.execute(
                self._session,
                platform=key.platform,
                conversation_id=key.conversation_id,
                person_id=key.person_id,
            )
        ).one()
        member = (
            None
            if row.member_id is None
            else await self._members.reached(key.platform, key.person_id, row)
        )
        return Arrival(member, await self._conversations.live(key, row, now))
