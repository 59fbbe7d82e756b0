"""Telegram's limits as the bot keeps them: an adaptive global pace and a gap per chat.

Telegram counts messages in sliding windows (about 30 a second per bot, 1,000 with paid
broadcasts; a message a second per private chat with a short burst; 20 a minute per group)
and answers 429 beyond them. A 429 costs at least a second of sending, so the pace does not
probe the ceiling: it starts just under it, backs off after a 429 and creeps back up while
Telegram stays quiet (`Pace`). Requests leave evenly but *arrive* with jitter (a busy event
loop, a descheduled process, the network), and Telegram counts arrivals; so each lane also
keeps an arrival guard, which holds whatever the jitter:

* a message arrives between its request and its answer: a send still in flight may arrive
  any time, an answered one arrived at the latest when answered;
* two messages that can share a one-second window with the one about to leave are those in
  flight and those answered less than a second (plus a round-trip floor, below) ago; if
  fewer than `limit` are, no window can hold more than `limit` (take the window's last
  sender: every other message in it was counted when it left);
* the floor: the new message still has its way out to go and an answered one had its way
  back behind it, together no less than the quickest round trip there is, whichever way
  the time splits (on loopback the way out, parsing the request, is the longer). The guard
  takes off half the shortest trip of the last minute (the other half: a margin for that
  trip's own jitter), read when an answer *leaves* the window, not when it came: the first
  answers of a broadcast have often queued behind each other and would pass for distance;
  by the time they leave the window, the quick trips after them have set the floor.

When the round trip is short the guard costs nothing; when it grows, it slows the lane
instead of letting a burst arrive. Replies to people go before mass sends in the same pace.

Not every answer is a message. A 403 (blocked, deactivated, kicked), a 400 (chat not
found, refused content) or a 5xx answer delivered nothing, and the flood limits count
messages: the Bot API server (tdlib/telegram-bot-api) keeps no message count of its own (its
limits are on logins and on ~1,000 requests in flight); a 429 for a message is Telegram's
own servers' FLOOD_WAIT, passed on. A deactivated user or an unknown chat is refused by the
Bot API server from its cache, before anything reaches Telegram; a blocked user is refused
by Telegram without a message. Such a send gives its slot back and leaves no mark in the
guard (`landed(sent_at, delivered=False)`), so 5% blocked recipients do not cost 5% of the
rate. Should Telegram count some refusals after all, the cost is a 429: the lane waits it
out and slows down, and nothing is lost. A send without an answer (timeout, broken
connection) may have arrived, and is counted.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque

from bot.delivery.schedule import GROUP_CHAT_INTERVAL, PRIVATE_CHAT_INTERVAL

__all__ = ["ChatSpacing", "Pace"]

# Share of a lane's limit the pace starts at, the most it creeps up to while clean, the least
# it backs off to. A request may leave up to TOLERANCE s after its slot without losing it
# (a busy event loop wakes late): the catch-up is a burst, which the arrival guard keeps
# within the window's limit, so a stall costs no sending time.
START = 0.98
CEILING = 0.995
FLOOR = 0.5
TOLERANCE = 0.05
BACKOFF = 0.95  # the rate is multiplied by this after a 429
CREEP = 0.005  # … and grows by this share of the limit per clean second
WINDOW = 1.0  # seconds: Telegram's window for the per-second limits
# Seconds over which the shortest round trip (of any request) is taken as transit: long, so
# a burst that queues every request does not pass for distance.
RTT_HORIZON = 60.0


class Pace:
    """One lane of the send budget: GCRA at an adaptive rate, plus the arrival guard.

    `wait(urgent=True)` is a reply to a person: while one waits, mass sends (`urgent=False`)
    give way, so a broadcast takes only the slots replies leave. Every `wait()` that returns
    must be followed by `landed()` once Telegram answered (or the send was dropped:
    `delivered=False`).
    `refused` (a 429) pauses the lane for `retry_after` and lowers the rate; each clean
    second raises it again.
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.ceiling = limit * CEILING
        self.rate = limit * START
        self._cap = max(1, math.floor(limit))  # messages any window may hold
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._changed_at = time.monotonic()
        self._urgent_waiting = 0
        self._no_urgent = asyncio.Event()
        self._no_urgent.set()
        self._in_flight = 0
        # When the last window's delivered sends were answered (their latest arrival).
        self._landed: deque[float] = deque()
        self._rtts: deque[tuple[float, float]] = deque()  # (when, round trip), rising trips
        self._landing = asyncio.Event()
        # One sender at a time waits in the guard, the rest queue behind it (first come,
        # first served): an answer wakes one waiter, not every send whose slot has passed.
        self._guard_turn = asyncio.Lock()

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    @property
    def urgent_waiting(self) -> int:
        return self._urgent_waiting

    async def wait(self, *, urgent: bool = False) -> float:
        """Return when the next send may leave (replies before mass sends); the time it left,
        for `landed()`.

        Each caller books its slot on arrival and sleeps until it (first come, first served,
        one wake-up each, however long the queue); mass sends book only when no reply waits.
        """
        if urgent:
            self._urgent_waiting += 1
            self._no_urgent.clear()
        try:
            while True:
                if not urgent and self._urgent_waiting:
                    await self._no_urgent.wait()
                    continue
                now = time.monotonic()
                if self._paused_until > now:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                slot = max(self._next_slot, now - TOLERANCE)
                self._next_slot = slot + self.interval
                if slot > now:
                    await asyncio.sleep(slot - now)
                    if self._paused_until > time.monotonic():  # a 429 came meanwhile
                        continue
                async with self._guard_turn:
                    await self._guard()
                    self._in_flight += 1
                now = time.monotonic()
                self._creep(now)
                return now
        finally:
            if urgent:
                self._urgent_waiting -= 1
                if not self._urgent_waiting:
                    self._no_urgent.set()

    async def _guard(self) -> None:
        """Wait until fewer than the limit are in flight or were answered within a window
        (less the round-trip floor: see the module docstring)."""
        landed = self._landed
        while True:
            now = time.monotonic()
            horizon = now - WINDOW + self.floor(now)
            while landed and landed[0] <= horizon:
                landed.popleft()
            if self._in_flight + len(landed) < self._cap:
                return
            self._landing.clear()
            wait = landed[0] - horizon if landed else None
            try:
                async with asyncio.timeout(wait):
                    await self._landing.wait()  # a send in flight was answered
            except TimeoutError:
                pass

    def landed(self, sent_at: float, *, delivered: bool = True) -> None:
        """The send `wait()` let go at `sent_at` was answered, or not sent after all.

        `delivered=False`: Telegram's answer says no message went out (or none was sent): the
        slot is given back and the guard forgets it. Otherwise it arrived at the latest now.
        """
        now = time.monotonic()
        self._in_flight = max(0, self._in_flight - 1)
        self.observe(now - sent_at, now)
        if delivered:
            self._landed.append(now)
        else:  # (not into a 429's pause: the sends refused with it would come back as a burst)
            self._next_slot = max(self._next_slot - self.interval, self._paused_until)
        self._landing.set()

    def floor(self, now: float) -> float:
        """`K`: half the shortest round trip of the last minute (0 before any)."""
        rtts = self._rtts
        while rtts and rtts[0][0] < now - RTT_HORIZON:
            rtts.popleft()
        return rtts[0][1] / 2 if rtts else 0.0

    def observe(self, trip: float, now: float | None = None) -> None:
        """A round trip to Telegram took `trip` s (any method: they all travel the same way)."""
        now = time.monotonic() if now is None else now
        rtts = self._rtts
        while rtts and rtts[-1][1] >= trip:
            rtts.pop()
        rtts.append((now, trip))

    def _creep(self, now: float) -> None:
        if self.rate < self.ceiling and now - self._changed_at >= 1.0:
            self.rate = min(self.ceiling, self.rate + CREEP * self.limit)
            self._changed_at = now

    def refused(self, seconds: float) -> bool:
        """Telegram said 429: hold every send for `seconds` and slow down; True if sending was
        not paused already (the first 429 of a burst)."""
        now = time.monotonic()
        was_running = self._paused_until <= now
        if was_running:  # the requests in flight when it came say the same: back off once
            self.rate = max(FLOOR * self.limit, self.rate * BACKOFF)
        self._paused_until = max(self._paused_until, now + seconds)
        self._next_slot = max(self._next_slot, self._paused_until)
        self._changed_at = self._paused_until
        return was_running


class ChatSpacing:
    """When each chat may get its next message: a second per private chat, ~3 s per group.

    One table for replies and mass sends, so a broadcast never lands in a chat a second
    after a reply there. Mass sends wait for `free_at`; replies only book the chat — a person
    in a form expects its answer and buttons at once, Telegram tolerates such short bursts,
    and the rare 429 is waited out and sent again (`bot.delivery.budget`).
    """

    def __init__(self) -> None:
        self.private_interval = PRIVATE_CHAT_INTERVAL
        self.group_interval = GROUP_CHAT_INTERVAL
        self._free_at: dict[int | str, float] = {}

    def interval(self, chat_id: int | str) -> float:
        private = isinstance(chat_id, int) and chat_id > 0
        return self.private_interval if private else self.group_interval

    def free_at(self, chat_id: int | str) -> float:
        return self._free_at.get(chat_id, 0.0)

    def book(self, chat_id: int | str) -> None:
        """A message to `chat_id` leaves now."""
        now = time.monotonic()
        self._free_at[chat_id] = max(self.free_at(chat_id), now) + self.interval(chat_id)

    def hold(self, chat_id: int | str, seconds: float) -> None:
        """Telegram refused a message to `chat_id`: nothing more goes there for `seconds`."""
        due = time.monotonic() + seconds
        self._free_at[chat_id] = max(self.free_at(chat_id), due)

    def book_after_answer(self, chat_id: int | str) -> float:
        """Telegram answered a part: the next one is due an interval from now (Telegram counts
        arrivals, not requests); returns when."""
        due = max(self.free_at(chat_id), time.monotonic() + self.interval(chat_id))
        self._free_at[chat_id] = due
        return due

    def forget_past(self, now: float) -> None:
        """Keep the table small in a long broadcast: chats that are free again need no entry."""
        if len(self._free_at) > 50_000:
            self._free_at = {c: f for c, f in self._free_at.items() if f > now}
