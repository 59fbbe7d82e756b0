"""`RepeatingJob`: a JobQueue job as a service, so only the cluster's leader runs it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.ext import Application

__all__ = ["RepeatingJob"]


class RepeatingJob:
    """Runs `callback` every `interval` while started (first run `first` after the start)."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        callback: Callable[[Any], Coroutine[Any, Any, object]],
        *,
        interval: timedelta,
        first: timedelta,
        name: str,
    ) -> None:
        self.app = app
        self.callback = callback
        self.interval = interval
        self.first = first
        self.name = name

    async def start(self) -> None:
        if self.app.job_queue is not None:
            self.app.job_queue.run_repeating(
                self.callback, interval=self.interval, first=self.first, name=self.name
            )

    async def stop(self) -> None:
        if self.app.job_queue is not None:
            for job in self.app.job_queue.get_jobs_by_name(self.name):
                job.schedule_removal()
