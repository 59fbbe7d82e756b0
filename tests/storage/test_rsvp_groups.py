"""Taps decided as a group (`storage.training.respond_all`) come out exactly as the same taps
decided one by one: checked against a plain model of the rules (first come first served, the
waiting list and its positions, promotions, idempotent repeats, refusals) on random
sequences — double taps, cancellations, erasures and closing included — cut into random
groups."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from storage import training as store
from storage.db import Database
from storage.models import Cadre, TrainingRsvp
from storage.training import RsvpResult, RsvpStatus, RsvpTap

KANAAN = "64.74.03.1001"
T0 = datetime(2026, 6, 1, 8)
CADRES = list(range(70_001, 70_009))
STRANGER = 79_999  # not a cadre: refused before the lock


@pytest.fixture
def database(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


@dataclass
class Model:
    """The rules, one tap at a time, in memory."""

    quota: int | None
    closed: bool = False
    status: dict[int, str] = field(default_factory=dict)
    key: dict[int, tuple[datetime, int]] = field(default_factory=dict)
    next_row: int = 0

    def waiting_line(self) -> list[int]:
        waiting = [c for c, s in self.status.items() if s == RsvpStatus.WAITING]
        return sorted(waiting, key=lambda c: self.key[c])

    def going(self) -> int:
        return sum(s == RsvpStatus.GOING for s in self.status.values())

    def store(self, cadre: int, status: str, now: datetime) -> None:
        if cadre not in self.key:
            self.next_row += 1
            row = self.next_row
        else:
            row = self.key[cadre][1]
        self.status[cadre], self.key[cadre] = status, (now, row)

    def fill(self, now: datetime) -> list[int]:
        if self.quota is None:
            return []
        promoted = self.waiting_line()[: max(0, self.quota - self.going())]
        for cadre in promoted:
            self.store(cadre, RsvpStatus.GOING, now)
        return promoted

    def tap(self, cadre: int, joining: bool, now: datetime) -> tuple[str, int | None, list[int]]:
        if cadre == STRANGER:
            return RsvpResult.NOT_ELIGIBLE, None, []
        status = self.status.get(cadre)
        if joining:
            if status == RsvpStatus.GOING:
                return RsvpResult.ALREADY_JOINED, None, []
            if status == RsvpStatus.WAITING:
                return RsvpResult.ALREADY_WAITING, self.waiting_line().index(cadre) + 1, []
            if self.closed:
                return RsvpResult.CLOSED, None, []
            promoted = self.fill(now)
            if self.quota is None or self.going() < self.quota:
                self.store(cadre, RsvpStatus.GOING, now)
                return RsvpResult.JOINED, None, promoted
            self.store(cadre, RsvpStatus.WAITING, now)
            return RsvpResult.WAITING, self.waiting_line().index(cadre) + 1, promoted
        if status == RsvpStatus.DECLINED:
            return RsvpResult.ALREADY_DECLINED, None, []
        self.store(cadre, RsvpStatus.DECLINED, now)
        if status is None:
            return RsvpResult.DECLINED, None, []
        promoted = self.fill(now) if status == RsvpStatus.GOING else []
        return RsvpResult.CANCELLED, None, promoted

    def forget(self, cadre: int) -> None:
        self.status.pop(cadre, None)
        self.key.pop(cadre, None)


def _setup(database: Database, quota: int | None) -> int:
    with database.session() as session:
        for cadre in CADRES:
            session.add(
                Cadre(
                    telegram_id=cadre,
                    full_name=f"Kader {cadre}",
                    phone=f"+62812{cadre}",
                    village_code=KANAAN,
                    institution="pkk",
                )
            )
        training = store.create_training(
            session,
            title="Uji",
            description="Uji",
            starts_at=T0 + timedelta(days=30),
            place="Aula",
            quota=quota,
            area_code=KANAAN,
            institutions=[],
            created_by=1,
        )
    return training.id


def _stored(session: Session, training_id: int) -> tuple[dict[int, str], list[int]]:
    rows = session.exec(select(TrainingRsvp).where(TrainingRsvp.training_id == training_id)).all()
    line = sorted(
        (r for r in rows if r.status == RsvpStatus.WAITING), key=lambda r: (r.updated_at, r.id)
    )
    return {r.telegram_id: r.status for r in rows}, [r.telegram_id for r in line]


@pytest.mark.parametrize("seed", range(6))
def test_groups_decide_as_taps_alone(database, seed):
    rng = random.Random(seed)
    quota = None if seed == 5 else rng.choice([1, 2, 3])
    training_id = _setup(database, quota)
    model = Model(quota)
    now = T0
    for _ in range(14):
        taps = []
        for _ in range(rng.randint(1, 9)):
            now += timedelta(seconds=rng.choice([1, 1, 1, 60]))
            cadre = rng.choice([*CADRES, STRANGER])
            taps.append(RsvpTap(cadre, rng.random() < 0.7, now))
        expected = [model.tap(t.telegram_id, t.joining, t.now) for t in taps]
        with database.session() as session:
            outcomes = store.respond_all(session, training_id, taps)
        got = [(o.result, o.position, o.promoted) for o in outcomes]
        assert got == expected, taps
        with database.session() as session:
            statuses, line = _stored(session, training_id)
            positions = [store._position(session, training_id, c) for c in line]
        assert statuses == model.status and line == model.waiting_line()
        assert positions == list(range(1, len(line) + 1))
        if rng.random() < 0.2:  # an erasure frees a seat: the next "Ikut" gives it on first
            gone = rng.choice(CADRES)
            with database.session() as session:
                store.forget_participant(session, gone)
            model.forget(gone)
        if rng.random() < 0.05:
            with database.session() as session:
                store.close_registration(session, training_id, by=1, now=now)
            model.closed = True


def test_a_group_on_a_called_off_or_unknown_training(database):
    training_id = _setup(database, 2)
    taps = [RsvpTap(c, True, T0) for c in CADRES[:3]]
    with database.session() as session:
        assert [o.result for o in store.respond_all(session, training_id + 1, taps)] == [
            RsvpResult.UNKNOWN
        ] * 3
        store.cancel_training(session, training_id, by=1, now=T0)
    with database.session() as session:
        outcomes = store.respond_all(session, training_id, [*taps, RsvpTap(STRANGER, True, T0)])
        assert [o.result for o in outcomes] == [RsvpResult.CALLED_OFF] * 3 + [
            RsvpResult.NOT_ELIGIBLE
        ]
        assert store.seats(session, training_id) == store.Seats()
