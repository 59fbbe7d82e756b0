"""Official regions: loading the shipped Kemendagri data and navigating the hierarchy.

Region codes are dotted (`64.74.03.1003`), so "inside a scope" is a prefix test and every
query for an area is an index range scan on the code.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from storage.coderange import code_within
from storage.models import Region

__all__ = [
    "REGIONS_CSV",
    "RegionInfo",
    "ancestors",
    "children",
    "get_region",
    "in_scope",
    "load_regions",
    "parent_code",
    "region_path_name",
    "scope_filter",
]

REGIONS_CSV = Path(__file__).parent / "data" / "regions.csv"
LEVELS = ("province", "regency", "district", "village")


@dataclass(frozen=True)
class RegionInfo:
    """A region as the bot layer sees it (plain data, no ORM session attached)."""

    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None

    @classmethod
    def of(cls, row: Region) -> RegionInfo:
        return cls(row.code, row.name, row.level, row.kind, row.parent_code)


def parent_code(code: str) -> str | None:
    head, sep, _ = code.rpartition(".")
    return head if sep else None


def in_scope(code: str, scope: str) -> bool:
    """Whether region `code` lies inside (or is) region `scope`."""
    return code == scope or code.startswith(scope + ".")


def scope_filter(column: Any, scope: str) -> ColumnElement[bool]:
    """SQL condition: `column` is `scope` or lies below it.

    A byte range (`storage.coderange`), not `LIKE 'scope.%'`: SQLite's LIKE is
    case-insensitive and PostgreSQL's follows the collation, so neither could use the code
    index, and a province-wide review queue counted 30,000 reports row by row (~115 ms)."""
    return code_within(column, scope)


def read_csv(path: Path = REGIONS_CSV, area: str | None = None) -> list[Region]:
    """Rows of the data file; with `area`, only that area, its ancestors and its descendants."""
    rows: list[Region] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            code = record["code"].strip()
            if area and not (in_scope(code, area) or in_scope(area, code)):
                continue
            rows.append(
                Region(
                    code=code,
                    name=record["name"].strip(),
                    level=record["level"].strip(),
                    kind=record["kind"].strip(),
                    parent_code=parent_code(code),
                )
            )
    return rows


def load_regions(session: Session, path: Path = REGIONS_CSV) -> int:
    """Make the region table equal to the data file; idempotent, safe to run at every start.

    Unchanged data is detected by count and a cheap checksum so a normal start does no writes.
    """
    rows = read_csv(path)
    existing = session.exec(select(func.count()).select_from(Region)).one()
    if existing == len(rows):
        names = dict(session.exec(select(Region.code, Region.name)).all())
        if all(names.get(r.code) == r.name for r in rows):
            return 0
    wanted = {r.code: r for r in rows}
    current = {r.code: r for r in session.exec(select(Region)).all()}
    for code, row in wanted.items():
        have = current.get(code)
        if have is None:
            session.add(row)
        elif (have.name, have.level, have.kind) != (row.name, row.level, row.kind):
            have.name, have.level, have.kind = row.name, row.level, row.kind
            session.add(have)
    session.flush()
    stale = [code for code in current if code not in wanted]
    if stale:
        # Regions still referenced by cadres stay (a decree may rename, never silently orphan).
        for chunk in _chunks(stale, 500):
            try:
                with session.begin_nested():
                    session.exec(delete(Region).where(col(Region.code).in_(chunk)))
            except Exception:
                pass
    return len(wanted)


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def get_region(session: Session, code: str) -> RegionInfo | None:
    row = session.get(Region, code)
    return RegionInfo.of(row) if row else None


def children(session: Session, code: str, name_filter: str | None = None) -> list[RegionInfo]:
    """Direct sub-regions, sorted by name; `name_filter` keeps those whose name contains it."""
    query = select(Region).where(col(Region.parent_code) == code)
    if name_filter:
        query = query.where(func.lower(Region.name).contains(name_filter.strip().lower()))
    rows = session.exec(query.order_by(col(Region.name))).all()
    return [RegionInfo.of(r) for r in rows]


def ancestors(session: Session, code: str) -> list[RegionInfo]:
    """The region and its ancestors, from the province down."""
    codes = []
    current: str | None = code
    while current:
        codes.append(current)
        current = parent_code(current)
    rows = session.exec(select(Region).where(col(Region.code).in_(codes))).all()
    by_code = {r.code: RegionInfo.of(r) for r in rows}
    return [by_code[c] for c in reversed(codes) if c in by_code]


def region_path_name(session: Session, code: str, below: str | None = None) -> str:
    """ "Kel. Api-Api, Kec. Bontang Utara, Kota Bontang" — the path shown to users.

    Levels at or above `below` (e.g. the forum area) are left out to keep it short.
    """
    parts = []
    for region in reversed(ancestors(session, code)):
        if region.level == "province":
            continue
        if below and in_scope(below, region.code) and region.code != code:
            continue
        parts.append(display_name(region))
    return ", ".join(parts)


def display_name(region: RegionInfo) -> str:
    """Name with the customary prefix: "Kec. Bontang Barat", "Kel. Api-Api", "Desa Sepaso"."""
    if region.level == "district":
        return f"Kec. {region.name}"
    if region.level == "village":
        return f"{'Kel.' if region.kind == 'kelurahan' else 'Desa'} {region.name}"
    return region.name
