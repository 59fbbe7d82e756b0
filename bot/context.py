"""The application and callback-context classes: where handlers find settings and the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor, CallbackContext, ExtBot

from bot.config import Settings
from bot.i18n import DEFAULT_LANGUAGE
from storage.db import Database

if TYPE_CHECKING:
    from bot.auth import Identity
    from bot.cluster import Cluster
    from bot.delivery import DeliveryEngine
    from bot.ops.metrics import Metrics
    from bot.reminders import ReminderScheduler
    from bot.reports.counter import ReviewCounter
    from bot.statistics import ChartCache

__all__ = ["BotContext", "ForkomApplication", "PerUserUpdateProcessor", "Service"]


class Service(Protocol):
    """Something that runs as long as the bot: started after PTB's start, stopped at stop."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class ForkomApplication(Application):
    """PTB application that also carries the bot's settings, database and services.

    The services are set by `bot.app.build_application`, which needs the application to make
    them; every handler can rely on them being there.
    """

    #: The one sender of every mass message (announcements, trainings, reminders…).
    delivery: DeliveryEngine
    #: Fires due reminders from the database, on time in forum time, once.
    reminders: ReminderScheduler
    #: The count of reports waiting for review, shown next to /tinjau in menus.
    review_counter: ReviewCounter
    #: Charts already uploaded to Telegram, sent again by file_id.
    charts: ChartCache
    #: One export at a time per bot: two province-wide workbooks at once would double memory.
    export_slots: asyncio.Semaphore
    #: Prometheus counters of this application (served at /metrics).
    metrics: Metrics
    #: This worker among the others on the same PostgreSQL: leader election, per-user locks.
    cluster: Cluster

    def __init__(self, *, settings: Settings, database: Database, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.database = database

    @property
    def services(self) -> tuple[Service, ...]:
        """The long-running services in start order: the sender before the scheduler.

        They run in one worker at a time, the cluster's leader (`bot.cluster`).
        """
        return (self.delivery, self.reminders)

    @property
    def menu_counters(self) -> Mapping[str, Callable[[Identity], int]]:
        """Live counts shown after a command's description in menus, by command."""
        return {self.review_counter.command: self.review_counter.count}


class BotContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    """Callback context with typed access to settings, database and the user's language."""

    @property
    def app(self) -> ForkomApplication:
        return self.application  # type: ignore[return-value]

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def db(self) -> Database:
        return self.app.database

    @property
    def lang(self) -> str:
        """Language of the user behind the current update (set by `bot.activity`)."""
        return self.__dict__.get("user_lang", DEFAULT_LANGUAGE)

    @lang.setter
    def lang(self, value: str) -> None:
        self.__dict__["user_lang"] = value


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Runs updates of different users concurrently and those of one user in order.

    One slow request (an export, a big broadcast preview) must not stall every other cadre,
    while a single user's updates (an album, quick double taps) must stay ordered for the
    conversation state machine. In this process an asyncio lock per user orders them; with
    a `cluster` on PostgreSQL the user's cluster lock is held as well, so a user's updates
    that reach different workers also run one at a time (`bot.cluster.Cluster.serving`).
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        #: Set by `bot.app.build_application` once the application exists.
        self.cluster: Cluster | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _update_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                if self.cluster is None:
                    await coroutine
                else:
                    async with self.cluster.serving(update, key):
                        await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _update_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None
