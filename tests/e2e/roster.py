"""Thousands of members written straight into the database, and broadcasts to them, for tests
and benchmarks of broadcasting and the soak: joining each over the webhook would take minutes
and test joining, not sending."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

from sqlalchemy import insert

from bot.binding import Binder, load_secret
from bot.settings import Settings
from domain.people import OPERATOR, Role
from services import broadcasts
from storage.database import Database
from storage.migrate import upgrade_database
from storage.models import Identity, Member
from storage.repositories import Repositories
from tests.conftest import unit

T = TypeVar("T")


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

    @property
    def database(self) -> Database:
        return self._database

    async def add_members(self, platform: str, accounts: Sequence[str]) -> list[int]:
        """A member per account on `platform`, whose one account it is; their ids, in order."""
        now = datetime.now(UTC)
        people = [
            {
                "display_name": f"Member {account}",
                "role": Role.MEMBER.value,
                "created_at": now,
                "last_platform": platform,
            }
            for account in accounts
        ]
        async with self._database.transaction() as session:
            created = await session.execute(
                insert(Member).returning(Member.id, sort_by_parameter_order=True), people
            )
            member_ids = list(created.scalars())
            identities = [
                {"platform": platform, "external_id": account, "member_id": member_id}
                for account, member_id in zip(accounts, member_ids, strict=True)
            ]
            await session.execute(insert(Identity), identities)
        return member_ids

    async def add_telegram_members(self, chat_ids: Sequence[int]) -> list[int]:
        """A member per chat id, whose one account is that Telegram private chat."""
        return await self.add_members("telegram", [str(chat) for chat in chat_ids])

    async def unit(self, work: Callable[[Repositories], Awaitable[T]]) -> T:
        """Run `work` in one transaction, beside the servers."""
        return await unit(self._database, work)

    async def binder(self) -> Binder:
        """Binds buttons as the servers do: with the key they keep in the database."""
        settings = Settings(database_url="")
        return Binder(await load_secret(settings, self._database, datetime.now(UTC)))

    async def broadcast(
        self, text: str, *, choices: Sequence[str] = (), send_at: datetime | None = None
    ) -> int:
        """A news broadcast to every member, with `choices` as buttons, due at `send_at` (None:
        now), quiet hours aside; returns its id."""
        settings = Settings(database_url="", quiet_hours="")
        draft = broadcasts.Draft(text, choices=tuple(choices), send_at=send_at)
        async with self._database.transaction() as session:
            planned = await broadcasts.schedule(
                Repositories.bound_to(session), draft, datetime.now(UTC), settings, OPERATOR
            )
        assert planned.broadcast_id is not None
        return planned.broadcast_id

    async def status(self, broadcast_id: int) -> dict[str, Any]:
        """What `cedp-bot broadcast status --json` prints."""
        async with self._database.transaction() as session:
            report = await broadcasts.status(Repositories.bound_to(session), broadcast_id)
        return report.as_json()
