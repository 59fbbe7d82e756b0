"""Report media: size limits, and our own copies of photos and documents under MEDIA_DIR.

Telegram keeps files only as long as it likes; a report must outlive that, so every photo and
document is also downloaded and stored as `reports/<report id>/<report id>-<seq>.<ext>` — never
under a name the user chose. A file that cannot be fetched keeps its file id and is fetched
again the next time `store_media` runs for the report (at approval, or a resubmission).
"""

from __future__ import annotations

import logging
import mimetypes
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session
from telegram.error import TelegramError

from bot.config import Settings
from storage import reports as store
from storage.db import Database
from storage.reports import MediaInfo, ReportInfo

__all__ = [
    "GB",
    "LIMITS",
    "MB",
    "MIN_FREE_BYTES",
    "MediaLimits",
    "free_bytes",
    "has_room",
    "media_path",
    "store_media",
]

log = logging.getLogger(__name__)
MB = 1024 * 1024
GB = 1024 * MB
MIN_FREE_BYTES = 1 * GB  # MEDIA_DIR's disk often holds the database too: never fill it


@dataclass(frozen=True)
class MediaLimits:
    """How much a report may carry. Bots can download at most 20 MB per file from Telegram."""

    max_photos: int = 5
    photo_bytes: int = 10 * MB
    document_bytes: int = 20 * MB


LIMITS = MediaLimits()


def free_bytes(path: Path) -> int:
    """Free bytes on the disk `path` is (or will be created) on."""
    existing = path.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return shutil.disk_usage(existing).free


def has_room(session: Session, settings: Settings, incoming: int) -> bool:
    """Whether `incoming` more bytes of report files fit under MEDIA_MAX_GB and the disk."""
    if incoming <= 0:
        return True
    if store.stored_media_bytes(session) + incoming > settings.media_max_gb * GB:
        return False
    return free_bytes(settings.media_dir) - incoming >= MIN_FREE_BYTES


def _extension(media: MediaInfo) -> str:
    if media.kind == "photo":
        return ".jpg"
    guessed = mimetypes.guess_extension(media.mime_type or "") or ""
    return guessed if re.fullmatch(r"\.[a-z0-9]{1,8}", guessed) else ".bin"


def media_path(report_id: int, media: MediaInfo) -> Path:
    """Where a report's file lives under MEDIA_DIR: named by report and sequence only."""
    return Path("reports") / str(report_id) / f"{report_id}-{media.seq:02d}{_extension(media)}"


async def store_media(
    bot: Any,
    database: Database,
    settings: Settings,
    report: ReportInfo,
    dropped: Sequence[MediaInfo] = (),
) -> int:
    """Copy the report's files from Telegram to MEDIA_DIR; returns how many were stored.

    A file that cannot be fetched now, or would not fit (MEDIA_MAX_GB, free disk space), keeps
    only its file id (logged); it is retried the next time this runs for the report. Files of
    media dropped at a resubmission are deleted.
    """
    media_dir = settings.media_dir
    _delete_files(media_dir, dropped)  # first: what goes frees room for what comes
    stored = 0
    for media in report.media:
        relative = media_path(report.id, media)
        target = media_dir / relative
        if _is_stored(media_dir, media):
            continue
        limit = LIMITS.photo_bytes if media.kind == "photo" else LIMITS.document_bytes
        with database.session() as session:
            fits = has_room(session, settings, media.file_size or limit)
        if not fits:
            log.warning(
                "MEDIA_DIR is full: file %s of report %s kept on Telegram", media.seq, report.id
            )
            continue
        try:
            telegram_file = await bot.get_file(media.file_id)
            if telegram_file.file_size and telegram_file.file_size > limit:
                log.warning("report %s file %s is over the limit", report.id, media.seq)
                continue
            _private_folder(media_dir, target.parent)
            await telegram_file.download_to_drive(target)
            target.chmod(0o600)  # photos of people, often children: the bot's user only
        except (TelegramError, OSError) as exc:
            log.warning("could not store file %s of report %s: %s", media.seq, report.id, exc)
            continue
        with database.session() as session:
            store.set_media_path(session, media.id, relative.as_posix())
        stored += 1
    return stored


def _private_folder(media_dir: Path, folder: Path) -> None:
    """Create `folder` under `media_dir`, which only the bot's user may enter (0o700)."""
    media_dir.mkdir(parents=True, exist_ok=True)
    media_dir.chmod(0o700)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def _is_stored(media_dir: Path, media: MediaInfo) -> bool:
    return bool(media.local_path) and (media_dir / str(media.local_path)).exists()


def _delete_files(media_dir: Path, dropped: Sequence[MediaInfo]) -> None:
    """Remove our copies of media no longer part of a report (never outside `media_dir`)."""
    root = media_dir.resolve()
    for media in dropped:
        if media.local_path:
            path = (media_dir / media.local_path).resolve()
            if path.is_relative_to(root):
                path.unlink(missing_ok=True)
