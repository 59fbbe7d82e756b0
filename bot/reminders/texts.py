"""How reminders read: rules in words, and the messages they send.

Shared by the `/pengingat` form and list and the scheduler, so a rule is described the same
way in the preview, in the list and nowhere differently. Days, months, clocks and moments are
`bot.moments`'; the rest of the words come from the `reminders` catalogs.
"""

from __future__ import annotations

import html
import re
from datetime import tzinfo

from bot.i18n import t, tn
from bot.moments import (
    format_clock,
    format_day,
    format_moment,
    month_name,
    weekday_name,
)
from bot.moments import zone_abbreviation as zone
from storage.recurrence import LAST_WEEK, Frequency, Rule
from storage.reminders import TrainingReminder

__all__ = [
    "custom_message",
    "describe_rule",
    "monthly_report",
    "review_digest",
    "title",
    "training_reminder",
]

_TAG_RE = re.compile(r"<[^>]+>")


def describe_rule(rule: Rule, tz: tzinfo, lang: str) -> str:
    """The rule in words: "setiap hari Senin pertama tiap bulan, pukul 08.00 WITA"."""
    at = format_clock(rule.at, lang)
    if rule.frequency is Frequency.ONCE:
        assert rule.on is not None
        day = format_day(rule.on, lang)
        return t("reminders.rule.once", lang, day=day, time=at, zone=zone(tz))
    if rule.frequency is Frequency.DAILY:
        return t("reminders.rule.daily", lang, time=at, zone=zone(tz))
    if rule.frequency is Frequency.WEEKLY:
        assert rule.weekday is not None
        weekday = weekday_name(rule.weekday, lang)
        return t("reminders.rule.weekly", lang, weekday=weekday, time=at, zone=zone(tz))
    if rule.frequency is Frequency.MONTHLY:
        assert rule.month_day is not None
        text = t("reminders.rule.monthly", lang, day=rule.month_day, time=at, zone=zone(tz))
        if rule.month_day >= 29:
            text += t("reminders.rule.month_end", lang)
        return text
    assert rule.week is not None and rule.weekday is not None
    nth = "last" if rule.week == LAST_WEEK else str(rule.week)
    return t(
        "reminders.rule.nth",
        lang,
        nth=t(f"reminders.nth_word.{nth}", lang),
        weekday=weekday_name(rule.weekday, lang),
        time=at,
        zone=zone(tz),
    )


def title(text_html: str, limit: int = 40) -> str:
    """A one-line plain-text title of a reminder (for lists and the outbox)."""
    plain = " ".join(html.unescape(_TAG_RE.sub("", text_html)).split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


def custom_message(text_html: str, lang: str) -> str:
    """What cadres receive: the coordinator's own words (already Telegram HTML) under a header."""
    return t("reminders.message", lang, escape=False, text=text_html)


def monthly_report(month: int, lang: str) -> str:
    return t("reminders.monthly_report", lang, month=month_name(month, lang))


def review_digest(waiting: int, lang: str) -> str:
    # `tn` fills {count} with the bare number: a reviewer's queue stays far below 1.000.
    return tn("reminders.review_digest", waiting, lang)


def training_reminder(which: str, training: TrainingReminder, tz: tzinfo, lang: str) -> str:
    """`which` is "day_before" or "shortly_before" (see `storage.reminders`)."""
    return t(
        f"reminders.training.{which}",
        lang,
        title=training.title,
        place=training.place,
        when=format_moment(training.starts_at, tz, lang),
    )
