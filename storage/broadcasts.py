"""Broadcasts and their deliveries: one row per broadcast and member, claimed with a lease.

Creating a broadcast writes every recipient's row in the same transaction, and a unique
constraint allows one row per broadcast and member, so nobody is sent one broadcast twice by
construction. A sender claims a batch of due rows for its platform (one statement; PostgreSQL
skips rows another worker holds), holds no lock while it sends, and records each outcome
afterwards; a row whose lease runs out (its worker died) is due again for whoever looks next.

A row is `pending` until it is `sent`, `failed` (after its last attempt, or refused for good),
`excluded` (muted, or no reachable account) or `cancelled` (the broadcast was cancelled first).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage import leases
from storage.models import Base, Member, UTCDateTime
from storage.upsert import insert_for

MAX_REASON_CHARS = 200


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    EXCLUDED = "excluded"
    CANCELLED = "cancelled"


class Broadcast(Base):
    """What staff sent, to whom (the segment as given), and when it is due."""

    __tablename__ = "broadcasts"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    platform: Mapped[str | None] = mapped_column(String(32), nullable=True)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Whether staff may see who chose what; the message says so to every recipient.
    names_to_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BroadcastDelivery(Base):
    """One broadcast to one member, on the account chosen when it was created."""

    __tablename__ = "broadcast_deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "member_id"),
        Index("ix_broadcast_deliveries_due", "platform", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(MAX_REASON_CHARS), nullable=True)
    # When it may go: the broadcast's time, the end of the member's quiet hours, or a retry.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed attempts so far
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BroadcastAnswer(Base):
    """A member's choice on a broadcast (an RSVP, say); they may change it."""

    __tablename__ = "broadcast_answers"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    choice: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A recipient's row as the broadcast is created: pending (due then) or excluded (why)."""

    member_id: int
    platform: str
    recipient_id: str
    due_at: datetime
    excluded: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    id: int
    broadcast_id: int
    member_id: int
    platform: str
    recipient_id: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a claimed delivery: `status` sent, failed or excluded, with `reason`;
    or pending again at `due_at` (a retry, or held by quiet hours), `failed_attempt` saying
    whether it counts as a failed attempt."""

    delivery_id: int
    status: DeliveryStatus
    reason: str | None = None
    due_at: datetime | None = None
    failed_attempt: bool = False


@dataclass(frozen=True, slots=True)
class Recipient:
    """A delivery as staff may see it in the status: whose, where, and what happened."""

    member_name: str
    platform: str
    recipient_id: str
    status: DeliveryStatus
    reason: str | None


class BroadcastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        *,
        text: str,
        category: str,
        tags: Sequence[str],
        platform: str | None,
        choices: Sequence[str],
        names_to_staff: bool,
        send_at: datetime,
        now: datetime,
        deliveries: Iterable[NewDelivery],
    ) -> Broadcast:
        """The broadcast and every recipient's row, in the caller's one transaction."""
        broadcast = Broadcast(
            text=text,
            category=category,
            tags=list(tags),
            platform=platform,
            choices=list(choices),
            names_to_staff=names_to_staff,
            send_at=send_at,
            created_at=now,
        )
        self._session.add(broadcast)
        await self._session.flush()
        rows = [
            {
                "broadcast_id": broadcast.id,
                "member_id": d.member_id,
                "platform": d.platform,
                "recipient_id": d.recipient_id,
                "status": DeliveryStatus.EXCLUDED if d.excluded else DeliveryStatus.PENDING,
                "reason": d.excluded,
                "due_at": d.due_at,
                "attempts": 0,
            }
            for d in deliveries
        ]
        if rows:
            await self._session.execute(insert(BroadcastDelivery), rows)
        return broadcast

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self._session.get(Broadcast, broadcast_id)

    async def get_many(self, broadcast_ids: Iterable[int]) -> dict[int, Broadcast]:
        ids = list(set(broadcast_ids))
        if not ids:
            return {}
        rows = await self._session.execute(select(Broadcast).where(Broadcast.id.in_(ids)))
        return {broadcast.id: broadcast for broadcast in rows.scalars()}

    async def list(self, limit: int | None = None) -> list[Broadcast]:
        """Every broadcast (or the latest `limit`), newest first."""
        rows = await self._session.execute(
            select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
        )
        return list(rows.scalars())

    async def claim(
        self,
        platform: str,
        now: datetime,
        *,
        lease: timedelta,
        limit: int,
        recipient_id: str | None = None,
    ) -> list[ClaimedDelivery]:
        """Due pending rows of `platform` (of one recipient, for the terminal), earliest first,
        held for `lease`, in one statement (storage.leases: workers take different rows)."""
        mine = () if recipient_id is None else (BroadcastDelivery.recipient_id == recipient_id,)
        claimed = await self._session.execute(
            leases.claim(
                BroadcastDelivery,
                BroadcastDelivery.platform == platform,
                BroadcastDelivery.status == DeliveryStatus.PENDING,
                BroadcastDelivery.due_at <= now,
                *mine,
                order_by=(BroadcastDelivery.due_at, BroadcastDelivery.id),
                limit=limit,
                now=now,
                lease=lease,
                returning=(
                    BroadcastDelivery.id,
                    BroadcastDelivery.broadcast_id,
                    BroadcastDelivery.member_id,
                    BroadcastDelivery.platform,
                    BroadcastDelivery.recipient_id,
                    BroadcastDelivery.attempts,
                ),
            )
        )
        rows = [ClaimedDelivery(**row._mapping) for row in claimed]
        return sorted(rows, key=lambda row: row.id)

    async def renew(self, delivery_ids: Sequence[int], now: datetime, lease: timedelta) -> None:
        """Keep holding rows still being sent, so nobody takes them over while we live.

        Rows another transaction has locked are skipped: that is the batch's own outcomes being
        recorded (their lease ends with them). Waiting for them instead could deadlock on
        PostgreSQL, since the record writes the batch in several statements, each locking its
        rows in its own order, while this one statement locks them in another.
        """
        if delivery_ids:
            unlocked = (
                select(BroadcastDelivery.id)
                .where(
                    BroadcastDelivery.id.in_(delivery_ids),
                    BroadcastDelivery.status == DeliveryStatus.PENDING,
                )
                .with_for_update(skip_locked=True)
            )
            await self._session.execute(
                update(BroadcastDelivery)
                .where(
                    BroadcastDelivery.id.in_(unlocked),
                    BroadcastDelivery.status == DeliveryStatus.PENDING,
                )
                .values(claimed_until=now + lease)
                .execution_options(synchronize_session=False)
            )

    async def record(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Write what became of claimed rows, one statement per kind of outcome."""
        groups: dict[tuple[Any, ...], list[int]] = {}
        for outcome in outcomes:
            shape = (outcome.status, outcome.reason, outcome.due_at, outcome.failed_attempt)
            groups.setdefault(shape, []).append(outcome.delivery_id)
        for (status, reason, due_at, failed_attempt), ids in groups.items():
            values: dict[str, Any] = {"status": status, "claimed_until": None}
            if status is DeliveryStatus.SENT:
                values["sent_at"] = now
            if reason is not None:
                values["reason"] = reason[:MAX_REASON_CHARS]
            if due_at is not None:
                values["due_at"] = due_at
            if failed_attempt:
                values["attempts"] = BroadcastDelivery.attempts + 1
            # A message that went out counts as sent even if the broadcast was cancelled while
            # it was on its way; every other outcome applies only to a row still pending.
            open_statuses = [DeliveryStatus.PENDING.value]
            if status is DeliveryStatus.SENT:
                open_statuses.append(DeliveryStatus.CANCELLED.value)
            await self._session.execute(
                update(BroadcastDelivery)
                .where(
                    BroadcastDelivery.id.in_(ids),
                    BroadcastDelivery.status.in_(open_statuses),
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    async def counts(self, broadcast_id: int) -> dict[DeliveryStatus, int]:
        """Rows of the broadcast by status; every status present."""
        rows = await self._session.execute(
            select(BroadcastDelivery.status, func.count())
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
            .group_by(BroadcastDelivery.status)
        )
        found = {DeliveryStatus(status): count for status, count in rows.all()}
        return {status: found.get(status, 0) for status in DeliveryStatus}

    async def recipients(
        self, broadcast_id: int, statuses: Iterable[DeliveryStatus]
    ) -> list[Recipient]:
        """The rows in `statuses`, with the member's name, for staff to act on."""
        rows = await self._session.execute(
            select(
                Member.display_name,
                BroadcastDelivery.platform,
                BroadcastDelivery.recipient_id,
                BroadcastDelivery.status,
                BroadcastDelivery.reason,
            )
            .join(Member, Member.id == BroadcastDelivery.member_id)
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.status.in_([status.value for status in statuses]),
            )
            .order_by(BroadcastDelivery.id)
        )
        return [
            Recipient(name, platform, recipient, DeliveryStatus(status), reason)
            for name, platform, recipient, status, reason in rows.all()
        ]

    async def cancel(self, broadcast: Broadcast, now: datetime) -> int:
        """Stop what is still pending; rows being sent at this moment still go, and are
        recorded as what became of them (if their worker dies, the next claim cancels them)."""
        broadcast.cancelled_at = now
        return await self._move(
            broadcast.id, DeliveryStatus.PENDING, DeliveryStatus.CANCELLED, free_at=now
        )

    async def resend_failed(self, broadcast_id: int, now: datetime) -> int:
        """Failed rows become pending again, due now, with their attempts reset."""
        return await self._move(
            broadcast_id, DeliveryStatus.FAILED, DeliveryStatus.PENDING, due_at=now, attempts=0
        )

    async def _move(
        self,
        broadcast_id: int,
        old: DeliveryStatus,
        new: DeliveryStatus,
        *,
        free_at: datetime | None = None,
        **values: Any,
    ) -> int:
        """Rows of the broadcast from `old` to `new`; with `free_at`, only rows no worker holds
        then."""
        moved = update(BroadcastDelivery).where(
            BroadcastDelivery.broadcast_id == broadcast_id, BroadcastDelivery.status == old
        )
        if free_at is not None:
            moved = moved.where(leases.is_free(BroadcastDelivery.claimed_until, free_at))
        result = await self._session.execute(
            moved.values(status=new, reason=None, claimed_until=None, **values).execution_options(
                synchronize_session=False
            )
        )
        return result.rowcount

    async def purge_sent(self, before: datetime) -> int:
        """Delete the recipients' rows and answers of broadcasts due before `before`, save rows
        still pending; the broadcast itself (staff's words, the segment) stays in the list."""
        old = select(Broadcast.id).where(Broadcast.send_at < before)
        deliveries = await self._session.execute(
            delete(BroadcastDelivery)
            .where(
                BroadcastDelivery.broadcast_id.in_(old),
                BroadcastDelivery.status != DeliveryStatus.PENDING.value,
            )
            .execution_options(synchronize_session=False)
        )
        answers = await self._session.execute(
            delete(BroadcastAnswer)
            .where(BroadcastAnswer.broadcast_id.in_(old))
            .execution_options(synchronize_session=False)
        )
        return deliveries.rowcount + answers.rowcount

    async def is_recipient(self, broadcast_id: int, member_id: int) -> bool:
        """Whether the broadcast was sent to this member (only they may answer it)."""
        found = await self._session.execute(
            select(BroadcastDelivery.id).where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.member_id == member_id,
                BroadcastDelivery.status == DeliveryStatus.SENT,
            )
        )
        return found.first() is not None

    async def answer(self, broadcast_id: int, member_id: int, choice: int, now: datetime) -> None:
        """Record (or change) a member's choice."""
        await self._session.execute(
            insert_for(self._session, BroadcastAnswer)
            .values(broadcast_id=broadcast_id, member_id=member_id, choice=choice, answered_at=now)
            .on_conflict_do_update(
                index_elements=["broadcast_id", "member_id"],
                set_={"choice": choice, "answered_at": now},
            )
        )

    async def answer_counts(self, broadcast_id: int) -> dict[int, int]:
        rows = await self._session.execute(
            select(BroadcastAnswer.choice, func.count())
            .where(BroadcastAnswer.broadcast_id == broadcast_id)
            .group_by(BroadcastAnswer.choice)
        )
        return {choice: count for choice, count in rows.all()}

    async def answer_names(self, broadcast_id: int) -> list[tuple[int, str]]:
        """(choice, member name), for broadcasts whose answers are shared with staff by name."""
        rows = await self._session.execute(
            select(BroadcastAnswer.choice, Member.display_name)
            .join(Member, Member.id == BroadcastAnswer.member_id)
            .where(BroadcastAnswer.broadcast_id == broadcast_id)
            .order_by(BroadcastAnswer.choice, Member.display_name)
        )
        return [(choice, name) for choice, name in rows.all()]
