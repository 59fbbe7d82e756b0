"""Erasure across features (UU PDP): what `/hapus_data` removes, in every feature's tables.

It lives apart from `storage.people` because it reaches into the outbox and trainings, which
themselves depend on people: here nothing depends back.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage import needs, outbox, skills, training
from storage.models import AppUser, Cadre, Draft

__all__ = ["delete_personal_data"]


def delete_personal_data(session: Session, telegram_id: int) -> bool:
    """Erase the cadre's personal data (UU PDP): profile, drafts, preferences.

    Rows of other features that point at the cadre must not block this: they are anonymised
    by their own `ON DELETE SET NULL` foreign keys.
    """
    existed = (
        session.exec(select(Cadre).where(col(Cadre.telegram_id) == telegram_id)).first() is not None
    )
    session.exec(delete(Cadre).where(col(Cadre.telegram_id) == telegram_id))
    session.exec(delete(Draft).where(col(Draft.telegram_id) == telegram_id))
    # Broadcast recipients and training answers keep telegram ids without a foreign key
    # (groups are recipients too): they forget this cadre here.
    outbox.forget_recipient(session, telegram_id)
    training.forget_participant(session, telegram_id)
    # Needs answers and skills hold what the cadre wrote about their village and themselves.
    needs.forget_answers(session, telegram_id)
    skills.forget_skills(session, telegram_id)
    user = session.get(AppUser, telegram_id)
    if user is not None:
        user.language = None
        session.add(user)
    return existed
