"""Recurrence rules: forum (WITA) wall-clock time, month ends, n-th weekdays, leap years."""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from storage.recurrence import (
    LAST_WEEK,
    Rule,
    next_occurrence,
    nth_weekday,
    occurrences,
    occurrences_between,
    to_local,
    to_utc,
)

WITA = ZoneInfo("Asia/Makassar")
EIGHT = time(8, 0)


def wita(*args: int) -> datetime:
    """A WITA wall-clock moment as the naive UTC the rules return."""
    return to_utc(date(*args[:3]), time(*args[3:]), WITA)


def first_five(rule: Rule, after: datetime, tz: ZoneInfo = WITA) -> list[str]:
    return [
        to_local(m, tz).strftime("%a %d/%m/%Y %H.%M")
        for m in islice(occurrences(rule, after, tz), 5)
    ]


def test_wita_is_utc_plus_eight_so_08_00_is_midnight_utc():
    assert wita(2026, 12, 25, 8, 0) == datetime(2026, 12, 25, 0, 0)
    assert wita(2026, 12, 25, 7, 0) == datetime(2026, 12, 24, 23, 0)


def test_once_fires_only_if_still_ahead():
    rule = Rule.once(date(2026, 12, 25), EIGHT)
    assert next_occurrence(rule, wita(2026, 12, 24, 9, 0), WITA) == datetime(2026, 12, 25, 0, 0)
    assert next_occurrence(rule, wita(2026, 12, 25, 8, 0), WITA) is None
    assert list(occurrences(rule, wita(2026, 12, 1, 0, 0), WITA)) == [wita(2026, 12, 25, 8, 0)]


def test_daily_is_strictly_after_and_crosses_the_utc_date_line():
    rule = Rule.daily(time(7, 30))  # 23:30 UTC the day before
    assert first_five(rule, wita(2026, 12, 30, 7, 30)) == [
        "Thu 31/12/2026 07.30",
        "Fri 01/01/2027 07.30",
        "Sat 02/01/2027 07.30",
        "Sun 03/01/2027 07.30",
        "Mon 04/01/2027 07.30",
    ]
    assert next_occurrence(rule, wita(2026, 12, 30, 7, 29), WITA) == wita(2026, 12, 30, 7, 30)


def test_weekly_on_a_weekday():
    friday = Rule.weekly(4, time(16, 0))
    # Monday 23/11/2026 → the Fridays that follow.
    assert first_five(friday, wita(2026, 11, 23, 10, 0)) == [
        "Fri 27/11/2026 16.00",
        "Fri 04/12/2026 16.00",
        "Fri 11/12/2026 16.00",
        "Fri 18/12/2026 16.00",
        "Fri 25/12/2026 16.00",
    ]
    # On the weekday itself: today if the time is still ahead, else next week.
    assert next_occurrence(friday, wita(2026, 11, 27, 15, 59), WITA) == wita(2026, 11, 27, 16, 0)
    assert next_occurrence(friday, wita(2026, 11, 27, 16, 0), WITA) == wita(2026, 12, 4, 16, 0)


def test_monthly_on_the_31st_uses_the_last_day_of_shorter_months():
    rule = Rule.monthly(31, EIGHT)
    assert first_five(rule, wita(2027, 1, 1, 0, 0)) == [
        "Sun 31/01/2027 08.00",
        "Sun 28/02/2027 08.00",
        "Wed 31/03/2027 08.00",
        "Fri 30/04/2027 08.00",
        "Mon 31/05/2027 08.00",
    ]


def test_monthly_on_the_29th_and_30th_in_february_of_leap_and_common_years():
    on_29 = Rule.monthly(29, EIGHT)
    on_30 = Rule.monthly(30, EIGHT)
    assert next_occurrence(on_29, wita(2028, 2, 1, 0, 0), WITA) == wita(2028, 2, 29, 8, 0)
    assert next_occurrence(on_29, wita(2027, 2, 1, 0, 0), WITA) == wita(2027, 2, 28, 8, 0)
    assert next_occurrence(on_30, wita(2028, 2, 1, 0, 0), WITA) == wita(2028, 2, 29, 8, 0)
    # After the clamped day, the rule goes back to the 30th, not stuck on the 28th/29th.
    assert next_occurrence(on_30, wita(2027, 2, 28, 8, 0), WITA) == wita(2027, 3, 30, 8, 0)


def test_monthly_on_a_day_already_passed_this_month_goes_to_next_month():
    rule = Rule.monthly(5, EIGHT)
    assert next_occurrence(rule, wita(2026, 11, 23, 0, 0), WITA) == wita(2026, 12, 5, 8, 0)
    assert next_occurrence(rule, wita(2026, 12, 31, 23, 0), WITA) == wita(2027, 1, 5, 8, 0)


def test_first_monday_of_every_month():
    first_monday = Rule.monthly_nth(1, 0, EIGHT)
    assert first_five(first_monday, wita(2026, 11, 23, 10, 0)) == [
        "Mon 07/12/2026 08.00",
        "Mon 04/01/2027 08.00",
        "Mon 01/02/2027 08.00",
        "Mon 01/03/2027 08.00",
        "Mon 05/04/2027 08.00",
    ]
    # The morning of a first Monday, before 08:00 WITA (still Sunday in UTC).
    assert next_occurrence(first_monday, wita(2027, 2, 1, 7, 59), WITA) == wita(2027, 2, 1, 8, 0)


@pytest.mark.parametrize(
    ("year", "month", "week", "weekday", "expected"),
    [
        (2026, 12, 1, 0, date(2026, 12, 7)),  # December starts on a Tuesday
        (2026, 12, 2, 1, date(2026, 12, 8)),  # second Tuesday
        (2026, 12, 4, 3, date(2026, 12, 24)),
        (2026, 12, LAST_WEEK, 3, date(2026, 12, 31)),  # last Thursday is the 31st
        (2026, 12, LAST_WEEK, 4, date(2026, 12, 25)),  # last Friday
        (2027, 2, LAST_WEEK, 6, date(2027, 2, 28)),
        (2028, 2, LAST_WEEK, 1, date(2028, 2, 29)),  # leap year
        (2027, 3, 1, 0, date(2027, 3, 1)),  # the 1st is itself a Monday
    ],
)
def test_nth_weekday(year, month, week, weekday, expected):
    assert nth_weekday(year, month, week, weekday) == expected


def test_last_friday_of_the_month():
    rule = Rule.monthly_nth(LAST_WEEK, 4, time(14, 0))
    assert first_five(rule, wita(2027, 1, 1, 0, 0))[:3] == [
        "Fri 29/01/2027 14.00",
        "Fri 26/02/2027 14.00",
        "Fri 26/03/2027 14.00",
    ]


def test_occurrences_between_lists_what_fell_due_while_down():
    rule = Rule.daily(EIGHT)
    missed = occurrences_between(rule, wita(2026, 12, 1, 8, 0), wita(2026, 12, 4, 8, 0), WITA)
    assert missed == [wita(2026, 12, 2, 8, 0), wita(2026, 12, 3, 8, 0), wita(2026, 12, 4, 8, 0)]
    assert occurrences_between(rule, wita(2026, 12, 1, 8, 0), wita(2026, 12, 2, 7, 59), WITA) == []


def test_rules_follow_wall_clock_time_in_zones_with_dst():
    """WITA has no DST, but the rule evaluation must not assume that of every TIMEZONE."""
    berlin = ZoneInfo("Europe/Berlin")
    rule = Rule.daily(EIGHT)
    before, after = islice(occurrences(rule, datetime(2027, 3, 27, 12, 0), berlin), 2)
    assert (before, after) == (datetime(2027, 3, 28, 6, 0), datetime(2027, 3, 29, 6, 0))
    assert before.hour == 6  # 08:00 CEST on the day the clocks go forward (28/03/2027)
    assert next_occurrence(rule, datetime(2027, 3, 26, 12, 0), berlin) == datetime(
        2027, 3, 27, 7, 0
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: Rule.monthly(32, EIGHT),
        lambda: Rule.monthly(0, EIGHT),
        lambda: Rule.weekly(7, EIGHT),
        lambda: Rule.monthly_nth(5, 0, EIGHT),
        lambda: Rule.daily(time(8, 0, 30)),
        lambda: Rule(Rule.daily(EIGHT).frequency, EIGHT, weekday=1),
    ],
)
def test_invalid_rules_are_refused(build):
    with pytest.raises(ValueError):
        build()
