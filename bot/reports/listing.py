"""Finding reports: /laporanku for cadres, /daftar_laporan for coordinators and officials.

`/daftar_laporan` filters by area (inside the user's scopes), category, status and period and
pages through the result with inline buttons. The whole filter travels in the callback data
(`ReportListButton`, its `flt` is `ListFilter.encode()`), so a list keeps working after a
restart; because it comes from the client, every press re-checks the area against the user's
scopes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.auth import Identity, identify
from bot.callbacks import (
    ForgedCallback,
    ReportButton,
    ReportListButton,
    ReviewButton,
    refuse_forged,
)
from bot.context import BotContext
from bot.i18n import t
from bot.moments import format_count, format_day, to_local
from bot.reports.card import buttons, decision_buttons, feature_buttons, refuse, report_card
from bot.reports.draft import FORM
from bot.ui import Button, keyboard, show
from bot.vocabulary import parse_region_code
from storage import people
from storage import reports as store
from storage.models import utcnow
from storage.regions import children, display_name, get_region, parent_code
from storage.reports import CATEGORIES, ReportInfo, ReportStatus

__all__ = ["PAGE_SIZE", "ListFilter", "handlers"]

PAGE_SIZE = 5
AREA_PAGE_SIZE = 10
ALL = "*"
STATUS_CODES: dict[str, ReportStatus] = {
    "p": ReportStatus.PENDING,
    "r": ReportStatus.REVISION,
    "a": ReportStatus.APPROVED,
    "x": ReportStatus.REJECTED,
}
PERIOD_DAYS: dict[str, int] = {"w": 7, "m": 30, "q": 90, "y": 365}


@dataclass(frozen=True)
class ListFilter:
    """What `/daftar_laporan` shows; `*` means "all" for every part."""

    area: str = ALL
    category: str = ALL  # index into CATEGORIES, as one digit
    status: str = ALL  # a key of STATUS_CODES
    period: str = ALL  # a key of PERIOD_DAYS

    def encode(self) -> str:
        return f"{self.area},{self.category}{self.status}{self.period}"

    @classmethod
    def decode(cls, raw: str) -> ListFilter:
        """The filter in a button, or `ForgedCallback` if it is malformed (forged, or elsewhere)."""
        area, sep, rest = raw.partition(",")
        if not sep or len(rest) != 3:
            raise ForgedCallback("not a report-list filter")
        category, status, period = rest[0], rest[1], rest[2]
        if category != ALL and not (category.isdigit() and int(category) < len(CATEGORIES)):
            raise ForgedCallback("unknown category")
        if status != ALL and status not in STATUS_CODES:
            raise ForgedCallback("unknown status")
        if period != ALL and period not in PERIOD_DAYS:
            raise ForgedCallback("unknown period")
        if area != ALL and parse_region_code(area) != area:
            raise ForgedCallback("not a region code")
        return cls(area, category, status, period)

    @property
    def category_code(self) -> str | None:
        return None if self.category == ALL else CATEGORIES[int(self.category)]


def _view(flt: ListFilter, page: int = 0) -> str:
    """The button that shows the list with `flt` at `page`."""
    return ReportListButton("v", flt=flt.encode(), page=page).pack()


def _listed(moment: datetime, context: BotContext) -> str:
    """When a report was sent, as a list shows it: "25 Des 2026"."""
    day = to_local(moment, context.settings.timezone).date()
    return format_day(day, context.lang, weekday=False, short=True)


# ---------------------------------------------------------------- /laporanku


async def my_reports(update: Update, context: BotContext) -> None:
    await _show_mine(update, context, 0, edit=False)


async def my_reports_page(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    try:
        page = ReportListButton.unpack(query.data).page
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return
    await query.answer()
    await _show_mine(update, context, page, edit=True)


async def _show_mine(update: Update, context: BotContext, page: int, *, edit: bool) -> None:
    user = update.effective_user
    assert user is not None
    lang = context.lang
    with context.db.session() as session:
        items, total = store.reports_of(session, user.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
        has_draft = people.get_draft(session, user.id, FORM.kind) is not None
        is_cadre = people.get_cadre(session, user.id) is not None
    if not total:
        text = t("reports.mine.empty", lang) if is_cadre else t("reports.not_cadre", lang)
        await show(update, text, edit=edit)
        return
    pages = -(-total // PAGE_SIZE)
    lines = [_title("reports.mine.title", lang, total, page, pages)]
    rows: list[list[Button]] = []
    for report in items:
        lines.append("")
        lines.append(
            t(
                "reports.mine.item",
                lang,
                id=report.id,
                title=report.title,
                status=t(f"reports.status.{report.status.value}", lang),
                submitted=_listed(report.submitted_at, context),
            )
        )
        if report.last_comment and report.status in (ReportStatus.REVISION, ReportStatus.REJECTED):
            lines.append(t("reports.card_comment", lang, comment=report.last_comment))
        if report.featured_at or report.channel_posted_at:
            lines.append(t("reports.card_featured", lang))
        if report.status is ReportStatus.REVISION:
            fix = ReportButton("fix", report_id=report.id).pack()
            rows.append([(t("reports.mine.fix", lang, id=report.id), fix)])
    if has_draft:
        lines.append("")
        lines.append(t("reports.mine.draft", lang))
    rows.append(_pager(lambda p: ReportListButton("m", page=p).pack(), page, pages, lang))
    await show(update, "\n".join(lines), buttons(rows), edit=edit)


def _title(key: str, lang: str, total: int, page: int, pages: int) -> str:
    return t(
        key,
        lang,
        total=format_count(total, lang),
        page=format_count(page + 1, lang),
        pages=format_count(pages, lang),
    )


def _pager(button: Callable[[int], str], page: int, pages: int, lang: str) -> list[Button]:
    """ "« Sebelumnya" / "Berikutnya »" around `page`; `button` packs the button of a page."""
    nav: list[Button] = []
    if page > 0:
        nav.append((t("reports.list.prev", lang), button(page - 1)))
    if page < pages - 1:
        nav.append((t("reports.list.next", lang), button(page + 1)))
    return nav


# ---------------------------------------------------------------- /daftar_laporan


def _identity(update: Update, context: BotContext) -> Identity:
    assert update.effective_user is not None
    return identify(context.db, context.settings, update.effective_user.id)


def _area_allowed(identity: Identity, area: str) -> bool:
    return area == ALL or identity.may_act_on(area)


def _area_label(context: BotContext, area: str) -> str:
    if area == ALL:
        return t("reports.list.all_areas", context.lang)
    with context.db.session() as session:
        region = get_region(session, area)
    return display_name(region) if region else area


async def list_command(update: Update, context: BotContext) -> None:
    identity = _identity(update, context)
    if not identity.is_privileged:
        await refuse(update, context)
        return
    await _show_list(update, context, identity, ListFilter(), 0, edit=False)


async def _show_list(
    update: Update,
    context: BotContext,
    identity: Identity,
    flt: ListFilter,
    page: int,
    *,
    edit: bool = True,
) -> None:
    lang = context.lang
    since = None
    if flt.period != ALL:
        since = utcnow() - timedelta(days=PERIOD_DAYS[flt.period])
    with context.db.session() as session:
        items, total = store.list_reports(
            session,
            identity.scopes,
            area=None if flt.area == ALL else flt.area,
            category=flt.category_code,
            status=STATUS_CODES.get(flt.status),
            since=since,
            offset=page * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        places = {r.id: _village_name(session, r) for r in items}
    pages = max(1, -(-total // PAGE_SIZE))
    lines = [
        _title("reports.list.title", lang, total, page, pages),
        t(
            "reports.list.filters",
            lang,
            area=_area_label(context, flt.area),
            category=t(f"reports.category.{flt.category_code}", lang)
            if flt.category_code
            else t("reports.list.all", lang),
            status=t(f"reports.status.{STATUS_CODES[flt.status].value}", lang)
            if flt.status != ALL
            else t("reports.list.all", lang),
            period=t(f"reports.list.period.{flt.period}", lang)
            if flt.period != ALL
            else t("reports.list.all", lang),
        ),
    ]
    if not items:
        lines += ["", t("reports.list.empty", lang)]
    for report in items:
        lines.append("")
        lines.append(
            t(
                "reports.list.item",
                lang,
                id=report.id,
                title=report.title,
                status=t(f"reports.status.{report.status.value}", lang),
                category=t(f"reports.category.{report.category}", lang),
                region=places[report.id],
                submitted=_listed(report.submitted_at, context),
            )
        )
    encoded = flt.encode()

    def facet(which: str) -> str:
        return ReportListButton("f", flt=encoded, facet=which).pack()

    opened = [
        (f"#{r.id}", ReportListButton("o", flt=encoded, page=page, report_id=r.id).pack())
        for r in items
    ]
    rows: list[list[Button]] = [
        opened,
        _pager(lambda p: _view(flt, p), page, pages, lang),
        [
            (t("reports.list.by_area", lang), ReportListButton("a", flt=encoded, node=ALL).pack()),
            (t("reports.list.by_category", lang), facet("c")),
        ],
        [
            (t("reports.list.by_status", lang), facet("s")),
            (t("reports.list.by_period", lang), facet("p")),
        ],
    ]
    await show(update, "\n".join(lines), keyboard(rows), edit=edit)


def _village_name(session: Session, report: ReportInfo) -> str:
    region = get_region(session, report.village_code)
    return display_name(region) if region else report.village_code


async def on_list_button(update: Update, context: BotContext) -> None:
    """Every /daftar_laporan button: list pages, filter choosers, report details."""
    query = update.callback_query
    assert query is not None
    identity = _identity(update, context)
    if not identity.is_privileged:
        await refuse(update, context)
        return
    try:
        button = ReportListButton.unpack(query.data)
        flt = ListFilter.decode(button.flt)
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return
    if not _area_allowed(identity, flt.area):
        await refuse(update, context)
        return
    if button.action == "v":
        await query.answer()
        await _show_list(update, context, identity, flt, button.page)
    elif button.action == "f":
        await query.answer()
        await _show_chooser(update, context, flt, button.facet)
    elif button.action == "a":
        if button.node != ALL and not identity.may_act_on(button.node):
            await refuse(update, context)
            return
        await query.answer()
        await _show_area_chooser(update, context, identity, flt, button.node, button.page)
    else:
        await _show_detail(update, context, identity, button.report_id, flt, button.page)


async def _show_chooser(update: Update, context: BotContext, flt: ListFilter, which: str) -> None:
    lang = context.lang
    options: list[tuple[str, ListFilter]] = [(t("reports.list.all", lang), flt)]
    if which == "c":
        options[0] = (t("reports.list.all", lang), replace(flt, category=ALL))
        options += [
            (t(f"reports.category.{code}", lang), replace(flt, category=str(i)))
            for i, code in enumerate(CATEGORIES)
        ]
        title = t("reports.list.choose_category", lang)
    elif which == "s":
        options[0] = (t("reports.list.all", lang), replace(flt, status=ALL))
        options += [
            (t(f"reports.status.{status.value}", lang), replace(flt, status=code))
            for code, status in STATUS_CODES.items()
        ]
        title = t("reports.list.choose_status", lang)
    elif which == "p":
        options[0] = (t("reports.list.all", lang), replace(flt, period=ALL))
        options += [
            (t(f"reports.list.period.{code}", lang), replace(flt, period=code))
            for code in PERIOD_DAYS
        ]
        title = t("reports.list.choose_period", lang)
    else:
        await _show_list(update, context, _identity(update, context), flt, 0)
        return
    buttons = [(label, _view(option)) for label, option in options]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    await show(update, title, keyboard(rows))


async def _show_area_chooser(
    update: Update,
    context: BotContext,
    identity: Identity,
    flt: ListFilter,
    node: str,
    page: int,
) -> None:
    """A small stateless region picker: drill down inside the user's scopes, pick any level."""
    lang = context.lang
    encoded = flt.encode()

    def opens(code: str, at: int = 0) -> str:
        return ReportListButton("a", flt=encoded, node=code, page=at).pack()

    scopes = list(identity.scopes)
    if node == ALL and len(scopes) == 1:
        node = scopes[0]
    rows: list[list[Button]] = []
    with context.db.session() as session:
        if node == ALL:
            options = [r for r in (get_region(session, s) for s in scopes) if r is not None]
            rows.append([(t("reports.list.all_areas", lang), _view(replace(flt, area=ALL)))])
            title = t("reports.list.choose_area", lang)
        else:
            region = get_region(session, node)
            options = children(session, node)
            name = display_name(region) if region else node
            rows.append(
                [
                    (
                        t("reports.list.whole_area", lang, name=name),
                        _view(replace(flt, area=node)),
                    )
                ]
            )
            title = t("reports.list.choose_area_in", lang, name=name)
    pages = max(1, -(-len(options) // AREA_PAGE_SIZE))
    page = min(page, pages - 1)
    shown = options[page * AREA_PAGE_SIZE : (page + 1) * AREA_PAGE_SIZE]
    buttons: list[Button] = []
    for region in shown:
        if region.level == "village":
            buttons.append((display_name(region), _view(replace(flt, area=region.code))))
        else:
            buttons.append((display_name(region), opens(region.code)))
    rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(_pager(lambda p: opens(node, p), page, pages, lang))
    up = parent_code(node) if node != ALL else None
    if node != ALL and node not in scopes and up and identity.may_act_on(up):
        rows.append([(t("reports.list.back", lang), opens(up))])
    elif node != ALL and len(scopes) > 1:
        rows.append([(t("reports.list.back", lang), opens(ALL))])
    rows.append([(t("reports.list.back_to_list", lang), _view(flt))])
    await show(update, title, keyboard(rows))


async def _show_detail(
    update: Update,
    context: BotContext,
    identity: Identity,
    report_id: int,
    flt: ListFilter,
    page: int,
) -> None:
    query = update.callback_query
    assert query is not None
    lang = context.lang
    with context.db.session() as session:
        report = store.get_report(session, report_id)
    if report is None or not identity.may_act_on(report.village_code):
        await refuse(update, context)
        return
    await query.answer()
    with context.db.session() as session:
        text = report_card(session, report, lang, context.settings)
    rows: list[list[Button]] = []
    if report.status is ReportStatus.PENDING and report.reporter_id != identity.user_id:
        rows += decision_buttons(report.id, lang)
    rows += feature_buttons(report, lang, context.settings)
    if report.media:
        rows.append([(t("reports.list.show_media", lang), ReviewButton("m", report.id).pack())])
    rows.append([(t("reports.list.back_to_list", lang), _view(flt, page))])
    await show(update, text, keyboard(rows))


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler("laporanku", my_reports, filters.ChatType.PRIVATE),
        CallbackQueryHandler(my_reports_page, pattern=ReportListButton.pattern("m")),
        CommandHandler("daftar_laporan", list_command, filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_list_button, pattern=ReportListButton.pattern("v", "f", "a", "o")),
    ]
