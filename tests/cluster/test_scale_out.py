"""Three real `forkom-bot webhook` processes on one PostgreSQL, behind a round-robin proxy.

What production looks like when it scales out: Telegram (the fake server, enforcing its flood
limits) posts every update to one URL, a proxy hands the posts to the workers in turn, and the
workers share nothing but the database. 100 cadres register at once, then a broadcast goes to
them and the worker that sends it is killed with SIGKILL halfway: another takes over, everyone
gets the message, duplicates stay within the bound the README documents, and Telegram never
answers 429.
"""

from __future__ import annotations

import asyncio
import itertools
import string
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientError, ClientSession, ClientTimeout, web
from sqlmodel import select

from bot.config import Settings
from bot.delivery import Payload
from storage import outbox
from storage.db import Database
from storage.models import Cadre
from tests.auxil.process import bot_env, start_bot, stop_bot
from tests.conftest import TOKEN
from tests.fakebot import FakeTelegramServer, RateLimiter, RateLimits
from tests.fakebot.users import FakeUser
from tests.ops.conftest import SECRET, free_port

WORKERS = 3
CADRES = 100
#: Messages a second the registering cadres may cost the bot, all together, and steps waiting
#: for their answer at once: the workers do not share Telegram's 30/s among themselves, so the
#: cadres keep under it and a stalled worker cannot release a burst over it when it catches up.
MESSAGES_PER_SECOND = 22
STEPS_IN_FLIGHT = 6
#: A person reads the answer before taking the next step: at least this long after it came,
#: which keeps every chat under Telegram's 1 message a second (a step may bring two).
THINK_TIME = 1.5
#: Telegram-bound requests in flight at the sender's death (README, "Running several workers").
IN_FLIGHT_BOUND = 4
TAKEOVER_LIMIT = 15.0


@dataclass
class RoundRobinProxy:
    """The reverse proxy: each webhook post goes to the next worker, answered as it answers."""

    backends: list[str]
    forwarded: list[int] = field(default_factory=list)  # posts per backend
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _runner: web.AppRunner | None = None
    _client: ClientSession | None = None
    port: int = 0

    async def start(self) -> str:
        self.forwarded = [0] * len(self.backends)
        self._client = ClientSession(timeout=ClientTimeout(total=30))
        app = web.Application()
        app.router.add_post("/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{self.port}/telegram/hook"

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._client is not None
        index = next(self._turn) % len(self.backends)
        self.forwarded[index] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        try:
            async with self._client.post(
                self.backends[index] + request.path,
                data=await request.read(),
                headers={**headers, "Content-Type": "application/json"},
            ) as answer:
                return web.Response(status=answer.status, body=await answer.read())
        except (ClientError, OSError):
            return web.Response(status=502, text="worker unreachable")

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class Cluster:
    """The running workers, seen from outside: their processes and their `/healthz`."""

    server: FakeTelegramServer
    proxy: RoundRobinProxy
    processes: list[Any]
    roots: list[str]
    http: ClientSession
    database: Database
    logs: Path

    async def health(self, index: int) -> dict[str, Any] | None:
        if self.processes[index].poll() is not None:
            return None
        try:
            async with self.http.get(self.roots[index] + "/healthz") as answer:
                return dict(await answer.json())
        except (ClientError, OSError, TimeoutError, ValueError):
            return None

    async def senders(self) -> list[str | None]:
        answers = await asyncio.gather(*(self.health(i) for i in range(len(self.roots))))
        return [None if a is None else str(a.get("sender")) for a in answers]

    async def leader(self) -> int | None:
        """The worker whose `/healthz` says its sender runs (the others say "standby")."""
        senders = await self.senders()
        running = [i for i, state in enumerate(senders) if state == "running"]
        assert len(running) <= 1, f"two senders at once: {senders}"
        return running[0] if running else None

    async def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            senders = await self.senders()
            if None not in senders and senders.count("running") == 1 and self.server.webhook_url:
                return
            for index, process in enumerate(self.processes):
                if process.poll() is not None:
                    log = (self.logs / f"worker{index}.log").read_text()
                    raise AssertionError(f"worker {index} exited:\n{log}")
            await asyncio.sleep(0.2)
        raise AssertionError(f"the workers did not come up: {await self.senders()}")


@pytest.fixture
async def cluster(
    shared_settings: Settings, server: FakeTelegramServer, tmp_path: Path
) -> AsyncIterator[Cluster]:
    server.rate_limits = RateLimits()  # 30/s overall, 1/s per chat (+2 burst)
    server.limiter = RateLimiter(server.rate_limits)
    server.record_calls = False
    ports = [free_port() for _ in range(WORKERS)]
    roots = [f"http://127.0.0.1:{port}" for port in ports]
    proxy = RoundRobinProxy(roots)
    hook_url = await proxy.start()
    processes = []
    for index, port in enumerate(ports):
        env = bot_env(
            TOKEN,
            server.base_url,
            shared_settings.database_url,
            FORUM_AREA="64.74",
            QUIET_HOURS="off",
            BROADCAST_RATE="25",
            SEND_SHARE=f"1/{WORKERS}",  # each worker keeps its share of Telegram's limits
            MEDIA_DIR=str(tmp_path / "media"),
            WEBHOOK_URL=hook_url,
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_PORT=str(port),
        )
        log = tmp_path / f"worker{index}.log"
        processes.append(start_bot(env, tmp_path, log, "webhook"))
    async with ClientSession(timeout=ClientTimeout(total=5)) as http:
        running = Cluster(
            server, proxy, processes, roots, http, Database(shared_settings.database_url), tmp_path
        )
        try:
            await running.wait_healthy(timeout=60)
            yield running
        finally:
            await asyncio.gather(*(asyncio.to_thread(stop_bot, p) for p in processes))
            await proxy.stop()
            running.database.dispose()


def _name(index: int) -> str:
    """A distinct name of letters only (names with digits are refused)."""
    letters = string.ascii_lowercase
    return f"Kader {letters[index // 26].upper()}{letters[index % 26]}{letters[index % 7]}"


def _phone(index: int) -> str:
    return f"08125{index:07d}"


class Pace:
    """All cadres together: `per_second` messages from the bot, `in_flight` steps unanswered."""

    def __init__(self, per_second: float, in_flight: int) -> None:
        self.gap = 1 / per_second
        self.next = time.monotonic()
        self.lock = asyncio.Lock()
        self.slots = asyncio.Semaphore(in_flight)

    async def turn(self, messages: int) -> None:
        """Wait for the moment a step that makes the bot send `messages` may be taken."""
        async with self.lock:
            now = time.monotonic()
            await asyncio.sleep(max(0.0, self.next - now))
            self.next = max(now, self.next) + self.gap * messages


def _has_button(user: FakeUser, label: str) -> bool:
    for message in user.chat.messages:
        for row in (message.reply_markup or {}).get("inline_keyboard", []):
            if any(label in button.get("text", "") for button in row):
                return True
    return False


async def _register(user: FakeUser, index: int, pace: Pace) -> None:
    """The registration a cadre goes through, waiting for each answer as a person does."""

    last = 0.0

    async def step(action: Callable[[], Any], ready: Callable[[], bool], messages: int) -> None:
        """`messages`: what the bot sends in answer (edits are not flood-limited)."""
        nonlocal last
        await asyncio.sleep(max(0.0, last + THINK_TIME - time.monotonic()))
        async with pace.slots:
            await pace.turn(messages)
            await action()
            await user.wait_for(ready, timeout=30)
        last = time.monotonic()

    def replied(after: int) -> Callable[[], bool]:
        return lambda: len(user.chat.messages) > after

    await step(lambda: user.send_text("/start"), lambda: _has_button(user, "Ya, saya setuju"), 2)
    shown = len(user.chat.messages)
    await step(lambda: user.press("Ya, saya setuju"), replied(shown), 1)
    shown = len(user.chat.messages)
    await step(lambda: user.send_text(_name(index)), replied(shown), 1)
    await step(lambda: user.send_text(_phone(index)), lambda: _has_button(user, "Bontang Barat"), 2)
    await step(lambda: user.press("Bontang Barat"), lambda: _has_button(user, "Kanaan"), 0)
    await step(lambda: user.press("Kanaan"), lambda: _has_button(user, "PKK"), 1)
    await step(lambda: user.press("PKK"), lambda: _has_button(user, "Simpan"), 1)
    await step(
        lambda: user.press("Simpan"),
        lambda: "Menu utama" in (user.last_message.text or "") if user.last_message else False,
        2,
    )


async def test_three_workers_register_broadcast_and_survive_a_sigkill(cluster, server):
    users = [server.new_user() for _ in range(CADRES)]
    ids = [user.id for user in users]

    started = time.monotonic()
    pace = Pace(MESSAGES_PER_SECOND, STEPS_IN_FLIGHT)
    await asyncio.gather(*(_register(user, i, pace) for i, user in enumerate(users)))
    registration = time.monotonic() - started
    assert min(cluster.proxy.forwarded) > 0, cluster.proxy.forwarded
    with cluster.database.session() as session:
        cadres = session.exec(select(Cadre).where(Cadre.telegram_id.in_(ids))).all()  # type: ignore[attr-defined]
    assert len(cadres) == CADRES  # each stored once
    by_id = {c.telegram_id: c for c in cadres}
    for index, user in enumerate(users):
        cadre = by_id[user.id]
        assert cadre.full_name == _name(index)
        assert cadre.phone.endswith(_phone(index)[1:])
        assert cadre.institution == "pkk"

    def received() -> int:
        return sum(server.delivered_count(chat_id) for chat_id in ids)

    before = {chat_id: server.delivered_count(chat_id) for chat_id in ids}
    leader = await cluster.leader()
    assert leader is not None
    with cluster.database.session() as session:
        broadcast_id, _ = outbox.create_broadcast(
            session,
            kind="announcement",
            payload=Payload("Rapat akbar kader").to_json(),
            recipients=ids,
        )
    baseline = received()
    await server.wait_for(lambda: received() - baseline >= 25, timeout=30)
    cluster.processes[leader].kill()
    cluster.processes[leader].wait()
    killed_at = time.monotonic()
    at_kill = received() - baseline
    assert at_kill < CADRES

    takeover: float | None = None
    while time.monotonic() - killed_at < TAKEOVER_LIMIT + 5:
        if await cluster.leader() is not None:
            takeover = time.monotonic() - killed_at
            break
        await asyncio.sleep(0.2)
    assert takeover is not None and takeover <= TAKEOVER_LIMIT

    await server.wait_for(
        lambda: all(server.delivered_count(i) > before[i] for i in ids), timeout=30
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with cluster.database.session() as session:
            info = outbox.get_broadcast(session, broadcast_id)
            counts = outbox.broadcast_status(session, broadcast_id)
        if info is not None and info.status == "done":
            break
        await asyncio.sleep(0.1)
    assert info is not None and info.status == "done"
    assert (counts.sent, counts.failed, counts.remaining) == (CADRES, 0, 0)
    per_chat = [server.delivered_count(i) - before[i] for i in ids]
    duplicates = sum(per_chat) - CADRES
    print(
        f"\nscale-out: {CADRES} registrations in {registration:.1f} s over {WORKERS} workers "
        f"{cluster.proxy.forwarded}; sender killed after {at_kill} sends, another took over in "
        f"{takeover:.1f} s; duplicates {duplicates}; 429s {server.stats.rejected_429}"
    )
    assert min(per_chat) == 1  # nobody lost
    assert duplicates <= IN_FLIGHT_BOUND
    assert server.stats.rejected_429 == 0
