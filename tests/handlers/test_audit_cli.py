"""`cedp-bot audit list` reads the trail, filtered by time and actor, naming the members it
still can; `audit verify` says it is intact, or names the first entry that does not fit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from domain.people import Role
from services.audit import terminal_actor
from storage.database import Database
from storage.models import AuditEntry
from storage.repositories import Repositories
from tests.handlers.conftest import Cli, in_database, refused, succeeded

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _three_entries(database_url: str) -> None:
    async def work(repos: Repositories) -> None:
        for number, actor in enumerate(("member:1", "cli", "member:1")):
            at = NOW + timedelta(days=number)
            await repos.audit.append(actor, "broadcast.send", f"broadcast {number}", at)

    in_database(database_url, work)


def test_the_trail_is_listed_oldest_first_and_filtered(cedp_bot: Cli, database_url: str) -> None:
    _three_entries(database_url)
    lines = succeeded(cedp_bot, "audit", "list").splitlines()
    assert [line.split("  ")[-1] for line in lines] == ["broadcast 0", "broadcast 1", "broadcast 2"]
    assert lines[0].startswith("#1  2026-12-02 09:00:00 UTC  member:1  broadcast.send")
    since = succeeded(cedp_bot, "audit", "list", "--since", "2026-12-03").splitlines()
    assert [line.split("  ")[-1] for line in since] == ["broadcast 1", "broadcast 2"]
    mine = succeeded(cedp_bot, "audit", "list", "--actor", "cli").splitlines()
    assert [line.split("  ")[-1] for line in mine] == ["broadcast 1"]


def _member(database_url: str, name: str) -> tuple[int, str]:
    async def work(repos: Repositories) -> tuple[int, str]:
        made = await repos.members.create(display_name=name, role=Role.MEMBER, tags=(), now=NOW)
        return made.id, made.pseudonym

    return in_database(database_url, work)


def test_a_terminal_action_names_the_login_and_the_member_while_they_are_here(
    cedp_bot: Cli, database_url: str
) -> None:
    member_id, pseudonym = _member(database_url, "Dana Ode")
    succeeded(cedp_bot, "members", "set-role", str(member_id), "coach")
    [line] = succeeded(cedp_bot, "audit", "list").splitlines()
    assert f"  {terminal_actor()}  member.role  {pseudonym} (Dana Ode, #{member_id})" in line
    assert line.endswith("after=coach before=member")
    succeeded(cedp_bot, "members", "remove", str(member_id))
    lines = succeeded(cedp_bot, "audit", "list").splitlines()
    assert "Dana Ode" not in "\n".join(lines) and lines[-1].endswith(f"member.erase  {pseudonym}")


def test_an_actor_may_be_given_as_a_member_id(cedp_bot: Cli, database_url: str) -> None:
    member_id, pseudonym = _member(database_url, "Eli Staff")

    async def act(repos: Repositories) -> None:
        await repos.audit.append(pseudonym, "broadcast.send", "broadcast:1", NOW)
        await repos.audit.append("terminal:ops", "broadcast.send", "broadcast:2", NOW)

    in_database(database_url, act)
    [line] = succeeded(cedp_bot, "audit", "list", "--actor", str(member_id)).splitlines()
    assert line.endswith("broadcast:1")
    assert "no member with that id" in refused(cedp_bot, "audit", "list", "--actor", "999999")


def test_a_bad_time_is_refused_politely(cedp_bot: Cli) -> None:
    assert "is not a time" in refused(cedp_bot, "audit", "list", "--since", "last tuesday")


def test_verify_says_the_trail_is_intact(cedp_bot: Cli, database_url: str) -> None:
    _three_entries(database_url)
    assert succeeded(cedp_bot, "audit", "verify").strip() == "audit trail intact: 3 entries"


def test_verify_names_the_first_entry_after_a_removed_one(cedp_bot: Cli, database_url: str) -> None:
    _three_entries(database_url)

    async def remove_the_second() -> None:
        database = Database(database_url)
        try:
            async with database.transaction() as session:
                await session.execute(delete(AuditEntry).where(AuditEntry.id == 2))
        finally:
            await database.dispose()

    asyncio.run(remove_the_second())
    assert "broken at entry #3" in refused(cedp_bot, "audit", "verify")
