"""The needs section other features show: a few lines for `/statistik` of an area."""

from __future__ import annotations

from sqlmodel import Session

from bot.i18n import t
from bot.moments import format_count
from bot.needs.labels import need_label
from storage import needs

__all__ = ["statistics_section"]

TOP = 3


def statistics_section(session: Session, area: str, lang: str) -> str:
    """ "Kebutuhan pelatihan: 5 dari 6 kader menjawab · 1. Las (skor 10) …" (HTML)."""
    cover = needs.coverage(session, area)
    top = needs.needs_table(session, area, limit=TOP)
    lines = [
        t(
            "needs.stats.title",
            lang,
            answered=format_count(cover.answered, lang),
            cadres=format_count(cover.cadres, lang),
        )
    ]
    for rank, figure in enumerate(top, 1):
        lines.append(
            t(
                "needs.stats.row",
                lang,
                rank=rank,
                need=need_label(figure.need, lang, figure.other_name),
                score=format_count(figure.score, lang),
                escape=False,
            )
        )
    if not top:
        lines.append(t("needs.map.none", lang))
    return "\n".join(lines)
