"""Data rights in chat and at the terminal: /mydata sends a member a JSON file of what is stored
about them; /forget erases them only after "Erase everything" on its own, fresh question, and
leaves nothing that brings them back; `members export` and `members erase` do the same for
staff, in the audit trail."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.adapters.testing import TEST_PLATFORM, TestChat
from bot.core import Bot
from bot.messages import File
from bot.middleware import JOIN_FIRST, NOT_YOURS, PRIVATE_ONLY
from domain.people import Role
from handlers.privacy import ERASE as ERASE_LABEL
from handlers.privacy import (
    EXPLAIN_FORGET,
    GOODBYE,
    KEEP,
    KEPT,
    OLD_BUTTON,
    YOUR_DATA,
    ConfirmErase,
)
from storage.models import ConversationState, Member
from storage.repositories import Repositories
from tests.coaching_people import add_coach, booking_row
from tests.conftest import FakeClock, join_as, unit
from tests.handlers.conftest import Cli, in_database, refused, succeeded
from tests.handlers.pulse_setup import run_jobs

GUESTS_REFUSED = JOIN_FIRST.format(who="programme members")


async def _member(bot: Bot, user_id: str = "quillon", name: str = "Quillon Vexmoor") -> TestChat:
    chat = TestChat(bot, user_id=user_id, display_name=name)
    await join_as(bot, chat, tags=("new-ceo",))
    return chat


async def _stored(bot: Bot, user_id: str) -> Member | None:
    return await unit(
        bot.services.database,
        lambda repos: repos.members.find_by_identity(TEST_PLATFORM, user_id),
    )


async def _id(repos: Repositories, user_id: str) -> int:
    member = await repos.members.find_by_identity(TEST_PLATFORM, user_id)
    assert member is not None
    return member.id


async def _states(bot: Bot) -> list[ConversationState]:
    async with bot.services.database.transaction() as session:
        return list((await session.execute(select(ConversationState))).scalars())


# /mydata


async def test_mydata_sends_a_json_file_of_what_is_stored(bot: Bot, clock: FakeClock) -> None:
    quillon = await _member(bot)
    replies = await quillon.send("/mydata")
    assert replies[0].text == YOUR_DATA
    [file] = [reply for reply in replies if isinstance(reply, File)]
    assert file.filename == f"cedp-mydata-{clock.now:%Y-%m-%d}.json"
    assert file.media_type == "application/json"
    exported = json.loads(file.content)
    assert exported["profile"]["name"] == "Quillon Vexmoor"
    assert exported["accounts"] == [
        {"platform": "test", "id": "quillon", "unreachable_since": None, "unreachable_reason": None}
    ]
    assert exported["tags"] == ["new-ceo"]
    assert await unit(bot.services.database, lambda repos: repos.audit.entries()) == []


async def test_mydata_and_forget_are_on_the_members_help_and_menu(bot: Bot) -> None:
    quillon = await _member(bot)
    await quillon.send("/help")
    assert "/mydata" in quillon.text and "/forget" in quillon.text
    await quillon.send("/start")
    assert {"Download my data", "Erase my data"} <= set(quillon.labels)


async def test_guests_and_group_chats_are_refused(bot: Bot) -> None:
    guest = TestChat(bot, user_id="guest")
    for command in ("/mydata", "/forget"):
        await guest.send(command)
        assert guest.text == GUESTS_REFUSED
    await _member(bot)
    in_group = TestChat(bot, user_id="quillon", chat_id="team-room", group=True)
    for command in ("/mydata", "/forget"):
        await in_group.send(command)
        assert in_group.text == PRIVATE_ONLY


# /forget


async def test_forget_explains_and_erases_only_when_confirmed(bot: Bot) -> None:
    quillon = await _member(bot)
    await quillon.send("/forget")
    assert quillon.text.startswith(EXPLAIN_FORGET)
    assert quillon.labels == [ERASE_LABEL, KEEP]
    await quillon.press(ERASE_LABEL)
    assert quillon.text == GOODBYE

    assert await _stored(bot, "quillon") is None
    assert await _states(bot) == []
    await quillon.send("/me")
    assert quillon.text == GUESTS_REFUSED  # nothing brought them back
    assert await _stored(bot, "quillon") is None
    [entry] = await unit(bot.services.database, lambda repos: repos.audit.entries())
    assert entry.record.action == "member.erase" and entry.record.actor == entry.record.subject


async def test_keep_my_data_changes_nothing_and_the_old_button_then_erases_nothing(
    bot: Bot,
) -> None:
    quillon = await _member(bot)
    await quillon.send("/forget")
    erase = quillon.payload(ERASE_LABEL)
    await quillon.press(KEEP)
    assert quillon.text == KEPT
    assert await _states(bot) == []

    await quillon.press_payload(erase)
    assert quillon.text == OLD_BUTTON
    assert await _stored(bot, "quillon") is not None


async def test_someone_elses_or_a_made_up_erase_button_is_refused(bot: Bot) -> None:
    quillon = await _member(bot)
    bob = await _member(bot, "bob", "Bob Smith")
    await quillon.send("/forget")
    await bob.press_payload(quillon.payload(ERASE_LABEL))
    assert bob.text == NOT_YOURS
    await bob.press_payload(ConfirmErase().pack())
    assert bob.text == NOT_YOURS
    assert await _stored(bot, "quillon") is not None and await _stored(bot, "bob") is not None


async def test_a_coach_who_forgets_is_gone_and_their_members_are_told(bot: Bot) -> None:
    member = await _member(bot, "bob", "Bob Smith")
    now = bot.services.clock()

    async def coach_with_a_session(repos: Repositories) -> None:
        coach = await add_coach(repos, "Dr Quillon Vexmoor", now)
        await repos.members.add_identity(coach.member_id, TEST_PLATFORM, "quillon")
        booked = booking_row(coach, await _id(repos, "bob"), now.replace(day=26), now)
        await repos.coaching.add_booking(booked)

    await unit(bot.services.database, coach_with_a_session)
    coach = TestChat(bot, user_id="quillon", display_name="Dr Quillon Vexmoor")
    await coach.send("/forget")
    await coach.press(ERASE_LABEL)
    await run_jobs(bot)
    await member.inbox()
    assert "Cancelled: your coaching session on Thursday 26 November at 09:00" in member.text
    assert "Your coach has left the programme" in member.text
    assert "Quillon" not in member.text


async def test_a_member_who_forgets_frees_the_slot_and_the_coach_is_told_without_a_name(
    bot: Bot,
) -> None:
    quillon = await _member(bot)
    bob = await _member(bot, "bob", "Bob Smith")
    now = bot.services.clock()

    async def booked_and_waiting(repos: Repositories) -> None:
        coach = await add_coach(repos, "Dr Priya Shah", now)
        await repos.members.add_identity(coach.member_id, TEST_PLATFORM, "priya")
        booked = booking_row(coach, await _id(repos, "quillon"), now.replace(day=26), now)
        await repos.coaching.add_booking(booked)
        await repos.coaching.join_waitlist(coach.id, await _id(repos, "bob"), now)

    await unit(bot.services.database, booked_and_waiting)
    await quillon.send("/forget")
    await quillon.press(ERASE_LABEL)
    await run_jobs(bot)
    priya = TestChat(bot, user_id="priya")
    await priya.inbox()
    assert "Cancelled: your coaching session on Thursday 26 November at 09:00" in priya.text
    assert "The member has left the programme" in priya.text and "Quillon" not in priya.text
    await bob.inbox()
    assert "has come free: Thursday 26 November at 09:00" in bob.text  # the waiting list's turn


# At the terminal


def _quillon(database_url: str) -> int:
    async def add(repos: Repositories) -> int:
        member = await repos.members.create(
            display_name="Quillon Vexmoor",
            role=Role.MEMBER,
            tags=("new-ceo",),
            now=FakeClock().now,
            identity=("telegram", "7319955001"),
        )
        return member.id

    return in_database(database_url, add)


def test_members_export_prints_one_json_object_and_is_audited(
    cedp_bot: Cli, database_url: str
) -> None:
    member_id = _quillon(database_url)
    [line] = succeeded(cedp_bot, "members", "export", str(member_id)).splitlines()
    exported = json.loads(line)
    assert exported["profile"]["name"] == "Quillon Vexmoor"
    assert exported["accounts"][0]["id"] == "7319955001"
    audit = succeeded(cedp_bot, "audit", "list")
    assert "member.export" in audit and exported["profile"]["audit_pseudonym"] in audit


def test_members_erase_says_what_went_asks_nothing_and_is_audited(
    cedp_bot: Cli, database_url: str
) -> None:
    member_id = _quillon(database_url)
    pseudonym = in_database(database_url, lambda repos: repos.members.pseudonym(member_id))
    lines = succeeded(cedp_bot, "members", "erase", str(member_id)).splitlines()
    assert lines[0] == f"erased member {member_id}"
    assert "accounts\t1" in lines and "tags\t1" in lines and "member\t1" in lines
    assert "members told their sessions with this coach are cancelled\t0" in lines
    assert in_database(database_url, lambda repos: repos.members.get(member_id)) is None
    audit = succeeded(cedp_bot, "audit", "list")
    assert "member.erase" in audit and pseudonym in audit and "Quillon" not in audit


def test_an_unknown_id_is_refused_politely(cedp_bot: Cli) -> None:
    for command in ("export", "erase"):
        assert refused(cedp_bot, "members", command, "999") == "cedp-bot: no member with id 999"
