"""Keys the bot generates for itself, kept in the database so every worker uses the same one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SecretKey
from storage.upsert import insert_for


class SecretKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_or_create(self, name: str, candidate: str, now: datetime) -> str:
        """The key stored under `name`, storing `candidate` first when there is none.

        Insert-if-absent, then read: two workers starting at once both get the key that was
        stored first (on PostgreSQL the second insert waits for the first to commit).
        """
        await self._session.execute(
            insert_for(self._session, SecretKey)
            .values(name=name, value=candidate, created_at=now)
            .on_conflict_do_nothing(index_elements=[SecretKey.name])
        )
        stored = await self._session.execute(select(SecretKey.value).where(SecretKey.name == name))
        return stored.scalar_one()
