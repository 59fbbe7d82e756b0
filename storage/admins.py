"""Officials kept in the database: added and removed by an operator from the command line.

`ADMIN_IDS` stays the way to name officials in the configuration; these rows add to it, so
an operator can give or take the rights without editing the environment and restarting.
"""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import Official

__all__ = ["add_official", "is_official", "official_ids", "remove_official"]


def add_official(session: Session, telegram_id: int) -> bool:
    """True if added, False if they were an official already."""
    if session.get(Official, telegram_id) is not None:
        return False
    session.add(Official(telegram_id=telegram_id))
    return True


def remove_official(session: Session, telegram_id: int) -> bool:
    """True if removed, False if there was no such row."""
    row = session.get(Official, telegram_id)
    if row is None:
        return False
    session.delete(row)
    return True


def is_official(session: Session, telegram_id: int) -> bool:
    return session.get(Official, telegram_id) is not None


def official_ids(session: Session) -> frozenset[int]:
    return frozenset(session.exec(select(Official.telegram_id)).all())
