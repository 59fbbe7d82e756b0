"""Input rules for what cadres type: names, Indonesian mobile numbers, free-text labels.

Plain functions without Telegram types, so they are unit-testable and reusable.
"""

from __future__ import annotations

import re

__all__ = ["clean_label", "normalise_phone", "valid_name"]

_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
_NAME_RE = re.compile(r"^[^\W\d_][\w .,'’\-]*$", re.UNICODE)


def normalise_phone(raw: str) -> str | None:
    """An Indonesian mobile number as +628…, or None if it is not one.

    Accepts 08…, 628…, +62 8…, with spaces, dashes, dots or brackets. Mobile numbers start
    with 8 after the country code and have 9–12 digits after it.
    """
    digits = _PHONE_SEPARATORS.sub("", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("62"):
            return None
    if not digits.isdigit():
        return None
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if not national.startswith("8") or not 9 <= len(national) <= 12:
        return None
    return "+62" + national


def valid_name(raw: str) -> str | None:
    """A person's name, tidied (single spaces), or None if it does not look like one."""
    name = " ".join(raw.split())
    if not 3 <= len(name) <= 100 or not _NAME_RE.match(name):
        return None
    if sum(ch.isalpha() for ch in name) < 2:
        return None
    return name


def clean_label(raw: str, max_length: int = 60) -> str | None:
    """A short free-text label (an institution's name): 2..max_length visible characters."""
    label = " ".join(raw.split())
    if not 2 <= len(label) <= max_length or label.startswith("/"):
        return None
    return label
