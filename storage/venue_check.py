"""The optional location check at check-in (issue 13): a training's venue may have
coordinates (the coordinator shares them from /absensi); a cadre who checked in by link may
then share where they are, and the attendance records how far from the venue that was.

Only the distance is kept, never the cadre's coordinates. Telegram does not vouch for a
shared location (it can be picked on a map), so the distance is a hint for the coordinator
("far" over `FAR_METRES`), not a rule that refuses anyone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlmodel import Session, col, select

from storage.attendance import checkin_code, checkin_window
from storage.models import Attendance, Training, TrainingCheckin
from storage.training import TrainingInfo

__all__ = [
    "FAR_METRES",
    "LocationOutcome",
    "distance_metres",
    "distances",
    "record_location",
    "set_venue",
    "venue_of",
]

FAR_METRES = 1000
EARTH_RADIUS_M = 6_371_000


def distance_metres(a: tuple[float, float], b: tuple[float, float]) -> int:
    """Great-circle distance between two (latitude, longitude) points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(h)))


def set_venue(session: Session, training_id: int, latitude: float, longitude: float) -> None:
    """The coordinator shared the venue's location (replacing an earlier one)."""
    checkin_code(session, training_id)  # makes the check-in row if it is not there yet
    row = session.get(TrainingCheckin, training_id)
    assert row is not None
    row.venue_lat, row.venue_lon = latitude, longitude
    session.add(row)
    session.commit()


def venue_of(session: Session, training_id: int) -> tuple[float, float] | None:
    row = session.get(TrainingCheckin, training_id)
    if row is None or row.venue_lat is None or row.venue_lon is None:
        return None
    return row.venue_lat, row.venue_lon


@dataclass(frozen=True)
class LocationOutcome:
    training: TrainingInfo
    metres: int

    @property
    def far(self) -> bool:
        return self.metres > FAR_METRES


def record_location(
    session: Session,
    telegram_id: int,
    latitude: float,
    longitude: float,
    now: datetime,
    tz: tzinfo,
) -> LocationOutcome | None:
    """A cadre shared their location: it belongs to their latest check-in by link whose
    training has a venue, is not called off, is still inside its window and has no distance
    yet. None when there is no such check-in (nothing is stored)."""
    rows = session.exec(
        select(Attendance, Training, TrainingCheckin)
        .join(Training, col(Training.id) == col(Attendance.training_id))
        .join(TrainingCheckin, col(TrainingCheckin.training_id) == col(Attendance.training_id))
        .where(
            col(Attendance.telegram_id) == telegram_id,
            col(Attendance.ticked_by).is_(None),
            col(Attendance.distance_m).is_(None),
            col(TrainingCheckin.venue_lat).is_not(None),
            col(TrainingCheckin.venue_lon).is_not(None),
            col(Training.cancelled_at).is_(None),
        )
        .order_by(col(Attendance.checked_in_at).desc(), col(Attendance.id).desc())
    ).all()
    for attendance, training_row, checkin in rows:
        training = TrainingInfo.of(training_row)
        opens, closes = checkin_window(training, tz)
        if not opens <= now < closes:
            continue
        assert checkin.venue_lat is not None and checkin.venue_lon is not None
        metres = distance_metres((latitude, longitude), (checkin.venue_lat, checkin.venue_lon))
        attendance.distance_m = metres
        session.add(attendance)
        session.commit()
        return LocationOutcome(training, metres)
    return None


def distances(session: Session, training_id: int) -> dict[int, int]:
    """Cadre → metres from the venue, for those of the training who shared a location."""
    rows = session.exec(
        select(Attendance.telegram_id, Attendance.distance_m).where(
            Attendance.training_id == training_id, col(Attendance.distance_m).is_not(None)
        )
    ).all()
    return {telegram_id: metres for telegram_id, metres in rows if metres is not None}
