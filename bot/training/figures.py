"""Training figures for /statistik and /ekspor (issue 13, item 5): a text block per training
or area, and the XLSX sheet with translated headers. Plain functions; the lead wires them
into the statistics view and the export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from babel.numbers import format_decimal
from openpyxl import Workbook

from bot.i18n import t
from bot.moments import format_count
from bot.statistics.figures import percent
from storage.attendance_figures import Figures, training_figures, write_training_sheet
from storage.db import Database
from storage.regions import region_path_name
from storage.xlsx import StreamingSheet, Styles

__all__ = ["SHEET_COLUMNS", "figures_text", "training_sheet"]

SHEET_COLUMNS = (
    "id",
    "title",
    "starts",
    "place",
    "area",
    "signed_up",
    "attended",
    "rate",
    "walk_ins",
    "ratings",
    "rating",
    "answered",
    "using",
    "earning",
)


def figures_text(figures: Figures, lang: str) -> str:
    """ "Mendaftar 20 · hadir 15 (70%) · tanpa mendaftar 1 · nilai 4,3 (12) · …"."""
    rating = "–" if figures.rating is None else format_decimal(figures.rating, "0.0", locale=lang)
    return t(
        "attendance.figures",
        lang,
        signed_up=format_count(figures.signed_up, lang),
        attended=format_count(figures.attended, lang),
        rate=percent(figures.attended - figures.walk_ins, figures.signed_up, lang),
        walk_ins=format_count(figures.walk_ins, lang),
        rating=rating,
        ratings=format_count(figures.ratings, lang),
        answered=format_count(figures.answered, lang),
        using=percent(figures.using_skill, figures.answered, lang),
        earning=percent(figures.earning, figures.answered, lang),
    )


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
