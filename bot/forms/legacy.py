"""The untyped draft store and step decorator of forms not yet on `bot.forms.Form`.

`/lapor` (`bot.reports`), `/pengingat` (`bot.reminders`) and the training forms still keep
`dict` drafts that mirror their step in `draft["step"]`. Each of them moves onto `Form` (a
dataclass draft, PTB's conversation state as the only step) in turn; this module goes once the
last one has.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from bot.auth import Identity, identify
from bot.context import BotContext
from bot.forms.base import END, Handler, chat_of
from bot.i18n import t
from storage import people
from storage.models import utcnow

__all__ = ["DictDraft", "DraftStore", "drop_draft", "form_step", "save_draft"]

DictDraft = dict[str, Any]
LegacyStep = Callable[[Update, BotContext, DictDraft, Identity], Awaitable[int]]


class DraftStore:
    """The `dict` drafts of one form kind."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def load(self, context: BotContext, user_id: int) -> tuple[DictDraft, bool] | None:
        """The user's draft and whether it sat idle longer than the conversation timeout."""
        with context.db.session() as session:
            found = people.get_draft(session, user_id, self.kind)
        if found is None:
            return None
        data, updated_at = found
        return data, utcnow() - updated_at > context.settings.conversation_timeout

    def save(self, context: BotContext, user_id: int, draft: DictDraft) -> None:
        with context.db.session() as session:
            people.save_draft(session, user_id, self.kind, draft)

    def drop(self, context: BotContext, user_id: int) -> None:
        with context.db.session() as session:
            people.delete_draft(session, user_id, self.kind)


def save_draft(context: BotContext, user_id: int, kind: str, draft: DictDraft) -> None:
    DraftStore(kind).save(context, user_id, draft)


def drop_draft(context: BotContext, user_id: int, kind: str) -> None:
    DraftStore(kind).drop(context, user_id)


def form_step(kind: str, expired_key: str, not_allowed_key: str) -> Callable[[LegacyStep], Handler]:
    """A step of a coordinators' form: re-check the sender's role, load the draft (ending
    expired forms with `expired_key`), save it (with `step`) after the step."""
    store = DraftStore(kind)

    def decorate(fn: LegacyStep) -> Handler:
        @functools.wraps(fn)
        async def wrapper(update: Update, context: BotContext) -> int:
            user = update.effective_user
            assert user is not None
            identity = identify(context.db, context.settings, user.id)
            loaded = store.load(context, user.id)
            if not identity.is_privileged or loaded is None or loaded[1]:
                if update.callback_query:
                    await update.callback_query.answer()
                store.drop(context, user.id)
                key = not_allowed_key if not identity.is_privileged else expired_key
                await chat_of(update).send_message(t(key, context.lang))
                return END
            draft = loaded[0]
            state = await fn(update, context, draft, identity)
            if state != END:
                draft["step"] = int(state)
                store.save(context, user.id, draft)
            return state

        return wrapper

    return decorate
