"""Outgoing rate limits shared by the platform adapters: pace sends, honour "retry after".

Telegram allows about 30 messages a second overall and about one a second per chat; Slack about
one a second per channel. Both answer 429 with a delay when pushed harder. One `Pacer` per
platform keeps under those limits, and `with_retries` waits out a 429 instead of dropping the
message. Limits are per process: two workers together may send twice as fast.
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

    def _refill(self, now: float) -> None:
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                self._refill(now)
                wait = self._paused_until - now
                if wait <= 0 and self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep(max(wait, (1 - self._tokens) / self._rate))

    def pause(self, seconds: float) -> None:
        """The platform asked us to wait: nothing passes until then."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    @property
    def idle(self) -> bool:
        """Full and unpaused: forgetting it changes nothing."""
        now = self._clock()
        self._refill(now)
        return self._tokens >= self._burst and not self._lock.locked() and now >= self._paused_until


class Pacer:
    """Per-chat buckets, and optionally one overall bucket, for one platform."""

    MAX_IDLE_BUCKETS = 10_000

    def __init__(
        self,
        *,
        per_chat_per_second: float,
        per_chat_burst: int,
        overall_per_second: float | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._per_chat = (per_chat_per_second, per_chat_burst)
        self._clock = clock
        self._overall = (
            TokenBucket(overall_per_second, max(overall_per_second, 1.0), clock)
            if overall_per_second is not None
            else None
        )
        self._chats: dict[str, TokenBucket] = {}

    def _bucket(self, chat: str) -> TokenBucket:
        bucket = self._chats.get(chat)
        if bucket is None:
            if len(self._chats) >= self.MAX_IDLE_BUCKETS:
                self._chats = {key: b for key, b in self._chats.items() if not b.idle}
            bucket = self._chats[chat] = TokenBucket(*self._per_chat, clock=self._clock)
        return bucket

    async def wait_turn(self, chat: str) -> None:
        """Wait until a message to `chat` keeps within both limits."""
        await self._bucket(chat).acquire()
        if self._overall is not None:
            await self._overall.acquire()

    def back_off(self, chat: str, seconds: float) -> None:
        """A 429 for `chat`: pause it, and everything when there is an overall limit."""
        self._bucket(chat).pause(seconds)
        if self._overall is not None:
            self._overall.pause(seconds)


async def with_retries(
    send: Callable[[], Awaitable[T]],
    retry_after: Callable[[Exception], float | None],
    *,
    pacer: Pacer,
    chat: str,
    attempts: int = 5,
) -> T:
    """Call `send` in the chat's turn; on a 429 wait as told and try again, up to `attempts`.

    `retry_after` reads the delay out of a platform error, or None for errors not worth a retry.
    """
    for attempt in range(1, attempts + 1):
        await pacer.wait_turn(chat)
        try:
            return await send()
        except Exception as error:
            delay = retry_after(error)
            if delay is None or attempt == attempts:
                raise
            log.warning("rate limited in %s; retrying in %.1f s (attempt %d)", chat, delay, attempt)
            pacer.back_off(chat, delay)
    raise AssertionError("unreachable: the loop returns or raises")
