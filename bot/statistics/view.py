"""One statistics view: composed (text, chart, buttons), sent, and replaced on navigation.

Composing queries the database and formats, so it runs in a worker thread; the chart is drawn
while the text is already on its way. The views on screen are remembered per user (chart
message → figures message) so that the next press deletes both.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError

from bot.auth import Identity, may_read_area
from bot.callbacks import ExportButton, StatisticsButton
from bot.config import Settings
from bot.context import BotContext
from bot.groups.figures import statistics_section as group_section
from bot.i18n import t
from bot.moments import format_count
from bot.needs.sections import statistics_section
from bot.statistics.charts import SentChart, chart_spec
from bot.statistics.figures import figures_text, period_label, short_name
from bot.training import figures as training_figures  # a module: the two import each other
from bot.ui import Button, keyboard
from storage.charts import ChartSpec
from storage.db import Database
from storage.regions import RegionInfo, display_name, get_region, parent_code
from storage.stats import AreaStatistics, Period, area_statistics

__all__ = ["View", "compose_view", "remove_pressed_view", "send_view", "view_markup"]

log = logging.getLogger(__name__)

# user_data: chart message id → figures message id of the views on screen (to replace them).
VIEWS_KEY = "stats_views"
KEEP_VIEWS = 5


@dataclass(frozen=True)
class View:
    """A statistics view ready to send; its chart is drawn while the text is on its way."""

    stats: AreaStatistics
    text: str
    chart: ChartSpec
    caption: str
    markup: InlineKeyboardMarkup
    sql_seconds: float = 0.0  # of the composing, the part spent querying (for the metrics)
    sql_cpu_seconds: float = 0.0  # the same in this thread's CPU time (whatever the load)


def view_markup(
    stats: AreaStatistics, identity: Identity, parent: RegionInfo | None, lang: str
) -> InlineKeyboardMarkup:
    """Periods, sub-regions to drill into, the way up, the empty list and the export."""
    code = stats.area.code
    current = stats.window.period
    periods: list[Button] = []
    for period in Period:
        label = period_label(period, lang)
        if period is current:
            label = t("stats.button.selected", lang, label=label)
        periods.append((label, StatisticsButton("v", code, period.value).pack()))
    rows: list[list[Button]] = [periods[:2], periods[2:]]
    kids = sorted(stats.children, key=lambda c: c.region.name)
    for first in range(0, len(kids), 2):
        rows.append(
            [
                (
                    t(
                        "stats.button.child",
                        lang,
                        name=short_name(c.region, lang),
                        count=format_count(c.counts.cadres, lang),
                    ),
                    StatisticsButton("v", c.region.code, current.value).pack(),
                )
                for c in kids[first : first + 2]
            ]
        )
    tools: list[Button] = []
    if stats.empty_villages:
        count = format_count(len(stats.empty_villages), lang)
        tools.append(
            (t("stats.button.empty", lang, count=count), StatisticsButton("e", code).pack())
        )
    tools.append((t("stats.button.export", lang), ExportButton(code).pack()))
    rows.append(tools)
    if parent is not None and may_read_area(identity, parent.code):
        up = t("stats.button.up", lang, name=display_name(parent))
        rows.append([(up, StatisticsButton("v", parent.code, current.value).pack())])
    elif len(identity.scopes) > 1:
        rows.append([(t("stats.button.scopes", lang), StatisticsButton("h").pack())])
    return keyboard(rows)


def compose_view(
    database: Database, settings: Settings, identity: Identity, code: str, period: Period, lang: str
) -> View | None:
    """Query and format one view (blocking: run it in a worker thread)."""
    began, cpu = time.perf_counter(), time.thread_time()
    with database.session() as session:
        stats = area_statistics(session, code, period, settings.timezone)
        above = parent_code(code)
        parent = get_region(session, above) if above else None
        needs = statistics_section(session, code, lang) if stats is not None else ""
        linked = group_section(session, code, lang) if stats is not None else ""
        attendance = (
            training_figures.statistics_section(
                session,
                stats.area,
                stats.child_level,
                (stats.window.start_utc, stats.window.now_utc),
                settings.timezone,
                lang,
            )
            if stats is not None
            else None
        )
    queried, queried_cpu = time.perf_counter() - began, time.thread_time() - cpu
    if stats is None or attendance is None:
        return None
    area = display_name(stats.area)
    caption = t("stats.caption", lang, area=area, period=period_label(period, lang))
    return View(
        stats=stats,
        text=figures_text(
            stats,
            lang,
            "\n\n".join(part for part in (needs, linked) if part),
            attendance=attendance.text,
        ),
        chart=chart_spec(stats, lang, extra=(attendance.panel,) if attendance.panel else ()),
        caption=caption,
        markup=view_markup(stats, identity, parent, lang),
        sql_seconds=queried,
        sql_cpu_seconds=queried_cpu,
    )


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


_T = TypeVar("_T")


class _Stages:
    """Times the stages of one view into the `forkom_statistics_seconds` histogram."""

    def __init__(self, context: BotContext) -> None:
        self._histogram = context.app.metrics.statistics_seconds

    def record(self, stage: str, seconds: float) -> None:
        self._histogram.labels(stage).observe(seconds)

    async def timed(self, stage: str, awaitable: Awaitable[_T]) -> _T:
        began = time.perf_counter()
        try:
            return await awaitable
        finally:
            self.record(stage, time.perf_counter() - began)


def _render_timed(chart: ChartSpec, stages: _Stages) -> bytes:
    began = time.perf_counter()
    png = chart.render()
    stages.record("chart", time.perf_counter() - began)
    return png


async def send_view(
    update: Update, context: BotContext, identity: Identity, code: str, period: Period
) -> None:
    """Send the view of `code` for `period` (figures, then the chart) and remove the pressed one."""
    chat = update.effective_chat
    assert chat is not None
    lang = context.lang
    stages = _Stages(context)
    began = time.perf_counter()
    _, view = await asyncio.gather(
        chat.send_chat_action(ChatAction.UPLOAD_PHOTO),
        asyncio.to_thread(compose_view, context.db, context.settings, identity, code, period, lang),
    )
    if view is None:  # a well-formed code inside the scope that is no region
        await chat.send_message(t("stats.unknown_area", lang))
        return
    stages.record("sql", view.sql_seconds)
    stages.record("sql_cpu", view.sql_cpu_seconds)
    stages.record("text", time.perf_counter() - began - view.sql_seconds)
    charts = context.app.charts
    known = charts.get(view.chart.key)
    drawing = (
        None
        if known
        else asyncio.ensure_future(asyncio.to_thread(_render_timed, view.chart, stages))
    )
    text_message = await stages.timed("send_text", chat.send_message(view.text))
    chart_message = None
    if known is not None and known.file_id is not None:
        try:
            chart_message = await stages.timed(
                "send_photo",
                chat.send_photo(known.file_id, caption=view.caption, reply_markup=view.markup),
            )
        except BadRequest:  # Telegram no longer knows the file: upload it again
            chart_message = None
    if chart_message is None:
        if known is not None:
            png = known.png
        else:
            assert drawing is not None
            png = await stages.timed("chart_wait", drawing)
        chart_message = await stages.timed(
            "upload", chat.send_photo(png, caption=view.caption, reply_markup=view.markup)
        )
        file_id = chart_message.photo[-1].file_id if chart_message.photo else None
        charts.put(view.chart.key, SentChart(png, file_id))
    _remember_view(context, chart_message.message_id, text_message.message_id)
    await stages.timed("delete", remove_pressed_view(update, context))


async def remove_pressed_view(update: Update, context: BotContext) -> None:
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
