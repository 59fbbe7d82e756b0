"""Recurrence rules of reminders and their occurrences — pure, no Telegram, no database.

A rule says when, in the forum's wall-clock time (WITA by default): once on a date, every day,
every week on a weekday, every month on a day of the month, or every month on the n-th weekday
("first Monday", "last Friday"). Occurrences come out as naive UTC datetimes, the way every
time is stored. Rules are evaluated in a timezone given by the caller, so "08:00" stays 08:00
in the forum whatever the server's clock says (and across DST in zones that have one).

Month ends: "every month on the 31st" (or 29th/30th) fires on the **last day** of months that
are shorter — 30 April, 28 February, 29 February in leap years — so a "month-end report"
reminder never skips a month.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

__all__ = [
    "LAST_WEEK",
    "Frequency",
    "Rule",
    "next_occurrence",
    "nth_weekday",
    "occurrences",
    "occurrences_between",
    "to_local",
    "to_utc",
]

#: `Rule.week` value for "the last <weekday> of the month".
LAST_WEEK = -1
_WEEKS = (1, 2, 3, 4, LAST_WEEK)


class Frequency(StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"  # on a day of the month
    MONTHLY_NTH = "nth"  # on the n-th (or last) weekday of the month


@dataclass(frozen=True)
class Rule:
    """When a reminder fires, in local (forum) time. Build with the class methods."""

    frequency: Frequency
    at: time
    on: date | None = None  # ONCE
    weekday: int | None = None  # WEEKLY, MONTHLY_NTH: 0 = Monday … 6 = Sunday
    month_day: int | None = None  # MONTHLY: 1…31 (shorter months: their last day)
    week: int | None = None  # MONTHLY_NTH: 1…4, or LAST_WEEK

    def __post_init__(self) -> None:
        if self.at.tzinfo is not None or self.at.second or self.at.microsecond:
            raise ValueError("rule time must be a naive wall-clock time in whole minutes")
        needs = {
            Frequency.ONCE: ("on",),
            Frequency.DAILY: (),
            Frequency.WEEKLY: ("weekday",),
            Frequency.MONTHLY: ("month_day",),
            Frequency.MONTHLY_NTH: ("week", "weekday"),
        }[self.frequency]
        for name in ("on", "weekday", "month_day", "week"):
            given = getattr(self, name) is not None
            if given != (name in needs):
                raise ValueError(
                    f"{self.frequency} rule {'needs' if not given else 'has no'} {name}"
                )
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0…6, got {self.weekday}")
        if self.month_day is not None and not 1 <= self.month_day <= 31:
            raise ValueError(f"month_day must be 1…31, got {self.month_day}")
        if self.week is not None and self.week not in _WEEKS:
            raise ValueError(f"week must be 1…4 or {LAST_WEEK}, got {self.week}")

    @classmethod
    def once(cls, on: date, at: time) -> Rule:
        return cls(Frequency.ONCE, at, on=on)

    @classmethod
    def daily(cls, at: time) -> Rule:
        return cls(Frequency.DAILY, at)

    @classmethod
    def weekly(cls, weekday: int, at: time) -> Rule:
        return cls(Frequency.WEEKLY, at, weekday=weekday)

    @classmethod
    def monthly(cls, month_day: int, at: time) -> Rule:
        return cls(Frequency.MONTHLY, at, month_day=month_day)

    @classmethod
    def monthly_nth(cls, week: int, weekday: int, at: time) -> Rule:
        return cls(Frequency.MONTHLY_NTH, at, weekday=weekday, week=week)

    @property
    def repeats(self) -> bool:
        return self.frequency is not Frequency.ONCE


def to_utc(day: date, at: time, tz: tzinfo) -> datetime:
    """Wall-clock `day at` in `tz` as naive UTC, the way moments are stored."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def to_local(moment: datetime, tz: tzinfo) -> datetime:
    """A stored moment (naive = UTC; aware ones are taken as they are) as aware in `tz`.

    The one pair of converters: `bot.moments` re-exports it, as storage cannot import bot.
    """
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz)


def nth_weekday(year: int, month: int, week: int, weekday: int) -> date:
    """The `week`-th `weekday` of the month (1 = first … 4 = fourth, LAST_WEEK = last)."""
    if week == LAST_WEEK:
        last = date(year, month, calendar.monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week - 1))


def _clamped_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _candidate_days(rule: Rule, start: date) -> Iterator[date]:
    """Local dates the rule fires on, from `start` (inclusive) onwards, in order."""
    if rule.frequency is Frequency.ONCE:
        assert rule.on is not None
        if rule.on >= start:
            yield rule.on
        return
    if rule.frequency is Frequency.DAILY:
        day = start
        while True:
            yield day
            day += timedelta(days=1)
    if rule.frequency is Frequency.WEEKLY:
        assert rule.weekday is not None
        day = start + timedelta(days=(rule.weekday - start.weekday()) % 7)
        while True:
            yield day
            day += timedelta(days=7)
    year, month = start.year, start.month
    while True:
        if rule.frequency is Frequency.MONTHLY:
            assert rule.month_day is not None
            day = _clamped_day(year, month, rule.month_day)
        else:
            assert rule.week is not None and rule.weekday is not None
            day = nth_weekday(year, month, rule.week, rule.weekday)
        if day >= start:
            yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def occurrences(rule: Rule, after: datetime, tz: tzinfo) -> Iterator[datetime]:
    """Every occurrence strictly after naive-UTC `after`, in order, as naive UTC."""
    # Start a day early: the local date of `after` may be behind or ahead of its UTC date.
    start = to_local(after, tz).date() - timedelta(days=1)
    for day in _candidate_days(rule, start):
        moment = to_utc(day, rule.at, tz)
        if moment > after:
            yield moment


def next_occurrence(rule: Rule, after: datetime, tz: tzinfo) -> datetime | None:
    """The first occurrence strictly after `after` (None: a one-time rule already passed)."""
    return next(occurrences(rule, after, tz), None)


def occurrences_between(rule: Rule, after: datetime, until: datetime, tz: tzinfo) -> list[datetime]:
    """Occurrences in (`after`, `until`]: what fell due while nobody was looking."""
    found = []
    for moment in occurrences(rule, after, tz):
        if moment > until:
            break
        found.append(moment)
    return found
