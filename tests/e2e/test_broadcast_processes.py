"""Broadcasts from real `cedp-bot serve` processes: one killed with SIGKILL half-way is taken
over by the next once its lease runs out, and two workers on one database share the sending.

Nobody is sent a broadcast twice, except those whose message the platform had taken when the
process died but whose outcome was not yet committed: at most `SENDING_AT_ONCE` of them.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Callable

import pytest

from bot.adapters.broadcasting import SENDING_AT_ONCE
from tests.conftest import eventually
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.processes import WORKERS, environment, free_port, serving, workers
from tests.e2e.roster import Roster

TEXT = "The spring residential is confirmed for 12 to 14 March."
FIRST_CHAT = 100_000
LEASE_SECONDS = "3"  # the take-over after a kill waits for the dead process' lease to run out


def received(platforms: LoopbackPlatforms) -> Counter[int]:
    """How often each chat was sent the broadcast."""
    return Counter(
        call.params["chat_id"]
        for call in platforms.calls_to("sendMessage")
        if TEXT in call.params.get("text", "")
    )


async def test_a_broadcast_killed_half_way_is_finished_by_the_next_process(
    database_url: str, platforms: LoopbackPlatforms, record_property: Callable[..., None]
) -> None:
    chats = list(range(FIRST_CHAT, FIRST_CHAT + 2000))
    platforms.latency = 0.005  # sends take a moment, as on a real network, so some are in flight
    async with Roster.open(database_url) as roster:
        await roster.add_telegram_members(chats)
        broadcast_id = await roster.broadcast(TEXT)
        env = environment(
            database_url,
            platforms,
            CEDP_QUIET_HOURS="",
            CEDP_BROADCAST_LEASE_SECONDS=LEASE_SECONDS,
            TELEGRAM_BROADCAST_MESSAGES_PER_SECOND="100000",
        )
        async with serving(env, free_port()) as first:
            await eventually(lambda: len(received(platforms)) >= 1000, 30, "1,000 chats reached")
            first.send_signal(signal.SIGKILL)
            await first.wait()
        reached_before_restart = len(received(platforms))
        assert reached_before_restart < len(chats), "the kill came after the broadcast was done"

        async def done() -> bool:
            return (await roster.status(broadcast_id))["pending"] == 0

        async with serving(env, free_port()):
            await eventually(done, 60, "nothing pending after the restart")
        status = await roster.status(broadcast_id)

    counts = received(platforms)
    twice = sum(1 for count in counts.values() if count == 2)
    print(f"\n{database_url.split(':')[0]}: {twice} of {len(chats)} received the broadcast twice")
    record_property("sent_twice", twice)
    assert set(counts) == set(chats), "someone never received it"
    assert max(counts.values()) <= 2
    assert twice <= SENDING_AT_ONCE
    assert status["sent"] == len(chats) and status["failed"] == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_on_one_database_share_a_broadcast_and_send_each_message_once(
    database_url: str, platforms: LoopbackPlatforms
) -> None:
    chats = list(range(FIRST_CHAT, FIRST_CHAT + 1000))
    platforms.latency = 0.005
    async with Roster.open(database_url) as roster:
        await roster.add_telegram_members(chats)
        async with workers(
            database_url,
            platforms,
            CEDP_QUIET_HOURS="",
            CEDP_OUTBOX_POLL_SECONDS="0.05",
            TELEGRAM_BROADCAST_MESSAGES_PER_SECOND="100000",
        ):
            broadcast_id = await roster.broadcast(TEXT)

            async def done() -> bool:
                return (await roster.status(broadcast_id))["pending"] == 0

            await eventually(done, 60, "nothing pending")

    assert received(platforms) == Counter(dict.fromkeys(chats, 1))
    senders = Counter(
        call.sender for call in platforms.calls_to("sendMessage") if TEXT in call.params["text"]
    )
    print(f"\nsent by each worker: {dict(senders)}")
    assert set(senders) == set(WORKERS), senders
