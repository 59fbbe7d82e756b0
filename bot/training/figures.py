"""Training figures for /statistik and /ekspor (issue 13, item 5): the attendance section and
chart panel of a statistics view, a text block per training or area, and the XLSX sheets'
translated texts. Plain functions of a session or of figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from babel.numbers import format_decimal
from openpyxl import Workbook
from sqlmodel import Session

from bot.i18n import t
from bot.moments import format_count, format_day, to_local
from bot.statistics.figures import percent, short_name
from storage.attendance_figures import (
    AREA_COLUMNS,
    SHEET_COLUMNS,
    AttendanceSheetLabels,
    Figures,
    TrainingFigures,
    training_figures,
    trainings_within,
    write_training_sheet,
)
from storage.charts import BarPanel
from storage.db import Database
from storage.regions import RegionInfo, children, region_path_name
from storage.xlsx import StreamingSheet, Styles

__all__ = [
    "SHEET_COLUMNS",
    "AttendanceSection",
    "figures_text",
    "sheet_labels",
    "statistics_section",
    "training_sheet",
]

LATEST_SHOWN = 3  # trainings listed by name in /statistik (the sheet has them all)
CHART_TRAININGS = 8


def figures_text(figures: Figures, lang: str) -> str:
    """ "Mendaftar 20 · hadir 15 (70%) · datang tanpa mendaftar 1", then, once there are
    ratings or follow-up answers, "Nilai 4,3 dari 12 penilaian · tindak lanjut …"."""
    lines = [
        t(
            "attendance.figures",
            lang,
            signed_up=format_count(figures.signed_up, lang),
            attended=format_count(figures.attended, lang),
            rate=percent(figures.attended - figures.walk_ins, figures.signed_up, lang),
            walk_ins=format_count(figures.walk_ins, lang),
        )
    ]
    if figures.ratings or figures.answered:
        rating = (
            "–" if figures.rating is None else format_decimal(figures.rating, "0.0", locale=lang)
        )
        lines.append(
            t(
                "attendance.figures_outcomes",
                lang,
                rating=rating,
                ratings=format_count(figures.ratings, lang),
                answered=format_count(figures.answered, lang),
                using=percent(figures.using_skill, figures.answered, lang),
                earning=percent(figures.earning, figures.answered, lang),
            )
        )
    return "\n".join(lines)


def training_sheet(
    workbook: Workbook,
    styles: Styles,
    database: Database,
    scopes: Sequence[str],
    period: tuple[datetime, datetime],
    tz: tzinfo,
    lang: str,
) -> StreamingSheet:
    """The "Pelatihan" sheet of an export: one row per training in `scopes` and `period`."""
    with database.session() as session:
        rows = training_figures(session, scopes, *period)
        names = {
            code: region_path_name(session, code) for code in {r.training.area_code for r in rows}
        }
    headers = [t(f"attendance.sheet.{column}", lang, escape=False) for column in SHEET_COLUMNS]
    title = t("attendance.sheet_title", lang, escape=False)
    return write_training_sheet(workbook, styles, title, headers, rows, names, tz)


def sheet_labels(lang: str) -> AttendanceSheetLabels:
    """The texts of the export's two attendance sheets, from the catalog."""
    return AttendanceSheetLabels(
        title=t("attendance.sheet_title", lang, escape=False),
        headers=tuple(t(f"attendance.sheet.{c}", lang, escape=False) for c in SHEET_COLUMNS),
        area_title=t("attendance.area_sheet_title", lang, escape=False),
        area_headers=tuple(
            t(f"attendance.area_sheet.{c}", lang, escape=False) for c in AREA_COLUMNS
        ),
        total=t("attendance.area_sheet.total", lang, escape=False),
    )


@dataclass(frozen=True)
class AttendanceSection:
    """What trainings held in a view's period achieved: lines for the figures (HTML, "" when
    none was held) and a chart panel of signed up against attended (None then too)."""

    text: str
    panel: BarPanel | None


def _rate(f: Figures, lang: str) -> str:
    return percent(f.attended - f.walk_ins, f.signed_up, lang)


def _row_text(f: Figures, lang: str) -> str:
    return t(
        "attendance.stats.figures_short",
        lang,
        signed_up=format_count(f.signed_up, lang),
        attended=format_count(f.attended, lang),
        rate=_rate(f, lang),
    )


def _bar(f: Figures, lang: str) -> str:
    return t(
        "attendance.chart.bar_label",
        lang,
        escape=False,
        present=format_count(f.attended - f.walk_ins, lang),
        signed_up=format_count(f.signed_up, lang),
    )


@dataclass(frozen=True)
class _Kid:
    """A sub-area with trainings of its own in the period."""

    region: RegionInfo
    trainings: int
    figures: Figures


def statistics_section(
    session: Session,
    area: RegionInfo,
    child_level: str | None,
    period: tuple[datetime | None, datetime],
    tz: tzinfo,
    lang: str,
) -> AttendanceSection:
    """The attendance of the trainings for `area` (its own or inside it) that started in
    `period` (up to now: a training still to come has no attendance yet): in total, per
    sub-area one level down (`child_level`; trainings held for the sub-area or inside it),
    and the latest few by name. The chart panel compares signed up and attended per
    sub-area, or per training when no sub-area had one of its own."""
    rows = training_figures(session, [area.code], *period)
    if not rows:
        return AttendanceSection("", None)
    total = sum((r.figures for r in rows), Figures())
    lines = [
        t("attendance.stats.title", lang, count=format_count(len(rows), lang)),
        figures_text(total, lang),
    ]
    kids: list[_Kid] = []
    if child_level is not None:
        for region in children(session, area.code):
            inside = trainings_within(rows, region.code)
            if inside:
                kids.append(_Kid(region, len(inside), sum((r.figures for r in inside), Figures())))
    if kids:
        lines.append(t(f"attendance.stats.by_child.{child_level}", lang))
        for kid in sorted(kids, key=lambda k: (-k.figures.signed_up, k.region.name)):
            lines.append(
                t(
                    "attendance.stats.child_row",
                    lang,
                    name=kid.region.name,
                    count=format_count(kid.trainings, lang),
                    figures=_row_text(kid.figures, lang),
                )
            )
    lines.append(t("attendance.stats.latest", lang))
    lines += [_training_row(row, tz, lang) for row in reversed(rows[-LATEST_SHOWN:])]
    if kids:
        title = t(f"attendance.chart.by_child.{child_level}", lang, escape=False)
        bars = [(short_name(k.region, lang), k.figures) for k in kids]
    else:
        title = t("attendance.chart.by_training", lang, escape=False)
        bars = [(r.training.title, r.figures) for r in rows[-CHART_TRAININGS:]]
    panel = BarPanel(
        title=title,
        labels=tuple(label for label, _ in bars),
        values=tuple(f.signed_up for _, f in bars),
        inner=tuple(f.attended - f.walk_ins for _, f in bars),
        value_labels=tuple(_bar(f, lang) for _, f in bars),
        legend=_legend(lang),
    )
    return AttendanceSection("\n".join(lines), panel)


def _training_row(row: TrainingFigures, tz: tzinfo, lang: str) -> str:
    """ "Gizi (14 Des 2026): mendaftar 4, hadir 4 (75%), nilai 4,0"."""
    day = format_day(to_local(row.training.starts_at, tz).date(), lang, weekday=False, short=True)
    rating = row.figures.rating
    return t(
        "attendance.stats.training_row",
        lang,
        title=row.training.title,
        day=day,
        figures=_row_text(row.figures, lang),
        rating="–" if rating is None else format_decimal(rating, "0.0", locale=lang),
    )


def _legend(lang: str) -> tuple[str, str]:
    return (
        t("attendance.chart.signed_up", lang, escape=False),
        t("attendance.chart.present", lang, escape=False),
    )
