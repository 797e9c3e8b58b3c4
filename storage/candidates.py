"""Candidate phrasings of knowledge base entries, kept with no link to who asked them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import KnowledgeCandidate


class CandidateState(StrEnum):
    WAITING = "waiting"
    ACCEPTED = "accepted"  # its group became an alternate
    DISMISSED = "dismissed"  # staff said no to its group


class CandidateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entry_id: str, question: str, asker_digest: str, on: date) -> int:
        row = KnowledgeCandidate(
            entry_id=entry_id,
            question=question,
            asker_digest=asker_digest,
            state=CandidateState.WAITING.value,
            created_on=on,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def waiting(self, entry_id: str | None = None) -> Sequence[KnowledgeCandidate]:
        """Candidates still waiting, of one entry or of all, oldest first."""
        query = select(KnowledgeCandidate).where(
            KnowledgeCandidate.state == CandidateState.WAITING.value
        )
        if entry_id is not None:
            query = query.where(KnowledgeCandidate.entry_id == entry_id)
        return (await self._session.execute(query.order_by(KnowledgeCandidate.id))).scalars().all()

    async def settle(self, ids: Collection[int], state: CandidateState) -> int:
        """Mark waiting candidates accepted or dismissed; how many were still waiting (a second
        worker settling the same group at once finds none)."""
        result = await self._session.execute(
            update(KnowledgeCandidate)
            .where(
                KnowledgeCandidate.id.in_(list(ids)),
                KnowledgeCandidate.state == CandidateState.WAITING.value,
            )
            .values(state=state.value)
        )
        return result.rowcount

    async def purge_created(self, before: datetime) -> int:
        """Delete candidates kept before the day of `before`, whatever their state: an accepted
        one lives on as an alternate, a dismissed one is done with, and one still waiting that
        old has not found enough people to be offered."""
        result = await self._session.execute(
            delete(KnowledgeCandidate)
            .where(KnowledgeCandidate.created_on < before.date())
            .execution_options(synchronize_session=False)
        )
        return result.rowcount
