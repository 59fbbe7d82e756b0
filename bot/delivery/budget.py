"""One send budget per bot: replies to people and mass sends draw from the same pace.

Telegram limits a bot, not a code path: a broadcast at 25/s and 25 new users pressing /start
in the same second share the same ~30 messages a second. Before, interactive replies went
out unpaced beside the delivery engine's own pace, and the replies that met a 429 became an
apology. Now:

* `SendBudget` holds the lanes. `free` is Telegram's ordinary limit (30/s × `SEND_SHARE`):
  every reply and every unpaid mass send takes a slot there, replies first. `mass` caps mass
  sends at `BROADCAST_RATE` (up to 1,000/s with `PAID_BROADCAST`; paid messages count against
  Telegram's paid allowance, not the 30/s, so they skip `free`). `spacing` is the per-chat table
  both use (a second per private chat, 20 a minute per group).
* `BudgetLimiter` is the PTB rate limiter of the application's bot: message-sending methods
  wait for a `free` slot (not for their chat: see `reply_slot`); a 429 waits `retry_after`
  and sends again (a few times), so a reply is late rather than lost. Other methods (answerCallbackQuery, edits,
  getFile, …) are not messages in Telegram's flood limits and go straight through.
* The delivery engine (`bot.delivery.engine`) takes `mass_slot()` per message, so it yields
  whenever a reply is waiting.

Several workers (webhook mode on PostgreSQL, `bot.cluster`): each process has its own budget
and Telegram's limit is the bot's, so each worker's `free` lane gets `SEND_SHARE` of it — set
it to 1/N for N workers (the simplest scheme that cannot exceed the limit: no coordination,
no counting of live workers). Mass sends leave only from the leader and within its share.
A worker that still meets a 429 (a share set too high) waits it out and slows its pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.config import Settings
from bot.delivery.pacing import ChatSpacing, Pace
from bot.delivery.schedule import effective_rate
from bot.ui import retry_after_seconds

__all__ = ["MESSAGE_METHODS", "BudgetLimiter", "SendBudget"]

log = logging.getLogger(__name__)

#: Bot API methods that put a message in a chat: what Telegram's flood limits count.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVideo",
        "sendAnimation",
        "sendAudio",
        "sendVoice",
        "sendVideoNote",
        "sendSticker",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendInvoice",
        "sendPaidMedia",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)


class SendBudget:
    """The bot's message budget in this process; see the module docstring."""

    def __init__(self, *, free_rate: float, mass_rate: float, paid: bool) -> None:
        self.free = Pace(free_rate)
        self.mass = Pace(mass_rate)
        self.paid = paid
        self.spacing = ChatSpacing()
        self.reply_retries = 0  # 429s met by replies (and waited out), for tests and benchmarks

    @classmethod
    def for_settings(cls, settings: Settings) -> SendBudget:
        free = FloodLimit.MESSAGES_PER_SECOND * settings.send_share
        mass = effective_rate(settings)
        if not settings.paid_broadcast:
            mass = min(mass, free)
        else:
            mass *= settings.send_share
        return cls(free_rate=free, mass_rate=mass, paid=settings.paid_broadcast)

    async def reply_slot(self, chat_id: int | str | None) -> float:
        """Wait for a `free` slot for a reply to `chat_id`, and book the chat so that no mass
        send follows a second later. The chat's own spacing is not waited for: a form's
        answer and its buttons go at once, and a 429 there is waited out by the caller."""
        if chat_id is not None:
            self.spacing.book(chat_id)
        return await self.free.wait(urgent=True)

    async def mass_slot(self) -> float:
        """Wait for a mass send's slot: the mass pace, then (unpaid) a `free` slot no reply
        wants. Returns when it left; follow it with `mass_landed(that)`."""
        sent_at = await self.mass.wait()
        if not self.paid:
            try:
                sent_at = await self.free.wait()
            except BaseException:
                self.mass.landed(sent_at, delivered=False)
                raise
        return sent_at

    def mass_landed(self, sent_at: float, *, delivered: bool = True) -> None:
        """The mass send that left at `sent_at` was answered; `delivered=False`: the answer says
        no message went out, or it was not sent after all (see `Pace.landed`)."""
        self.mass.landed(sent_at, delivered=delivered)
        if not self.paid:
            self.free.landed(sent_at, delivered=delivered)

    def mass_refused(self, seconds: float) -> bool:
        """A mass send met a 429: pause and slow mass sending (and the ordinary lane it came
        from); True for the first 429 of a burst."""
        first = self.mass.refused(seconds)
        if not self.paid:
            self.free.refused(seconds)
        return first

    def reply_refused(self, chat_id: int | str | None, seconds: float) -> None:
        """A reply met a 429: nothing more to that chat for `seconds`, and the ordinary lane
        slows down (a 429 does not say whether the chat's or the bot's limit was hit)."""
        self.reply_retries += 1
        if chat_id is not None:
            self.spacing.hold(chat_id, seconds)
        self.free.refused(seconds)


class BudgetLimiter(BaseRateLimiter[int]):
    """The application bot's rate limiter: replies from the shared `SendBudget`.

    `rate_limit_args` (an int) overrides how many times a 429 is waited out (default 3).
    """

    def __init__(self, budget: SendBudget, max_retries: int = 3) -> None:
        self.budget = budget
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up: the budget lives as long as the application."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint not in MESSAGE_METHODS:  # not a message: not counted, but a round trip
            started = time.monotonic()
            result = await callback(*args, **kwargs)
            self.budget.free.observe(time.monotonic() - started)
            return result
        chat_id = _chat_key(data.get("chat_id"))
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        while True:
            sent_at = await self.budget.reply_slot(chat_id)
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.budget.free.landed(sent_at, delivered=False)
                if attempt >= retries:
                    raise
                attempt += 1
                seconds = retry_after_seconds(exc)
                self.budget.reply_refused(chat_id, seconds)
                log.warning("%s met a 429; sending again in %ss", endpoint, seconds)
                await asyncio.sleep(seconds)
            except (Forbidden, BadRequest, ChatMigrated):  # refused: no message went out
                self.budget.free.landed(sent_at, delivered=False)
                raise
            except BaseException:
                self.budget.free.landed(sent_at)
                raise
            else:
                self.budget.free.landed(sent_at)
                return result


def _chat_key(value: object) -> int | str | None:
    """The chat a request goes to: an int id, or a channel's @username."""
    if value is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(value)  # type: ignore[call-overload]
    return str(value)
