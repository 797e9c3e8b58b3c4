"""Per-person rate limiting and delivery de-duplication, both shared across workers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEvent, RateLimitWindow
from storage.upsert import insert_for


class ThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count_hit(self, key: str, now: datetime, window: timedelta) -> int:
        """Count one message for `key` in a fixed window; returns the count including this one."""
        table = RateLimitWindow.__table__
        stale = table.c.window_start <= now - window
        statement = (
            insert_for(self._session, RateLimitWindow)
            .values(key=key, window_start=now, count=1)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "window_start": case((stale, now), else_=table.c.window_start),
                    "count": case((stale, 1), else_=table.c.count + 1),
                },
            )
            .returning(table.c.count)
        )
        return (await self._session.execute(statement)).scalar_one()

    async def first_delivery(self, platform: str, event_id: str, now: datetime) -> bool:
        """Record a delivery; False when it was recorded before (a platform retry)."""
        statement = (
            insert_for(self._session, ProcessedEvent)
            .values(platform=platform, event_id=event_id, received_at=now)
            .on_conflict_do_nothing(index_elements=["platform", "event_id"])
        )
        return (await self._session.execute(statement)).rowcount == 1
