"""Data rights over the Telegram webhook: /mydata arrives as a JSON document, and /forget with its
button erases the member, who is then a guest."""

from __future__ import annotations

import json

from sqlalchemy import select

from domain.people import Role
from handlers.privacy import ERASE, GOODBYE
from storage.models import Delivery
from storage.repositories import Repositories
from tests.conftest import create_invite, eventually
from tests.e2e.conftest import Served
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.payloads import telegram_callback, telegram_message
from tests.e2e.test_telegram import button, post_update

QUILLON = 7319955001


async def test_mydata_is_a_json_document_and_forget_erases_over_telegram(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    code = await create_invite(served.bot, Role.MEMBER)
    await post_update(served, telegram_message(1, QUILLON, f"/join {code}"))
    await post_update(served, telegram_message(2, QUILLON, "/mydata"))
    [document] = await platforms.wait_for("sendDocument")
    assert document.params["chat_id"] == QUILLON
    upload = document.params["document"]
    assert upload["filename"].startswith("cedp-mydata-") and upload["filename"].endswith(".json")
    exported = json.loads(upload["content"])
    assert exported["accounts"][0] == {
        "platform": "telegram",
        "id": str(QUILLON),
        "unreachable_since": None,
        "unreachable_reason": None,
    }

    await post_update(served, telegram_message(3, QUILLON, "/forget"))
    [*_, question] = await platforms.wait_for("sendMessage", count=3)
    message_id = question.answer["result"]["message_id"]
    press = telegram_callback(4, QUILLON, button(question, ERASE), message_id=message_id)
    await post_update(served, press)
    [goodbye] = await platforms.wait_for("editMessageText")
    assert goodbye.params["text"] == GOODBYE

    async with served.bot.services.database.transaction() as session:
        repos = Repositories.bound_to(session)
        assert await repos.members.find_by_identity("telegram", str(QUILLON)) is None

    async def inbox_forgets_them() -> bool:
        """Once the goodbye is sent, the deliveries keep only their keys: no account id."""
        async with served.bot.services.database.transaction() as session:
            rows = (await session.execute(select(Delivery))).scalars().all()
        held = [(row.body, row.reply_to, row.reply_person, row.replies) for row in rows]
        return len(rows) == 4 and str(QUILLON) not in str(held)

    await eventually(inbox_forgets_them, 5, "the inbox to drop their account id")
