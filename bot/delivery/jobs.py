"""What the engine holds in memory: claimed recipients and the broadcasts still running."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from bot.delivery.payload import Payload
from bot.i18n import DEFAULT_LANGUAGE
from storage.outbox import BroadcastInfo

__all__ = ["ActiveBroadcast", "Job", "forbidden_reason"]


@dataclass
class Job:
    """A claimed recipient on its way out."""

    recipient_id: int
    broadcast_id: int
    chat_id: int
    parts_done: int
    attempts: int
    lang: str


@dataclass
class ActiveBroadcast:
    """What the sender knows about a broadcast that is not finished yet."""

    info: BroadcastInfo
    payload: Payload
    sendable: bool = False
    cancelled: bool = False
    outstanding: int = 0  # jobs claimed and not yet settled
    exhausted: bool = False  # the last claim found nothing due
    progress_lang: str = DEFAULT_LANGUAGE
    progress_text: str = ""
    progress_at: float = 0.0
    seen_at: float = field(default_factory=time.monotonic)
    seen_processed: int | None = None
    resumes_at: datetime | None = None


def forbidden_reason(text: str) -> str:
    """The reason code of a 403: the recipient blocked the bot, was deleted, or left."""
    lowered = text.lower()
    if "blocked" in lowered:
        return "blocked"
    if "deactivated" in lowered:
        return "deactivated"
    if "kicked" in lowered or "not a member" in lowered:
        return "kicked"
    return f"forbidden: {text}"
