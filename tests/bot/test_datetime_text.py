"""Dates and times typed the way Indonesians write them."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.datetime_text import Problem, Typed, parse_date, parse_moment, parse_time

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
