"""Runs the real bot (Application + long polling) in the test's event loop against the fake
Telegram server, and lets tests wait until an update has been fully handled."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from telegram import Update

from bot.app import build_application, prepare_database
from bot.config import Settings
from bot.context import ForkomApplication, PerUserUpdateProcessor
from bot.ops.metrics import MeteredUpdates
from storage.db import Database


class PeoplesPace:
    """A monotonic clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


class BotRunner:
    """Start, stop and restart the bot; track which updates it has finished handling."""

    def __init__(self, settings: Settings, server: Any) -> None:
        self.settings = settings
        self.server = server
        self.app: ForkomApplication | None = None
        self.database: Database | None = None
        self._done: set[int] = set()
        self._changed = asyncio.Event()

    async def start(self, *, alone: bool = False, **overrides: Any) -> ForkomApplication:
        """`alone`: join as `python -m bot` (polling) does, serving alone if no other worker
        is up on PostgreSQL (`bot.cluster`); by default as one of several workers."""
        if overrides:
            self.settings = dataclasses.replace(self.settings, **overrides)
        self.database = prepare_database(self.settings)
        app = build_application(self.settings, self.database)
        create_task = app.create_task
        spawned: dict[int, list[asyncio.Task[Any]]] = {}

        def tracked_task(coroutine: Any, update: object = None, *, name: str | None = None) -> Any:
            """A task a handler starts for its update (a confirmation sent apart) is part of
            handling it: the test sees its effect once the update counts as done."""
            task = create_task(coroutine, update=update, name=name)
            if isinstance(update, Update) and task is not asyncio.current_task():
                spawned.setdefault(update.update_id, []).append(task)
            return task

        processor = app.update_processor
        assert isinstance(processor, MeteredUpdates)
        assert isinstance(processor.inner, PerUserUpdateProcessor)
        # A test sends as fast as the machine goes, far faster than people type: the fairness
        # limiter reads a clock that moves a second at each look, so no scripted user is
        # "too fast". Flood tests put a stopped clock in its place.
        processor.inner.clock = PeoplesPace()
        process = processor.process_update

        async def tracked(update: object, coroutine: Any) -> None:
            """Done once the processor is done with it: handled, or dropped unrun (a flood)."""
            try:
                await process(update, coroutine)
            finally:
                if isinstance(update, Update):
                    mine = asyncio.current_task()
                    tasks = [t for t in spawned.pop(update.update_id, []) if t is not mine]
                    await asyncio.gather(*tasks, return_exceptions=True)
                    self._done.add(update.update_id)
                    self._changed.set()

        app.create_task = tracked_task  # type: ignore[method-assign]
        processor.process_update = tracked  # type: ignore[misc,method-assign]  # final in PTB
        if alone:
            await app.cluster.join(alone=True)
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1, drop_pending_updates=False)
        self.app = app
        self.server.after_update = self.wait_processed
        return app

    async def wait_processed(self, update_id: int, timeout: float = 10.0) -> None:
        """Block until the bot has finished handling `update_id` (or fail loudly)."""
        if self.app is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while update_id not in self._done:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"the bot did not finish update {update_id} within {timeout}s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    async def stop(self) -> None:
        app, self.app = self.app, None
        self.server.after_update = None
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        await app.shutdown()
        if self.database is not None:
            self.database.dispose()

    async def restart(self, **overrides: Any) -> ForkomApplication:
        await self.stop()
        return await self.start(**overrides)

    def session(self):
        assert self.database is not None
        return self.database.session()
