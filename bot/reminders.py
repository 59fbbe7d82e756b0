"""`/pengingat`: coordinators' and officials' scheduled reminders — write, list, pause, delete.

The form asks for the text, the audience (a region inside the writer's scope, with the shared
region picker), then once-or-repeating and the moment — typed the way people write it
("25/12/2026 08.00", "besok jam 8") or picked from buttons — and shows the next five times
in forum time before anything is saved. The form lives in a `draft` row and a persistent
conversation, so a restart mid-form resumes where it was. Every management button re-checks
on the server that the reminder's audience lies inside the presser's scope, and is audited.

Sending is not done here: `bot.reminder_scheduler` fires what this module stores.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from enum import IntEnum
from itertools import islice
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.auth import Identity, identify
from bot.context import BotContext
from bot.delivery import quiet_until
from bot.forms import region_picker
from bot.forms.legacy import DictDraft as Draft
from bot.forms.legacy import DraftStore
from bot.forms.region_picker import PickerState, StaleButton
from bot.i18n import t
from bot.moments import Problem, parse_moment, parse_time
from bot.reminder_texts import (
    clock,
    describe_rule,
    format_day,
    format_moment,
    title,
    weekday_name,
    zone_name,
)
from bot.ui import Button, keyboard, show
from storage import outbox, people, reminders
from storage.recurrence import LAST_WEEK, Frequency, Rule, local_to_utc, occurrences, utc_to_local
from storage.regions import children, region_path_name
from storage.reminders import MAX_TEXT, PauseReason, ReminderInfo, ReminderStatus, ResumeResult

__all__ = ["Step", "conversation", "handlers"]

DRAFT = "reminder"
END = ConversationHandler.END
PREVIEW_COUNT = 5
LIST_LIMIT = 30
TIME_CHOICES = ("06:00", "07:00", "08:00", "09:00", "10:00", "13:00", "15:00", "16:00", "19:00")
DAY_CHOICES = 7  # today and the six days after it


class Step(IntEnum):
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


StepHandler = Callable[[Update, BotContext, Draft], Awaitable[int]]


# ---------------------------------------------------------------- small helpers


def _now(context: BotContext) -> datetime:
    """The scheduler's clock (naive UTC), so "in the past" means the same to both."""
    return context.app.reminders.now()


def _today(context: BotContext) -> date:
    return utc_to_local(_now(context), context.settings.timezone).date()


def _identity(update: Update, context: BotContext) -> Identity:
    assert update.effective_user is not None
    return identify(context.db, context.settings, update.effective_user.id)


async def _answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=alert)


async def _refuse(update: Update, context: BotContext) -> None:
    if update.callback_query:
        await _answer(update, t("reminders.not_allowed", context.lang), alert=True)
        return
    await show(update, t("reminders.not_allowed", context.lang), edit=False)


def _rule_of(draft: Draft) -> Rule | None:
    """The draft's rule, once it has everything the chosen kind needs."""
    at = draft.get("time")
    if not at:
        return None
    moment = time.fromisoformat(at)
    kind = draft.get("kind")
    if kind == Frequency.ONCE and draft.get("day"):
        return Rule.once(date.fromisoformat(draft["day"]), moment)
    if kind == Frequency.DAILY:
        return Rule.daily(moment)
    if kind == Frequency.WEEKLY and draft.get("weekday") is not None:
        return Rule.weekly(draft["weekday"], moment)
    if kind == Frequency.MONTHLY and draft.get("month_day"):
        return Rule.monthly(draft["month_day"], moment)
    if kind == Frequency.MONTHLY_NTH and draft.get("week") and draft.get("weekday") is not None:
        return Rule.monthly_nth(draft["week"], draft["weekday"], moment)
    return None


def _place(context: BotContext, session: Session, code: str) -> str:
    """A region as people say it, without the forum area itself ("Kel. Api-Api, Kec. …")."""
    return region_path_name(session, code, below=context.settings.forum_area)


# ---------------------------------------------------------------- draft plumbing


def _load(context: BotContext, user_id: int) -> Draft | None:
    """The user's form, or None if there is none or it sat idle too long."""
    loaded = _drafts.load(context, user_id)
    return loaded[0] if loaded is not None and not loaded[1] else None


_drafts = DraftStore(DRAFT)
_save = _drafts.save
_drop = _drafts.drop


def step(fn: StepHandler) -> Callable[[Update, BotContext], Awaitable[int]]:
    """Load the form, end it if it expired or its writer lost the right, save after the step."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: BotContext) -> int:
        user = update.effective_user
        assert user is not None
        draft = _load(context, user.id)
        if draft is None:
            await _answer(update)
            _drop(context, user.id)
            await show(update, t("reminders.expired", context.lang), edit=False)
            return END
        if not _identity(update, context).is_privileged:
            _drop(context, user.id)
            await _refuse(update, context)
            return END
        state = await fn(update, context, draft)
        if state != END:
            draft["step"] = int(state)
            _save(context, user.id, draft)
        return state

    return wrapper


# ---------------------------------------------------------------- prompts


def _rows(buttons: list[Button], per_row: int) -> list[list[Button]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


async def prompt(
    update: Update,
    context: BotContext,
    draft: Draft,
    state: Step,
    note: str = "",
    *,
    edit: bool = False,
) -> int:
    """Ask for `state` (again); `note` first says why we ask again."""
    lang = context.lang
    head = f"{note}\n\n" if note else ""
    markup = None
    if state is Step.TEXT:
        text = t("reminders.ask_text", lang)
    elif state is Step.SCOPE:
        identity = _identity(update, context)
        with context.db.session() as session:
            names = [_place(context, session, scope) for scope in identity.scopes]
        text = t("reminders.ask_scope", lang)
        markup = keyboard([[(name, f"rmf:s:{i}")] for i, name in enumerate(names)])
    elif state is Step.AUDIENCE:
        return await _show_picker(update, context, draft, note=note, edit=edit)
    elif state is Step.KIND:
        text = t("reminders.ask_kind", lang)
        markup = keyboard(
            [
                [(t("reminders.kind.once", lang), "rmf:k:once")],
                [
                    (t("reminders.kind.daily", lang), "rmf:k:daily"),
                    (t("reminders.kind.weekly", lang), "rmf:k:weekly"),
                ],
                [(t("reminders.kind.monthly", lang), "rmf:k:monthly")],
                [(t("reminders.kind.nth", lang), "rmf:k:nth")],
            ]
        )
    elif state is Step.DATE:
        today = _today(context)
        days = [today + timedelta(days=n) for n in range(DAY_CHOICES)]
        labels = [t("reminders.today", lang), t("reminders.tomorrow", lang)]
        buttons = [
            (labels[n] if n < len(labels) else format_day(day, lang), f"rmf:d:{day:%Y%m%d}")
            for n, day in enumerate(days)
        ]
        text = t("reminders.ask_date", lang, zone=zone_name(context.settings.timezone))
        markup = keyboard(_rows(buttons, 2))
    elif state is Step.TIME:
        text = t("reminders.ask_time", lang, zone=zone_name(context.settings.timezone))
        buttons = [
            (clock(time.fromisoformat(c), lang), f"rmf:t:{c.replace(':', '')}")
            for c in TIME_CHOICES
        ]
        markup = keyboard(_rows(buttons, 3))
    elif state is Step.WEEKDAY:
        text = t("reminders.ask_weekday", lang)
        buttons = [(weekday_name(n, lang), f"rmf:w:{n}") for n in range(7)]
        markup = keyboard(_rows(buttons, 4))
    elif state is Step.MONTH_DAY:
        text = t("reminders.ask_month_day", lang)
        markup = keyboard(_rows([(str(n), f"rmf:m:{n}") for n in range(1, 32)], 7))
    elif state is Step.WEEK:
        text = t("reminders.ask_week", lang)
        markup = keyboard(
            [
                [(t(f"reminders.nth.{n}", lang), f"rmf:n:{n}") for n in ("1", "2")],
                [(t(f"reminders.nth.{n}", lang), f"rmf:n:{n}") for n in ("3", "4")],
                [(t("reminders.nth.last", lang), "rmf:n:last")],
            ]
        )
    else:
        return await _show_preview(update, context, draft, note=note, edit=edit)
    await show(update, head + text, markup, edit=edit)
    return state


async def _show_picker(
    update: Update, context: BotContext, draft: Draft, *, note: str = "", edit: bool = True
) -> int:
    state = PickerState.from_dict(draft["picker"])
    with context.db.session() as session:
        text, markup, _ = region_picker.render(
            session,
            state,
            prefix="rmf",
            lang=context.lang,
            title=t("reminders.ask_audience", context.lang),
            allow_pick_node=True,
            back_exits=False,
        )
    await show(update, f"{note}\n\n{text}" if note else text, markup, edit=edit)  # type: ignore[arg-type]
    return Step.AUDIENCE


def _preview_text(context: BotContext, draft: Draft, rule: Rule) -> str:
    lang, tz = context.lang, context.settings.timezone
    upcoming = list(islice(occurrences(rule, _now(context), tz), PREVIEW_COUNT))
    with context.db.session() as session:
        audience = _place(context, session, draft["audience"])
        reach = outbox.audience_counts(session, [draft["audience"]]).eligible
    lines = [
        t("reminders.preview_title", lang),
        "",
        draft["text"],
        "",
        t("reminders.preview_audience", lang, audience=audience, count=reach),
        t("reminders.preview_rule", lang, rule=describe_rule(rule, tz, lang)),
        "",
        t("reminders.preview_next" if rule.repeats else "reminders.preview_once", lang),
    ]
    lines += [f"• {format_moment(moment, tz, lang)}" for moment in upcoming]
    held_until = quiet_until(context.settings, upcoming[0]) if upcoming else None
    if held_until is not None:  # the delivery engine will hold it: say so now
        until = clock(utc_to_local(held_until, tz).time(), lang)
        lines += ["", t("reminders.quiet_hours", lang, until=until)]
    return "\n".join(lines)


async def _show_preview(
    update: Update, context: BotContext, draft: Draft, *, note: str = "", edit: bool = False
) -> int:
    rule = _rule_of(draft)
    assert rule is not None
    lang = context.lang
    text = _preview_text(context, draft, rule)
    markup = keyboard(
        [
            [(t("reminders.save", lang), "rmf:ok")],
            [
                (t("reminders.change_schedule", lang), "rmf:re"),
                (t("reminders.cancel", lang), "rmf:no"),
            ],
        ]
    )
    await show(update, f"{note}\n\n{text}" if note else text, markup, edit=edit)
    return Step.PREVIEW


# ---------------------------------------------------------------- entry and the text


async def new_form(update: Update, context: BotContext) -> int:
    """ "➕ New reminder" (from the /pengingat list): a fresh form."""
    user = update.effective_user
    assert user is not None
    if not _identity(update, context).is_privileged:
        await _refuse(update, context)
        return END
    await _answer(update)
    draft: Draft = {"step": int(Step.TEXT)}
    _save(context, user.id, draft)
    return await prompt(update, context, draft, Step.TEXT)


@step
async def on_text(update: Update, context: BotContext, draft: Draft) -> int:
    message = update.message
    assert message is not None and message.text is not None
    if len(message.text) > MAX_TEXT:
        note = t("reminders.too_long", context.lang, limit=MAX_TEXT, length=len(message.text))
        return await prompt(update, context, draft, Step.TEXT, note)
    draft["text"] = message.text_html
    return await _ask_audience(update, context, draft)


async def _ask_audience(update: Update, context: BotContext, draft: Draft) -> int:
    scopes = _identity(update, context).scopes
    if len(scopes) > 1:
        return await prompt(update, context, draft, Step.SCOPE)
    return await _open_picker(update, context, draft, scopes[0])


async def _open_picker(update: Update, context: BotContext, draft: Draft, root: str) -> int:
    with context.db.session() as session:
        if not children(session, root):  # a kelurahan coordinator: nothing to pick
            return await _audience_chosen(update, context, draft, root)
        state = region_picker.start(session, root, "village")
    draft["picker"] = state.to_dict()
    return await _show_picker(update, context, draft, edit=False)


async def _audience_chosen(update: Update, context: BotContext, draft: Draft, code: str) -> int:
    if not _identity(update, context).may_act_on(code):  # never trust the keyboard
        await _refuse(update, context)
        return await _ask_audience(update, context, draft)
    draft["audience"] = code
    draft.pop("picker", None)
    with context.db.session() as session:
        name = _place(context, session, code)
    await show(update, t("reminders.audience_chosen", context.lang, audience=name))
    if _rule_of(draft) is not None:  # changing only the audience keeps the schedule
        return await prompt(update, context, draft, Step.PREVIEW)
    return await prompt(update, context, draft, Step.KIND)


@step
async def on_scope(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    scopes = _identity(update, context).scopes
    index = query.data.removeprefix("rmf:s:")
    if not index.isdigit() or int(index) >= len(scopes):
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.SCOPE)
    await _answer(update)
    return await _open_picker(update, context, draft, scopes[int(index)])


@step
async def on_picker_button(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    if not draft.get("picker"):
        await _answer(update, t("common.stale_button", context.lang))
        return await _ask_audience(update, context, draft)
    _, action, arg = [*query.data.split(":", 2), "", ""][:3]
    try:
        with context.db.session() as session:
            outcome = region_picker.apply_callback(
                session, PickerState.from_dict(draft["picker"]), action, arg, "village"
            )
    except StaleButton:
        await _answer(update, t("common.stale_button", context.lang))
        return await _show_picker(update, context, draft, edit=False)
    await _answer(update)
    if outcome.picked:
        return await _audience_chosen(update, context, draft, outcome.picked)
    draft["picker"] = outcome.state.to_dict()
    return await _show_picker(update, context, draft)


@step
async def on_picker_text(update: Update, context: BotContext, draft: Draft) -> int:
    assert update.message is not None
    if not draft.get("picker"):
        return await _ask_audience(update, context, draft)
    state = region_picker.apply_filter(
        PickerState.from_dict(draft["picker"]), update.message.text or ""
    )
    draft["picker"] = state.to_dict()
    return await _show_picker(update, context, draft, edit=False)


# ---------------------------------------------------------------- the schedule


def _clear_schedule(draft: Draft) -> None:
    for key in ("kind", "day", "time", "weekday", "month_day", "week"):
        draft.pop(key, None)


@step
async def on_kind(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    kind = query.data.removeprefix("rmf:k:")
    if kind not in set(Frequency):
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.KIND)
    await _answer(update)
    _clear_schedule(draft)
    draft["kind"] = kind
    await show(
        update,
        t("reminders.kind_chosen", context.lang, kind=t(f"reminders.kind.{kind}", context.lang)),
    )
    first = {
        Frequency.ONCE: Step.DATE,
        Frequency.DAILY: Step.TIME,
        Frequency.WEEKLY: Step.WEEKDAY,
        Frequency.MONTHLY: Step.MONTH_DAY,
        Frequency.MONTHLY_NTH: Step.WEEK,
    }[Frequency(kind)]
    return await prompt(update, context, draft, first)


def _problem_note(problem: Problem, lang: str) -> str:
    return t(f"reminders.problem.{problem.value}", lang)


async def _after_moment(update: Update, context: BotContext, draft: Draft) -> int:
    """The time is set: a one-time moment must still be ahead; then the preview."""
    rule = _rule_of(draft)
    assert rule is not None
    if rule.frequency is Frequency.ONCE:
        assert rule.on is not None
        if local_to_utc(rule.on, rule.at, context.settings.timezone) <= _now(context):
            return await _ask_date_again(update, context, draft)
    return await prompt(update, context, draft, Step.PREVIEW)


async def _ask_date_again(update: Update, context: BotContext, draft: Draft) -> int:
    """A one-time moment that has passed: say so (with the time now) and ask for the date."""
    draft.pop("day", None)
    draft.pop("time", None)
    now = format_moment(_now(context), context.settings.timezone, context.lang)
    return await prompt(
        update, context, draft, Step.DATE, t("reminders.in_the_past", context.lang, now=now)
    )


@step
async def on_date_text(update: Update, context: BotContext, draft: Draft) -> int:
    assert update.message is not None
    lang, today = context.lang, _today(context)
    typed = parse_moment(update.message.text or "", today, context.settings.timezone)
    if typed.problem is not None:
        return await prompt(update, context, draft, Step.DATE, _problem_note(typed.problem, lang))
    day = typed.day or today  # a time alone means today
    if day < today:
        return await _ask_date_again(update, context, draft)
    draft["day"] = day.isoformat()
    if typed.at is None:
        await show(update, t("reminders.day_chosen", lang, day=format_day(day, lang)), edit=False)
        return await prompt(update, context, draft, Step.TIME)
    draft["time"] = typed.at.isoformat(timespec="minutes")
    return await _after_moment(update, context, draft)


@step
async def on_date_button(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.removeprefix("rmf:d:")
    try:
        day = datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        day = None
    if day is None or day < _today(context):
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.DATE)
    await _answer(update)
    draft["day"] = day.isoformat()
    await show(update, t("reminders.day_chosen", context.lang, day=format_day(day, context.lang)))
    return await prompt(update, context, draft, Step.TIME)


async def _time_chosen(update: Update, context: BotContext, draft: Draft, at: time) -> int:
    draft["time"] = at.isoformat(timespec="minutes")
    return await _after_moment(update, context, draft)


@step
async def on_time_text(update: Update, context: BotContext, draft: Draft) -> int:
    assert update.message is not None
    at = parse_time(update.message.text or "", context.settings.timezone)
    if at is Problem.NO_SUCH_TIME:
        return await prompt(update, context, draft, Step.TIME, _problem_note(at, context.lang))
    if isinstance(at, Problem):
        note = t("reminders.problem.time", context.lang)
        return await prompt(update, context, draft, Step.TIME, note)
    return await _time_chosen(update, context, draft, at)


@step
async def on_time_button(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.removeprefix("rmf:t:")
    at = parse_time(raw) if len(raw) == 4 and raw.isdigit() else Problem.UNRECOGNISED
    if isinstance(at, Problem):
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.TIME)
    await _answer(update)
    await show(update, t("reminders.time_chosen", context.lang, time=clock(at, context.lang)))
    return await _time_chosen(update, context, draft, at)


@step
async def on_weekday(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.removeprefix("rmf:w:")
    if raw not in {str(n) for n in range(7)}:
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.WEEKDAY)
    await _answer(update)
    draft["weekday"] = int(raw)
    await show(
        update,
        t("reminders.weekday_chosen", context.lang, weekday=weekday_name(int(raw), context.lang)),
    )
    return await prompt(update, context, draft, Step.TIME)


async def _month_day_chosen(update: Update, context: BotContext, draft: Draft, day: int) -> int:
    draft["month_day"] = day
    note_key = "reminders.month_day_chosen_end" if day >= 29 else "reminders.month_day_chosen"
    await show(update, t(note_key, context.lang, day=day), edit=update.callback_query is not None)
    return await prompt(update, context, draft, Step.TIME)


@step
async def on_month_day_button(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.removeprefix("rmf:m:")
    if not raw.isdigit() or not 1 <= int(raw) <= 31:
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.MONTH_DAY)
    await _answer(update)
    return await _month_day_chosen(update, context, draft, int(raw))


@step
async def on_month_day_text(update: Update, context: BotContext, draft: Draft) -> int:
    assert update.message is not None
    raw = (
        (update.message.text or "")
        .strip()
        .lower()
        .removeprefix("tanggal")
        .removeprefix("tgl")
        .strip()
    )
    if not raw.isdigit() or not 1 <= int(raw) <= 31:
        return await prompt(
            update, context, draft, Step.MONTH_DAY, t("reminders.problem.month_day", context.lang)
        )
    return await _month_day_chosen(update, context, draft, int(raw))


@step
async def on_week(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.removeprefix("rmf:n:")
    if raw not in {"1", "2", "3", "4", "last"}:
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.WEEK)
    await _answer(update)
    draft["week"] = LAST_WEEK if raw == "last" else int(raw)
    await show(
        update,
        t("reminders.week_chosen", context.lang, nth=t(f"reminders.nth.{raw}", context.lang)),
    )
    return await prompt(update, context, draft, Step.WEEKDAY)


# ---------------------------------------------------------------- preview and save


@step
async def on_preview(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    lang = context.lang
    action = query.data.removeprefix("rmf:")
    await _answer(update)
    if action == "re":
        _clear_schedule(draft)
        await show(update, t("reminders.changing_schedule", lang))
        return await prompt(update, context, draft, Step.KIND)
    if action == "no":
        _drop(context, update.effective_user.id)
        await show(update, t("reminders.cancelled", lang))
        return END
    rule = _rule_of(draft)
    if rule is None or not draft.get("text") or not draft.get("audience"):
        # Only a hand-made draft gets here; ask again from the start.
        return await prompt(update, context, draft, Step.TEXT)
    if not _identity(update, context).may_act_on(draft["audience"]):
        _drop(context, update.effective_user.id)
        await _refuse(update, context)
        return END
    with context.db.session() as session:
        saved = reminders.create_reminder(
            session,
            owner_id=update.effective_user.id,
            text=draft["text"],
            audience_code=draft["audience"],
            rule=rule,
            now=_now(context),
            tz=context.settings.timezone,
        )
        if saved is not None:
            people.delete_draft(session, update.effective_user.id, DRAFT)
    if saved is None or saved.next_at is None:  # a one-time moment went by at the preview
        return await _ask_date_again(update, context, draft)
    await show(
        update,
        t(
            "reminders.saved",
            lang,
            next=format_moment(saved.next_at, context.settings.timezone, lang),
        ),
    )
    return END


# ---------------------------------------------------------------- wrong input, cancel, timeout


def _reprompt(state: Step, note_key: str) -> Callable[[Update, BotContext], Awaitable[int]]:
    @step
    async def again(update: Update, context: BotContext, draft: Draft) -> int:
        if update.callback_query:
            await _answer(update, t("common.stale_button", context.lang))
            return await prompt(update, context, draft, state)
        return await prompt(update, context, draft, state, t(note_key, context.lang))

    again.__name__ = f"reprompt_{state.name.lower()}"
    return again


async def cancel(update: Update, context: BotContext) -> int:
    assert update.effective_user is not None
    _drop(context, update.effective_user.id)
    await show(update, t("reminders.cancelled", context.lang), edit=False)
    return END


async def on_timeout(update: object, context: BotContext) -> None:
    if isinstance(update, Update) and update.effective_user and update.effective_chat:
        _drop(context, update.effective_user.id)
        await update.effective_chat.send_message(t("reminders.expired", context.lang))


def conversation(conversation_timeout: timedelta) -> ConversationHandler:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    anything = ~filters.COMMAND

    def states(state: Step, *handlers: Any, note: str = "reminders.use_buttons") -> list[Any]:
        # Stale or forged buttons of this form re-prompt; other features' buttons pass by.
        return [
            *handlers,
            MessageHandler(anything, _reprompt(state, note)),
            CallbackQueryHandler(_reprompt(state, note), pattern=r"^rmf:"),
        ]

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            name="reminder_form",
            persistent=True,
            allow_reentry=True,
            conversation_timeout=conversation_timeout,
            entry_points=[CallbackQueryHandler(new_form, pattern=r"^rm:new$")],
            states={
                Step.TEXT: states(
                    Step.TEXT, MessageHandler(text, on_text), note="reminders.need_text"
                ),
                Step.SCOPE: states(Step.SCOPE, CallbackQueryHandler(on_scope, pattern=r"^rmf:s:")),
                Step.AUDIENCE: states(
                    Step.AUDIENCE,
                    CallbackQueryHandler(on_picker_button, pattern=r"^rmf:[rpba]:"),
                    MessageHandler(text, on_picker_text),
                ),
                Step.KIND: states(Step.KIND, CallbackQueryHandler(on_kind, pattern=r"^rmf:k:")),
                Step.DATE: states(
                    Step.DATE,
                    CallbackQueryHandler(on_date_button, pattern=r"^rmf:d:"),
                    MessageHandler(text, on_date_text),
                    note="reminders.need_date",
                ),
                Step.TIME: states(
                    Step.TIME,
                    CallbackQueryHandler(on_time_button, pattern=r"^rmf:t:"),
                    MessageHandler(text, on_time_text),
                    note="reminders.problem.time",
                ),
                Step.WEEKDAY: states(
                    Step.WEEKDAY, CallbackQueryHandler(on_weekday, pattern=r"^rmf:w:")
                ),
                Step.MONTH_DAY: states(
                    Step.MONTH_DAY,
                    CallbackQueryHandler(on_month_day_button, pattern=r"^rmf:m:"),
                    MessageHandler(text, on_month_day_text),
                    note="reminders.problem.month_day",
                ),
                Step.WEEK: states(Step.WEEK, CallbackQueryHandler(on_week, pattern=r"^rmf:n:")),
                Step.PREVIEW: states(
                    Step.PREVIEW, CallbackQueryHandler(on_preview, pattern=r"^rmf:(ok|re|no)$")
                ),
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler(["batal", "cancel"], cancel)],
        )


# ---------------------------------------------------------------- the list and its buttons


def _status_line(reminder: ReminderInfo, context: BotContext) -> str:
    lang = context.lang
    if reminder.status is ReminderStatus.PAUSED:
        reason = reminder.paused_reason or PauseReason.BY_USER
        return t(f"reminders.status.paused_{reason}", lang)
    assert reminder.next_at is not None
    return t(
        "reminders.status.next",
        lang,
        when=format_moment(reminder.next_at, context.settings.timezone, lang),
    )


async def list_command(update: Update, context: BotContext) -> None:
    """`/pengingat`: the reminders inside the user's scope, and a button for a new one."""
    identity = _identity(update, context)
    if not identity.is_privileged:
        await _refuse(update, context)
        return
    await _show_list(update, context, identity, edit=False)


async def _show_list(
    update: Update, context: BotContext, identity: Identity, *, edit: bool
) -> None:
    lang, tz = context.lang, context.settings.timezone
    with context.db.session() as session:
        found = reminders.list_reminders(session, identity.scopes)
        audiences = {
            r.audience_code: _place(context, session, r.audience_code or "") for r in found
        }
    lines = [t("reminders.list_title", lang), ""]
    rows: list[list[Button]] = []
    if not found:
        lines.append(t("reminders.list_empty", lang))
    for number, reminder in enumerate(found[:LIST_LIMIT], start=1):
        lines.append(
            t(
                "reminders.list_item",
                lang,
                n=number,
                title=title(reminder.text or ""),
                audience=audiences[reminder.audience_code],
                rule=describe_rule(reminder.rule, tz, lang),
                status=_status_line(reminder, context),
            )
        )
        icon = "⏸" if reminder.status is ReminderStatus.PAUSED else "⏰"
        rows.append([(f"{icon} {number}. {title(reminder.text or '', 30)}", f"rm:v:{reminder.id}")])
    if len(found) > LIST_LIMIT:
        lines.append(t("reminders.list_more", lang, count=len(found) - LIST_LIMIT))
    rows.append([(t("reminders.new", lang), "rm:new")])
    await show(update, "\n".join(lines), keyboard(rows), edit=edit)


async def _show_detail(update: Update, context: BotContext, reminder: ReminderInfo) -> None:
    lang, tz = context.lang, context.settings.timezone
    with context.db.session() as session:
        audience = _place(context, session, reminder.audience_code or "")
        history = reminders.occurrences_of(session, reminder.id)
    sent = [o for o in history if o.status == reminders.OccurrenceStatus.SENT]
    lines = [
        t("reminders.detail_title", lang),
        "",
        reminder.text or "",
        "",
        t("reminders.preview_audience_short", lang, audience=audience),
        t("reminders.preview_rule", lang, rule=describe_rule(reminder.rule, tz, lang)),
        _status_line(reminder, context),
    ]
    if sent:
        last = sent[-1]
        lines.append(
            t(
                "reminders.last_sent",
                lang,
                when=format_moment(last.due_at, tz, lang),
                count=last.recipients,
            )
        )
    toggle = (
        (t("reminders.resume", lang), f"rm:r:{reminder.id}")
        if reminder.status is ReminderStatus.PAUSED
        else (t("reminders.pause", lang), f"rm:p:{reminder.id}")
    )
    markup = keyboard(
        [
            [toggle, (t("reminders.delete", lang), f"rm:x:{reminder.id}")],
            [(t("reminders.back_to_list", lang), "rm:l")],
        ]
    )
    await show(update, "\n".join(lines), markup)


async def manage_button(update: Update, context: BotContext) -> None:
    """`rm:<action>:<id>`: view, pause, resume, delete (asked first) — each checked and audited."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    lang = context.lang
    identity = _identity(update, context)
    if not identity.is_privileged:
        await _refuse(update, context)
        return
    _, action, arg = [*query.data.split(":", 2), "", ""][:3]
    if action == "l":
        await _answer(update)
        await _show_list(update, context, identity, edit=True)
        return
    if not arg.isdigit() or action not in {"v", "p", "r", "x", "xy"}:
        await _answer(update, t("common.stale_button", lang))
        return
    with context.db.session() as session:
        reminder = reminders.get_reminder(session, int(arg))
    if (
        reminder is None
        or reminder.kind is not reminders.ReminderKind.CUSTOM
        or reminder.status not in (ReminderStatus.ACTIVE, ReminderStatus.PAUSED)
    ):
        await _answer(update, t("reminders.gone", lang), alert=True)
        await _show_list(update, context, identity, edit=True)
        return
    if not identity.may_act_on(reminder.audience_code or ""):
        await _refuse(update, context)
        return
    actor = update.effective_user.id
    if action == "v":
        await _answer(update)
        await _show_detail(update, context, reminder)
        return
    if action == "p":
        with context.db.session() as session:
            changed = reminders.pause_reminder(session, reminder.id, actor, PauseReason.BY_USER)
        await _answer(update, t("reminders.paused", lang))
        await _show_detail(update, context, changed or reminder)
        return
    if action == "r":
        with context.db.session() as session:
            result, changed = reminders.resume_reminder(
                session, reminder.id, actor, _now(context), context.settings.timezone
            )
        if result is ResumeResult.PASSED:
            await _answer(update, t("reminders.resume_passed", lang), alert=True)
            return
        await _answer(update, t("reminders.resumed", lang))
        await _show_detail(update, context, changed or reminder)
        return
    if action == "x":
        await _answer(update)
        markup = keyboard(
            [
                [
                    (t("reminders.delete_yes", lang), f"rm:xy:{reminder.id}"),
                    (t("reminders.cancel", lang), f"rm:v:{reminder.id}"),
                ]
            ]
        )
        await show(
            update, t("reminders.delete_confirm", lang, title=title(reminder.text or "")), markup
        )
        return
    with context.db.session() as session:
        reminders.delete_reminder(session, reminder.id, actor)
    await _answer(update, t("reminders.deleted", lang))
    await _show_list(update, context, identity, edit=True)


def handlers() -> list:  # type: ignore[type-arg]
    return [
        CommandHandler("pengingat", list_command),
        CallbackQueryHandler(manage_button, pattern=r"^rm:(l|v|p|r|x|xy)(:|$)"),
    ]
