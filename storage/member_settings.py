"""Members' settings for programme notices (muted categories, quiet hours, time zone)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MemberSettings
from storage.upsert import insert_for


@dataclass(frozen=True, slots=True)
class StoredSettings:
    """What a member chose, as stored; None fields mean the programme's default."""

    muted: frozenset[str] = frozenset()
    quiet_hours: str | None = None
    timezone: str | None = None


IDS_AT_ONCE = 5000  # well inside both databases' limits on bound parameters


class MemberSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, member_id: int) -> StoredSettings:
        return (await self.for_members([member_id])).get(member_id, StoredSettings())

    async def for_members(self, member_ids: Iterable[int]) -> dict[int, StoredSettings]:
        """The members among `member_ids` who changed anything; the rest have the defaults."""
        ids = sorted(set(member_ids))
        found: dict[int, StoredSettings] = {}
        for start in range(0, len(ids), IDS_AT_ONCE):
            chunk = ids[start : start + IDS_AT_ONCE]
            rows = await self._session.execute(
                select(MemberSettings).where(MemberSettings.member_id.in_(chunk))
            )
            for row in rows.scalars():
                found[row.member_id] = StoredSettings(
                    frozenset(row.muted), row.quiet_hours, row.timezone
                )
        return found

    async def save(self, member_id: int, settings: StoredSettings) -> None:
        values = {
            "muted": sorted(settings.muted),
            "quiet_hours": settings.quiet_hours,
            "timezone": settings.timezone,
        }
        await self._session.execute(
            insert_for(self._session, MemberSettings)
            .values(member_id=member_id, **values)
            .on_conflict_do_update(index_elements=["member_id"], set_=values)
        )
