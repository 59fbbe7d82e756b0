"""Innovation reports: submission, the review queue, decisions, featuring, and searching.

A report belongs to the kelurahan/desa of its reporter at submission. Its reporter is a
foreign key to `cadre.telegram_id` with `ON DELETE SET NULL`: when a cadre erases their data
(`/hapus_data`), their reports stay as anonymous forum records (title, category, text,
kelurahan, status, media), so counts by category, status and kelurahan survive. The cadre is
told so before submitting.

Decisions are conditional updates (`… WHERE status = 'pending'`), so when two reviewers decide
the same report at once exactly one wins, whatever the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    and_,
    func,
    or_,
    update,
)
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from storage.audit import audit
from storage.models import (
    Coordinator,
    Report,
    ReportEvent,
    ReportMedia,
    ReportStatus,
    utcnow,
)
from storage.regions import parent_code, scope_filter
from storage.report_info import (
    DecisionOutcome,
    MediaInfo,
    MediaItem,
    ReportEventInfo,
    ReportInfo,
    report_info,
)

__all__ = [
    "CATEGORIES",
    "Decision",
    "DecisionOutcome",
    "MediaInfo",
    "MediaItem",
    "ReportEventInfo",
    "ReportInfo",
    "ReportStatus",
    "count_pending",
    "create_report",
    "decide",
    "get_report",
    "list_reports",
    "mark_channel_posted",
    "mark_featured",
    "next_in_queue",
    "reports_of",
    "resubmit_report",
    "reviewers_for",
    "set_media_path",
    "stored_media_bytes",
    "submitted_since",
    "unmark_channel_posted",
    "unmark_featured",
]

#: Report categories, in the order cadres see them (labels: `reports.category.<code>`).
CATEGORIES = (
    "umkm",
    "pertanian",
    "kesehatan",
    "pendidikan",
    "lingkungan",
    "ttg",
    "sosbud",
    "lainnya",
)


class Decision(StrEnum):
    """What a reviewer decides; each maps to the status the report gets."""

    APPROVE = "approved"
    REVISE = "revision"
    REJECT = "rejected"


# ---------------------------------------------------------------- submission


def _check_fields(title: str, category: str, description: str) -> None:
    if category not in CATEGORIES:
        raise ValueError(f"unknown report category {category!r}")
    if not title.strip() or not description.strip():
        raise ValueError("a report needs a title and a description")


def create_report(
    session: Session,
    reporter_id: int,
    *,
    village_code: str,
    institution: str | None,
    title: str,
    category: str,
    description: str,
    latitude: float | None,
    longitude: float | None,
    media: Sequence[MediaItem],
    photos_public: bool = False,
    now: datetime | None = None,
) -> ReportInfo:
    """A new pending report with its media numbered 1, 2, … in the order given."""
    _check_fields(title, category, description)
    now = now or utcnow()
    row = Report(
        reporter_id=reporter_id,
        village_code=village_code,
        institution=institution,
        title=title,
        category=category,
        description=description,
        latitude=latitude,
        longitude=longitude,
        photos_public=photos_public,
        status=ReportStatus.PENDING,
        submitted_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    for seq, item in enumerate(media, start=1):
        session.add(_media_row(row.id, seq, item))
    session.add(ReportEvent(report_id=row.id, at=now, kind="submitted"))
    session.flush()
    return report_info(session, row)


def _media_row(report_id: int, seq: int, item: MediaItem) -> ReportMedia:
    return ReportMedia(
        report_id=report_id,
        seq=seq,
        kind=item.kind,
        file_id=item.file_id,
        file_unique_id=item.file_unique_id,
        file_size=item.file_size,
        mime_type=item.mime_type,
        file_name=item.file_name,
    )


def resubmit_report(
    session: Session,
    report_id: int,
    reporter_id: int,
    *,
    title: str,
    category: str,
    description: str,
    latitude: float | None,
    longitude: float | None,
    media: Sequence[MediaItem],
    photos_public: bool = False,
    now: datetime | None = None,
) -> tuple[ReportInfo | None, list[MediaInfo]]:
    """Send a report that was returned for revision back to review.

    Only its reporter may, and only while it is in revision (a conditional update, so a
    double tap cannot resubmit twice). Media that are kept keep their number and stored file;
    new ones continue the numbering. Returns the report (None if refused) and the media that
    were dropped, whose stored copies the caller may now delete.
    """
    _check_fields(title, category, description)
    now = now or utcnow()
    result = session.exec(
        update(Report)
        .where(
            col(Report.id) == report_id,
            col(Report.reporter_id) == reporter_id,
            col(Report.status) == ReportStatus.REVISION,
        )
        .values(
            title=title,
            category=category,
            description=description,
            latitude=latitude,
            longitude=longitude,
            photos_public=photos_public,
            status=ReportStatus.PENDING,
            version=col(Report.version) + 1,
            updated_at=now,
            submitted_at=now,
            decided_at=None,
            decided_by=None,
        )
    )
    if result.rowcount != 1:
        return None, []
    existing = session.exec(
        select(ReportMedia).where(col(ReportMedia.report_id) == report_id)
    ).all()
    by_unique = {m.file_unique_id: m for m in existing}
    wanted = {item.file_unique_id for item in media}
    dropped = [MediaInfo.of(m) for m in existing if m.file_unique_id not in wanted]
    for media_row in existing:
        if media_row.file_unique_id not in wanted:
            session.delete(media_row)
    next_seq = max((m.seq for m in existing), default=0) + 1
    for item in media:
        if item.file_unique_id in by_unique:
            continue
        session.add(_media_row(report_id, next_seq, item))
        next_seq += 1
    session.add(ReportEvent(report_id=report_id, at=now, kind="resubmitted"))
    session.flush()
    row = session.get(Report, report_id)
    assert row is not None
    session.refresh(row)
    return report_info(session, row), dropped


def submitted_since(session: Session, reporter_id: int, since: datetime) -> tuple[int, int]:
    """How many new reports the cadre submitted since `since`, and their media's bytes.

    Resubmissions of a report returned for revision are not new reports: a cadre fixing what a
    reviewer asked for is never held back by the daily cap.
    """
    fresh = (
        select(ReportEvent.report_id)
        .join(Report, col(Report.id) == col(ReportEvent.report_id))
        .where(
            col(Report.reporter_id) == reporter_id,
            col(ReportEvent.kind) == "submitted",
            col(ReportEvent.at) >= since,
        )
    )
    count = session.exec(select(func.count()).select_from(fresh.subquery())).one()
    size = session.exec(
        select(func.coalesce(func.sum(ReportMedia.file_size), 0)).where(
            col(ReportMedia.report_id).in_(fresh)
        )
    ).one()
    return int(count), int(size or 0)


def stored_media_bytes(session: Session) -> int:
    """The bytes of every report file we keep a copy of under MEDIA_DIR (the disk guard's sum;
    cheaper than walking the directory)."""
    total = session.exec(
        select(func.coalesce(func.sum(ReportMedia.file_size), 0)).where(
            col(ReportMedia.local_path).is_not(None)
        )
    ).one()
    return int(total or 0)


def set_media_path(session: Session, media_id: int, path: str) -> None:
    """Remember where our own copy of a photo/document is stored."""
    session.exec(update(ReportMedia).where(col(ReportMedia.id) == media_id).values(local_path=path))


def get_report(session: Session, report_id: int, *, with_events: bool = False) -> ReportInfo | None:
    row = session.get(Report, report_id)
    return report_info(session, row, with_events=with_events) if row else None


# ---------------------------------------------------------------- review


def reviewers_for(session: Session, village_code: str) -> list[tuple[int, str]]:
    """(telegram id, scope) of the active coordinators whose scope covers this kelurahan,
    most local scope first."""
    scopes = []
    code: str | None = village_code
    while code:
        scopes.append(code)
        code = parent_code(code)
    rows = session.exec(
        select(Coordinator.telegram_id, Coordinator.scope_code).where(
            col(Coordinator.scope_code).in_(scopes),
            col(Coordinator.revoked_at).is_(None),
        )
    ).all()
    seen: set[int] = set()
    ordered = []
    for telegram_id, scope in sorted(rows, key=lambda r: (-len(r[1]), r[0])):
        if telegram_id not in seen:
            seen.add(telegram_id)
            ordered.append((telegram_id, scope))
    return ordered


def _in_scopes(scopes: Sequence[str]) -> ColumnElement[bool]:
    if not scopes:
        return col(Report.id).is_(None)  # matches nothing
    return or_(*(scope_filter(Report.village_code, s) for s in scopes))


def _not_own(reviewer_id: int) -> ColumnElement[bool]:
    # A coordinator who is also a cadre never reviews their own report.
    return or_(col(Report.reporter_id).is_(None), col(Report.reporter_id) != reviewer_id)


def count_pending(session: Session, scopes: Sequence[str], reviewer_id: int) -> int:
    """Reports waiting for this reviewer (in their scopes, not their own)."""
    return session.exec(
        select(func.count())
        .select_from(Report)
        .where(
            col(Report.status) == ReportStatus.PENDING, _in_scopes(scopes), _not_own(reviewer_id)
        )
    ).one()


def next_in_queue(
    session: Session, scopes: Sequence[str], reviewer_id: int, after_id: int | None = None
) -> tuple[ReportInfo | None, int]:
    """The oldest waiting report (after `after_id`, wrapping around) and how many wait."""
    waiting = (
        col(Report.status) == ReportStatus.PENDING,
        _in_scopes(scopes),
        _not_own(reviewer_id),
    )
    total = count_pending(session, scopes, reviewer_id)
    query = select(Report).where(*waiting).order_by(col(Report.id))
    row = None
    if after_id is not None:
        row = session.exec(query.where(col(Report.id) > after_id).limit(1)).first()
    if row is None:
        row = session.exec(query.limit(1)).first()
    return (report_info(session, row) if row else None), total


def decide(
    session: Session,
    report_id: int,
    actor_id: int,
    decision: Decision,
    comment: str | None = None,
    now: datetime | None = None,
) -> DecisionOutcome:
    """Approve, return for revision or reject a pending report — atomically, first wins.

    The update only matches while the report is still pending, so of two reviewers deciding
    at once exactly one changes it; the other gets `won=False` and the current report.
    The decision is written to the report's history and to the audit log.
    """
    now = now or utcnow()
    result = session.exec(
        update(Report)
        .where(
            col(Report.id) == report_id,
            col(Report.status) == ReportStatus.PENDING,
        )
        .values(
            status=ReportStatus(decision.value),
            decided_at=now,
            decided_by=actor_id,
            last_comment=comment if decision is not Decision.APPROVE else None,
            updated_at=now,
        )
    )
    won = result.rowcount == 1
    if won:
        session.add(
            ReportEvent(
                report_id=report_id, at=now, kind=decision.value, actor_id=actor_id, comment=comment
            )
        )
        row = session.get(Report, report_id)
        assert row is not None
        audit(
            session,
            actor_id,
            f"report.{decision.value}",
            f"report:{report_id}",
            village=row.village_code,
            comment=comment,
        )
    session.flush()
    row = session.get(Report, report_id)
    if row is not None:
        session.refresh(row)
    return DecisionOutcome(won, report_info(session, row) if row else None)


def _mark_once(
    session: Session, report_id: int, column: str, actor_id: int, action: str, now: datetime
) -> bool:
    values: dict[str, Any] = {column: now}
    if column == "featured_at":
        values["featured_by"] = actor_id
    result = session.exec(
        update(Report)
        .where(
            col(Report.id) == report_id,
            col(Report.status) == ReportStatus.APPROVED,
            getattr(Report, column).is_(None),
        )
        .values(**values)
    )
    if result.rowcount != 1:
        return False
    session.add(ReportEvent(report_id=report_id, at=now, kind=action, actor_id=actor_id))
    audit(session, actor_id, f"report.{action}", f"report:{report_id}")
    return True


def mark_featured(
    session: Session, report_id: int, actor_id: int, now: datetime | None = None
) -> bool:
    """Claim the (single) broadcast of an approved report; False if already done or not approved."""
    return _mark_once(session, report_id, "featured_at", actor_id, "featured", now or utcnow())


def unmark_featured(session: Session, report_id: int) -> None:
    """Release the claim when the broadcast could not be started."""
    session.exec(
        update(Report).where(col(Report.id) == report_id).values(featured_at=None, featured_by=None)
    )


def mark_channel_posted(
    session: Session, report_id: int, actor_id: int, now: datetime | None = None
) -> bool:
    """Claim the (single) channel post of an approved report."""
    return _mark_once(session, report_id, "channel_posted_at", actor_id, "posted", now or utcnow())


def unmark_channel_posted(session: Session, report_id: int) -> None:
    session.exec(update(Report).where(col(Report.id) == report_id).values(channel_posted_at=None))


# ---------------------------------------------------------------- finding


def reports_of(
    session: Session, reporter_id: int, *, offset: int = 0, limit: int = 5
) -> tuple[list[ReportInfo], int]:
    """A cadre's own reports, newest first, and how many there are."""
    condition = col(Report.reporter_id) == reporter_id
    total = session.exec(select(func.count()).select_from(Report).where(condition)).one()
    rows = session.exec(
        select(Report).where(condition).order_by(col(Report.id).desc()).offset(offset).limit(limit)
    ).all()
    return [report_info(session, r, with_media=False) for r in rows], total


def list_reports(
    session: Session,
    scopes: Sequence[str],
    *,
    area: str | None = None,
    category: str | None = None,
    status: ReportStatus | None = None,
    since: datetime | None = None,
    offset: int = 0,
    limit: int = 5,
) -> tuple[list[ReportInfo], int]:
    """Reports inside `scopes` (and `area`, if given), filtered, newest first; and the total."""
    conditions = [_in_scopes(scopes)]
    if area:
        conditions.append(scope_filter(Report.village_code, area))
    if category:
        conditions.append(col(Report.category) == category)
    if status:
        conditions.append(col(Report.status) == status)
    if since:
        conditions.append(col(Report.submitted_at) >= since)
    where = and_(*conditions)
    total = session.exec(select(func.count()).select_from(Report).where(where)).one()
    rows = session.exec(
        select(Report).where(where).order_by(col(Report.id).desc()).offset(offset).limit(limit)
    ).all()
    return [report_info(session, r, with_media=False) for r in rows], total
