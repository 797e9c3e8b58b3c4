"""The issue's test: a member who used every capability through the chat asks to be forgotten,
and afterwards no table of the database holds their name, ids, accounts or contact details;
only the audit trail keeps their pseudonym."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.settings import Settings
from domain.people import Role
from handlers.faq import ASK_TEAM
from handlers.intros import Find
from handlers.privacy import ERASE
from storage.repositories import Repositories
from tests.coaching_people import add_coach
from tests.conftest import FakeClock, join_as, unit
from tests.handlers.pulse_setup import SKIP, created, run_jobs

NAME = "Quillon Vexmoor"
EMAIL = "quillon.vexmoor@example.nhs.uk"
TELEGRAM_ID, SLACK_ID = "7319955001", "UQV7319955"
ATTEND = "I'd like to attend"
MEMBER_KEYS = {"member", "member_id", "passed"}  # how job payloads name members


@pytest.fixture
async def bot(settings: Settings, clock: FakeClock) -> AsyncIterator[Bot]:
    """No rate limit and no quiet hours in the way of a long session in one minute."""
    started = await Bot.start(
        settings.model_copy(update={"rate_limit_per_minute": 100_000, "quiet_hours": ""}),
        clock=clock,
    )
    yield started
    await started.close()


async def _person(bot: Bot, user_id: str, name: str, role: Role = Role.MEMBER) -> TestChat:
    chat = TestChat(bot, user_id=user_id, display_name=name)
    await join_as(bot, chat, role)
    return chat


async def _join_directory(chat: TestChat) -> None:
    await chat.send("/directory")
    await chat.press("Join the directory")
    await chat.press(f"Use {chat.sender.display_name}")
    await chat.send(f"{chat.sender.display_name.split()[0]} Teaching Hospitals")
    await chat.press("North East and Yorkshire")
    await chat.send("September 2025")
    await chat.press("finance")
    await chat.press("Done")
    await chat.send("Elective recovery")
    await chat.press("Email")
    await chat.send(chat.sender.display_name.lower().replace(" ", ".") + "@example.nhs.uk")
    await chat.press("Done")
    await chat.press("Yes, I'll be a buddy")
    await chat.press("Join")
    assert "You're in the directory" in chat.text, chat.text


async def _ask(asker: TestChat, name: str) -> None:
    await asker.press_bound(Find())
    await asker.press("Name")
    await asker.send(name)
    await asker.press(name)
    await asker.press("Ask for an introduction")
    await asker.press("Send without a note")


async def _everything(bot: Bot, quillon: TestChat, staff: TestChat) -> None:
    """Quillon uses every capability, with other people on the other side."""
    await quillon.send("/link")
    code = re.search(r"link code is (\S+)\.", quillon.text)
    assert code is not None, quillon.text
    on_slack = TestChat(bot, platform="slack", user_id=SLACK_ID, display_name=NAME)
    await on_slack.send(f"/link {code.group(1)}")
    assert "Linked" in on_slack.text

    now = bot.services.clock()
    await unit(
        bot.services.database,
        lambda repos: add_coach(repos, "Dr Priya Shah", now, weekly=("wed 14:00-17:00",)),
    )
    await unit(bot.services.database, lambda repos: add_coach(repos, "Ada Ng", now, weekly=()))
    await quillon.send("/book")
    await quillon.press("Coaching")
    await quillon.press("Any")
    await quillon.press("Dr Priya Shah")
    await quillon.press("14:00–15:00")
    await quillon.press("Yes")
    assert quillon.text.startswith("Booked"), quillon.text
    await quillon.send("/book")
    await quillon.press("Coaching")
    await quillon.press("Any")
    await quillon.press("Ada Ng")
    await quillon.press("Join the waiting list")
    await quillon.send("/settings")
    await quillon.press("Time zone")
    await quillon.press("Europe/Paris")

    await _join_directory(quillon)
    bob = await _person(bot, "bob", "Bob Smith")
    await _join_directory(bob)
    carol = await _person(bot, "carol", "Carol White")
    await _join_directory(carol)
    await _ask(quillon, "Bob Smith")
    await bob.inbox()
    await bob.press("Accept")
    assert "Email: quillon.vexmoor@example.nhs.uk" in bob.text  # details shared with Bob
    await _ask(carol, NAME)
    await quillon.inbox()

    await staff.send("/broadcast")
    await staff.send("The open space event is on 7 December in Leeds.")
    await staff.press("Everyone")
    await staff.press("All platforms")
    await staff.press("Events")
    await staff.press("Add buttons")
    await staff.send(f"{ATTEND}|Not this time")
    await staff.press("Names to staff")
    await staff.press("Send now")
    await quillon.send("/start")  # Telegram again: where the broadcast goes
    await quillon.inbox()
    await quillon.press(ATTEND)

    await quillon.send("can I bring my dog?")
    if "None of these" in quillon.labels:
        await quillon.press("None of these")
    await quillon.press(ASK_TEAM)

    await created(bot)
    await run_jobs(bot)
    await quillon.inbox()
    await quillon.press("Start")
    for label in ("4 Good", SKIP, "Peer support"):
        await quillon.press(label)
    await quillon.send("More time with peers would help")

    await quillon.send("who pays for all this")
    await quillon.press("How is the programme funded?")  # a "did you mean" pick


def _cells(value: Any) -> list[str]:
    """A cell as text, and every value inside it when it holds JSON."""
    if isinstance(value, dict):
        return [str(key) for key in value] + [c for item in value.values() for c in _cells(item)]
    if isinstance(value, list | tuple):
        return [c for item in value for c in _cells(item)]
    text = "" if value is None else str(value)
    if text[:1] in "[{":
        try:
            return [text, *_cells(json.loads(text))]
        except ValueError:
            pass
    return [text]


def _names_member(value: Any, member_id: int) -> bool:
    """Whether JSON (a job's payload, say) names the member by id, under a member key."""
    if isinstance(value, str) and value[:1] == "{":
        try:
            value = json.loads(value)
        except ValueError:
            return False
    if isinstance(value, dict):
        return any(
            (key in MEMBER_KEYS and (item == member_id or member_id in _ids(item)))
            or _names_member(item, member_id)
            for key, item in value.items()
        )
    return False


def _ids(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


async def _found(bot: Bot, member_id: int, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) wherever a needle is in a cell, or the member id is in a column
    that holds member ids or under a member key in JSON, in every table of the database."""
    metadata = MetaData()
    found = []
    async with bot.services.database.transaction() as session:
        connection = await session.connection()
        await connection.run_sync(metadata.reflect)
        assert len(metadata.tables) > 25  # every module's tables, not a half-made database
        for table in metadata.sorted_tables:
            member_columns = {
                fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "members"
            }
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    in_json = isinstance(value, dict | str) and _names_member(value, member_id)
                    if (column in member_columns and value == member_id) or in_json:
                        found.append((table.name, column, str(value)))
                    for text in _cells(value):
                        for needle in needles:
                            if needle.lower() in text.lower():
                                found.append((table.name, column, text))
    return found


async def test_after_forget_nothing_of_them_is_found_but_the_pseudonym_in_the_audit_trail(
    bot: Bot,
) -> None:
    staff = await _person(bot, "sam", "Sam Staff", Role.STAFF)
    quillon = TestChat(bot, platform="telegram", user_id=TELEGRAM_ID, display_name=NAME)
    await join_as(bot, quillon, tags=("new-ceo",))
    await _everything(bot, quillon, staff)

    async def identify(repos: Repositories) -> tuple[int, str]:
        member = await repos.members.find_by_identity("telegram", TELEGRAM_ID)
        assert member is not None and len(member.identities) == 2
        return member.id, member.pseudonym

    member_id, pseudonym = await unit(bot.services.database, identify)
    needles = [NAME, "Quillon", "Vexmoor", EMAIL, TELEGRAM_ID, SLACK_ID, pseudonym]
    before = {(table, column) for table, column, _ in await _found(bot, member_id, needles)}
    for table in ("identities", "directory_profiles", "bookings", "coaching_waitlist"):
        assert any(found == table for found, _ in before), f"{table} should hold them first"
    for table in ("broadcast_answers", "team_questions", "pulse_participants", "jobs", "outbox"):
        assert any(found == table for found, _ in before), f"{table} should hold them first"

    await quillon.send("/forget")
    await quillon.press(ERASE)
    await run_jobs(bot)  # the coach's notice, which must not name them either

    found = await _found(bot, member_id, needles)
    assert {table for table, _, _ in found} == {"audit_entries"}, found
    assert {value for _, _, value in found} == {pseudonym}
    tables = {table for table, _ in before}
    assert "knowledge_candidates" not in tables and "pulse_answers" not in tables
