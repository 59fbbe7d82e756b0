"""The daily retention run (UU PDP Pasal 43–44): personal data leaves once its purpose ended.

Delivery records, unfinished forms, expired invites and the state of users not seen for
`RETENTION_DAYS` are deleted (see `storage.privacy.purge_expired`), at night, forum time.
"""

from __future__ import annotations

import logging
from datetime import time

from bot.context import BotContext, ForkomApplication
from storage import privacy
from storage.models import utcnow

__all__ = ["RUN_AT", "purge", "schedule"]

log = logging.getLogger(__name__)

RUN_AT = time(3, 0)  # forum time: nobody is filling in a form, no broadcast is sending


async def purge(context: BotContext) -> None:
    """One retention run; also drops the in-memory data PTB keeps for the stale users."""
    app = context.app
    cutoff = utcnow() - app.settings.retention
    with app.database.session() as session:
        purged = privacy.purge_expired(session, cutoff)
    for user_id in purged.stale_users:
        app.drop_user_data(user_id)
        app.drop_chat_data(user_id)
    log.info(
        "retention: %d delivery rows, %d drafts, %d invites, %d guests removed; %d stale users",
        purged.deliveries,
        purged.drafts,
        purged.invites,
        purged.guests,
        len(purged.stale_users),
    )


def schedule(app: ForkomApplication) -> None:
    """Run `purge` every night at `RUN_AT`, forum time."""
    if app.job_queue is not None:
        app.job_queue.run_daily(
            purge, RUN_AT.replace(tzinfo=app.settings.timezone), name="retention"
        )
