"""Per-person rate limiting and delivery de-duplication, both shared across workers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from storage.models import ProcessedEvent, RateLimitWindow
from storage.prepared import Prepared
from storage.upsert import dialect_insert


def _count_hit(dialect: str) -> Executable:
    table = RateLimitWindow.__table__
    now = bindparam("now", type_=table.c.window_start.type)
    stale = table.c.window_start <= bindparam("stale_before", type_=table.c.window_start.type)
    return (
        dialect_insert(dialect, RateLimitWindow)
        .values(key=bindparam("key"), window_start=now, count=1)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "window_start": case((stale, now), else_=table.c.window_start),
                "count": case((stale, 1), else_=table.c.count + 1),
            },
        )
        .returning(table.c.count)
    )


def _record_delivery(dialect: str) -> Executable:
    return (
        dialect_insert(dialect, ProcessedEvent)
        .values(
            platform=bindparam("platform"),
            event_id=bindparam("event_id"),
            received_at=bindparam("received_at"),
        )
        .on_conflict_do_nothing(index_elements=["platform", "event_id"])
    )


COUNT_HIT = Prepared(_count_hit)
RECORD_DELIVERY = Prepared(_record_delivery)


class ThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count_hit(self, key: str, now: datetime, window: timedelta) -> int:
        """Count one message for `key` in a fixed window; returns the count including this one."""
        result = await COUNT_HIT.execute(self._session, key=key, now=now, stale_before=now - window)
        return int(result.scalar_one())

    async def first_delivery(self, platform: str, event_id: str, now: datetime) -> bool:
        """Record a delivery; False when it was recorded before (a platform retry)."""
        result = await RECORD_DELIVERY.execute(
            self._session, platform=platform, event_id=event_id, received_at=now
        )
        return result.rowcount == 1
