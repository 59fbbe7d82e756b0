"""How fast are the training-attendance figures of /statistik and /ekspor for the province?

Fills a fresh database (bulk inserts, as `bench/stats.py`) with a year of trainings for the
kabupaten/kota and kecamatan of province 64, each with its sign-ups, its attendance (walk-ins,
ratings) and the 30- and 90-day follow-ups, some answered. Then it times what an official's
province view adds (`bot.training.figures.statistics_section`: the queries, the text and the
chart panel, without drawing) for "this year" and "all time", the panel drawn on its own, and
the two attendance sheets of the province's export.

    python bench/attendance.py                           # SQLite and PostgreSQL
    python bench/attendance.py --trainings 300 --db sqlite

Prints one line per database: db=… trainings=… signups=… attendance=… followups=…
section_p95_ms=… (province, this year) section_all_p95_ms=… (all time) changed_p50_ms=…
(this year, the first view after a write to the trainings' tables: nothing kept) chart_ms=…
(the view's chart with only this panel) sheets_s=… (both sheets of the province).
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.stats import Loader, _fresh_database, analyse  # noqa: E402
from bot.training.figures import sheet_labels, statistics_section  # noqa: E402
from storage.attendance_figures import write_attendance_sheets  # noqa: E402
from storage.charts import ChartSpec  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import utcnow  # noqa: E402
from storage.regions import get_region  # noqa: E402
from storage.stats import Period, period_window  # noqa: E402
from storage.xlsx import StreamingWorkbook, Styles  # noqa: E402

TZ = ZoneInfo("Asia/Makassar")
USED = ("yes", "partly", "not_yet")
SITUATIONS = ("working", "own_business", "group_business", "not_yet")


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fill(database: Database, trainings: int, seed: int = 13) -> dict[str, int]:
    """Trainings over the last year, 20–60 sign-ups each, ~75 % of them present plus a few
    walk-ins, ratings from ~60 %, follow-ups at 30 and 90 days (about half answered)."""
    rng = random.Random(seed)
    now = utcnow()
    with database.session() as session:
        areas = list(
            session.execute(
                text("SELECT code FROM region WHERE level IN ('regency', 'district')")
            ).scalars()
        )
    loader = Loader(database)
    starts = [now - timedelta(days=rng.uniform(1, 365)) for _ in range(trainings)]
    counts = {"trainings": 0, "signups": 0, "attendance": 0, "followups": 0}
    counts["trainings"] = loader.load(
        "training",
        ("id", "title", "description", "starts_at", "place", "area_code", "institutions",
         "created_by", "created_at", "rsvp_version"),
        ((n + 1, f"Pelatihan {n + 1}", "-", starts[n], "Aula", rng.choice(areas), "[]", 1,
          starts[n] - timedelta(days=14), 0) for n in range(trainings)),
    )  # fmt: skip
    signups: list[tuple[int, int]] = []
    present: list[tuple[int, int, bool]] = []
    for n in range(trainings):
        people = [20_000_000 + n * 100 + k for k in range(rng.randint(20, 60))]
        signups += [(n + 1, p) for p in people]
        present += [(n + 1, p, False) for p in people if rng.random() < 0.75]
        present += [(n + 1, 30_000_000 + n * 10 + k, True) for k in range(rng.randint(0, 3))]
    counts["signups"] = loader.load(
        "training_rsvp",
        ("training_id", "telegram_id", "status", "created_at", "updated_at"),
        ((t, p, "going", now, now) for t, p in signups),
    )

    def attendance() -> Iterable[Sequence[Any]]:
        for number, (t, p, walk_in) in enumerate(present, start=1):
            rating = rng.randint(2, 5) if rng.random() < 0.6 else None
            yield (number, t, p, starts[t - 1], walk_in, rating)

    counts["attendance"] = loader.load(
        "training_attendance",
        ("id", "training_id", "telegram_id", "checked_in_at", "walk_in", "rating"),
        attendance(),
    )

    def followups() -> Iterable[Sequence[Any]]:
        for number, (t, _, _) in enumerate(present, start=1):
            for days in (30, 90):
                sent = starts[t - 1] + timedelta(days=days)
                if sent > now:
                    continue
                if rng.random() < 0.5:
                    yield (number, days, sent, rng.choice(USED), rng.choice(SITUATIONS), "yes",
                           sent + timedelta(hours=5))  # fmt: skip
                else:
                    yield (number, days, sent, None, None, None, None)

    counts["followups"] = loader.load(
        "training_followup",
        ("attendance_id", "days", "sent_at", "used", "situation", "recommend", "answered_at"),
        followups(),
    )
    if not database.is_sqlite:  # ids were given: move the sequences past them
        with database.engine.begin() as conn:
            for table in ("training", "training_attendance"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
    return counts


def measure(database: Database, samples: int) -> dict[str, float]:
    with database.session() as session:
        province = get_region(session, "64")
    assert province is not None
    results: dict[str, float] = {}
    for key, period in (("section", Period.YEAR), ("section_all", Period.ALL)):
        window = period_window(period, TZ)
        times = []
        for _ in range(samples + 1):
            began = time.perf_counter()
            with database.session() as session:
                section = statistics_section(
                    session, province, "regency", (window.start_utc, window.now_utc), TZ, "id"
                )
            times.append((time.perf_counter() - began) * 1000)
        assert section.panel is not None and section.text
        results[f"{key}_p95_ms"] = _pct(times[1:], 0.95)  # the first warms the caches
        results[f"{key}_p50_ms"] = _pct(times[1:], 0.5)
    # The first view after a change (a check-in, a rating, ...) counts everything again.
    window = period_window(Period.YEAR, TZ)
    misses = []
    for _ in range(max(3, samples // 4)):
        with database.session() as session:
            session.execute(text("UPDATE training SET title = title WHERE id = 1"))
            session.commit()
        began = time.perf_counter()
        with database.session() as session:
            statistics_section(
                session, province, "regency", (window.start_utc, window.now_utc), TZ, "id"
            )
        misses.append((time.perf_counter() - began) * 1000)
    results["changed_p50_ms"] = _pct(misses, 0.5)
    began = time.perf_counter()
    ChartSpec("Bench", (section.panel,), "-").render()
    results["chart_ms"] = (time.perf_counter() - began) * 1000
    began = time.perf_counter()
    workbook = StreamingWorkbook(io.BytesIO())
    with database.session() as session:
        write_attendance_sheets(
            workbook, Styles.register(workbook), session, ["64"], utcnow(), sheet_labels("id"), TZ
        )
    workbook.close()
    results["sheets_s"] = time.perf_counter() - began
    return results


def run(db: str, trainings: int, samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = _fresh_database(db, Path(tmp))
        try:
            database = Database(url)
            counts = fill(database, trainings)
            analyse(database)
            figures = measure(database, samples)
            database.dispose()
        finally:
            if db != "sqlite":
                from tests.auxil import databases

                databases.drop_postgres_database(url)
    print(
        f"db={db} trainings={counts['trainings']} signups={counts['signups']} "
        f"attendance={counts['attendance']} followups={counts['followups']} "
        f"section_p95_ms={figures['section_p95_ms']:.0f} "
        f"section_p50_ms={figures['section_p50_ms']:.0f} "
        f"section_all_p95_ms={figures['section_all_p95_ms']:.0f} "
        f"changed_p50_ms={figures['changed_p50_ms']:.0f} "
        f"chart_ms={figures['chart_ms']:.0f} sheets_s={figures['sheets_s']:.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainings", type=int, default=1200)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(db, args.trainings, args.samples)


if __name__ == "__main__":
    main()
