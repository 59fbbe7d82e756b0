"""How fast are /statistik, its drill-down and the Excel export on a province-sized forum?

Fills a fresh database with a synthetic forum for the whole province (FORUM_AREA=64): cadres
spread unevenly over the 1,038 kelurahan/desa (some have none), their activity, and three
reports per cadre — plus trainings and broadcasts with their sign-ups and deliveries once
those tables exist — with bulk inserts (executemany on SQLite, COPY on PostgreSQL). Then it
runs the real bot (`python -m bot`) against the fake Telegram server and an official asks:

* `/statistik` (and the province view for other periods): from the update being queued to the
  view's last message (the chart with its buttons) arriving at the fake server;
* drill-downs (kabupaten/kota → kecamatan → up), measured the same way;
* the full export of the province, built in a separate process for its time and peak RSS.

    python bench/stats.py --cadres 100000              # SQLite and PostgreSQL
    python bench/stats.py --cadres 20000 --db sqlite   # a quick check

Prints one line per database (`key=value`):

* `statistik_p95_ms`, `drilldown_p95_ms`: views of an area seen before (its chart reused by
  Telegram file id, the figures queried again); `first_view_p95_ms`: first visits of an area
  and period, whose chart is drawn and uploaded; `*_all_p95_ms` all of them together;
* `trivial_p95_ms`: `/batal` with nothing to cancel (a fixed answer through the same path:
  activity, identity, one message) in the same run, and `statistik_ratio` = statistik p95 ÷
  trivial p95 — the machine's load divides out;
* where a view's time goes, the bot's own `forkom_statistics_seconds` histogram scraped from
  `/metrics` as mean milliseconds per stage: `sql_ms` (queries; `sql_cpu_ms` their CPU time
  in the bot, which a busy machine does not inflate), `text_ms` (formatting),
  `chart_ms` (drawing, first views), `send_text_ms`, `upload_ms` (a new chart),
  `send_photo_ms` (a known chart), `delete_ms` (the pressed view), with `*_n` counts;
* `export_s`, `export_peak_mb` (the export process's peak RSS; `export_baseline_mb` before
  building: the interpreter and its imports), `export_csv_s` — the same rows (same queries
  and formatting) written by the stdlib `csv` module in the same process — and
  `export_ratio` = export_s ÷ export_csv_s: what the XLSX writing adds; `export_cpu_s` and
  `export_csv_cpu_s` are the same in CPU time of the process (less sensitive to a busy machine,
  but without the database server's share on PostgreSQL).

The machine has 2 cores: other heavy processes running at the same time inflate the tails.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from sqlalchemy import inspect, text  # noqa: E402

from storage import regions  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.models import utcnow  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
OFFICIAL = 9001
FIRST_NAMES = "Siti Nur Dewi Sri Rina Budi Agus Ahmad Muhammad Yusuf Rahmat Wati Ani Fitri".split()
LAST_NAMES = (
    "Aminah Hidayat Saputra Rahman Lestari Wijaya Kurniawan Susanti Pratama Hasanah".split()
)
INSTITUTIONS = {
    "pkk": 30,
    "posyandu": 25,
    "lpm": 10,
    "karang_taruna": 10,
    "rt_rw": 10,
    "kpmd": 8,
    "bumdes": 5,
    "lainnya": 2,
}
CATEGORIES = ("umkm", "pertanian", "kesehatan", "pendidikan", "lingkungan", "ttg", "sosbud")
STATUSES = {"approved": 70, "rejected": 15, "pending": 10, "revision": 5}


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _weighted(choices: dict[str, int], count: int, rng: random.Random) -> list[str]:
    return rng.choices(list(choices), weights=list(choices.values()), k=count)


# ---------------------------------------------------------------- synthetic forum


class Loader:
    """Bulk rows into one table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        raw = self.database.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.database.is_sqlite:
                marks = ", ".join("?" for _ in columns)
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
                batch: list[Sequence[Any]] = []
                for row in rows:
                    batch.append([_sqlite_value(v) for v in row])
                    if len(batch) == 20000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch.clear()
                cursor.executemany(sql, batch)
                count += len(batch)
            else:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            raw.commit()
        finally:
            raw.close()
        return count


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy stores DateTime on SQLite as this text; comparisons are textual there.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def fill(database: Database, cadres: int, seed: int = 6) -> dict[str, int]:
    """Write the synthetic forum; returns row counts per table."""
    rng = random.Random(seed)
    now = utcnow()
    with database.session() as session:
        villages = list(
            session.execute(text("SELECT code FROM region WHERE level = 'village'")).scalars()
        )
        tables = set(inspect(database.engine).get_table_names())
    weights = [0.0 if rng.random() < 0.04 else rng.lognormvariate(0, 0.8) for _ in villages]
    homes = rng.choices(villages, weights=weights, k=cadres)
    institutions = _weighted(INSTITUTIONS, cadres, rng)
    ids = [10_000_000 + i for i in range(cadres)]
    registered = [now - timedelta(days=rng.uniform(0, 1095)) for _ in ids]
    loader = Loader(database)
    counts: dict[str, int] = {}

    def users() -> Iterable[Sequence[Any]]:
        for telegram_id, joined in zip(ids, registered, strict=True):
            recent = rng.random() < 0.45
            seen = now - timedelta(days=rng.uniform(0, 30) if recent else rng.uniform(30, 700))
            unreachable = seen + timedelta(days=1) if rng.random() < 0.04 else None
            yield (telegram_id, "id", "id", unreachable, max(seen, joined), joined)

    counts["app_user"] = loader.load(
        "app_user",
        (
            "telegram_id",
            "language",
            "telegram_language",
            "unreachable_since",
            "last_seen_at",
            "created_at",
        ),
        users(),
    )

    def cadre_rows() -> Iterable[Sequence[Any]]:
        for i, telegram_id in enumerate(ids):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            joined = registered[i]
            yield (
                telegram_id,
                name,
                f"+62812{i:08d}",
                homes[i],
                institutions[i],
                "Kelompok Tani" if institutions[i] == "lainnya" else None,
                rng.random() < 0.95,
                joined,
                joined,
                joined,
            )

    counts["cadre"] = loader.load(
        "cadre",
        (
            "telegram_id",
            "full_name",
            "phone",
            "village_code",
            "institution",
            "institution_other",
            "receive_broadcasts",
            "consent_at",
            "registered_at",
            "updated_at",
        ),
        cadre_rows(),
    )

    if "report" in tables:

        def report_rows() -> Iterable[Sequence[Any]]:
            statuses = _weighted(STATUSES, cadres * 3, rng)
            for n, status in enumerate(statuses):
                who = rng.randrange(cadres)
                category = rng.choice(CATEGORIES)
                submitted = now - timedelta(days=rng.uniform(0, 1095))
                featured = (
                    submitted + timedelta(days=3)
                    if status == "approved" and rng.random() < 0.04
                    else None
                )
                posted = (
                    submitted + timedelta(days=3)
                    if status == "approved" and rng.random() < 0.02
                    else None
                )
                yield (
                    ids[who],
                    homes[who],
                    institutions[who],
                    f"Inovasi {category} nomor {n}",
                    category,
                    "Kelompok warga mengolah hasil kebun dan sampah rumah tangga.",
                    status,
                    1,
                    submitted,
                    submitted,
                    featured,
                    posted,
                )

        counts["report"] = loader.load(
            "report",
            (
                "reporter_id",
                "village_code",
                "institution",
                "title",
                "category",
                "description",
                "status",
                "version",
                "submitted_at",
                "updated_at",
                "featured_at",
                "channel_posted_at",
            ),
            report_rows(),
        )
    if {"broadcast", "broadcast_recipient"} <= tables:
        counts.update(_fill_broadcasts(loader, database, ids, homes, cadres, now, rng))
    if {"training", "training_rsvp"} <= tables:
        counts.update(_fill_trainings(loader, database, ids, homes, cadres, now, rng))
    return counts


def _fill_trainings(
    loader: Loader,
    database: Database,
    ids: Sequence[int],
    homes: Sequence[str],
    cadres: int,
    now: datetime,
    rng: random.Random,
) -> dict[str, int]:
    """1 training per 100 cadres for a kecamatan or a kabupaten/kota, ~20 answers each."""
    by_area: dict[str, list[int]] = {}
    for telegram_id, home in zip(ids, homes, strict=True):
        by_area.setdefault(home[:8], []).append(telegram_id)
        by_area.setdefault(home[:5], []).append(telegram_id)
    areas = sorted(by_area)
    plan = []
    for number in range(1, max(1, cadres // 100) + 1):
        area = rng.choice(areas)
        starts = now + timedelta(days=rng.uniform(-1095, 60))
        quota = rng.randint(15, 40) if rng.random() < 0.7 else None
        people = rng.sample(by_area[area], min(24, len(by_area[area])))
        plan.append((number, area, starts, quota, people))

    def training_rows() -> Iterable[Sequence[Any]]:
        for number, area, starts, quota, _ in plan:
            yield (
                number,
                f"Pelatihan kader nomor {number}",
                "Pengolahan hasil pertanian dan pemasaran daring.",
                starts,
                f"Aula kantor camat {number}",
                quota,
                area,
                "[]",
                OFFICIAL,
                starts - timedelta(days=14),
                0,
            )

    def rsvp_rows() -> Iterable[Sequence[Any]]:
        for number, _, starts, quota, people in plan:
            going = 0
            for order, telegram_id in enumerate(people):
                if order % 12 == 11:
                    status = "declined"
                elif quota is None or going < quota:
                    status, going = "going", going + 1
                else:
                    status = "waiting"
                moment = starts - timedelta(days=10, minutes=-order)
                yield (number, telegram_id, status, moment, moment)

    counts = {
        "training": loader.load(
            "training",
            (
                "id",
                "title",
                "description",
                "starts_at",
                "place",
                "quota",
                "area_code",
                "institutions",
                "created_by",
                "created_at",
                "rsvp_version",
            ),
            training_rows(),
        ),
        "training_rsvp": loader.load(
            "training_rsvp",
            ("training_id", "telegram_id", "status", "created_at", "updated_at"),
            rsvp_rows(),
        ),
    }
    if not database.is_sqlite:
        with database.engine.begin() as conn:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('training', 'id'), max(id)) FROM training"
            )
    return counts


def _fill_broadcasts(
    loader: Loader,
    database: Database,
    ids: Sequence[int],
    homes: Sequence[str],
    cadres: int,
    now: datetime,
    rng: random.Random,
) -> dict[str, int]:
    """Announcements to a kabupaten/kota each: 1 per 100 cadres, 20 deliveries per cadre."""
    broadcasts = max(1, cadres // 100)
    per_broadcast = 20 * cadres // broadcasts
    by_regency: dict[str, list[int]] = {}
    for telegram_id, home in zip(ids, homes, strict=True):
        by_regency.setdefault(home[:5], []).append(telegram_id)
    # Regencies big enough for a full audience, so the deliveries add up to 20 per cadre.
    regencies = sorted(r for r, people in by_regency.items() if len(people) >= per_broadcast)
    regencies = regencies or sorted(by_regency)
    plan = []
    for number in range(1, broadcasts + 1):
        regency = rng.choice(regencies)
        audience = by_regency[regency]
        created = now - timedelta(days=rng.uniform(1, 1095))
        plan.append(
            (number, regency, rng.sample(audience, min(per_broadcast, len(audience))), created)
        )

    def broadcast_rows() -> Iterable[Sequence[Any]]:
        for number, regency, recipients, created in plan:
            yield (
                number,
                "announcement",
                OFFICIAL,
                json.dumps({"text": f"Pengumuman {number}"}),
                json.dumps({"title": f"Pengumuman {number}", "audience": [regency]}),
                False,
                "done",
                len(recipients),
                created,
                created,
                created + timedelta(minutes=len(recipients) / 25 / 60),
            )

    def recipient_rows() -> Iterable[Sequence[Any]]:
        for number, _, recipients, created in plan:
            for chat_id in recipients:
                roll = rng.random()
                state = "sent" if roll < 0.94 else "failed" if roll < 0.99 else "cancelled"
                yield (
                    number,
                    chat_id,
                    state,
                    1,
                    1,
                    created,
                    "blocked" if state == "failed" else None,
                )

    counts = {
        "broadcast": loader.load(
            "broadcast",
            (
                "id",
                "kind",
                "sender_id",
                "payload",
                "meta",
                "urgent",
                "status",
                "total",
                "created_at",
                "started_at",
                "finished_at",
            ),
            broadcast_rows(),
        )
    }
    counts["broadcast_recipient"] = loader.load(
        "broadcast_recipient",
        ("broadcast_id", "chat_id", "state", "attempts", "parts_done", "updated_at", "error"),
        recipient_rows(),
    )
    if not database.is_sqlite:  # explicit ids: move the sequence past them
        with database.engine.begin() as conn:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('broadcast', 'id'), max(id)) FROM broadcast"
            )
    return counts


def analyse(database: Database) -> None:
    """Fresh planner statistics (and, on PostgreSQL, the visibility map for index-only scans)."""
    if database.is_sqlite:
        with database.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


# ---------------------------------------------------------------- measuring through the bot


# Seconds an official pauses before each step, as a person does: the bot admits 3 updates a
# second per user (`bot.fairness.RATE`) and tells a faster sender to slow down.
THINK = 0.4


async def _view_after(user: Any, action: Any) -> tuple[float, Any]:
    """Seconds from queueing the update to the view's chart (last message) arriving."""
    await asyncio.sleep(THINK)
    before = len(user.messages)
    began = time.perf_counter()
    await action()
    chart = await user.wait_for(
        lambda: next((m for m in user.messages[before:] if m.kind == "photo" and m.buttons), None),
        timeout=60,
    )
    return time.perf_counter() - began, chart


def _children(chart: Any) -> list[str]:
    """Callback data of the sub-region buttons of a view (rows after the two period rows)."""
    return [
        data
        for row in chart.button_data[2:]
        for data in row
        if data and data.startswith("st:v:") and data.count(".") > chart_level(chart)
    ]


def chart_level(chart: Any) -> int:
    current = chart.button_data[0][0]  # st:v:<area>:<period>
    return current.split(":")[2].count(".")


def _settle(url: str) -> None:
    """Planner statistics after the warm-up filled the delivery summary (as autovacuum would)."""
    database = Database(url)
    analyse(database)
    database.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _trivial(user: Any) -> float:
    """Seconds for `/batal` with nothing to cancel: a fixed answer, through the same path
    (activity, identity, one message) — the yardstick of the machine at this moment."""
    await asyncio.sleep(THINK)
    before = len(user.messages)
    began = time.perf_counter()
    await user.send_text("/batal")
    await user.wait_for(lambda: len(user.messages) > before, timeout=60)
    return time.perf_counter() - began


def _stage_means(metrics: str) -> dict[str, float]:
    """Mean milliseconds per stage of `forkom_statistics_seconds`, and how often each ran."""
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for line in metrics.splitlines():
        for suffix, into in (("_sum", sums), ("_count", counts)):
            head = f'forkom_statistics_seconds{suffix}{{stage="'
            if line.startswith(head):
                stage = line[len(head) :].split('"', 1)[0]
                into[stage] = float(line.rsplit(" ", 1)[1])
    found: dict[str, float] = {}
    for stage, total in sums.items():
        if counts.get(stage):
            found[f"{stage}_ms"] = total / counts[stage] * 1000
            found[f"{stage}_n"] = counts[stage]
    return found


async def measure_bot(url: str, samples: int, folder: Path) -> dict[str, float]:
    from tests.auxil.process import bot_env, start_bot, stop_bot
    from tests.fakebot import FakeTelegramServer

    rng = random.Random(7)
    port = _free_port()
    async with FakeTelegramServer(token=TOKEN, bot_username="forkom_bench_bot") as server:
        env = bot_env(
            TOKEN,
            server.base_url,
            url,
            FORUM_AREA="64",
            ADMIN_IDS=str(OFFICIAL),
            QUIET_HOURS="off",
            METRICS_PORT=str(port),
        )
        process = start_bot(env, folder, folder / "bot.log")
        try:
            await server.wait_until_polling(timeout=120)
            official = server.new_user(user_id=OFFICIAL, first_name="Pak Dinas")
            # Warm-up: the first view also folds the finished broadcasts' deliveries (once).
            await _view_after(official, lambda: official.send_text("/statistik"))
            await _trivial(official)
            await asyncio.to_thread(_settle, url)
            views: list[float] = []
            drills: list[float] = []
            trivial: list[float] = []
            # A view seen before reuses its chart (Telegram file id) when its figures did not
            # change, as in real use; first visits (chart drawn and uploaded) count apart.
            seen = {"st:v:64:m"}
            first: list[float] = []
            all_views: list[float] = []
            all_drills: list[float] = []

            def record(key: str, seconds: float, into: list[float], every: list[float]) -> None:
                every.append(seconds)
                if key in seen:
                    into.append(seconds)
                else:
                    first.append(seconds)
                    seen.add(key)

            for i in range(samples):
                trivial.append(await _trivial(official))
                seconds, chart = await _view_after(
                    official, lambda: official.send_text("/statistik")
                )
                record("st:v:64:m", seconds, views, all_views)
                period = ("st:v:64:a", "st:v:64:y", "st:v:64:q")[i % 3]
                seconds, chart = await _view_after(
                    official, lambda c=chart, p=period: official.press_data(p, c)
                )
                record(period, seconds, views, all_views)
                for _ in range(2):  # kabupaten/kota, then kecamatan
                    target = rng.choice(_children(chart))
                    seconds, chart = await _view_after(
                        official, lambda c=chart, d=target: official.press_data(d, c)
                    )
                    record(target, seconds, drills, all_drills)
                up = next(
                    d
                    for row in chart.button_data
                    for d in row
                    if d and d.startswith("st:v:") and d.split(":")[2].count(".") == 1
                )
                seconds, chart = await _view_after(
                    official, lambda c=chart, d=up: official.press_data(d, c)
                )
                record(up, seconds, drills, all_drills)
                trivial.append(await _trivial(official))
            metrics = await asyncio.to_thread(_scrape, port)
        finally:
            stop_bot(process)
    statistik = _pct(views, 0.95)
    return {
        "statistik_p95_ms": statistik * 1000,
        "statistik_p50_ms": _pct(views, 0.5) * 1000,
        "drilldown_p95_ms": _pct(drills, 0.95) * 1000,
        "drilldown_p50_ms": _pct(drills, 0.5) * 1000,
        "first_view_p95_ms": _pct(first, 0.95) * 1000,
        "first_view_p50_ms": _pct(first, 0.5) * 1000,
        "first_views": len(first),
        "trivial_p95_ms": _pct(trivial, 0.95) * 1000,
        "trivial_p50_ms": _pct(trivial, 0.5) * 1000,
        "statistik_ratio": statistik / _pct(trivial, 0.95),
        "statistik_all_p95_ms": _pct(all_views, 0.95) * 1000,
        "drilldown_all_p95_ms": _pct(all_drills, 0.95) * 1000,
        **_stage_means(metrics),
    }


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


# ---------------------------------------------------------------- the export, in its own process


def _csv_export(database: Database, request: Any, labels: Any, path: Path) -> int:
    """The export's data rows (the same queries and formatting) written by the stdlib `csv`
    module: the yardstick of what the XLSX writer adds."""
    from storage import export

    sources = (export._cadre_rows, export._report_rows, export._training_rows)
    rows = 0
    with database.session() as session, path.open("w", newline="", encoding="utf-8") as handle:
        regions = export._Regions(session)
        writer = csv.writer(handle)
        for source in (*sources, export._broadcast_rows):
            for row in source(session, request, labels, regions):
                writer.writerow(row)
                rows += 1
    return rows


def export_child(url: str, area: str) -> None:
    """Build the official's export of `area`; print time, peak RSS and size as JSON, and the
    same rows written as CSV (once to warm the caches, once timed)."""
    from zoneinfo import ZoneInfo

    from bot.export import export_labels
    from storage.export import ExportRequest, build_workbook

    database = Database(url)
    labels = export_labels("id")
    request = ExportRequest((area,), include_phones=True, timezone=ZoneInfo("Asia/Makassar"))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as folder:
        _csv_export(database, request, labels, Path(folder) / "warm.csv")
        path = Path(folder) / "export.xlsx"
        began, cpu = time.perf_counter(), time.process_time()
        result = build_workbook(database, request, labels, path)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        size = path.stat().st_size
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        began, csv_cpu = time.perf_counter(), time.process_time()
        csv_rows = _csv_export(database, request, labels, Path(folder) / "export.csv")
        csv_seconds, csv_cpu = time.perf_counter() - began, time.process_time() - csv_cpu
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak,
                "baseline_mb": baseline,
                "bytes": size,
                "rows": sum(result.rows.values()),
                "csv_seconds": csv_seconds,
                "cpu_seconds": cpu,
                "csv_cpu_seconds": csv_cpu,
                "csv_rows": csv_rows,
            }
        )
    )


def measure_export(url: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--export-child", url],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# ---------------------------------------------------------------- main


def _fresh_database(db: str, folder: Path) -> str:
    if db == "sqlite":
        url = f"sqlite:///{folder / 'stats-bench.db'}"
        upgrade(url)
        database = Database(url)
        with database.session() as session:
            regions.load_regions(session)
        database.dispose()
        return url
    from tests.auxil import databases

    return databases.make_postgres_database("bench_stats")


def run(db: str, cadres: int, samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = _fresh_database(db, folder)
        try:
            database = Database(url)
            began = time.perf_counter()
            counts = fill(database, cadres)
            analyse(database)
            database.dispose()
            fill_s = time.perf_counter() - began
            bot = asyncio.run(measure_bot(url, samples, folder))
            export = measure_export(url)
        finally:
            if db != "sqlite":
                from tests.auxil import databases

                databases.drop_postgres_database(url)
    stages = " ".join(
        f"{key}={value:.0f}"
        for key, value in sorted(bot.items())
        if key.endswith(("_ms", "_n"))
        and not key.startswith(("statistik", "drilldown", "first_view", "trivial"))
    )
    print(
        f"db={db} cadres={cadres} statistik_p95_ms={bot['statistik_p95_ms']:.0f} "
        f"drilldown_p95_ms={bot['drilldown_p95_ms']:.0f} "
        f"first_view_p95_ms={bot['first_view_p95_ms']:.0f} "
        f"trivial_p95_ms={bot['trivial_p95_ms']:.0f} "
        f"statistik_ratio={bot['statistik_ratio']:.2f} "
        f"export_s={export['seconds']:.1f} export_peak_mb={export['peak_mb']:.0f} "
        f"export_csv_s={export['csv_seconds']:.1f} "
        f"export_ratio={export['seconds'] / export['csv_seconds']:.2f} "
        f"statistik_p50_ms={bot['statistik_p50_ms']:.0f} drilldown_p50_ms={bot['drilldown_p50_ms']:.0f} "
        f"first_view_p50_ms={bot['first_view_p50_ms']:.0f} first_views={bot['first_views']} "
        f"trivial_p50_ms={bot['trivial_p50_ms']:.0f} "
        f"statistik_all_p95_ms={bot['statistik_all_p95_ms']:.0f} "
        f"drilldown_all_p95_ms={bot['drilldown_all_p95_ms']:.0f} "
        f"{stages} "
        f"export_cpu_s={export['cpu_seconds']:.1f} export_csv_cpu_s={export['csv_cpu_seconds']:.1f} "
        f"export_rows={export['rows']} export_csv_rows={export['csv_rows']} "
        f"export_file_mb={export['bytes'] / 1e6:.1f} "
        f"export_baseline_mb={export['baseline_mb']:.0f} fill_s={fill_s:.0f} "
        f"rows={'/'.join(f'{k}:{v}' for k, v in counts.items())}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--samples", type=int, default=20, help="rounds of /statistik + drill-downs"
    )
    parser.add_argument("--export-child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(args.export_child, "64")
        return
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(db, args.cadres, args.samples)


if __name__ == "__main__":
    main()
