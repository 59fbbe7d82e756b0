"""The schedule steps of `/pengingat`: once-or-repeating, then the day, weekday, day of the
month or n-th weekday, then the time — typed the way people write it ("25/12/2026 08.00",
"besok jam 8", "jam 4 sore") or picked from buttons, always in forum time.

A one-time moment that has already passed is refused with the time it is now, here and again
when the preview is saved (the moment may pass while the writer reads it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.auth import Identity
from bot.callbacks import ReminderFormButton
from bot.context import BotContext
from bot.i18n import t
from bot.moments import (
    Problem,
    format_clock,
    format_day,
    format_moment,
    parse_moment,
    parse_time,
    to_utc,
    weekday_name,
    zone_abbreviation,
)
from bot.reminders.draft import FORM, ReminderDraft, Step, ask, now, pressed, state, today
from bot.ui import Button, keyboard, show
from storage.recurrence import LAST_WEEK, Frequency

__all__ = ["ask_date_again", "question", "states"]

TIME_CHOICES = ("0600", "0700", "0800", "0900", "1000", "1300", "1500", "1600", "1900")
DAY_CHOICES = 7  # today and the six days after it
WEEKS = ("1", "2", "3", "4", "last")
FIRST_STEP = {
    Frequency.ONCE: Step.DATE,
    Frequency.DAILY: Step.TIME,
    Frequency.WEEKLY: Step.WEEKDAY,
    Frequency.MONTHLY: Step.MONTH_DAY,
    Frequency.MONTHLY_NTH: Step.WEEK,
}
KIND_ROWS = (
    (Frequency.ONCE,),
    (Frequency.DAILY, Frequency.WEEKLY),
    (Frequency.MONTHLY,),
    (Frequency.MONTHLY_NTH,),
)


def _rows(buttons: list[Button], per_row: int) -> list[list[Button]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def _button(action: str, **fields: Any) -> str:
    return ReminderFormButton(action, **fields).pack()


def question(context: BotContext, state: Step) -> tuple[str, InlineKeyboardMarkup]:
    """The question of a schedule step and its buttons."""
    lang = context.lang
    zone = zone_abbreviation(context.settings.timezone)
    if state is Step.KIND:
        rows = [
            [(t(f"reminders.kind.{k}", lang), _button("k", kind=k)) for k in r] for r in KIND_ROWS
        ]
        return t("reminders.ask_kind", lang), keyboard(rows)
    if state is Step.DATE:
        first = today(context)
        labels = [t("reminders.today", lang), t("reminders.tomorrow", lang)]
        days = [first + timedelta(days=n) for n in range(DAY_CHOICES)]
        buttons = [
            (
                labels[n] if n < len(labels) else format_day(day, lang, short=True),
                _button("d", day=day.strftime("%Y%m%d")),
            )
            for n, day in enumerate(days)
        ]
        return t("reminders.ask_date", lang, zone=zone), keyboard(_rows(buttons, 2))
    if state is Step.TIME:
        buttons = [
            (format_clock(time(int(c[:2]), int(c[2:])), lang), _button("t", clock=c))
            for c in TIME_CHOICES
        ]
        return t("reminders.ask_time", lang, zone=zone), keyboard(_rows(buttons, 3))
    if state is Step.WEEKDAY:
        buttons = [(weekday_name(n, lang), _button("w", weekday=n)) for n in range(7)]
        return t("reminders.ask_weekday", lang), keyboard(_rows(buttons, 4))
    if state is Step.MONTH_DAY:
        buttons = [(str(n), _button("m", month_day=n)) for n in range(1, 32)]
        return t("reminders.ask_month_day", lang), keyboard(_rows(buttons, 7))
    assert state is Step.WEEK, state
    buttons = [(t(f"reminders.nth.{n}", lang), _button("n", week=n)) for n in WEEKS]
    return t("reminders.ask_week", lang), keyboard([buttons[:2], buttons[2:4], buttons[4:]])


def _day(raw: str) -> date | None:
    """The day a date button carries (`YYYYMMDD`); None when it carries none."""
    try:
        return datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        return None


def _clock(raw: str) -> time | None:
    """The time a time button carries (`HHMM`); None when it carries none."""
    at = parse_time(raw) if len(raw) == 4 and raw.isascii() and raw.isdigit() else None
    return None if isinstance(at, Problem) else at


async def _chosen(
    update: Update,
    context: BotContext,
    draft: ReminderDraft,
    step: Step,
    valid: Callable[[ReminderFormButton], bool],
) -> ReminderFormButton | int:
    """The pressed button of `step`, answered; or, for a forged button or one that is not (or
    no longer) one of this step's, the state to stay in — after a toast and the question again."""
    button = await pressed(update, context)
    if button is None:
        return await ask(update, context, draft, step)
    assert update.callback_query is not None
    if not valid(button):
        await update.callback_query.answer(t("common.stale_button", context.lang))
        return await ask(update, context, draft, step)
    await update.callback_query.answer()
    return button


# ---------------------------------------------------------------- kind


@FORM.step
async def on_kind(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    button = await _chosen(update, context, draft, Step.KIND, lambda b: b.kind in set(Frequency))
    if isinstance(button, int):
        return button
    kind = Frequency(button.kind)
    draft.clear_schedule()
    draft.kind = kind
    chosen = t(f"reminders.kind.{kind}", context.lang)
    await show(update, t("reminders.kind_chosen", context.lang, kind=chosen))
    return await ask(update, context, draft, FIRST_STEP[kind])


# ---------------------------------------------------------------- the moment


async def _after_moment(update: Update, context: BotContext, draft: ReminderDraft) -> int:
    """The time is set: a one-time moment must still be ahead; then the preview."""
    rule = draft.rule()
    assert rule is not None
    if rule.frequency is Frequency.ONCE:
        assert rule.on is not None
        if to_utc(rule.on, rule.at, context.settings.timezone) <= now(context):
            return await ask_date_again(update, context, draft)
    return await ask(update, context, draft, Step.PREVIEW)


async def ask_date_again(update: Update, context: BotContext, draft: ReminderDraft) -> int:
    """A one-time moment that has passed: say so (with the time now) and ask for the date."""
    draft.day = draft.time = None
    moment = format_moment(now(context), context.settings.timezone, context.lang)
    note = t("reminders.in_the_past", context.lang, now=moment)
    return await ask(update, context, draft, Step.DATE, note)


@FORM.step
async def on_date_text(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    assert update.message is not None
    lang, first = context.lang, today(context)
    typed = parse_moment(update.message.text or "", first, context.settings.timezone)
    if typed.problem is not None:
        note = t(f"reminders.problem.{typed.problem.value}", lang)
        return await ask(update, context, draft, Step.DATE, note)
    day = typed.day or first  # a time alone means today
    if day < first:
        return await ask_date_again(update, context, draft)
    draft.day = day.isoformat()
    if typed.at is None:
        await show(update, t("reminders.day_chosen", lang, day=format_day(day, lang)), edit=False)
        return await ask(update, context, draft, Step.TIME)
    draft.time = typed.at.isoformat(timespec="minutes")
    return await _after_moment(update, context, draft)


@FORM.step
async def on_date_button(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    first = today(context)
    button = await _chosen(
        update, context, draft, Step.DATE, lambda b: (_day(b.day) or date.min) >= first
    )
    if isinstance(button, int):
        return button
    day = _day(button.day)
    assert day is not None
    draft.day = day.isoformat()
    await show(update, t("reminders.day_chosen", context.lang, day=format_day(day, context.lang)))
    return await ask(update, context, draft, Step.TIME)


@FORM.step
async def on_time_text(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    assert update.message is not None
    at = parse_time(update.message.text or "", context.settings.timezone)
    if isinstance(at, Problem):
        problem = "no_such_time" if at is Problem.NO_SUCH_TIME else "time"
        note = t(f"reminders.problem.{problem}", context.lang)
        return await ask(update, context, draft, Step.TIME, note)
    draft.time = at.isoformat(timespec="minutes")
    return await _after_moment(update, context, draft)


@FORM.step
async def on_time_button(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    button = await _chosen(update, context, draft, Step.TIME, lambda b: _clock(b.clock) is not None)
    if isinstance(button, int):
        return button
    at = _clock(button.clock)
    assert at is not None
    await show(
        update, t("reminders.time_chosen", context.lang, time=format_clock(at, context.lang))
    )
    draft.time = at.isoformat(timespec="minutes")
    return await _after_moment(update, context, draft)


# ---------------------------------------------------------------- weekday, day of month, week


@FORM.step
async def on_weekday(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    button = await _chosen(update, context, draft, Step.WEEKDAY, lambda b: 0 <= b.weekday <= 6)
    if isinstance(button, int):
        return button
    draft.weekday = button.weekday
    name = weekday_name(button.weekday, context.lang)
    await show(update, t("reminders.weekday_chosen", context.lang, weekday=name))
    return await ask(update, context, draft, Step.TIME)


async def _month_day_chosen(
    update: Update, context: BotContext, draft: ReminderDraft, day: int
) -> int:
    draft.month_day = day
    note_key = "reminders.month_day_chosen_end" if day >= 29 else "reminders.month_day_chosen"
    await show(update, t(note_key, context.lang, day=day), edit=update.callback_query is not None)
    return await ask(update, context, draft, Step.TIME)


@FORM.step
async def on_month_day_button(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    button = await _chosen(update, context, draft, Step.MONTH_DAY, lambda b: 1 <= b.month_day <= 31)
    if isinstance(button, int):
        return button
    return await _month_day_chosen(update, context, draft, button.month_day)


@FORM.step
async def on_month_day_text(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    assert update.message is not None
    raw = (update.message.text or "").strip().lower()
    raw = raw.removeprefix("tanggal").removeprefix("tgl").strip()
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 31:
        note = t("reminders.problem.month_day", context.lang)
        return await ask(update, context, draft, Step.MONTH_DAY, note)
    return await _month_day_chosen(update, context, draft, int(raw))


@FORM.step
async def on_week(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    button = await _chosen(update, context, draft, Step.WEEK, lambda b: b.week in WEEKS)
    if isinstance(button, int):
        return button
    draft.week = LAST_WEEK if button.week == "last" else int(button.week)
    nth = t(f"reminders.nth.{button.week}", context.lang)
    await show(update, t("reminders.week_chosen", context.lang, nth=nth))
    return await ask(update, context, draft, Step.WEEKDAY)


# ---------------------------------------------------------------- the states


def states() -> dict[int, list[BaseHandler[Update, BotContext, Any]]]:
    """The schedule steps' handlers, each with its polite re-prompt for anything else."""
    text = filters.TEXT & ~filters.COMMAND
    button = ReminderFormButton.pattern

    use_buttons = "form.use_buttons"
    return {
        Step.KIND: state(Step.KIND, use_buttons, CallbackQueryHandler(on_kind, button("k"))),
        Step.DATE: state(
            Step.DATE,
            "reminders.need_date",
            CallbackQueryHandler(on_date_button, button("d")),
            MessageHandler(text, on_date_text),
        ),
        Step.TIME: state(
            Step.TIME,
            "reminders.problem.time",
            CallbackQueryHandler(on_time_button, button("t")),
            MessageHandler(text, on_time_text),
        ),
        Step.WEEKDAY: state(
            Step.WEEKDAY, use_buttons, CallbackQueryHandler(on_weekday, button("w"))
        ),
        Step.MONTH_DAY: state(
            Step.MONTH_DAY,
            "reminders.problem.month_day",
            CallbackQueryHandler(on_month_day_button, button("m")),
            MessageHandler(text, on_month_day_text),
        ),
        Step.WEEK: state(Step.WEEK, use_buttons, CallbackQueryHandler(on_week, button("n"))),
    }
