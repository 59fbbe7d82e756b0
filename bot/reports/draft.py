"""What a cadre has entered in /lapor so far: the typed draft, its steps, its input rules.

The step is PTB's persisted conversation state. Only when a paused form is opened again
(`/lapor`, "Perbaiki laporan") is it worked out from the draft: the first question not yet
answered, or the summary when the cadre was changing one field.
"""

from __future__ import annotations

import dataclasses
import re
from enum import IntEnum
from typing import Any

from telegram import Update

from bot.context import BotContext
from bot.forms import END, Draft, Form
from storage.reports import MediaInfo, MediaItem, ReportInfo

__all__ = [
    "DESCRIPTION_LIMITS",
    "FIELDS",
    "FORM",
    "TITLE_LIMITS",
    "ReportDraft",
    "Step",
    "clean_description",
    "clean_title",
    "draft_from_report",
]

TITLE_LIMITS = (5, 120)
DESCRIPTION_LIMITS = (20, 2000)


class Step(IntEnum):
    TITLE = 1
    CATEGORY = 2
    DESCRIPTION = 3
    PHOTOS = 4
    LOCATION = 5
    DOCUMENT = 6
    CONFIRM = 7


# The fields the summary's "Ubah" offers, in its order, and the step that asks each.
FIELDS = {
    "title": Step.TITLE,
    "category": Step.CATEGORY,
    "description": Step.DESCRIPTION,
    "photos": Step.PHOTOS,
    "location": Step.LOCATION,
    "document": Step.DOCUMENT,
}


@dataclasses.dataclass
class ReportDraft(Draft):
    """A new report, or (with `report_id`) one returned for revision being fixed.

    Photos, location and document are optional, so `*_done` says the cadre answered them
    (with something or by skipping). `photos_prompt` is the photo question whose buttons go
    once photos arrive; `album_*` is the one acknowledgement an album gets, edited per photo.
    """

    title: str | None = None
    category: str | None = None
    description: str | None = None
    photos: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    photos_done: bool = False
    photos_prompt: int | None = None
    album_group: str | None = None
    album_message_id: int | None = None
    album_full: int = 0
    album_too_big: int = 0
    location: list[float] | None = None
    location_done: bool = False
    document: dict[str, Any] | None = None
    document_done: bool = False
    report_id: int | None = None  # fixing this report
    village: str | None = None  # the fixed report's kelurahan (it keeps it)
    comment: str | None = None  # the reviewer's note on the fixed report

    def first_open_step(self) -> Step:
        """Where to resume when only the draft is known (its conversation state is not)."""
        if self.back_to_summary:
            return Step.CONFIRM
        for answered, state in (
            (self.title, Step.TITLE),
            (self.category, Step.CATEGORY),
            (self.description, Step.DESCRIPTION),
            (self.photos_done, Step.PHOTOS),
            (self.location_done, Step.LOCATION),
            (self.document_done, Step.DOCUMENT),
        ):
            if not answered:
                return state
        return Step.CONFIRM

    def forget_album(self) -> None:
        self.album_group = self.album_message_id = None
        self.album_full = self.album_too_big = 0

    def media(self) -> list[MediaItem]:
        """The photos, then the document, as the report will keep them."""
        items = [MediaItem.from_dict(p) for p in self.photos]
        if self.document:
            items.append(MediaItem.from_dict(self.document))
        return items


class ReportForm(Form[ReportDraft]):
    """/lapor's form: `/batal` says whether a new report or a revision was dropped."""

    async def cancel(self, update: Update, context: BotContext) -> int:
        assert update.effective_user is not None
        loaded = self.load(context, update.effective_user.id)
        kind = "fix" if loaded is not None and loaded[0].report_id else "new"
        self.drop(context, update.effective_user.id)
        await self.say(update, context, f"cancelled.{kind}")
        return END


# An idle form is paused, not dropped: a report takes a while, /lapor picks it up again.
FORM = ReportForm(
    "report",
    ReportDraft,
    keys="reports",
    on_idle="pause",
    summary=Step.CONFIRM,
    remove_keyboard=True,
)


def clean_title(raw: str) -> str | None:
    """A one-line title of 5–120 characters (spaces tidied), or None."""
    title = " ".join(raw.split())
    low, high = TITLE_LIMITS
    if not low <= len(title) <= high or title.startswith("/"):
        return None
    return title


def clean_description(raw: str) -> str | None:
    """A description of 20–2000 characters; line breaks kept, blank runs collapsed."""
    lines = [" ".join(line.split()) for line in raw.strip().splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    low, high = DESCRIPTION_LIMITS
    if not low <= len(text) <= high:
        return None
    return text


def _media_item(media: MediaInfo) -> dict[str, Any]:
    return MediaItem(
        media.kind,
        media.file_id,
        media.file_unique_id,
        media.file_size,
        media.mime_type,
        media.file_name,
    ).to_dict()


def draft_from_report(report: ReportInfo) -> ReportDraft:
    """The form pre-filled with a report returned for revision, at its summary."""
    location = None
    if report.latitude is not None and report.longitude is not None:
        location = [report.latitude, report.longitude]
    return ReportDraft(
        report_id=report.id,
        village=report.village_code,
        comment=report.last_comment,
        title=report.title,
        category=report.category,
        description=report.description,
        photos=[_media_item(m) for m in report.photos],
        photos_done=True,
        location=location,
        location_done=True,
        document=_media_item(report.document) if report.document else None,
        document_done=True,
        back_to_summary=True,
    )
