"""What trainings achieved, per training and per area: signed up, attended, attendance rate,
walk-ins, rating and follow-up outcomes; and an XLSX sheet of it a BLK can take for its report.

Definitions (the same in /statistik, /ekspor and the sheet):
- attendance rate: of those who signed up ("going"), the share who attended (walk-ins are
  counted apart, so the rate never passes 100 %);
- rating: the mean of the 1–5 ratings given;
- outcomes: per attendee their latest answered follow-up; "using the skill" is yes or partly,
  "working or with a business" is working, an own, group or BUM Desa business.

Every /statistik view counts a year of trainings (a province: ~50,000 sign-ups, ~60,000
follow-ups), which change a few times a day: the figures of trainings that started before
today (UTC) are kept between views by the version token the triggers of migration 0019 renew
whenever a training, sign-up, attendance or follow-up changes (`storage.stats.KEPT`); only
today's trainings are counted at each view.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, tzinfo

import sqlalchemy as sa
from sqlalchemy import case, func, or_
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
from storage.regions import children, display_name, get_region, region_path_name, scope_filter
from storage.stats import KEPT, version_token
from storage.training import TrainingInfo
from storage.xlsx import Percent, StreamingSheet, StreamingWorkbook, Styles

__all__ = [
    "AREA_COLUMNS",
    "SHEET_COLUMNS",
    "AttendanceSheetLabels",
    "Figures",
    "TrainingFigures",
    "area_figures",
    "training_figures",
    "trainings_within",
    "write_area_sheet",
    "write_attendance_sheets",
    "write_training_sheet",
]

# The columns of the two sheets, in order; the caller translates each into a header.
SHEET_COLUMNS = (
    "id",
    "title",
    "starts",
    "place",
    "area",
    "signed_up",
    "attended",
    "rate",
    "walk_ins",
    "ratings",
    "rating",
    "answered",
    "using",
    "earning",
)
AREA_COLUMNS = (
    "area",
    "code",
    "trainings",
    "signed_up",
    "attended",
    "rate",
    "walk_ins",
    "ratings",
    "rating",
    "answered",
    "using",
    "earning",
)

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

    @staticmethod
    def total(figures: Iterable[Figures]) -> Figures:
        """The sum of many (a province's year of trainings) in one pass, not one `+` each."""
        columns = tuple(zip(*(f._counts() for f in figures), strict=True))
        return Figures(*(sum(c) for c in columns)) if columns else Figures()

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
    session: Session, scopes: Sequence[str], since: datetime | None, until: datetime
) -> list[TrainingFigures]:
    """Every training inside `scopes` that started in [since, until), oldest first (called
    off ones left out); no `since`: from the first one.

    `until` is mostly "now", so what is kept is the part before the start of its (UTC) day,
    by the token read before it (a change committed meanwhile is kept under the old token,
    which nobody asks for any more); the trainings of the day itself are counted afresh."""
    if not scopes:
        return []
    token = version_token(session, "attendance")
    closed = datetime.combine(until.date(), time())
    if token is None or (since is not None and closed <= since):
        return _count(session, scopes, since, until)
    key = ("attendance", token, tuple(scopes), since, closed)
    kept = KEPT.get_or_compute(key, lambda: tuple(_count(session, scopes, since, closed)))
    return [*kept, *(_count(session, scopes, closed, until) if closed < until else ())]


def _count(
    session: Session, scopes: Sequence[str], since: datetime | None, until: datetime
) -> list[TrainingFigures]:
    """`training_figures` from the database: counted per training (a province's year of
    trainings has tens of thousands of sign-ups, attendees and follow-ups), a few rows per
    training come back."""
    chosen = (
        col(Training.starts_at) >= (since or datetime(1970, 1, 1)),
        col(Training.starts_at) < until,
        col(Training.cancelled_at).is_(None),
        or_(*(scope_filter(Training.area_code, scope) for scope in scopes)),
    )
    trainings = session.exec(
        select(Training).where(*chosen).order_by(col(Training.starts_at), col(Training.id))
    ).all()
    if not trainings:
        return []
    ids = select(Training.id).where(*chosen)
    signed_up: dict[int, int] = dict(
        session.exec(
            select(TrainingRsvp.training_id, func.count())
            .where(col(TrainingRsvp.training_id).in_(ids), TrainingRsvp.status == RsvpStatus.GOING)
            .group_by(col(TrainingRsvp.training_id))
        ).all()
    )
    per_training = {t.id or 0: Figures(signed_up=signed_up.get(t.id or 0, 0)) for t in trainings}
    for training_id, attended, walk_ins, ratings, rating_total in session.execute(
        sa.select(  # five columns: more than sqlmodel's typed select takes
            col(Attendance.training_id),
            func.count(),
            func.sum(case((col(Attendance.walk_in), 1), else_=0)),
            func.count(col(Attendance.rating)),
            func.coalesce(func.sum(col(Attendance.rating)), 0),
        )
        .where(col(Attendance.training_id).in_(ids))
        .group_by(col(Attendance.training_id))
    ):
        per_training[training_id] += Figures(
            attended=attended,
            walk_ins=int(walk_ins or 0),
            ratings=ratings,
            rating_total=int(rating_total),
        )
    # Each attendee's latest answered follow-up (the later wave wins), counted per training.
    answered = col(FollowUp.answered_at).is_not(None)
    latest = (
        sa.select(
            col(FollowUp.attendance_id).label("attendance_id"),
            func.max(col(FollowUp.days)).label("days"),
        )
        .where(answered)
        .group_by(col(FollowUp.attendance_id))
        .subquery()
    )
    for training_id, count, using, earning in session.execute(
        sa.select(
            col(Attendance.training_id),
            func.count(),
            func.sum(case((col(FollowUp.used).in_(_USING), 1), else_=0)),
            func.sum(case((col(FollowUp.situation).in_(_EARNING), 1), else_=0)),
        )
        .select_from(FollowUp)
        .join(
            latest,
            sa.and_(
                latest.c.attendance_id == col(FollowUp.attendance_id),
                latest.c.days == col(FollowUp.days),
            ),
        )
        .join(Attendance, col(Attendance.id) == col(FollowUp.attendance_id))
        .where(col(Attendance.training_id).in_(ids), answered)
        .group_by(col(Attendance.training_id))
    ):
        per_training[training_id] += Figures(
            answered=count, using_skill=int(using or 0), earning=int(earning or 0)
        )
    return [TrainingFigures(TrainingInfo.of(t), per_training[t.id or 0]) for t in trainings]


def trainings_within(rows: Iterable[TrainingFigures], area: str) -> list[TrainingFigures]:
    """The trainings held for `area` itself or an area inside it."""
    return [
        r
        for r in rows
        if r.training.area_code == area or r.training.area_code.startswith(area + ".")
    ]


def area_figures(rows: Iterable[TrainingFigures], areas: Sequence[str]) -> dict[str, Figures]:
    """The trainings' figures summed per area of `areas` (e.g. the kecamatan of a city): a
    training counts for the area it was held for and every area around that, never for the
    areas inside a wider one (a kota-wide training is no kecamatan's), so the kecamatan of
    a kota and the kota-wide trainings add up to the kota."""
    rows = list(rows)
    return {area: Figures.total(r.figures for r in trainings_within(rows, area)) for area in areas}


def write_training_sheet(
    workbook: StreamingWorkbook,
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

    def values() -> Iterable[list[object]]:
        for row in rows:
            t = row.training
            local = t.starts_at.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
            place = [t.id, t.title, local, t.place, area_names.get(t.area_code, t.area_code)]
            yield place + _figure_cells(row.figures)

    sheet.write_rows(values(), None)
    sheet.finish()
    return sheet


def _figure_cells(f: Figures) -> list[object]:
    """The figure columns both sheets share, from signed up to the earning share."""
    return [
        f.signed_up,
        f.attended,
        _percent(f.attendance_rate),
        f.walk_ins,
        f.ratings,
        None if f.rating is None else round(f.rating, 2),
        f.answered,
        _percent(f.using_skill_share),
        _percent(f.earning_share),
    ]


def _percent(value: float | None) -> Percent | None:
    return None if value is None else Percent(value)


@dataclass(frozen=True)
class AttendanceSheetLabels:
    """The texts of the two attendance sheets of an export, in the asker's language: the
    per-training sheet (`headers` name `SHEET_COLUMNS`), the per-area sheet (`area_headers`
    name `AREA_COLUMNS`) and the word before an area's name on its total row."""

    title: str
    headers: tuple[str, ...]
    area_title: str
    area_headers: tuple[str, ...]
    total: str


AREA_WIDTHS = (30, 15, 10, 10, 10, 12, 10, 10, 10, 12, 14, 16)


def write_area_sheet(
    workbook: StreamingWorkbook,
    styles: Styles,
    title: str,
    headers: Sequence[str],
    rows: Sequence[TrainingFigures],
    areas: Sequence[tuple[str, str]],
) -> StreamingSheet:
    """One row per (name, code) of `areas`: trainings held for it or inside it and their
    figures summed (rates recomputed from the sums, never averaged)."""
    sheet = StreamingSheet(workbook, title, headers, AREA_WIDTHS, styles)

    def values() -> Iterable[list[object]]:
        for name, code in areas:
            inside = trainings_within(rows, code)
            yield [
                name,
                code,
                len(inside),
                *_figure_cells(Figures.total(r.figures for r in inside)),
            ]

    sheet.write_rows(values(), None)
    sheet.finish()
    return sheet


def write_attendance_sheets(
    workbook: StreamingWorkbook,
    styles: Styles,
    session: Session,
    scopes: Sequence[str],
    until: datetime,
    labels: AttendanceSheetLabels,
    tz: tzinfo,
) -> dict[str, int]:
    """The export's attendance sheets for `scopes`, every training held before `until`
    (one not yet held has no attendance to report): per training, then per area (each
    scope's sub-areas and its total). Returns the rows written per sheet title.

    Only trainings held for the scopes or inside them count: a kota-wide training's
    figures are the whole kota's, not a kecamatan coordinator's to take away."""
    rows = training_figures(session, scopes, None, until)
    names = {code: region_path_name(session, code) for code in {r.training.area_code for r in rows}}
    per_training = write_training_sheet(
        workbook, styles, labels.title, labels.headers, rows, names, tz
    )
    areas: list[tuple[str, str]] = []
    for scope in scopes:
        region = get_region(session, scope)
        if region is None:
            continue
        areas += [(kid.name, kid.code) for kid in children(session, scope)]
        areas.append((f"{labels.total} {display_name(region)}", scope))
    per_area = write_area_sheet(
        workbook, styles, labels.area_title, labels.area_headers, rows, areas
    )
    return {labels.title: per_training.rows_written, labels.area_title: per_area.rows_written}
