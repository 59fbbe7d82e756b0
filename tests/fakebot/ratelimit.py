"""Telegram-like flood control for message-sending methods.

Telegram's documented soft limits are ~30 messages/s overall, ~1 message/s per private chat
(with short bursts tolerated) and 20 messages/minute per group; paid broadcasts
(``allow_paid_broadcast``) get up to 1000/s.  Exceeding them yields 429 with
``retry_after``.  Broadcast code must back off and retry *without* duplicating or losing
messages, so the fake enforces the limits with sliding windows and rejected requests are
never delivered.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter", "RateLimits", "SlidingWindow"]


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Limits to enforce; pass to ``FakeTelegramServer(rate_limits=...)`` (``None`` = off).

    ``per_chat_burst`` is how many *extra* messages a private chat tolerates inside the
    one-second window on top of ``per_chat_per_second`` (Telegram lets a bot answer with a
    couple of messages at once before it starts returning 429).
    """

    global_per_second: int = 30
    per_chat_per_second: int = 1
    per_chat_burst: int = 2
    per_group_per_minute: int = 20
    paid_per_second: int = 1000


class SlidingWindow:
    """At most ``limit`` events in any ``period``-second window."""

    __slots__ = ("events", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.events: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more event fits (0 when it fits now)."""
        events = self.events
        horizon = now - self.period
        while events and events[0] <= horizon:
            events.popleft()
        if len(events) < self.limit:
            return 0.0
        return events[len(events) - self.limit] + self.period - now

    def add(self, now: float) -> None:
        """Record an accepted event."""
        self.events.append(now)


class RateLimiter:
    """Applies :class:`RateLimits`; one instance per server."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._global = SlidingWindow(limits.global_per_second, 1.0)
        self._paid = SlidingWindow(limits.paid_per_second, 1.0)
        self._chats: dict[int, SlidingWindow] = {}

    def _chat_window(self, chat_id: int, private: bool) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            if private:
                limit = self.limits.per_chat_per_second + self.limits.per_chat_burst
                window = SlidingWindow(max(limit, 1), 1.0)
            else:
                window = SlidingWindow(self.limits.per_group_per_minute, 60.0)
            self._chats[chat_id] = window
        return window

    def acquire(self, chat_id: int, private: bool, paid: bool = False) -> int | None:
        """Record one message if allowed; else return Telegram's ``retry_after`` (int ≥ 1).

        A rejected message consumes nothing, like on Telegram, so a well-behaved client that
        sleeps ``retry_after`` will get through.
        """
        now = self.clock()
        overall = self._paid if paid else self._global
        chat = self._chat_window(chat_id, private)
        wait = max(overall.wait_time(now), chat.wait_time(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        overall.add(now)
        chat.add(now)
        return None
