"""Erasure across features (UU PDP Pasal 43–44): what `/hapus_data` removes, in every table.

It lives apart from `storage.people` because it reaches into the outbox, trainings and
reports, which themselves depend on people: here nothing depends back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, SQLModel, col, select

from storage import attendance, groups, needs, outbox, skills, training
from storage.models import (
    AppUser,
    AuditLog,
    BotStateRow,
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    Cadre,
    ConversationRow,
    Coordinator,
    CoordinatorInvite,
    Draft,
    GroupMember,
    Report,
    ReportEvent,
    ReportMedia,
    SummarisedBroadcast,
    Training,
    TrainingRsvp,
)

__all__ = [
    "Erasure",
    "Purged",
    "delete_personal_data",
    "personal_data",
    "personal_data_json",
    "purge_expired",
    "remove_media_files",
]

#: `audit_log.actor_id` of actions by people who asked to be forgotten (the column is required).
ANONYMOUS_ACTOR = 0


@dataclass(frozen=True)
class Erasure:
    """What `/hapus_data` did: whether the person was a cadre, and which media files to remove."""

    existed: bool
    media_paths: tuple[str, ...] = ()


def delete_personal_data(session: Session, telegram_id: int) -> Erasure:
    """Erase everything that names, locates or identifies the person.

    Their reports stay as anonymous records (area, category, status, dates) for the forum's
    figures, without text, location, media or comments; the media files are returned for the
    caller to remove once this commits.
    """
    existed = (
        session.exec(select(Cadre).where(col(Cadre.telegram_id) == telegram_id)).first() is not None
    )
    media_paths = _anonymise_reports(session, telegram_id)
    session.exec(delete(Cadre).where(col(Cadre.telegram_id) == telegram_id))
    session.exec(delete(Draft).where(col(Draft.telegram_id) == telegram_id))
    # Broadcast recipients and training answers keep telegram ids without a foreign key
    # (groups are recipients too): they forget this cadre here.
    outbox.forget_recipient(session, telegram_id)
    training.forget_participant(session, telegram_id)
    attendance.forget_attendee(session, telegram_id)
    # Needs answers and skills hold what the cadre wrote about their village and themselves.
    needs.forget_answers(session, telegram_id)
    skills.forget_skills(session, telegram_id)
    # Linked groups: the record that they were let in (the bot removes them from the groups).
    groups.forget_member(session, telegram_id)
    # Notices addressed to this one person carry their id in the reference ("…:<id>:…").
    session.exec(
        update(Broadcast).where(col(Broadcast.ref).like(f"%:{telegram_id}:%")).values(ref=None)
    )
    session.exec(
        update(AuditLog)
        .where(col(AuditLog.actor_id) == telegram_id)
        .values(actor_id=ANONYMOUS_ACTOR, details={})
    )
    session.exec(delete(AppUser).where(col(AppUser.telegram_id) == telegram_id))
    return Erasure(existed, media_paths)


def _anonymise_reports(session: Session, telegram_id: int) -> tuple[str, ...]:
    report_ids = list(
        session.exec(select(Report.id).where(col(Report.reporter_id) == telegram_id)).all()
    )
    if not report_ids:
        return ()
    paths = session.exec(
        select(ReportMedia.local_path).where(
            col(ReportMedia.report_id).in_(report_ids), col(ReportMedia.local_path).is_not(None)
        )
    ).all()
    session.exec(delete(ReportMedia).where(col(ReportMedia.report_id).in_(report_ids)))
    # Reviewers' comments may quote or name the person; the reviewers' own ids stay (accountability).
    events = col(ReportEvent.report_id).in_(report_ids)
    session.exec(update(ReportEvent).where(events).values(comment=None))
    session.exec(
        update(ReportEvent)
        .where(events, col(ReportEvent.actor_id) == telegram_id)
        .values(actor_id=None)
    )
    decisions = session.exec(
        select(AuditLog).where(col(AuditLog.target).in_([f"report:{i}" for i in report_ids]))
    ).all()
    for entry in decisions:
        if "comment" in entry.details:
            entry.details = {k: v for k, v in entry.details.items() if k != "comment"}
            session.add(entry)
    session.exec(
        update(Report)
        .where(col(Report.id).in_(report_ids))
        .values(
            reporter_id=None,
            title="",
            description="",
            latitude=None,
            longitude=None,
            last_comment=None,
        )
    )
    return tuple(path for path in paths if path)


def remove_media_files(media_dir: Path, paths: tuple[str, ...]) -> None:
    """Delete the erased reports' files (never outside `media_dir`), then their empty folders."""
    root = media_dir.resolve()
    for relative in paths:
        path = (media_dir / relative).resolve()
        if not path.is_relative_to(root):
            continue
        path.unlink(missing_ok=True)
        folder = path.parent
        if folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def personal_data(session: Session, telegram_id: int) -> dict[str, Any]:
    """Every row the bot holds about the person (right of access, UU PDP Pasal 7), by table.

    What other people wrote about them stays out only where it is not theirs: reviewers'
    comments on their reports are included, since the reports are.
    """
    reports = session.exec(select(Report).where(col(Report.reporter_id) == telegram_id)).all()
    report_ids = [report.id for report in reports]
    rsvps = session.exec(
        select(TrainingRsvp, Training.title)
        .join(Training, col(Training.id) == col(TrainingRsvp.training_id))
        .where(col(TrainingRsvp.telegram_id) == telegram_id)
    ).all()
    deliveries = session.exec(
        select(func.count()).where(col(BroadcastRecipient.chat_id) == telegram_id)
    ).one()
    return {
        "user": _rows([session.get(AppUser, telegram_id)]),
        "cadre": _rows(session.exec(select(Cadre).where(col(Cadre.telegram_id) == telegram_id))),
        "coordinator": _rows(
            session.exec(select(Coordinator).where(col(Coordinator.telegram_id) == telegram_id))
        ),
        "drafts": _rows(session.exec(select(Draft).where(col(Draft.telegram_id) == telegram_id))),
        "reports": _rows(reports),
        "report_media": _rows(
            session.exec(select(ReportMedia).where(col(ReportMedia.report_id).in_(report_ids)))
        ),
        "report_events": _rows(
            session.exec(select(ReportEvent).where(col(ReportEvent.report_id).in_(report_ids)))
        ),
        "training_answers": [{**_row(rsvp), "training_title": title} for rsvp, title in rsvps],
        "messages_received": deliveries,
        "group_memberships": _rows(
            session.exec(select(GroupMember).where(col(GroupMember.telegram_id) == telegram_id))
        ),
        "audit_log": _rows(
            session.exec(select(AuditLog).where(col(AuditLog.actor_id) == telegram_id))
        ),
    }


def personal_data_json(data: dict[str, Any]) -> bytes:
    """`personal_data` as an indented UTF-8 JSON file a person can open and read."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain).encode()


def _rows(rows: Any) -> list[dict[str, Any]]:
    return [_row(row) for row in rows if row is not None]


def _row(row: SQLModel) -> dict[str, Any]:
    return row.model_dump()


def _plain(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


@dataclass(frozen=True)
class Purged:
    """What the daily retention run removed; `stale_users` also leave the bot's memory."""

    deliveries: int
    drafts: int
    invites: int
    guests: int
    stale_users: tuple[int, ...]


def purge_expired(session: Session, cutoff: datetime) -> Purged:
    """Delete what is older than `cutoff` (UU PDP Pasal 43: data goes once its purpose ends).

    - per-recipient delivery rows of broadcasts that finished before, once folded into the
      statistics (`stats_delivery`); the broadcast itself and its totals stay;
    - unfinished forms (drafts) not touched since;
    - invites that expired before;
    - users not seen since: their conversation state and preferences, and the user row
      itself when they never registered nor coordinate.
    """
    finished = select(Broadcast.id).where(
        col(Broadcast.status).in_((BroadcastStatus.DONE, BroadcastStatus.CANCELLED)),
        col(Broadcast.finished_at) < cutoff,
        col(Broadcast.id).in_(select(SummarisedBroadcast.broadcast_id)),
    )
    deliveries = session.exec(
        delete(BroadcastRecipient).where(col(BroadcastRecipient.broadcast_id).in_(finished))
    ).rowcount
    drafts = session.exec(delete(Draft).where(col(Draft.updated_at) < cutoff)).rowcount
    invites = session.exec(
        delete(CoordinatorInvite).where(col(CoordinatorInvite.expires_at) < cutoff)
    ).rowcount
    stale = set(
        session.exec(select(AppUser.telegram_id).where(col(AppUser.last_seen_at) < cutoff)).all()
    )
    if stale:
        _forget_state_of(session, stale)
    guests = session.exec(
        delete(AppUser).where(
            col(AppUser.last_seen_at) < cutoff,
            col(AppUser.telegram_id).not_in(select(Cadre.telegram_id)),
            col(AppUser.telegram_id).not_in(
                select(Coordinator.telegram_id).where(col(Coordinator.revoked_at).is_(None))
            ),
        )
    ).rowcount
    return Purged(deliveries, drafts, invites, guests, tuple(sorted(stale)))


def _forget_state_of(session: Session, user_ids: set[int]) -> None:
    """Persisted conversation steps and per-user data of these users (one pass over each)."""
    for row in session.exec(select(ConversationRow)).all():
        if user_ids.intersection(json.loads(row.key)):
            session.delete(row)
    keys = {str(user_id) for user_id in user_ids}
    # A private chat's id is its user's id: its chat data goes too.
    states = select(BotStateRow).where(col(BotStateRow.kind).in_(("user", "chat")))
    for state in session.exec(states).all():
        if state.key in keys:
            session.delete(state)
