"""How fast is /peta_kebutuhan for the whole province with 100,000 cadres' answers?

Fills a fresh database with cadres spread unevenly over the 1,038 kelurahan/desa of province
64 (bulk inserts, as `bench/stats.py`), each with one current answer (one to three ranked
needs, some "Lainnya" with a typed name) and a fifth with an older one that no longer counts;
the bulk-loaded answers are then folded per kelurahan (`refresh_tally`, as migration
0015_needs_tally does for answers already given).
Then it builds the map an official sees — the province, and each kabupaten/kota — exactly as
the handler does (`bot.needs.needs_map.compose_map`: every query and the text) and draws its
chart (`ChartSpec.render`), and times the XLSX proposal of the province.

    python bench/needs.py                       # SQLite and PostgreSQL, 100,000 answers
    python bench/needs.py --cadres 20000 --db sqlite

Prints one line per database: db=… answers=… needs_map_p95_ms=… (the province: queries, text
and chart) drilldown_p95_ms=… (kabupaten/kota) query_p95_ms=… (the province's queries and
text only) proposal_s=… (the province's XLSX), and cpu_p95_ms=… (this process's CPU time for
the province map: on a shared machine the wall clock also counts waiting for a core; the
database server's own time is not in it on PostgreSQL).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.stats import Loader, _fresh_database, analyse  # noqa: E402
from bot.auth import identify  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.needs.needs_map import compose_map, sheet_labels  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import utcnow  # noqa: E402
from storage.needs import OTHER, need_codes, refresh_tally  # noqa: E402
from storage.needs_sheet import build_proposal  # noqa: E402

OFFICIAL = 9001
OTHER_NAMES = ("Sablon", "Anyaman rotan", "Servis perahu", "Kopi bubuk")


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fill(database: Database, cadres: int, seed: int = 12) -> int:
    """Cadres and their answers; returns the number of answers written."""
    rng = random.Random(seed)
    now = utcnow()
    with database.session() as session:
        villages = list(
            session.execute(text("SELECT code FROM region WHERE level = 'village'")).scalars()
        )
    weights = [0.0 if rng.random() < 0.04 else rng.lognormvariate(0, 0.8) for _ in villages]
    homes = rng.choices(villages, weights=weights, k=cadres)
    ids = [10_000_000 + i for i in range(cadres)]
    loader = Loader(database)
    loader.load(
        "app_user",
        ("telegram_id", "language", "telegram_language", "last_seen_at", "created_at"),
        ((i, "id", "id", now, now) for i in ids),
    )
    loader.load(
        "cadre",
        (
            "telegram_id",
            "full_name",
            "phone",
            "village_code",
            "institution",
            "receive_broadcasts",
            "consent_at",
            "registered_at",
            "updated_at",
        ),
        ((i, "Kader", f"+62812{n:08d}", homes[n], "pkk", True, now, now, now)
         for n, i in enumerate(ids)),
    )  # fmt: skip
    codes = need_codes()
    # Each village leans to a few needs ("one village, one product").
    leaning = {v: rng.sample(codes, 4) for v in villages}

    def answers() -> Iterable[Sequence[Any]]:
        for n, telegram_id in enumerate(ids):
            village = homes[n]
            pool = leaning[village] + list(codes)
            ranked: list[str] = []
            while len(ranked) < rng.choice((1, 2, 3, 3)):
                pick = rng.choice(pool[:4]) if rng.random() < 0.7 else rng.choice(pool)
                if pick not in ranked:
                    ranked.append(pick)
            other = rng.choice(OTHER_NAMES) if OTHER in ranked else None
            padded = [*ranked, None, None][:3]
            when = now - timedelta(days=rng.uniform(0, 300))
            if n % 5 == 0:  # an older answer of the same cadre, no longer current
                yield (telegram_id, village, "year:2025", "kesehatan", None, None, None,
                       "Masalah lama", "Potensi lama", False, when, when)  # fmt: skip
            yield (telegram_id, village, "year:2026", *padded, other,
                   "Jalan desa rusak saat hujan", "Kerajinan rotan", True, when, when)  # fmt: skip

    written = loader.load(
        "need_answer",
        (
            "telegram_id",
            "village_code",
            "period",
            "need_1",
            "need_2",
            "need_3",
            "other_name",
            "problem",
            "potential",
            "is_current",
            "answered_at",
            "updated_at",
        ),
        answers(),
    )
    with database.session() as session:
        refresh_tally(session)
    return written


def measure(url: str, samples: int) -> dict[str, float]:
    settings = Settings(token="1:BENCH", database_url=url, forum_area="64",
                        admin_ids=frozenset({OFFICIAL}))  # fmt: skip
    database = Database(url)
    identity = identify(database, settings, OFFICIAL)
    with database.session() as session:
        regencies = list(
            session.execute(text("SELECT code FROM region WHERE level = 'regency'")).scalars()
        )
    compose_map(database, settings, identity, "64", "id")  # warm the caches once
    province, queries, drill, cpu = [], [], [], []
    for _ in range(samples):
        began, began_cpu = time.perf_counter(), time.process_time()
        view = compose_map(database, settings, identity, "64", "id")
        queried = time.perf_counter()
        assert view is not None
        view.chart.render()
        province.append((time.perf_counter() - began) * 1000)
        queries.append((queried - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    for code in regencies * max(1, samples // len(regencies)):
        began = time.perf_counter()
        view = compose_map(database, settings, identity, code, "id")
        assert view is not None
        view.chart.render()
        drill.append((time.perf_counter() - began) * 1000)
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        build_proposal(database, "64", sheet_labels("id"), True, Path(folder) / "p.xlsx")
        proposal_s = time.perf_counter() - began
    database.dispose()
    return {
        "needs_map_p95_ms": _pct(province, 0.95),
        "needs_map_p50_ms": _pct(province, 0.5),
        "query_p95_ms": _pct(queries, 0.95),
        "drilldown_p95_ms": _pct(drill, 0.95),
        "proposal_s": proposal_s,
        "cpu_p95_ms": _pct(cpu, 0.95),
    }


def run(db: str, cadres: int, samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = _fresh_database(db, Path(tmp))
        try:
            database = Database(url)
            answers = fill(database, cadres)
            analyse(database)
            database.dispose()
            figures = measure(url, samples)
        finally:
            if db != "sqlite":
                from tests.auxil import databases

                databases.drop_postgres_database(url)
    print(
        f"db={db} cadres={cadres} answers={answers} "
        f"needs_map_p95_ms={figures['needs_map_p95_ms']:.0f} "
        f"needs_map_p50_ms={figures['needs_map_p50_ms']:.0f} "
        f"query_p95_ms={figures['query_p95_ms']:.0f} "
        f"drilldown_p95_ms={figures['drilldown_p95_ms']:.0f} "
        f"proposal_s={figures['proposal_s']:.1f} "
        f"cpu_p95_ms={figures['cpu_p95_ms']:.0f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(db, args.cadres, args.samples)


if __name__ == "__main__":
    main()
