"""Nothing acknowledged is lost: a real `cedp-bot serve` killed with SIGKILL mid-burst, then
started again, answers every delivery it had answered 200 to.

Each delivery is a command nobody knows, `/t00042` or `/s00017`, so its one reply ("I don't
know /t00042 ...") names it. The bound on replies sent twice is the inbox's: at most
`SENDING_AT_ONCE` per platform, the replies being sent at the moment of the kill.
"""

from __future__ import annotations

import asyncio
import signal

import aiohttp

from bot.adapters.inbox import SENDING_AT_ONCE
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.named import Delivery, answered, slack_delivery, telegram_delivery
from tests.e2e.processes import environment, free_port, serving

TELEGRAM_UPDATES = 500
SLACK_EVENTS = 300
PEOPLE = 50  # per platform: each sends several, so per-person order is exercised too
KILL_AFTER = 250  # acknowledged deliveries before the kill


def _deliveries() -> list[Delivery]:
    """Every delivery, the two platforms interleaved."""
    telegram = [telegram_delivery(n, 7000 + n % PEOPLE) for n in range(TELEGRAM_UPDATES)]
    slack = [slack_delivery(n, f"U{8000 + n % PEOPLE}") for n in range(SLACK_EVENTS)]
    mixed = []
    for index in range(max(len(telegram), len(slack))):
        mixed += telegram[index : index + 1] + slack[index : index + 1]
    return mixed


async def test_a_server_killed_mid_burst_answers_everything_it_acknowledged_after_a_restart(
    database_url: str, platforms: LoopbackPlatforms
) -> None:
    platforms.latency = 0.005  # replies take a moment to send, as on a real network
    env = environment(database_url, platforms, CEDP_INBOX_LEASE_SECONDS="1.5")
    port = free_port()
    acknowledged: set[str] = set()
    async with serving(env, port) as first:
        async with aiohttp.ClientSession() as http:
            queue = asyncio.Queue[Delivery]()
            for delivery in _deliveries():
                queue.put_nowait(delivery)

            async def post_until_dead() -> None:
                while not queue.empty():
                    delivery = queue.get_nowait()
                    try:
                        async with http.post(
                            f"http://127.0.0.1:{port}{delivery.path}",
                            data=delivery.body,
                            headers=delivery.headers,
                        ) as response:
                            if response.status == 200:
                                acknowledged.add(delivery.name)
                    except aiohttp.ClientError:
                        return  # the server is gone
                    if len(acknowledged) >= KILL_AFTER and first.returncode is None:
                        first.send_signal(signal.SIGKILL)

            await asyncio.gather(*(post_until_dead() for _ in range(16)))
        await first.wait()
    answered_before_restart = set(answered(platforms))
    assert first.returncode == -signal.SIGKILL
    assert acknowledged - answered_before_restart, "the kill came after everything was answered"

    async with serving(env, free_port()):
        for _ in range(300):
            if acknowledged <= set(answered(platforms)):
                break
            await asyncio.sleep(0.1)
    replies = answered(platforms)
    assert acknowledged - set(replies) == set(), "acknowledged deliveries never answered"
    twice = {name: count for name, count in replies.items() if count > 1}
    for prefix in ("t", "s"):
        assert sum(c - 1 for n, c in twice.items() if n.startswith(prefix)) <= SENDING_AT_ONCE
