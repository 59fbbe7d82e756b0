"""Village needs: the needs list, cadres' survey answers, and the figures of the needs map.

The list of needs is `storage/data/needs.csv` (one code a line, in the order shown; labels are
the catalog entries `needs.item.<code>`): a new training need is a line there and two catalog
entries, no code. Each cadre has one answer per period (a round, or a calendar year outside
one); their latest answer (`is_current`) is the one every figure counts, weighted by rank 3-2-1.
Rounds are in `storage.need_rounds`, skills in `storage.skills`.

The map does not sum the answers themselves: every change of a cadre's current answer rewrites
the per-kelurahan fold (`need_tally`, `need_village_answered`) of the villages it touches, in
the same transaction, so a province map sums about a thousand villages' rows.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Integer, case, delete, func, insert, literal, union_all, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from storage.coderange import village_within
from storage.models import AppUser, Cadre, NeedAnswer, NeedInvite, NeedRound, Region, utcnow
from storage.models.needs import NeedTally, NeedVillageAnswered
from storage.regions import scope_filter

__all__ = [
    "NEEDS_CSV",
    "OTHER",
    "WEIGHTS",
    "AnswerInfo",
    "Coverage",
    "NeedFigure",
    "NeedsMap",
    "VillageAsking",
    "Voice",
    "child_coverage",
    "child_tables",
    "coverage",
    "current_answer",
    "forget_answers",
    "get_answer",
    "is_need",
    "need_audience_ids",
    "need_codes",
    "needs_map",
    "needs_table",
    "open_round_for",
    "refresh_tally",
    "save_answer",
    "villages_asking",
    "voices",
]

NEEDS_CSV = Path(__file__).parent / "data" / "needs.csv"
OTHER = "lainnya"  # "Lainnya": the cadre types the need's name
WEIGHTS = (3, 2, 1)  # demand score of a need ranked first, second, third
RANKED = 3


@cache
def need_codes() -> tuple[str, ...]:
    """The needs a cadre chooses from, in the order shown ("lainnya" last)."""
    with NEEDS_CSV.open(newline="", encoding="utf-8") as handle:
        codes = [row["code"].strip() for row in csv.DictReader(handle) if row["code"].strip()]
    return (*(c for c in codes if c != OTHER), OTHER)


def is_need(code: str) -> bool:
    return code in need_codes()


# ---------------------------------------------------------------- answers


@dataclass(frozen=True)
class AnswerInfo:
    """A cadre's answer: needs by rank, the typed name of "Lainnya", problem, potential."""

    needs: tuple[str, ...]
    other_name: str | None
    problem: str
    potential: str
    photo_file_id: str | None
    period: str
    village_code: str
    updated_at: datetime

    @classmethod
    def of(cls, row: NeedAnswer) -> AnswerInfo:
        needs = tuple(n for n in (row.need_1, row.need_2, row.need_3) if n)
        return cls(
            needs,
            row.other_name,
            row.problem,
            row.potential,
            row.photo_file_id,
            row.period,
            row.village_code,
            row.updated_at,
        )


def open_round_for(session: Session, village_code: str, now: datetime) -> int | None:
    """The newest open round whose area holds this kelurahan/desa, if any."""
    parts = village_code.split(".")
    areas = [".".join(parts[: i + 1]) for i in range(len(parts))]
    return session.exec(
        select(NeedRound.id)
        .where(
            col(NeedRound.scope_code).in_(areas),
            col(NeedRound.closed_at).is_(None),
            col(NeedRound.deadline) > now,
        )
        .order_by(col(NeedRound.opened_at).desc(), col(NeedRound.id).desc())
    ).first()


def get_answer(session: Session, telegram_id: int, period: str) -> AnswerInfo | None:
    row = session.exec(
        select(NeedAnswer).where(
            col(NeedAnswer.telegram_id) == telegram_id, col(NeedAnswer.period) == period
        )
    ).first()
    return AnswerInfo.of(row) if row else None


def current_answer(session: Session, telegram_id: int) -> AnswerInfo | None:
    """The cadre's latest answer, whatever its period (to start a new one from it)."""
    row = session.exec(
        select(NeedAnswer).where(
            col(NeedAnswer.telegram_id) == telegram_id, col(NeedAnswer.is_current).is_(True)
        )
    ).first()
    return AnswerInfo.of(row) if row else None


def save_answer(
    session: Session,
    telegram_id: int,
    *,
    village_code: str,
    period: str,
    round_id: int | None,
    needs: tuple[str, ...],
    other_name: str | None,
    problem: str,
    potential: str,
    photo_file_id: str | None,
    now: datetime | None = None,
) -> bool:
    """Store the answer of this period (replacing an earlier one); True when it is new.

    It becomes the cadre's current answer: the last answer counts. The map's fold of the
    kelurahan/desa it touches (its own, and that of the answer it replaces) is rewritten in
    the same transaction.
    """
    if not 1 <= len(needs) <= RANKED or len(set(needs)) != len(needs):
        raise ValueError(f"one to three distinct needs, not {needs!r}")
    now = now or utcnow()
    row = session.exec(
        select(NeedAnswer)
        .where(col(NeedAnswer.telegram_id) == telegram_id, col(NeedAnswer.period) == period)
        .with_for_update()
    ).first()
    created = row is None
    touched = set(
        session.exec(
            select(NeedAnswer.village_code).where(
                col(NeedAnswer.telegram_id) == telegram_id, col(NeedAnswer.is_current).is_(True)
            )
        ).all()
    )
    touched.add(village_code)
    if row is None:
        row = NeedAnswer(
            telegram_id=telegram_id,
            village_code=village_code,
            period=period,
            need_1=needs[0],
            problem=problem,
            potential=potential,
            answered_at=now,
        )
    ranked = [*needs, None, None][:RANKED]
    row.village_code = village_code
    row.round_id = round_id
    row.need_1, row.need_2, row.need_3 = ranked[0] or needs[0], ranked[1], ranked[2]
    row.other_name = other_name if OTHER in needs else None
    row.problem, row.potential, row.photo_file_id = problem, potential, photo_file_id
    row.is_current, row.updated_at = True, now
    session.exec(
        update(NeedAnswer)
        .where(col(NeedAnswer.telegram_id) == telegram_id, col(NeedAnswer.period) != period)
        .values(is_current=False)
    )
    session.add(row)
    session.flush()
    refresh_tally(session, touched)
    return created


def forget_answers(session: Session, telegram_id: int) -> None:
    """Erase a cadre's answers and invitations (`/hapus_data`), and their share of the map."""
    touched = set(
        session.exec(
            select(NeedAnswer.village_code).where(
                col(NeedAnswer.telegram_id) == telegram_id, col(NeedAnswer.is_current).is_(True)
            )
        ).all()
    )
    session.exec(delete(NeedAnswer).where(col(NeedAnswer.telegram_id) == telegram_id))
    session.exec(delete(NeedInvite).where(col(NeedInvite.telegram_id) == telegram_id))
    refresh_tally(session, touched)


# ---------------------------------------------------------------- the per-kelurahan fold


def _ranked(where: ColumnElement[bool]) -> Any:
    """Every current answer's ranked needs matching `where`, one row per (answer, rank), as a
    subquery with village, need, other (lower-cased typed name, "" unless "Lainnya"),
    other_name and weight."""
    parts = []
    for column, weight in zip(
        (NeedAnswer.need_1, NeedAnswer.need_2, NeedAnswer.need_3), WEIGHTS, strict=True
    ):
        is_other = col(column) == OTHER
        parts.append(
            sa.select(
                col(NeedAnswer.village_code).label("village"),
                col(column).label("need"),
                case(
                    (is_other, func.lower(func.coalesce(NeedAnswer.other_name, ""))), else_=""
                ).label("other"),
                case((is_other, col(NeedAnswer.other_name)), else_=None).label("other_name"),
                literal(weight, Integer).label("weight"),
            ).where(col(NeedAnswer.is_current).is_(True), where, col(column).is_not(None))
        )
    return union_all(*parts).subquery("ranked")


def refresh_tally(session: Session, villages: Collection[str] | None = None) -> None:
    """Rewrite the fold of these kelurahan/desa from their current answers; with None, rebuild
    all of it (after a bulk load of answers, as `bench/needs.py` does).

    The villages' region rows are locked first (in code order) so that two cadres of one
    village answering at once fold one after the other, each seeing the other's answer.
    """
    if villages is not None and not villages:
        return
    codes = sorted(villages) if villages is not None else None
    if codes is None:
        answers_where: ColumnElement[bool] = sa.true()
        session.exec(delete(NeedTally))
        session.exec(delete(NeedVillageAnswered))
    else:
        session.exec(
            select(Region.code)
            .where(col(Region.code).in_(codes))
            .order_by(col(Region.code))
            .with_for_update(key_share=True)
        ).all()
        answers_where = col(NeedAnswer.village_code).in_(codes)
        session.exec(delete(NeedTally).where(col(NeedTally.village_code).in_(codes)))
        session.exec(
            delete(NeedVillageAnswered).where(col(NeedVillageAnswered.village_code).in_(codes))
        )
    ranked = _ranked(answers_where)
    session.exec(
        insert(NeedTally).from_select(
            ["village_code", "need", "other", "other_name", "score", "cadres"],
            sa.select(
                ranked.c.village,
                ranked.c.need,
                ranked.c.other,
                func.min(ranked.c.other_name),
                func.sum(ranked.c.weight),
                func.count(),
            ).group_by(ranked.c.village, ranked.c.need, ranked.c.other),
        )
    )
    session.exec(
        insert(NeedVillageAnswered).from_select(
            ["village_code", "answered"],
            sa.select(col(NeedAnswer.village_code), func.count())
            .where(col(NeedAnswer.is_current).is_(True), answers_where)
            .group_by(col(NeedAnswer.village_code)),
        )
    )


# ---------------------------------------------------------------- the needs map


@dataclass(frozen=True)
class NeedFigure:
    """How much an area asks for one need: the 3-2-1 score, kelurahan/desa and cadres asking.

    `other_name` is the typed name of a "Lainnya" need (each name is a need of its own).
    """

    need: str
    other_name: str | None
    score: int
    villages: int
    cadres: int


@dataclass(frozen=True)
class Coverage:
    """Cadres of the area who answered, and kelurahan/desa with at least one answer."""

    answered: int
    cadres: int
    villages_answered: int


@dataclass(frozen=True)
class Voice:
    """A problem and a potential named for a kelurahan/desa."""

    village_code: str
    problem: str
    potential: str
    updated_at: datetime


@dataclass(frozen=True)
class NeedsMap:
    """Everything the map of one area shows."""

    area: str
    table: list[NeedFigure]
    coverage: Coverage
    children: dict[str, Coverage]
    voices: list[Voice]


def _figure(
    need: str, other_name: str | None, score: Any, villages: Any, cadres: Any
) -> NeedFigure:
    return NeedFigure(need, other_name or None, int(score), int(villages), int(cadres))


def _order(figures: list[NeedFigure]) -> list[NeedFigure]:
    return sorted(figures, key=lambda f: (-f.score, -f.cadres, f.need, f.other_name or ""))


def needs_table(session: Session, area: str, limit: int | None = None) -> list[NeedFigure]:
    """The needs of `area`, most requested first (by 3-2-1 score, then cadres asking)."""
    rows = session.execute(
        sa.select(
            col(NeedTally.need),
            func.min(NeedTally.other_name),
            func.sum(NeedTally.score),
            func.count(),
            func.sum(NeedTally.cadres),
        )
        .where(village_within(NeedTally.village_code, area))
        .group_by(NeedTally.need, col(NeedTally.other))
    ).all()
    table = _order([_figure(*row) for row in rows])
    return table[:limit] if limit is not None else table


def child_tables(session: Session, area: str, child_width: int) -> dict[str, list[NeedFigure]]:
    """`needs_table` for every sub-area at once (codes `child_width` characters long)."""
    child = func.substr(NeedTally.village_code, 1, child_width)
    rows = session.execute(
        sa.select(
            child,
            col(NeedTally.need),
            func.min(NeedTally.other_name),
            func.sum(NeedTally.score),
            func.count(),
            func.sum(NeedTally.cadres),
        )
        .where(village_within(NeedTally.village_code, area))
        .group_by(child, col(NeedTally.need), col(NeedTally.other))
    ).all()
    tables: dict[str, list[NeedFigure]] = {}
    for child, *figure in rows:
        tables.setdefault(child, []).append(_figure(*figure))
    return {child: _order(figures) for child, figures in tables.items()}


def coverage(session: Session, area: str) -> Coverage:
    answered, villages = session.execute(
        sa.select(func.coalesce(func.sum(NeedVillageAnswered.answered), 0), func.count()).where(
            village_within(NeedVillageAnswered.village_code, area)
        )
    ).one()
    cadres = session.exec(
        select(func.count()).select_from(Cadre).where(village_within(Cadre.village_code, area))
    ).one()
    return Coverage(int(answered), int(cadres), int(villages))


def _village_coverage(session: Session, area: str) -> dict[str, Coverage]:
    """`coverage` of each kelurahan/desa of `area` with cadres or answers (grouped by the
    indexed code itself: no per-row substring, no sort)."""
    answered = session.execute(
        sa.select(col(NeedVillageAnswered.village_code), col(NeedVillageAnswered.answered)).where(
            village_within(NeedVillageAnswered.village_code, area)
        )
    ).all()
    cadres: dict[str, int] = dict(
        session.execute(
            sa.select(col(Cadre.village_code), func.count())
            .where(village_within(Cadre.village_code, area))
            .group_by(col(Cadre.village_code))
        ).all()
    )
    found = {code: Coverage(int(n), int(cadres.get(code, 0)), 1) for code, n in answered}
    for code, count in cadres.items():
        found.setdefault(code, Coverage(0, int(count), 0))
    return found


def _by_child(villages: dict[str, Coverage], child_width: int) -> dict[str, Coverage]:
    found: dict[str, Coverage] = {}
    for code, part in villages.items():
        child = code[:child_width]
        so_far = found.get(child, Coverage(0, 0, 0))
        found[child] = Coverage(
            so_far.answered + part.answered,
            so_far.cadres + part.cadres,
            so_far.villages_answered + part.villages_answered,
        )
    return found


def child_coverage(session: Session, area: str, child_width: int) -> dict[str, Coverage]:
    """`coverage` of every sub-area whose codes are `child_width` characters long."""
    return _by_child(_village_coverage(session, area), child_width)


def voices(session: Session, area: str, limit: int = 5) -> list[Voice]:
    """The latest problems and potentials named in `area`, newest first."""
    rows = session.exec(
        select(NeedAnswer)
        .where(col(NeedAnswer.is_current).is_(True), scope_filter(NeedAnswer.village_code, area))
        .order_by(col(NeedAnswer.updated_at).desc(), col(NeedAnswer.id).desc())
        .limit(limit)
    ).all()
    return [Voice(r.village_code, r.problem, r.potential, r.updated_at) for r in rows]


def needs_map(
    session: Session, area: str, child_width: int | None, voice_count: int = 5
) -> NeedsMap:
    """The map of `area`: its needs, its coverage, that of its sub-areas, the latest voices."""
    villages = _village_coverage(session, area)
    total = _by_child(villages, 0).get("", Coverage(0, 0, 0))  # "": every code's 0-prefix
    return NeedsMap(
        area,
        needs_table(session, area),
        total,
        _by_child(villages, child_width) if child_width else {},
        voices(session, area, voice_count),
    )


# ---------------------------------------------------------------- from need to training


@dataclass(frozen=True)
class VillageAsking:
    """A kelurahan/desa whose cadres ranked a need in their top three."""

    code: str
    score: int
    cadres: int


def villages_asking(
    session: Session, need: str, scope: str, other_name: str | None = None
) -> list[VillageAsking]:
    """The kelurahan/desa inside `scope` that ask for `need`, highest score first.

    For "Lainnya", `other_name` picks one typed name (case-insensitive).
    """
    query = sa.select(
        col(NeedTally.village_code), func.sum(NeedTally.score), func.sum(NeedTally.cadres)
    ).where(col(NeedTally.need) == need, village_within(NeedTally.village_code, scope))
    if need == OTHER and other_name is not None:
        query = query.where(col(NeedTally.other) == other_name.strip().lower())
    rows = session.execute(query.group_by(NeedTally.village_code)).all()
    found = [VillageAsking(code, int(score), int(n)) for code, score, n in rows]
    return sorted(found, key=lambda v: (-v.score, v.code))


def need_audience_ids(
    session: Session, need: str, scope: str, institutions: list[str] | None = None
) -> list[int]:
    """The cadres of the kelurahan/desa inside `scope` that ask for `need` who want
    announcements and can be reached, in registration order: the audience "cadres of the
    kelurahan/desa that asked for this training"."""
    villages = [v.code for v in villages_asking(session, need, scope)]
    if not villages:
        return []
    query = (
        select(Cadre.telegram_id)
        .outerjoin(AppUser, col(AppUser.telegram_id) == Cadre.telegram_id)
        .where(
            col(Cadre.village_code).in_(villages),
            col(Cadre.receive_broadcasts).is_(True),
            col(AppUser.unreachable_since).is_(None),
        )
    )
    if institutions:
        query = query.where(col(Cadre.institution).in_(institutions))
    return list(session.exec(query.order_by(col(Cadre.id))).all())
