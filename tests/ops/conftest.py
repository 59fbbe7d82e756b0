"""The bot served in webhook mode inside the test's event loop (`bot.ops.runner.serve`)."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession

from bot.app import build_application, prepare_database
from bot.config import Settings
from bot.context import ForkomApplication
from bot.ops.runner import serve
from tests.fakebot import FakeTelegramServer

SECRET = "test-secret_0123456789"


def free_port() -> int:
    """A TCP port nobody listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WebhookBot:
    app: ForkomApplication
    settings: Settings
    http: ClientSession

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.settings.webhook_port}"

    def metric(self, name: str, **labels: str) -> float:
        value = self.app.metrics.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value

    async def wait_metric(self, name: str, at_least: float, timeout: float = 60, **labels: str):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.metric(name, **labels) < at_least:
            if loop.time() > deadline:
                raise AssertionError(f"{name}{labels} = {self.metric(name, **labels)} < {at_least}")
            await asyncio.sleep(0.05)


@pytest.fixture
async def webhook_bot(settings: Settings, server: FakeTelegramServer) -> AsyncIterator[WebhookBot]:
    port = free_port()
    settings = dataclasses.replace(
        settings,
        webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
        webhook_secret=SECRET,
        webhook_port=port,
    )
    database = prepare_database(settings)
    app = build_application(settings, database)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, "webhook", stop))
    await server.wait_for(lambda: server.webhook_url or task.done(), timeout=30)
    if task.done():
        task.result()
    async with ClientSession() as http:
        try:
            yield WebhookBot(app, settings, http)
        finally:
            stop.set()
            assert await asyncio.wait_for(task, 30) == 0
            database.dispose()
