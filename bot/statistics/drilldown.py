"""The `/statistik` command and its buttons: scope chooser, drill-down, empty villages.

Every press names its area; the area is checked again against the presser's scopes here,
whatever the keyboard said.
"""

from __future__ import annotations

from itertools import groupby

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.auth import Identity, identify, may_read_area
from bot.callbacks import ForgedCallback, StatisticsButton, refuse_forged
from bot.context import BotContext
from bot.i18n import t
from bot.moments import format_count
from bot.statistics.view import remove_pressed_view, send_view
from bot.telegram_text import split_html
from bot.ui import keyboard
from bot.vocabulary import parse_region_code
from storage.regions import display_name, get_region
from storage.stats import Period, empty_villages

__all__ = ["handlers", "statistics_button", "statistics_command"]


async def _refuse(update: Update, context: BotContext, key: str) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer(t(key, context.lang), show_alert=True)
        return
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(t(key, context.lang))


async def _send_scope_chooser(update: Update, context: BotContext, identity: Identity) -> None:
    with context.db.session() as session:
        regions = [get_region(session, scope) for scope in identity.scopes]
    month = Period.MONTH.value
    rows = [
        [(display_name(region), StatisticsButton("v", region.code, month).pack())]
        for region in regions
        if region is not None
    ]
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(t("stats.choose_scope", context.lang), reply_markup=keyboard(rows))
    await remove_pressed_view(update, context)


async def _send_empty_list(update: Update, context: BotContext, code: str) -> None:
    """All kelurahan/desa of the area without a cadre, grouped by kecamatan."""
    lang = context.lang
    with context.db.session() as session:
        area = get_region(session, code)
        empty = empty_villages(session, code)
        districts = {
            c: get_region(session, c) for c in {r.parent_code for r in empty} if c is not None
        }
    chat = update.effective_chat
    assert chat is not None
    if area is None:
        await chat.send_message(t("stats.unknown_area", lang))
        return
    count = format_count(len(empty), lang)
    lines = [t("stats.empty_title", lang, area=display_name(area), count=count)]
    if not empty:
        lines.append(t("stats.empty_none", lang))
    for district_code, villages in groupby(empty, key=lambda r: r.parent_code):
        district = districts.get(district_code or "")
        lines.append(
            t(
                "stats.empty_group",
                lang,
                district=display_name(district) if district else "",
                names=", ".join(display_name(v) for v in villages),
            )
        )
    for part in split_html("\n".join(lines)):
        await chat.send_message(part)


async def statistics_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await _refuse(update, context, "stats.not_allowed")
        return
    if len(identity.scopes) > 1:
        await _send_scope_chooser(update, context, identity)
        return
    await send_view(update, context, identity, identity.scopes[0], Period.MONTH)


async def statistics_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await _refuse(update, context, "stats.not_allowed")
        return
    try:
        button = StatisticsButton.unpack(query.data)
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return
    if button.action == "h":
        await query.answer()
        await _send_scope_chooser(update, context, identity)
        return
    code = parse_region_code(button.code)
    period = Period(button.period) if button.period in set(Period) else None
    if code is None or (button.action == "v" and period is None):
        await refuse_forged(update, context.lang)
        return
    if not may_read_area(identity, code):
        await _refuse(update, context, "stats.not_your_area")
        return
    await query.answer()
    if period is None:
        await _send_empty_list(update, context, code)
    else:
        await send_view(update, context, identity, code, period)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("statistik", statistics_command),
        CallbackQueryHandler(statistics_button, pattern=StatisticsButton.pattern()),
    ]
