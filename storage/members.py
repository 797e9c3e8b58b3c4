"""Members, their platform identities and tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.messages import MemberRef, Role
from storage.models import Identity, Member, MemberTag


def to_ref(member: Member) -> MemberRef:
    """The immutable snapshot handlers work with."""
    return MemberRef(
        id=member.id,
        display_name=member.display_name,
        role=Role(member.role),
        tags=frozenset(tag.tag for tag in member.tags),
    )


class MemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _query(*, with_identities: bool = True) -> Select[tuple[Member]]:
        loads = [selectinload(Member.tags)]
        if with_identities:
            loads.append(selectinload(Member.identities))
        return select(Member).options(*loads)

    async def get(self, member_id: int) -> Member | None:
        result = await self._session.execute(self._query().where(Member.id == member_id))
        return result.scalar_one_or_none()

    async def find_by_identity(self, platform: str, external_id: str) -> Member | None:
        """The member behind a platform account, with tags (runs on every event: no identities)."""
        query = (
            self._query(with_identities=False)
            .join(Member.identities)
            .where(Identity.platform == platform, Identity.external_id == external_id)
        )
        return (await self._session.execute(query)).scalar_one_or_none()

    async def list(self, *, role: Role | None = None, tag: str | None = None) -> Sequence[Member]:
        query = self._query().order_by(Member.id)
        if role is not None:
            query = query.where(Member.role == role.value)
        if tag is not None:
            query = query.where(Member.tags.any(MemberTag.tag == tag))
        return (await self._session.execute(query)).scalars().all()

    async def create(
        self,
        *,
        display_name: str,
        role: Role,
        tags: Iterable[str],
        now: datetime,
        identity: tuple[str, str] | None = None,
    ) -> Member:
        member = Member(
            display_name=display_name,
            role=role.value,
            created_at=now,
            tags=[MemberTag(tag=tag) for tag in sorted(set(tags))],
            identities=[],
        )
        if identity is not None:
            member.identities.append(Identity(platform=identity[0], external_id=identity[1]))
        self._session.add(member)
        await self._session.flush()
        return member

    async def remove(self, member_id: int) -> bool:
        result = await self._session.execute(delete(Member).where(Member.id == member_id))
        return result.rowcount > 0

    async def set_role(self, member: Member, role: Role) -> None:
        member.role = role.value
        await self._session.flush()

    async def change_tags(
        self, member: Member, *, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None:
        current = {tag.tag for tag in member.tags}
        wanted = (current | set(add)) - set(remove)
        member.tags = [tag for tag in member.tags if tag.tag in wanted] + [
            MemberTag(tag=tag) for tag in sorted(wanted - current)
        ]
        await self._session.flush()
