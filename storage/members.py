"""Members, their platform identities and tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.people import MemberRef, Role
from storage.models import Identity, Member, MemberTag
from storage.prepared import Prepared


def in_segment(member: Member, segment: Sequence[str]) -> bool:
    """Whether a member is in a segment of tags (any of them); every member when it is empty."""
    return not segment or any(tag.tag in segment for tag in member.tags)


def to_ref(member: Member) -> MemberRef:
    """The immutable snapshot handlers work with."""
    return MemberRef(
        id=member.id,
        display_name=member.display_name,
        role=Role(member.role),
        tags=frozenset(tag.tag for tag in member.tags),
    )


# What `reached` needs to know of the member behind an account (see storage.arrivals).
ACCOUNT_COLUMNS = (
    Member.id.label("member_id"),
    Member.display_name,
    Member.role,
    Member.last_platform,
    Identity.unreachable_since,
)
_TAGS = Prepared(
    lambda _dialect: select(MemberTag.tag).where(MemberTag.member_id == bindparam("member_id"))
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
        """The member behind a platform account, with tags and identities."""
        query = (
            self._query()
            .join(Member.identities)
            .where(Identity.platform == platform, Identity.external_id == external_id)
        )
        return (await self._session.execute(query)).scalar_one_or_none()

    async def reached(self, platform: str, external_id: str, account: Row[Any]) -> MemberRef:
        """The member who just wrote from this account, from its `ACCOUNT_COLUMNS`.

        Writing to us proves the account reachable again, so an earlier "unreachable" mark is
        cleared, and makes this platform the one broadcasts use (one extra statement each,
        only when it changes).
        """
        if account.unreachable_since is not None:
            await self._set_unreachable(platform, external_id, None, None)
        if account.last_platform != platform:
            await self._session.execute(
                update(Member).where(Member.id == account.member_id).values(last_platform=platform)
            )
        tags = (await _TAGS.execute(self._session, member_id=account.member_id)).scalars()
        return MemberRef(
            id=account.member_id,
            display_name=account.display_name,
            role=Role(account.role),
            tags=frozenset(tags),
        )

    async def lock(self, member_id: int) -> None:
        """Hold the member's row until the transaction ends (PostgreSQL; SQLite has one writer
        anyway), so one member's requests that count against a limit are decided one at a
        time."""
        await self._session.execute(
            select(Member.id).where(Member.id == member_id).with_for_update()
        )

    async def add_identity(self, member_id: int, platform: str, external_id: str) -> None:
        """Attach another platform account; the unique constraint refuses one already taken."""
        self._session.add(Identity(member_id=member_id, platform=platform, external_id=external_id))
        await self._session.flush()

    async def mark_unreachable(
        self, platform: str, external_id: str, reason: str, now: datetime
    ) -> None:
        """Record that the platform refused a message to this account (blocked, deactivated)."""
        await self._set_unreachable(platform, external_id, reason[:200], now)

    async def _set_unreachable(
        self, platform: str, external_id: str, reason: str | None, since: datetime | None
    ) -> None:
        await self._session.execute(
            update(Identity)
            .where(Identity.platform == platform, Identity.external_id == external_id)
            .values(unreachable_reason=reason, unreachable_since=since)
        )

    async def list(self, *, role: Role | None = None, tag: str | None = None) -> Sequence[Member]:
        query = self._query().order_by(Member.id)
        if role is not None:
            query = query.where(Member.role == role.value)
        if tag is not None:
            query = query.where(Member.tags.any(MemberTag.tag == tag))
        return (await self._session.execute(query)).scalars().all()

    async def pseudonym(self, member_id: int) -> str | None:
        """What the audit trail calls this member (None once they are erased)."""
        query = select(Member.pseudonym).where(Member.id == member_id)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def by_pseudonym(self) -> dict[str, tuple[int, str]]:
        """Every member's pseudonym, to their id and name: how staff read the trail."""
        query = select(Member.pseudonym, Member.id, Member.display_name)
        rows = (await self._session.execute(query)).all()
        return {pseudonym: (member_id, name) for pseudonym, member_id, name in rows}

    async def display_names(self) -> Sequence[str]:
        """Every member's name, and nothing else about them."""
        return (await self._session.execute(select(Member.display_name))).scalars().all()

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
