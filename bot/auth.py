"""Who is asking: official, coordinator (with scopes) or cadre — checked on the server, always.

Callback data and command arguments are never trusted: every privileged handler asks
`identify()` and checks the target region against the caller's scopes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.config import Settings
from storage import admins, people, roles
from storage.db import Database
from storage.people import CadreInfo
from storage.regions import in_scope

__all__ = ["Identity", "Role", "identify", "may_override", "may_read_area", "official_ids"]


class Role(StrEnum):
    GUEST = "guest"
    CADRE = "cadre"
    COORDINATOR = "coordinator"
    OFFICIAL = "official"


@dataclass(frozen=True)
class Identity:
    """A user's roles and the region scopes they may act on."""

    user_id: int
    is_official: bool
    forum_area: str  # `Settings.forum_area`: what "the whole forum" means for officials
    coordinator_scopes: tuple[str, ...] = ()
    cadre: CadreInfo | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)

    @property
    def is_coordinator(self) -> bool:
        return bool(self.coordinator_scopes)

    @property
    def is_privileged(self) -> bool:
        return self.is_official or self.is_coordinator

    @property
    def scopes(self) -> tuple[str, ...]:
        """Regions this user may address or read (officials: the whole forum area)."""
        if self.is_official:
            return (self.forum_area,)
        return self.coordinator_scopes

    def may_act_on(self, code: str) -> bool:
        return any(in_scope(code, scope) for scope in self.scopes)


def may_read_area(identity: Identity, code: str) -> bool:
    """Figures and exports of `code`: officials read the whole forum area, coordinators their
    scopes; nobody reads beyond the forum's area."""
    return (
        identity.is_privileged and identity.may_act_on(code) and in_scope(code, identity.forum_area)
    )


def may_override(identity: Identity, author: Identity) -> bool:
    """Whether `identity` may call off, move, pause or delete what `author` created.

    The target area being in scope is not enough: a kelurahan coordinator must not undo an
    official's training or a kota coordinator's reminder. Officials may; everyone may undo
    their own; a coordinator another coordinator's work only when each of the author's scopes
    lies inside their own. Work of someone who holds no role any more is judged by area alone.
    """
    if identity.is_official or identity.user_id == author.user_id:
        return True
    if author.is_official:
        return False
    return all(identity.may_act_on(scope) for scope in author.coordinator_scopes)


def identify(database: Database, settings: Settings, user_id: int) -> Identity:
    """Officials are those in `ADMIN_IDS` and those an operator added (`forkom-bot admin`)."""
    with database.session() as session:
        scopes = tuple(roles.coordinator_scopes(session, user_id))
        cadre = people.get_cadre(session, user_id)
        is_official = settings.is_admin(user_id) or admins.is_official(session, user_id)
    role_set = {Role.GUEST}
    if cadre:
        role_set.add(Role.CADRE)
    if scopes:
        role_set.add(Role.COORDINATOR)
    if is_official:
        role_set.add(Role.OFFICIAL)
    return Identity(
        user_id=user_id,
        is_official=is_official,
        coordinator_scopes=scopes,
        cadre=cadre,
        forum_area=settings.forum_area,
        roles=frozenset(role_set),
    )


def official_ids(database: Database, settings: Settings) -> frozenset[int]:
    """Every official: `ADMIN_IDS` and those added with `forkom-bot admin add`."""
    with database.session() as session:
        return settings.admin_ids | admins.official_ids(session)
