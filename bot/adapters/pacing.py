"""Outgoing rate limits shared by the platform adapters: pace sends, honour "retry after".

Telegram allows about 30 messages a second overall and about one a second per chat; Slack about
one a second per channel. Both answer 429 with a delay when pushed harder. One `Pacer` per
platform keeps under those limits, and `with_retries` waits out a 429 instead of dropping the
message. Limits are per process: two workers together may send twice as fast.

Broadcast sends go in a bulk lane: a rate of their own below the overall one (room is left for
replies), at most one a second to a chat, and behind any reply that is waiting for the overall
limit, so people in a conversation never queue behind a broadcast.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

Clock = Callable[[], float]


class TokenBucket:
    """`rate` sends a second, bursts of up to `burst`; waiting senders are served in turn."""

    def __init__(self, rate: float, burst: float, clock: Clock = time.monotonic) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = burst
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()  # FIFO, so a busy chat cannot starve a waiting sender
        self._yielding_lock = asyncio.Lock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    async def acquire(self, *, yielding: bool = False) -> None:
        """Take one send; `yielding` senders (bulk) go only when no other sender is waiting."""
        if yielding:
            async with self._yielding_lock:
                await self._take(yielding=True)
            return
        async with self._lock:
            await self._take(yielding=False)

    async def _take(self, *, yielding: bool) -> None:
        while True:
            now = self._clock()
            self._refill(now)
            wait = self._paused_until - now
            others_first = yielding and self._lock.locked()
            if wait <= 0 and self._tokens >= 1 and not others_first:
                self._tokens -= 1
                return
            step = 1 / self._rate if others_first else (1 - self._tokens) / self._rate
            await asyncio.sleep(max(wait, step))

    def pause(self, seconds: float) -> None:
        """The platform asked us to wait: nothing passes until then."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    @property
    def idle(self) -> bool:
        """Full and unpaused: forgetting it changes nothing."""
        now = self._clock()
        self._refill(now)
        waiting = self._lock.locked() or self._yielding_lock.locked()
        return self._tokens >= self._burst and not waiting and now >= self._paused_until


class ChatBuckets:
    """A token bucket per chat, created on first use; idle ones are forgotten past a bound."""

    MAX_IDLE_BUCKETS = 10_000

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self._shape = (rate, burst)
        self._clock = clock
        self._chats: dict[str, TokenBucket] = {}

    def __getitem__(self, chat: str) -> TokenBucket:
        bucket = self._chats.get(chat)
        if bucket is None:
            if len(self._chats) >= self.MAX_IDLE_BUCKETS:
                self._chats = {key: b for key, b in self._chats.items() if not b.idle}
            bucket = self._chats[chat] = TokenBucket(*self._shape, clock=self._clock)
        return bucket

    @property
    def known(self) -> set[str]:
        """The chats it remembers a bucket for."""
        return set(self._chats)


class Pacer:
    """Per-chat buckets, optionally one overall bucket, and the bulk lane, for one platform."""

    def __init__(
        self,
        *,
        per_chat_per_second: float,
        per_chat_burst: int,
        overall_per_second: float | None = None,
        bulk_per_second: float | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.per_chat = ChatBuckets(per_chat_per_second, per_chat_burst, clock)
        # No burst overall: a full bucket on top of a steady broadcast would let more than the
        # platform's limit through within one second, and its 429 pauses everyone.
        self._overall = (
            TokenBucket(overall_per_second, 1.0, clock) if overall_per_second is not None else None
        )
        # Bulk: one a second to a chat, and a steady rate; a burst of two keeps it on rate
        # when a sender wakes a little late, and two plus the rate stays under the overall.
        self._bulk_chats = ChatBuckets(1.0, 1, clock)
        self._bulk = TokenBucket(bulk_per_second, 2.0, clock) if bulk_per_second else None

    async def wait_turn(self, chat: str, *, bulk: bool = False) -> None:
        """Wait until a message to `chat` keeps within the limits of its lane."""
        if bulk:
            await self._bulk_chats[chat].acquire()
            if self._bulk is not None:
                await self._bulk.acquire()
        else:
            await self.per_chat[chat].acquire()
        if self._overall is not None:
            await self._overall.acquire(yielding=bulk)

    def back_off(self, chat: str, seconds: float) -> None:
        """A 429 for `chat`: pause it, and everything when there is an overall limit."""
        self.per_chat[chat].pause(seconds)
        self._bulk_chats[chat].pause(seconds)
        for bucket in (self._overall, self._bulk):
            if bucket is not None:
                bucket.pause(seconds)


async def with_retries(
    send: Callable[[], Awaitable[T]],
    retry_after: Callable[[Exception], float | None],
    *,
    pacer: Pacer,
    chat: str,
    attempts: int = 5,
    bulk: bool = False,
) -> T:
    """Call `send` in the chat's turn (in the bulk lane for broadcasts); on a 429 wait as told
    and try again, up to `attempts`.

    `retry_after` reads the delay out of a platform error, or None for errors not worth a retry.
    """
    for attempt in range(1, attempts + 1):
        await pacer.wait_turn(chat, bulk=bulk)
        try:
            return await send()
        except Exception as error:
            delay = retry_after(error)
            if delay is None or attempt == attempts:
                raise
            log.warning("rate limited in %s; retrying in %.1f s (attempt %d)", chat, delay, attempt)
            pacer.back_off(chat, delay)
    raise AssertionError("unreachable: the loop returns or raises")
