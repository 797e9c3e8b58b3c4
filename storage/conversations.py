"""Stored conversation state, keyed by platform, conversation and person, with an expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState
from storage.upsert import insert_for


@dataclass(frozen=True, slots=True)
class ConversationKey:
    platform: str
    conversation_id: str
    person_id: str

    def _where(self) -> tuple[Any, ...]:
        return (
            ConversationState.platform == self.platform,
            ConversationState.conversation_id == self.conversation_id,
            ConversationState.person_id == self.person_id,
        )


@dataclass(frozen=True, slots=True)
class StoredState:
    flow: str
    step: str
    data: dict[str, Any]


# What `live` needs of a stored state (see storage.arrivals).
STATE_COLUMNS = (
    ConversationState.flow,
    ConversationState.step,
    ConversationState.data,
    ConversationState.expires_at,
)


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def live(
        self, key: ConversationKey, stored: Row[Any], now: datetime
    ) -> StoredState | None:
        """The state in `stored` (its `STATE_COLUMNS`, all None when there is none), unless it
        has expired: an expired state is deleted on sight."""
        if stored.flow is None:
            return None
        if stored.expires_at <= now:
            await self.clear(key)
            return None
        return StoredState(stored.flow, stored.step, dict(stored.data))

    async def save(self, key: ConversationKey, state: StoredState, expires_at: datetime) -> None:
        values = {
            "flow": state.flow,
            "step": state.step,
            "data": state.data,
            "expires_at": expires_at,
        }
        statement = insert_for(self._session, ConversationState).values(
            platform=key.platform,
            conversation_id=key.conversation_id,
            person_id=key.person_id,
            **values,
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["platform", "conversation_id", "person_id"], set_=values
            )
        )

    async def clear(self, key: ConversationKey) -> None:
        await self._session.execute(delete(ConversationState).where(*key._where()))

    async def purge_expired(self, before: datetime) -> int:
        """Delete states that expired before `before`: left unfinished and never seen again (a
        finished flow clears its state at once, and an expired one seen again goes on sight)."""
        result = await self._session.execute(
            delete(ConversationState)
            .where(ConversationState.expires_at < before)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount
