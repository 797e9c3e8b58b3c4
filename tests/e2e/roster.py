"""Thousands of members written straight into the database, and broadcasts to them, for tests
and benchmarks of broadcasting: joining each over the webhook would take minutes and test
joining, not sending."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Self

from sqlalchemy import insert

from bot.settings import Settings
from domain.people import OPERATOR, Role
from services import broadcasts
from storage.database import Database
from storage.migrate import upgrade_database
from storage.models import Identity, Member
from storage.repositories import Repositories


class Roster:
    """The database a server under test uses, opened from outside it (migrated first)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @classmethod
    @asynccontextmanager
    async def open(cls, database_url: str) -> AsyncIterator[Self]:
        database = Database(database_url)
        try:
            await upgrade_database(database.engine)
            yield cls(database)
        finally:
            await database.dispose()

    async def add_telegram_members(self, chat_ids: Sequence[int]) -> None:
        """A member per chat id, whose one account is that Telegram private chat."""
        now = datetime.now(UTC)
        people = [
            {
                "display_name": f"Member {chat}",
                "role": Role.MEMBER.value,
                "created_at": now,
                "last_platform": "telegram",
            }
            for chat in chat_ids
        ]
        async with self._database.transaction() as session:
            created = await session.execute(
                insert(Member).returning(Member.id, sort_by_parameter_order=True), people
            )
            accounts = [
                {"platform": "telegram", "external_id": str(chat), "member_id": member_id}
                for chat, member_id in zip(chat_ids, created.scalars(), strict=True)
            ]
            await session.execute(insert(Identity), accounts)

    async def broadcast(self, text: str) -> int:
        """A news broadcast to every member, due now, quiet hours aside; returns its id."""
        settings = Settings(database_url="", quiet_hours="")
        async with self._database.transaction() as session:
            planned = await broadcasts.schedule(
                Repositories.bound_to(session),
                broadcasts.Draft(text),
                datetime.now(UTC),
                settings,
                OPERATOR,
            )
        assert planned.broadcast_id is not None
        return planned.broadcast_id

    async def status(self, broadcast_id: int) -> dict[str, Any]:
        """What `cedp-bot broadcast status --json` prints."""
        async with self._database.transaction() as session:
            report = await broadcasts.status(Repositories.bound_to(session), broadcast_id)
        return report.as_json()
