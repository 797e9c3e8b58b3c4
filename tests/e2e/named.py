"""Deliveries whose one reply names them: a command nobody knows, `/t00042` on Telegram or
`/s00017` on Slack, is answered "I don't know /t00042 ...", so a test can count the answers to
each delivery however many times, and to whichever server, it was posted."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from dataclasses import dataclass

from bot.adapters.telegram import SECRET_HEADER, WEBHOOK_PATH
from tests.e2e.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.payloads import (
    JSON,
    slack_dm_event,
    slack_event,
    slack_signature_headers,
    telegram_message,
)

SLACK_EVENTS = "/slack/events"
NAMED_REPLY = re.compile(r"/([ts]\d{5})")


@dataclass(frozen=True)
class Delivery:
    """One webhook request: its name, where it is posted, and what."""

    name: str
    path: str
    body: bytes
    headers: dict[str, str]


def telegram_delivery(number: int, user_id: int) -> Delivery:
    """Update `number + 1` from `user_id`: the command /t<number>."""
    name = f"t{number:05d}"
    body = json.dumps(telegram_message(number + 1, user_id, f"/{name}")).encode()
    return Delivery(
        name, WEBHOOK_PATH, body, {SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": JSON}
    )


def slack_delivery(number: int, user: str) -> Delivery:
    """Event Ev<number> from `user`: the command /s<number> in their DM."""
    name = f"s{number:05d}"
    body = slack_event(f"Ev{number:05d}", slack_dm_event(user, f"/{name}"))
    return Delivery(name, SLACK_EVENTS, body, slack_signature_headers(SLACK_SIGNING_SECRET, body))


def slack_retry(delivery: Delivery, retry_num: int = 1) -> Delivery:
    """The same event again, as Slack redelivers one it thinks went unacknowledged."""
    headers = slack_signature_headers(SLACK_SIGNING_SECRET, delivery.body, retry_num=retry_num)
    return dataclasses.replace(delivery, headers=headers)


def answered(platforms: LoopbackPlatforms) -> Counter[str]:
    """How often each delivery was answered, by the name its reply carries."""
    texts = [call.params.get("text", "") for call in platforms.calls_to("sendMessage")]
    texts += [call.params.get("text", "") for call in platforms.calls_to("chat.postMessage")]
    return Counter(found.group(1) for text in texts if (found := NAMED_REPLY.search(str(text))))
