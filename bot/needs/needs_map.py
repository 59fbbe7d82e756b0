"""/peta_kebutuhan: what an area needs, with drill-down kabupaten/kota → kecamatan →
kelurahan/desa, a phone-readable chart, and the XLSX "usulan pelatihan".

Officials see the whole forum area, coordinators their scopes; every code pressed is checked
against the presser's scopes on the server (a forged one is refused and audited). Phone
numbers of coordinators are in the XLSX only for officials.
"""

from __future__ import annotations

import asyncio
import html
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.auth import Identity, identify
from bot.callbacks import NeedsMapButton
from bot.config import Settings
from bot.context import BotContext
from bot.i18n import t
from bot.moments import format_count, format_day, to_local
from bot.needs.common import asker, pressed
from bot.needs.labels import need_label
from bot.ui import Button, keyboard
from storage import needs
from storage.audit import audit
from storage.charts import BarPanel, ChartSpec
from storage.db import Database
from storage.models import utcnow
from storage.needs_sheet import NeedsSheetLabels, build_proposal
from storage.regions import children, display_name, get_region, parent_code

__all__ = ["MapView", "compose_map", "handlers", "sheet_labels"]

TOP = 10  # needs listed and charted
VOICES = 5


@dataclass(frozen=True)
class MapView:
    text: str
    chart: ChartSpec
    markup: InlineKeyboardMarkup


def compose_map(
    database: Database, settings: Settings, identity: Identity, code: str, lang: str
) -> MapView | None:
    """The map of `code` (inside the caller's scopes), or None if it is no region."""
    with database.session() as session:
        region = get_region(session, code)
        if region is None:
            return None
        subareas = children(session, code)
        width = len(subareas[0].code) if subareas else None
        found = needs.needs_map(session, code, width, VOICES)
        names = {r.code: display_name(r) for r in subareas}
        voice_names = {
            v.village_code: display_name(r)
            for v in found.voices
            if (r := get_region(session, v.village_code)) is not None
        }
        up = parent_code(code)
        parent = get_region(session, up) if up and identity.may_act_on(up) else None
    title = t("needs.map.title", lang, area=display_name(region))
    lines = [
        title,
        t(
            "needs.map.coverage",
            lang,
            answered=format_count(found.coverage.answered, lang),
            cadres=format_count(found.coverage.cadres, lang),
            villages=format_count(found.coverage.villages_answered, lang),
        ),
    ]
    top = found.table[:TOP]
    if top:
        lines.append(t("needs.map.top_title", lang))
        for i, figure in enumerate(top, 1):
            lines.append(
                t(
                    "needs.map.top_row",
                    lang,
                    rank=i,
                    need=need_label(figure.need, lang, figure.other_name),
                    score=format_count(figure.score, lang),
                    villages=format_count(figure.villages, lang),
                    cadres=format_count(figure.cadres, lang),
                    escape=False,
                )
            )
    else:
        lines.append(t("needs.map.none", lang))
    if found.voices:
        lines.append(t("needs.map.voices_title", lang))
        for voice in found.voices:
            lines.append(
                t(
                    "needs.map.voice",
                    lang,
                    area=voice_names.get(voice.village_code, voice.village_code),
                    problem=voice.problem,
                    potential=voice.potential,
                    day=format_day(to_local(voice.updated_at, settings.timezone).date(), lang),
                )
            )
    chart = ChartSpec(
        title=html.unescape(t("needs.map.chart_title", lang, area=display_name(region))),
        panels=(
            BarPanel(
                title=t("needs.map.chart_panel", lang),
                labels=[html.unescape(need_label(f.need, lang, f.other_name)) for f in top],
                values=[f.score for f in top],
                value_labels=[format_count(f.score, lang) for f in top],
            ),
        ),
        empty_text=t("needs.map.chart_empty", lang),
    )
    rows: list[list[Button]] = []
    answered_children = [
        (names[c], c, cov.answered)
        for c, cov in found.children.items()
        if c in names and cov.answered
    ]
    pairs = [
        (t("needs.map.child", lang, area=name, count=format_count(n, lang)), _pack("v", c))
        for name, c, n in sorted(answered_children)
    ]
    rows += [pairs[i : i + 2] for i in range(0, len(pairs), 2)]
    if parent is not None:
        rows.append([(t("needs.map.up", lang, area=display_name(parent)), _pack("v", parent.code))])
    rows.append([(t("needs.map.xlsx", lang), _pack("x", code))])
    return MapView("\n\n".join(lines), chart, keyboard(rows))


def _pack(action: str, code: str) -> str:
    return NeedsMapButton(action, code).pack()


def sheet_labels(lang: str) -> NeedsSheetLabels:
    """The XLSX texts in `lang` (also for `/ekspor`'s needs sheet)."""
    return NeedsSheetLabels(
        title=t("needs.sheet.title", lang),
        headers=tuple(
            t(f"needs.sheet.{column}", lang)
            for column in (
                "area",
                "code",
                "training",
                "score",
                "villages",
                "cadres",
                "coordinator",
                "phone",
            )
        ),
        needs={code: html.unescape(need_label(code, lang)) for code in needs.need_codes()},
        other_named=html.unescape(t("needs.item_other_named", lang, name="{name}")),
    )


# ---------------------------------------------------------------- handlers


async def map_command(update: Update, context: BotContext) -> None:
    """`/peta_kebutuhan`: the sender's area, or a choice when they have several."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await chat.send_message(t("needs.map.not_allowed", lang))
        return
    if len(identity.scopes) == 1:
        await _send_view(update, context, identity, identity.scopes[0])
        return
    with context.db.session() as session:
        regions = [r for r in (get_region(session, s) for s in identity.scopes) if r]
    rows = [[(display_name(r), _pack("v", r.code))] for r in regions]
    await chat.send_message(t("needs.map.choose", lang), reply_markup=keyboard(rows))


async def _send_view(update: Update, context: BotContext, identity: Identity, code: str) -> None:
    chat = update.effective_chat
    assert chat is not None
    lang = context.lang
    _, view = await asyncio.gather(
        chat.send_chat_action(ChatAction.UPLOAD_PHOTO),
        asyncio.to_thread(compose_map, context.db, context.settings, identity, code, lang),
    )
    if view is None:
        await chat.send_message(t("needs.map.unknown_area", lang))
        return
    png = await asyncio.to_thread(view.chart.render)
    await chat.send_message(view.text)
    await chat.send_photo(png, reply_markup=view.markup)


async def map_button(update: Update, context: BotContext) -> None:
    """`v:<code>` the map of an area, `x:<code>` its XLSX — inside the presser's scopes."""
    query = update.callback_query
    assert query is not None
    lang = context.lang
    button = await pressed(update, context, NeedsMapButton)
    if button is None:
        return
    identity = asker(update, context)
    if not identity.may_act_on(button.code):
        with context.db.session() as session:
            audit(session, identity.user_id, "needs.map_refused", button.code[:40])
        await query.answer(t("needs.map.refused", lang), show_alert=True)
        return
    await query.answer()
    if button.action == "v":
        await _send_view(update, context, identity, button.code)
    else:
        await _send_proposal(update, context, identity, button.code)


async def _send_proposal(
    update: Update, context: BotContext, identity: Identity, code: str
) -> None:
    chat = update.effective_chat
    assert chat is not None
    lang = context.lang
    with context.db.session() as session:
        region = get_region(session, code)
    if region is None:
        await chat.send_message(t("needs.map.unknown_area", lang))
        return
    day = to_local(utcnow(), context.settings.timezone).date()
    with tempfile.TemporaryDirectory(prefix="forkom-needs-") as folder:
        path = Path(folder) / "usulan.xlsx"
        rows = await asyncio.to_thread(
            build_proposal, context.db, code, sheet_labels(lang), identity.is_official, path
        )
        with path.open("rb") as handle:
            await chat.send_document(
                handle,
                filename=t("needs.sheet.filename", lang, code=code, date=day.isoformat()),
                caption=t(
                    "needs.sheet.caption",
                    lang,
                    area=display_name(region),
                    rows=format_count(rows, lang),
                ),
            )
    with context.db.session() as session:
        audit(session, identity.user_id, "needs.export", code, phones=identity.is_official)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler("peta_kebutuhan", map_command),
        CallbackQueryHandler(map_button, pattern=NeedsMapButton.pattern()),
    ]
