"""The chart of a statistics view, and the charts already uploaded to Telegram.

Drawing a chart takes a worker thread a noticeable moment and uploading it costs bandwidth;
the same figures come back often (going back up a level, flipping periods in a meeting), so
charts are remembered by content together with Telegram's file id.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from bot.i18n import t
from bot.moments import format_count
from bot.statistics.figures import period_label, short_name
from bot.vocabulary import institution_label
from storage.charts import BarPanel, ChartSpec
from storage.regions import display_name
from storage.stats import AreaStatistics

__all__ = ["ChartCache", "SentChart", "chart_spec"]


def chart_spec(stats: AreaStatistics, lang: str, extra: tuple[BarPanel, ...] = ()) -> ChartSpec:
    """The view's chart: cadres per sub-region (registered and active), per institution,
    reports per category, then the `extra` panels of other features (e.g. training
    attendance, `bot.training.figures`)."""
    panels = []
    if stats.children and stats.child_level:
        kids = stats.children
        panels.append(
            BarPanel(
                title=t(f"stats.chart.by_child.{stats.child_level}", lang),
                labels=tuple(short_name(c.region, lang) for c in kids),
                values=tuple(c.counts.cadres for c in kids),
                inner=tuple(c.counts.active for c in kids),
                value_labels=tuple(
                    t(
                        "stats.chart.bar_label",
                        lang,
                        total=format_count(c.counts.cadres, lang),
                        active=format_count(c.counts.active, lang),
                    )
                    for c in kids
                ),
                legend=(t("stats.chart.registered", lang), t("stats.chart.active", lang)),
            )
        )
    if stats.by_institution:
        by_institution = stats.by_institution
        panels.append(
            BarPanel(
                title=t("stats.chart.by_institution", lang),
                labels=tuple(institution_label(code, None, lang) for code, _ in by_institution),
                values=tuple(count for _, count in by_institution),
                value_labels=tuple(format_count(count, lang) for _, count in by_institution),
            )
        )
    if stats.reports.by_category:
        by_category = stats.reports.by_category
        panels.append(
            BarPanel(
                title=t("stats.chart.reports_by_category", lang),
                labels=tuple(t(f"reports.category.{code}", lang) for code, _ in by_category),
                values=tuple(count for _, count in by_category),
                value_labels=tuple(format_count(count, lang) for _, count in by_category),
            )
        )
    panels.extend(extra)
    title = t(
        "stats.chart.title",
        lang,
        escape=False,
        area=display_name(stats.area),
        period=period_label(stats.window.period, lang),
    )
    return ChartSpec(title, tuple(panels), t("stats.chart.empty", lang))


@dataclass(frozen=True)
class SentChart:
    """A drawn chart and, once uploaded, the file id Telegram knows it by."""

    png: bytes
    file_id: str | None


class ChartCache:
    """The last charts sent, by content: the same figures are neither drawn nor uploaded twice.
    Telegram file ids belong to one bot, so the cache lives on the application."""

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
