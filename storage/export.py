"""The XLSX export of one or more areas (Telegram-free): a summary sheet, then one sheet per
kind of record, streamed from the database to disk so memory stays flat however big the area.

The workbook is an openpyxl write-only workbook. Its data sheets are `StreamingSheet`s: openpyxl
builds the sheet (views, frozen header, column widths, autofilter, styles, the zip) and we
serialise the rows. openpyxl's own per-cell path builds an ElementTree element per cell, about
20 µs a cell without lxml (10 µs with it); a province export has ~4 million cells, which would
take over a minute. Writing each row as one pre-escaped string costs ~1.5 µs a cell.

Every text that ends up in the file (sheet names, headers, institution and category names)
comes from the caller in `ExportLabels`, already translated.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from storage.attendance_figures import AttendanceSheetLabels, write_attendance_sheets
from storage.coderange import CODE_LENGTH, code_within, village_within
from storage.db import Database
from storage.models import (
    AppUser,
    Broadcast,
    Cadre,
    Region,
    Report,
    RsvpStatus,
    Training,
    TrainingRsvp,
    utcnow,
)
from storage.needs_sheet import NeedsSheetLabels, write_needs_sheet
from storage.regions import display_name
from storage.stats import (
    AreaStatistics,
    CadreCounts,
    Period,
    area_statistics,
    deliveries_by_broadcast,
    period_window,
    report_channelled,
)
from storage.xlsx import (
    ExportProgress,
    Percent,
    StreamingSheet,
    StreamingWorkbook,
    Styles,
    WriteOnlyWorksheet,
    date_cell,
    header_cell,
    percent_cell,
    title_cell,
)

__all__ = [
    "ExportLabels",
    "ExportProgress",
    "ExportRequest",
    "ExportResult",
    "Percent",
    "SheetLabels",
    "StreamingSheet",
    "build_workbook",
]

ROWS_PER_FETCH = 1000


# ---------------------------------------------------------------- what to export


@dataclass(frozen=True)
class SheetLabels:
    """A sheet's name and its column headers (the phone column is dropped for coordinators)."""

    title: str
    headers: tuple[str, ...]


@dataclass(frozen=True)
class ExportLabels:
    """Every text written into the workbook, in the requester's language."""

    summary: SheetLabels  # headers of the per-area table
    cadres: SheetLabels
    reports: SheetLabels
    trainings: SheetLabels
    broadcasts: SheetLabels
    summary_title: str
    summary_area: str
    summary_created: str
    summary_phones: str
    phones_included: str
    phones_excluded: str
    summary_total: str
    institutions_title: str
    institution_header: tuple[str, str]
    categories_title: str
    category_header: tuple[str, str]
    institutions: Mapping[str, str]
    categories: Mapping[str, str]
    report_statuses: Mapping[str, str]
    broadcast_kinds: Mapping[str, str]
    broadcast_statuses: Mapping[str, str]
    rsvp_statuses: Mapping[str, str]
    yes: str
    no: str
    erased: str


@dataclass(frozen=True)
class ExportRequest:
    """Who asks for which areas; phone numbers only when `include_phones` (officials).

    `needs_labels` are the texts of the training-needs sheet in the asker's language (storage
    cannot read the catalogs); without them the workbook has no needs sheet. Likewise
    `attendance_labels` for the two training-attendance sheets."""

    scopes: tuple[str, ...]
    include_phones: bool
    timezone: ZoneInfo
    now: datetime = field(default_factory=utcnow)
    needs_labels: NeedsSheetLabels | None = None
    attendance_labels: AttendanceSheetLabels | None = None


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: dict[str, int]


class _Regions:
    """Names of every region the export mentions, loaded once (a province has ~1,200)."""

    def __init__(self, session: Session) -> None:
        self.names: dict[str, str] = dict(session.exec(select(Region.code, Region.name)).all())
        self._paths: dict[str, tuple[str, str, str]] = {}

    def path(self, village: str) -> tuple[str, str, str]:
        """(kelurahan/desa, kecamatan, kabupaten/kota) names of a kelurahan/desa code."""
        found = self._paths.get(village)
        if found is None:
            found = self._paths[village] = (
                self.names.get(village, village),
                self.names.get(village[:8], ""),
                self.names.get(village[:5], ""),
            )
        return found


def _local_time(tz: ZoneInfo) -> Callable[[datetime | None], datetime | None]:
    """Stored UTC times as the forum's wall-clock time (Excel has no time zones).

    The zone's offset is looked up once per UTC hour: a million dates cost a few thousand
    look-ups. One per sheet, so the offsets it keeps go with it.
    """
    offsets: dict[int, timedelta] = {}

    def local(value: datetime | None) -> datetime | None:
        if value is None:
            return None
        hour = value.toordinal() * 24 + value.hour
        offset = offsets.get(hour)
        if offset is None:
            moment = datetime(value.year, value.month, value.day, value.hour, tzinfo=UTC)
            offset = offsets[hour] = moment.astimezone(tz).utcoffset() or timedelta()
        return value + offset

    return local


def _within(column: Any, scopes: Sequence[str]) -> Any:
    return or_(*(village_within(column, scope) for scope in scopes))


def _scanned_within(column: Any, scopes: Sequence[str]) -> Any:
    """`_within`, written so that no index serves it when the scopes are kabupaten/kota or
    wider: their rows are most of the table, and reading the table in order beats looking
    every row up through the code's index, which SQLite's planner picks (300,000 reports:
    0.5 s instead of 1.1 s; the sign-ups of 1,000 trainings are joined to their 24,000
    cadres instead of 100,000 cadres to their sign-ups)."""
    if any(len(scope) > CODE_LENGTH["regency"] for scope in scopes):
        return _within(column, scopes)
    return or_(*(func.substr(column, 1, len(scope) + 1) == scope + "." for scope in scopes))


def _stream(session: Session, stmt: Any) -> Iterator[Any]:
    """Rows in batches (a server-side cursor on PostgreSQL), never the whole result at once.

    From a database server the next batch is fetched on a thread of its own while this one
    is formatted, so that the server's time overlaps the sheet's (a province's export on
    PostgreSQL: ~1 s of waiting hidden). SQLite reads in this process: a second thread would
    only contend for the GIL. At most two batches wait.
    """
    connection = session.connection()  # Core rows: no ORM bookkeeping for a million tuples
    if connection.dialect.name == "sqlite":
        yield from _sqlite_rows(connection, stmt)
        return
    # By partition: a third less time than row by row through the result.
    result = connection.execute(stmt.execution_options(yield_per=ROWS_PER_FETCH))
    batches: queue.Queue[Sequence[Any] | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def hand_over(item: Sequence[Any] | BaseException | None) -> bool:
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                batches.put(item, timeout=0.1)
                return True
        return False

    def fetch() -> None:
        try:
            for rows in result.partitions():
                if not hand_over(rows):
                    return
            hand_over(None)
        except BaseException as exc:  # handed to the sheet's thread, raised there
            hand_over(exc)

    fetching = threading.Thread(target=fetch, name="export-fetch", daemon=True)
    fetching.start()
    try:
        while (batch := batches.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield from batch
    finally:  # also when the sheet stops early: the connection is the session's again
        stop.set()
        fetching.join()
        result.close()


def _sqlite_rows(connection: sa.Connection, stmt: Any) -> Iterator[Sequence[Any]]:
    """SQLite's own tuples, with SQLAlchemy's conversions applied only to the columns that
    have one (dates, booleans): its rows cost as much again as reading them (300,000
    reports: 0.62 s through SQLAlchemy's rows, 0.38 s so). SQLAlchemy still compiles,
    binds and runs the statement; only its row objects are skipped."""
    dialect = connection.dialect
    convert = [
        (index, processor)
        for index, column in enumerate(getattr(stmt, "selected_columns", ()))
        if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
    ]
    result = connection.execute(stmt)
    cursor = result.cursor
    try:
        while rows := cursor.fetchmany(ROWS_PER_FETCH):
            if not convert:
                yield from rows
                continue
            for row in rows:
                values = list(row)
                for index, processor in convert:
                    values[index] = processor(values[index])
                yield values
    finally:
        result.close()


RowSource = Callable[[Session, "ExportRequest", "ExportLabels", "_Regions"], Iterator[list[Any]]]
PHONE_COLUMN = 1  # of the cadre sheet; only officials get it
CADRE_WIDTHS = (28, 16, 20, 22, 20, 22, 15, 17, 17, 17, 10)
REPORT_WIDTHS = (8, 17, 44, 24, 18, 11, 22, 20, 22, 16, 28)
BROADCAST_WIDTHS = (8, 17, 18, 40, 16, 14, 12, 10, 14, 12)
TRAINING_WIDTHS = (8, 40, 17, 28, 24, 8, 9, 12, 28, 16, 14, 22, 16)
TRAINING_PHONE_COLUMN = 9


@dataclass(frozen=True)
class _SheetSpec:
    labels: SheetLabels
    rows: RowSource
    widths: Sequence[float]
    phone_column: int | None = None


def build_workbook(
    database: Database,
    request: ExportRequest,
    labels: ExportLabels,
    path: Path,
    progress: ExportProgress | None = None,
) -> ExportResult:
    """Write the export of `request.scopes` to `path` (blocking: run it in a worker thread)."""
    with StreamingWorkbook(path) as workbook:
        rows = _write_sheets(database, request, labels, workbook, progress)
    return ExportResult(path, rows)


def _write_sheets(
    database: Database,
    request: ExportRequest,
    labels: ExportLabels,
    workbook: StreamingWorkbook,
    progress: ExportProgress | None,
) -> dict[str, int]:
    """Every sheet of the export, one after the other; rows written by sheet title."""
    styles = Styles.register(workbook)
    rows: dict[str, int] = {}
    with database.session() as session:
        regions = _Regions(session)
        statistics = [
            area_statistics(session, scope, Period.ALL, request.timezone, now=request.now)
            for scope in request.scopes
        ]
        _summary_sheet(workbook, request, labels, [s for s in statistics if s])
        specs = [
            _SheetSpec(labels.cadres, _cadre_rows, CADRE_WIDTHS, PHONE_COLUMN),
            _SheetSpec(labels.reports, _report_rows, REPORT_WIDTHS),
            _SheetSpec(labels.trainings, _training_rows, TRAINING_WIDTHS, TRAINING_PHONE_COLUMN),
            _SheetSpec(labels.broadcasts, _broadcast_rows, BROADCAST_WIDTHS),
        ]
        for spec in specs:
            headers, widths = list(spec.labels.headers), list(spec.widths)
            if spec.phone_column is not None and not request.include_phones:
                del headers[spec.phone_column], widths[spec.phone_column]
            if progress is not None:
                progress.sheet, progress.rows = spec.labels.title, 0
            sheet = StreamingSheet(workbook, spec.labels.title, headers, widths, styles)
            sheet.write_rows(spec.rows(session, request, labels, regions), progress)
            sheet.finish()
            rows[spec.labels.title] = sheet.rows_written
        needs = request.needs_labels
        if needs is not None:
            if progress is not None:
                progress.sheet, progress.rows = needs.title, 0
            rows[needs.title] = write_needs_sheet(
                workbook, styles, session, list(request.scopes), needs, request.include_phones
            )
        attendance = request.attendance_labels
        if attendance is not None:
            if progress is not None:
                progress.sheet, progress.rows = attendance.title, 0
            rows |= write_attendance_sheets(
                workbook,
                styles,
                session,
                request.scopes,
                request.now,
                attendance,
                request.timezone,
            )
    return rows


def _cadre_rows(
    session: Session, request: ExportRequest, labels: ExportLabels, regions: _Regions
) -> Iterator[list[Any]]:
    stmt = (
        sa.select(
            col(Cadre.full_name),
            col(Cadre.phone),
            col(Cadre.institution),
            col(Cadre.institution_other),
            col(Cadre.village_code),
            col(Cadre.registered_at),
            col(Cadre.receive_broadcasts),
            col(AppUser.last_seen_at),
            col(AppUser.unreachable_since),
        )
        .select_from(Cadre)
        .outerjoin(AppUser, col(AppUser.telegram_id) == Cadre.telegram_id)
        .where(_within(Cadre.village_code, request.scopes))
        .order_by(Cadre.village_code, Cadre.full_name)
    )
    local = _local_time(request.timezone)
    for (
        name,
        phone,
        institution,
        other,
        village,
        registered,
        receives,
        seen,
        unreachable,
    ) in _stream(session, stmt):
        institution_name = labels.institutions.get(institution, institution)
        if other:
            institution_name = f"{institution_name}: {other}"
        row = [
            name,
            phone,
            institution_name,
            *regions.path(village),
            village,
            local(registered),
            local(seen),
            local(unreachable),
            labels.yes if receives else labels.no,
        ]
        if not request.include_phones:
            del row[PHONE_COLUMN]
        yield row


def _report_rows(
    session: Session, request: ExportRequest, labels: ExportLabels, regions: _Regions
) -> Iterator[list[Any]]:
    """Reports by number, with their reporter's name.

    SQLite, joining in SQL, looks each reporter up by index (~4 µs a report, and a province
    has 300,000): there the names come from one read of every cadre's name (~15 MB for
    100,000). A database server hashes the join on its own core, which costs this process
    neither the time nor the memory.
    """
    joined = session.connection().dialect.name != "sqlite"
    names: dict[int, str] = {}
    if not joined:
        everyone = sa.select(col(Cadre.telegram_id), col(Cadre.full_name))
        names = {cadre: name for cadre, name in session.connection().execute(everyone)}
    stmt = (
        sa.select(
            col(Report.id),
            col(Report.submitted_at),
            col(Report.title),
            col(Report.category),
            col(Report.status),
            report_channelled,
            col(Report.village_code),
            col(Report.institution),
            col(Cadre.full_name) if joined else col(Report.reporter_id),
        )
        .select_from(Report)
        .where(_scanned_within(Report.village_code, request.scopes))
        .order_by(col(Report.id))
    )
    if joined:
        stmt = stmt.outerjoin(Cadre, col(Cadre.telegram_id) == Report.reporter_id)
    local = _local_time(request.timezone)
    for (
        number,
        submitted,
        title,
        category,
        status,
        channelled,
        village,
        institution,
        reporter,
    ) in _stream(session, stmt):
        yield [
            number,
            local(submitted),
            title,
            labels.categories.get(category, category),
            labels.report_statuses.get(status, status),
            labels.yes if channelled else labels.no,
            *regions.path(village),
            labels.institutions.get(institution, institution) if institution else None,
            (reporter if joined else names.get(reporter)) or labels.erased,
        ]


def _training_rows(
    session: Session, request: ExportRequest, labels: ExportLabels, regions: _Regions
) -> Iterator[list[Any]]:
    """One row per participant (going, then the waiting list), or one for a training with none.

    Trainings for the scopes or for an area around them (a kota-wide training reaches the
    kecamatan's cadres too), with the participants from the scopes.
    """
    status = col(TrainingRsvp.status)
    # Counted apart, not joined: SQLite joins such a grouped subquery by scanning it for each
    # training (1,000 × 1,000 rows in a province).
    seats = {
        training: (int(going or 0), int(waiting or 0))
        for training, going, waiting in session.connection().execute(
            sa.select(
                col(TrainingRsvp.training_id),
                func.sum(case((status == RsvpStatus.GOING, 1), else_=0)),
                func.sum(case((status == RsvpStatus.WAITING, 1), else_=0)),
            ).group_by(col(TrainingRsvp.training_id))
        )
    }
    people = (
        sa.select(
            col(TrainingRsvp.id).label("rsvp_id"),
            col(TrainingRsvp.training_id).label("training_id"),
            col(TrainingRsvp.updated_at).label("since"),
            status.label("status"),
            col(Cadre.full_name).label("name"),
            col(Cadre.phone).label("phone"),
            col(Cadre.village_code).label("village"),
            col(Cadre.institution).label("institution"),
        )
        .join(Cadre, col(Cadre.telegram_id) == TrainingRsvp.telegram_id)
        .where(
            status.in_((RsvpStatus.GOING, RsvpStatus.WAITING)),
            _scanned_within(Cadre.village_code, request.scopes),
        )
        .subquery()
    )
    stmt = (
        sa.select(
            col(Training.id),
            col(Training.title),
            col(Training.starts_at),
            col(Training.place),
            col(Training.area_code),
            col(Training.quota),
            people.c.name,
            people.c.phone,
            people.c.status,
            people.c.village,
            people.c.institution,
        )
        .select_from(Training)
        .outerjoin(people, people.c.training_id == Training.id)
        .where(
            or_(
                *(code_within(Training.area_code, scope) for scope in request.scopes),
                col(Training.area_code).in_(_around(request.scopes)),
            )
        )
        # "going" sorts before "waiting"; each in the order they got there.
        .order_by(
            col(Training.starts_at),
            col(Training.id),
            people.c.status,
            people.c.since,
            people.c.rsvp_id,
        )
    )
    local = _local_time(request.timezone)
    for (
        number,
        title,
        starts,
        place,
        area,
        quota,
        name,
        phone,
        rsvp,
        village,
        institution,
    ) in _stream(session, stmt):
        row = [
            number,
            title,
            local(starts),
            place,
            regions.names.get(area, area),
            quota,
            *seats.get(number, (0, 0)),
            name,
            phone,
            labels.rsvp_statuses.get(rsvp, rsvp) if rsvp else None,
            regions.names.get(village) if village else None,
            labels.institutions.get(institution, institution) if institution else None,
        ]
        if not request.include_phones:
            del row[TRAINING_PHONE_COLUMN]
        yield row


def _around(scopes: Sequence[str]) -> list[str]:
    """The regions that contain these scopes ("64.74" and "64" around "64.74.03")."""
    return sorted({s[:n] for s in scopes for n in (2, 5, 8) if len(s) > n})


def _broadcast_rows(
    session: Session, request: ExportRequest, labels: ExportLabels, regions: _Regions
) -> Iterator[list[Any]]:
    """One row per broadcast that reached cadres of the scopes, with delivery to them."""
    window = period_window(Period.ALL, request.timezone, request.now)
    outcomes = deliveries_by_broadcast(session, request.scopes, window)
    ids = sorted(outcomes)
    local = _local_time(request.timezone)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            sa.select(
                col(Broadcast.id),
                col(Broadcast.created_at),
                col(Broadcast.kind),
                col(Broadcast.meta),
                col(Broadcast.status),
            )
            .where(col(Broadcast.id).in_(ids[start : start + 500]))
            .order_by(col(Broadcast.id))
        )
        for number, created, kind, meta, status in rows:
            delivered, failed, other = outcomes[number]
            concluded = delivered + failed
            yield [
                number,
                local(created),
                labels.broadcast_kinds.get(kind, kind),
                str((meta or {}).get("title") or ""),
                labels.broadcast_statuses.get(status, status),
                delivered + failed + other,
                delivered,
                failed,
                other,
                Percent(delivered / concluded) if concluded else None,
            ]


def _summary_sheet(
    workbook: StreamingWorkbook,
    request: ExportRequest,
    labels: ExportLabels,
    statistics: list[AreaStatistics],
) -> None:
    """Headline figures per area (all time), then cadres by institution and reports by category."""
    sheet = workbook.create_sheet(labels.summary.title)
    sheet.column_dimensions["A"].width = 30
    for letter in "BCDEFGHI":
        sheet.column_dimensions[letter].width = 16

    areas = ", ".join(display_name(stats.area) for stats in statistics)
    sheet.append([title_cell(sheet, labels.summary_title)])
    sheet.append([labels.summary_area, areas])
    created = date_cell(sheet, _local_time(request.timezone)(request.now))
    sheet.append([labels.summary_created, created])
    phones = labels.phones_included if request.include_phones else labels.phones_excluded
    sheet.append([labels.summary_phones, phones])
    sheet.append([])
    sheet.append([header_cell(sheet, h) for h in labels.summary.headers])
    for stats in statistics:
        rows = list(stats.children) if stats.children else []
        for child in rows:
            c = child.counts
            sheet.append(_summary_row(sheet, child.region.name, c, child.reports))
        sheet.append(
            _summary_row(
                sheet,
                f"{labels.summary_total} {display_name(stats.area)}",
                stats.totals,
                stats.reports.total,
            )
        )
    sheet.append([])
    institutions: dict[str, int] = {}
    for stats in statistics:
        for code, count in stats.by_institution:
            institutions[code] = institutions.get(code, 0) + count
    sheet.append([title_cell(sheet, labels.institutions_title)])
    sheet.append([header_cell(sheet, h) for h in labels.institution_header])
    for code, count in sorted(institutions.items(), key=lambda item: (-item[1], item[0])):
        sheet.append([labels.institutions.get(code, code), count])
    if statistics:
        categories: dict[str, int] = {}
        for stats in statistics:
            for code, count in stats.reports.by_category:
                categories[code] = categories.get(code, 0) + count
        sheet.append([])
        sheet.append([title_cell(sheet, labels.categories_title)])
        sheet.append([header_cell(sheet, h) for h in labels.category_header])
        for code, count in sorted(categories.items(), key=lambda item: (-item[1], item[0])):
            sheet.append([labels.categories.get(code, code), count])


def _summary_row(
    sheet: WriteOnlyWorksheet, name: str, counts: CadreCounts, reports: int
) -> list[Any]:
    coverage = percent_cell(sheet, counts.covered / counts.villages if counts.villages else None)
    return [
        name,
        counts.cadres,
        counts.active,
        counts.unreachable,
        counts.villages,
        counts.covered,
        coverage,
        reports,
    ]
