"""Dates and times typed the way Indonesians write them — pure parsing, no Telegram.

Accepted, case-insensitive, with optional "jam"/"pukul"/"pkl" and a trailing "WITA":

* times: ``08.00``, ``08:00``, ``8.30``, ``0830``, ``jam 8``, ``7 malam`` (19.00),
  ``3 sore`` (15.00), ``1 siang`` (13.00), ``12 malam`` (00.00);
* dates: ``25/12/2026``, ``25-12-2026``, ``25/12/26``, ``25/12`` (the next such day),
  ``25 Desember 2026``, ``25 des``, ``hari ini``, ``besok``, ``lusa``, and a weekday name
  (``senin`` = the next Monday, never today);
* both together: ``25/12/2026 08.00``, ``besok 08.00``, ``senin jam 9``.

Errors are typed (`Problem`) so the reply can say exactly what is wrong — 31/02 "does not
exist" is a different answer from text that is not a date at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

__all__ = ["Problem", "Typed", "parse_date", "parse_moment", "parse_time"]

MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "agst": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nopember": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}  # fmt: skip
WEEKDAYS = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "sabtu": 5,
    "minggu": 6, "ahad": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip
RELATIVE_DAYS = {"hari ini": 0, "today": 0, "besok": 1, "tomorrow": 1, "lusa": 2}

_TIME_RE = re.compile(
    r"^(?:jam|pukul|pkl\.?|pk\.?|at)?\s*(\d{1,2})(?:[.:](\d{2})|(\d{2}))?"
    r"\s*(pagi|siang|sore|malam)?\s*(?:wita)?$"
)
_NUMERIC_DATE_RE = re.compile(r"^(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2}|\d{4}))?$")
_NAMED_DATE_RE = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?(?:\s+(\d{4}))?$")


class Problem(StrEnum):
    """Why typed text is not a usable date or time."""

    UNRECOGNISED = "unrecognised"  # not a date/time we can read
    NO_SUCH_DATE = "no_such_date"  # looks like a date, but is not one (31/02, 0/13)
    NO_SUCH_TIME = "no_such_time"  # looks like a time, but is not one (25.00, 08.75)


@dataclass(frozen=True)
class Typed:
    """A parsed date and/or time, or the problem with the text."""

    day: date | None = None
    at: time | None = None
    problem: Problem | None = None


def _clean(text: str) -> str:
    return " ".join(text.lower().replace("\u00a0", " ").split()).strip(" ,")


def parse_time(text: str) -> time | Problem:
    """`08.00`, `8:30`, `0830`, `jam 8`, `7 malam` → a time of day."""
    match = _TIME_RE.match(_clean(text))
    if not match:
        return Problem.UNRECOGNISED
    hour = int(match[1])
    minute = int(match[2] or match[3] or 0)
    part = match[4]
    if part and hour <= 12:
        if part == "malam":
            hour = 0 if hour == 12 else hour + 12 if hour >= 6 else hour
        elif part == "sore":
            hour = hour + 12 if hour < 12 else hour
        elif part == "siang":
            hour = hour + 12 if hour < 6 else hour
        elif part == "pagi" and hour == 12:
            hour = 0
    if hour > 23 or minute > 59:
        return Problem.NO_SUCH_TIME
    return time(hour, minute)


def _make_date(year: int, month: int, day: int) -> date | Problem:
    try:
        return date(year, month, day)
    except ValueError:
        return Problem.NO_SUCH_DATE


def _next_yearly(today: date, month: int, day: int) -> date | Problem:
    """A day and month without a year: this year's, or next year's if it has passed."""
    this_year = _make_date(today.year, month, day)
    if isinstance(this_year, date) and this_year >= today:
        return this_year
    if this_year is Problem.NO_SUCH_DATE and (month, day) != (2, 29):
        return this_year
    for year in range(today.year + 1, today.year + 9):  # 29/02: the next leap year
        found = _make_date(year, month, day)
        if isinstance(found, date):
            return found
    return Problem.NO_SUCH_DATE


def parse_date(text: str, today: date) -> date | Problem:
    """`25/12/2026`, `25/12`, `25 Desember 2026`, `besok`, `senin` → a date (`today` anchors)."""
    cleaned = _clean(text).removeprefix("tanggal ").removeprefix("tgl ").strip()
    cleaned = cleaned.removeprefix("hari ").strip() if cleaned != "hari ini" else cleaned
    if cleaned in RELATIVE_DAYS:
        return today + timedelta(days=RELATIVE_DAYS[cleaned])
    words = cleaned.split()
    if words and words[0] in WEEKDAYS and (len(words) == 1 or words[1:] == ["depan"]):
        ahead = (WEEKDAYS[words[0]] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    numeric = _NUMERIC_DATE_RE.match(cleaned)
    if numeric:
        day, month = int(numeric[1]), int(numeric[2])
        if numeric[3] is None:
            return _next_yearly(today, month, day)
        year = int(numeric[3])
        return _make_date(year + 2000 if year < 100 else year, month, day)
    named = _NAMED_DATE_RE.match(cleaned)
    if named and named[2] in MONTHS:
        day, month = int(named[1]), MONTHS[named[2]]
        if named[3] is None:
            return _next_yearly(today, month, day)
        return _make_date(int(named[3]), month, day)
    return Problem.UNRECOGNISED


def parse_moment(text: str, today: date) -> Typed:
    """A date, a time, or both (`25/12/2026 08.00`, `besok jam 8`, `08.00`, `besok`)."""
    cleaned = _clean(text)
    if not cleaned:
        return Typed(problem=Problem.UNRECOGNISED)
    only_date = parse_date(cleaned, today)
    if isinstance(only_date, date):
        return Typed(day=only_date)
    only_time = parse_time(cleaned)
    if isinstance(only_time, time):
        return Typed(at=only_time)
    problems = [only_date, only_time]
    words = cleaned.split()
    # The time is whatever follows the date; try every split, date first.
    for cut in range(1, len(words)):
        day = parse_date(" ".join(words[:cut]).strip(","), today)
        at = parse_time(" ".join(words[cut:]).strip(","))
        if isinstance(day, date) and isinstance(at, time):
            return Typed(day=day, at=at)
        if isinstance(day, date):
            problems.append(Problem.NO_SUCH_TIME if at is Problem.UNRECOGNISED else at)
        elif isinstance(at, time):
            problems.append(day)
    for problem in (Problem.NO_SUCH_DATE, Problem.NO_SUCH_TIME):
        if problem in problems:
            return Typed(problem=problem)
    return Typed(problem=Problem.UNRECOGNISED)
