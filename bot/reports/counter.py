"""The number next to /tinjau in a reviewer's command menu: reports waiting for them."""

from __future__ import annotations

from bot.auth import Identity
from bot.context import ForkomApplication
from storage import reports as store

__all__ = ["ReviewCounter"]


class ReviewCounter:
    """Counts the reports that wait for someone's review (not their own, inside their scopes)."""

    command = "tinjau"

    def __init__(self, app: ForkomApplication) -> None:
        self.database = app.database

    def count(self, identity: Identity) -> int:
        if not identity.is_privileged:
            return 0
        with self.database.session() as session:
            return store.count_pending(session, identity.scopes, identity.user_id)
