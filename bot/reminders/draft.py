"""The `/pengingat` form's draft, steps and `Form`, shared by its text/audience/preview steps
(`bot.reminders.form`) and its schedule steps (`bot.reminders.schedule`)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.callbacks import ReminderFormButton, unpack_or_refuse
from bot.context import BotContext
from bot.forms import Draft, Form
from bot.moments import to_local
from storage.recurrence import Frequency, Rule

__all__ = ["FORM", "ReminderDraft", "Step", "ask", "now", "pressed", "state", "today"]


class Step(IntEnum):
    """The form's states; the numbers are persisted, so they never change meaning."""

    TEXT = 1
    SCOPE = 2
    AUDIENCE = 3
    KIND = 4
    DATE = 5
    TIME = 6
    WEEKDAY = 7
    MONTH_DAY = 8
    WEEK = 9
    PREVIEW = 10


@dataclasses.dataclass
class ReminderDraft(Draft):
    """A reminder being written: its text, its audience, and the schedule so far.

    The schedule is kept as entered (ISO day, "HH:MM"), so `rule()` is the one place that
    decides whether the chosen kind has everything it needs.
    """

    text: str = ""
    audience: str | None = None  # a region code inside the writer's scope
    picker: dict[str, Any] | None = None  # the open region picker
    kind: str | None = None  # a `Frequency` value
    day: str | None = None  # once: the ISO date
    time: str | None = None  # "HH:MM", forum time
    weekday: int | None = None  # weekly, nth: 0 = Monday
    month_day: int | None = None  # monthly: 1…31
    week: int | None = None  # nth: 1…4 or LAST_WEEK

    def rule(self) -> Rule | None:
        """The draft's rule, once it has everything the chosen kind needs."""
        if not self.time:
            return None
        at = time.fromisoformat(self.time)
        if self.kind == Frequency.ONCE and self.day:
            return Rule.once(date.fromisoformat(self.day), at)
        if self.kind == Frequency.DAILY:
            return Rule.daily(at)
        if self.kind == Frequency.WEEKLY and self.weekday is not None:
            return Rule.weekly(self.weekday, at)
        if self.kind == Frequency.MONTHLY and self.month_day:
            return Rule.monthly(self.month_day, at)
        if self.kind == Frequency.MONTHLY_NTH and self.week and self.weekday is not None:
            return Rule.monthly_nth(self.week, self.weekday, at)
        return None

    def clear_schedule(self) -> None:
        self.kind = self.day = self.time = None
        self.weekday = self.month_day = self.week = None


# Messages: reminders.expired, reminders.cancelled, reminders.not_allowed.
FORM = Form("reminder", ReminderDraft, keys="reminders", requires="privileged")


async def ask(
    update: Update, context: BotContext, draft: ReminderDraft, state: Step, note: str = ""
) -> int:
    """Ask for `state` (again), `note` first: the form's question asker (`bot.reminders.form`)."""
    assert FORM.ask is not None, "bot.reminders.form registers the form's questions"
    return await FORM.ask(update, context, draft, state, note)


def now(context: BotContext) -> datetime:
    """The scheduler's clock (naive UTC), so "in the past" means the same to both."""
    return context.app.reminders.now()


def today(context: BotContext) -> date:
    """Today in forum time."""
    return to_local(now(context), context.settings.timezone).date()


async def pressed(update: Update, context: BotContext) -> ReminderFormButton | None:
    """The pressed button of this form; None (refused politely) when no keyboard of ours sent it."""
    return await unpack_or_refuse(ReminderFormButton, update, context.lang)


def state(
    step: Step, note: str, *handlers: BaseHandler[Update, BotContext, Any]
) -> list[BaseHandler[Update, BotContext, Any]]:
    """A state's handlers, then its polite re-prompt (`note`) for any other message and for
    this form's stale or forged buttons; other features' buttons pass by."""
    again = FORM.reprompt(step, note)
    return [
        *handlers,
        MessageHandler(~filters.COMMAND, again),
        CallbackQueryHandler(again, ReminderFormButton.pattern()),
    ]
