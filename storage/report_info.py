"""Innovation reports as plain data: what `storage.reports` hands out (no ORM rows leave it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import Cadre, Report, ReportEvent, ReportMedia, ReportStatus

__all__ = [
    "DecisionOutcome",
    "MediaInfo",
    "MediaItem",
    "ReportEventInfo",
    "ReportInfo",
    "report_info",
]


@dataclass(frozen=True)
class MediaItem:
    """A photo or document as collected in a draft (before it belongs to a report)."""

    kind: str
    file_id: str
    file_unique_id: str
    file_size: int | None = None
    mime_type: str | None = None
    file_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "mime_type": self.mime_type,
            "file_name": self.file_name,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaItem:
        return cls(
            kind=str(data["kind"]),
            file_id=str(data["file_id"]),
            file_unique_id=str(data["file_unique_id"]),
            file_size=data.get("file_size"),
            mime_type=data.get("mime_type"),
            file_name=data.get("file_name"),
        )


@dataclass(frozen=True)
class MediaInfo:
    id: int
    seq: int
    kind: str
    file_id: str
    file_unique_id: str
    file_size: int | None
    mime_type: str | None
    file_name: str | None
    local_path: str | None

    @classmethod
    def of(cls, row: ReportMedia) -> MediaInfo:
        return cls(
            row.id or 0,
            row.seq,
            row.kind,
            row.file_id,
            row.file_unique_id,
            row.file_size,
            row.mime_type,
            row.file_name,
            row.local_path,
        )


@dataclass(frozen=True)
class ReportEventInfo:
    at: datetime
    kind: str
    actor_id: int | None
    comment: str | None


@dataclass(frozen=True)
class ReportInfo:
    id: int
    reporter_id: int | None
    reporter_name: str | None
    village_code: str
    institution: str | None
    institution_other: str | None  # the cadre's own words when `institution` is "lainnya"
    title: str
    category: str
    description: str
    latitude: float | None
    longitude: float | None
    status: ReportStatus
    version: int
    submitted_at: datetime
    decided_at: datetime | None
    decided_by: int | None
    last_comment: str | None
    featured_at: datetime | None
    channel_posted_at: datetime | None
    media: tuple[MediaInfo, ...] = ()
    events: tuple[ReportEventInfo, ...] = field(default=())

    @property
    def photos(self) -> tuple[MediaInfo, ...]:
        return tuple(m for m in self.media if m.kind == "photo")

    @property
    def document(self) -> MediaInfo | None:
        return next((m for m in self.media if m.kind == "document"), None)


@dataclass(frozen=True)
class DecisionOutcome:
    """`won` is False when another reviewer decided first (then `report` shows their decision)."""

    won: bool
    report: ReportInfo | None


def report_info(
    session: Session, row: Report, *, with_media: bool = True, with_events: bool = False
) -> ReportInfo:
    """A report row as plain data, with its reporter's name and (optionally) media and history."""
    name = other = None
    if row.reporter_id is not None:
        found = session.exec(
            select(Cadre.full_name, Cadre.institution_other).where(
                col(Cadre.telegram_id) == row.reporter_id
            )
        ).first()
        if found is not None:
            name, other = found
    media: tuple[MediaInfo, ...] = ()
    if with_media:
        media = tuple(
            MediaInfo.of(m)
            for m in session.exec(
                select(ReportMedia)
                .where(col(ReportMedia.report_id) == row.id)
                .order_by(col(ReportMedia.seq))
            ).all()
        )
    events: tuple[ReportEventInfo, ...] = ()
    if with_events:
        events = tuple(
            ReportEventInfo(e.at, e.kind, e.actor_id, e.comment)
            for e in session.exec(
                select(ReportEvent)
                .where(col(ReportEvent.report_id) == row.id)
                .order_by(col(ReportEvent.id))
            ).all()
        )
    return ReportInfo(
        id=row.id or 0,
        reporter_id=row.reporter_id,
        reporter_name=name,
        village_code=row.village_code,
        institution=row.institution,
        institution_other=other,
        title=row.title,
        category=row.category,
        description=row.description,
        latitude=row.latitude,
        longitude=row.longitude,
        status=ReportStatus(row.status),
        version=row.version,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        last_comment=row.last_comment,
        featured_at=row.featured_at,
        channel_posted_at=row.channel_posted_at,
        media=media,
        events=events,
    )
