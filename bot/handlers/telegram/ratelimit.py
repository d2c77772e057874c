"""Telegram's flood limits, kept on our side: about one message a second per chat (short bursts are
tolerated) and 30 a second overall. Token buckets; a sender waits for both before each sendMessage.

Per process: several `counselbot serve` processes each keep their own buckets, so a deployment with N
processes can reach N x 30/s overall; Telegram's 429 with retry_after (honoured by the delivery worker)
is the backstop for that case.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable


class Bucket:
    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self.tokens = burst
        self.stamp = clock()

    def take(self) -> float:
        """Take one token; the seconds to wait before using it (0 when one was there)."""
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def idle(self) -> bool:
        return self.tokens + (self._clock() - self.stamp) * self.rate >= self.burst


class FloodLimiter:
    def __init__(
        self,
        per_chat_rate: float = 1.0,
        per_chat_burst: float = 3.0,
        global_rate: float = 30.0,
        global_burst: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        max_chats: int = 10_000,
    ) -> None:
        self._clock = clock
        self._per_chat = (per_chat_rate, per_chat_burst)
        self._global = Bucket(global_rate, global_burst, clock)
        self._chats: OrderedDict[str, Bucket] = OrderedDict()
        self._max_chats = max_chats

    def reserve(self, chat_id: str) -> float:
        """Book the next send to `chat_id`; the seconds to wait before making it.

        Booking (rather than waiting and then checking) keeps concurrent senders fair: each takes its
        slot at once and sleeps until it comes.
        """
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = Bucket(*self._per_chat, self._clock)
            self._chats[chat_id] = bucket
        self._chats.move_to_end(chat_id)
        self._evict()
        return max(bucket.take(), self._global.take())

    async def wait(self, chat_id: str) -> None:
        delay = self.reserve(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)

    def _evict(self) -> None:
        # Idle chats' buckets are full again, so forgetting them changes nothing.
        while len(self._chats) > self._max_chats:
            oldest = next(iter(self._chats))
            if not self._chats[oldest].idle():
                break
            del self._chats[oldest]
