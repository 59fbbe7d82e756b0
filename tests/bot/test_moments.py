"""Dates and times typed the way Indonesians write them, and written back with Babel."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.moments import (
    Problem,
    Typed,
    format_clock,
    format_count,
    format_day,
    format_moment,
    parse_date,
    parse_moment,
    parse_time,
    to_local,
    to_utc,
    zone_abbreviation,
)

TODAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08.00", time(8, 0)),
        ("08:00", time(8, 0)),
        ("8.30", time(8, 30)),
        ("0830", time(8, 30)),
        ("jam 8", time(8, 0)),
        ("Pukul 13.15 WITA", time(13, 15)),
        ("pkl. 7", time(7, 0)),
        ("5 pagi", time(5, 0)),
        ("1 siang", time(13, 0)),
        ("11 siang", time(11, 0)),
        ("3 sore", time(15, 0)),
        ("7 malam", time(19, 0)),
        ("12 malam", time(0, 0)),
        ("00.00", time(0, 0)),
        ("23.59", time(23, 59)),
    ],
)
def test_times(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("25.00", Problem.NO_SUCH_TIME),
        ("08.75", Problem.NO_SUCH_TIME),
        ("delapan", Problem.UNRECOGNISED),
        ("8.3", Problem.UNRECOGNISED),
        ("", Problem.UNRECOGNISED),
    ],
)
def test_bad_times(text, problem):
    assert parse_time(text) is problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25/12/2026", date(2026, 12, 25)),
        ("25-12-2026", date(2026, 12, 25)),
        ("5/1/27", date(2027, 1, 5)),
        ("25/12", date(2026, 12, 25)),
        ("1/1", date(2027, 1, 1)),  # already passed this year → next year
        ("23/11", TODAY),
        ("25 Desember 2026", date(2026, 12, 25)),
        ("25 des", date(2026, 12, 25)),
        ("tgl 17 Agustus", date(2027, 8, 17)),
        ("hari ini", TODAY),
        ("besok", date(2026, 11, 24)),
        ("Lusa", date(2026, 11, 25)),
        ("senin", date(2026, 11, 30)),  # a weekday name is never today
        ("Jumat", date(2026, 11, 27)),
        ("hari Kamis", date(2026, 11, 26)),
        ("minggu depan", date(2026, 11, 29)),
        ("29/02", date(2028, 2, 29)),  # the next 29 February
    ],
)
def test_dates(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("31/02/2026", Problem.NO_SUCH_DATE),
        ("31/04", Problem.NO_SUCH_DATE),
        ("12/13/2026", Problem.NO_SUCH_DATE),  # month 13: not the US order either
        ("29/02/2027", Problem.NO_SUCH_DATE),
        ("32 Desember", Problem.NO_SUCH_DATE),
        ("25 Desembre 2026", Problem.UNRECOGNISED),
        ("kapan-kapan", Problem.UNRECOGNISED),
    ],
)
def test_bad_dates(text, problem):
    assert parse_date(text, TODAY) is problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25/12/2026 08.00", Typed(date(2026, 12, 25), time(8, 0))),
        ("25/12/2026, 08:00", Typed(date(2026, 12, 25), time(8, 0))),
        ("25 Desember 2026 pukul 08.00 WITA", Typed(date(2026, 12, 25), time(8, 0))),
        ("besok 08.00", Typed(date(2026, 11, 24), time(8, 0))),
        ("besok jam 8", Typed(date(2026, 11, 24), time(8, 0))),
        ("Senin, 9 pagi", Typed(date(2026, 11, 30), time(9, 0))),
        ("lusa 7 malam", Typed(date(2026, 11, 25), time(19, 0))),
        ("8.30", Typed(at=time(8, 30))),
        ("25/12/2026", Typed(day=date(2026, 12, 25))),
    ],
)
def test_date_and_time_together(text, expected):
    assert parse_moment(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("31/02/2026 08.00", Problem.NO_SUCH_DATE),
        ("25/12/2026 25.00", Problem.NO_SUCH_TIME),
        ("besok jam setengah", Problem.NO_SUCH_TIME),
        ("rapat bulanan", Problem.UNRECOGNISED),
        ("   ", Problem.UNRECOGNISED),
    ],
)
def test_date_and_time_problems(text, problem):
    assert parse_moment(text, TODAY) == Typed(problem=problem)


WIB, WITA, WIT = (ZoneInfo(z) for z in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"))


@pytest.mark.parametrize(
    ("tz", "suffix", "other"), [(WIB, "WIB", "WITA"), (WITA, "WITA", "WIB"), (WIT, "WIT", "WIB")]
)
def test_the_configured_zone_may_follow_a_time(tz, suffix, other):
    assert parse_time(f"08.00 {suffix}", tz) == time(8, 0)
    assert parse_time(f"jam 8 {suffix.lower()}", tz) == time(8, 0)
    assert parse_time(f"08.00 {other}", tz) is Problem.UNRECOGNISED
    assert parse_moment(f"besok 08.00 {suffix}", TODAY, tz) == Typed(
        day=date(2026, 11, 24), at=time(8, 0)
    )


@pytest.mark.parametrize(
    "text", ["25.12.2026", "25.12.26", "Jumat, 25 Desember 2026", "jumat 25/12/2026", "25 ags 2026"]
)
def test_the_forms_trainings_read_before_are_read_too(text):
    expected = date(2026, 12, 25) if "ags" not in text else date(2026, 8, 25)
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["١٢.٠٠", "²3.00", "08.٠٠", "٢٥/١٢/٢٠٢٦"])
def test_only_ascii_digits_count(text):
    assert parse_moment(text, TODAY).problem is Problem.UNRECOGNISED


def test_a_dotted_day_and_month_is_a_time():
    assert parse_moment("25.12", TODAY).problem is Problem.NO_SUCH_TIME
    assert parse_moment("08.30", TODAY) == Typed(at=time(8, 30))


MOMENT = datetime(2026, 12, 25, 0, 0)  # naive UTC, 08.00 WITA, a Friday


@pytest.mark.parametrize(
    ("tz", "lang", "expected"),
    [
        (WITA, "id", "Jumat, 25 Desember 2026 pukul 08.00 WITA"),
        (WITA, "en", "Friday, 25 December 2026 at 08:00 WITA"),
        (WIB, "id", "Jumat, 25 Desember 2026 pukul 07.00 WIB"),
        (WIT, "en", "Friday, 25 December 2026 at 09:00 WIT"),
        (ZoneInfo("Asia/Bangkok"), "en", "Friday, 25 December 2026 at 07:00 UTC+07:00"),
        (ZoneInfo("America/Caracas"), "id", "Kamis, 24 Desember 2026 pukul 20.00 UTC-04:00"),
    ],
)
def test_moments_read_in_the_readers_language(tz, lang, expected):
    assert format_moment(MOMENT, tz, lang) == expected
    assert format_moment(MOMENT.replace(tzinfo=UTC), tz, lang) == expected


def test_the_shorter_forms():
    assert format_moment(MOMENT, WITA, "id", with_date=False) == "08.00 WITA"
    assert format_moment(MOMENT, WITA, "en", with_date=False) == "08:00 WITA"
    assert format_day(date(2026, 1, 5), "id") == "Senin, 5 Januari 2026"
    assert format_day(date(2026, 1, 5), "en") == "Monday, 5 January 2026"
    assert format_day(date(2026, 1, 5), "id", weekday=False) == "5 Januari 2026"
    assert format_day(date(2026, 8, 1), "id", short=True) == "Sab, 1 Agu"
    assert format_day(date(2026, 8, 1), "en", short=True) == "Sat, 1 Aug"
    assert format_day(date(2026, 8, 1), "id", short=True, weekday=False) == "1 Agu 2026"
    assert format_clock(time(7, 5), "id") == "07.05"
    assert format_clock(time(19, 5), "en") == "19:05"


def test_local_and_utc_round_trip():
    local = to_local(MOMENT, WITA)
    assert (local.hour, local.tzinfo) == (8, WITA)
    assert to_utc(local.date(), local.time(), WITA) == MOMENT
    assert zone_abbreviation(WITA) == "WITA"
    assert zone_abbreviation(UTC) == "UTC+00:00"


@pytest.mark.parametrize(
    ("n", "id_text", "en_text"),
    [(0, "0", "0"), (7, "7", "7"), (1234, "1.234", "1,234"), (1234567, "1.234.567", "1,234,567")],
)
def test_counts(n, id_text, en_text):
    assert format_count(n, "id") == id_text
    assert format_count(n, "en") == en_text
