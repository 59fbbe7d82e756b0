"""Telegram's limits as the engine keeps them: one global pace and a gap per chat."""

from __future__ import annotations

import asyncio
import time

from bot.delivery.schedule import GROUP_CHAT_INTERVAL, PRIVATE_CHAT_INTERVAL

__all__ = ["ChatSpacing", "Pace"]


class Pace:
    """The global pace (GCRA): each send takes the next slot; a 429 pauses every slot."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.tolerance = max(0.01, self.interval)  # how far ahead of its slot a send may go
        self._next_slot = 0.0
        self._paused_until = 0.0

    async def wait(self) -> None:
        """Return when the next send may leave."""
        while True:
            now = time.monotonic()
            if self._paused_until > now:
                await asyncio.sleep(self._paused_until - now)
                continue
            slot = max(now, self._next_slot)
            if slot - now > self.tolerance:
                await asyncio.sleep(slot - now - self.tolerance)
                continue
            self._next_slot = slot + self.interval
            return

    def pause(self, seconds: float) -> bool:
        """Hold every send for `seconds`; True if sending was not paused already."""
        now = time.monotonic()
        was_running = self._paused_until <= now
        self._paused_until = max(self._paused_until, now + seconds)
        return was_running


class ChatSpacing:
    """When each chat may get its next message: a second per private chat, ~3 s per group."""

    def __init__(self) -> None:
        self.private_interval = PRIVATE_CHAT_INTERVAL
        self.group_interval = GROUP_CHAT_INTERVAL
        self._free_at: dict[int, float] = {}

    def interval(self, chat_id: int) -> float:
        return self.private_interval if chat_id > 0 else self.group_interval

    def free_at(self, chat_id: int) -> float:
        return self._free_at.get(chat_id, 0.0)

    def book(self, chat_id: int) -> None:
        """A message to `chat_id` leaves now."""
        self._free_at[chat_id] = time.monotonic() + self.interval(chat_id)

    def book_after_answer(self, chat_id: int) -> float:
        """Telegram answered a part: the next one is due an interval from now (Telegram counts
        arrivals, not requests); returns when."""
        due = max(self.free_at(chat_id), time.monotonic() + self.interval(chat_id))
        self._free_at[chat_id] = due
        return due

    def forget_past(self, now: float) -> None:
        """Keep the table small in a long broadcast: chats that are free again need no entry."""
        if len(self._free_at) > 50_000:
            self._free_at = {c: f for c, f in self._free_at.items() if f > now}
