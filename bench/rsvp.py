"""A burst of "Ikut" taps on one training: is every tap recorded once, and how fast is it answered?

(issue 15 goal 4.) Fills a fresh database with 1,000 registered cadres of one kelurahan and
one training for them with 300 seats, runs the real program (`python -m bot`) against the
project's fake Telegram server on loopback — with Telegram's flood limits enforced (30
messages a second per bot, one a second per chat) — and has every cadre tap "Ikut" once,
the taps spread evenly over one second. A tap's time runs from the moment it is queued at
the fake server to the bot's answerCallbackQuery (the toast the cadre sees; Telegram does
not rate-limit these answers, while the confirmation messages that follow share the 30/s).

    python bench/rsvp.py                         # SQLite and PostgreSQL
    python bench/rsvp.py --db sqlite --cadres 1000 --seats 300 --spread 1

Prints one line per database: db=… taps=… recorded=… seats=… waiting=… double_counted=…
p50_ms=… p99_ms=… max_ms=… confirmations=… (confirmation messages delivered) wall_s=…
cpu_ms_per_tap=… (the bot process's CPU time per tap), and, measured in the same run on the
same taps, echo_p99_ms=… echo_cpu_ms_per_tap=… of a minimal python-telegram-bot bot that
only answers each tap (the floor of any PTB bot on this machine).
Goal: every tap recorded once, 300 seats and 700 waiting, p99 ≤ 2,000 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from sqlmodel import select  # noqa: E402

from bench.stats import Loader, _fresh_database  # noqa: E402
from bot.callbacks import TrainingButton  # noqa: E402
from storage import training as store  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import TrainingRsvp, utcnow  # noqa: E402
from tests.auxil import databases  # noqa: E402
from tests.auxil.process import bot_env, start_bot, stop_bot  # noqa: E402
from tests.fakebot import FakeTelegramServer  # noqa: E402
from tests.fakebot.models import SentMessage  # noqa: E402
from tests.fakebot.ratelimit import RateLimits  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
KANAAN = "64.74.03.1001"
FIRST_ID = 30_000_000


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used: on a shared machine the wall clock
    also counts waiting for a core."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fill(url: str, cadres: int, seats: int) -> int:
    """The cadres (registered, in one kelurahan) and the training; returns its id."""
    database = Database(url)
    now = utcnow()
    ids = [FIRST_ID + n for n in range(cadres)]
    loader = Loader(database)
    loader.load(
        "app_user",
        ("telegram_id", "language", "telegram_language", "last_seen_at", "created_at"),
        ((i, "id", "id", now, now) for i in ids),
    )
    loader.load(
        "cadre",
        ("telegram_id", "full_name", "phone", "village_code", "institution",
         "receive_broadcasts", "consent_at", "registered_at", "updated_at"),
        ((i, f"Kader {n}", f"+62812{n:08d}", KANAAN, "pkk", True, now, now, now)
         for n, i in enumerate(ids)),
    )  # fmt: skip
    with database.session() as session:
        training = store.create_training(
            session,
            title="Pelatihan Kader Posyandu",
            description="Materi: gizi balita dan pencatatan KMS.",
            starts_at=now + timedelta(days=7),
            place="Aula Kelurahan Kanaan",
            quota=seats,
            area_code=KANAAN,
            institutions=[],
            created_by=9001,
        )
    database.dispose()
    return training.id


def _announcement(server: FakeTelegramServer, user_id: int, training_id: int) -> SentMessage:
    """The announcement as it sits in the cadre's chat (put there directly: the bench is
    about the taps, not the broadcast)."""
    chat = server.chat(user_id)
    mid = chat.next_message_id()
    data = TrainingButton("y", training_id=training_id).pack()
    markup = {"inline_keyboard": [[{"text": "Ikut", "callback_data": data}]]}
    raw = {
        "message_id": mid,
        "from": {"id": 123456, "is_bot": True, "first_name": "Forkom"},
        "chat": chat.to_dict(),
        "date": int(time.time()),
        "text": "Pelatihan Kader Posyandu",
        "reply_markup": markup,
    }
    message = SentMessage(mid, user_id, raw["text"], raw["text"], None, "text", raw)
    message.set_markup(markup)
    chat.add(message)
    return message


async def _taps(
    server: FakeTelegramServer,
    users: list[Any],
    messages: list[SentMessage],
    spread: float,
    process: subprocess.Popen[bytes],
) -> tuple[list[float], float, float]:
    """Each user taps once, the taps spread over `spread` s; returns each tap's time to its
    answer (ms), the wall time until the last answer (s) and the process's CPU time (s)."""
    data = next(d for row in messages[0].button_data for d in row if d)
    sent_at: dict[str, float] = {}
    cpu_before = _cpu_s(process.pid)
    began = time.perf_counter()
    for n, (user, message) in enumerate(zip(users, messages, strict=True)):
        due = began + spread * n / len(users)
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        [update] = user.flood_presses(data, 1, message=message)
        sent_at[update["callback_query"]["id"]] = time.time()
    await server.wait_until(lambda: all(u.callback_answers for u in users), timeout=300)
    wall = time.perf_counter() - began
    cpu = _cpu_s(process.pid) - cpu_before
    answered = {
        str(c.params["callback_query_id"]): c.timestamp
        for c in server.calls_for("answerCallbackQuery")
        if c.status == 200
    }
    return [(answered[q] - t0) * 1000 for q, t0 in sent_at.items()], wall, cpu


async def tap_burst(
    db: str, url: str, folder: Path, cadres: int, seats: int, spread: float
) -> dict[str, float]:
    training_id = fill(url, cadres, seats)
    limits = RateLimits()  # Telegram's: 30/s per bot, 1/s per chat
    async with FakeTelegramServer(
        token=TOKEN, bot_username="forkom_bench_bot", rate_limits=limits
    ) as server:
        users = [server.new_user(first_name=f"K{n}", user_id=FIRST_ID + n) for n in range(cadres)]
        messages = [_announcement(server, u.id, training_id) for u in users]
        # The floor first: the same taps answered by a minimal PTB bot.
        echo = subprocess.Popen(  # noqa: ASYNC220 (started once, before any timing)
            [sys.executable, __file__, "--serve-echo", server.base_url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await server.wait_until_polling(timeout=120)
            echo_latencies, _, echo_cpu = await _taps(server, users, messages, spread, echo)
        finally:
            # From a thread: the server goes on answering while a bot stops (its last calls).
            await asyncio.to_thread(stop_bot, echo)
        for user in users:
            user.callback_answers.clear()
        server.calls.clear()
        env = bot_env(TOKEN, server.base_url, url, FORUM_AREA="64.74")
        started = time.monotonic()
        process = start_bot(env, folder, folder / f"bot-{db}.log")
        try:
            # The bot's own poll: the echo bot's last one may still be waiting at the server.
            await server.wait_until_polling(timeout=120, since=started)
            latencies, wall, cpu = await _taps(server, users, messages, spread, process)
            await asyncio.sleep(2)  # confirmations still under way are not waited for
        finally:
            # It sends the confirmations still queued first (for up to its stop's grace).
            await asyncio.to_thread(stop_bot, process, timeout=120)
        answers = Counter(u.callback_answers[0]["text"] for u in users)
        confirmations = sum(len(u.messages) - 1 for u in users)
    database = Database(url)
    with database.session() as session:
        rows = session.exec(select(TrainingRsvp)).all()
        counts = store.seats(session, training_id)
    database.dispose()
    per_cadre = Counter(r.telegram_id for r in rows)
    told_new = answers["✅ Anda terdaftar!"] + sum(
        n for text, n in answers.items() if text.startswith("Kuota penuh")
    )
    return {
        "taps": len(latencies),
        "recorded": len(per_cadre),
        "seats": counts.going,
        "waiting": counts.waiting,
        "double_counted": sum(n - 1 for n in per_cadre.values()) + max(0, told_new - len(rows)),
        "p50_ms": _pct(latencies, 0.5),
        "p99_ms": _pct(latencies, 0.99),
        "max_ms": max(latencies),
        "confirmations": confirmations,
        "wall_s": wall,
        "cpu_ms_per_tap": cpu * 1000 / len(latencies),
        "echo_p99_ms": _pct(echo_latencies, 0.99),
        "echo_cpu_ms_per_tap": echo_cpu * 1000 / len(echo_latencies),
    }


def run(db: str, cadres: int, seats: int, spread: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = _fresh_database(db, folder)
        try:
            figures = asyncio.run(tap_burst(db, url, folder, cadres, seats, spread))
        finally:
            if db != "sqlite":
                databases.drop_postgres_database(url)
    print(
        f"db={db} taps={figures['taps']} recorded={figures['recorded']} "
        f"seats={figures['seats']} waiting={figures['waiting']} "
        f"double_counted={figures['double_counted']} p50_ms={figures['p50_ms']:.0f} "
        f"p99_ms={figures['p99_ms']:.0f} max_ms={figures['max_ms']:.0f} "
        f"confirmations={figures['confirmations']} wall_s={figures['wall_s']:.1f} "
        f"cpu_ms_per_tap={figures['cpu_ms_per_tap']:.1f} "
        f"echo_p99_ms={figures['echo_p99_ms']:.0f} "
        f"echo_cpu_ms_per_tap={figures['echo_cpu_ms_per_tap']:.1f}",
        flush=True,
    )


def _serve_echo(base_url: str) -> None:
    """A minimal python-telegram-bot bot answering every button tap: the floor any PTB bot
    pays per tap on this machine (update parsing, dispatch, one HTTP call), measured in the
    same run."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes

    async def answer(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("ok")

    app = ApplicationBuilder().token(TOKEN).base_url(base_url).concurrent_updates(64).build()
    app.add_handler(CallbackQueryHandler(answer))
    app.run_polling(poll_interval=0, timeout=1, stop_signals=(signal.SIGINT,))


def main() -> None:
    if sys.argv[1:2] == ["--serve-echo"]:
        _serve_echo(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cadres", type=int, default=1000)
    parser.add_argument("--seats", type=int, default=300)
    parser.add_argument("--spread", type=float, default=1.0, help="seconds the taps span")
    args = parser.parse_args()
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(db, args.cadres, args.seats, args.spread)


if __name__ == "__main__":
    main()
