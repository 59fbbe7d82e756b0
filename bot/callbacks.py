"""Every inline button's callback data: one typed class per family, one codec, one refusal.

A button's data is ``<prefix>:<action>[:<field>…]`` (or ``<prefix>:<field>`` for the two
families without actions, ``lang`` and ``ex``). Each family below is a small frozen dataclass:
`pack()` writes the wire string, `unpack(data)` reads it back or raises `ForgedCallback`, and
`pattern(*actions)` is the regex its `CallbackQueryHandler` routes on. The wire strings are
exactly what the keyboards have always sent, so buttons in old messages keep working.

Anything a client sends is untrusted: integers are ASCII digits only (no ``²``, ``١٢``, sign
or 20-digit numbers), words are short ASCII tokens, the whole is at most
`InlineKeyboardButtonLimit.MAX_CALLBACK_DATA` bytes. Whether the *value* is allowed (a region
inside the sender's scope, a report they may review) stays the handler's job.
"""

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
    "AttendanceButton",
    "AudienceButton",
    "BroadcastButton",
    "Callback",
    "CoordinatorButton",
    "DeleteButton",
    "ExportButton",
    "FeedbackButton",
    "ForgedCallback",
    "InviteButton",
    "LanguageButton",
    "ManageReminderButton",
    "ProfileButton",
    "RegistrationButton",
    "ReminderFormButton",
    "ReportButton",
    "ReportListButton",
    "ReviewButton",
    "StatisticsButton",
    "TrainingButton",
    "TrainingFormButton",
    "family_of",
    "refuse_forged",
    "registered",
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


def _decode_int(raw: str) -> int:
    if not _DIGITS.fullmatch(raw) or int(raw) > MAX_INT:
        raise ForgedCallback("not a bounded ASCII number")
    return int(raw)


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


# ---------------------------------------------------------------- the families


@registered
@dataclass(frozen=True)
class BroadcastButton(Callback):
    """/umumkan: audience (s whole scope, c choose inside, picker, i institution), preview
    (go send, no cancel, u urgent toggle, aud / txt change), and x stop a running broadcast."""

    PREFIX: ClassVar[str] = "bc"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "s": ("area",),
        "c": ("area",),
        **PICKER_LAYOUT,
        "i": ("code",),
        "go": (),
        "no": (),
        "u": (),
        "aud": (),
        "txt": (),
        "x": ("broadcast_id",),
    }
    action: str
    area: str = ""
    code: str = ""
    page: int = 0
    broadcast_id: int = 0


@registered
@dataclass(frozen=True)
class TrainingFormButton(Callback):
    """/pelatihan_baru: audience as in /umumkan, q:0 no quota, preview (go, no, e:<field>),
    and pv the inert RSVP buttons shown in the preview."""

    PREFIX: ClassVar[str] = "tn"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "s": ("area",),
        "c": ("area",),
        **PICKER_LAYOUT,
        "i": ("code",),
        "q": ("quota",),
        "go": (),
        "no": (),
        "e": ("code",),
        "pv": (),
    }
    action: str
    area: str = ""
    code: str = ""
    page: int = 0
    quota: int = 0


AudienceButton = BroadcastButton | TrainingFormButton
"""The two families that carry the shared audience step (broadcast.ask_audience)."""


@registered
@dataclass(frozen=True)
class TrainingButton(Callback):
    """A training: y/n RSVP, p participants, close registration, mv move, x / xy call off."""

    PREFIX: ClassVar[str] = "tr"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        a: ("training_id",) for a in ("y", "n", "p", "close", "mv", "x", "xy")
    }
    action: str
    training_id: int = 0


@registered
@dataclass(frozen=True)
class RegistrationButton(Callback):
    """Registration: c consent (y/n), region picker, i institution, ok / edit, f:<field>."""

    PREFIX: ClassVar[str] = "reg"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "c": ("answer",),
        **PICKER_LAYOUT,
        "i": ("institution",),
        "ok": (),
        "edit": (),
        "f": ("field",),
    }
    action: str
    answer: str = ""
    code: str = ""
    page: int = 0
    institution: str = ""
    field: str = ""


@registered
@dataclass(frozen=True)
class ProfileButton(Callback):
    """/profil: edit the registration."""

    PREFIX: ClassVar[str] = "prof"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {"edit": ()}
    action: str


@registered
@dataclass(frozen=True)
class DeleteButton(Callback):
    """/hapus_data: yes / no."""

    PREFIX: ClassVar[str] = "del"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {"yes": (), "no": ()}
    action: str


@registered
@dataclass(frozen=True)
class LanguageButton(Callback):
    """/bahasa: lang:<code>."""

    PREFIX: ClassVar[str] = "lang"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {"": ("code",)}
    code: str


@registered
@dataclass(frozen=True)
class ReportButton(Callback):
    """/lapor: c:<category>, ph:done|clear, loc:skip, doc:skip, send / edit / cancel,
    f:<field>, and fix:<report id> (fix a report sent back for revision)."""

    PREFIX: ClassVar[str] = "rp"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "c": ("category",),
        "ph": ("choice",),
        "loc": ("choice",),
        "doc": ("choice",),
        "send": (),
        "edit": (),
        "cancel": (),
        "f": ("field",),
        "fix": ("report_id",),
    }
    action: str
    category: str = ""
    choice: str = ""
    field: str = ""
    report_id: int = 0


@registered
@dataclass(frozen=True)
class ReviewButton(Callback):
    """Reviewing a report: ok / fix / no, fb / fc feature it, s open, n / q next, m media."""

    PREFIX: ClassVar[str] = "rv"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        **{a: ("report_id",) for a in ("ok", "fix", "no", "fb", "fc", "s", "n", "m")},
        "q": (),
    }
    action: str
    report_id: int = 0


@registered
@dataclass(frozen=True)
class ReportListButton(Callback):
    """/daftar_laporan and /laporan_saya: m:<page>, v:<filter>:<page>, f:<filter>:<c|s|p>,
    a:<filter>:<node>:<page>, o:<report id>:<filter>:<page>. `flt` is ListFilter.encode()."""

    PREFIX: ClassVar[str] = "rl"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "m": ("page",),
        "v": ("flt", "page"),
        "f": ("flt", "facet"),
        "a": ("flt", "node", "page"),
        "o": ("report_id", "flt", "page"),
    }
    action: str
    flt: str = ""
    page: int = 0
    facet: str = ""
    node: str = ""
    report_id: int = 0


@registered
@dataclass(frozen=True)
class ManageReminderButton(Callback):
    """/pengingat list: new, l list, v view, p pause, r resume, x delete, xy confirm."""

    PREFIX: ClassVar[str] = "rm"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "new": (),
        "l": (),
        **{a: ("reminder_id",) for a in ("v", "p", "r", "x", "xy")},
    }
    action: str
    reminder_id: int = 0


@registered
@dataclass(frozen=True)
class ReminderFormButton(Callback):
    """The /pengingat form: s:<scope index>, picker, k:<kind>, d:<YYYYMMDD>, t:<HHMM>,
    w:<weekday>, m:<month day>, n:<week 1-4|last>, ok / re / no. Dates and clocks stay
    digit strings (leading zeros matter)."""

    PREFIX: ClassVar[str] = "rmf"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "s": ("index",),
        **PICKER_LAYOUT,
        "k": ("kind",),
        "d": ("day",),
        "t": ("clock",),
        "w": ("weekday",),
        "m": ("month_day",),
        "n": ("week",),
        "ok": (),
        "re": (),
        "no": (),
    }
    action: str
    index: int = 0
    code: str = ""
    page: int = 0
    kind: str = ""
    day: str = ""
    clock: str = ""
    weekday: int = 0
    month_day: int = 0
    week: str = ""


@registered
@dataclass(frozen=True)
class StatisticsButton(Callback):
    """/statistik: v:<region>:<period>, e:<region> empty villages, h back to the scopes."""

    PREFIX: ClassVar[str] = "st"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "v": ("code", "period"),
        "e": ("code",),
        "h": (),
    }
    action: str
    code: str = ""
    period: str = ""


@registered
@dataclass(frozen=True)
class ExportButton(Callback):
    """The statistics screen's export button: ex:<region code>."""

    PREFIX: ClassVar[str] = "ex"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {"": ("code",)}
    code: str


@registered
@dataclass(frozen=True)
class InviteButton(Callback):
    """/undang: the region picker choosing the invitation's area."""

    PREFIX: ClassVar[str] = "inv"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = PICKER_LAYOUT
    action: str
    code: str = ""
    page: int = 0


@registered
@dataclass(frozen=True)
class CoordinatorButton(Callback):
    """/koordinator: rv:<id> revoke, ry:<id> confirm, no:0 keep."""

    PREFIX: ClassVar[str] = "crd"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        a: ("coordinator_id",) for a in ("rv", "ry", "no")
    }
    action: str
    coordinator_id: int = 0


@registered
@dataclass(frozen=True)
class AttendanceButton(Callback):
    """/absensi: o:<id> the check-in QR, l:<id> the tick list, t:<id>:<cadre> tick or untick,
    c:<id> certificates on/off; pdf:<id> a cadre's certificate."""

    PREFIX: ClassVar[str] = "att"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "o": ("training_id",),
        "l": ("training_id",),
        "t": ("training_id", "cadre_id"),
        "c": ("training_id",),
        "pdf": ("training_id",),
    }
    action: str
    training_id: int = 0
    cadre_id: int = 0


@registered
@dataclass(frozen=True)
class FeedbackButton(Callback):
    """After a training day: r:<id>:<1-5> the one-tap rating, skip no comment; a follow-up's
    answer a:<id>:<days>:<question>:<answer>."""

    PREFIX: ClassVar[str] = "fb"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "r": ("training_id", "rating"),
        "skip": (),
        "a": ("training_id", "days", "question", "answer"),
    }
    action: str
    training_id: int = 0
    rating: int = 0
    days: int = 0
    question: str = ""
    answer: str = ""
