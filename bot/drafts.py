"""Where every multi-step form keeps its draft: one `draft` row per user and form kind.

Forms (registration, reports, reminders…) share this so that "load, check for idleness, save
after each step, drop at the end" is written once.
"""

from __future__ import annotations

from typing import Any

from bot.context import BotContext
from storage import people
from storage.models import utcnow

__all__ = ["Draft", "DraftStore"]

Draft = dict[str, Any]


class DraftStore:
    """The drafts of one form kind."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def load(self, context: BotContext, user_id: int) -> tuple[Draft, bool] | None:
        """The user's draft and whether it sat idle longer than the conversation timeout."""
        with context.db.session() as session:
            found = people.get_draft(session, user_id, self.kind)
        if found is None:
            return None
        data, updated_at = found
        return data, utcnow() - updated_at > context.settings.conversation_timeout

    def save(self, context: BotContext, user_id: int, draft: Draft) -> None:
        with context.db.session() as session:
            people.save_draft(session, user_id, self.kind, draft)

    def drop(self, context: BotContext, user_id: int) -> None:
        with context.db.session() as session:
            people.delete_draft(session, user_id, self.kind)
