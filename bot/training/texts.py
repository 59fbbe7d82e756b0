"""What every part of the training feature does the same way: read the typed date, write the
announcement, its two answer buttons, the quota and a title short enough for a button, and read
a pressed button back.

Dates and counts come from `bot.moments`; nothing here formats a moment by hand.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from telegram import CallbackQuery, Update

from bot.auth import Identity, identify
from bot.callbacks import (
    Callback,
    TrainingButton,
    TrainingFormButton,
    unpack_or_refuse,
)
from bot.config import Settings
from bot.context import BotContext
from bot.i18n import t
from bot.moments import (
    Problem,
    format_clock,
    format_count,
    format_moment,
    parse_moment,
    parse_time,
    to_local,
    to_utc,
)
from bot.telegram_text import escape
from bot.ui import Button
from storage.training import TrainingInfo

__all__ = [
    "BUTTON_TITLE",
    "Press",
    "announcement_text",
    "parse_end",
    "parse_when",
    "pressed",
    "quota_text",
    "rsvp_buttons",
    "sender",
    "short_title",
    "when_text",
]

BUTTON_TITLE = 28  # a title longer than this is cut with "…" on a button
FURTHEST_AHEAD = timedelta(days=730)
C = TypeVar("C", bound=Callback)


def parse_when(text: str, tz: ZoneInfo, now: datetime) -> datetime | str:
    """ "14/12/2026 08.00", "besok 08.00", "Senin, 14 Desember 2026 pukul 08.00" → UTC (naive).

    Reads every form a reminder accepts (`bot.moments`); a training needs both a date and a time,
    in the future and within two years. Returns an error key instead. `now` is UTC (naive).
    """
    typed = parse_moment(text, to_local(now, tz).date(), tz)
    if typed.problem in (Problem.NO_SUCH_DATE, Problem.NO_SUCH_TIME):
        return "training.when_invalid"
    if typed.day is None or typed.at is None:
        return "training.when_format"
    moment = to_utc(typed.day, typed.at, tz)
    if moment <= now:
        return "training.when_past"
    if moment > now + FURTHEST_AHEAD:
        return "training.when_far"
    return moment


def parse_end(text: str, starts_at: datetime, tz: ZoneInfo) -> datetime | str:
    """ "15.00", "jam 3 sore" → the end time (UTC, naive) on the day the training starts, which
    must be after the start. Returns an error key instead."""
    typed = parse_time(text, tz)
    if typed is Problem.NO_SUCH_TIME:
        return "training.ends_invalid"
    if isinstance(typed, Problem):
        return "training.ends_format"
    moment = to_utc(to_local(starts_at, tz).date(), typed, tz)
    if moment <= starts_at:
        return "training.ends_before_start"
    return moment


def when_text(training: TrainingInfo, tz: ZoneInfo, lang: str) -> str:
    """ "Senin, 14 Desember 2026 pukul 08.00 WITA", and "sampai 15.00" when it says its end
    (plain text)."""
    when = format_moment(training.starts_at, tz, lang)
    if training.ends_at is None:
        return when
    end = format_clock(to_local(training.ends_at, tz), lang)
    return t("training.when_until", lang, escape=False, when=when, end=end)


def quota_text(quota: int | None, lang: str) -> str:
    """ "Kuota 30 peserta" or "Peserta tidak dibatasi" (plain text)."""
    if quota is None:
        return t("training.quota_unlimited", lang)
    return t("training.quota_n", lang, quota=format_count(quota, lang))


def announcement_text(training: TrainingInfo, settings: Settings, lang: str) -> str:
    """The invitation cadres receive (Telegram HTML), with the long form of its date."""
    return t(
        "training.announcement",
        lang,
        escape=False,
        title=escape(training.title),
        description=training.description,  # Telegram HTML from the coordinator's message
        when=escape(when_text(training, settings.timezone, lang)),
        place=escape(training.place),
        quota=escape(quota_text(training.quota, lang)),
    )


def rsvp_buttons(training_id: int | None, lang: str) -> list[list[Button]]:
    """The two answers; without an id (a preview) they only say "this is a preview"."""
    if training_id:
        yes = TrainingButton("y", training_id=training_id).pack()
        no = TrainingButton("n", training_id=training_id).pack()
    else:
        yes = no = TrainingFormButton("pv").pack()
    return [[(t("training.join", lang), yes), (t("training.decline", lang), no)]]


def short_title(title: str) -> str:
    """The title as a button shows it: plain text, cut to `BUTTON_TITLE` characters."""
    return title if len(title) <= BUTTON_TITLE else title[: BUTTON_TITLE - 1] + "…"


def sender(update: Update, context: BotContext) -> Identity:
    """Who sent this update, with their roles as they are now (never as a keyboard says)."""
    assert update.effective_user is not None
    return identify(context.db, context.settings, update.effective_user.id)


@dataclasses.dataclass(frozen=True)
class Press(Generic[C]):
    """A press on one of our buttons: what the button says, the query to answer, who pressed."""

    button: C
    query: CallbackQuery
    user_id: int


async def pressed(family: type[C], update: Update, lang: str) -> Press[C] | None:
    """The press of a `family` button, or None once a forged one was refused."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    button = await unpack_or_refuse(family, update, lang)
    return None if button is None else Press(button, query, user.id)
