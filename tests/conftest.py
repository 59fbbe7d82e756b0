"""Shared fixtures: a database per test (SQLite and PostgreSQL), the fake Telegram server, and
the real bot running against both."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.auxil import databases
from tests.auxil.runner import BotRunner
from tests.fakebot import FakeTelegramServer

os.environ.setdefault("PTB_TIMEDELTA", "1")

TOKEN = "123456:TEST-TOKEN"
ADMIN_ID = 9001
FORUM_AREA = "64.74"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", databases.backends(), scope="session")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.make_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def _postgres_url(worker_id: str) -> Iterator[str]:
    reason = databases.postgres_available()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable: {reason}")
        pytest.skip(f"PostgreSQL not reachable: {reason}")
    url = databases.make_postgres_database(worker_id)
    yield url
    databases.drop_postgres_database(url)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with the region data and nothing else, fresh for each test."""
    if backend == "sqlite":
        return databases.sqlite_copy(request.getfixturevalue("_sqlite_template"), tmp_path)
    url = request.getfixturevalue("_postgres_url")
    databases.reset_postgres(url)
    return url


@pytest.fixture
def token() -> str:
    """The bot's token (a test module may override it, e.g. with one shaped like BotFather's)."""
    return TOKEN


@pytest.fixture
async def server(token: str) -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(token=token, bot_username="forkom_test_bot") as srv:
        yield srv


@pytest.fixture
def settings(token: str, database_url: str, server: FakeTelegramServer, tmp_path: Path) -> Settings:
    return Settings(
        token=token,
        database_url=database_url,
        api_base_url=server.base_url,
        forum_area=FORUM_AREA,
        admin_ids=frozenset({ADMIN_ID}),
        media_dir=tmp_path / "media",
        quiet_hours=None,
    )


@pytest.fixture
async def bot(settings: Settings, server: FakeTelegramServer) -> AsyncIterator[BotRunner]:
    runner = BotRunner(settings, server)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()
