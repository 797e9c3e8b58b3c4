"""Joining with invite codes, linking a second platform, /me, and staff creating invites."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Choices, Edit, Text
from bot.middleware import PRIVATE_ONLY
from domain.people import Role
from handlers.members import ASK_FOR_CODE, NOT_A_CODE, InviteRole
from storage.repositories import Repositories
from tests.conftest import FakeClock, create_invite, join_as


async def _members(bot: Bot) -> list:
    async with bot.services.database.transaction() as session:
        return list(await Repositories.bound_to(session).members.list())


async def test_joining_gives_the_invites_role_and_tags(bot: Bot, chat: TestChat) -> None:
    code = await create_invite(bot, Role.COACH, tags=("new-ceo", "north-west"))
    await chat.send(f"/join {code}")
    assert chat.text.startswith("Welcome to the programme, Alice Jones! You've joined as a coach.")
    await chat.send("/me")
    assert "Role: coach" in chat.text and "Tags: new-ceo, north-west" in chat.text
    assert "Accounts: test" in chat.text


@pytest.mark.parametrize(
    ("role", "as_whom"),
    [(Role.MEMBER, "a member"), (Role.COACH, "a coach"), (Role.STAFF, "a member of staff")],
)
async def test_the_welcome_and_the_invite_name_each_role_in_plain_english(
    bot: Bot, chat: TestChat, role: Role, as_whom: str
) -> None:
    await chat.send(f"/join {await create_invite(bot, role)}")
    assert f"You've joined as {as_whom}." in chat.text

    staff = TestChat(bot, user_id="sam")
    await join_as(bot, staff, Role.STAFF)
    await staff.send(f"/invite {role.value}")
    assert f" for {as_whom}: one use" in staff.text


async def test_codes_are_forgiving_about_case_spaces_and_dashes(bot: Bot, chat: TestChat) -> None:
    code = await create_invite(bot)
    await chat.send(f"/join {code.lower().replace('-', ' ')}")
    assert chat.text.startswith("Welcome")


async def test_join_without_a_code_asks_for_it_and_lets_the_person_retry(
    bot: Bot, chat: TestChat
) -> None:
    await chat.send("/join")
    assert chat.text == ASK_FOR_CODE
    await chat.send("not a code")
    assert chat.text == NOT_A_CODE
    await chat.send("ZZZZ-ZZZZ")
    assert "can't find that invite code" in chat.text and "/cancel" in chat.text
    await chat.send(await create_invite(bot))
    assert chat.text.startswith("Welcome")


async def test_used_up_expired_and_revoked_codes_are_refused_with_the_reason(
    bot: Bot, clock: FakeClock
) -> None:
    used = await create_invite(bot, uses=1)
    await TestChat(bot, user_id="first").send(f"/join {used}")
    second = TestChat(bot, user_id="second")
    await second.send(f"/join {used}")
    assert second.text == (
        "That invite code has already been used. Please ask the programme team for a new one."
    )

    expiring = await create_invite(bot, expires_in=timedelta(days=1))
    clock.advance(days=1, seconds=1)
    await second.send(f"/join {expiring}")
    assert second.text.startswith("That invite code has expired.")

    revoked = await create_invite(bot)
    async with bot.services.database.transaction() as session:
        await Repositories.bound_to(session).invites.revoke(revoked)
    await second.send(f"/join {revoked}")
    assert second.text.startswith("That invite code has been withdrawn.")
    assert [m.display_name for m in await _members(bot)] == ["Test User"]


async def test_a_refused_code_stores_nothing(bot: Bot, chat: TestChat) -> None:
    await chat.send("/join ZZZZ-ZZZZ")
    await chat.send("/join 12")
    assert await _members(bot) == []


async def test_a_multi_use_code_admits_that_many_people(bot: Bot) -> None:
    code = await create_invite(bot, uses=2)
    results = [await TestChat(bot, user_id=f"p{i}").send(f"/join {code}") for i in range(3)]
    welcomed = [r for r in results if isinstance(r[0], Choices)]
    assert len(welcomed) == 2
    assert results[2] == [
        Text("That invite code has already been used. Please ask the programme team for a new one.")
    ]


async def test_a_one_use_code_admits_one_person_even_when_many_race_for_it(bot: Bot) -> None:
    code = await create_invite(bot, uses=1)
    chats = [TestChat(bot, user_id=f"racer{i}") for i in range(12)]
    await asyncio.gather(*(chat.send(f"/join {code}") for chat in chats))
    welcomed = [chat for chat in chats if chat.text.startswith("Welcome")]
    assert len(welcomed) == 1
    assert len(await _members(bot)) == 1


async def test_members_cannot_join_twice(bot: Bot, chat: TestChat) -> None:
    await join_as(bot, chat)
    code = await create_invite(bot)
    await chat.send(f"/join {code}")
    assert chat.text.startswith("You're already a member")
    newcomer = TestChat(bot, user_id="newcomer")
    await newcomer.send(f"/join {code}")  # the code was not spent by the refusal
    assert newcomer.text.startswith("Welcome")


async def test_me_is_for_members_only(chat: TestChat) -> None:
    await chat.send("/me")
    assert "/join" in chat.text and "Role:" not in chat.text


async def test_staff_create_an_invite_with_role_and_tags_that_works(bot: Bot) -> None:
    staff = TestChat(bot, user_id="sam")
    await join_as(bot, staff, Role.STAFF)
    await staff.send("/invite member new-ceo,london")
    assert "one use, valid for 14 days" in staff.text
    code = staff.text.split()[2]
    newcomer = TestChat(bot, user_id="nia")
    await newcomer.send(f"/join {code}")
    await newcomer.send("/me")
    assert "Tags: london, new-ceo" in newcomer.text


async def test_invite_without_arguments_offers_roles_and_edits_the_prompt(bot: Bot) -> None:
    staff = TestChat(bot, user_id="sam")
    await join_as(bot, staff, Role.STAFF)
    prompt = await staff.send("/invite")
    assert staff.labels == ["Member", "Coach", "Staff"]
    assert isinstance(prompt[0], Choices)
    replies = await staff.press("Coach")
    assert isinstance(replies[0], Edit) and replies[0].message_id is not None
    assert "for a coach" in replies[0].text


async def test_invite_with_bad_arguments_explains_usage(bot: Bot) -> None:
    staff = TestChat(bot, user_id="sam")
    await join_as(bot, staff, Role.STAFF)
    await staff.send("/invite wizard")
    assert "'wizard' is not a role" in staff.text and "Usage: /invite ROLE" in staff.text
    await staff.send("/invite member Bad!Tag")
    assert "not a valid tag" in staff.text


async def test_members_cannot_create_invites_even_by_pressing_an_old_button(bot: Bot) -> None:
    member = TestChat(bot, user_id="mo")
    await join_as(bot, member, Role.MEMBER)
    await member.send("/invite staff")
    assert "only available to programme staff" in member.text
    await member.press_bound(InviteRole(Role.STAFF), "1")
    assert "only available to programme staff" in member.text
    async with bot.services.database.transaction() as session:
        invites = await Repositories.bound_to(session).invites.list()
    assert [invite.role for invite in invites] == ["member"]  # only the one join_as used


async def test_personal_commands_are_refused_in_a_group_and_leak_nothing(bot: Bot) -> None:
    private = TestChat(bot, user_id="sam", display_name="Sam Staff")
    await join_as(bot, private, Role.STAFF, tags=("north-west",))
    in_group = TestChat(bot, user_id="sam", chat_id="team-room", group=True)
    code = await create_invite(bot)
    for command in ("/me", "/invite member", f"/join {code}"):
        await in_group.send(command)
        assert in_group.text == PRIVATE_ONLY
    await in_group.press_bound(InviteRole(Role.MEMBER), "1")
    assert in_group.text == PRIVATE_ONLY
    async with bot.services.database.transaction() as session:
        invites = await Repositories.bound_to(session).invites.list()
    assert [invite.uses for invite in invites] == [1, 0]  # no code made, none spent


async def test_questions_are_still_answered_in_a_group(bot: Bot) -> None:
    in_group = TestChat(bot, user_id="pat", chat_id="team-room", group=True)
    await in_group.send("what is the CEDP")
    assert "Chief Executive Development Programme" in in_group.text


def _link_code(text: str) -> str:
    match = re.search(r"/link ([A-Z0-9]{4}-[A-Z0-9]{4})", text)
    assert match, text
    return match.group(1)


async def test_a_member_links_a_second_platform_and_is_the_same_member_there(bot: Bot) -> None:
    on_telegram = TestChat(bot, user_id="111", display_name="Ann Lee", platform="telegram")
    await join_as(bot, on_telegram, tags=("new-ceo",))
    await on_telegram.send("/link")
    code = _link_code(on_telegram.text)

    on_slack = TestChat(bot, user_id="U111", display_name="ann", platform="slack")
    await on_slack.send(f"/link {code.lower()}")
    assert "Linked" in on_slack.text and "Ann Lee" in on_slack.text

    await on_slack.send("/me")
    assert "Name: Ann Lee" in on_slack.text
    assert "Accounts: slack, telegram" in on_slack.text
    assert "new-ceo" in on_slack.text


async def test_a_link_code_works_once_and_expires(bot: Bot, clock: FakeClock) -> None:
    member = TestChat(bot, user_id="111", platform="telegram")
    await join_as(bot, member)
    await member.send("/link")
    code = _link_code(member.text)
    first = TestChat(bot, user_id="U1", platform="slack")
    await first.send(f"/link {code}")
    second = TestChat(bot, user_id="U2", platform="slack")
    await second.send(f"/link {code}")
    assert "unknown or has expired" in second.text

    await member.send("/link")
    late = _link_code(member.text)
    clock.advance(minutes=11)
    await second.send(f"/link {late}")
    assert "unknown or has expired" in second.text
    await second.send("/me")
    assert "Name:" not in second.text


async def test_a_new_link_code_replaces_the_previous_one(bot: Bot) -> None:
    member = TestChat(bot, user_id="111", platform="telegram")
    await join_as(bot, member)
    await member.send("/link")
    old = _link_code(member.text)
    await member.send("/link")
    other = TestChat(bot, user_id="U1", platform="slack")
    await other.send(f"/link {old}")
    assert "unknown or has expired" in other.text


async def test_guests_are_told_how_linking_works_and_no_code_is_made(bot: Bot) -> None:
    guest = TestChat(bot, user_id="U9", platform="slack")
    await guest.send("/link")
    assert "from the app where you joined" in guest.text
    await guest.send("/link not-a-code!")
    assert "doesn't look like a link code" in guest.text


async def test_linking_is_refused_in_a_group(bot: Bot) -> None:
    member = TestChat(bot, user_id="111", platform="telegram")
    await join_as(bot, member)
    in_group = TestChat(bot, user_id="111", platform="telegram", chat_id="-100", group=True)
    await in_group.send("/link")
    assert "direct message" in in_group.text
    assert "/link " not in in_group.text
