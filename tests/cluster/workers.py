"""Several bot Applications in this process on one PostgreSQL database, fed round-robin.

Telegram allows one getUpdates consumer, so one pump here long-polls the fake server and
hands each update to the next worker in turn — what a round-robin proxy in front of webhook
workers does. Each worker has its own engine, persistence and memory, like a process.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.app import build_application
from bot.config import Settings
from bot.context import ForkomApplication
from storage.db import Database


class Workers:
    def __init__(self, settings: Settings, server: Any, count: int) -> None:
        self.settings = settings
        self.server = server
        self.count = count
        self.apps: list[ForkomApplication] = []
        self.handled_by: dict[int, int] = {}  # update_id → worker index
        self._done: set[int] = set()
        self._changed = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._stopped: set[int] = set()

    async def start(self) -> None:
        for index in range(self.count):
            self.apps.append(await self._start_one(index))
        self._pump = asyncio.create_task(self._round_robin())
        self.server.after_update = self.wait_processed

    async def _start_one(self, index: int) -> ForkomApplication:
        app = build_application(self.settings, Database(self.settings.database_url))
        original = app.process_update

        async def tracked(update: object) -> None:
            try:
                await original(update)
            finally:
                if isinstance(update, Update):
                    self.handled_by[update.update_id] = index
                    self._done.add(update.update_id)
                    self._changed.set()

        app.process_update = tracked  # type: ignore[method-assign]
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.start()
        return app

    async def _round_robin(self) -> None:
        offset: int | None = None
        turn = 0
        while True:
            updates = await self.server.poll_updates(offset, 100, 1.0)
            for data in updates:
                app = self.apps[turn % len(self.apps)]
                turn += 1
                await app.update_queue.put(Update.de_json(data, app.bot))
                offset = data["update_id"] + 1

    async def wait_processed(self, update_id: int, timeout: float = 20.0) -> None:
        async with asyncio.timeout(timeout):
            while update_id not in self._done:
                self._changed.clear()
                await self._changed.wait()

    async def wait_all(self, update_ids: list[int], timeout: float = 60.0) -> None:
        for update_id in update_ids:
            await self.wait_processed(update_id, timeout)

    async def stop_one(self, app: ForkomApplication) -> None:
        """A clean stop of one worker (the others go on)."""
        if id(app) in self._stopped:
            return
        self._stopped.add(id(app))
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        await app.shutdown()
        app.database.dispose()

    async def stop(self) -> None:
        self.server.after_update = None
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        for app in self.apps:
            await self.stop_one(app)
