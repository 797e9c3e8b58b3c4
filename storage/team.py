"""Questions handed to the programme team."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TeamQuestion


class TeamQuestionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self, *, question: str, platform: str, recipient_id: str, asker_name: str, now: datetime
    ) -> TeamQuestion:
        row = TeamQuestion(
            question=question,
            platform=platform,
            recipient_id=recipient_id,
            asker_name=asker_name,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def get(self, question_id: int) -> TeamQuestion | None:
        return await self._session.get(TeamQuestion, question_id)

    async def open(self) -> Sequence[TeamQuestion]:
        query = select(TeamQuestion).where(TeamQuestion.answer.is_(None)).order_by(TeamQuestion.id)
        return (await self._session.execute(query)).scalars().all()

    async def answer(self, question_id: int, answer: str, now: datetime) -> TeamQuestion | None:
        """Store the answer unless someone answered first; the asker's address is then dropped
        from the row (it has been used), which keeps what we hold to what we need."""
        claimed = await self._session.execute(
            update(TeamQuestion)
            .where(TeamQuestion.id == question_id, TeamQuestion.answer.is_(None))
            .values(answer=answer, answered_at=now)
            .returning(TeamQuestion.id)
        )
        if claimed.scalar_one_or_none() is None:
            return None
        row = await self._session.get(TeamQuestion, question_id)
        assert row is not None
        await self._session.refresh(row)
        return row

    async def forget_asker(self, row: TeamQuestion, learn_digests: dict[str, str]) -> None:
        """Drop the reply address, keeping only the asker's digest for each entry staff may now
        link the question to (none, when they will not be asked)."""
        row.recipient_id = None
        row.learn_digests = learn_digests or None
        await self._session.flush()

    async def take_learn_digest(self, row: TeamQuestion, entry_id: str) -> str | None:
        """The asker's digest for `entry_id`, if it was offered; staff have chosen, so every
        digest the row held is dropped."""
        digest = (row.learn_digests or {}).get(entry_id)
        await self.drop_learn_digests(row)
        return digest

    async def drop_learn_digests(self, row: TeamQuestion) -> None:
        row.learn_digests = None
        await self._session.flush()

    async def purge_answered(self, before: datetime) -> int:
        """Delete questions answered before `before`; open questions stay, however old."""
        result = await self._session.execute(
            delete(TeamQuestion)
            .where(TeamQuestion.answered_at < before)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount
