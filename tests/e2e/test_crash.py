"""Nothing acknowledged is lost: a real `cedp-bot serve` killed with SIGKILL mid-burst, then
started again, answers every delivery it had answered 200 to.

Each delivery is a command nobody knows, `/t00042` or `/s00017`, so its one reply ("I don't
know /t00042 ...") names it. The bound on replies sent twice is the inbox's: at most
`SENDING_AT_ONCE` per platform, the replies being sent at the moment of the kill.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections import Counter

import aiohttp

from bot.adapters.inbox import SENDING_AT_ONCE
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
from tests.e2e.processes import environment, free_port, serving

TELEGRAM_UPDATES = 500
SLACK_EVENTS = 300
PEOPLE = 50  # per platform: each sends several, so per-person order is exercised too
KILL_AFTER = 250  # acknowledged deliveries before the kill
NAMED = re.compile(r"/([ts]\d{5})")


def _deliveries() -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(name, path, body, headers) for every delivery, the two platforms interleaved."""
    telegram = []
    for number in range(TELEGRAM_UPDATES):
        name = f"t{number:05d}"
        body = json.dumps(telegram_message(number + 1, 7000 + number % PEOPLE, f"/{name}"))
        headers = {SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": JSON}
        telegram.append((name, WEBHOOK_PATH, body.encode(), headers))
    slack = []
    for number in range(SLACK_EVENTS):
        name = f"s{number:05d}"
        user = f"U{8000 + number % PEOPLE}"
        body = slack_event(f"Ev{number:05d}", slack_dm_event(user, f"/{name}"))
        slack.append(
            (name, "/slack/events", body, slack_signature_headers(SLACK_SIGNING_SECRET, body))
        )
    mixed = []
    for index in range(max(len(telegram), len(slack))):
        mixed += telegram[index : index + 1] + slack[index : index + 1]
    return mixed


def _answered(platforms: LoopbackPlatforms) -> Counter[str]:
    """How often each delivery was answered, by the name its reply carries."""
    texts = [call.params.get("text", "") for call in platforms.calls_to("sendMessage")]
    texts += [call.params.get("text", "") for call in platforms.calls_to("chat.postMessage")]
    return Counter(found.group(1) for text in texts if (found := NAMED.search(str(text))))


async def test_a_server_killed_mid_burst_answers_everything_it_acknowledged_after_a_restart(
    database_url: str, platforms: LoopbackPlatforms
) -> None:
    platforms.latency = 0.005  # replies take a moment to send, as on a real network
    env = environment(database_url, platforms, CEDP_INBOX_LEASE_SECONDS="1.5")
    port = free_port()
    acknowledged: set[str] = set()
    async with serving(env, port) as first:
        async with aiohttp.ClientSession() as http:
            queue = asyncio.Queue[tuple[str, str, bytes, dict[str, str]]]()
            for delivery in _deliveries():
                queue.put_nowait(delivery)

            async def post_until_dead() -> None:
                while not queue.empty():
                    name, path, body, headers = queue.get_nowait()
                    try:
                        async with http.post(
                            f"http://127.0.0.1:{port}{path}", data=body, headers=headers
                        ) as response:
                            if response.status == 200:
                                acknowledged.add(name)
                    except aiohttp.ClientError:
                        return  # the server is gone
                    if len(acknowledged) >= KILL_AFTER and first.returncode is None:
                        first.send_signal(signal.SIGKILL)

            await asyncio.gather(*(post_until_dead() for _ in range(16)))
        await first.wait()
    answered_before_restart = set(_answered(platforms))
    assert first.returncode == -signal.SIGKILL
    assert acknowledged - answered_before_restart, "the kill came after everything was answered"

    async with serving(env, free_port()):
        for _ in range(300):
            if acknowledged <= set(_answered(platforms)):
                break
            await asyncio.sleep(0.1)
    answered = _answered(platforms)
    assert acknowledged - set(answered) == set(), "acknowledged deliveries never answered"
    twice = {name: count for name, count in answered.items() if count > 1}
    for prefix in ("t", "s"):
        assert sum(c - 1 for n, c in twice.items() if n.startswith(prefix)) <= SENDING_AT_ONCE
