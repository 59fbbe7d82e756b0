"""Conversation state shared by several workers: re-read from the database before each update.

PTB loads every ConversationHandler's states from persistence once, at start, into a mapping
of its own, and from then on trusts its memory. With several workers that memory is wrong as
soon as the user's previous update went to another worker. PTB has no public way to refresh
it (it has `refresh_user_data` and `refresh_chat_data`, nothing for conversations), so before
each update — under the user's cluster lock, after the previous holder has written its state —
the states of this user's conversations are read from the database and put into that mapping.

The one thing used that PTB does not document is the mapping itself, the handler's
`_conversations` attribute (a `UserDict`, PTB's TrackingDict, since v20). It is read in one
place, `_states_of`, which `check_supported` calls at start: a PTB release that changes it
stops the bot at start with a clear message instead of misrouting forms. Writes go through
`UserDict.data`, its public underlying dict, so a refresh is not itself written back.
`tests/cluster/test_conversations.py` pins the behaviour.

The timeout job of a conversation lives in the worker that handled its last update; when
another worker takes over the user, it tells the others (`bot.cluster.node`), which cancel
theirs through the handler's public `timeout_jobs` (`cancel_timeouts`).
"""

from __future__ import annotations

from collections import UserDict
from collections.abc import Iterable
from typing import Any

from telegram import Update
from telegram.ext import Application, ConversationHandler

from storage import botstate
from storage.db import Database

__all__ = [
    "cancel_timeouts",
    "check_supported",
    "persistent_conversations",
    "refresh_conversations",
]

ConversationKey = tuple[int | str, ...]
Handler = ConversationHandler[Any]


def persistent_conversations(app: Application[Any, Any, Any, Any, Any, Any]) -> list[Handler]:
    """The application's named, persistent ConversationHandlers (per chat and/or per user)."""
    found = []
    for handlers in app.handlers.values():
        for handler in handlers:
            if (
                isinstance(handler, ConversationHandler)
                and handler.persistent
                and handler.name
                and not handler.per_message
            ):
                found.append(handler)
    return found


def check_supported(handlers: Iterable[Handler]) -> None:
    """Fail at start, in one line, if this PTB keeps conversation states differently."""
    for handler in handlers:
        _states_of(handler)


def _states_of(handler: Handler) -> UserDict[ConversationKey, object]:
    states = getattr(handler, "_conversations", None)
    if not isinstance(states, UserDict):
        raise RuntimeError(
            "this python-telegram-bot keeps conversation states where bot.cluster does not "
            f"look for them (ConversationHandler {handler.name!r}); several workers cannot "
            "share it — pin python-telegram-bot to the version in constraints.txt"
        )
    return states


def _key(handler: Handler, update: Update) -> ConversationKey | None:
    """PTB's own key for the update (chat id, then user id, as each handler is configured)."""
    key: list[int | str] = []
    if handler.per_chat:
        if update.effective_chat is None:
            return None
        key.append(update.effective_chat.id)
    if handler.per_user:
        if update.effective_user is None:
            return None
        key.append(update.effective_user.id)
    return tuple(key)


def refresh_conversations(handlers: list[Handler], database: Database, update: object) -> None:
    """Make every conversation's state for this update what the database says (blocking)."""
    if not isinstance(update, Update):
        return
    wanted: list[tuple[Handler, ConversationKey]] = []
    for handler in handlers:
        key = _key(handler, update)
        if key is not None:
            wanted.append((handler, key))
    if not wanted:
        return
    with database.session() as session:
        stored = botstate.load_conversation_states(
            session, [(str(handler.name), key) for handler, key in wanted]
        )
    for handler, key in wanted:
        states = _states_of(handler)
        state = stored.get((str(handler.name), key))
        current = states.data.get(key)
        if current is not None and not isinstance(current, int | str):
            continue  # a non-blocking step of this worker still runs (PTB's PendingState)
        if state is None or state == ConversationHandler.END:
            states.data.pop(key, None)
        else:
            states.data[key] = state


def cancel_timeouts(handlers: list[Handler], user_id: int) -> int:
    """Drop this worker's idle timeouts of the user's conversations: another worker serves
    the user now and keeps the timeout of their latest step. Returns how many went."""
    cancelled = 0
    for handler in handlers:
        if not handler.per_user:
            continue
        for key in [k for k in handler.timeout_jobs if k and k[-1] == user_id]:
            job = handler.timeout_jobs.pop(key)
            job.schedule_removal()
            cancelled += 1
    return cancelled
