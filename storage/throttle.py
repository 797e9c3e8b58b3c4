"""Per-person rate limiting and delivery de-duplication, both shared across workers.

A delivery is handled once: the handler's transaction marks it handled in the inbox
(storage.inbox), and a second handler of the same delivery, a platform's redelivery or a worker
taking over after a crash, finds it marked and stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Exists, bindparam, case, delete, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from storage.models import Delivery, RateLimitWindow
from storage.prepared import Prepared
from storage.upsert import dialect_insert, dialect_of

RATE_WINDOW = timedelta(minutes=1)  # CEDP_RATE_LIMIT_PER_MINUTE counts in windows this long


def rate_limit_key(platform: str, account: str) -> str:
    """What one person's messages are counted under: their account on the platform."""
    return f"{platform}:{account}"


@dataclass(frozen=True, slots=True)
class Admission:
    first_delivery: bool  # False for a platform's redelivery: it is not counted either
    count: int  # this person's messages in the current window, this one included


def _count_hit(dialect: str, *, only_if: Exists | None = None) -> Any:
    """Upsert one hit into the person's window, returning the count (`only_if` it holds)."""
    table = RateLimitWindow.__table__
    now = bindparam("now", type_=table.c.window_start.type)
    stale = table.c.window_start <= bindparam("stale_before", type_=table.c.window_start.type)
    insert = dialect_insert(dialect, RateLimitWindow)
    if only_if is None:
        insert = insert.values(key=bindparam("key"), window_start=now, count=1)
    else:
        row = select(bindparam("key", type_=table.c.key.type), now, literal(1)).where(only_if)
        insert = insert.from_select(["key", "window_start", "count"], row)
    return insert.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "window_start": case((stale, now), else_=table.c.window_start),
            "count": case((stale, 1), else_=table.c.count + 1),
        },
    ).returning(table.c.count)


def _record_delivery(dialect: str) -> Any:
    """Mark a delivery handled, storing it when no webhook did (a test, a direct call); returns
    a row only when it had not been handled before. Its stored body is no longer needed."""
    now = bindparam("now", type_=Delivery.received_at.type)
    return (
        dialect_insert(dialect, Delivery)
        .values(
            platform=bindparam("platform"),
            event_id=bindparam("event_id"),
            received_at=now,
            handled_at=now,
            attempts=0,
        )
        .on_conflict_do_update(
            index_elements=["platform", "event_id"],
            set_={"handled_at": now, "body": None},
            where=Delivery.handled_at.is_(None),
        )
        .returning(Delivery.event_id)
    )


def _admit(dialect: str) -> Executable:
    """PostgreSQL only: record the delivery and count the hit in one statement, the hit only
    when the delivery is new (data-modifying CTEs; SQLite runs the two statements instead)."""
    delivered = _record_delivery(dialect).cte("delivered")
    counted = _count_hit(dialect, only_if=exists(delivered.select())).cte("counted")
    return select(
        exists(delivered.select()).label("first_delivery"),
        counted.select().scalar_subquery().label("count"),
    )


COUNT_HIT = Prepared(_count_hit)
RECORD_DELIVERY = Prepared(_record_delivery)
ADMIT = Prepared(_admit)


class ThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def admit(
        self, platform: str, event_id: str | None, key: str, now: datetime, window: timedelta
    ) -> Admission:
        """Record a delivery (when it has an id) and count it against `key`'s fixed window."""
        if event_id is None:
            return Admission(True, await self.count_hit(key, now, window))
        if dialect_of(self._session) == "postgresql":
            row = (
                await ADMIT.execute(
                    self._session,
                    platform=platform,
                    event_id=event_id,
                    key=key,
                    now=now,
                    stale_before=now - window,
                )
            ).one()
            return Admission(row.first_delivery, row.count or 0)
        if not await self.first_delivery(platform, event_id, now):
            return Admission(False, 0)
        return Admission(True, await self.count_hit(key, now, window))

    async def count_hit(self, key: str, now: datetime, window: timedelta) -> int:
        """Count one message for `key` in a fixed window; returns the count including this one."""
        result = await COUNT_HIT.execute(self._session, key=key, now=now, stale_before=now - window)
        return int(result.scalar_one())

    async def first_delivery(self, platform: str, event_id: str, now: datetime) -> bool:
        """Mark a delivery handled; False when it was handled before (a platform retry)."""
        result = await RECORD_DELIVERY.execute(
            self._session, platform=platform, event_id=event_id, now=now
        )
        return result.first() is not None

    async def purge_windows(self, before: datetime) -> int:
        """Delete windows that started before `before`: once over, a window limits nobody, and
        its key names the person's account."""
        result = await self._session.execute(
            delete(RateLimitWindow)
            .where(RateLimitWindow.window_start < before)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount
