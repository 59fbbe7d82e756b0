"""What trainings achieved, per training and per area: signed up, attended, attendance rate,
walk-ins, rating and follow-up outcomes; and an XLSX sheet of it a BLK can take for its report.

Definitions (the same in /statistik, /ekspor and the sheet):
- attendance rate: of those who signed up ("going"), the share who attended (walk-ins are
  counted apart, so the rate never passes 100 %);
- rating: the mean of the 1–5 ratings given;
- outcomes: per attendee their latest answered follow-up; "using the skill" is yes or partly,
  "working or with a business" is working, an own, group or BUM Desa business.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from openpyxl import Workbook
from sqlalchemy import or_
from sqlmodel import Session, col, select

from storage.models import (
    Attendance,
    FollowUp,
    RsvpStatus,
    Situation,
    Training,
    TrainingRsvp,
    UsedSkill,
)
from storage.regions import scope_filter
from storage.training import TrainingInfo
from storage.xlsx import Percent, StreamingSheet, Styles

__all__ = [
    "Figures",
    "TrainingFigures",
    "area_figures",
    "training_figures",
    "write_training_sheet",
]

_USING = frozenset({UsedSkill.YES, UsedSkill.PARTLY})
_EARNING = frozenset({Situation.WORKING, Situation.OWN_BUSINESS, Situation.GROUP_BUSINESS})


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Figures:
    """Counts that add up across trainings; the rates are derived from them."""

    signed_up: int = 0
    attended: int = 0
    walk_ins: int = 0
    ratings: int = 0
    rating_total: int = 0
    answered: int = 0  # attendees with an answered follow-up
    using_skill: int = 0
    earning: int = 0  # working or with a business

    @property
    def attendance_rate(self) -> float | None:
        return _share(self.attended - self.walk_ins, self.signed_up)

    @property
    def rating(self) -> float | None:
        return self.rating_total / self.ratings if self.ratings else None

    @property
    def using_skill_share(self) -> float | None:
        return _share(self.using_skill, self.answered)

    @property
    def earning_share(self) -> float | None:
        return _share(self.earning, self.answered)

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(self._counts(), other._counts(), strict=True)))

    def _counts(self) -> tuple[int, ...]:
        return (
            self.signed_up,
            self.attended,
            self.walk_ins,
            self.ratings,
            self.rating_total,
            self.answered,
            self.using_skill,
            self.earning,
        )


@dataclass(frozen=True)
class TrainingFigures:
    training: TrainingInfo
    figures: Figures = field(default_factory=Figures)


def training_figures(
    session: Session, scopes: Sequence[str], since: datetime, until: datetime
) -> list[TrainingFigures]:
    """Every training inside `scopes` that started in [since, until), oldest first (called
    off ones left out)."""
    if not scopes:
        return []
    trainings = session.exec(
        select(Training)
        .where(
            col(Training.starts_at) >= since,
            col(Training.starts_at) < until,
            col(Training.cancelled_at).is_(None),
            or_(*(scope_filter(Training.area_code, scope) for scope in scopes)),
        )
        .order_by(col(Training.starts_at), col(Training.id))
    ).all()
    ids = [t.id for t in trainings]
    if not ids:
        return []
    signed_up: dict[int, int] = defaultdict(int)
    for training_id in session.exec(
        select(TrainingRsvp.training_id).where(
            col(TrainingRsvp.training_id).in_(ids), TrainingRsvp.status == RsvpStatus.GOING
        )
    ):
        signed_up[training_id] += 1
    attendance = session.exec(select(Attendance).where(col(Attendance.training_id).in_(ids))).all()
    latest: dict[int, FollowUp] = {}
    for followup in session.exec(
        select(FollowUp)
        .where(
            col(FollowUp.attendance_id).in_([a.id for a in attendance]),
            col(FollowUp.answered_at).is_not(None),
        )
        .order_by(col(FollowUp.days))
    ):
        latest[followup.attendance_id] = followup  # the later wave wins
    per_training: dict[int, Figures] = {i: Figures(signed_up=signed_up[i]) for i in ids if i}
    for a in attendance:
        answer = latest.get(a.id or 0)
        per_training[a.training_id] += Figures(
            attended=1,
            walk_ins=int(a.walk_in),
            ratings=int(a.rating is not None),
            rating_total=a.rating or 0,
            answered=int(answer is not None),
            using_skill=int(answer is not None and answer.used in _USING),
            earning=int(answer is not None and answer.situation in _EARNING),
        )
    return [TrainingFigures(TrainingInfo.of(t), per_training[t.id or 0]) for t in trainings]


def area_figures(rows: Iterable[TrainingFigures], areas: Sequence[str]) -> dict[str, Figures]:
    """The trainings' figures summed per area of `areas` (e.g. the kecamatan of a city): a
    training counts for the areas its own area lies in, or that lie in it."""
    totals = {area: Figures() for area in areas}
    for row in rows:
        code = row.training.area_code
        for area in areas:
            if code == area or code.startswith(area + ".") or area.startswith(code + "."):
                totals[area] += row.figures
    return totals


def write_training_sheet(
    workbook: Workbook,
    styles: Styles,
    title: str,
    headers: Sequence[str],
    rows: Iterable[TrainingFigures],
    area_names: dict[str, str],
    tz: tzinfo,
) -> StreamingSheet:
    """One row per training: id, title, start (local time), place, area; signed up, attended,
    attendance rate, walk-ins; ratings given, mean rating; follow-ups answered, share using
    the skill, share working or with a business.

    `headers` are the caller's (translated) names of those 14 columns, in that order.
    """
    widths = (8, 40, 18, 30, 30, 10, 10, 12, 10, 10, 10, 12, 14, 16)
    sheet = StreamingSheet(workbook, title, headers, widths, styles)

    def percent(value: float | None) -> Percent | None:
        return None if value is None else Percent(value)

    def values() -> Iterable[list[object]]:
        for row in rows:
            t, f = row.training, row.figures
            local = t.starts_at.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
            yield [
                t.id,
                t.title,
                local,
                t.place,
                area_names.get(t.area_code, t.area_code),
                f.signed_up,
                f.attended,
                percent(f.attendance_rate),
                f.walk_ins,
                f.ratings,
                None if f.rating is None else round(f.rating, 2),
                f.answered,
                percent(f.using_skill_share),
                percent(f.earning_share),
            ]

    sheet.write_rows(values(), None)
    sheet.finish()
    return sheet
