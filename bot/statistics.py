"""`/statistik`: figures and a chart for an area and a period, with drill-down — officials
(any area of the forum) and coordinators (their scopes) only.

A view is two messages: the figures as text, then the chart as a photo that carries the
buttons (periods, sub-regions, up, list of empty kelurahan/desa, Excel export). Telegram cannot
swap a photo by editing a text, so navigating sends the next view and deletes the previous one.
Every button names its area in the callback data, and every press is re-checked against the
user's scopes on the server: a forged `st:v:<code>` for another area is refused.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.auth import Identity, identify
from bot.config import Settings
from bot.context import BotContext
from bot.i18n import t
from bot.ui import Button, keyboard
from storage.charts import BarPanel, ChartSpec
from storage.db import Database
from storage.regions import RegionInfo, display_name, get_region, in_scope, parent_code
from storage.stats import AreaStatistics, Period, area_statistics, empty_villages

__all__ = ["handlers", "may_read_area", "parse_area_code"]

log = logging.getLogger(__name__)

CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
# user_data: chart message id → figures message id of the views on screen (to replace them).
VIEWS_KEY = "stats_views"
KEEP_VIEWS = 5
EMPTY_NAMES_SHOWN = 8
TEXT_LIMIT = 4000


@dataclass(frozen=True)
class View:
    """A statistics view ready to send; its chart is drawn while the text is on its way."""

    stats: AreaStatistics
    text: str
    chart: ChartSpec
    caption: str
    markup: InlineKeyboardMarkup


# ---------------------------------------------------------------- access


def parse_area_code(raw: str) -> str | None:
    """A well-formed region code from callback data or arguments, else None."""
    return raw if CODE_RE.match(raw) else None


def may_read_area(identity: Identity, code: str) -> bool:
    """Officials read the whole forum area, coordinators their scopes; nobody reads beyond."""
    return (
        identity.is_privileged and identity.may_act_on(code) and in_scope(code, identity.forum_area)
    )


async def _refuse(update: Update, context: BotContext, key: str) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer(t(key, context.lang), show_alert=True)
        return
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(t(key, context.lang))


# ---------------------------------------------------------------- formatting


def _number(value: int, lang: str) -> str:
    return format_decimal(value, locale=lang)


def _percent(part: int, whole: int, lang: str) -> str:
    if not whole:
        return "–"
    return format_percent(part / whole, "#,##0.#%", locale=lang)


def _day(value: date, lang: str) -> str:
    return format_date(value, "d MMM y", locale=lang)


def _short_name(region: RegionInfo, lang: str) -> str:
    """ "Kab. Kutai Kartanegara": fits a button or a chart label on a phone."""
    if region.kind == "kabupaten" and region.name.startswith("Kabupaten "):
        return t("stats.regency_short", lang, escape=False, name=region.name[len("Kabupaten ") :])
    return region.name


def _period_label(period: Period, lang: str) -> str:
    return t(f"stats.period.{period.value}", lang)


def _name_list(regions: list[RegionInfo] | tuple[RegionInfo, ...], lang: str) -> str:
    """The first few names and "and N more", as HTML (names escaped once, here)."""
    names = ", ".join(html.escape(display_name(r)) for r in regions[:EMPTY_NAMES_SHOWN])
    more = len(regions) - EMPTY_NAMES_SHOWN
    if more > 0:
        return t("stats.empty_more", lang, escape=False, names=names, more=_number(more, lang))
    return names


def figures_text(stats: AreaStatistics, lang: str) -> str:
    """The figures of a view as Telegram HTML (kept under the 4096-character limit)."""
    area = display_name(stats.area)
    window = stats.window
    n = _number
    lines = [t("stats.title", lang, area=area)]
    if window.first_day is None:
        lines.append(t("stats.period_all", lang, last=_day(window.last_day, lang)))
    else:
        lines.append(
            t(
                "stats.period_line",
                lang,
                period=_period_label(window.period, lang),
                first=_day(window.first_day, lang),
                last=_day(window.last_day, lang),
            )
        )
    totals = stats.totals
    lines += ["", t("stats.cadres_header", lang)]
    if window.first_day is None:
        lines.append(t("stats.registered", lang, count=n(totals.cadres, lang)))
    else:
        lines.append(
            t(
                "stats.registered_joined",
                lang,
                count=n(totals.cadres, lang),
                joined=n(totals.joined, lang),
            )
        )
    lines.append(
        t(
            "stats.active",
            lang,
            count=n(totals.active, lang),
            percent=_percent(totals.active, totals.cadres, lang),
        )
    )
    lines.append(t("stats.unreachable", lang, count=n(totals.unreachable, lang)))

    lines += [
        "",
        t(
            "stats.coverage",
            lang,
            covered=n(totals.covered, lang),
            total=n(totals.villages, lang),
            percent=_percent(totals.covered, totals.villages, lang),
        ),
    ]
    if stats.empty_villages:
        names = _name_list(stats.empty_villages, lang)
        lines.append(t("stats.empty_some", lang, escape=False, names=names))
    elif totals.villages:
        lines.append(t("stats.empty_none", lang))

    if stats.by_institution:
        items = _items(
            [(t(f"institution.{code}", lang), c) for code, c in stats.by_institution], lang
        )
        lines += ["", t("stats.institutions_header", lang), items]
    if stats.reports is not None:
        lines += ["", *_report_lines(stats, lang)]
    if stats.trainings is not None:
        lines += ["", *_training_lines(stats, lang)]
    if stats.broadcasts is not None:
        lines += ["", *_broadcast_lines(stats, lang)]

    if stats.children and stats.child_level:
        lines += ["", t(f"stats.children_header.{stats.child_level}", lang)]
        key = "stats.child_row_village" if stats.child_level == "village" else "stats.child_row"
        for child in sorted(stats.children, key=lambda c: (-c.counts.cadres, c.region.name)):
            counts = child.counts
            row = t(
                key,
                lang,
                name=child.region.name,
                cadres=n(counts.cadres, lang),
                active=n(counts.active, lang),
                covered=n(counts.covered, lang),
                villages=n(counts.villages, lang),
            )
            if child.reports is not None:
                row += t("stats.child_reports", lang, count=n(child.reports, lang))
            lines.append(row)
    text = "\n".join(lines)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1].rsplit("\n", 1)[0]


def _items(pairs: list[tuple[str, int]], lang: str) -> str:
    """ "PKK 3 · Posyandu 1": labels are catalog texts, so they are HTML already."""
    return " · ".join(
        t("stats.item", lang, escape=False, name=name, count=_number(count, lang))
        for name, count in pairs
    )


def _report_lines(stats: AreaStatistics, lang: str) -> list[str]:
    reports = stats.reports
    assert reports is not None
    n = _number
    lines = [
        t(
            "stats.reports_header",
            lang,
            count=n(reports.total, lang),
            channelled=n(reports.channelled, lang),
        )
    ]
    if reports.total:
        categories = [(t(f"reports.category.{c}", lang), k) for c, k in reports.by_category]
        statuses = [(t(f"stats.report_status.{s}", lang), k) for s, k in reports.by_status]
        lines.append(
            t("stats.reports_by_category", lang, escape=False, items=_items(categories, lang))
        )
        lines.append(t("stats.reports_by_status", lang, escape=False, items=_items(statuses, lang)))
    return lines


def _training_lines(stats: AreaStatistics, lang: str) -> list[str]:
    figures = stats.trainings
    assert figures is not None
    n = _number
    lines = [
        t(
            "stats.trainings",
            lang,
            count=n(figures.trainings, lang),
            held=n(figures.held, lang),
            upcoming=n(figures.upcoming, lang),
        )
    ]
    if figures.trainings:
        signups = t(
            "stats.trainings_signups",
            lang,
            going=n(figures.going, lang),
            waiting=n(figures.waiting, lang),
        )
        if figures.quota:
            signups += t(
                "stats.trainings_quota",
                lang,
                percent=_percent(figures.quota_filled, figures.quota, lang),
                filled=n(figures.quota_filled, lang),
                quota=n(figures.quota, lang),
            )
        lines.append(signups)
    return lines


def _broadcast_lines(stats: AreaStatistics, lang: str) -> list[str]:
    figures = stats.broadcasts
    assert figures is not None
    n = _number
    lines = [
        t(
            "stats.broadcasts",
            lang,
            count=n(figures.broadcasts, lang),
            recipients=n(figures.recipients, lang),
        )
    ]
    if figures.recipients:
        lines.append(
            t(
                "stats.broadcasts_delivery",
                lang,
                delivered=n(figures.delivered, lang),
                rate=_percent(figures.delivered, figures.delivered + figures.failed, lang),
                failed=n(figures.failed, lang),
                other=n(figures.other, lang),
            )
        )
    return lines


def chart_spec(stats: AreaStatistics, lang: str) -> ChartSpec:
    """The view's chart: cadres per sub-region (registered and active), per institution, and
    reports per category."""
    panels = []
    if stats.children and stats.child_level:
        kids = stats.children
        panels.append(
            BarPanel(
                title=t(f"stats.chart.by_child.{stats.child_level}", lang),
                labels=tuple(_short_name(c.region, lang) for c in kids),
                values=tuple(c.counts.cadres for c in kids),
                inner=tuple(c.counts.active for c in kids),
                value_labels=tuple(
                    t(
                        "stats.chart.bar_label",
                        lang,
                        total=_number(c.counts.cadres, lang),
                        active=_number(c.counts.active, lang),
                    )
                    for c in kids
                ),
                legend=(t("stats.chart.registered", lang), t("stats.chart.active", lang)),
            )
        )
    if stats.by_institution:
        panels.append(
            BarPanel(
                title=t("stats.chart.by_institution", lang),
                labels=tuple(t(f"institution.{code}", lang) for code, _ in stats.by_institution),
                values=tuple(count for _, count in stats.by_institution),
                value_labels=tuple(_number(count, lang) for _, count in stats.by_institution),
            )
        )
    if stats.reports is not None and stats.reports.by_category:
        by_category = stats.reports.by_category
        panels.append(
            BarPanel(
                title=t("stats.chart.reports_by_category", lang),
                labels=tuple(t(f"reports.category.{code}", lang) for code, _ in by_category),
                values=tuple(count for _, count in by_category),
                value_labels=tuple(_number(count, lang) for _, count in by_category),
            )
        )
    title = t(
        "stats.chart.title",
        lang,
        escape=False,
        area=display_name(stats.area),
        period=_period_label(stats.window.period, lang),
    )
    return ChartSpec(title, tuple(panels), t("stats.chart.empty", lang))


def view_markup(
    stats: AreaStatistics, identity: Identity, parent: RegionInfo | None, lang: str
) -> InlineKeyboardMarkup:
    """Periods, sub-regions to drill into, the way up, the empty list and the export."""
    code = stats.area.code
    current = stats.window.period
    periods: list[Button] = []
    for period in Period:
        label = _period_label(period, lang)
        if period is current:
            label = t("stats.button.selected", lang, label=label)
        periods.append((label, f"st:v:{code}:{period.value}"))
    rows: list[list[Button]] = [periods[:2], periods[2:]]
    kids = sorted(stats.children, key=lambda c: c.region.name)
    for first in range(0, len(kids), 2):
        rows.append(
            [
                (
                    t(
                        "stats.button.child",
                        lang,
                        name=_short_name(c.region, lang),
                        count=_number(c.counts.cadres, lang),
                    ),
                    f"st:v:{c.region.code}:{current.value}",
                )
                for c in kids[first : first + 2]
            ]
        )
    tools: list[Button] = []
    if stats.empty_villages:
        count = _number(len(stats.empty_villages), lang)
        tools.append((t("stats.button.empty", lang, count=count), f"st:e:{code}"))
    tools.append((t("stats.button.export", lang), f"ex:{code}"))
    rows.append(tools)
    if parent is not None and may_read_area(identity, parent.code):
        up = t("stats.button.up", lang, name=display_name(parent))
        rows.append([(up, f"st:v:{parent.code}:{current.value}")])
    elif len(identity.scopes) > 1:
        rows.append([(t("stats.button.scopes", lang), "st:h")])
    return keyboard(rows)


def compose_view(
    database: Database, settings: Settings, identity: Identity, code: str, period: Period, lang: str
) -> View | None:
    """Query and format one view (blocking: run it in a worker thread)."""
    with database.session() as session:
        stats = area_statistics(session, code, period, settings.timezone)
        above = parent_code(code)
        parent = get_region(session, above) if above else None
    if stats is None:
        return None
    caption = t(
        "stats.caption",
        lang,
        area=display_name(stats.area),
        period=_period_label(period, lang),
    )
    return View(
        stats=stats,
        text=figures_text(stats, lang),
        chart=chart_spec(stats, lang),
        caption=caption,
        markup=view_markup(stats, identity, parent, lang),
    )


# ---------------------------------------------------------------- sending


@dataclass(frozen=True)
class SentChart:
    png: bytes
    file_id: str | None


class ChartCache:
    """The last charts sent, by content: the same figures are neither drawn nor uploaded twice
    (going back up a level, flipping between periods in a meeting). Telegram file ids belong
    to one bot, so the cache lives on the application."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._charts: OrderedDict[str, SentChart] = OrderedDict()

    def get(self, key: str) -> SentChart | None:
        found = self._charts.get(key)
        if found is not None:
            self._charts.move_to_end(key)
        return found

    def put(self, key: str, chart: SentChart) -> None:
        self._charts[key] = chart
        self._charts.move_to_end(key)
        while len(self._charts) > self._size:
            self._charts.popitem(last=False)


def _remember_view(context: BotContext, chart_id: int, text_id: int) -> None:
    assert context.user_data is not None
    views = dict(context.user_data.get(VIEWS_KEY) or {})
    views[str(chart_id)] = text_id
    context.user_data[VIEWS_KEY] = dict(list(views.items())[-KEEP_VIEWS:])


def _forget_view(context: BotContext, chart_id: int) -> int | None:
    assert context.user_data is not None
    views = dict(context.user_data.get(VIEWS_KEY) or {})
    text_id = views.pop(str(chart_id), None)
    context.user_data[VIEWS_KEY] = views
    return text_id


async def _send_view(
    update: Update, context: BotContext, identity: Identity, code: str, period: Period
) -> None:
    chat = update.effective_chat
    assert chat is not None
    lang = context.lang
    _, view = await asyncio.gather(
        chat.send_chat_action(ChatAction.UPLOAD_PHOTO),
        asyncio.to_thread(compose_view, context.db, context.settings, identity, code, period, lang),
    )
    if view is None:  # a well-formed code inside the scope that is no region
        await chat.send_message(t("stats.unknown_area", lang))
        return
    charts = context.app.charts
    known = charts.get(view.chart.key)
    drawing = None if known else asyncio.ensure_future(asyncio.to_thread(view.chart.render))
    text_message = await chat.send_message(view.text)
    chart_message = None
    if known is not None and known.file_id is not None:
        try:
            chart_message = await chat.send_photo(
                known.file_id, caption=view.caption, reply_markup=view.markup
            )
        except BadRequest:  # Telegram no longer knows the file: upload it again
            chart_message = None
    if chart_message is None:
        png = known.png if known is not None else await drawing  # type: ignore[misc]
        chart_message = await chat.send_photo(png, caption=view.caption, reply_markup=view.markup)
        file_id = chart_message.photo[-1].file_id if chart_message.photo else None
        charts.put(view.chart.key, SentChart(png, file_id))
    _remember_view(context, chart_message.message_id, text_message.message_id)
    await _remove_previous(update, context)


async def _remove_previous(update: Update, context: BotContext) -> None:
    """Delete the view (or scope chooser) whose button was pressed: navigation, not a log."""
    query = update.callback_query
    if query is None or query.message is None or update.effective_chat is None:
        return
    pressed = query.message.message_id
    ids = [pressed]
    text_id = _forget_view(context, pressed)
    if text_id is not None:
        ids.insert(0, text_id)
    try:
        await context.bot.delete_messages(update.effective_chat.id, ids)
    except TelegramError as exc:  # too old to delete (48 h): the new view is there anyway
        log.info("could not delete the previous statistics view: %s", exc)


async def _send_scope_chooser(update: Update, context: BotContext, identity: Identity) -> None:
    with context.db.session() as session:
        regions = [get_region(session, scope) for scope in identity.scopes]
    rows = [
        [(display_name(region), f"st:v:{region.code}:{Period.MONTH.value}")]
        for region in regions
        if region is not None
    ]
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(t("stats.choose_scope", context.lang), reply_markup=keyboard(rows))
    await _remove_previous(update, context)


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
    lines = [t("stats.empty_title", lang, area=display_name(area), count=_number(len(empty), lang))]
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
    for chunk in _chunks(lines):
        await chat.send_message(chunk)


def _chunks(lines: list[str]) -> list[str]:
    """Join lines into messages under Telegram's 4096-character limit."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > TEXT_LIMIT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


# ---------------------------------------------------------------- handlers


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
    await _send_view(update, context, identity, identity.scopes[0], Period.MONTH)


async def statistics_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    _, action, *args = query.data.split(":")
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await _refuse(update, context, "stats.not_allowed")
        return
    if action == "h" and not args:
        await query.answer()
        await _send_scope_chooser(update, context, identity)
        return
    code = parse_area_code(args[0]) if args else None
    if code is None or action not in {"v", "e"}:
        await query.answer(t("common.stale_button", context.lang))
        return
    if not may_read_area(identity, code):
        await _refuse(update, context, "stats.not_your_area")
        return
    if action == "e":
        await query.answer()
        await _send_empty_list(update, context, code)
        return
    try:
        period = Period(args[1]) if len(args) == 2 else None
    except ValueError:
        period = None
    if period is None:
        await query.answer(t("common.stale_button", context.lang))
        return
    await query.answer()
    await _send_view(update, context, identity, code, period)


def handlers() -> list:  # type: ignore[type-arg]
    return [
        CommandHandler("statistik", statistics_command),
        CallbackQueryHandler(statistics_button, pattern=r"^st:"),
    ]
