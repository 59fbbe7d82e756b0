"""`/ekspor` and the "📥 Unduh Excel" button of a statistics view: the area's data as XLSX.

Officials get the whole forum area (or the viewed area) with phone numbers; coordinators get
their scopes without them. The workbook is built in a worker thread (`asyncio.to_thread`) so
other users are answered meanwhile, one export at a time so memory stays bounded, while a
status message and the "sending a file…" indicator show that it is on its way. Every export is
written to the audit log.

Exports are the heaviest thing a user can ask for (review finding F10), so each user has one
queued or running at a time, waits `COOLDOWN_SECONDS` after it before the next, and at most
`MAX_QUEUED` exports wait for the slot in all.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from babel.numbers import format_decimal
from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.auth import Identity, identify, may_read_area
from bot.callbacks import ExportButton, ForgedCallback, refuse_forged
from bot.context import BotContext
from bot.i18n import t
from bot.moments import format_count, format_day, to_local
from bot.needs.needs_map import sheet_labels
from bot.training.figures import sheet_labels as attendance_labels
from bot.vocabulary import INSTITUTIONS, parse_region_code
from storage.audit import audit
from storage.export import (
    ExportLabels,
    ExportProgress,
    ExportRequest,
    ExportResult,
    SheetLabels,
    build_workbook,
)
from storage.models import BroadcastKind, BroadcastStatus, RsvpStatus, utcnow
from storage.regions import display_name, get_region
from storage.reports import CATEGORIES, ReportStatus

__all__ = [
    "COOLDOWN_SECONDS",
    "MAX_QUEUED",
    "ExportGate",
    "GateRefusal",
    "export_labels",
    "handlers",
]

PROGRESS_SECONDS = 4.0  # a chat action shows for 5 s: renew it before it fades
MAX_UPLOAD_BYTES = 49 * 1024 * 1024  # bots may send documents up to 50 MB
COOLDOWN_SECONDS = 60.0
MAX_QUEUED = 8  # exports running or waiting for the slot, all users together


class GateRefusal(StrEnum):
    """Why an export is not started; the message key is `export.refused.<value>`."""

    BUSY = "busy"  # this user's previous export is still queued or running
    COOLDOWN = "cooldown"
    QUEUE_FULL = "queue_full"


@dataclass
class ExportGate:
    """Who has an export in progress and when each user's last one ended (one per bot)."""

    busy: set[int] = field(default_factory=set)
    finished: dict[int, float] = field(default_factory=dict)

    def enter(self, user_id: int, now: float) -> GateRefusal | None:
        """Admit the user's export (None), or say why not."""
        if user_id in self.busy:
            return GateRefusal.BUSY
        self.finished = {u: at for u, at in self.finished.items() if now - at < COOLDOWN_SECONDS}
        if user_id in self.finished:
            return GateRefusal.COOLDOWN
        if len(self.busy) >= MAX_QUEUED:
            return GateRefusal.QUEUE_FULL
        self.busy.add(user_id)
        return None

    def leave(self, user_id: int, now: float) -> None:
        self.busy.discard(user_id)
        self.finished[user_id] = now

    def seconds_left(self, user_id: int, now: float) -> int:
        return max(1, round(COOLDOWN_SECONDS - (now - self.finished.get(user_id, now))))


def export_labels(lang: str) -> ExportLabels:
    """Every text of the workbook, from the catalog."""
    return ExportLabels(
        summary=SheetLabels(
            t("export.sheet.summary", lang),
            (
                t("export.col.area", lang),
                t("export.col.cadres", lang),
                t("export.col.active", lang),
                t("export.col.unreachable", lang),
                t("export.col.villages", lang),
                t("export.col.covered", lang),
                t("export.col.coverage", lang),
                t("export.col.reports", lang),
            ),
        ),
        cadres=SheetLabels(
            t("export.sheet.cadres", lang),
            (
                t("export.col.name", lang),
                t("export.col.phone", lang),
                t("export.col.institution", lang),
                t("export.col.village", lang),
                t("export.col.district", lang),
                t("export.col.regency", lang),
                t("export.col.code", lang),
                t("export.col.registered", lang),
                t("export.col.last_seen", lang),
                t("export.col.unreachable_since", lang),
                t("export.col.receives", lang),
            ),
        ),
        reports=SheetLabels(
            t("export.sheet.reports", lang),
            (
                t("export.col.number", lang),
                t("export.col.submitted", lang),
                t("export.col.title", lang),
                t("export.col.category", lang),
                t("export.col.status", lang),
                t("export.col.channelled", lang),
                t("export.col.village", lang),
                t("export.col.district", lang),
                t("export.col.regency", lang),
                t("export.col.institution", lang),
                t("export.col.reporter", lang),
            ),
        ),
        trainings=SheetLabels(
            t("export.sheet.trainings", lang),
            (
                t("export.col.number", lang),
                t("export.col.title", lang),
                t("export.col.starts", lang),
                t("export.col.place", lang),
                t("export.col.target_area", lang),
                t("export.col.quota", lang),
                t("export.col.going", lang),
                t("export.col.waiting", lang),
                t("export.col.participant", lang),
                t("export.col.phone", lang),
                t("export.col.status", lang),
                t("export.col.village", lang),
                t("export.col.institution", lang),
            ),
        ),
        broadcasts=SheetLabels(
            t("export.sheet.broadcasts", lang),
            (
                t("export.col.number", lang),
                t("export.col.created", lang),
                t("export.col.kind", lang),
                t("export.col.title", lang),
                t("export.col.status", lang),
                t("export.col.recipients", lang),
                t("export.col.delivered", lang),
                t("export.col.failed", lang),
                t("export.col.other", lang),
                t("export.col.delivery_rate", lang),
            ),
        ),
        summary_title=t("export.summary.title", lang),
        summary_area=t("export.summary.area", lang),
        summary_created=t("export.summary.created", lang),
        summary_phones=t("export.summary.phones", lang),
        phones_included=t("export.summary.phones_included", lang),
        phones_excluded=t("export.summary.phones_excluded", lang),
        summary_total=t("export.summary.total", lang),
        institutions_title=t("export.summary.by_institution", lang),
        institution_header=(t("export.col.institution", lang), t("export.col.cadres", lang)),
        categories_title=t("export.summary.by_category", lang),
        category_header=(t("export.col.category", lang), t("export.col.reports", lang)),
        institutions={code: t(f"institution.{code}", lang) for code in INSTITUTIONS},
        categories={code: t(f"reports.category.{code}", lang) for code in CATEGORIES},
        report_statuses={s.value: t(f"stats.report_status.{s.value}", lang) for s in ReportStatus},
        broadcast_kinds={kind.value: t(f"export.kind.{kind}", lang) for kind in BroadcastKind},
        broadcast_statuses={
            status.value: t(f"export.broadcast_status.{status}", lang) for status in BroadcastStatus
        },
        rsvp_statuses={
            status.value: t(f"export.rsvp.{status}", lang)
            for status in (RsvpStatus.GOING, RsvpStatus.WAITING)
        },
        yes=t("export.yes", lang),
        no=t("export.no", lang),
        erased=t("export.erased", lang),
    )


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40] or "wilayah"


async def _edit(message: Message, text: str) -> None:
    try:
        await message.edit_text(text)
    except BadRequest:  # unchanged or deleted by the user: the file still comes
        pass


async def _export(
    update: Update, context: BotContext, identity: Identity, scopes: tuple[str, ...]
) -> None:
    """Run one export through the gate: refused politely, or built and sent."""
    chat = update.effective_chat
    assert chat is not None
    gate = context.app.export_gate
    refused = gate.enter(identity.user_id, time.monotonic())
    if refused is not None:
        seconds = gate.seconds_left(identity.user_id, time.monotonic())
        text = t(f"export.refused.{refused}", context.lang, seconds=seconds)
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await chat.send_message(text)
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    try:
        await _build_and_send(update, context, identity, scopes)
    finally:
        gate.leave(identity.user_id, time.monotonic())


async def _build_and_send(
    update: Update, context: BotContext, identity: Identity, scopes: tuple[str, ...]
) -> None:
    chat = update.effective_chat
    assert chat is not None
    lang = context.lang
    with context.db.session() as session:
        regions = [r for r in (get_region(session, s) for s in scopes) if r is not None]
    area = ", ".join(display_name(r) for r in regions)
    slots = context.app.export_slots
    status = await chat.send_message(
        t("export.waiting" if slots.locked() else "export.preparing", lang, area=area)
    )
    async with slots:
        started = time.monotonic()
        request = ExportRequest(
            scopes=tuple(r.code for r in regions),
            include_phones=identity.is_official,
            timezone=context.settings.timezone,
            now=utcnow(),
            needs_labels=sheet_labels(lang),
            attendance_labels=attendance_labels(lang),
        )
        day = to_local(request.now, request.timezone).date()
        filename = t("export.filename", lang, area=_slug(area), date=day.isoformat())
        progress = ExportProgress()
        with tempfile.TemporaryDirectory(prefix="forkom-export-") as folder:
            path = Path(folder) / "export.xlsx"
            build = asyncio.ensure_future(
                asyncio.to_thread(
                    build_workbook, context.db, request, export_labels(lang), path, progress
                )
            )
            await _wait_showing_progress(context, chat.id, status, build, progress, lang)
            result: ExportResult = build.result()
            size = path.stat().st_size
            if size > MAX_UPLOAD_BYTES:
                megabytes = format_decimal(round(size / 1024 / 1024, 1), locale=lang)
                await _edit(status, t("export.too_big", lang, area=area, size=megabytes))
                return
            counts = "\n".join(
                t("export.caption_rows", lang, sheet=sheet, rows=format_count(n, lang))
                for sheet, n in result.rows.items()
            )
            with path.open("rb") as handle:
                await chat.send_document(
                    handle,
                    filename=filename,
                    caption=t(
                        "export.caption", lang, area=area, date=format_day(day, lang, weekday=False)
                    )
                    + "\n"
                    + counts,
                )
    with context.db.session() as session:
        audit(
            session,
            identity.user_id,
            "export.xlsx",
            ",".join(request.scopes),
            rows=result.rows,
            phones=request.include_phones,
        )
    seconds = format_decimal(round(time.monotonic() - started, 1), locale=lang)
    await _edit(status, t("export.done", lang, area=area, seconds=seconds))


async def _wait_showing_progress(
    context: BotContext,
    chat_id: int,
    status: Message,
    build: asyncio.Future[ExportResult],
    progress: ExportProgress,
    lang: str,
) -> None:
    """Renew the "sending a file…" indicator and the status text until the workbook is ready."""
    shown = ""
    while True:
        await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
        done, _ = await asyncio.wait({build}, timeout=PROGRESS_SECONDS)
        if done:
            return
        if progress.sheet:
            text = t(
                "export.progress",
                lang,
                sheet=progress.sheet,
                rows=format_count(progress.rows, lang),
            )
            if text != shown:
                await _edit(status, text)
                shown = text


async def export_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await chat.send_message(t("export.not_allowed", context.lang))
        return
    await _export(update, context, identity, identity.scopes)


async def export_button(update: Update, context: BotContext) -> None:
    """`ex:<code>`: the area of a statistics view, checked again against the user's scopes."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await query.answer(t("export.not_allowed", context.lang), show_alert=True)
        return
    try:
        code = parse_region_code(ExportButton.unpack(query.data).code)
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return
    if code is None:
        await refuse_forged(update, context.lang)
        return
    if not may_read_area(identity, code):
        await query.answer(t("stats.not_your_area", context.lang), show_alert=True)
        return
    await _export(update, context, identity, (code,))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("ekspor", export_command),
        CallbackQueryHandler(export_button, pattern=ExportButton.pattern()),
    ]
