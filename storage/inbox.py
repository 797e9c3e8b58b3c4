"""The inbox: platform deliveries stored before they are acknowledged, leased to one worker.

A webhook stores what arrived (`store`) and only then answers 200; the worker that stored it
holds a lease and handles it at once. A worker that starts, or finds a lease run out, takes over
what was stored and not finished (`claim_stale`), so a crash or `kill -9` loses nothing the
platform was told had arrived. Handling marks the delivery handled in the handler's own
transaction (`storage.throttle`), which makes it run once; the replies wait in the row until
they are sent (`hold_replies`, then `finish`), so replies are sent at least once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Executable

from storage.models import Delivery
from storage.prepared import Prepared
from storage.upsert import dialect_of, insert_for

MAX_ATTEMPTS = 5  # a delivery that this many workers took and never finished is left alone


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    """A delivery a worker holds: the payload to handle, or the replies still to send."""

    platform: str
    event_id: str
    body: str | None  # None once handled
    replies: list[dict[str, Any]] | None
    reply_to: str | None
    reply_person: str | None


# Update statements may not name a bound parameter after a column they set.
_KEY = and_(
    Delivery.platform == bindparam("key_platform"), Delivery.event_id == bindparam("key_event_id")
)
_PENDING = or_(Delivery.handled_at.is_(None), Delivery.replies.is_not(None))
_NOW = bindparam("now", type_=Delivery.received_at.type)


def _hold_replies(_dialect: str) -> Executable:
    return (
        update(Delivery)
        .where(_KEY)
        .values(
            replies=bindparam("held_replies", type_=Delivery.replies.type),
            reply_to=bindparam("held_to"),
            reply_person=bindparam("held_person"),
        )
    )


def _finish(_dialect: str) -> Executable:
    return (
        update(Delivery)
        .where(
            Delivery.platform == bindparam("key_platform"),
            Delivery.event_id.in_(bindparam("key_event_ids", expanding=True)),
            _PENDING,
        )
        .values(
            body=None,
            person=None,  # needed only while the delivery is unfinished
            replies=None,
            reply_to=None,
            reply_person=None,
            claimed_until=None,
            handled_at=func.coalesce(Delivery.handled_at, _NOW),
        )
    )


def _unfinished_elsewhere(worker: str) -> ColumnElement[bool]:
    """Not finished, held by a worker other than `worker`, and not given up: what holds up a
    later delivery of the same person."""
    return and_(
        _PENDING,
        Delivery.attempts < MAX_ATTEMPTS,
        or_(Delivery.worker.is_(None), Delivery.worker != worker),
    )


HOLD_REPLIES = Prepared(_hold_replies)
FINISH = Prepared(_finish)


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def store(
        self,
        platform: str,
        deliveries: Sequence[tuple[str, str, str]],
        now: datetime,
        *,
        worker: str,
        lease: timedelta,
    ) -> list[bool]:
        """Keep deliveries (event id, body, whose), leased to `worker`, in one statement; for
        each, False when it was stored before (a redelivery, or the same one twice in this
        call)."""
        if not deliveries:
            return []
        rows = [
            {
                "platform": platform,
                "event_id": event_id,
                "person": person,
                "body": body,
                "received_at": now,
                "claimed_until": now + lease,
                "worker": worker,
                "attempts": 1,
            }
            for event_id, body, person in deliveries
        ]
        insert = insert_for(self._session, Delivery).values(rows)
        inserted = await self._session.execute(
            insert.on_conflict_do_nothing(index_elements=["platform", "event_id"]).returning(
                Delivery.event_id
            )
        )
        new = set(inserted.scalars().all())
        fresh = []
        for event_id, _, _ in deliveries:
            fresh.append(event_id in new)
            new.discard(event_id)
        return fresh

    async def hold_replies(
        self,
        platform: str,
        event_id: str,
        replies: list[dict[str, Any]],
        *,
        reply_to: str,
        reply_person: str,
    ) -> None:
        """Keep the replies to a delivery, in the transaction that produced them, until sent."""
        await HOLD_REPLIES.execute(
            self._session,
            key_platform=platform,
            key_event_id=event_id,
            held_replies=replies,
            held_to=reply_to,
            held_person=reply_person,
        )

    async def finish(self, platform: str, event_ids: Sequence[str], now: datetime) -> None:
        """Handled and their replies sent (or nothing to handle): only the keys stay."""
        await FINISH.execute(
            self._session, key_platform=platform, key_event_ids=list(event_ids), now=now
        )

    async def release(self, platform: str, event_id: str, now: datetime) -> None:
        """Give up a lease after a failure, so the next look takes the delivery again."""
        await self._session.execute(
            update(Delivery)
            .where(Delivery.platform == platform, Delivery.event_id == event_id)
            .values(claimed_until=now)
            .execution_options(synchronize_session=False)
        )

    async def claim_stale(
        self, platform: str, now: datetime, *, worker: str, lease: timedelta, limit: int = 100
    ) -> list[StoredDelivery]:
        """Unfinished deliveries whose lease ran out (their worker died), oldest first, now
        leased to `worker`. On PostgreSQL rows another worker is claiming are skipped."""
        stale = select(Delivery.platform, Delivery.event_id).where(
            Delivery.platform == platform,
            Delivery.claimed_until < now,
            _PENDING,
            Delivery.attempts < MAX_ATTEMPTS,
        )
        stale = stale.order_by(Delivery.received_at, Delivery.event_id).limit(limit)
        if dialect_of(self._session) == "postgresql":
            stale = stale.with_for_update(skip_locked=True)
        claimed = await self._session.execute(
            update(Delivery)
            .where(
                Delivery.platform == platform,
                Delivery.event_id.in_(stale.with_only_columns(Delivery.event_id)),
            )
            .values(claimed_until=now + lease, worker=worker, attempts=Delivery.attempts + 1)
            .returning(
                Delivery.platform,
                Delivery.event_id,
                Delivery.body,
                Delivery.replies,
                Delivery.reply_to,
                Delivery.reply_person,
                Delivery.received_at,
            )
            .execution_options(synchronize_session=False)
        )
        rows = sorted(claimed.all(), key=lambda row: (row.received_at, row.event_id))
        return [
            StoredDelivery(
                row.platform, row.event_id, row.body, row.replies, row.reply_to, row.reply_person
            )
            for row in rows
        ]

    async def people_held_elsewhere(
        self, platform: str, people: Collection[str], *, worker: str
    ) -> set[str]:
        """Which of `people` have a delivery not yet finished at another worker (one not given
        up after `MAX_ATTEMPTS`): their new deliveries must wait their turn across workers."""
        if not people:
            return set()
        query = select(Delivery.person).where(
            Delivery.platform == platform,
            Delivery.person.in_(sorted(people)),
            _unfinished_elsewhere(worker),
        )
        return {person for person in (await self._session.execute(query.distinct())).scalars()}

    async def held_elsewhere_before(
        self, platform: str, person: str, event_id: str, *, worker: str
    ) -> bool:
        """Whether another worker holds an earlier delivery of `person` not yet finished
        (unhandled, or its replies unsent): this one waits for it, so one person's messages
        are answered in the order they arrived, whichever workers they reached. A delivery
        given up after `MAX_ATTEMPTS` holds nobody up."""
        mine = (
            select(Delivery.received_at)
            .where(Delivery.platform == platform, Delivery.event_id == event_id)
            .scalar_subquery()
        )
        earlier = or_(
            Delivery.received_at < mine,
            and_(Delivery.received_at == mine, Delivery.event_id < event_id),
        )
        query = select(Delivery.event_id).where(
            Delivery.platform == platform,
            Delivery.person == person,
            earlier,
            _unfinished_elsewhere(worker),
        )
        return (await self._session.execute(query.limit(1))).first() is not None

    async def renew(self, platform: str, now: datetime, *, worker: str, lease: timedelta) -> None:
        """Extend the leases `worker` holds, so a live worker keeps what it is working on."""
        await self._session.execute(
            update(Delivery)
            .where(
                Delivery.platform == platform,
                Delivery.claimed_until.is_not(None),
                Delivery.worker == worker,
                _PENDING,
            )
            .values(claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )

    async def purge_done(self, before: datetime) -> int:
        """Delete the keys of deliveries handled before `before` whose replies were sent: past
        the time a platform may redeliver them, they refuse nothing. A delivery not yet handled,
        or with replies still to send, stays whatever its age."""
        result = await self._session.execute(
            delete(Delivery)
            .where(Delivery.handled_at < before, Delivery.replies.is_(None))
            .execution_options(synchronize_session=False)
        )
        return result.rowcount
