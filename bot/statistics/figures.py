"""The figures of a statistics view as Telegram HTML: counts, percentages and per-region rows.

Plain functions of `AreaStatistics` and a language, so tests can read them without a bot.
"""

from __future__ import annotations

import html

from babel.numbers import format_percent

from bot.i18n import t
from bot.moments import format_count, format_day
from bot.telegram_text import split_html
from bot.vocabulary import institution_label
from storage.regions import RegionInfo, display_name
from storage.stats import AreaStatistics, Period

__all__ = ["figures_text", "items_text", "percent", "period_label", "short_name"]

EMPTY_NAMES_SHOWN = 8


def percent(part: int, whole: int, lang: str) -> str:
    """ "42,5%" / "42.5%"; a dash when there is nothing to divide by."""
    if not whole:
        return "–"
    return format_percent(part / whole, "#,##0.#%", locale=lang)


def short_name(region: RegionInfo, lang: str) -> str:
    """ "Kab. Kutai Kartanegara": fits a button or a chart label on a phone."""
    if region.kind == "kabupaten" and region.name.startswith("Kabupaten "):
        return t("stats.regency_short", lang, escape=False, name=region.name[len("Kabupaten ") :])
    return region.name


def period_label(period: Period, lang: str) -> str:
    return t(f"stats.period.{period.value}", lang)


def items_text(pairs: list[tuple[str, int]], lang: str) -> str:
    """ "PKK 3 · Posyandu 1": labels are catalog texts, so they are HTML already."""
    return " · ".join(
        t("stats.item", lang, escape=False, name=name, count=format_count(count, lang))
        for name, count in pairs
    )


def _name_list(regions: list[RegionInfo] | tuple[RegionInfo, ...], lang: str) -> str:
    """The first few names and "and N more", as HTML (names escaped once, here)."""
    names = ", ".join(html.escape(display_name(r)) for r in regions[:EMPTY_NAMES_SHOWN])
    more = len(regions) - EMPTY_NAMES_SHOWN
    if more > 0:
        return t("stats.empty_more", lang, escape=False, names=names, more=format_count(more, lang))
    return names


def figures_text(stats: AreaStatistics, lang: str, needs: str = "", *, attendance: str = "") -> str:
    """The figures of a view as Telegram HTML; what Telegram's message limit cannot hold is cut.

    `attendance` is what the trainings held achieved (HTML, `bot.training.figures`), right
    after the trainings; `needs` is the training-needs section (HTML, `bot.needs.sections`),
    shown after them because it is what the next trainings should answer."""
    window = stats.window
    last = format_day(window.last_day, lang, weekday=False, short=True)
    lines = [t("stats.title", lang, area=display_name(stats.area))]
    if window.first_day is None:
        lines.append(t("stats.period_all", lang, last=last))
    else:
        first = format_day(window.first_day, lang, weekday=False, short=True)
        period = period_label(window.period, lang)
        lines.append(t("stats.period_line", lang, period=period, first=first, last=last))
    lines += ["", *_cadre_lines(stats, lang), "", *_coverage_lines(stats, lang)]
    if stats.by_institution:
        labels = [(institution_label(code, None, lang), c) for code, c in stats.by_institution]
        lines += ["", t("stats.institutions_header", lang), items_text(labels, lang)]
    lines += ["", *_report_lines(stats, lang)]
    lines += ["", *_training_lines(stats, lang)]
    if attendance:
        lines += ["", attendance]
    if needs:
        lines += ["", needs]
    lines += ["", *_broadcast_lines(stats, lang)]
    lines += _child_lines(stats, lang)
    return split_html("\n".join(lines))[0]


def _cadre_lines(stats: AreaStatistics, lang: str) -> list[str]:
    totals = stats.totals
    cadres = format_count(totals.cadres, lang)
    lines = [t("stats.cadres_header", lang)]
    if stats.window.first_day is None:
        lines.append(t("stats.registered", lang, count=cadres))
    else:
        joined = format_count(totals.joined, lang)
        lines.append(t("stats.registered_joined", lang, count=cadres, joined=joined))
    share = percent(totals.active, totals.cadres, lang)
    lines.append(t("stats.active", lang, count=format_count(totals.active, lang), percent=share))
    lines.append(t("stats.unreachable", lang, count=format_count(totals.unreachable, lang)))
    return lines


def _coverage_lines(stats: AreaStatistics, lang: str) -> list[str]:
    totals = stats.totals
    lines = [
        t(
            "stats.coverage",
            lang,
            covered=format_count(totals.covered, lang),
            total=format_count(totals.villages, lang),
            percent=percent(totals.covered, totals.villages, lang),
        )
    ]
    if stats.empty_villages:
        names = _name_list(stats.empty_villages, lang)
        lines.append(t("stats.empty_some", lang, escape=False, names=names))
    elif totals.villages:
        lines.append(t("stats.empty_none", lang))
    return lines


def _report_lines(stats: AreaStatistics, lang: str) -> list[str]:
    reports = stats.reports
    lines = [
        t(
            "stats.reports_header",
            lang,
            count=format_count(reports.total, lang),
            channelled=format_count(reports.channelled, lang),
        )
    ]
    if reports.total:
        categories = [(t(f"reports.category.{c}", lang), k) for c, k in reports.by_category]
        statuses = [(t(f"stats.report_status.{s}", lang), k) for s, k in reports.by_status]
        by_category = items_text(categories, lang)
        by_status = items_text(statuses, lang)
        lines.append(t("stats.reports_by_category", lang, escape=False, items=by_category))
        lines.append(t("stats.reports_by_status", lang, escape=False, items=by_status))
    return lines


def _training_lines(stats: AreaStatistics, lang: str) -> list[str]:
    figures = stats.trainings
    lines = [
        t(
            "stats.trainings",
            lang,
            count=format_count(figures.trainings, lang),
            held=format_count(figures.held, lang),
            upcoming=format_count(figures.upcoming, lang),
        )
    ]
    if figures.trainings:
        signups = t(
            "stats.trainings_signups",
            lang,
            going=format_count(figures.going, lang),
            waiting=format_count(figures.waiting, lang),
        )
        if figures.quota:
            signups += t(
                "stats.trainings_quota",
                lang,
                percent=percent(figures.quota_filled, figures.quota, lang),
                filled=format_count(figures.quota_filled, lang),
                quota=format_count(figures.quota, lang),
            )
        lines.append(signups)
    return lines


def _broadcast_lines(stats: AreaStatistics, lang: str) -> list[str]:
    figures = stats.broadcasts
    lines = [
        t(
            "stats.broadcasts",
            lang,
            count=format_count(figures.broadcasts, lang),
            recipients=format_count(figures.recipients, lang),
        )
    ]
    if figures.recipients:
        lines.append(
            t(
                "stats.broadcasts_delivery",
                lang,
                delivered=format_count(figures.delivered, lang),
                rate=percent(figures.delivered, figures.delivered + figures.failed, lang),
                failed=format_count(figures.failed, lang),
                other=format_count(figures.other, lang),
            )
        )
    return lines


def _child_lines(stats: AreaStatistics, lang: str) -> list[str]:
    """One row per sub-region, the busiest first."""
    if not (stats.children and stats.child_level):
        return []
    lines = ["", t(f"stats.children_header.{stats.child_level}", lang)]
    key = "stats.child_row_village" if stats.child_level == "village" else "stats.child_row"
    for child in sorted(stats.children, key=lambda c: (-c.counts.cadres, c.region.name)):
        counts = child.counts
        row = t(
            key,
            lang,
            name=child.region.name,
            cadres=format_count(counts.cadres, lang),
            active=format_count(counts.active, lang),
            covered=format_count(counts.covered, lang),
            villages=format_count(counts.villages, lang),
        )
        row += t("stats.child_reports", lang, count=format_count(child.reports, lang))
        lines.append(row)
    return lines
