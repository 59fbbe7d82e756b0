"""How reminders read: rules in words, moments in forum time, and the messages they send.

Shared by the `/pengingat` form and list (`bot.reminders`) and the scheduler, so a rule is
described the same way in the preview, in the list and nowhere differently. Every word comes
from the `reminders` catalogs.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.i18n import t, tn
from storage.recurrence import LAST_WEEK, Frequency, Rule, utc_to_local
from storage.reminders import TrainingReminder

__all__ = [
    "clock",
    "custom_message",
    "describe_rule",
    "format_day",
    "format_moment",
    "monthly_report",
    "review_digest",
    "title",
    "training_reminder",
    "weekday_name",
    "zone_name",
]

_TAG_RE = re.compile(r"<[^>]+>")


def weekday_name(weekday: int, lang: str) -> str:
    return t(f"reminders.weekday.{weekday}", lang)


def clock(at: time, lang: str) -> str:
    """08.00 in Indonesian, 08:00 in English."""
    return t("reminders.clock", lang, hh=f"{at.hour:02d}", mm=f"{at.minute:02d}")


def format_day(day: date, lang: str) -> str:
    """ "Jumat, 25/12/2026"."""
    return t(
        "reminders.day", lang, weekday=weekday_name(day.weekday(), lang), date=f"{day:%d/%m/%Y}"
    )


def format_moment(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    """A stored UTC moment as the forum reads it: "Jumat, 25/12/2026 08.00 WITA"."""
    local = utc_to_local(moment, tz)
    return t(
        "reminders.moment",
        lang,
        day=format_day(local.date(), lang),
        time=clock(local.time(), lang),
        zone=local.tzname() or "",
    )


def zone_name(tz: ZoneInfo) -> str:
    """ "WITA" for Asia/Makassar: the abbreviation people know."""
    return datetime.now(tz).tzname() or str(tz)


def describe_rule(rule: Rule, tz: ZoneInfo, lang: str) -> str:
    """The rule in words: "setiap Senin pertama tiap bulan pukul 08.00 WITA"."""
    zone = zone_name(tz)
    at = clock(rule.at, lang)
    if rule.frequency is Frequency.ONCE:
        assert rule.on is not None
        return t("reminders.rule.once", lang, day=format_day(rule.on, lang), time=at, zone=zone)
    if rule.frequency is Frequency.DAILY:
        return t("reminders.rule.daily", lang, time=at, zone=zone)
    if rule.frequency is Frequency.WEEKLY:
        assert rule.weekday is not None
        return t(
            "reminders.rule.weekly",
            lang,
            weekday=weekday_name(rule.weekday, lang),
            time=at,
            zone=zone,
        )
    if rule.frequency is Frequency.MONTHLY:
        assert rule.month_day is not None
        text = t("reminders.rule.monthly", lang, day=rule.month_day, time=at, zone=zone)
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
        zone=zone,
    )


def title(text_html: str, limit: int = 40) -> str:
    """A one-line plain-text title of a reminder (for lists and the outbox)."""
    plain = " ".join(html.unescape(_TAG_RE.sub("", text_html)).split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


def custom_message(text_html: str, lang: str) -> str:
    """What cadres receive: the coordinator's own words (already Telegram HTML) under a header."""
    return t("reminders.message", lang, escape=False, text=text_html)


def monthly_report(month: int, lang: str) -> str:
    return t("reminders.monthly_report", lang, month=t(f"reminders.month.{month}", lang))


def review_digest(waiting: int, lang: str) -> str:
    return tn("reminders.review_digest", waiting, lang)


def training_reminder(which: str, training: TrainingReminder, tz: ZoneInfo, lang: str) -> str:
    """`which` is "day_before" or "shortly_before" (see `storage.reminders`)."""
    return t(
        f"reminders.training.{which}",
        lang,
        title=training.title,
        place=training.place,
        when=format_moment(training.starts_at, tz, lang),
    )
