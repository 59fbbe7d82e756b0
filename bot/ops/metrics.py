"""Prometheus metrics of one application, in a registry of its own.

A registry per application (not the library's global default) keeps two applications in one
process — tests, benchmarks — from colliding or adding up each other's counts. The counters
are incremented where the work is counted anyway (`MeteredUpdates` for updates, the delivery
engine for sends, the reminder scheduler for reminders); the outbox backlog is read from the
database when `/metrics` is scraped.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = ["MeteredUpdates", "Metrics", "update_kind"]

# The update kinds the bot can receive, in the order `update_kind` looks for them.
_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "channel_post",
    "edited_channel_post",
)


def update_kind(update: object) -> str:
    """`message`, `callback_query`, … (`other` for anything else)."""
    if isinstance(update, Update):
        for kind in _KINDS:
            if getattr(update, kind, None) is not None:
                return kind
    return "other"


class Metrics:
    """The bot's metrics; `render()` gives the `/metrics` body."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter("forkom_updates", "Updates handled, by kind", ["kind"], registry=r)
        self.updates_dropped = Counter(
            "forkom_updates_dropped",
            "Updates dropped unhandled: their user sent too many too fast (bot.fairness)",
            ["kind"],
            registry=r,
        )
        self.handler_seconds = Histogram(
            "forkom_handler_seconds",
            "Time to handle one update (all handler groups)",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.messages_sent = Counter(
            "forkom_messages_sent", "Mass messages Telegram accepted (each part)", registry=r
        )
        self.messages_failed = Counter(
            "forkom_messages_failed", "Mass-message recipients given up on", registry=r
        )
        self.telegram_429 = Counter(
            "forkom_telegram_429", "Times Telegram answered 429 (too many requests)", registry=r
        )
        self.outbox_backlog = Gauge(
            "forkom_outbox_backlog", "Recipients of active broadcasts not yet sent", registry=r
        )
        self.reminders_fired = Counter(
            "forkom_reminders_fired", "Reminder occurrences queued for delivery", registry=r
        )
        # Where a `/statistik` view's time goes: sql (sql_cpu: its CPU time in the bot), text,
        # chart (drawn), chart_wait (for the drawing, after the text was sent), send_text,
        # upload (a new chart), send_photo (a chart Telegram knows), delete (the pressed view).
        self.statistics_seconds = Histogram(
            "forkom_statistics_seconds",
            "Time of each stage of a statistics view",
            ["stage"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 1, 2.5),
            registry=r,
        )
        self.reminders_missed = Counter(
            "forkom_reminders_missed",
            "Reminder occurrences missed (later than the grace)",
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MeteredUpdates(BaseUpdateProcessor):
    """Wraps the bot's update processor: counts each update by kind and times its handling.

    The time is taken inside the wrapped processor (after a user's earlier updates are done),
    so it measures the handlers, not the wait in a user's queue. An update the wrapped
    processor returns from without running it was dropped (a flood, `bot.fairness`) and is
    counted as such.
    """

    def __init__(self, inner: BaseUpdateProcessor, metrics: Metrics) -> None:
        super().__init__(inner.max_concurrent_updates)
        self.inner = inner
        self.metrics = metrics

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        ran = False

        async def timed() -> None:
            nonlocal ran
            ran = True
            started = time.perf_counter()
            try:
                await coroutine
            finally:
                self.metrics.handler_seconds.observe(time.perf_counter() - started)
                self.metrics.updates.labels(update_kind(update)).inc()

        try:
            await self.inner.do_process_update(update, timed())
        finally:
            if not ran:
                close = getattr(coroutine, "close", None)
                if callable(close):
                    close()  # the handlers' coroutine never started: no "never awaited"
                self.metrics.updates_dropped.labels(update_kind(update)).inc()

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()
