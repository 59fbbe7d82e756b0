"""A PTB persistence class backed by our own database (no pickle files).

Conversation states are what make a registration resume at the same step after a restart;
they are written right after each update (see `bot.app`), not only every `update_interval`.

On PostgreSQL several workers may serve the same users (`bot.cluster`): PTB then re-reads a
user's and chat's data before each of their updates through `refresh_user_data` and
`refresh_chat_data` (conversation states are re-read by `bot.cluster.conversations`). On
SQLite the process is alone and its memory is the truth, so nothing is re-read. `bot_data`
is not used by the bot; it is loaded once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from storage import botstate
from storage.db import Database

__all__ = ["DatabasePersistence"]

# PTB's own spelling of a conversation's key and table (kept private by PTB, so written here).
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]


class DatabasePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    """Stores conversations, user_data, chat_data and bot_data as JSON rows."""

    def __init__(self, database: Database, update_interval: float = 5) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=True, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.database = database
        #: Other workers may write the same rows (PostgreSQL): re-read before each update.
        self.shared = not database.is_sqlite
        # What each row holds now, so an update that changed nothing costs no database trip
        # (PTB asks to save the user's and chat's data after every update).
        self._written: dict[tuple[str, str], str] = {}

    def _unchanged(self, kind: str, key: str, data: Any) -> bool:
        encoded = json.dumps(data, default=str, sort_keys=True) if data else ""
        known = self._written.get((kind, key))
        if known is None and not self.shared:
            # Alone on SQLite every row was loaded at start: one not seen then does not exist,
            # so a new user's empty data needs no DELETE (a write per first tap in a burst).
            known = ""
        self._written[(kind, key)] = encoded
        return known == encoded

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        with self.database.session() as session:
            loaded = botstate.load_states(session, "user")
        for key, data in loaded.items():
            self._unchanged("user", key, data)
        return {int(k): v for k, v in loaded.items()}

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        with self.database.session() as session:
            loaded = botstate.load_states(session, "chat")
        for key, data in loaded.items():
            self._unchanged("chat", key, data)
        return {int(k): v for k, v in loaded.items()}

    async def get_bot_data(self) -> dict[str, Any]:
        with self.database.session() as session:
            loaded = botstate.load_states(session, "bot").get("bot", {})
        self._unchanged("bot", "bot", loaded)
        return loaded

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        with self.database.session() as session:
            return botstate.load_conversations(session, name)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        with self.database.session() as session:
            botstate.save_conversation(session, name, tuple(key), new_state)

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        if self._unchanged("user", str(user_id), data):
            return
        with self.database.session() as session:
            if data:
                botstate.save_state(session, "user", str(user_id), data)
            else:
                botstate.delete_state(session, "user", str(user_id))

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        if self._unchanged("chat", str(chat_id), data):
            return
        with self.database.session() as session:
            if data:
                botstate.save_state(session, "chat", str(chat_id), data)
            else:
                botstate.delete_state(session, "chat", str(chat_id))

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        if self._unchanged("bot", "bot", data):
            return  # PTB asks after every update; the bot keeps nothing there
        with self.database.session() as session:
            botstate.save_state(session, "bot", "bot", data)

    async def update_callback_data(self, data: Any) -> None:  # pragma: no cover - disabled
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        self._written.pop(("chat", str(chat_id)), None)
        with self.database.session() as session:
            botstate.delete_state(session, "chat", str(chat_id))

    async def drop_user_data(self, user_id: int) -> None:
        self._written.pop(("user", str(user_id)), None)
        with self.database.session() as session:
            botstate.delete_state(session, "user", str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        if self.shared:
            await self._refresh("user", str(user_id), user_data)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        if self.shared:
            await self._refresh("chat", str(chat_id), chat_data)

    async def _refresh(self, kind: str, key: str, data: dict[str, Any]) -> None:
        """Replace `data` in place (PTB keeps the object) by what the database holds now."""
        stored = await asyncio.to_thread(self._load, kind, key)
        self._unchanged(kind, key, stored)  # it is what the row holds: remember so
        data.clear()
        data.update(stored)

    def _load(self, kind: str, key: str) -> dict[str, Any]:
        with self.database.session() as session:
            return botstate.load_state(session, kind, key) or {}

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
