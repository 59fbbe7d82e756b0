"""The codec under every button family: the `Callback` base (pack, unpack, pattern), the
registry that refuses overlapping prefixes, bounded ASCII fields, and the polite refusal."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Self, TypeVar

from telegram import Update
from telegram.constants import InlineKeyboardButtonLimit

from bot.i18n import t

__all__ = [
    "FAMILIES",
    "MAX_INT",
    "PICKER_LAYOUT",
    "Callback",
    "ForgedCallback",
    "family_of",
    "parse_number",
    "refuse_forged",
    "registered",
    "unpack_or_refuse",
]

log = logging.getLogger(__name__)

MAX_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
MAX_INT = 2**63 - 1  # Telegram ids and database keys are 64-bit; a larger number is forged
_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)
# Region codes (64.74.01.1001), report-list filters ("64.74,*a1"), the "*" of "all", words.
_TOKEN = re.compile(r"[A-Za-z0-9_.,*+-]{0,48}", re.ASCII)
_PREFIX = re.compile(r"[a-z]{2,5}", re.ASCII)

# The region picker's buttons inside a family that embeds it (region_picker.render):
# r = open/choose a region, a = all of the current node, p = page, b = back up ("b:").
PICKER_LAYOUT: Mapping[str, tuple[str, ...]] = {
    "r": ("code",),
    "a": ("code",),
    "p": ("page",),
    "b": ("code",),
}


class ForgedCallback(ValueError):
    """Callback data that no keyboard of ours produced: malformed, oversized or of another family."""


def parse_number(raw: str, *, low: int = 0, high: int = MAX_INT) -> int | None:
    """`raw` as a number within `low`..`high`, or None; never raises.

    The one rule for every number a user sends, in button data and in command arguments
    (`/peserta 12`): ASCII digits only, so ``²`` or ``١٢`` is refused instead of reaching
    `int()`, and at most 19 of them, so a 20-digit id never overflows a database integer.
    """
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def _decode_int(raw: str) -> int:
    value = parse_number(raw)
    if value is None:
        raise ForgedCallback("not a bounded ASCII number")
    return value


def _decode_str(raw: str) -> str:
    if not _TOKEN.fullmatch(raw):
        raise ForgedCallback("not a plain token")
    return raw


@dataclass(frozen=True)
class Callback:
    """A family of buttons: `PREFIX`, and per action (`LAYOUT`) the fields that follow it.

    Fields annotated ``int`` travel as ASCII digits, ``str`` as short ASCII tokens (possibly
    empty, as in the picker's ``b:``). A family without an ``action`` field has one layout,
    under the key ``""``, written right after the prefix.
    """

    PREFIX: ClassVar[str]
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]]

    @classmethod
    def _has_action(cls) -> bool:
        return "" not in cls.LAYOUT

    @classmethod
    def _types(cls) -> dict[str, str]:
        return {f.name: str(f.type) for f in dataclasses.fields(cls)}

    def pack(self) -> str:
        """The wire string, checked against Telegram's 64-byte limit."""
        action = str(getattr(self, "action", ""))
        if action not in self.LAYOUT:
            raise ValueError(f"{type(self).__name__}: unknown action {action!r}")
        parts = [self.PREFIX, action] if self._has_action() else [self.PREFIX]
        for name in self.LAYOUT[action]:
            value = getattr(self, name)
            text = str(value)
            if isinstance(value, int) and not 0 <= value <= MAX_INT:
                raise ValueError(f"{type(self).__name__}.{name} out of range: {value}")
            if isinstance(value, str) and not _TOKEN.fullmatch(value):
                raise ValueError(f"{type(self).__name__}.{name} is not a plain token: {value!r}")
            parts.append(text)
        data = ":".join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str | object) -> Self:
        """The button behind `data`, or `ForgedCallback` if no keyboard of ours sent it."""
        if not isinstance(data, str) or not 0 < len(data.encode()) <= MAX_BYTES:
            raise ForgedCallback("missing or oversized")
        head, *rest = data.split(":")
        if head != cls.PREFIX:
            raise ForgedCallback("another family")
        values: dict[str, object] = {}
        if cls._has_action():
            if not rest or rest[0] not in cls.LAYOUT:
                raise ForgedCallback("unknown action")
            action, *rest = rest
            values["action"] = action
        else:
            action = ""
        names = cls.LAYOUT[action]
        if len(rest) != len(names):
            raise ForgedCallback("wrong number of fields")
        types = cls._types()
        for name, raw in zip(names, rest, strict=True):
            values[name] = _decode_int(raw) if types[name] == "int" else _decode_str(raw)
        return cls(**values)

    @classmethod
    def pattern(cls, *actions: str) -> re.Pattern[str]:
        """What a `CallbackQueryHandler` routes on: the family, or only some of its actions."""
        if not actions:
            return re.compile(rf"^{cls.PREFIX}:")
        unknown = set(actions) - set(cls.LAYOUT)
        if unknown:
            raise ValueError(f"{cls.__name__}: no actions {sorted(unknown)}")
        choice = "|".join(re.escape(a) for a in actions)
        return re.compile(rf"^{cls.PREFIX}:(?:{choice})(?::|$)")


FAMILIES: dict[str, type[Callback]] = {}
_Family = TypeVar("_Family", bound=type[Callback])
_C = TypeVar("_C", bound=Callback)


def registered(family: _Family) -> _Family:
    """Class decorator (above ``@dataclass``) entering a family in `FAMILIES`.

    Refuses a second family with the same prefix, or a prefix that is not a short word.

    Data is split on ":" and prefixes contain none, so distinct prefixes never overlap
    (``rm:`` and ``rmf:`` are different families); the checks keep it that way.
    """
    prefix = family.PREFIX
    if not _PREFIX.fullmatch(prefix):
        raise TypeError(f"{family.__name__}: prefix {prefix!r} must be 2-5 lowercase letters")
    if prefix in FAMILIES:
        raise TypeError(f"{family.__name__}: prefix {prefix!r} already used by {FAMILIES[prefix]}")
    field_names = {f.name for f in dataclasses.fields(family)}
    for action, names in family.LAYOUT.items():
        if ":" in action or not set(names) <= field_names:
            raise TypeError(f"{family.__name__}: bad layout for action {action!r}")
    FAMILIES[prefix] = family
    return family


def family_of(data: str) -> type[Callback] | None:
    """The family a callback string claims to belong to (by prefix), if any."""
    return FAMILIES.get(data.split(":", 1)[0])


async def refuse_forged(update: Update, lang: str, error: ForgedCallback | None = None) -> None:
    """Answer a forged or malformed button politely; a curiosity, not an error, in the log."""
    query = update.callback_query
    if query is None:
        return
    family = family_of(query.data) if isinstance(query.data, str) else None
    log.info(
        "refused callback data: family=%s reason=%s",
        family.PREFIX if family else "?",
        error or "unrecognised",
    )
    await query.answer(t("common.stale_button", lang))


async def unpack_or_refuse(family: type[_C], update: Update, lang: str) -> _C | None:
    """The `family` button behind the update's press, or None once a forged one was refused:
    the first lines of every button handler."""
    query = update.callback_query
    assert query is not None
    try:
        return family.unpack(query.data)
    except ForgedCallback as error:
        await refuse_forged(update, lang, error)
        return None
