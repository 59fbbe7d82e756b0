"""People: users who talk to the bot, registered cadres, and their registration drafts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from storage.models import AppUser, Cadre, Draft, utcnow

__all__ = [
    "CadreInfo",
    "Presence",
    "delete_draft",
    "expired_drafts",
    "get_cadre",
    "get_draft",
    "mark_reachable",
    "mark_unreachable",
    "presence",
    "record_seen",
    "save_cadre",
    "save_draft",
    "set_language",
    "set_receive_broadcasts",
    "touch_user",
    "user_language",
]

_SEEN_RESOLUTION = timedelta(minutes=1)
_USERS = AppUser.__table__  # type: ignore[attr-defined]
# Built once: read before every update, so its compiled form is reused (`presence`).
_PRESENCE = core_select(
    _USERS.c.language,
    _USERS.c.telegram_language,
    _USERS.c.last_seen_at,
    _USERS.c.unreachable_since,
).where(_USERS.c.telegram_id == bindparam("telegram_id"))
_SEEN = (
    update(_USERS)
    .where(
        _USERS.c.telegram_id == bindparam("user_id"),
        _USERS.c.last_seen_at < bindparam("seen"),
    )
    .values(last_seen_at=bindparam("seen"))
)


@dataclass(frozen=True)
class Presence:
    """What the bot knows of a user before each of their updates (see `bot.activity`)."""

    language: str | None
    telegram_language: str | None
    last_seen_at: datetime
    unreachable_since: datetime | None

    def only_seen_again(self, telegram_language: str | None, now: datetime) -> bool:
        """Whether `touch_user` would change nothing but an old `last_seen_at`."""
        return (
            self.unreachable_since is None
            and not (telegram_language and self.telegram_language != telegram_language)
            and now - self.last_seen_at >= _SEEN_RESOLUTION
        )

    def unchanged(self, telegram_language: str | None, now: datetime) -> bool:
        """Whether `touch_user` would write nothing at all."""
        return (
            self.unreachable_since is None
            and not (telegram_language and self.telegram_language != telegram_language)
            and now - self.last_seen_at < _SEEN_RESOLUTION
        )


@dataclass(frozen=True)
class CadreInfo:
    telegram_id: int
    full_name: str
    phone: str
    village_code: str
    institution: str
    institution_other: str | None
    receive_broadcasts: bool
    registered_at: datetime

    @classmethod
    def of(cls, row: Cadre) -> CadreInfo:
        return cls(
            row.telegram_id,
            row.full_name,
            row.phone,
            row.village_code,
            row.institution,
            row.institution_other,
            row.receive_broadcasts,
            row.registered_at,
        )


def touch_user(
    session: Session, telegram_id: int, telegram_language: str | None, now: datetime | None = None
) -> tuple[str | None, str | None]:
    """Record that the user is here (activity, reachability); returns (chosen, telegram) language.

    Writing is skipped when nothing changed within a minute, so every update costs one read.
    """
    now = now or utcnow()
    user = session.get(AppUser, telegram_id)
    if user is None:
        user = AppUser(
            telegram_id=telegram_id, telegram_language=telegram_language, last_seen_at=now
        )
        session.add(user)
        return None, telegram_language
    stale = now - user.last_seen_at >= _SEEN_RESOLUTION
    if (
        stale
        or user.unreachable_since is not None
        or (telegram_language and user.telegram_language != telegram_language)
    ):
        user.last_seen_at = now
        user.unreachable_since = None
        if telegram_language:
            user.telegram_language = telegram_language
        session.add(user)
    return user.language, user.telegram_language


def presence(connection: Connection, telegram_id: int) -> Presence | None:
    """The user's languages, activity and reachability in one read by primary key, without
    an ORM session: it runs before every update, on the event loop."""
    row = connection.execute(_PRESENCE, {"telegram_id": telegram_id}).first()
    return Presence(*row) if row is not None else None


def record_seen(session: Session, seen: Mapping[int, datetime]) -> None:
    """Activity noted earlier (`bot.activity`), written in one go; never moves a time back,
    never touches a user erased meanwhile (no row: nothing to update)."""
    if seen:
        session.connection().execute(
            _SEEN, [{"user_id": k, "seen": when} for k, when in seen.items()]
        )


def user_language(session: Session, telegram_id: int) -> tuple[str | None, str | None]:
    user = session.get(AppUser, telegram_id)
    return (user.language, user.telegram_language) if user else (None, None)


def set_language(session: Session, telegram_id: int, language: str) -> None:
    user = session.get(AppUser, telegram_id) or AppUser(telegram_id=telegram_id)
    user.language = language
    session.add(user)


def mark_unreachable(session: Session, telegram_id: int, when: datetime | None = None) -> None:
    """The user blocked the bot (403): later audiences skip them until they write again."""
    session.exec(
        update(AppUser)
        .where(col(AppUser.telegram_id) == telegram_id)
        .values(unreachable_since=when or utcnow())
    )


def mark_reachable(session: Session, telegram_id: int) -> None:
    """The user unblocked the bot: audiences count them again (not activity: they wrote nothing)."""
    session.exec(
        update(AppUser)
        .where(col(AppUser.telegram_id) == telegram_id, col(AppUser.unreachable_since).is_not(None))
        .values(unreachable_since=None)
    )


def get_cadre(session: Session, telegram_id: int) -> CadreInfo | None:
    row = session.exec(select(Cadre).where(col(Cadre.telegram_id) == telegram_id)).first()
    return CadreInfo.of(row) if row else None


def save_cadre(
    session: Session,
    telegram_id: int,
    *,
    full_name: str,
    phone: str,
    village_code: str,
    institution: str,
    institution_other: str | None,
) -> tuple[CadreInfo, bool]:
    """Create or update the cadre; returns (cadre, created)."""
    now = utcnow()
    row = session.exec(select(Cadre).where(col(Cadre.telegram_id) == telegram_id)).first()
    created = row is None
    if row is None:
        row = Cadre(
            telegram_id=telegram_id,
            full_name=full_name,
            phone=phone,
            village_code=village_code,
            institution=institution,
            institution_other=institution_other,
            consent_at=now,
            registered_at=now,
            updated_at=now,
        )
    else:
        row.full_name = full_name
        row.phone = phone
        row.village_code = village_code
        row.institution = institution
        row.institution_other = institution_other
        row.updated_at = now
    session.add(row)
    session.flush()
    return CadreInfo.of(row), created


def set_receive_broadcasts(session: Session, telegram_id: int, receive: bool) -> bool:
    """Opt the cadre in or out of broadcasts; False if they are not registered."""
    row = session.exec(select(Cadre).where(col(Cadre.telegram_id) == telegram_id)).first()
    if row is None:
        return False
    row.receive_broadcasts = receive
    row.updated_at = utcnow()
    session.add(row)
    return True


def get_draft(
    session: Session, telegram_id: int, kind: str
) -> tuple[dict[str, Any], datetime] | None:
    row = session.get(Draft, (telegram_id, kind))
    return (dict(row.data), row.updated_at) if row else None


def save_draft(session: Session, telegram_id: int, kind: str, data: dict[str, Any]) -> None:
    row = session.get(Draft, (telegram_id, kind))
    if row is None:
        row = Draft(telegram_id=telegram_id, kind=kind, data=data, updated_at=utcnow())
    else:
        row.data = dict(data)
        row.updated_at = utcnow()
    session.add(row)


def delete_draft(session: Session, telegram_id: int, kind: str) -> bool:
    row = session.get(Draft, (telegram_id, kind))
    if row is None:
        return False
    session.delete(row)
    return True


def expired_drafts(session: Session, kind: str, older_than: datetime) -> list[int]:
    rows = session.exec(
        select(Draft.telegram_id).where(col(Draft.kind) == kind, col(Draft.updated_at) < older_than)
    ).all()
    return list(rows)
