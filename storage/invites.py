"""Invite codes, redeemed atomically so a one-use code can never admit two people."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from domain.people import Role
from storage.models import Invite

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes get read aloud
CODE_LENGTH = 8


def new_code() -> str:
    """A fresh random code; invite and link codes share the alphabet, length and format."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """Codes are case-insensitive and may be typed with spaces or dashes."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def looks_like_code(typed: str) -> bool:
    """Whether `typed` could be a code at all, so typos get a format hint, not "not found"."""
    normal = normalise_code(typed)
    return len(normal) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in normal)


def format_code(code: str) -> str:
    """`ABCD-EFGH`: easier to read out and to type on a phone."""
    return f"{code[:4]}-{code[4:]}"


class RedeemFailure(StrEnum):
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    USED_UP = "used_up"
    EXPIRED = "expired"


class InviteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        *,
        role: Role,
        tags: Iterable[str],
        max_uses: int,
        expires_at: datetime | None,
        now: datetime,
    ) -> Invite:
        invite = Invite(
            code=new_code(),
            role=role.value,
            tags=sorted(set(tags)),
            max_uses=max_uses,
            uses=0,
            expires_at=expires_at,
            revoked=False,
            created_at=now,
        )
        self._session.add(invite)
        await self._session.flush()
        return invite

    async def get(self, code: str) -> Invite | None:
        query = select(Invite).where(Invite.code == normalise_code(code))
        return (await self._session.execute(query)).scalar_one_or_none()

    async def list(self) -> Sequence[Invite]:
        return (await self._session.execute(select(Invite).order_by(Invite.id))).scalars().all()

    async def revoke(self, code: str) -> int | None:
        """Withdraw the code; the invite's id, or None when there is no such code."""
        return await self._revoke_where(Invite.code == normalise_code(code))

    async def revoke_numbered(self, invite_id: int) -> int | None:
        """Withdraw invite `invite_id` (how the console names it, never by its code)."""
        return await self._revoke_where(Invite.id == invite_id)

    async def _revoke_where(self, condition: ColumnElement[bool]) -> int | None:
        query = update(Invite).where(condition).values(revoked=True).returning(Invite.id)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def redeem(self, code: str, now: datetime) -> Invite | RedeemFailure:
        """Use one place on the invite, or say why it cannot be used."""
        normal = normalise_code(code)
        claimed = await self._session.execute(
            update(Invite)
            .where(
                Invite.code == normal,
                Invite.revoked.is_(False),
                Invite.uses < Invite.max_uses,
                or_(Invite.expires_at.is_(None), Invite.expires_at > now),
            )
            .values(uses=Invite.uses + 1)
            .returning(Invite.id)
        )
        invite_id = claimed.scalar_one_or_none()
        invite = await self._session.get(Invite, invite_id) if invite_id else await self.get(normal)
        if invite is None:
            return RedeemFailure.UNKNOWN
        if invite_id is not None:
            await self._session.refresh(invite)
            return invite
        if invite.revoked:
            return RedeemFailure.REVOKED
        if invite.uses >= invite.max_uses:
            return RedeemFailure.USED_UP
        return RedeemFailure.EXPIRED
