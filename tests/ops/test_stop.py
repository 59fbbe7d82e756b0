"""A clean stop: SIGTERM mid-broadcast exits 0 quickly, and the next start finishes the job."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time

from bot.delivery import Payload
from storage import outbox
from storage.db import Database
from tests.auxil.process import bot_env
from tests.conftest import TOKEN
from tests.fakebot import FakeTelegramServer


async def test_sigterm_mid_broadcast_exits_0_and_the_restart_loses_nobody(
    server: FakeTelegramServer, database_url, tmp_path
):
    # The fixture's database is migrated; prepare_database would claim the SQLite file for
    # this process, and the bots below are other processes.
    database = Database(database_url)
    users = [server.new_user() for _ in range(80)]
    ids = [user.id for user in users]
    with database.session() as session:
        broadcast_id, _ = outbox.create_broadcast(
            session, kind="announcement", payload=Payload("Rapat akbar").to_json(), recipients=ids
        )
    database.dispose()
    env = bot_env(
        TOKEN, server.base_url, database_url,
        FORUM_AREA="64.74", QUIET_HOURS="off", BROADCAST_RATE="25", LOG_FORMAT="json",
    )  # fmt: skip
    log = tmp_path / "bot.log"

    async def spawn() -> asyncio.subprocess.Process:
        with log.open("ab") as handle:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=tmp_path, env=env, stdout=handle, stderr=handle
            )

    def received() -> int:
        return sum(server.delivered_count(chat_id) for chat_id in ids)

    first = await spawn()
    try:
        await server.wait_for(lambda: received() >= 25, timeout=60)
    finally:
        first.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        code = await asyncio.wait_for(first.wait(), 20)
    took = time.monotonic() - asked
    print(f"stopped {took:.1f} s after SIGTERM with {received()} of 80 sent")
    assert code == 0, log.read_text()
    assert took < 15
    at_stop = received()
    assert at_stop < len(ids)
    verify = Database(database_url)
    with verify.session() as session:
        counts = outbox.broadcast_status(session, broadcast_id)
    # Everything that went out is recorded; nothing is left claimed ("sending").
    assert counts.sent == at_stop and counts.sending == 0

    second = await spawn()
    try:
        await server.wait_for(lambda: all(server.delivered_count(i) for i in ids), timeout=30)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while loop.time() < deadline:
            with verify.session() as session:
                info = outbox.get_broadcast(session, broadcast_id)
                counts = outbox.broadcast_status(session, broadcast_id)
            if info is not None and info.status == "done":
                break
            await asyncio.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 20) == 0
        verify.dispose()
    assert info is not None and info.status == "done"
    assert (counts.sent, counts.failed, counts.remaining) == (80, 0, 0)
    per_chat = [server.delivered_count(chat_id) for chat_id in ids]
    assert min(per_chat) == 1 and max(per_chat) == 1  # nobody lost, nobody twice
    # LOG_FORMAT=json: every line the bot wrote is one JSON object.
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert any("SIGTERM" in entry["message"] for entry in entries)
    assert not any(entry["logger"].startswith(("alembic", "apscheduler")) for entry in entries)
