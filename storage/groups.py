"""Linked Telegram groups: which group serves which area, the bot's join-request link, and who
the bot let in. Knows SQL and region codes, nothing of Telegram (`bot.groups` does the rest).

An area has at most one group; a cadre's group is the most specific linked group above their
kelurahan/desa (the kelurahan's, else the kecamatan's, else the kota's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, delete, func, not_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.audit import audit
from storage.models import Cadre, GroupMember, LinkedGroup, utcnow
from storage.regions import in_scope, parent_code, scope_filter

__all__ = [
    "PENDING_TTL",
    "GroupFigure",
    "GroupInfo",
    "LinkResult",
    "add_member",
    "forget_chat",
    "forget_member",
    "get_group",
    "group_by_id",
    "group_figures",
    "group_for_village",
    "groups_covering",
    "groups_within",
    "is_member",
    "is_served",
    "link_group",
    "memberships",
    "migrate_chat",
    "note_added",
    "remove_member",
    "set_invite_link",
    "unlink_group",
]

#: How long the bot waits in a group a coordinator added it to for `/hubungkan_grup`.
PENDING_TTL = timedelta(days=1)


class LinkResult(StrEnum):
    OK = "ok"
    AREA_TAKEN = "area_taken"  # another group serves that area already
    ALREADY = "already"  # this group is linked (to some area) already


@dataclass(frozen=True)
class GroupInfo:
    id: int
    chat_id: int
    area_code: str | None
    title: str
    invite_link: str | None

    @classmethod
    def of(cls, row: LinkedGroup) -> GroupInfo:
        return cls(row.id or 0, row.chat_id, row.area_code, row.title, row.invite_link)


@dataclass(frozen=True)
class GroupFigure:
    """One linked group in `/statistik`: its area, cadres in it, cadres it still lacks."""

    group: GroupInfo
    cadre_members: int
    cadres_missing: int


def _row(session: Session, chat_id: int) -> LinkedGroup | None:
    return session.exec(select(LinkedGroup).where(col(LinkedGroup.chat_id) == chat_id)).first()


def get_group(session: Session, chat_id: int) -> GroupInfo | None:
    row = _row(session, chat_id)
    return GroupInfo.of(row) if row else None


def group_by_id(session: Session, group_id: int) -> GroupInfo | None:
    row = session.get(LinkedGroup, group_id)
    return GroupInfo.of(row) if row else None


def note_added(
    session: Session, chat_id: int, title: str, added_by: int, now: datetime | None = None
) -> GroupInfo:
    """A coordinator or official added the bot: it waits there (`PENDING_TTL`) to be linked."""
    now = now or utcnow()
    row = _row(session, chat_id)
    if row is None:
        row = LinkedGroup(chat_id=chat_id, title=title[:128], added_by=added_by, added_at=now)
    elif row.area_code is None:
        row.added_by, row.added_at, row.title = added_by, now, title[:128]
    session.add(row)
    session.flush()
    return GroupInfo.of(row)


def is_served(session: Session, chat_id: int, now: datetime | None = None) -> bool:
    """Whether the bot stays in this group: linked, or added lately by someone who may link it."""
    row = _row(session, chat_id)
    if row is None:
        return False
    return row.area_code is not None or row.added_at > (now or utcnow()) - PENDING_TTL


def link_group(
    session: Session, chat_id: int, area_code: str, title: str, linked_by: int
) -> LinkResult:
    """Link the group to `area_code`; the unique area makes two simultaneous links of one area
    end with one winner."""
    row = _row(session, chat_id)
    if row is not None and row.area_code is not None:
        return LinkResult.ALREADY
    taken = session.exec(
        select(LinkedGroup.id).where(col(LinkedGroup.area_code) == area_code)
    ).first()
    if taken is not None:
        return LinkResult.AREA_TAKEN
    now = utcnow()
    if row is None:
        row = LinkedGroup(chat_id=chat_id, title=title[:128], added_by=linked_by, added_at=now)
    row.area_code, row.linked_at, row.title, row.invite_link = area_code, now, title[:128], None
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return LinkResult.AREA_TAKEN
    audit(session, linked_by, "group.link", area_code, chat_id=chat_id)
    return LinkResult.OK


def migrate_chat(session: Session, old_id: int, new_id: int) -> bool:
    """The group became a supergroup (a new chat id): it stays linked, members and all."""
    row = _row(session, old_id)
    if row is None or _row(session, new_id) is not None:
        return False
    members = session.exec(select(GroupMember).where(col(GroupMember.chat_id) == old_id)).all()
    kept = [(m.telegram_id, m.joined_at) for m in members]
    session.exec(delete(GroupMember).where(col(GroupMember.chat_id) == old_id))
    session.flush()
    row.chat_id = new_id
    session.add(row)
    session.flush()
    for telegram_id, joined_at in kept:
        session.add(GroupMember(chat_id=new_id, telegram_id=telegram_id, joined_at=joined_at))
    return True


def set_invite_link(session: Session, chat_id: int, link: str) -> None:
    row = _row(session, chat_id)
    if row is not None:
        row.invite_link = link
        session.add(row)


def unlink_group(session: Session, chat_id: int, by: int) -> GroupInfo | None:
    """Unlink (the row and its member list go); None if it was not linked."""
    row = _row(session, chat_id)
    if row is None or row.area_code is None:
        return None
    info = GroupInfo.of(row)
    session.exec(delete(GroupMember).where(col(GroupMember.chat_id) == chat_id))
    session.delete(row)
    audit(session, by, "group.unlink", info.area_code, chat_id=chat_id)
    return info


def forget_chat(session: Session, chat_id: int) -> GroupInfo | None:
    """The bot is out of the group (removed, or the group is gone): nothing serves it."""
    row = _row(session, chat_id)
    if row is None:
        return None
    info = GroupInfo.of(row)
    session.exec(delete(GroupMember).where(col(GroupMember.chat_id) == chat_id))
    session.delete(row)
    return info


def groups_within(session: Session, area: str) -> list[GroupInfo]:
    """Linked groups of `area` and of the areas inside it, by area code."""
    rows = session.exec(
        select(LinkedGroup)
        .where(scope_filter(LinkedGroup.area_code, area))
        .order_by(col(LinkedGroup.area_code))
    ).all()
    return [GroupInfo.of(r) for r in rows]


def _ancestry(code: str) -> list[str]:
    """`code` and the areas above it, most specific first, without the province."""
    codes: list[str] = []
    current: str | None = code
    while current and "." in current:
        codes.append(current)
        current = parent_code(current)
    return codes


def groups_covering(session: Session, code: str) -> list[GroupInfo]:
    """Linked groups whose area contains `code` (its kelurahan's, kecamatan's, kota's)."""
    codes = _ancestry(code)
    rows = session.exec(select(LinkedGroup).where(col(LinkedGroup.area_code).in_(codes))).all()
    order = {c: i for i, c in enumerate(codes)}
    return sorted((GroupInfo.of(r) for r in rows), key=lambda g: order[g.area_code or ""])


def group_for_village(session: Session, village: str) -> GroupInfo | None:
    """The cadre's group: the kelurahan's if linked, else the kecamatan's, else the kota's."""
    covering = groups_covering(session, village)
    return covering[0] if covering else None


def add_member(session: Session, chat_id: int, telegram_id: int) -> None:
    if _row(session, chat_id) is None:
        return
    if session.get(GroupMember, (chat_id, telegram_id)) is None:
        session.add(GroupMember(chat_id=chat_id, telegram_id=telegram_id))
        session.flush()


def remove_member(session: Session, chat_id: int, telegram_id: int) -> None:
    session.exec(
        delete(GroupMember).where(
            col(GroupMember.chat_id) == chat_id, col(GroupMember.telegram_id) == telegram_id
        )
    )


def is_member(session: Session, chat_id: int, telegram_id: int) -> bool:
    return session.get(GroupMember, (chat_id, telegram_id)) is not None


def memberships(session: Session, telegram_id: int) -> list[GroupInfo]:
    """The linked groups the bot knows this person is in."""
    rows = session.exec(
        select(LinkedGroup)
        .join(GroupMember, col(GroupMember.chat_id) == col(LinkedGroup.chat_id))
        .where(col(GroupMember.telegram_id) == telegram_id)
    ).all()
    return [GroupInfo.of(r) for r in rows]


def forget_member(session: Session, telegram_id: int) -> None:
    """Erasure: no membership record names the person any more, nor who added the bot."""
    session.exec(delete(GroupMember).where(col(GroupMember.telegram_id) == telegram_id))
    session.exec(
        update(LinkedGroup).where(col(LinkedGroup.added_by) == telegram_id).values(added_by=0)
    )


def group_figures(session: Session, area: str) -> list[GroupFigure]:
    """Per linked group of `area` (and inside it): members who are registered cadres, and the
    registered cadres whose group it is (no more specific group serves them) not in it yet."""
    linked = groups_within(session, area)
    figures = []
    for group in linked:
        assert group.area_code is not None
        members = select(GroupMember.telegram_id).where(col(GroupMember.chat_id) == group.chat_id)
        in_group = session.exec(
            select(func.count()).select_from(Cadre).where(col(Cadre.telegram_id).in_(members))
        ).one()
        deeper = [
            g.area_code
            for g in linked
            if g.area_code
            and g.area_code != group.area_code
            and in_scope(g.area_code, group.area_code)
        ]
        served_elsewhere = [scope_filter(Cadre.village_code, code) for code in deeper]
        conditions = [
            scope_filter(Cadre.village_code, group.area_code),
            not_(col(Cadre.telegram_id).in_(members)),
        ]
        conditions += [not_(condition) for condition in served_elsewhere]
        missing = session.exec(
            select(func.count()).select_from(Cadre).where(and_(*conditions))
        ).one()
        figures.append(GroupFigure(group, int(in_group), int(missing)))
    return figures
