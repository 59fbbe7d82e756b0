"""Statistics of an area and a period, aggregated in SQL (Telegram-free).

The figures are organised in sections: cadres (registered, active, unreachable, coverage,
institutions), reports, trainings and broadcasts.

Every area filter is a range on the dotted region code (`'64.74.' <= code < '64.74/'`, as '/'
sorts right after '.'), compared byte by byte so the btree index applies on SQLite and on
PostgreSQL whatever the database collation (see `storage.coderange`). Groupings run first per
kelurahan/desa, in the order of covering indexes, then roll up to the sub-regions shown.
Deliveries of broadcasts (millions of rows) are folded once per settled broadcast into
per-kelurahan sums (`summarise_deliveries`), which never change afterwards.

At province scale (100,000 cadres, 300,000 reports) a view must not re-read what did not
change: cadre activity sits next to the cadre's place in `stats_cadre` (kept by triggers),
and the figures of reports and of folded deliveries are kept in memory, keyed by the version
token that triggers renew whenever those tables change (`stats_version`, migration
0017_stats_perf), so a token from any worker or process invalidates them at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Table,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from storage.coderange import CODE_LENGTH, code_within, village_within
from storage.models import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    Cadre,
    CadreActivity,
    DeliverySummary,
    Region,
    Report,
    ReportStatus,
    RsvpStatus,
    StatsVersion,
    SummarisedBroadcast,
    Training,
    TrainingRsvp,
    utcnow,
)
from storage.regions import LEVELS, RegionInfo, children, get_region

__all__ = [
    "ACTIVE_DAYS",
    "AreaStatistics",
    "BroadcastFigures",
    "CadreCounts",
    "ChildFigures",
    "Period",
    "ReportFigures",
    "TrainingFigures",
    "Window",
    "area_statistics",
    "deliveries_by_broadcast",
    "empty_villages",
    "fold_deliveries",
    "period_window",
    "report_channelled",
    "summarise_deliveries",
    "version_token",
]

ACTIVE_DAYS = 30
# Figures that depend on the clock (who was active in the last 30 days, which trainings were
# held) are kept for this many minutes: counting a province's cadres again costs 60–100 ms, so
# a view recounts at most once a step, and a cadre's return shows within it.
STEP_MINUTES = 5


# ---------------------------------------------------------------- figures kept between views

_T = TypeVar("_T")


class _KeptFigures:
    """The last figures computed from rarely changing tables, by their version token.

    A key holds the token it was computed under, so a change (a new token) simply misses;
    old entries age out. Shared by every thread of the process (views compose in workers).
    Bounded by entries: one of folded deliveries holds a tuple per broadcast (~120 kB for
    1,000 broadcasts), so 128 of them stay under ~15 MB.
    """

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable | None, compute: Callable[[], _T]) -> _T:
        """`compute()` unless figures for `key` are kept; None (no token yet) never keeps."""
        if key is None:
            return compute()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                found: _T = self._items[key]
                return found
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


KEPT = _KeptFigures()


def version_token(session: Session, name: str) -> str | None:
    """The current version token of a table's figures (None until the table first changes).

    Read before the figures: a change committed in between is then computed under the old
    token, which nobody asks for any more — never the other way round."""
    found: str | None = session.scalar(
        select(col(StatsVersion.token)).where(col(StatsVersion.name) == name)
    )
    return found


# ---------------------------------------------------------------- periods


class Period(StrEnum):
    """The periods offered on the statistics buttons (values are callback-data codes)."""

    MONTH = "m"
    QUARTER = "q"  # this month and the two before it
    YEAR = "y"
    ALL = "a"


@dataclass(frozen=True)
class Window:
    """A period as local dates (for display) and as naive-UTC bounds (for queries)."""

    period: Period
    first_day: date | None
    last_day: date
    start_utc: datetime | None
    now_utc: datetime

    def contains(self, column: Any) -> ColumnElement[bool]:
        if self.start_utc is None:
            return literal(True)
        return column >= self.start_utc


def period_window(period: Period, tz: ZoneInfo, now: datetime | None = None) -> Window:
    """Calendar periods in the forum's timezone, e.g. "this month" starts at 00:00 WITA."""
    now = now or utcnow()
    local_today = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date()
    if period is Period.ALL:
        return Window(period, None, local_today, None, now)
    if period is Period.MONTH:
        first = local_today.replace(day=1)
    elif period is Period.QUARTER:
        month_index = local_today.year * 12 + local_today.month - 1 - 2
        first = date(month_index // 12, month_index % 12 + 1, 1)
    else:
        first = local_today.replace(month=1, day=1)
    start = datetime.combine(first, time(), tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    return Window(period, first, local_today, start, now)


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class CadreCounts:
    """Cadre figures of one area; `joined` counts registrations inside the period."""

    cadres: int = 0
    active: int = 0
    unreachable: int = 0
    joined: int = 0
    villages: int = 0
    covered: int = 0

    def __add__(self, other: CadreCounts) -> CadreCounts:
        return CadreCounts(*(a + b for a, b in zip(_counts(self), _counts(other), strict=True)))


def _counts(c: CadreCounts) -> tuple[int, ...]:
    return (c.cadres, c.active, c.unreachable, c.joined, c.villages, c.covered)


@dataclass(frozen=True)
class ChildFigures:
    """One row of the breakdown one level below the area."""

    region: RegionInfo
    counts: CadreCounts
    reports: int


@dataclass(frozen=True)
class ReportFigures:
    """Innovation reports submitted in the period (status as it is now)."""

    total: int
    channelled: int
    by_category: tuple[tuple[str, int], ...]
    by_status: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class TrainingFigures:
    """Trainings for the area (its own or below) starting in the period, and their sign-ups.

    `quota` sums the quotas of those that have one, `quota_filled` their seats taken.
    """

    held: int
    upcoming: int
    going: int
    waiting: int
    quota: int
    quota_filled: int

    @property
    def trainings(self) -> int:
        return self.held + self.upcoming


@dataclass(frozen=True)
class BroadcastFigures:
    """Broadcasts made in the period that reached cadres of the area, and how delivery went
    to those cadres (`other`: still waiting, or cancelled before being sent)."""

    broadcasts: int
    delivered: int
    failed: int
    other: int

    @property
    def recipients(self) -> int:
        return self.delivered + self.failed + self.other


@dataclass(frozen=True)
class AreaStatistics:
    """Everything `/statistik` shows for one area and period."""

    area: RegionInfo
    window: Window
    totals: CadreCounts
    by_institution: tuple[tuple[str, int], ...]
    children: tuple[ChildFigures, ...]
    empty_villages: tuple[RegionInfo, ...]
    reports: ReportFigures
    trainings: TrainingFigures
    broadcasts: BroadcastFigures

    @property
    def child_level(self) -> str | None:
        index = LEVELS.index(self.area.level)
        return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


def area_statistics(
    session: Session,
    area_code: str,
    period: Period,
    tz: ZoneInfo,
    *,
    now: datetime | None = None,
) -> AreaStatistics | None:
    """Figures of `area_code` for `period`; None if the region does not exist."""
    area = get_region(session, area_code)
    if area is None:
        return None
    window = period_window(period, tz, now or utcnow())
    child_level = LEVELS[LEVELS.index(area.level) + 1] if area.level != LEVELS[-1] else area.level
    width = CODE_LENGTH[child_level]

    # Read before the figures, like the report token below (see `version_token`).
    cadre_token = version_token(session, "cadre")
    per_child, by_institution = KEPT.get_or_compute(
        ("cadre", cadre_token, area.code, width, window.start_utc, _step(window.now_utc))
        if cadre_token
        else None,
        lambda: _cadre_groups(session, area.code, width, window),
    )
    coverage, empty = KEPT.get_or_compute(
        ("coverage", cadre_token, area.code, width) if cadre_token else None,
        lambda: (
            _coverage_by_child(session, area.code, width),
            tuple(empty_villages(session, area.code)),
        ),
    )
    report_token = version_token(session, "report")
    reports, reports_by_child = KEPT.get_or_compute(
        ("report", report_token, area.code, width, window.start_utc) if report_token else None,
        lambda: _report_groups(session, area.code, width, window),
    )

    kids = children(session, area.code) if area.level != LEVELS[-1] else [area]
    rows = []
    for kid in kids:
        counts = per_child.get(kid.code, CadreCounts())
        villages, covered = coverage.get(kid.code, (0, 0))
        counts = CadreCounts(
            counts.cadres, counts.active, counts.unreachable, counts.joined, villages, covered
        )
        rows.append(ChildFigures(kid, counts, reports_by_child.get(kid.code, 0)))
    totals = sum((row.counts for row in rows), CadreCounts())
    if area.level == LEVELS[-1]:
        rows = []

    return AreaStatistics(
        area=area,
        window=window,
        totals=totals,
        by_institution=by_institution,
        children=tuple(rows),
        empty_villages=tuple(empty),
        reports=reports,
        trainings=_kept_training_figures(session, area.code, window),
        broadcasts=_broadcast_figures(session, area.code, window),
    )


def _cadre_groups(
    session: Session, area: str, width: int, window: Window
) -> tuple[dict[str, CadreCounts], tuple[tuple[str, int], ...]]:
    """One pass over the area's cadres, grouped by sub-region and institution.

    `stats_cadre` holds each cadre's activity next to its place (kept by triggers), so the
    inner query is an index-only scan grouped by kelurahan/desa, in the order of its covering
    index, without a sort or a join; the outer one rolls the (at most a few thousand) groups
    up to sub-regions.

    Active means seen since the start of the current step (`STEP_MINUTES`) `ACTIVE_DAYS` ago:
    the figures depend on nothing else than the area, the period, that step and the "cadre"
    token (migration 0021: renewed by any change but activity), so a view kept under the same
    key is exact but for cadres seen again within the current step, who count from the next.
    """
    active_since = _step(window.now_utc) - timedelta(days=ACTIVE_DAYS)
    per_village = (
        select(
            col(CadreActivity.village_code).label("village"),
            col(CadreActivity.institution).label("institution"),
            func.count().label("cadres"),
            func.sum(case((col(CadreActivity.last_seen_at) >= active_since, 1), else_=0)).label(
                "active"
            ),
            func.sum(case((col(CadreActivity.unreachable), 1), else_=0)).label("unreachable"),
            func.sum(case((window.contains(CadreActivity.registered_at), 1), else_=0)).label(
                "joined"
            ),
        )
        .where(village_within(CadreActivity.village_code, area))
        .group_by(col(CadreActivity.village_code), col(CadreActivity.institution))
        .subquery()
    )
    child = func.substr(per_village.c.village, 1, width).label("child")
    stmt = select(
        child,
        per_village.c.institution,
        func.sum(per_village.c.cadres),
        func.sum(per_village.c.active),
        func.sum(per_village.c.unreachable),
        func.sum(per_village.c.joined),
    ).group_by(child, per_village.c.institution)
    per_child: dict[str, CadreCounts] = {}
    per_institution: dict[str, int] = {}
    for code, institution, cadres, active, unreachable, joined in session.execute(stmt):
        previous = per_child.get(code, CadreCounts())
        per_child[code] = previous + CadreCounts(
            int(cadres), int(active or 0), int(unreachable or 0), int(joined or 0)
        )
        per_institution[institution] = per_institution.get(institution, 0) + int(cadres)
    ranked = tuple(sorted(per_institution.items(), key=lambda item: (-item[1], item[0])))
    return per_child, ranked


def _step(moment: datetime) -> datetime:
    """The start of the `STEP` that `moment` is in: what "now" means to kept figures."""
    return moment.replace(
        minute=moment.minute - moment.minute % STEP_MINUTES, second=0, microsecond=0
    )


def _has_cadre(village: Any) -> Any:
    return exists().where(col(Cadre.village_code) == village)


def _coverage_by_child(session: Session, area: str, width: int) -> dict[str, tuple[int, int]]:
    """Per sub-region: (kelurahan/desa in it, of which with at least one cadre)."""
    child = func.substr(Region.code, 1, width).label("child")
    stmt = (
        select(
            child,
            func.count(),
            func.sum(case((_has_cadre(Region.code), 1), else_=0)),
        )
        .where(col(Region.level) == "village", village_within(Region.code, area))
        .group_by(child)
    )
    return {code: (int(total), int(covered or 0)) for code, total, covered in session.execute(stmt)}


def empty_villages(session: Session, area: str) -> list[RegionInfo]:
    """Kelurahan/desa of the area without a single registered cadre, in code order."""
    stmt = (
        select(Region)
        .where(
            col(Region.level) == "village",
            village_within(Region.code, area),
            ~_has_cadre(Region.code),
        )
        .order_by(col(Region.code))
    )
    return [RegionInfo.of(row) for row in session.scalars(stmt)]


# Channelled: featured to the whole forum through the delivery engine, or posted to the channel.
report_channelled = or_(
    col(Report.featured_at).is_not(None), col(Report.channel_posted_at).is_not(None)
)


def _report_groups(
    session: Session, area: str, width: int, window: Window
) -> tuple[ReportFigures, dict[str, int]]:
    """Reports submitted in the period, grouped by sub-region, category and status.

    Grouped by kelurahan/desa first, in the order of the covering index (no sort), then rolled
    up to sub-regions.
    """
    per_village = (
        select(
            col(Report.village_code).label("village"),
            col(Report.category).label("category"),
            col(Report.status).label("status"),
            func.count().label("reports"),
            func.sum(case((report_channelled, 1), else_=0)).label("channelled"),
        )
        .where(village_within(Report.village_code, area), window.contains(Report.submitted_at))
        .group_by(col(Report.village_code), col(Report.category), col(Report.status))
        .subquery()
    )
    child = func.substr(per_village.c.village, 1, width).label("child")
    stmt = select(
        child,
        per_village.c.category,
        per_village.c.status,
        func.sum(per_village.c.reports),
        func.sum(per_village.c.channelled),
    ).group_by(child, per_village.c.category, per_village.c.status)
    by_child: dict[str, int] = {}
    by_category: dict[str, int] = {}
    by_status: dict[str, int] = {}
    channelled = 0
    for code, category, status, count, channelled_count in session.execute(stmt):
        count = int(count)
        by_child[code] = by_child.get(code, 0) + count
        by_category[category] = by_category.get(category, 0) + count
        by_status[status] = by_status.get(status, 0) + count
        channelled += int(channelled_count or 0)
    known = [s.value for s in ReportStatus]
    figures = ReportFigures(
        total=sum(by_child.values()),
        channelled=channelled,
        by_category=tuple(sorted(by_category.items(), key=lambda item: (-item[1], item[0]))),
        by_status=tuple(
            sorted(
                by_status.items(),
                key=lambda item: known.index(item[0]) if item[0] in known else len(known),
            )
        ),
    )
    return figures, by_child


# ---------------------------------------------------------------- broadcasts

# A broadcast's outcomes stop changing once it is finished and its in-flight sends have
# settled (a send racing a cancel may still land as "sent"): only then is it summarised.
FINISHED_BROADCASTS = (BroadcastStatus.DONE, BroadcastStatus.CANCELLED)
SETTLE_TIME = timedelta(minutes=10)


# SQLModel creates `__table__` on every table class but does not declare it for type checkers.
_R: Table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
_B: Table = Broadcast.__table__  # type: ignore[attr-defined]
_SUMMARY_BATCH = 100


def _outcome_sums(state: Any) -> tuple[Any, Any, Any]:
    return (
        func.sum(case((state == "sent", 1), else_=0)),
        func.sum(case((state == "failed", 1), else_=0)),
        func.sum(case((state.not_in(("sent", "failed")), 1), else_=0)),
    )


def summarise_deliveries(session: Session, now: datetime | None = None) -> int:
    """Fold every settled broadcast not yet summarised into `stats_delivery`; returns how many."""
    now = now or utcnow()
    todo = session.scalars(
        select(_B.c.id)
        .where(
            _B.c.status.in_(FINISHED_BROADCASTS),
            _B.c.finished_at <= now - SETTLE_TIME,
            _B.c.id.not_in(select(col(SummarisedBroadcast.broadcast_id))),
        )
        .order_by(_B.c.id)
    ).all()
    batches = [list(todo[i : i + _SUMMARY_BATCH]) for i in range(0, len(todo), _SUMMARY_BATCH)]
    return sum(len(batch) for batch in batches if fold_deliveries(session, batch, now))


def fold_deliveries(session: Session, batch: Sequence[int], now: datetime) -> bool:
    """Summarise these broadcasts; False when another request did (some of) them meanwhile.

    Two `/statistik` at once may pick the same broadcasts: the done-marker's primary key makes
    the later batch fail inside its savepoint, which leaves nothing half-written; whatever of
    it is still missing is picked up by the next call.
    """
    per_village = (
        select(_R.c.broadcast_id, col(Cadre.village_code), *_outcome_sums(_R.c.state))
        .select_from(_R)
        .join(Cadre, col(Cadre.telegram_id) == _R.c.chat_id)
        .where(_R.c.broadcast_id.in_(batch))
        .group_by(_R.c.broadcast_id, Cadre.village_code)
    )
    try:
        with session.begin_nested():
            session.execute(
                insert(SummarisedBroadcast),
                [{"broadcast_id": b, "summarised_at": now} for b in batch],
            )
            session.execute(
                insert(DeliverySummary).from_select(
                    ["broadcast_id", "village_code", "sent", "failed", "other"], per_village
                )
            )
    except IntegrityError:
        return False
    return True


def deliveries_by_broadcast(
    session: Session, scopes: Sequence[str], window: Window
) -> dict[int, tuple[int, int, int]]:
    """(delivered, failed, other) to the cadres of `scopes`, per broadcast made in the window.

    Summarised broadcasts come from `stats_delivery`; running or just finished ones are
    counted from their recipients (there are few of those).
    """
    summarise_deliveries(session, window.now_utc)
    summary: Table = DeliverySummary.__table__  # type: ignore[attr-defined]  # as _R above
    folded = (
        select(
            summary.c.broadcast_id,
            func.sum(summary.c.sent),
            func.sum(summary.c.failed),
            func.sum(summary.c.other),
        )
        .select_from(summary)
        .join(_B, _B.c.id == summary.c.broadcast_id)
        .where(
            or_(*(village_within(summary.c.village_code, scope) for scope in scopes)),
            window.contains(_B.c.created_at),
        )
        .group_by(summary.c.broadcast_id)
    )
    # Few broadcasts are unsummarised (running, just finished): find them first, so that only
    # their recipients are read, not every delivery of the area's cadres.
    unsummarised = session.scalars(
        select(_B.c.id).where(
            _B.c.id.not_in(select(col(SummarisedBroadcast.broadcast_id))),
            window.contains(_B.c.created_at),
        )
    ).all()
    live = (
        select(_R.c.broadcast_id, *_outcome_sums(_R.c.state))
        .select_from(_R)
        .join(Cadre, col(Cadre.telegram_id) == _R.c.chat_id)
        .where(
            _R.c.broadcast_id.in_(unsummarised),
            or_(*(village_within(Cadre.village_code, scope) for scope in scopes)),
        )
        .group_by(_R.c.broadcast_id)
    )
    found: dict[int, tuple[int, int, int]] = {}
    token = version_token(session, "delivery")
    key = ("delivery", token, tuple(scopes), window.start_utc) if token else None
    found.update(KEPT.get_or_compute(key, lambda: _outcomes(session, folded)))
    if unsummarised:
        found.update(_outcomes(session, live))
    return found


def _outcomes(session: Session, stmt: Any) -> dict[int, tuple[int, int, int]]:
    return {
        broadcast_id: (int(delivered or 0), int(failed or 0), int(other or 0))
        for broadcast_id, delivered, failed, other in session.execute(stmt)
    }


def _broadcast_figures(session: Session, area: str, window: Window) -> BroadcastFigures:
    outcomes = deliveries_by_broadcast(session, [area], window).values()
    return BroadcastFigures(
        broadcasts=len(outcomes),
        delivered=sum(o[0] for o in outcomes),
        failed=sum(o[1] for o in outcomes),
        other=sum(o[2] for o in outcomes),
    )


# ---------------------------------------------------------------- trainings


def _kept_training_figures(session: Session, area: str, window: Window) -> TrainingFigures:
    """Kept under the "attendance" token (migration 0019: any write to trainings or their
    sign-ups) and the step: a province's 1,000 trainings and 24,000 sign-ups take ~18 ms."""
    token = version_token(session, "attendance")
    return KEPT.get_or_compute(
        ("training", token, area, window.start_utc, _step(window.now_utc)) if token else None,
        lambda: _training_figures(session, area, window),
    )


def _training_figures(session: Session, area: str, window: Window) -> TrainingFigures:
    """Per training its seats taken and waiting, then summed up: all in one statement.

    Held means begun by the start of the current step (what `_kept_training_figures` keys
    on)."""
    now = _step(window.now_utc)
    going = func.sum(case((col(TrainingRsvp.status) == RsvpStatus.GOING, 1), else_=0))
    per_training = (
        select(
            col(Training.starts_at).label("starts_at"),
            col(Training.quota).label("quota"),
            going.label("going"),
            func.sum(case((col(TrainingRsvp.status) == RsvpStatus.WAITING, 1), else_=0)).label(
                "waiting"
            ),
        )
        .select_from(Training)
        .outerjoin(TrainingRsvp, col(TrainingRsvp.training_id) == Training.id)
        .where(code_within(Training.area_code, area), window.contains(Training.starts_at))
        .group_by(col(Training.id), col(Training.starts_at), col(Training.quota))
        .subquery()
    )
    t = per_training.c
    row = session.execute(
        select(
            func.sum(case((t.starts_at <= now, 1), else_=0)),
            func.sum(case((t.starts_at > now, 1), else_=0)),
            func.sum(t.going),
            func.sum(t.waiting),
            func.sum(t.quota),
            func.sum(case((t.quota.is_not(None), t.going), else_=0)),
        )
    ).one()
    held, upcoming, going_total, waiting, quota, filled = (int(v or 0) for v in row)
    return TrainingFigures(held, upcoming, going_total, waiting, quota, filled)
