"""The cluster tests need PostgreSQL: SQLite is single-process by design (`bot.cluster`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from tests.cluster.workers import Workers


@pytest.fixture
def shared_settings(backend: str, settings: Settings) -> Settings:
    if backend != "postgresql":
        pytest.skip("several workers need PostgreSQL")
    return settings


@pytest.fixture
async def two_workers(shared_settings: Settings, server) -> AsyncIterator[Workers]:  # type: ignore[no-untyped-def]
    workers = Workers(shared_settings, server, 2)
    await workers.start()
    try:
        yield workers
    finally:
        await workers.stop()
