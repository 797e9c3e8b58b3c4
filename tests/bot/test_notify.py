"""Messages queued for people outside the conversation carry buttons bound to each recipient."""

from __future__ import annotations

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Text
from bot.middleware import NOT_YOURS
from bot.notify import notify_staff
from bot.payloads import offer
from domain.people import Role
from handlers.members import InviteRole
from storage.repositories import Repositories
from tests.conftest import join_as


async def test_a_staff_notification_button_works_only_for_the_staff_member_it_went_to(
    bot: Bot,
) -> None:
    sam, tess = TestChat(bot, user_id="sam"), TestChat(bot, user_id="tess")
    for staff in (sam, tess):
        await join_as(bot, staff, Role.STAFF)
    async with bot.services.database.transaction() as session:
        sent = await notify_staff(
            Repositories.bound_to(session),
            bot.services.binder,
            "Make a member invite?",
            bot.services.clock(),
            [offer("Member", InviteRole(Role.MEMBER))],
        )
    assert sent == 2

    await sam.inbox()
    await tess.inbox()
    assert sam.payload("Member") != tess.payload("Member")
    assert await tess.press_payload(sam.payload("Member")) == [Text(NOT_YOURS)]
    await sam.press("Member")
    assert sam.text.startswith("Invite code ")
