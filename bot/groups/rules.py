"""Who belongs in a linked group: the rule every approval, decline and removal asks."""

from __future__ import annotations

from enum import StrEnum

from bot.auth import Identity
from storage.regions import in_scope

__all__ = ["Verdict", "belongs", "verdict"]


class Verdict(StrEnum):
    OK = "ok"
    NOT_REGISTERED = "not_registered"  # neither a cadre nor a coordinator or official
    OTHER_AREA = "other_area"  # registered, but for an area the group does not serve


def verdict(identity: Identity, area: str) -> Verdict:
    """A cadre of `area` (their kelurahan/desa lies in it), or a coordinator or official whose
    scope covers it or lies inside it (a kelurahan coordinator is at home in the kecamatan's
    group), belongs; everyone else is turned away, saying why."""
    cadre = identity.cadre
    if cadre is not None and in_scope(cadre.village_code, area):
        return Verdict.OK
    if identity.may_act_on(area) or any(in_scope(scope, area) for scope in identity.scopes):
        return Verdict.OK
    if cadre is None and not identity.is_privileged:
        return Verdict.NOT_REGISTERED
    return Verdict.OTHER_AREA


def belongs(identity: Identity, area: str) -> bool:
    return verdict(identity, area) is Verdict.OK
