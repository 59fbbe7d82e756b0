"""Does the delivery engine send at Telegram's limit, lose nobody and keep replies fast?

Each run fills a fresh database with registered cadres, starts the real bot (`python -m bot`)
as a separate process against the fake Telegram server (running here, with Telegram's flood
limits enforced: 30/s overall, 1000/s paid, 1/s per chat, the one the run measures set to exactly
its rate — it answers 429 beyond them), and an
official sends an announcement to everybody through the real chat flow (/umumkan → preview →
Kirim). Meanwhile a cadre presses a training's "Ikut"/"Tidak bisa" button every 100 ms and we
time each answer (update queued → answerCallbackQuery received).

Runs (per database):
* recipients at the default BROADCAST_RATE=25;
* 20,000 at 1000/s with PAID_BROADCAST=true;
* the same with 5% of recipients blocked and 2% failing once with a 502.

    python bench/broadcast.py            # full: 2,000 @25/s and 20,000 @1000/s, SQLite and PostgreSQL
    python bench/broadcast.py --quick    # smaller runs, under two minutes
    python bench/broadcast.py --db sqlite

One line per run:
db=… recipients=… rate_limit=… achieved=…/s ratio=… 429s=… lost=… duplicates=…
bot_cpu_ms_per_message=… [interactive_p99=…ms]

achieved = recipients reached ÷ (last delivery − first delivery); lost = recipients neither
delivered nor recorded as failed with a reason; duplicates = extra deliveries to one chat;
bot_cpu_ms_per_message = the bot process's CPU time (all threads) from Kirim to the last
delivery ÷ messages sent: on a busy machine the rate is bounded by 1000 ÷ this per free core.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from storage import outbox, regions  # noqa: E402
from storage import training as training_store  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.models import AppUser, Cadre, utcnow  # noqa: E402
from storage.regions import children  # noqa: E402
from tests.fakebot import FakeTelegramServer, FakeUser, RateLimits  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
OFFICIAL = 9001
FORUM_AREA = "64.74"
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL",
    os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)


@dataclass(frozen=True)
class Run:
    recipients: int
    rate: int
    paid: bool
    blocked: float = 0.0
    flaky: float = 0.0


@dataclass
class Result:
    achieved: float
    rejected_429: int
    lost: int
    duplicates: int
    failed: int
    interactive_ms: list[float]
    cpu_ms_per_message: float


# ---------------------------------------------------------------- databases


def fresh_database(db: str, folder: Path, name: str) -> str:
    """A migrated database with the region data and nothing else."""
    if db == "sqlite":
        url = f"sqlite:///{folder / (name + '.db')}"
    else:
        admin = create_engine(PG_ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    database = Database(url)
    with database.session() as session:
        regions.load_regions(session)
    database.dispose()
    return url


def drop_database(db: str, name: str) -> None:
    if db != "postgresql":
        return
    admin = create_engine(PG_ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = :name and pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def seed(url: str, cadre_ids: Sequence[int], presser: int) -> tuple[int, str]:
    """Registered cadres spread over the forum's kelurahan, and a training to press on."""
    database = Database(url)
    now = utcnow()
    rng = random.Random(3)
    with database.session() as session:
        villages = [
            v.code for d in children(session, FORUM_AREA) for v in children(session, d.code)
        ]
        users = [
            {"telegram_id": i, "telegram_language": "id", "last_seen_at": now, "created_at": now}
            for i in [*cadre_ids, presser]
        ]
        session.execute(AppUser.__table__.insert(), users)  # type: ignore[attr-defined]
        rows = [
            {
                "telegram_id": telegram_id,
                "full_name": f"Kader {telegram_id}",
                "phone": f"+62812{telegram_id % 10**8:08d}",
                "village_code": villages[0] if telegram_id == presser else rng.choice(villages),
                "institution": "pkk",
                "receive_broadcasts": telegram_id != presser,
                "consent_at": now,
                "registered_at": now,
                "updated_at": now,
            }
            for telegram_id in [*cadre_ids, presser]
        ]
        session.execute(Cadre.__table__.insert(), rows)  # type: ignore[attr-defined]
        training = training_store.create_training(
            session,
            title="Pelatihan uji",
            description="Uji tombol",
            starts_at=now + timedelta(days=30),
            place="Aula",
            quota=None,
            area_code=villages[0],
            institutions=[],
            created_by=OFFICIAL,
        )
    database.dispose()
    return training.id, villages[0]


def outcomes(url: str, broadcast_id: int) -> tuple[dict[int, str], str]:
    """Recipient → final state, and the broadcast's status."""
    database = Database(url)
    with database.session() as session:
        rows = session.execute(
            text("select chat_id, state from broadcast_recipient where broadcast_id = :b"),
            {"b": broadcast_id},
        ).all()
        info = outbox.get_broadcast(session, broadcast_id)
    database.dispose()
    return {int(chat): str(state) for chat, state in rows}, info.status if info else "?"


# ---------------------------------------------------------------- one run


async def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def announce(official: FakeUser) -> int:
    """The official's /umumkan flow, as in the chat; returns the broadcast id."""

    def last_text() -> str:
        message = official.last_message
        return message.text or "" if message else ""

    # A person reads each answer before the next tap (a second is quick for a human); a bot
    # answering faster than 1 message/s in one chat would meet Telegram's per-chat limit.
    await official.send_text("/umumkan")
    await wait_until(lambda: "Pengumuman baru" in last_text(), 30, "the compose prompt")
    await asyncio.sleep(1)
    await official.send_text("Pengumuman uji beban: rapat kader se-Kota Bontang.")
    await wait_until(lambda: "Kepada siapa" in last_text(), 30, "the audience question")
    await asyncio.sleep(1)
    await official.press("Semua kader")
    await wait_until(lambda: "Saring menurut lembaga" in last_text(), 30, "the filter")
    await asyncio.sleep(1)
    await official.press("Lanjut")
    await wait_until(lambda: "Penerima:" in last_text(), 60, "the preview")
    await asyncio.sleep(1)
    await official.press("Kirim")
    await wait_until(lambda: "Siaran #" in last_text(), 60, "the confirmation")
    return int(last_text().split("#")[1].split()[0])  # the confirmation or the status message


async def press_loop(
    presser: FakeUser, training_id: int, stop: asyncio.Event, latencies: list[float]
) -> None:
    """An eager cadre pressing a training's "Ikut" every 100 ms; each answer is timed.

    Every press is a real RSVP (a locked write to the training, reads, the answer); after the
    first it is answered "already signed up" without a chat message, as for any double tap.
    """
    anchor = presser.last_message
    assert anchor is not None
    while not stop.is_set():
        before = len(presser.callback_answers)
        started = time.perf_counter()
        await presser.press_data(f"tr:y:{training_id}", message=anchor)
        try:
            await wait_until(lambda b=before: len(presser.callback_answers) > b, 10, "an answer")
        except TimeoutError:
            latencies.append(10_000.0)
        else:
            latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - started)))


async def run_once(db: str, run: Run, folder: Path, number: int) -> Result:
    name = f"forkom_bench_{os.getpid()}_{number}"
    url = fresh_database(db, folder, name)
    # Telegram's limits, the broadcast's one set to exactly the rate asked for: 30/s overall
    # (or `rate` when lower), 1000/s paid (or `rate`), 1/s per chat.
    limits = (
        RateLimits(paid_per_second=run.rate)
        if run.paid
        else RateLimits(global_per_second=min(30, run.rate))
    )
    server = FakeTelegramServer(token=TOKEN, rate_limits=limits, record_calls=False)
    await server.start()
    process = None
    try:
        official = server.new_user(first_name="Dinas", user_id=OFFICIAL)
        presser = server.new_user(first_name="Penekan", user_id=OFFICIAL + 1)
        recipients = [server.new_user(first_name="Kader").id for _ in range(run.recipients)]
        rng = random.Random(7)
        blocked = set(rng.sample(recipients, int(run.recipients * run.blocked)))
        for chat_id in blocked:
            # Blocked while the bot missed the update (no my_chat_member "kicked", which would
            # keep them out of the audience): they are sent to and answer 403.
            server.user(chat_id).chat.blocked = True
        flaky = set(rng.sample(recipients, int(run.recipients * run.flaky)))
        failed_once: set[int] = set()

        def transient_5xx(method: str, params: dict[str, Any]) -> tuple[int, str, None] | None:
            chat_id = params.get("chat_id")
            if method == "sendMessage" and chat_id in flaky and chat_id not in failed_once:
                failed_once.add(chat_id)
                return 502, "Bad Gateway", None
            return None

        server.error_hook = transient_5xx if flaky else None
        rejected = _count_429s(server)
        training_id, _ = seed(url, recipients, presser.id)
        # The fake server lives in this process: a full collection over its 20,000 users and
        # chats stalls it for 100-350 ms, several times a run, and the presses and sends that
        # meet it wait as long (Telegram does not pause for our garbage collector). So no
        # collection here while the bot sends (the run makes ~100 MB): one after it.
        gc.collect()
        gc.freeze()
        gc.disable()

        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": server.base_url,
            "DATABASE_URL": url,
            "FORUM_AREA": FORUM_AREA,
            "ADMIN_IDS": str(OFFICIAL),
            "QUIET_HOURS": "off",
            "BROADCAST_RATE": str(run.rate),
            "PAID_BROADCAST": "true" if run.paid else "false",
            # Unpaid, the bot's whole budget (replies too) is the server's limit: its share of
            # Telegram's 30/s is rate/30.
            "SEND_SHARE": "1" if run.paid else f"{min(30, run.rate)}/30",
            "PTB_TIMEDELTA": "1",
        }
        log = (folder / f"{name}.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=folder, env=env, stdout=log, stderr=log
        )
        await presser.send_text("/menu")  # something to press buttons on; the bot is up
        await wait_until(lambda: presser.last_message is not None, 60, "the bot to start")

        watched = set(recipients)
        start_sent = {"value": 0}

        def delivered_total() -> int:
            stats = server.stats
            return stats.sent - start_sent["value"] - _others(server, watched)

        latencies: list[float] = []
        stop = asyncio.Event()
        presses = asyncio.create_task(press_loop(presser, training_id, stop, latencies))
        await asyncio.sleep(0.5)
        warmup = len(latencies)
        start_sent["value"] = server.stats.sent - _others(server, watched)
        broadcast_id = await announce(official)
        cpu_before = _cpu_seconds(process.pid)

        reachable = run.recipients - len(blocked)
        first = last = None
        deadline = time.monotonic() + run.recipients / (run.rate * 0.8) + 120
        while time.monotonic() < deadline:
            count = delivered_total()
            now = time.perf_counter()
            if first is None and count > 0:
                first = now
            if count >= reachable:
                last = now
                break
            await asyncio.sleep(0.01)
        stop.set()
        await presses
        gc.enable()
        # Wait for the bot to record every outcome (failures included).
        for _ in range(600):
            states, status = outcomes(url, broadcast_id)
            if status == "done":
                break
            await asyncio.sleep(0.1)
        cpu = _cpu_seconds(process.pid) - cpu_before
        reached = sum(1 for chat_id in recipients if server.delivered_count(chat_id))
        duplicates = sum(max(0, server.delivered_count(c) - 1) for c in recipients)
        lost = sum(
            1
            for chat_id in recipients
            if not server.delivered_count(chat_id) and states.get(chat_id) != "failed"
        )
        failed = sum(1 for state in states.values() if state == "failed")
        if lost:
            log_file = folder / f"{name}.log"
            print(log_file.read_text(errors="replace")[-3000:], file=sys.stderr)
        span = (last or time.perf_counter()) - (first or time.perf_counter())
        achieved = reached / span if span > 0 else 0.0
        interactive_429s = {
            "official": rejected.pop(OFFICIAL, 0),
            "presser": rejected.pop(OFFICIAL + 1, 0),
        }
        if any(interactive_429s.values()):
            print(f"  (429s in interactive chats: {interactive_429s})", file=sys.stderr)
        return Result(
            achieved,
            sum(rejected.values()),
            lost,
            duplicates,
            failed,
            latencies[warmup:],
            cpu * 1000 / max(1, reached + len(blocked)),
        )
    except BaseException:
        log_file = folder / f"{name}.log"
        if log_file.exists():
            print(log_file.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        await server.stop()
        gc.enable()
        gc.unfreeze()
        drop_database(db, name)


ARRIVALS: list[float] = []


def _count_429s(server: FakeTelegramServer) -> dict[int, int]:
    """429s per chat, counted where the fake server's flood control refuses a message."""
    rejected: dict[int, int] = {}
    limiter = server.limiter
    assert limiter is not None
    acquire = limiter.acquire

    def counting(chat_id: int, private: bool, paid: bool = False) -> int | None:
        retry = acquire(chat_id, private, paid)
        if retry is not None:
            rejected[chat_id] = rejected.get(chat_id, 0) + 1
            if os.environ.get("BENCH_DEBUG"):
                now = time.monotonic()
                recent = [t for t in ARRIVALS if t > now - 1.0]
                gaps = sorted(b - a for a, b in itertools.pairwise(recent))
                print(
                    f"  429 at {now:.3f}: {len(recent)} in the last second, "
                    f"span {recent[-1] - recent[0]:.3f}s, smallest gaps "
                    f"{[round(g * 1000, 1) for g in gaps[:5]]}ms",
                    file=sys.stderr,
                )
        else:
            ARRIVALS.append(time.monotonic())
        return retry

    limiter.acquire = counting  # type: ignore[method-assign]
    return rejected


def _others(server: FakeTelegramServer, recipients: set[int]) -> int:
    """Messages delivered to chats that are not recipients (the official, the presser)."""
    return server.delivered_count(OFFICIAL) + server.delivered_count(OFFICIAL + 1)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of the bot's process (all threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _p99(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def main_async(args: argparse.Namespace) -> None:
    if args.quick:
        runs = [Run(400, 25, False), Run(4000, 1000, True), Run(4000, 1000, True, 0.05, 0.02)]
    else:
        runs = [Run(2000, 25, False), Run(20_000, 1000, True), Run(20_000, 1000, True, 0.05, 0.02)]
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="forkom-bench-") as tmp:
        for db in databases:
            for number, run in enumerate(runs):
                result = await run_once(db, run, Path(tmp), number)
                line = (
                    f"db={db} recipients={run.recipients} rate_limit={run.rate} "
                    f"achieved={result.achieved:.1f}/s ratio={result.achieved / run.rate:.2f} "
                    f"429s={result.rejected_429} lost={result.lost} "
                    f"duplicates={result.duplicates}"
                    f" bot_cpu_ms_per_message={result.cpu_ms_per_message:.2f}"
                )
                if run.paid:
                    line += f" interactive_p99={_p99(result.interactive_ms):.0f}ms"
                if run.blocked or run.flaky:
                    line += (
                        f" blocked={run.blocked:.0%} transient_5xx={run.flaky:.0%}"
                        f" failed_with_reason={result.failed}"
                    )
                print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (under two minutes)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
