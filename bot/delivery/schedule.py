"""When and how fast mass messages may go: Telegram's pace, the quiet hours, forum time."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram.constants import FloodLimit

from bot.config import Settings

__all__ = [
    "GROUP_CHAT_INTERVAL",
    "PRIVATE_CHAT_INTERVAL",
    "effective_rate",
    "quiet_until",
]

log = logging.getLogger(__name__)

PRIVATE_CHAT_INTERVAL = 1.0 / FloodLimit.MESSAGES_PER_SECOND_PER_CHAT  # s between messages
# Telegram's messages a minute per group, with a little margin.
GROUP_CHAT_INTERVAL = 60.0 / FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP + 0.1


def effective_rate(settings: Settings) -> float:
    """The mass-sending limit: the setting, within what Telegram allows. The pace keeps a
    little under it and adapts to 429s (`bot.delivery.pacing.Pace`)."""
    ceiling = float(
        FloodLimit.PAID_MESSAGES_PER_SECOND
        if settings.paid_broadcast
        else FloodLimit.MESSAGES_PER_SECOND
    )
    wanted = settings.broadcast_rate
    if wanted > ceiling:
        log.warning(
            "BROADCAST_RATE=%s exceeds Telegram's %s/s%s; using %s/s",
            wanted,
            ceiling,
            "" if settings.paid_broadcast else " (set PAID_BROADCAST=true for more)",
            ceiling,
        )
    return min(wanted, ceiling)


def quiet_until(settings: Settings, now: datetime) -> datetime | None:
    """If `now` (UTC) is in the quiet hours, when they end (UTC); else None."""
    if settings.quiet_hours is None:
        return None
    start, end = settings.quiet_hours
    local = now.replace(tzinfo=UTC).astimezone(settings.timezone)
    clock = local.time().replace(tzinfo=None)
    if start <= end:
        quiet = start <= clock < end
    else:
        quiet = clock >= start or clock < end
    if not quiet or start == end:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(UTC).replace(tzinfo=None)
