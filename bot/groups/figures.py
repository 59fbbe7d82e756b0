"""The linked groups in `/statistik`: per group, cadres in it and cadres it still lacks."""

from __future__ import annotations

from sqlmodel import Session

from bot.i18n import t
from bot.moments import format_count
from storage import groups
from storage.regions import region_path_name

__all__ = ["statistics_section"]


def statistics_section(session: Session, area: str, lang: str) -> str:
    """ "Grup Telegram: 2 terhubung · Kel. Kanaan: 12 kader di grup, 3 belum" (HTML), or ""
    where no group is linked (most areas, at first)."""
    figures = groups.group_figures(session, area)
    if not figures:
        return ""
    lines = [t("groups.stats.title", lang, count=format_count(len(figures), lang))]
    for figure in figures:
        lines.append(
            t(
                "groups.stats.row",
                lang,
                area=region_path_name(session, figure.group.area_code or "", below=area),
                members=format_count(figure.cadre_members, lang),
                missing=format_count(figure.cadres_missing, lang),
            )
        )
    return "\n".join(lines)
