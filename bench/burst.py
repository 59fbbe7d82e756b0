"""A burst of new cadres: does every one of them get through registration, and how fast?

500 users open the registration deep link (`/start <kelurahan>`) within 10 s and go through
registration as fast as the bot answers (consent → name → phone → lembaga → Simpan), against
the fake Telegram server with Telegram's limits enforced (30/s overall, 1/s per private chat
with a burst of 2 more; 429 beyond). The bot runs as its own process (`python -m bot`), as in
production. In the same run a minimal python-telegram-bot echo bot (its own process too, the
same send budget, `concurrent_updates`) answers the same number of users and updates.

    python bench/burst.py                    # SQLite, 500 users
    python bench/burst.py --db postgresql --users 200

Prints one line per database:
users=… step_p95_ms=… step_p99_ms=… unanswered=… apologies=… updates_per_s=… cpu_ms_per_update=…
forced_p95_ms=… forced_p99_ms=… beyond_p95_ms=… beyond_p99_ms=… messages=… echo_updates_per_s=… echo_cpu_ms_per_update=…

A step is one update (a message or a button press) until the answer it waits for is on
screen. 500 registrations are ~4,500 messages: at 30/s that is 2½ minutes of sending however
fast the bot is, so most of a step's time is the queue for Telegram's limit. `forced` is that
part: the step's answer sent by a perfect sender that has the budget the bot gives replies —
all of Telegram's 30/s (`SEND_SHARE=1`, no broadcast running), paced evenly at the pace's
start rate (98%), first come first served, a private chat one message a second after a burst
of two — from the moment each update was sent. `beyond_p95` = step p95 − forced p95 (and
p99 alike): the bot's own time (handlers, database, HTTP) and any queueing it adds.
`updates_per_s` = updates ÷ (last answer − first update); `cpu_ms_per_update` = the bot
process's CPU time (user + system, all threads) ÷ updates.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import heapq
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from bot.delivery.budget import MESSAGE_METHODS  # noqa: E402
from bot.delivery.pacing import START  # noqa: E402
from tests.auxil import databases  # noqa: E402
from tests.auxil.process import bot_env, start_bot, stop_bot  # noqa: E402
from tests.fakebot import FakeTelegramServer, FakeUser, RateLimits  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
KANAAN = "64.74.03.1003"  # a kelurahan of Kota Bontang: the deep link opens registration there
APOLOGY = "Maaf, terjadi kesalahan"
STEP_TIMEOUT = 300.0
GLOBAL_RATE = 30.0 * START  # the budget replies get (see the docstring)
CHAT_INTERVAL, CHAT_BURST = 1.0, 2


@dataclass
class Step:
    user: int
    sent: float  # when the update was queued at the server
    answered: float | None = None  # when the awaited answer was there


@dataclass
class Watch:
    """Per-chat wake-ups and the accepted message sends, recorded at the server."""

    events: dict[int, asyncio.Event] = field(default_factory=dict)
    changes: dict[int, int] = field(default_factory=dict)  # messages and edits per chat
    messages: dict[int, list[float]] = field(default_factory=dict)
    total_messages: int = 0

    def event(self, chat_id: int) -> asyncio.Event:
        return self.events.setdefault(chat_id, asyncio.Event())


def watch_server(server: FakeTelegramServer) -> Watch:
    """Wake a user's coroutine when the bot touches its chat (instead of the fake server's
    re-check of every waiter after every call, which costs O(users) per request)."""
    watch = Watch()
    finish = server._finish

    def finishing(method: str, params: dict[str, Any], status: int, body: bytes) -> Any:
        response = finish(method, params, status, body)
        chat_id = params.get("chat_id")
        if chat_id is None and isinstance(params.get("callback_query_id"), str):
            return response
        if status == 200 and chat_id is not None:
            try:
                chat = int(chat_id)
            except (TypeError, ValueError):
                return response
            if method in MESSAGE_METHODS:
                watch.messages.setdefault(chat, []).append(time.monotonic())
                watch.total_messages += 1
            watch.changes[chat] = watch.changes.get(chat, 0) + 1
            event = watch.events.get(chat)
            if event is not None:
                event.set()
        return response

    server._finish = finishing  # type: ignore[method-assign]
    return watch


def _screen(user: FakeUser) -> str:
    message = user.last_message
    if message is None:
        return ""
    return (message.text or "") + str(message.buttons)


async def _step(
    watch: Watch,
    user: FakeUser,
    action: Callable[[], Awaitable[Any]],
    expect: str,
    steps: list[Step],
) -> bool:
    event = watch.event(user.id)
    event.clear()
    before = watch.changes.get(user.id, 0)
    step = Step(user.id, time.monotonic())
    steps.append(step)
    await action()
    deadline = step.sent + STEP_TIMEOUT
    # The answer: a new message or an edit since the update, showing `expect` (an earlier
    # screen may mention it too: the consent text names the data it asks for).
    while watch.changes.get(user.id, 0) == before or expect not in _screen(user):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        event.clear()
        try:
            async with asyncio.timeout(min(remaining, 5.0)):
                await event.wait()
        except TimeoutError:
            pass
    step.answered = time.monotonic()
    return True


async def registrant(
    server: FakeTelegramServer, watch: Watch, steps: list[Step], *, index: int, delay: float
) -> None:
    user = server.new_user(first_name=f"Kader{index}")
    await asyncio.sleep(delay)
    flow: list[tuple[Callable[[], Awaitable[Any]], str]] = [
        (lambda: user.send_text(f"/start {KANAAN}"), "UU No. 27"),
        (lambda: user.press("Ya, saya setuju"), "nama lengkap"),
        (lambda: user.send_text("Siti Aminah"), "nomor HP"),
        (lambda: user.send_text(f"0812{index:08d}"), "PKK"),
        (lambda: user.press("PKK"), "Simpan"),
        (lambda: user.press("Simpan"), "Menu utama"),
    ]
    for action, expect in flow:
        if not await _step(watch, user, action, expect, steps):
            return


async def echo_user(
    server: FakeTelegramServer,
    watch: Watch,
    steps: list[Step],
    *,
    index: int,
    delay: float,
    count: int,
) -> None:
    user = server.new_user(first_name=f"Gema{index}")
    await asyncio.sleep(delay)
    for n in range(count):
        text = f"gema {index} {n}"
        if not await _step(watch, user, functools.partial(user.send_text, text), text, steps):
            return


def forced_delays(steps: list[Step], watch: Watch) -> list[float]:
    """Per answered step: when a perfect sender with the replies' budget would have delivered
    the step's last message, counted from the update (see the module docstring).

    Each message is ready when its update came and its chat may get one more (a step's
    messages one after the other); ready messages take the global slots in the order they
    became ready.
    """
    heap: list[tuple[float, int, int]] = []  # (ready, step order, messages left)
    for order, step in enumerate(steps):
        if step.answered is None:
            continue
        times = watch.messages.get(step.user, [])
        count = sum(1 for t in times if step.sent < t <= step.answered)
        heap.append((step.sent, order, count))
    heapq.heapify(heap)
    next_global = 0.0
    chat_tat: dict[int, float] = {}
    forced: dict[int, float] = {}
    while heap:
        ready, order, left = heapq.heappop(heap)
        step = steps[order]
        if left == 0:
            forced[order] = 0.0
            continue
        tat = chat_tat.get(step.user, 0.0)
        chat_ready = tat - (CHAT_BURST - 1) * CHAT_INTERVAL
        if chat_ready > ready:  # not ready after all: its chat is busy until then
            heapq.heappush(heap, (chat_ready, order, left))
            continue
        at = max(ready, next_global)
        next_global = at + 1.0 / GLOBAL_RATE
        chat_tat[step.user] = max(tat, at) + CHAT_INTERVAL
        if left > 1:
            heapq.heappush(heap, (at, order, left - 1))
        else:
            forced[order] = at - step.sent
    return [forced[order] for order in sorted(forced)]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    steps: list[Step]
    span: float
    cpu: float
    messages: int
    apologies: int
    forced: list[float]


async def measure(
    server: FakeTelegramServer,
    process: subprocess.Popen[bytes],
    users: list[Callable[[Watch, list[Step]], Awaitable[None]]],
) -> Measured:
    watch = watch_server(server)
    steps: list[Step] = []
    cpu_before = _cpu_seconds(process.pid)
    await asyncio.gather(*(user(watch, steps) for user in users))
    cpu = _cpu_seconds(process.pid) - cpu_before
    answered = [s.answered for s in steps if s.answered is not None]
    first = min(s.sent for s in steps)
    last = max(answered, default=first)
    apologies = sum(
        1
        for chat in list(watch.events)
        for message in server.user(chat).messages
        if APOLOGY in (message.text or "")
    )
    return Measured(
        steps, last - first, cpu, watch.total_messages, apologies, forced_delays(steps, watch)
    )


ECHO_BOT = """
import os, sys
sys.path.insert(0, os.environ["PYTHONPATH"])
from telegram.ext import ApplicationBuilder, MessageHandler, filters
from bot.config import Settings
from bot.delivery.budget import BudgetLimiter, SendBudget

async def echo(update, context):
    await update.effective_chat.send_message(update.effective_message.text)

budget = SendBudget.for_settings(Settings(token="x"))
app = (
    ApplicationBuilder()
    .token(os.environ["TELEGRAM_BOT_TOKEN"])
    .base_url(os.environ["TELEGRAM_API_BASE_URL"])
    .concurrent_updates(True)
    .rate_limiter(BudgetLimiter(budget))
    .build()
)
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling(poll_interval=0, timeout=1)
"""


def start_echo_bot(env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    with (folder / "echo.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-c", ECHO_BOT], cwd=folder, env=env, stdout=log, stderr=log
        )


def count_polls(server: FakeTelegramServer) -> list[int]:
    """From now on, count getUpdates calls (the echo bot is up once it polls)."""
    polls = [0]
    poll = server.poll_updates

    async def counting(*args: Any, **kwargs: Any) -> Any:
        polls[0] += 1
        return await poll(*args, **kwargs)

    server.poll_updates = counting  # type: ignore[method-assign]
    return polls


async def wait_for_poll(polls: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not polls[0]:
        if time.monotonic() > deadline:
            raise TimeoutError("the echo bot did not start polling")
        await asyncio.sleep(0.05)


async def run(db: str, users: int, window: float) -> None:
    rng = random.Random(5)
    delays = sorted(rng.uniform(0, window) for _ in range(users))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = (
            f"sqlite:///{folder / 'bench.db'}"
            if db == "sqlite"
            else databases.make_postgres_database("burst")
        )
        async with FakeTelegramServer(
            token=TOKEN, bot_username="forkom_bench_bot", rate_limits=RateLimits()
        ) as server:
            server.record_calls = False
            env = bot_env(TOKEN, server.base_url, url, FORUM_AREA="64.74", QUIET_HOURS="off")
            process = start_bot(env, folder, folder / "bot.log")
            try:
                await server.wait_until_polling(timeout=120)
                ours = await measure(
                    server,
                    process,
                    [
                        functools.partial(registrant, server, index=i, delay=d)
                        for i, d in enumerate(delays)
                    ],
                )
            finally:
                stop_bot(process, timeout=60)
            per_user = len(ours.steps) // max(1, users)
            polls = count_polls(server)
            echo = start_echo_bot({**env, "PYTHONPATH": str(ROOT)}, folder)
            try:
                await wait_for_poll(polls, timeout=60)
                theirs = await measure(
                    server,
                    echo,
                    [
                        functools.partial(echo_user, server, index=i, delay=d, count=per_user)
                        for i, d in enumerate(delays)
                    ],
                )
            finally:
                stop_bot(echo, timeout=60)
                if os.environ.get("BURST_DEBUG"):
                    print((folder / "echo.log").read_text()[-3000:])
        if db != "sqlite":
            databases.drop_postgres_database(url)
    report(db, users, ours, theirs)


def report(db: str, users: int, ours: Measured, theirs: Measured) -> None:
    answered = [s for s in ours.steps if s.answered is not None]
    latencies = [(s.answered - s.sent) for s in answered]  # type: ignore[operator]
    # Beyond = the steps' percentile less the same percentile of the forced part. Not per step:
    # the bot serves the queued replies in another order than the ideal first-come sender, so
    # per-step differences would measure that reordering, not the bot's own time.
    beyond_p95 = _pct(latencies, 0.95) - _pct(ours.forced, 0.95)
    beyond_p99 = _pct(latencies, 0.99) - _pct(ours.forced, 0.99)
    unanswered = len(ours.steps) - len(answered)
    expected = users * 6
    unanswered += expected - len(ours.steps)  # steps never reached after an unanswered one
    updates = len(answered)
    echo_updates = sum(1 for s in theirs.steps if s.answered is not None)
    print(
        f"db={db} users={users} step_p95_ms={_pct(latencies, 0.95) * 1000:.0f} "
        f"step_p99_ms={_pct(latencies, 0.99) * 1000:.0f} unanswered={unanswered} "
        f"apologies={ours.apologies} updates_per_s={updates / ours.span:.1f} "
        f"cpu_ms_per_update={ours.cpu * 1000 / max(1, updates):.1f} "
        f"forced_p95_ms={_pct(ours.forced, 0.95) * 1000:.0f} "
        f"forced_p99_ms={_pct(ours.forced, 0.99) * 1000:.0f} "
        f"beyond_p95_ms={beyond_p95 * 1000:.0f} beyond_p99_ms={beyond_p99 * 1000:.0f} "
        f"messages={ours.messages} "
        f"echo_updates_per_s={echo_updates / theirs.span:.1f} "
        f"echo_cpu_ms_per_update={theirs.cpu * 1000 / max(1, echo_updates):.1f} "
        f"echo_unanswered={len(theirs.steps) - echo_updates}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--window", type=float, default=10.0, help="seconds the users arrive in")
    args = parser.parse_args()
    for db in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        asyncio.run(run(db, args.users, args.window))


if __name__ == "__main__":
    main()
