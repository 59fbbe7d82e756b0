"""How fast does a new cadre get an answer to /start, and how long does a registration take?

Runs the real program (`python -m bot`) against the project's fake Telegram server on
loopback, with a fresh database, and has many simulated users start at once.

    python bench/start_latency.py                      # SQLite, 200 users
    python bench/start_latency.py --db postgresql --users 500

Prints one line: db=… users=… start_p50_ms=… start_p95_ms=… start_max_ms=… register_p95_ms=…
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from tests.auxil import databases  # noqa: E402
from tests.auxil.process import bot_env, start_bot, stop_bot  # noqa: E402
from tests.fakebot import FakeTelegramServer  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _shows(user, expect: str):  # type: ignore[no-untyped-def]
    """Condition: the newest bot message (text or buttons) mentions `expect`."""
    return lambda: expect in (user.last_message.text or "") + str(user.last_message.buttons)


async def _one_user(server: FakeTelegramServer, index: int) -> tuple[float, float]:
    user = server.new_user(first_name=f"Kader{index}")
    began = time.perf_counter()
    await user.send_text("/start")
    await user.wait_for_message(lambda m: "UU No. 27" in (m.text or ""), timeout=30)
    first = time.perf_counter() - began
    steps = [
        (lambda: user.press("Ya, saya setuju"), "nama lengkap"),
        (lambda: user.send_text("Siti Aminah"), "nomor HP"),
        (lambda: user.send_text(f"0812{index:08d}"), "Bontang Barat"),
        (lambda: user.press("Bontang Barat"), "Kanaan"),
        (lambda: user.press("Kanaan"), "PKK"),
        (lambda: user.press("PKK"), "Simpan"),
        (lambda: user.press("Simpan"), "Menu utama"),
    ]
    for action, expect in steps:
        await action()
        await user.wait_for(_shows(user, expect), timeout=30)
    return first, time.perf_counter() - began


async def run(db: str, users: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = (
            f"sqlite:///{folder / 'bench.db'}"
            if db == "sqlite"
            else databases.make_postgres_database("bench")
        )
        async with FakeTelegramServer(token=TOKEN, bot_username="forkom_bench_bot") as server:
            env = bot_env(TOKEN, server.base_url, url, FORUM_AREA="64.74")
            process = start_bot(env, folder, folder / "bot.log")
            try:
                await server.wait_until_polling(timeout=120)
                results = await asyncio.gather(*(_one_user(server, i) for i in range(users)))
            finally:
                stop_bot(process)
        if db != "sqlite":
            databases.drop_postgres_database(url)
    starts = [r[0] * 1000 for r in results]
    registrations = [r[1] * 1000 for r in results]
    print(
        f"db={db} users={users} start_p50_ms={statistics.median(starts):.0f} "
        f"start_p95_ms={_pct(starts, 0.95):.0f} start_max_ms={max(starts):.0f} "
        f"register_p95_ms={_pct(registrations, 0.95):.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.db, args.users))


if __name__ == "__main__":
    main()
