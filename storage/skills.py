"""Cadres' resources: the skills they have, whether they teach, and whom they allow to call.

Only cadres who both teach and consented to be contacted are ever found by `/cari_kader`, and
only inside the searcher's own areas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from storage.models import Cadre, CadreResource, CadreSkill, utcnow
from storage.needs import OTHER
from storage.regions import scope_filter

__all__ = ["SkillsInfo", "Teacher", "find_teachers", "forget_skills", "get_skills", "save_skills"]


@dataclass(frozen=True)
class SkillsInfo:
    skills: tuple[str, ...]
    other_skill: str | None
    teaches: bool
    contact_ok: bool


@dataclass(frozen=True)
class Teacher:
    """A consenting cadre who teaches the skill searched for."""

    telegram_id: int
    full_name: str
    phone: str
    village_code: str
    institution: str
    institution_other: str | None
    other_skill: str | None


def get_skills(session: Session, telegram_id: int) -> SkillsInfo | None:
    resource = session.get(CadreResource, telegram_id)
    if resource is None:
        return None
    skills = session.exec(
        select(CadreSkill.skill).where(col(CadreSkill.telegram_id) == telegram_id)
    ).all()
    return SkillsInfo(
        tuple(sorted(skills)), resource.other_skill, resource.teaches, resource.contact_ok
    )


def save_skills(
    session: Session,
    telegram_id: int,
    *,
    skills: Sequence[str],
    other_skill: str | None,
    teaches: bool,
    contact_ok: bool,
) -> None:
    """Replace the cadre's skills and offer."""
    session.exec(delete(CadreSkill).where(col(CadreSkill.telegram_id) == telegram_id))
    session.add_all(CadreSkill(telegram_id=telegram_id, skill=skill) for skill in set(skills))
    resource = session.get(CadreResource, telegram_id) or CadreResource(telegram_id=telegram_id)
    resource.other_skill = other_skill if OTHER in skills else None
    resource.teaches, resource.contact_ok = teaches, contact_ok
    resource.updated_at = utcnow()
    session.add(resource)


def forget_skills(session: Session, telegram_id: int) -> None:
    """Erase a cadre's skills and offer (`/hapus_data`)."""
    session.exec(delete(CadreSkill).where(col(CadreSkill.telegram_id) == telegram_id))
    session.exec(delete(CadreResource).where(col(CadreResource.telegram_id) == telegram_id))


def find_teachers(
    session: Session, skill: str, scopes: Sequence[str], limit: int = 30
) -> list[Teacher]:
    """Cadres inside `scopes` who have `skill`, teach it and consented to be contacted."""
    if not scopes:
        return []
    rows = session.execute(
        sa.select(
            *(
                col(column)
                for column in (
                    Cadre.telegram_id,
                    Cadre.full_name,
                    Cadre.phone,
                    Cadre.village_code,
                    Cadre.institution,
                    Cadre.institution_other,
                    CadreResource.other_skill,
                )
            )
        )
        .join(CadreSkill, col(CadreSkill.telegram_id) == Cadre.telegram_id)
        .join(CadreResource, col(CadreResource.telegram_id) == Cadre.telegram_id)
        .where(
            col(CadreSkill.skill) == skill,
            col(CadreResource.teaches).is_(True),
            col(CadreResource.contact_ok).is_(True),
            or_(*(scope_filter(Cadre.village_code, scope) for scope in scopes)),
        )
        .order_by(col(Cadre.village_code), col(Cadre.full_name))
        .limit(limit)
    ).all()
    return [Teacher(*row) for row in rows]
