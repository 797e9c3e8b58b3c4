"""Prepared statements run in the session's transaction and see what it has done so far."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.conversations import ConversationKey
from storage.database import Database
from storage.models import Identity, Member
from storage.repositories import Repositories

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def test_a_prepared_read_sees_orm_changes_not_yet_flushed(database: Database) -> None:
    async with database.transaction() as session:
        member = Member(display_name="Pat", role="member", created_at=NOW)
        member.identities.append(Identity(platform="slack", external_id="U1"))
        session.add(member)  # pending, not flushed

        key = ConversationKey("slack", "U1", "U1")
        found = (await Repositories.bound_to(session).arrivals.look_up(key, NOW)).member

        assert found is not None and found.display_name == "Pat"


async def test_a_prepared_write_is_rolled_back_with_its_transaction(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            assert await Repositories.bound_to(session).throttle.first_delivery("slack", "E1", NOW)
            raise RuntimeError("the handler failed")

    async with database.transaction() as session:
        assert await Repositories.bound_to(session).throttle.first_delivery("slack", "E1", NOW)
