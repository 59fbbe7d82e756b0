"""What every table shares: how a timestamp is stored.

Times are stored in UTC (naive `datetime` in UTC, the same on SQLite and PostgreSQL) and
converted to the forum's timezone only when shown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint

__all__ = ["one_of", "utcnow"]


def utcnow() -> datetime:
    """Current UTC time without tzinfo (how every timestamp is stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def one_of(table: str, column: str, values: type[StrEnum]) -> CheckConstraint:
    """A check that `column` holds one of a closed set's values (named `ck_<table>_<column>`)."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}")
