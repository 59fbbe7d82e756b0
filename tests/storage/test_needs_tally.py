"""The needs map's per-kelurahan fold stays what a recomputation from the answers gives: after
new answers, updates, a move to another kelurahan, "Lainnya" names, a round, and erasure; and
the migration that creates it folds the answers already given."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlmodel import Session, select

from storage import need_rounds, needs, people, privacy
from storage.db import Database, alembic_config, upgrade
from storage.models import NeedAnswer
from storage.models.needs import NeedTally, NeedVillageAnswered
from storage.regions import children

BONTANG_BARAT = "64.74.03"
NOW = datetime(2026, 6, 1, 8)

Tally = dict[tuple[str, str, str], tuple[str | None, int, int]]


@pytest.fixture
def database(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


def _recomputed(session: Session) -> tuple[Tally, dict[str, int]]:
    """The fold computed in Python from the current answers: (village, need, lower-cased
    typed name) → (smallest spelling, 3-2-1 score, cadres), and answers per village."""
    spellings: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    answered: dict[str, int] = defaultdict(int)
    for row in session.exec(select(NeedAnswer).where(NeedAnswer.is_current)).all():
        answered[row.village_code] += 1
        ranked = [n for n in (row.need_1, row.need_2, row.need_3) if n]
        for need, weight in zip(ranked, needs.WEIGHTS, strict=False):
            other = (row.other_name or "").lower() if need == needs.OTHER else ""
            key = (row.village_code, need, other)
            sums[key][0] += weight
            sums[key][1] += 1
            if need == needs.OTHER and row.other_name:
                spellings[key].append(row.other_name)
    tally = {
        key: (min(spellings[key]) if spellings[key] else None, score, cadres)
        for key, (score, cadres) in sums.items()
    }
    return tally, dict(answered)


def _stored(session: Session) -> tuple[Tally, dict[str, int]]:
    tally = {
        (r.village_code, r.need, r.other): (r.other_name, r.score, r.cadres)
        for r in session.exec(select(NeedTally)).all()
    }
    answered = {r.village_code: r.answered for r in session.exec(select(NeedVillageAnswered)).all()}
    return tally, answered


def _assert_folded(database: Database) -> Tally:
    with database.session() as session:
        stored = _stored(session)
        assert stored == _recomputed(session)
        return stored[0]


def _answer(
    database: Database,
    cadre: int,
    village: str,
    ranked: tuple[str, ...],
    other: str | None = None,
    *,
    period: str = "year:2026",
    round_id: int | None = None,
) -> None:
    with database.session() as session:
        needs.save_answer(
            session,
            cadre,
            village_code=village,
            period=period,
            round_id=round_id,
            needs=ranked,
            other_name=other,
            problem="Jalan rusak",
            potential="Rotan",
            photo_file_id=None,
            now=NOW,
        )


def test_the_fold_follows_every_change_of_the_current_answers(database):
    with database.session() as session:
        kanaan, belimbing = (
            next(r.code for r in children(session, BONTANG_BARAT) if r.name == name)
            for name in ("Kanaan", "Belimbing")
        )
        for cadre, village in ((1, kanaan), (2, kanaan), (3, belimbing), (4, belimbing)):
            people.touch_user(session, cadre, "id")
            people.save_cadre(
                session,
                cadre,
                full_name=f"Kader {cadre}",
                phone="+6281200000000",
                village_code=village,
                institution="pkk",
                institution_other=None,
            )

    _answer(database, 1, kanaan, ("las", "menjahit", "lainnya"), "sablon")
    _answer(database, 2, kanaan, ("lainnya",), "Sablon")
    _answer(database, 3, belimbing, ("las",))
    _answer(database, 4, belimbing, ("kesehatan",), period="year:2025")
    _answer(database, 4, belimbing, ("tata_boga", "lainnya"), "Kopi bubuk")
    tally = _assert_folded(database)
    # Both spellings of "Sablon" are one need; the older answer of 4 no longer counts.
    assert tally[(kanaan, "lainnya", "sablon")] == ("Sablon", 4, 2)
    assert (belimbing, "kesehatan", "") not in tally

    # An update in place (other needs, the typed name dropped), and a move to Belimbing.
    _answer(database, 1, belimbing, ("menjahit", "las"))
    tally = _assert_folded(database)
    assert tally[(kanaan, "lainnya", "sablon")] == ("Sablon", 3, 1)
    assert tally[(belimbing, "las", "")] == (None, 5, 2)
    assert not any(village == kanaan and need == "las" for village, need, _ in tally)

    # A round: 3 answers it from Kanaan, and their answer of the year stops counting.
    with database.session() as session:
        opened, _ = need_rounds.open_round(
            session,
            scope=BONTANG_BARAT,
            institutions=[],
            opened_by=9001,
            deadline=NOW + timedelta(days=7),
            now=NOW,
        )
    _answer(database, 3, kanaan, ("perbaikan_ac",), period=f"round:{opened.id}", round_id=opened.id)
    tally = _assert_folded(database)
    assert tally[(belimbing, "las", "")] == (None, 2, 1)
    assert tally[(kanaan, "perbaikan_ac", "")] == (None, 3, 1)

    # Erasure (`/hapus_data`) takes the cadre's share out of the map.
    with database.session() as session:
        privacy.delete_personal_data(session, 2)
    tally = _assert_folded(database)
    assert (kanaan, "lainnya", "sablon") not in tally
    with database.session() as session:
        cover = needs.coverage(session, BONTANG_BARAT)
        assert (cover.answered, cover.villages_answered) == (3, 2)

    # Rebuilding every village from scratch (as the migration's backfill) changes nothing.
    with database.session() as session:
        needs.refresh_tally(session)
    assert _assert_folded(database) == tally


def test_the_migration_folds_the_answers_already_given(database, database_url):
    """Revision 0015_needs_tally fills the fold from the answers stored before it."""
    command.downgrade(alembic_config(database_url), "0011_needs")
    try:
        with database.session() as session:
            kanaan = next(r.code for r in children(session, BONTANG_BARAT) if r.name == "Kanaan")
            rows = [
                (1, "year:2025", ("kesehatan", None, None), None, False),
                (1, "year:2026", ("las", "menjahit", "lainnya"), "Sablon", True),
                (2, "year:2026", ("lainnya", "las", None), "sablon", True),
                (3, "year:2026", ("tata_boga", None, None), None, True),
            ]
            for cadre, period, (first, second, third), other, current in rows:
                session.add(
                    NeedAnswer(
                        telegram_id=cadre,
                        village_code=kanaan,
                        period=period,
                        need_1=first,
                        need_2=second,
                        need_3=third,
                        other_name=other,
                        problem="Jalan rusak",
                        potential="Rotan",
                        is_current=current,
                    )
                )
    finally:
        upgrade(database_url)
    tally = _assert_folded(database)
    assert tally[(kanaan, "las", "")] == (None, 5, 2)
    assert tally[(kanaan, "lainnya", "sablon")] == ("Sablon", 4, 2)
    assert (kanaan, "kesehatan", "") not in tally
