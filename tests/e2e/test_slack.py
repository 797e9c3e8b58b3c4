"""Slack end to end: the real server, signed payloads as Slack sends them, a loopback Web API.

Each test reads as a specification: what a person does in Slack, and what the bot then asks the
Slack Web API to do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from bot.middleware import NOT_YOURS, PRIVATE_ONLY
from bot.router import MenuChoice
from domain.people import Role
from storage.repositories import Repositories
from tests.conftest import create_invite
from tests.e2e.conftest import SLACK_SIGNING_SECRET, Endpoint, Served, ServerFactory
from tests.e2e.loopback import LoopbackPlatforms, RecordedCall, slack_dm_channel
from tests.e2e.payloads import (
    FORM,
    slack_block_action,
    slack_dm_event,
    slack_event,
    slack_home_opened,
    slack_mention_event,
    slack_signature_headers,
    slack_slash_command,
    slack_url_verification,
)

EVENTS = "/slack/events"
CHANNEL = "C0001"
QUIET = 0.5  # how long to watch for a message that must not come


async def post_event(
    served: Endpoint,
    event_id: str,
    event: dict[str, Any],
    *,
    retry_num: int | None = None,
) -> int:
    body = slack_event(event_id, event)
    headers = slack_signature_headers(SLACK_SIGNING_SECRET, body, retry_num=retry_num)
    status, _ = await served.post(EVENTS, body, headers)
    return status


async def post_form(served: Endpoint, body: bytes) -> tuple[int, str]:
    headers = slack_signature_headers(SLACK_SIGNING_SECRET, body, content_type=FORM)
    return await served.post(EVENTS, body, headers)


async def dm(served: Endpoint, user: str, text: str, event_id: str) -> None:
    assert await post_event(served, event_id, slack_dm_event(user, text)) == 200


async def press(
    served: Endpoint, user: str, value: str, *, channel: str, message_ts: str = "1700000000.000100"
) -> None:
    body = slack_block_action(
        user, channel=channel, message_ts=message_ts, action_id="choice-0", value=value
    )
    status, _ = await post_form(served, body)
    assert status == 200


def home_tab_press(user: str, value: str) -> bytes:
    """A press on a Home tab button: the container is the view, and there is no channel."""
    form = parse_qs(
        slack_block_action(
            user, channel="D0", message_ts="0", action_id="choice-0", value=value
        ).decode()
    )
    payload = json.loads(form["payload"][0])
    del payload["channel"], payload["message"]
    payload["container"] = {"type": "view", "view_id": "V0001"}
    payload["view"] = {"id": "V0001", "type": "home", "blocks": []}
    return urlencode({"payload": json.dumps(payload)}).encode()


def buttons(call: RecordedCall) -> dict[str, str]:
    """Label → payload of every button in a recorded message or view."""
    blocks = call.params.get("blocks") or call.params["view"]["blocks"]
    return {
        element["text"]["text"]: element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def posted_to(platforms: LoopbackPlatforms, channel: str) -> list[RecordedCall]:
    return [
        call for call in platforms.calls_to("chat.postMessage") if call.params["channel"] == channel
    ]


async def staff_invite_prompt(
    served: Served, platforms: LoopbackPlatforms, user: str
) -> RecordedCall:
    """A staff member's DM after /invite: the message asking which role to invite."""
    code = await create_invite(served.bot, Role.STAFF)
    await dm(served, user, f"/join {code}", f"Ev-{user}-join")
    await platforms.wait_for("chat.postMessage", 1)
    await dm(served, user, "/invite", f"Ev-{user}-invite")
    return (await platforms.wait_for("chat.postMessage", 2))[-1]


async def test_url_verification_is_answered_with_the_challenge(served: Served) -> None:
    body = slack_url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    status, text = await served.post(
        EVENTS, body, slack_signature_headers(SLACK_SIGNING_SECRET, body)
    )

    assert status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text


async def test_a_conversation_with_buttons_in_direct_messages(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    user, channel = "U0ALICE", slack_dm_channel("U0ALICE")

    await dm(served, user, "/start", "Ev01")
    (menu,) = await platforms.wait_for("chat.postMessage", 1)
    assert menu.params["channel"] == channel
    assert "Hello" in menu.params["text"]
    assert served.bot.services.binder.open(buttons(menu)["Help"], "slack", user) == MenuChoice(
        "help"
    )

    await press(served, user, buttons(menu)["Help"], channel=channel)
    help_ = (await platforms.wait_for("chat.postMessage", 2))[-1]
    assert help_.params["channel"] == channel
    assert "Here's what I can do" in help_.params["text"]

    await dm(served, user, "what is the programme?", "Ev02")
    answer = (await platforms.wait_for("chat.postMessage", 3))[-1]
    assert answer.params["channel"] == channel
    assert answer.params["text"].strip()
    assert "👍 Helpful" in buttons(answer)


async def test_a_pressed_choice_edits_its_message_in_place(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    user, channel = "U0STAFF", slack_dm_channel("U0STAFF")
    prompt = await staff_invite_prompt(served, platforms, user)
    prompt_ts = prompt.answer["ts"]
    await press(served, user, buttons(prompt)["Member"], channel=channel, message_ts=prompt_ts)

    (edit,) = await platforms.wait_for("chat.update", 1)
    assert (edit.params["channel"], edit.params["ts"]) == (channel, prompt_ts)
    assert "invite" in edit.params["text"].lower()
    assert len(platforms.calls_to("chat.postMessage")) == 2  # edited, not posted again


async def test_a_press_on_a_message_slack_no_longer_has_is_answered_with_a_new_one(
    served: Served, platforms: LoopbackPlatforms, caplog: pytest.LogCaptureFixture
) -> None:
    user, channel = "U0STAFF2", slack_dm_channel("U0STAFF2")
    prompt = await staff_invite_prompt(served, platforms, user)

    deleted_ts = "1600000000.000100"  # the person deleted the prompt, or it was never ours
    await press(served, user, buttons(prompt)["Member"], channel=channel, message_ts=deleted_ts)

    posted = (await platforms.wait_for("chat.postMessage", 3))[-1]
    (refused,) = platforms.calls_to("chat.update", ok_only=False)
    assert (refused.params["ts"], refused.answer["error"]) == (deleted_ts, "message_not_found")
    assert posted.params["channel"] == channel
    assert posted.params["text"] == refused.params["text"]  # the same step, posted anew
    assert not [r.message for r in caplog.records if r.levelno >= logging.ERROR]  # not a failure


async def test_forged_unsigned_and_stale_requests_are_refused_and_change_nothing(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    body = slack_event("Ev20", slack_dm_event("U0MALLORY", "/start"))
    forged = slack_signature_headers("not-the-secret", body)
    unsigned = {"Content-Type": "application/json"}
    stale = slack_signature_headers(SLACK_SIGNING_SECRET, body, timestamp=int(time.time()) - 360)
    garbled = {
        **slack_signature_headers(SLACK_SIGNING_SECRET, body),
        "X-Slack-Request-Timestamp": "x",
    }

    for headers in (forged, unsigned, stale, garbled):
        status, _ = await served.post(EVENTS, body, headers)
        assert status == 401
    await asyncio.sleep(QUIET)

    assert platforms.calls_to("chat.postMessage", ok_only=False) == []
    # Nothing was recorded either: the genuine delivery of the same event is still answered.
    status, _ = await served.post(EVENTS, body, slack_signature_headers(SLACK_SIGNING_SECRET, body))
    assert status == 200
    await platforms.wait_for("chat.postMessage", 1)


async def test_a_redelivered_event_is_answered_once(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    event = slack_dm_event("U0BOB", "what is the programme?")

    assert await post_event(served, "Ev30", event) == 200
    await platforms.wait_for("chat.postMessage", 1)
    assert await post_event(served, "Ev30", event, retry_num=1) == 200
    await asyncio.sleep(QUIET)

    assert len(platforms.calls_to("chat.postMessage")) == 1


async def test_a_redelivery_after_a_restart_is_not_answered_again(
    start_server: ServerFactory, platforms: LoopbackPlatforms
) -> None:
    event = slack_dm_event("U0BOB", "what is the programme?")
    async with start_server() as first:
        assert await post_event(first, "Ev31", event) == 200
        await platforms.wait_for("chat.postMessage", 1)

    async with start_server() as second:
        assert await post_event(second, "Ev31", event, retry_num=1) == 200
        await asyncio.sleep(QUIET)

    assert len(platforms.calls_to("chat.postMessage")) == 1


async def test_rate_limited_replies_wait_as_told_and_arrive_once(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    platforms.rate_limit_next("chat.postMessage", times=2, retry_after=1)

    await dm(served, "U0CAROL", "/help", "Ev40")
    (delivered,) = await platforms.wait_for("chat.postMessage", 1, timeout=10)

    attempts = platforms.calls_to("chat.postMessage", ok_only=False)
    assert [call.answered for call in attempts] == [429, 429, 200]
    assert delivered.at - attempts[0].at >= 1.9  # one second after each 429
    assert "Here's what I can do" in delivered.params["text"]


async def test_slash_command_answers_in_direct_messages_never_in_the_channel(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    user = "U0DAVE"
    started = time.monotonic()
    status, text = await post_form(served, slack_slash_command(user, "help", channel=CHANNEL))

    assert status == 200
    assert time.monotonic() - started < 1.0
    assert text == ""  # an empty ack: nothing shows in the channel
    (reply,) = await platforms.wait_for("chat.postMessage", 1)
    assert reply.params["channel"] == slack_dm_channel(user)
    assert "Here's what I can do" in reply.params["text"]
    assert platforms.calls_to("conversations.open")[0].params["users"] == user
    assert posted_to(platforms, CHANNEL) == []


async def test_slash_command_alone_shows_the_menu(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    await post_form(served, slack_slash_command("U0DAVE", "", channel=CHANNEL))

    (menu,) = await platforms.wait_for("chat.postMessage", 1)
    assert "Help" in buttons(menu)


async def test_a_mention_is_answered_in_its_thread_and_personal_commands_stay_private(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    user = "U0ERIN"
    question = slack_mention_event(user, "what is the programme?", channel=CHANNEL, ts="1700.1")
    assert await post_event(served, "Ev50", question) == 200
    (answer,) = await platforms.wait_for("chat.postMessage", 1)
    assert (answer.params["channel"], answer.params["thread_ts"]) == (CHANNEL, "1700.1")
    assert "<@" not in answer.params["text"]

    assert (
        await post_event(served, "Ev51", slack_mention_event(user, "/me", channel=CHANNEL)) == 200
    )
    refusal = (await platforms.wait_for("chat.postMessage", 2))[-1]
    assert refusal.params["channel"] == CHANNEL
    assert refusal.params["text"] == PRIVATE_ONLY


async def test_a_deactivated_account_is_marked_unreachable_without_a_crash(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    user = "U0FRANK"
    code = await create_invite(served.bot)
    await dm(served, user, f"/join {code}", "Ev60")
    await platforms.wait_for("chat.postMessage", 1)

    platforms.deactivate_slack_user(user)
    await dm(served, user, "what is the programme?", "Ev61")
    await asyncio.sleep(QUIET)

    assert len(platforms.calls_to("chat.postMessage")) == 1
    async with served.bot.services.database.transaction() as session:
        members = Repositories.bound_to(session).members
        found = await members.find_by_identity("slack", user)
        assert found is not None
        member = await members.get(found.id)
        assert member is not None
        (identity,) = member.identities
        assert identity.unreachable_reason == "user_disabled"
    # The server carries on for everyone else.
    await dm(served, "U0GRACE", "/help", "Ev62")
    await platforms.wait_for("chat.postMessage", 2)


async def test_app_home_shows_the_main_menu_and_its_buttons_answer_in_direct_messages(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    user = "U0HEIDI"
    assert await post_event(served, "Ev70", slack_home_opened(user)) == 200

    (published,) = await platforms.wait_for("views.publish", 1)
    assert published.params["user_id"] == user
    assert published.params["view"]["type"] == "home"
    menu = buttons(published)
    assert served.bot.services.binder.open(menu["Help"], "slack", user) == MenuChoice("help")

    status, _ = await post_form(served, home_tab_press(user, menu["Help"]))
    assert status == 200
    (reply,) = await platforms.wait_for("chat.postMessage", 1)
    assert reply.params["channel"] == slack_dm_channel(user)
    assert "Here's what I can do" in reply.params["text"]

    # Each person's Home tab is bound to them: the same button pressed by someone else is refused.
    status, _ = await post_form(served, home_tab_press("U0MALLORY", menu["Help"]))
    assert status == 200
    refusal = (await platforms.wait_for("chat.postMessage", 2))[-1]
    assert refusal.params["channel"] == slack_dm_channel("U0MALLORY")
    assert refusal.params["text"] == NOT_YOURS


async def test_replies_in_one_channel_are_paced_to_one_a_second_after_a_burst(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    user = "U0IVAN"
    for number in range(5):
        await dm(served, user, "/help", f"Ev8{number}")

    sent = await platforms.wait_for("chat.postMessage", 5, timeout=10)

    times = [call.at for call in sent]
    assert times[2] - times[0] < 0.5  # a burst of three goes at once
    # One a second when each send is let through; measured where they arrive, so a busy
    # machine's scheduling jitter is allowed for.
    assert times[3] - times[2] >= 0.8
    assert times[4] - times[3] >= 0.8


async def test_shutdown_waits_for_replies_still_in_flight(
    start_server: ServerFactory, platforms: LoopbackPlatforms
) -> None:
    platforms.rate_limit_next("chat.postMessage", times=1, retry_after=1)
    async with start_server() as server:
        await dm(server, "U0JUDY", "/help", "Ev90")
        # leaving at once: the reply is still waiting out its 429

    assert len(platforms.calls_to("chat.postMessage")) == 1
