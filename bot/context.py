"""The application and callback-context classes: where handlers find settings and the database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor, CallbackContext, ExtBot

from bot import fairness
from bot.config import Settings
from bot.i18n import DEFAULT_LANGUAGE
from storage.db import Database

if TYPE_CHECKING:
    from bot.activity import SeenLog
    from bot.auth import Identity
    from bot.cluster import Cluster
    from bot.delivery import DeliveryEngine
    from bot.delivery.http import AiohttpRequest
    from bot.export import ExportGate
    from bot.ops.metrics import Metrics
    from bot.reminders import ReminderScheduler
    from bot.reports.counter import ReviewCounter
    from bot.statistics import ChartCache
    from bot.training.answers import RsvpAnswers

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
    #: Who has an export queued or running, and whose cooldown is still on.
    export_gate: ExportGate
    #: Users seen again, their `last_seen_at` written together a second later.
    seen_log: SeenLog
    #: "Ikut"/"Batal" taps on a training, decided in groups (group commit).
    rsvp_answers: RsvpAnswers
    #: Prometheus counters of this application (served at /metrics).
    metrics: Metrics
    #: The bot's HTTP clients (requests, getUpdates): closed by PTB's shutdown, or by the
    #: runner when the start failed before the bot was initialized (a wrong token).
    http: tuple[AiohttpRequest, ...]
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

    def menu_counts(self, identity: Identity) -> dict[str, int]:
        """Live counts shown after a command's description in menus, by command (queried
        now: call once per menu)."""
        return {self.review_counter.command: self.review_counter.count(identity)}


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
    """Runs updates of different users concurrently and those of one user in order, fairly.

    One slow request (an export, a big broadcast preview) must not stall every other cadre,
    while a single user's updates (an album, quick double taps) must stay ordered for the
    conversation state machine. Each user has a lane (`bot.fairness.Lane`): their updates
    wait in it, one at a time, and only the one at its head takes one of the
    `max_concurrent_updates` global slots — so a user flooding the bot holds one slot, not
    all of them (security review F1). A lane holds at most `max_backlog` updates waiting
    behind the running one and admits `burst` at once, then `rate` a second; what does not fit is dropped and the user told
    (`bot.fairness.refuse`). With a `cluster` on PostgreSQL the user's cluster lock is held
    as well, inside the slot, so a user's updates that reach different workers also run one
    at a time (`bot.cluster.Cluster.serving`).

    PTB's own gate (`BaseUpdateProcessor.process_update`, final) is set wide open: it would
    let the first 64 updates in whatever their user, which is the stall this class prevents.
    """

    #: PTB's gate: high enough never to be the limit (PTB makes a task per update anyway).
    ADMISSION = 1_000_000

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        *,
        max_backlog: int = fairness.MAX_BACKLOG,
        burst: float = fairness.BURST,
        rate: float = fairness.RATE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(self.ADMISSION)
        self.running_limit = max_concurrent_updates
        self.max_backlog = max_backlog
        self.burst = burst
        self.rate = rate
        #: Seconds, monotonic; tests replace it to step through the notice interval.
        self.clock = clock
        #: Set by `bot.app.build_application` once the application exists.
        self.cluster: Cluster | None = None
        #: For the language of a refusal (set by `bot.app.build_application`).
        self.database: Database | None = None
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self._refusals = asyncio.Semaphore(8)  # refusals are courtesy: a few at a time
        self._lanes: dict[int, fairness.Lane] = {}
        self._swept_at: float | None = None

    @property
    def lanes(self) -> int:
        """Users remembered now (queued, refilling their bucket or recently told)."""
        return len(self._lanes)

    @property
    def queued(self) -> int:
        """Updates admitted to a lane and not finished, running ones included."""
        return sum(lane.waiting for lane in self._lanes.values())

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _update_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        now = self.clock()
        self._sweep(now)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = fairness.Lane(self.burst, self.rate, now)
        if lane.waiting >= self.max_backlog + 1 or not (
            _free_of_charge(update) or lane.bucket.take(now)
        ):
            fairness.discard(coroutine)
            if isinstance(update, Update) and fairness.owed(update, lane, now):
                async with self._refusals:
                    await fairness.refuse(update, lane, self.database)
            self._forget_if_idle(key, lane)
            return
        lane.waiting += 1
        try:
            async with lane.lock, self._running:
                if self.cluster is None:
                    await coroutine
                else:
                    async with self.cluster.serving(update, key):
                        await coroutine
        finally:
            lane.waiting -= 1
            self._forget_if_idle(key, lane)

    def _forget_if_idle(self, key: int, lane: fairness.Lane) -> None:
        if lane.at_rest(self.clock()) and self._lanes.get(key) is lane:
            del self._lanes[key]

    def _sweep(self, now: float) -> None:
        """Once a notice interval, forget lanes gone quiet (memory stays one small object per
        user active in the last minute)."""
        if self._swept_at is None or now < self._swept_at:  # first call, or a new clock
            self._swept_at = now
        if now - self._swept_at < fairness.NOTICE_INTERVAL:
            return
        self._swept_at = now
        for key in [k for k, lane in self._lanes.items() if lane.at_rest(now)]:
            del self._lanes[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _free_of_charge(update: object) -> bool:
    """Blocking or unblocking the bot costs no token: reachability must always be recorded
    (it still waits in the lane and counts towards its backlog)."""
    return isinstance(update, Update) and update.my_chat_member is not None


def _update_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None
