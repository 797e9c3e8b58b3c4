"""Events of one person in one conversation are handled in arrival order, others in parallel."""

from __future__ import annotations

import asyncio

from bot.turns import Turns


async def test_holders_of_one_key_go_one_at_a_time_in_arrival_order() -> None:
    turns, done = Turns(), []

    async def work(name: str, pause: float) -> None:
        async with turns.turn("alice"):
            await asyncio.sleep(pause)
            done.append(name)

    await asyncio.gather(work("first", 0.03), work("second", 0.0), work("third", 0.01))
    assert done == ["first", "second", "third"]


async def test_different_keys_do_not_wait_for_each_other() -> None:
    turns, done = Turns(), []

    async def work(key: str, pause: float) -> None:
        async with turns.turn(key):
            await asyncio.sleep(pause)
            done.append(key)

    await asyncio.gather(work("slow", 0.05), work("fast", 0.0))
    assert done == ["fast", "slow"]


async def test_a_key_is_forgotten_once_nobody_holds_or_waits_for_it() -> None:
    turns = Turns()
    async with turns.turn("alice"):
        waiting = asyncio.create_task(_take(turns, "alice"))
        await asyncio.sleep(0)
        assert len(turns) == 1
    await waiting
    assert len(turns) == 0


async def test_an_error_inside_a_turn_releases_it() -> None:
    turns = Turns()
    try:
        async with turns.turn("alice"):
            raise RuntimeError("handler failed")
    except RuntimeError:
        pass
    await asyncio.wait_for(_take(turns, "alice"), timeout=1)
    assert len(turns) == 0


async def _take(turns: Turns, key: str) -> None:
    async with turns.turn(key):
        pass
