"""Every button family of the bot, one small frozen dataclass each: its prefix, its actions
and their typed fields. A new kind of button is declared here and nowhere else; the package
`bot.callbacks` re-exports each (its `__all__` lists them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from bot.callbacks.codec import PICKER_LAYOUT, Callback, registered


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
    """/pelatihan_baru: audience as in /umumkan, or by training need (n:<scope> the needs of a
    scope, nd:<need> the kelurahan/desa asking for it, nb back to the scopes), ne no end time,
    q:0 no quota, preview (go, no, e:<field>), and pv the inert RSVP buttons shown in the
    preview."""

    PREFIX: ClassVar[str] = "tn"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "s": ("area",),
        "c": ("area",),
        **PICKER_LAYOUT,
        "n": ("area",),
        "nd": ("code",),
        "nb": (),
        "i": ("code",),
        "ne": (),
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
    """/lapor: c:<category>, ph:done|clear, pub:yes|no (may the photos be published), loc:skip,
    doc:skip, send / edit / cancel, f:<field>, and fix:<report id> (fix a report sent back for
    revision)."""

    PREFIX: ClassVar[str] = "rp"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "c": ("category",),
        "ph": ("choice",),
        "pub": ("choice",),
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
    """Reviewing a report: ok / fix / no, fb / fc preview featuring it (to cadres / the channel)
    and fbok / fcok confirm that, s open, n / q next, m media."""

    PREFIX: ClassVar[str] = "rv"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        **{
            a: ("report_id",)
            for a in ("ok", "fix", "no", "fb", "fc", "fbok", "fcok", "s", "n", "m")
        },
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
class InviteRevokeButton(Callback):
    """/undang and /koordinator: x:<id> withdraws an unused invite."""

    PREFIX: ClassVar[str] = "ivx"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {"x": ("invite_id",)}
    action: str
    invite_id: int = 0


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
class NeedsSurveyButton(Callback):
    """/kebutuhan: t:<need> rank or unrank a need, ok done choosing, skip no photo,
    send / no on the summary, e:<field> change one answer."""

    PREFIX: ClassVar[str] = "nd"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "t": ("code",),
        "ok": (),
        "skip": (),
        "send": (),
        "no": (),
        "e": ("code",),
    }
    action: str
    code: str = ""


@registered
@dataclass(frozen=True)
class NeedsRoundButton(Callback):
    """/survei_kebutuhan: new round, its audience as in /umumkan, go / no to open it,
    v:<round> progress, x:<round> close early, xy:<round> confirm closing."""

    PREFIX: ClassVar[str] = "nr"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "new": (),
        "s": ("area",),
        "c": ("area",),
        **PICKER_LAYOUT,
        "i": ("code",),
        "go": (),
        "no": (),
        **{a: ("round_id",) for a in ("v", "x", "xy")},
    }
    action: str
    area: str = ""
    code: str = ""
    page: int = 0
    round_id: int = 0


@registered
@dataclass(frozen=True)
class NeedsMapButton(Callback):
    """/peta_kebutuhan: v:<region> the map of an area, x:<region> its XLSX proposal."""

    PREFIX: ClassVar[str] = "nm"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {"v": ("code",), "x": ("code",)}
    action: str
    code: str


@registered
@dataclass(frozen=True)
class SkillsButton(Callback):
    """/keahlian: t:<skill> toggle, ok done, teach:<y|n>, contact:<y|n>, send / no."""

    PREFIX: ClassVar[str] = "sk"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "t": ("code",),
        "ok": (),
        "teach": ("answer",),
        "contact": ("answer",),
        "send": (),
        "no": (),
    }
    action: str
    code: str = ""
    answer: str = ""


@registered
@dataclass(frozen=True)
class FindCadreButton(Callback):
    """/cari_kader: s:<skill> who can teach it in the searcher's areas."""

    PREFIX: ClassVar[str] = "ck"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {"s": ("code",)}
    action: str
    code: str


@registered
@dataclass(frozen=True)
class AttendanceButton(Callback):
    """/absensi: o:<id> the check-in QR, l:<id> the tick list, t:<id>:<cadre> tick or untick,
    c:<id> certificates on/off, v:<id> set the venue's location; pdf:<id> a cadre's
    certificate."""

    PREFIX: ClassVar[str] = "att"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "o": ("training_id",),
        "l": ("training_id",),
        "t": ("training_id", "cadre_id"),
        "c": ("training_id",),
        "v": ("training_id",),
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


@registered
@dataclass(frozen=True)
class GroupButton(Callback):
    """Linked groups (issue 14): the area of a group being linked (s:<scope> the whole scope,
    c:<scope> choose inside, the picker), no cancel; un:<id> unlink from the list, uy:<id>
    confirm, uk keep."""

    PREFIX: ClassVar[str] = "grp"
    LAYOUT: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "s": ("area",),
        "c": ("area",),
        **PICKER_LAYOUT,
        "no": (),
        "un": ("group_id",),
        "uy": ("group_id",),
        "uk": (),
    }
    action: str
    area: str = ""
    code: str = ""
    page: int = 0
    group_id: int = 0
