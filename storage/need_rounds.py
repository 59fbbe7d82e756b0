"""Survey rounds: who was invited, who answered, and the one reminder before the deadline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from storage.models import AppUser, Cadre, NeedAnswer, NeedInvite, NeedRound, utcnow
from storage.regions import scope_filter

__all__ = [
    "REMIND_BEFORE",
    "RoundInfo",
    "RoundProgress",
    "close_round",
    "due_reminders",
    "get_round",
    "mark_reminded",
    "non_responders",
    "open_round",
    "period_of",
    "remind_time",
    "round_progress",
    "rounds_within",
]

REMIND_BEFORE = timedelta(days=1)  # non-responders are reminded a day before the deadline


def period_of(round_id: int | None, year: int) -> str:
    """The period an answer belongs to: its round, else its calendar year."""
    return f"round:{round_id}" if round_id is not None else f"year:{year}"


@dataclass(frozen=True)
class RoundInfo:
    id: int
    scope_code: str
    institutions: tuple[str, ...]
    opened_by: int
    opened_at: datetime
    deadline: datetime
    remind_at: datetime
    reminded_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def of(cls, row: NeedRound) -> RoundInfo:
        assert row.id is not None
        return cls(
            row.id,
            row.scope_code,
            tuple(row.institutions),
            row.opened_by,
            row.opened_at,
            row.deadline,
            row.remind_at,
            row.reminded_at,
            row.closed_at,
        )

    def is_open(self, now: datetime) -> bool:
        return self.closed_at is None and self.deadline > now


def remind_time(opened_at: datetime, deadline: datetime) -> datetime:
    """A day before the deadline, or half-way there for a round shorter than two days."""
    return max(deadline - REMIND_BEFORE, opened_at + (deadline - opened_at) / 2)


def open_round(
    session: Session,
    *,
    scope: str,
    institutions: Sequence[str],
    opened_by: int,
    deadline: datetime,
    now: datetime | None = None,
) -> tuple[RoundInfo, list[int]]:
    """Open a round and record its invitations: the cadres of `scope` (and institutions) who
    want announcements and can be reached. Returns the round and the invited cadres."""
    now = now or utcnow()
    row = NeedRound(
        scope_code=scope,
        institutions=list(institutions),
        opened_by=opened_by,
        opened_at=now,
        deadline=deadline,
        remind_at=remind_time(now, deadline),
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    query = (
        select(Cadre.telegram_id, Cadre.village_code)
        .outerjoin(AppUser, col(AppUser.telegram_id) == Cadre.telegram_id)
        .where(
            scope_filter(Cadre.village_code, scope),
            col(Cadre.receive_broadcasts).is_(True),
            col(AppUser.unreachable_since).is_(None),
        )
        .order_by(col(Cadre.id))
    )
    if institutions:
        query = query.where(col(Cadre.institution).in_(list(institutions)))
    invited = session.exec(query).all()
    session.add_all(
        NeedInvite(round_id=row.id, telegram_id=telegram_id, village_code=village)
        for telegram_id, village in invited
    )
    return RoundInfo.of(row), [telegram_id for telegram_id, _ in invited]


def get_round(session: Session, round_id: int) -> RoundInfo | None:
    row = session.get(NeedRound, round_id)
    return RoundInfo.of(row) if row else None


def rounds_within(session: Session, scopes: Sequence[str], limit: int = 8) -> list[RoundInfo]:
    """The latest rounds of areas inside `scopes`, newest first."""
    if not scopes:
        return []
    inside = [scope_filter(NeedRound.scope_code, scope) for scope in scopes]
    rows = session.exec(
        select(NeedRound)
        .where(or_(*inside))
        .order_by(col(NeedRound.opened_at).desc(), col(NeedRound.id).desc())
        .limit(limit)
    ).all()
    return [RoundInfo.of(r) for r in rows]


def close_round(
    session: Session, round_id: int, closed_by: int, now: datetime | None = None
) -> bool:
    """Close an open round early; False if it was closed already."""
    result = session.exec(
        update(NeedRound)
        .where(col(NeedRound.id) == round_id, col(NeedRound.closed_at).is_(None))
        .values(closed_at=now or utcnow(), closed_by=closed_by)
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class RoundProgress:
    """Answered and invited cadres of one sub-area of a round."""

    code: str
    answered: int
    invited: int


def _answered(round_id: int) -> ColumnElement[bool]:
    return and_(
        col(NeedAnswer.telegram_id) == NeedInvite.telegram_id,
        col(NeedAnswer.round_id) == round_id,
    )


def round_progress(session: Session, round_id: int, child_width: int) -> list[RoundProgress]:
    """Per sub-area (codes `child_width` long) of the round: answered / invited, by code."""
    child = func.substr(NeedInvite.village_code, 1, child_width)
    rows = session.execute(
        select(child, func.count(col(NeedAnswer.id)), func.count())
        .select_from(NeedInvite)
        .outerjoin(NeedAnswer, _answered(round_id))
        .where(col(NeedInvite.round_id) == round_id)
        .group_by(child)
        .order_by(child)
    ).all()
    return [RoundProgress(code, int(answered), int(invited)) for code, answered, invited in rows]


def non_responders(session: Session, round_id: int) -> list[int]:
    """Invited cadres who have not answered this round, still registered and reachable."""
    rows = session.exec(
        select(NeedInvite.telegram_id)
        .join(Cadre, col(Cadre.telegram_id) == NeedInvite.telegram_id)
        .outerjoin(AppUser, col(AppUser.telegram_id) == NeedInvite.telegram_id)
        .outerjoin(NeedAnswer, _answered(round_id))
        .where(
            col(NeedInvite.round_id) == round_id,
            col(NeedAnswer.id).is_(None),
            col(Cadre.receive_broadcasts).is_(True),
            col(AppUser.unreachable_since).is_(None),
        )
        .order_by(col(NeedInvite.telegram_id))
    ).all()
    return list(rows)


def due_reminders(session: Session, now: datetime | None = None) -> list[RoundInfo]:
    """Open rounds whose reminder is due and not yet sent."""
    now = now or utcnow()
    rows = session.exec(
        select(NeedRound).where(
            col(NeedRound.reminded_at).is_(None),
            col(NeedRound.remind_at) <= now,
            col(NeedRound.closed_at).is_(None),
            col(NeedRound.deadline) > now,
        )
    ).all()
    return [RoundInfo.of(r) for r in rows]


def mark_reminded(session: Session, round_id: int, now: datetime | None = None) -> bool:
    """Record that the round's reminder is in the outbox; False if it was recorded already."""
    result = session.exec(
        update(NeedRound)
        .where(col(NeedRound.id) == round_id, col(NeedRound.reminded_at).is_(None))
        .values(reminded_at=now or utcnow())
    )
    return bool(result.rowcount)
