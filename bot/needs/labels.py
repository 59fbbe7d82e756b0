"""How needs and skills read in either language (catalog `needs.item.<code>`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import t
from bot.ui import Button
from storage.needs import OTHER, need_codes

__all__ = ["RANK_MARKS", "need_buttons", "need_label", "ranked_lines"]

RANK_MARKS = ("1️⃣", "2️⃣", "3️⃣")


def need_label(code: str, lang: str, other_name: str | None = None) -> str:
    """ "Las" / "Welding"; a "Lainnya" need shows the typed name ("Lainnya: Sablon")."""
    if code == OTHER and other_name:
        return t("needs.item_other_named", lang, name=other_name)
    return t(f"needs.item.{code}", lang)


def ranked_lines(needs: Sequence[str], lang: str, other_name: str | None) -> str:
    """ "1️⃣ Las\n2️⃣ Menjahit" (plain text: escape before sending as HTML)."""
    return "\n".join(
        f"{RANK_MARKS[i]} {need_label(code, lang, other_name)}" for i, code in enumerate(needs)
    )


def need_buttons(marks: dict[str, str], lang: str, pack: dict[str, str]) -> list[list[Button]]:
    """The need list as buttons two a row; `marks` prefixes a code's label ("✅ ", "1️⃣ "),
    `pack` is each code's callback data."""
    buttons = [
        (f"{marks[code]} " if code in marks else "") + need_label(code, lang)
        for code in need_codes()
    ]
    pairs = list(zip(buttons, (pack[code] for code in need_codes()), strict=True))
    return [pairs[i : i + 2] for i in range(0, len(pairs), 2)]
