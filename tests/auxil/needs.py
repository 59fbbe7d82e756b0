"""Hand-built needs answers for the tests of the features that read them."""

from __future__ import annotations

from datetime import datetime

from storage import needs

__all__ = ["answer_needs"]


def answer_needs(
    runner,
    cadre: int,
    village: str,
    ranked: tuple[str, ...],
    other_name: str | None = None,
    *,
    period: str = "year:2026",
) -> None:
    """Store `cadre`'s answer for `village`: `ranked` needs, first the most needed."""
    with runner.session() as session:
        needs.save_answer(
            session,
            cadre,
            village_code=village,
            period=period,
            round_id=None,
            needs=ranked,
            other_name=other_name,
            problem=f"Masalah {cadre}",
            potential=f"Potensi {cadre}",
            photo_file_id=None,
            now=datetime(2026, 3, 1, 0, 0, cadre % 60),
        )
