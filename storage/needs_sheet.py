"""The needs sheet of a workbook: "usulan pelatihan", what a BLK can take as a proposal.

One row per sub-area and training: area, training, demand score (3-2-1), kelurahan/desa and
cadres asking, the area's coordinators (their phone numbers only when `include_phones`).
Written with the statistics feature's fast sheets (`storage.xlsx`); texts come from the caller.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from storage.db import Database
from storage.models import Cadre, Coordinator
from storage.needs import OTHER, child_tables
from storage.regions import children, region_path_name
from storage.xlsx import StreamingSheet, StreamingWorkbook, Styles

__all__ = ["NeedsSheetLabels", "build_proposal", "proposal_rows", "write_needs_sheet"]

WIDTHS = (34, 16, 30, 14, 18, 16, 30, 18)
PHONE_COLUMN = 7


@dataclass(frozen=True)
class NeedsSheetLabels:
    """The sheet's title and headers (the last is the phone column), the needs' names, and
    the pattern of a "Lainnya" need with its typed name ("Lainnya: {name}")."""

    title: str
    headers: tuple[str, ...]
    needs: Mapping[str, str]
    other_named: str


def _coordinators(session: Session, codes: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The active coordinators of exactly these areas: (name, phone or "") by area."""
    rows = session.exec(
        select(Coordinator.scope_code, Coordinator.display_name, Cadre.phone)
        .outerjoin(Cadre, col(Cadre.telegram_id) == Coordinator.telegram_id)
        .where(col(Coordinator.scope_code).in_(codes), col(Coordinator.revoked_at).is_(None))
        .order_by(col(Coordinator.id))
    ).all()
    found: dict[str, list[tuple[str, str]]] = {}
    for code, name, phone in rows:
        found.setdefault(code, []).append((name, phone or ""))
    return found


def proposal_rows(
    session: Session, area: str, labels: NeedsSheetLabels, include_phones: bool
) -> Iterator[list[Any]]:
    """The rows of `area`: per sub-area (the area itself for a kelurahan/desa), most asked
    training first."""
    subareas = children(session, area)
    width = len(subareas[0].code) if subareas else len(area)
    tables = child_tables(session, area, width)
    codes = sorted(tables)
    coordinators = _coordinators(session, codes)
    for code in codes:
        name = region_path_name(session, code)
        people = coordinators.get(code, [])
        for figure in tables[code]:
            training = labels.needs.get(figure.need, figure.need)
            if figure.need == OTHER and figure.other_name:
                training = labels.other_named.format(name=figure.other_name)
            row: list[Any] = [
                name,
                code,
                training,
                figure.score,
                figure.villages,
                figure.cadres,
                ", ".join(person for person, _ in people),
            ]
            if include_phones:
                row.append(", ".join(phone for _, phone in people if phone))
            yield row


def write_needs_sheet(
    workbook: StreamingWorkbook,
    styles: Styles,
    session: Session,
    scopes: list[str],
    labels: NeedsSheetLabels,
    include_phones: bool,
) -> int:
    """Add the sheet for `scopes` to a write-only workbook (as `/ekspor` builds one); returns
    the number of rows written."""
    headers, widths = list(labels.headers), list(WIDTHS)
    if not include_phones:
        del headers[PHONE_COLUMN], widths[PHONE_COLUMN]
    sheet = StreamingSheet(workbook, labels.title, headers, widths, styles)
    for scope in scopes:
        sheet.write_rows(proposal_rows(session, scope, labels, include_phones), None)
    sheet.finish()
    return sheet.rows_written


def build_proposal(
    database: Database, area: str, labels: NeedsSheetLabels, include_phones: bool, path: Path
) -> int:
    """A workbook with only the needs sheet of `area` (blocking: run it in a worker thread)."""
    with StreamingWorkbook(path) as workbook, database.session() as session:
        styles = Styles.register(workbook)
        return write_needs_sheet(workbook, styles, session, [area], labels, include_phones)
