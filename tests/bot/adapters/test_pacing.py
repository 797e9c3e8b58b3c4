"""Outgoing sends keep to the platforms' rate limits and wait out a "retry after".

Time is fake: `asyncio.sleep` in `bot.adapters.pacing` advances a fake clock at once and records
the delay asked for, so every test is deterministic and instant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from bot.adapters import pacing
from bot.adapters.pacing import ChatBuckets, Pacer, TokenBucket, with_retries

_real_sleep = asyncio.sleep
# A real sleep always takes a little time. Without this, a float-rounded wait of ~1e-17 s (tokens
# at 0.9999999999999999) would not move the fake clock at all, and the bucket would spin forever.
MIN_SLEEP = 1e-6


@dataclass
class FakeTime:
    """A clock for the pacing classes, moved only by their sleeps (or by hand)."""

    now: float = 0.0
    delays: list[float] = field(default_factory=list)
    hold: asyncio.Event | None = None  # when set, sleepers wait for it: a sender caught mid-wait

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        if len(self.delays) >= 10_000:
            raise RuntimeError("the pacer keeps sleeping without getting anywhere")
        self.delays.append(delay)
        if self.hold is not None:
            await self.hold.wait()
        self.now += max(delay, MIN_SLEEP)
        await _real_sleep(0)  # let other tasks run, as a real sleep would

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    time = FakeTime()
    monkeypatch.setattr(pacing.asyncio, "sleep", time.sleep)
    return time


async def _times_of(fake_time: FakeTime, sends: int, wait: Callable[[], object]) -> list[float]:
    """When each of `sends` consecutive sends was let through."""
    times = []
    for _ in range(sends):
        await wait()  # type: ignore[misc]
        times.append(fake_time.now)
    return times


# TokenBucket


async def test_a_burst_goes_out_at_once_then_sends_are_spaced_one_over_the_rate_apart(
    fake_time: FakeTime,
) -> None:
    bucket = TokenBucket(rate=2, burst=3, clock=fake_time)

    times = await _times_of(fake_time, 6, bucket.acquire)

    assert times == pytest.approx([0, 0, 0, 0.5, 1.0, 1.5])


async def test_a_bucket_left_alone_refills_up_to_its_burst_and_no_further(
    fake_time: FakeTime,
) -> None:
    bucket = TokenBucket(rate=2, burst=3, clock=fake_time)
    await _times_of(fake_time, 3, bucket.acquire)

    fake_time.advance(100)  # long enough for 200 tokens, but the burst caps it at 3
    times = await _times_of(fake_time, 4, bucket.acquire)

    assert times == pytest.approx([100, 100, 100, 100.5])


async def test_waiting_senders_are_served_in_the_order_they_arrived(fake_time: FakeTime) -> None:
    bucket = TokenBucket(rate=1, burst=1, clock=fake_time)
    served: list[tuple[str, float]] = []

    async def send(name: str) -> None:
        await bucket.acquire()
        served.append((name, fake_time.now))

    await asyncio.gather(*(send(name) for name in "abcd"))

    assert [name for name, _ in served] == list("abcd")
    assert [at for _, at in served] == pytest.approx([0, 1, 2, 3])


async def test_a_pause_holds_every_send_until_it_ends(fake_time: FakeTime) -> None:
    bucket = TokenBucket(rate=10, burst=5, clock=fake_time)

    bucket.pause(7)
    times = await _times_of(fake_time, 2, bucket.acquire)

    assert times == pytest.approx([7, 7])  # tokens were there all along: only the pause held it


async def test_a_shorter_pause_never_cuts_a_longer_one_short(fake_time: FakeTime) -> None:
    bucket = TokenBucket(rate=10, burst=5, clock=fake_time)

    bucket.pause(10)
    bucket.pause(2)
    await bucket.acquire()

    assert fake_time.now == pytest.approx(10)


async def test_a_bucket_is_idle_only_when_full_and_not_paused(fake_time: FakeTime) -> None:
    bucket = TokenBucket(rate=1, burst=2, clock=fake_time)
    assert bucket.idle

    await bucket.acquire()
    assert not bucket.idle

    fake_time.advance(1)
    assert bucket.idle

    bucket.pause(5)
    assert not bucket.idle
    fake_time.advance(5)
    assert bucket.idle


# Pacer


async def test_each_chat_has_its_own_limit(fake_time: FakeTime) -> None:
    pacer = Pacer(per_chat_per_second=1, per_chat_burst=1, clock=fake_time)

    await pacer.wait_turn("a")
    await pacer.wait_turn("b")  # "a" used its turn, but "b" has its own
    assert fake_time.now == 0
    assert fake_time.delays == []

    await pacer.wait_turn("a")
    assert fake_time.now == pytest.approx(1)


async def test_the_overall_limit_applies_across_chats(fake_time: FakeTime) -> None:
    pacer = Pacer(per_chat_per_second=1, per_chat_burst=1, overall_per_second=30, clock=fake_time)

    times = []
    for n in range(60):
        await pacer.wait_turn(f"chat-{n}")
        times.append(fake_time.now)

    # steady, with no burst: never more than the limit within any second
    assert times == pytest.approx([n / 30 for n in range(60)], abs=1e-3)


async def test_without_an_overall_limit_many_chats_go_at_once(fake_time: FakeTime) -> None:
    pacer = Pacer(per_chat_per_second=1, per_chat_burst=1, clock=fake_time)

    for n in range(100):
        await pacer.wait_turn(f"chat-{n}")

    assert fake_time.now == 0


async def test_backing_off_pauses_that_chat_only_when_there_is_no_overall_limit(
    fake_time: FakeTime,
) -> None:
    pacer = Pacer(per_chat_per_second=5, per_chat_burst=5, clock=fake_time)

    pacer.back_off("a", 8)
    await pacer.wait_turn("b")
    assert fake_time.now == 0

    await pacer.wait_turn("a")
    assert fake_time.now == pytest.approx(8)


async def test_backing_off_pauses_every_chat_when_there_is_an_overall_limit(
    fake_time: FakeTime,
) -> None:
    pacer = Pacer(per_chat_per_second=5, per_chat_burst=5, overall_per_second=30, clock=fake_time)

    pacer.back_off("a", 8)
    await pacer.wait_turn("b")

    assert fake_time.now == pytest.approx(8)


# The bulk lane (broadcasts)


def _bulk_pacer(fake_time: FakeTime) -> Pacer:
    return Pacer(
        per_chat_per_second=1,
        per_chat_burst=3,
        overall_per_second=30,
        bulk_per_second=25,
        clock=fake_time,
    )


async def test_bulk_sends_go_at_a_steady_rate_of_their_own_after_a_burst_of_two(
    fake_time: FakeTime,
) -> None:
    pacer = Pacer(per_chat_per_second=1, per_chat_burst=3, bulk_per_second=25, clock=fake_time)

    times = []
    for n in range(50):
        await pacer.wait_turn(f"chat-{n}", bulk=True)
        times.append(fake_time.now)

    assert times == pytest.approx([0] + [n / 25 for n in range(49)], abs=1e-3)


async def test_never_two_bulk_sends_within_a_second_to_one_chat(fake_time: FakeTime) -> None:
    pacer = _bulk_pacer(fake_time)

    times = await _times_of(fake_time, 3, lambda: pacer.wait_turn("chat", bulk=True))

    assert times == pytest.approx([0, 1, 2], abs=1e-3)


async def test_a_reply_waiting_for_the_overall_limit_goes_before_bulk_sends(
    fake_time: FakeTime,
) -> None:
    pacer = Pacer(
        per_chat_per_second=1,
        per_chat_burst=3,
        overall_per_second=1,
        bulk_per_second=1,
        clock=fake_time,
    )
    await pacer.wait_turn("first")  # the overall bucket is empty now
    order: list[str] = []

    async def send(name: str, chat: str, bulk: bool) -> None:
        await pacer.wait_turn(chat, bulk=bulk)
        order.append(name)

    fake_time.hold = asyncio.Event()
    bulk = asyncio.create_task(send("broadcast", "b", True))
    while not fake_time.delays:  # the broadcast is waiting for the overall limit first
        await _real_sleep(0)
    reply = asyncio.create_task(send("reply", "r", False))
    while len(fake_time.delays) < 2:  # then the reply waits too
        await _real_sleep(0)
    fake_time.hold.set()
    await asyncio.gather(bulk, reply)

    assert order == ["reply", "broadcast"]


# Forgetting idle buckets


async def test_idle_buckets_are_kept_until_there_are_max_idle_buckets_of_them(
    fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ChatBuckets, "MAX_IDLE_BUCKETS", 3)
    pacer = Pacer(per_chat_per_second=1, per_chat_burst=1, clock=fake_time)

    for chat in ("a", "b", "c"):
        await pacer.wait_turn(chat)
    fake_time.advance(10)  # all three refill: idle

    assert pacer.per_chat.known == {"a", "b", "c"}  # no other way to see what it remembers
    await pacer.wait_turn("d")
    assert pacer.per_chat.known == {"d"}


async def test_the_pacer_forgets_idle_buckets_but_never_a_paused_or_recently_used_one(
    fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ChatBuckets, "MAX_IDLE_BUCKETS", 3)
    pacer = Pacer(per_chat_per_second=1, per_chat_burst=1, clock=fake_time)
    await pacer.wait_turn("idle")
    fake_time.advance(10)
    pacer.back_off("paused", 60)
    await pacer.wait_turn("recent")

    await pacer.wait_turn("new")

    assert pacer.per_chat.known == {"paused", "recent", "new"}
    await pacer.wait_turn("paused")
    assert fake_time.now == pytest.approx(70)  # the pause survived the clean-up


async def test_the_pacer_never_forgets_a_bucket_a_sender_is_waiting_on(
    fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ChatBuckets, "MAX_IDLE_BUCKETS", 2)
    pacer = Pacer(per_chat_per_second=1, per_chat_burst=1, clock=fake_time)
    await pacer.wait_turn("idle")
    await pacer.wait_turn("busy")
    fake_time.hold = asyncio.Event()
    waiting = asyncio.create_task(pacer.wait_turn("busy"))
    while not fake_time.delays:  # until the second sender waits for its turn in "busy"
        await _real_sleep(0)
    fake_time.advance(10)  # "busy" has refilled: only the waiting sender keeps it in use

    await pacer.wait_turn("new")

    assert pacer.per_chat.known == {"busy", "new"}
    fake_time.hold.set()
    await waiting


# with_retries


class RateLimited(Exception):
    """A platform's 429, carrying how long to wait."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}")
        self.seconds = seconds


def _retry_after(error: Exception) -> float | None:
    return error.seconds if isinstance(error, RateLimited) else None


@dataclass
class FlakySend:
    """Fails with the given errors in turn, then succeeds; records when it was called."""

    clock: FakeTime
    errors: list[Exception]
    calls: list[float] = field(default_factory=list)

    async def __call__(self) -> str:
        self.calls.append(self.clock.now)
        if len(self.calls) <= len(self.errors):
            raise self.errors[len(self.calls) - 1]
        return "sent"


def _pacer(fake_time: FakeTime) -> Pacer:
    return Pacer(per_chat_per_second=1, per_chat_burst=1, clock=fake_time)


async def test_a_rate_limited_send_is_retried_after_the_delay_the_platform_asked_for(
    fake_time: FakeTime,
) -> None:
    send = FlakySend(fake_time, [RateLimited(3), RateLimited(2)])

    result = await with_retries(send, _retry_after, pacer=_pacer(fake_time), chat="c")

    assert result == "sent"
    assert send.calls == pytest.approx([0, 3, 5])


async def test_a_rate_limit_holds_back_the_other_sends_to_that_chat(fake_time: FakeTime) -> None:
    pacer = _pacer(fake_time)
    send = FlakySend(fake_time, [RateLimited(4)])
    await with_retries(send, _retry_after, pacer=pacer, chat="c")

    await pacer.wait_turn("c")

    assert fake_time.now == pytest.approx(5)  # the retry at 4 took the turn; the next one is 1 s on


async def test_retries_give_up_after_the_given_attempts_and_raise_the_last_error(
    fake_time: FakeTime,
) -> None:
    errors: list[Exception] = [RateLimited(1) for _ in range(10)]
    send = FlakySend(fake_time, errors)

    with pytest.raises(RateLimited) as raised:
        await with_retries(send, _retry_after, pacer=_pacer(fake_time), chat="c", attempts=3)

    assert len(send.calls) == 3
    assert raised.value is errors[2]


async def test_retries_give_up_after_five_attempts_by_default(fake_time: FakeTime) -> None:
    send = FlakySend(fake_time, [RateLimited(1) for _ in range(10)])

    with pytest.raises(RateLimited):
        await with_retries(send, _retry_after, pacer=_pacer(fake_time), chat="c")

    assert len(send.calls) == 5


async def test_an_error_that_is_not_a_rate_limit_is_raised_at_once_without_a_retry(
    fake_time: FakeTime,
) -> None:
    broken = ValueError("bad request")
    send = FlakySend(fake_time, [broken])

    with pytest.raises(ValueError) as raised:
        await with_retries(send, _retry_after, pacer=_pacer(fake_time), chat="c")

    assert raised.value is broken
    assert send.calls == [0]
    assert fake_time.delays == []
