"""A polling bot with no other worker up serves alone: no per-user locks, its memory the truth.

Telegram has one getUpdates consumer, so a polling bot is the only one that gets updates;
the serving lock (`bot.cluster.node`) makes sure no worker serves beside it meanwhile.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection

from bot.app import build_application, prepare_database
from bot.cluster.node import SERVING_KEY
from bot.config import Settings
from bot.ops.runner import serve
from bot.persistence import DatabasePersistence
from storage.db import Database
from storage.locks import TransactionLocks
from tests.auxil.runner import BotRunner
from tests.fakebot import FakeTelegramServer
from tests.ops.conftest import free_port


@pytest.fixture
def user_locks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The per-user lock keys taken, in order."""
    taken: list[int] = []
    acquire = TransactionLocks.acquire

    def counting(self: TransactionLocks, key: int) -> Connection:
        taken.append(key)
        return acquire(self, key)

    monkeypatch.setattr(TransactionLocks, "acquire", counting)
    return taken


async def test_a_bot_alone_takes_no_user_locks_and_hands_its_state_on(
    shared_settings: Settings, server: FakeTelegramServer, user_locks: list[int]
) -> None:
    """Half a registration alone, the rest on a worker among several: the form resumes at its
    step with its draft, so the bot alone wrote everything before it let the others in."""
    runner = BotRunner(shared_settings, server)
    app = await runner.start(alone=True)
    assert app.cluster.solo
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text("Siti Aminah")
    assert "nomor" in user.last_message.text.lower()
    assert user_locks == []
    await runner.stop()

    app = await runner.start()  # as one of several workers: locks and re-reads again
    try:
        assert not app.cluster.solo
        await user.send_text("081234567890")
        await user.press("Bontang Barat")
        await user.press("Kanaan")
        await user.press("PKK")
        await user.press("Simpan")
        assert "Menu utama" in user.last_message.text
        assert len(user_locks) == 5
    finally:
        await runner.stop()


def _polling_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, metrics_port=free_port())


async def test_a_worker_waits_while_a_polling_bot_serves_alone(
    shared_settings: Settings, server: FakeTelegramServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _polling_settings(shared_settings)
    polling = build_application(settings, prepare_database(settings))
    stop_polling = asyncio.Event()
    serving = asyncio.create_task(serve(polling, "polling", stop_polling))
    others: list[Any] = []
    try:
        await server.wait_until_polling(timeout=30)
        assert polling.cluster.solo

        worker = build_application(settings, Database(settings.database_url))
        others.append(worker)
        with caplog.at_level(logging.WARNING, logger="bot.cluster.node"):
            joining = asyncio.create_task(worker.cluster.join(stop=asyncio.Event()))
            await asyncio.sleep(1.5)
            assert not joining.done()
            assert "serves this database alone; waiting until it stops" in caplog.text

            # One told to stop while it waits gives up without serving.
            quitter = build_application(settings, Database(settings.database_url))
            others.append(quitter)
            told = asyncio.Event()
            quitting = asyncio.create_task(quitter.cluster.join(stop=told))
            await asyncio.sleep(0.2)
            told.set()
            assert await asyncio.wait_for(quitting, 5) is False

        stop_polling.set()
        assert await asyncio.wait_for(serving, 30) == 0
        assert await asyncio.wait_for(joining, 10) is True
        assert not worker.cluster.solo

        # A polling bot that finds a worker up joins it instead of serving alone.
        late = build_application(settings, Database(settings.database_url))
        others.append(late)
        assert await late.cluster.join(alone=True) is True
        assert not late.cluster.solo
    finally:
        stop_polling.set()
        await asyncio.gather(serving, return_exceptions=True)
        for app in others:
            await app.cluster.stop()
            app.database.dispose()


async def test_a_bot_alone_that_loses_the_serving_lock_locks_per_user_again(
    shared_settings: Settings, server: FakeTelegramServer, user_locks: list[int]
) -> None:
    """A database restart takes the lock with its connection: another worker could serve now,
    so the bot stops trusting its memory alone (and holds the lock again, shared)."""
    runner = BotRunner(shared_settings, server)
    app = await runner.start(alone=True)
    try:
        app.cluster.interval = 0.2
        high, low = (SERVING_KEY >> 32) & 0xFFFFFFFF, SERVING_KEY & 0xFFFFFFFF
        with app.database.session() as session:
            killed = session.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND classid = :high AND objid = :low AND mode = 'ExclusiveLock'"
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                ),
                {"high": high, "low": low},
            ).all()
        assert killed == [(True,)]
        await server.wait_until(lambda: not app.cluster.solo, timeout=15)
        await server.wait_until(lambda: app.cluster._serving_lock is not None, timeout=15)
        assert isinstance(app.persistence, DatabasePersistence) and app.persistence.shared
        user = server.new_user()
        await user.send_text("/start")
        assert len(user_locks) == 1
    finally:
        await runner.stop()
