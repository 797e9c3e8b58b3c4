"""What the FAQ engine was asked and how it went (anonymous), and alternates staff added."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AskedQuestion, KnowledgeAlternate
from storage.prepared import Prepared
from storage.upsert import insert_for


class Outcome(StrEnum):
    ANSWERED = "answered"
    UNSURE = "unsure"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class Missed:
    """One line of the staff report: how often a question went unanswered or unhelped."""

    count: int
    question: str
    entry_id: str | None  # set for answers marked not helpful


_RECORD = Prepared(
    lambda _dialect: (
        insert(AskedQuestion)
        .values(
            question=bindparam("question"),
            outcome=bindparam("outcome"),
            entry_id=bindparam("entry_id"),
            asked_at=bindparam("asked_at"),
        )
        .returning(AskedQuestion.id)
    )
)


class FaqRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self, question: str, outcome: Outcome, entry_id: str | None, now: datetime
    ) -> int:
        """Log a question (no link to who asked); returns its id for the follow-up buttons."""
        result = await _RECORD.execute(
            self._session, question=question, outcome=outcome.value, entry_id=entry_id, asked_at=now
        )
        return int(result.scalar_one())

    async def get(self, asked_id: int) -> AskedQuestion | None:
        return await self._session.get(AskedQuestion, asked_id)

    async def resolve(self, asked: AskedQuestion, entry_id: str) -> None:
        """The person picked `entry_id` from "did you mean": it answered them after all."""
        asked.entry_id = entry_id
        asked.outcome = Outcome.ANSWERED.value
        await self._session.flush()

    async def decline(self, asked: AskedQuestion) -> None:
        asked.outcome = Outcome.DECLINED.value
        asked.entry_id = None
        await self._session.flush()

    async def vote(self, asked_id: int, helpful: bool) -> bool:
        """Record 👍/👎 once per answer; False when it was already recorded (or is unknown)."""
        result = await self._session.execute(
            update(AskedQuestion)
            .where(AskedQuestion.id == asked_id, AskedQuestion.helpful.is_(None))
            .values(helpful=helpful)
        )
        return result.rowcount == 1

    async def most_missed(self, limit: int = 20) -> list[Missed]:
        """Questions not answered, and answers marked not helpful, most frequent first."""
        normal = func.lower(func.trim(AskedQuestion.question))
        declined = await self._session.execute(
            select(func.count(), func.min(AskedQuestion.question))
            .where(AskedQuestion.outcome == Outcome.DECLINED.value)
            .group_by(normal)
        )
        unhelpful = await self._session.execute(
            select(func.count(), func.min(AskedQuestion.question), AskedQuestion.entry_id)
            .where(AskedQuestion.helpful.is_(False))
            .group_by(AskedQuestion.entry_id)
        )
        missed = [Missed(count, question, None) for count, question in declined]
        missed += [Missed(count, question, entry) for count, question, entry in unhelpful]
        missed.sort(key=lambda item: (-item.count, item.question))
        return missed[:limit]

    async def purge_asked(self, before: datetime) -> int:
        """Delete questions asked before `before`: the staff report covers what is left."""
        result = await self._session.execute(
            delete(AskedQuestion)
            .where(AskedQuestion.asked_at < before)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount

    async def add_alternate(self, entry_id: str, text: str, now: datetime) -> None:
        statement = insert_for(self._session, KnowledgeAlternate).values(
            entry_id=entry_id, text=text, created_at=now
        )
        await self._session.execute(
            statement.on_conflict_do_nothing(index_elements=["entry_id", "text"])
        )

    async def alternates_version(self) -> tuple[int, int]:
        """(count, newest id): changes whenever an alternate is added or removed."""
        query = select(func.count(), func.coalesce(func.max(KnowledgeAlternate.id), 0))
        count, newest = (await self._session.execute(query)).one()
        return int(count), int(newest)

    async def alternates(self) -> Sequence[KnowledgeAlternate]:
        query = select(KnowledgeAlternate).order_by(KnowledgeAlternate.id)
        return (await self._session.execute(query)).scalars().all()
