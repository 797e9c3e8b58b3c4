"""One server, both platforms: one person on Telegram and Slack is one member."""

from __future__ import annotations

import json
import re

from bot.adapters.telegram import SECRET_HEADER, WEBHOOK_PATH
from tests.conftest import create_invite
from tests.e2e.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET, Served
from tests.e2e.loopback import LoopbackPlatforms, slack_dm_channel
from tests.e2e.payloads import (
    slack_dm_event,
    slack_event,
    slack_signature_headers,
    telegram_message,
)

ANN_TELEGRAM = 6001
ANN_SLACK = "U6001"


async def telegram_says(served: Served, update_id: int, text: str) -> None:
    body = json.dumps(telegram_message(update_id, ANN_TELEGRAM, text, first_name="Ann")).encode()
    headers = {SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": "application/json"}
    assert (await served.post(WEBHOOK_PATH, body, headers))[0] == 200


async def slack_says(served: Served, event_id: str, text: str) -> None:
    body = slack_event(event_id, slack_dm_event(ANN_SLACK, text))
    headers = slack_signature_headers(SLACK_SIGNING_SECRET, body)
    assert (await served.post("/slack/events", body, headers))[0] == 200


async def test_a_member_who_joined_on_telegram_links_slack_and_is_the_same_member(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    code = await create_invite(served.bot, tags=("new-ceo",))
    await telegram_says(served, 1, f"/join {code}")
    await telegram_says(served, 2, "/link")
    sent = await platforms.wait_for("sendMessage", count=2)
    link_code = re.search(r"/link (\w{4}-\w{4})", sent[1].params["text"])
    assert link_code, sent[1].params["text"]

    await slack_says(served, "Ev1", f"/link {link_code.group(1)}")
    await slack_says(served, "Ev2", "/me")
    posted = await platforms.wait_for("chat.postMessage", count=2)
    assert all(call.params["channel"] == slack_dm_channel(ANN_SLACK) for call in posted)
    assert "Linked" in posted[0].params["text"]
    details = posted[1].params["text"]
    assert "Name: Ann" in details and "new-ceo" in details
    assert "slack, telegram" in details


async def test_a_link_code_sent_to_the_wrong_place_links_nothing(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    await slack_says(served, "Ev1", "/link ABCD-EFGH")
    await slack_says(served, "Ev2", "/me")
    posted = await platforms.wait_for("chat.postMessage", count=2)
    assert "unknown or has expired" in posted[0].params["text"]
    assert "Name:" not in posted[1].params["text"]
