"""The forum's shared words: institutions and region codes, defined once for every feature.

Registration asks for an institution, broadcasts and trainings filter by it, exports and
profiles show it; commands, deep links, buttons and settings all carry region codes. Each
feature used to keep its own copy; they read them from here.
"""

from __future__ import annotations

import re

from bot.i18n import t

__all__ = [
    "INSTITUTIONS",
    "OTHER_INSTITUTION",
    "REGION_CODE_RE",
    "institution_label",
    "parse_region_code",
]

# The institutions a cadre can belong to, in the order the buttons show them (pairs per row).
# Labels are the catalog's `institution.<code>`; "lainnya" carries the cadre's own words.
INSTITUTIONS = ("pkk", "posyandu", "lpm", "karang_taruna", "bumdes", "kpmd", "rt_rw", "lainnya")
OTHER_INSTITUTION = "lainnya"

# Kemendagri region codes: province 64, regency 64.74, district 64.74.01, village 64.74.01.1001.
REGION_CODE_RE = re.compile(r"[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{4})?)?)?", re.ASCII)


def institution_label(code: str, other: str | None, lang: str) -> str:
    """The institution as people read it: the catalog's name, or the cadre's own for "lainnya"."""
    if code == OTHER_INSTITUTION and other:
        return other
    return t(f"institution.{code}", lang)


def parse_region_code(text: str) -> str | None:
    """A well-formed region code (`64.74.03`) from typed text, a deep link (`64_74_03`), a
    button or a setting; None for anything else. Whether the region exists, and whether the
    person may act on it, is for the caller to check."""
    code = text.strip().replace("_", ".")
    return code if REGION_CODE_RE.fullmatch(code) else None
