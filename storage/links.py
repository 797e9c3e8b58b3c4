"""One-time codes that let a member attach their account on another platform."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.invites import new_code, normalise_code
from storage.models import LinkCode


class LinkCodeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, member_id: int, now: datetime, valid_for: timedelta) -> str:
        """A fresh code for this member; their earlier codes and everyone's expired ones go."""
        await self._session.execute(
            delete(LinkCode).where((LinkCode.member_id == member_id) | (LinkCode.expires_at <= now))
        )
        code = LinkCode(code=new_code(), member_id=member_id, expires_at=now + valid_for)
        self._session.add(code)
        await self._session.flush()
        return code.code

    async def redeem(self, typed: str, now: datetime) -> int | None:
        """The member the code belongs to, using it up; None when unknown or expired.

        A single DELETE ... RETURNING: two accounts racing for one code cannot both win.
        """
        used = await self._session.execute(
            delete(LinkCode)
            .where(LinkCode.code == normalise_code(typed), LinkCode.expires_at > now)
            .returning(LinkCode.member_id)
        )
        return used.scalar_one_or_none()

    async def purge_expired(self, before: datetime) -> int:
        """Delete codes that expired before `before`: they can no longer be redeemed."""
        result = await self._session.execute(
            delete(LinkCode)
            .where(LinkCode.expires_at < before)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount
