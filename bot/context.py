"""The application and callback-context classes: where handlers find settings and the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor, CallbackContext, ExtBot

from bot.config import Settings
from bot.i18n import DEFAULT_LANGUAGE
from storage.db import Database

__all__ = ["BotContext", "ForkomApplication", "PerUserUpdateProcessor"]


class ForkomApplication(Application):  # type: ignore[type-arg]
    """PTB application that also carries the bot's settings and database."""

    def __init__(self, *, settings: Settings, database: Database, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.database = database
        # Long-running services (delivery engine, scheduler…) register themselves here by name.
        self.services: dict[str, Any] = {}


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
    conversation state machine.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
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
