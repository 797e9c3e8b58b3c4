"""Broadcasts end to end: staff send one with `cedp-bot broadcast send`, the running server
delivers it over the Telegram Bot API and the Slack Web API, members answer with its buttons,
and `broadcast status` tells staff what happened.

Quiet hours are off (CEDP_QUIET_HOURS=""), and the server's clock runs at real time, which
`broadcast send` schedules by; tests move it on by hand to reach a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.adapters.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.cli import main
from storage.broadcasts import BroadcastDelivery
from storage.jobs import retry_delay
from tests.conftest import FakeClock, create_invite, eventually
from tests.e2e.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET, Served
from tests.e2e.loopback import LoopbackPlatforms, RecordedCall, slack_dm_channel
from tests.e2e.payloads import (
    FORM,
    JSON,
    slack_block_action,
    slack_dm_event,
    slack_event,
    slack_signature_headers,
    telegram_callback,
    telegram_message,
)

TEXT = "The spring residential is confirmed for 12 to 14 March."
ATTEND, DECLINE = "I'd like to attend", "Not this time"
ANN, BOB, CAT = 5001, 5002, 5003  # on Telegram
DEV, EVE = "U0DEV", "U0EVE"  # on Slack
QUIET = 0.5  # how long to watch for a message that must not come
BLOCKED = "Forbidden: bot was blocked by the user"


@dataclass
class RealTimeClock(FakeClock):
    """Real time, moved on by hand: `broadcast send` schedules at the real now."""

    ahead: timedelta = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, **delta: float) -> None:
        self.ahead += timedelta(**delta)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """No quiet hours, for the server and the command line; the command line on its database."""
    monkeypatch.setenv("CEDP_QUIET_HOURS", "")
    monkeypatch.setenv("CEDP_DATABASE_URL", database_url)


@pytest.fixture
def clock() -> FakeClock:
    return RealTimeClock()


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


async def cli(*args: str) -> str:
    """What `cedp-bot ARGS` printed, run beside the server on its database."""
    return await asyncio.to_thread(_cli, *args)


async def send_broadcast(folder: Path, *options: str, text: str = TEXT) -> int:
    message = folder / "broadcast.txt"
    message.write_text(text, encoding="utf-8")
    printed = await cli("broadcast", "send", "--text-file", str(message), "--yes", *options)
    return int(printed.splitlines()[-1])


async def status(broadcast_id: int) -> dict[str, Any]:
    return json.loads(await cli("broadcast", "status", str(broadcast_id), "--json"))


async def telegram_update(served: Served, update: dict[str, Any]) -> None:
    headers = {SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": "application/json"}
    assert (await served.post(WEBHOOK_PATH, json.dumps(update).encode(), headers))[0] == 200


async def slack_post(served: Served, body: bytes, content_type: str = JSON) -> None:
    signed = slack_signature_headers(SLACK_SIGNING_SECRET, body, content_type=content_type)
    assert (await served.post("/slack/events", body, signed))[0] == 200


async def join(served: Served, platforms: LoopbackPlatforms, people: list[int | str]) -> None:
    """Each person joins with an invite code, on Telegram (a number) or Slack; then the
    loopback forgets their welcomes."""
    for number, person in enumerate(people):
        code = await create_invite(served.bot)
        if isinstance(person, int):
            update = telegram_message(number + 1, person, f"/join {code}")
            await telegram_update(served, update)
        else:
            event = slack_dm_event(person, f"/join {code}")
            await slack_post(served, slack_event(f"Ev{number}", event))
    welcomes = len([p for p in people if isinstance(p, int)])
    await platforms.wait_for("sendMessage", welcomes)
    await platforms.wait_for("chat.postMessage", len(people) - welcomes)
    platforms.reset()


def broadcasts_to(
    platforms: LoopbackPlatforms, method: str, key: str
) -> dict[Any, list[RecordedCall]]:
    """Accepted broadcast messages by chat (Telegram) or channel (Slack)."""
    found: dict[Any, list[RecordedCall]] = {}
    for call in platforms.calls_to(method):
        if TEXT in call.params.get("text", ""):
            found.setdefault(call.params[key], []).append(call)
    return found


def telegram_buttons(call: RecordedCall) -> dict[str, str]:
    rows = call.params["reply_markup"]["inline_keyboard"]
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def slack_buttons(call: RecordedCall) -> dict[str, tuple[str, str]]:
    """Label → (action id, value)."""
    return {
        element["text"]["text"]: (element["action_id"], element["value"])
        for block in call.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


async def test_a_broadcast_reaches_every_member_once_on_their_platform_and_counts_answers(
    served: Served, platforms: LoopbackPlatforms, tmp_path: Path
) -> None:
    await join(served, platforms, [ANN, BOB, CAT, DEV, EVE])

    broadcast_id = await send_broadcast(tmp_path, "--choices", f"{ATTEND}|{DECLINE}")

    await platforms.wait_for("sendMessage", 3)
    await platforms.wait_for("chat.postMessage", 2)
    await asyncio.sleep(QUIET)
    telegram = broadcasts_to(platforms, "sendMessage", "chat_id")
    slack = broadcasts_to(platforms, "chat.postMessage", "channel")
    assert {chat: len(calls) for chat, calls in telegram.items()} == {ANN: 1, BOB: 1, CAT: 1}
    dms = {slack_dm_channel(DEV), slack_dm_channel(EVE)}
    assert {channel: len(calls) for channel, calls in slack.items()} == dict.fromkeys(dms, 1)
    [ann_message] = telegram[ANN]
    [dev_message] = slack[slack_dm_channel(DEV)]
    assert list(telegram_buttons(ann_message)) == [ATTEND, DECLINE]
    assert list(slack_buttons(dev_message)) == [ATTEND, DECLINE]

    message_id = ann_message.answer["result"]["message_id"]
    data = telegram_buttons(ann_message)[ATTEND]
    await telegram_update(served, telegram_callback(100, ANN, data, message_id=message_id))
    action_id, value = slack_buttons(dev_message)[DECLINE]
    press = slack_block_action(
        DEV,
        channel=slack_dm_channel(DEV),
        message_ts=dev_message.answer["ts"],
        action_id=action_id,
        value=value,
    )
    await slack_post(served, press, FORM)

    [ticked] = await platforms.wait_for("editMessageText")
    assert f"✓ {ATTEND}" in telegram_buttons(ticked)
    [updated] = await platforms.wait_for("chat.update")
    assert f"Your answer: {DECLINE}" in updated.params["text"]
    assert await status(broadcast_id) == {
        "recipients": 5,
        "pending": 0,
        "sent": 5,
        "failed": 0,
        "excluded": 0,
        "choices": {ATTEND: 1, DECLINE: 1},
    }


async def test_a_broadcasts_light_formatting_reaches_each_platform_in_its_own_form(
    served: Served, platforms: LoopbackPlatforms, tmp_path: Path
) -> None:
    """Telegram is sent HTML, Slack its own mrkdwn; an answer's edit keeps the formatting."""
    await join(served, platforms, [ANN, DEV])
    typed = "*Bring* a friend to the _spring_ residential\n- 12 to 14 March & <b>free</b>"

    await send_broadcast(tmp_path, "--choices", f"{ATTEND}|{DECLINE}", text=typed)

    [to_ann] = await platforms.wait_for("sendMessage")
    [to_dev] = await platforms.wait_for("chat.postMessage")
    sent = (
        "<b>Bring</b> a friend to the <i>spring</i> residential\n• 12 to 14 March &amp; &lt;b&gt;"
    )
    assert to_ann.params["text"].startswith(sent) and to_ann.params["parse_mode"] == "HTML"
    [section, *_] = to_dev.params["blocks"]
    mrkdwn = "*Bring* a friend to the _spring_ residential\n• 12 to 14 March &amp; &lt;b&gt;"
    assert section["text"]["type"] == "mrkdwn" and section["text"]["text"].startswith(mrkdwn)

    message_id = to_ann.answer["result"]["message_id"]
    data = telegram_buttons(to_ann)[ATTEND]
    await telegram_update(served, telegram_callback(100, ANN, data, message_id=message_id))
    [ticked] = await platforms.wait_for("editMessageText")
    assert ticked.params["text"].startswith(sent) and ticked.params["parse_mode"] == "HTML"
    assert f"Your answer: {ATTEND}." in ticked.params["text"]


async def attempts_of(served: Served, chat: int) -> int:
    """Failed attempts so far of the delivery to `chat`, once its last outcome is recorded."""
    async with served.bot.services.database.transaction() as session:
        found = await session.execute(
            select(BroadcastDelivery.attempts, BroadcastDelivery.claimed_until).where(
                BroadcastDelivery.recipient_id == str(chat)
            )
        )
        attempts, claimed_until = found.one()
    return attempts if claimed_until is None else -1


async def test_a_blocked_member_is_failed_and_listed_and_a_passing_failure_is_retried(
    served: Served, platforms: LoopbackPlatforms, clock: FakeClock, tmp_path: Path
) -> None:
    await join(served, platforms, [ANN, BOB, CAT])
    platforms.block_chat(BOB)
    platforms.fail_chat(CAT, times=2)

    broadcast_id = await send_broadcast(tmp_path)

    for failures in (1, 2):

        async def recorded(failures: int = failures) -> bool:
            return await attempts_of(served, CAT) == failures

        await eventually(recorded, 5, f"failure {failures} of the delivery to CAT recorded")
        clock.advance(seconds=retry_delay(failures).total_seconds())

    async def finished() -> bool:
        return (await status(broadcast_id))["pending"] == 0

    await eventually(finished, 5, "nothing pending")
    counts = await status(broadcast_id)
    assert (counts["sent"], counts["failed"]) == (2, 1)
    received = broadcasts_to(platforms, "sendMessage", "chat_id")
    assert {chat: len(calls) for chat, calls in received.items()} == {ANN: 1, CAT: 1}
    to_cat = platforms.calls_to("sendMessage", ok_only=False)
    assert [call.answered for call in to_cat if call.params["chat_id"] == CAT] == [500, 500, 200]

    report = await cli("broadcast", "status", str(broadcast_id))
    [problem] = [line for line in report.splitlines() if f"telegram:{BOB}" in line]
    assert problem.startswith("failed\t") and problem.endswith(f"unreachable: {BLOCKED}")
    [bob] = [line for line in (await cli("members", "list")).splitlines() if f"{BOB}" in line]
    assert "unreachable since" in bob and BLOCKED in bob
