"""Does one user flooding the bot slow down everyone else? (issue 10, security review F1)

Runs the real program (`python -m bot`) against the project's fake Telegram server on
loopback, with a fresh database. First 20 new users register at once (the baseline); then 20
more register while one other user sends 1,000 messages as fast as the fake server takes
them. Each registration step (a tap or a typed answer until the bot shows the next step) is
timed; the bot's memory (VmRSS) is read before and after the flood, and the updates it
dropped from its `/metrics`.

    python bench/flood.py                   # SQLite
    python bench/flood.py --db postgresql --flood 1000 --users 20

Prints one line per database: db=… flood_p99_ms=… baseline_p99_ms=… ratio=… rss_mb_before=…
rss_mb_after=… dropped=… flood_answered=… — the goal is flood_p99 ≤ max(3 × baseline_p99,
500 ms) with memory bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from aiohttp import ClientSession  # noqa: E402

from tests.auxil import databases  # noqa: E402
from tests.auxil.process import bot_env, start_bot, stop_bot  # noqa: E402
from tests.fakebot import FakeTelegramServer  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _shows(user: Any, expect: str):  # type: ignore[no-untyped-def]
    """Condition: the newest bot message (text or buttons) mentions `expect`."""

    def shown() -> bool:
        last = user.last_message
        return last is not None and expect in (last.text or "") + str(last.buttons)

    return shown


async def _register(server: FakeTelegramServer, index: int) -> list[float]:
    """One new cadre's registration; the time of each step in ms."""
    user = server.new_user(first_name=f"Kader{index}")
    steps = [
        (lambda: user.send_text("/start"), "UU No. 27"),
        (lambda: user.press("Ya, saya setuju"), "nama lengkap"),
        (lambda: user.send_text("Siti Aminah"), "nomor HP"),
        (lambda: user.send_text(f"0812{index:08d}"), "Bontang Barat"),
        (lambda: user.press("Bontang Barat"), "Kanaan"),
        (lambda: user.press("Kanaan"), "PKK"),
        (lambda: user.press("PKK"), "Simpan"),
        (lambda: user.press("Simpan"), "Menu utama"),
    ]
    times = []
    for action, expect in steps:
        began = time.perf_counter()
        await action()
        await user.wait_for(_shows(user, expect), timeout=60)
        times.append((time.perf_counter() - began) * 1000)
    return times


async def _flood(server: FakeTelegramServer, count: int) -> Any:
    """One user sends `count` messages, each as soon as the previous one is queued."""
    user = server.new_user(first_name="Banjir")
    for n in range(count):
        user.flood_texts([f"pesan nomor {n}"])
        await asyncio.sleep(0)  # let the server and the other users run in between
    return user


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _dropped(port: int) -> int:
    async with ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as answer:
        body = await answer.text()
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in body.splitlines()
            if line.startswith("forkom_updates_dropped_total{")
        )
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _quiet(server: FakeTelegramServer, seconds: float = 60) -> None:
    """Until the bot has fetched everything (the flood's backlog drains in the bot)."""
    deadline = time.monotonic() + seconds
    while server.pending_update_count and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def run(db: str, users: int, flood: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = (
            f"sqlite:///{folder / 'bench.db'}"
            if db == "sqlite"
            else databases.make_postgres_database("bench_flood")
        )
        port = _free_port()
        try:
            async with FakeTelegramServer(token=TOKEN, bot_username="forkom_bench_bot") as server:
                env = bot_env(
                    TOKEN, server.base_url, url, FORUM_AREA="64.74", METRICS_PORT=str(port)
                )
                process = start_bot(env, folder, folder / "bot.log")
                try:
                    await server.wait_until_polling(timeout=120)
                    baseline = await asyncio.gather(*(_register(server, i) for i in range(users)))
                    await asyncio.sleep(1)
                    rss_before = _rss_mb(process.pid)
                    flooding = asyncio.create_task(_flood(server, flood))
                    during = await asyncio.gather(
                        *(_register(server, users + i) for i in range(users))
                    )
                    flooder = await flooding
                    await _quiet(server)
                    await asyncio.sleep(2)  # what was admitted finishes
                    rss_after = _rss_mb(process.pid)
                    dropped = await _dropped(port)
                finally:
                    stop_bot(process)
        finally:
            if db != "sqlite":
                databases.drop_postgres_database(url)
    base = [ms for steps in baseline for ms in steps]
    flooded = [ms for steps in during for ms in steps]
    base_p99, flood_p99 = _pct(base, 0.99), _pct(flooded, 0.99)
    print(
        f"db={db} users={users} flood={flood} flood_p99_ms={flood_p99:.0f} "
        f"baseline_p99_ms={base_p99:.0f} ratio={flood_p99 / base_p99:.2f} "
        f"flood_p50_ms={_pct(flooded, 0.5):.0f} baseline_p50_ms={_pct(base, 0.5):.0f} "
        f"rss_mb_before={rss_before:.0f} rss_mb_after={rss_after:.0f} dropped={dropped} "
        f"flood_answered={len(flooder.messages)} "
        f"goal_met={flood_p99 <= max(3 * base_p99, 500)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--flood", type=int, default=1000)
    args = parser.parse_args()
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        asyncio.run(run(db, args.users, args.flood))


if __name__ == "__main__":
    main()
