"""The outbox: messages to people outside the current conversation, kept until delivered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import leases
from storage.models import OutboxMessage


class Option(Protocol):
    """A button to send with a message (the bot's `Choice` is one): its label and payload."""

    @property
    def label(self) -> str: ...

    @property
    def payload(self) -> str: ...


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def enqueue(
        self,
        platform: str,
        recipient_id: str,
        text: str,
        now: datetime,
        options: Sequence[Option] = (),
    ) -> None:
        self._session.add(
            OutboxMessage(
                platform=platform,
                recipient_id=recipient_id,
                text=text,
                options=[[choice.label, choice.payload] for choice in options],
                created_at=now,
            )
        )
        await self._session.flush()

    async def claim(
        self,
        platform: str,
        now: datetime,
        *,
        lease: timedelta,
        limit: int = 50,
        recipient_id: str | None = None,
    ) -> list[OutboxMessage]:
        """Pending messages, oldest first, held for `lease` by whoever claims them.

        One UPDATE claims the rows, so two workers never push the same message; one that dies
        mid-push lets the lease run out and another worker sends it. Call `complete` once sent.
        """
        mine = () if recipient_id is None else (OutboxMessage.recipient_id == recipient_id,)
        claimed = await self._session.execute(
            leases.claim(
                OutboxMessage,
                OutboxMessage.platform == platform,
                *mine,
                order_by=(OutboxMessage.id,),
                limit=limit,
                now=now,
                lease=lease,
                returning=(OutboxMessage.id,),
            )
        )
        ids = list(claimed.scalars().all())
        if not ids:
            return []
        query = select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        return list((await self._session.execute(query)).scalars().all())

    async def complete(self, message_ids: Sequence[int]) -> None:
        """Delivered (or undeliverable for good): the message, address and text are deleted."""
        if message_ids:
            await self._session.execute(
                delete(OutboxMessage)
                .where(OutboxMessage.id.in_(message_ids))
                .execution_options(synchronize_session=False)
            )

    async def take(self, platform: str, recipient_id: str, now: datetime) -> list[OutboxMessage]:
        """Claim and complete in one go, for adapters that show messages on the next turn."""
        pending = await self.claim(
            platform, now, lease=timedelta(minutes=1), limit=1000, recipient_id=recipient_id
        )
        await self.complete([message.id for message in pending])
        return pending
