"""How much one cadre may send in a day, and how full MEDIA_DIR may get (review finding F5).

Anyone can register as a cadre, so without bounds a few scripted accounts could bury the
reviewers in reports and fill the disk that also holds the database. A cadre gets at most
`QUOTA.reports_per_day` new reports and `QUOTA.media_bytes_per_day` of photos and documents in
any 24 hours (fixing a report returned for revision is never held back), and files are
accepted only while `bot.reports.media.has_room` (MEDIA_MAX_GB, free disk space).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from bot.config import Settings
from bot.reports.media import MB, has_room
from storage import reports as store

__all__ = ["DAY", "QUOTA", "Refusal", "ReportQuota", "refusal"]

DAY = timedelta(hours=24)


@dataclass(frozen=True)
class ReportQuota:
    """What one cadre may send in any 24 hours."""

    reports_per_day: int = 5
    media_bytes_per_day: int = 100 * MB


QUOTA = ReportQuota()


class Refusal(StrEnum):
    """Why a report cannot go in now; the message key is `reports.limit.<value>`."""

    DAILY_REPORTS = "daily_reports"
    DAILY_MEDIA = "daily_media"
    DISK_FULL = "disk_full"


def refusal(
    session: Session,
    settings: Settings,
    reporter_id: int,
    incoming: int,
    *,
    new: bool,
    now: datetime,
) -> Refusal | None:
    """Why this submission (a new report, or a fix, carrying `incoming` new bytes) is refused,
    or None when it may go in."""
    if new:
        reports, sent = store.submitted_since(session, reporter_id, now - DAY)
        if reports >= QUOTA.reports_per_day:
            return Refusal.DAILY_REPORTS
        if sent + incoming > QUOTA.media_bytes_per_day:
            return Refusal.DAILY_MEDIA
    if not has_room(session, settings, incoming):
        return Refusal.DISK_FULL
    return None
