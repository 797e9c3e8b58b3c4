"""The audit trail: append, list and read in order. There is no update and no delete here, and
nowhere else in the application touches the table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import GENESIS, Record, Stored, chain_hash
from storage.models import AuditEntry

_PG_AUDIT_LOCK = 0x0A0D17  # one appender at a time across workers (SQLite has one writer anyway)


def _stored(row: AuditEntry) -> Stored:
    record = Record(row.at, row.actor, row.action, row.subject, dict(row.details or {}))
    return Stored(row.id, record, row.previous_hash, row.hash)


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(
        self,
        actor: str,
        action: str,
        subject: str,
        now: datetime,
        details: Mapping[str, str] | None = None,
    ) -> Stored:
        """Chain a new entry to the last one, in the caller's transaction: the action and its
        entry commit together or not at all."""
        if self._session.bind.dialect.name == "postgresql":
            await self._session.execute(text(f"SELECT pg_advisory_xact_lock({_PG_AUDIT_LOCK})"))
        last = await self._session.execute(
            select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
        )
        previous = last.scalar_one_or_none() or GENESIS
        at = now.astimezone(UTC)  # hashed as it will read back
        record = Record(at, actor, action, subject, dict(details or {}))
        row = AuditEntry(
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details=dict(record.details),
            previous_hash=previous,
            hash=chain_hash(previous, record),
        )
        self._session.add(row)
        await self._session.flush()
        return _stored(row)

    async def entries(
        self, since: datetime | None = None, actor: str | None = None
    ) -> Sequence[Stored]:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if actor is not None:
            query = query.where(AuditEntry.actor == actor)
        return [_stored(row) for row in (await self._session.execute(query)).scalars()]
