"""`submit()`: how every feature hands a mass message to the delivery engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.context import ForkomApplication
from bot.delivery.payload import Payload, validate_payload
from storage import outbox

__all__ = ["submit"]


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def submit(
    app: ForkomApplication,
    *,
    kind: str,
    recipient_ids: Sequence[int],
    payload: Payload,
    sender_id: int | None = None,
    urgent: bool = False,
    ref: str | None = None,
    not_before: datetime | None = None,
    progress_chat_id: int | None = None,
    meta: dict[str, Any] | None = None,
) -> int:
    """Store a broadcast (one outbox row + one row per recipient, in ONE transaction), wake the
    sender, return its id.

    kind: "announcement" | "training" | "reminder" | "report_feature" | "notification" …;
    ref: free text linking to the source (e.g. "training:12"); unique per (kind, ref) when
    given, so re-submitting the same ref is a no-op returning the existing id (exactly-once for
    schedulers). Recipients are Telegram user ids or group/channel chat ids; nobody is filtered
    here (callers choose the audience, see `storage.outbox.audience_ids`). `not_before` may be
    naive UTC or timezone-aware. `meta` is shown in `/siaran` (e.g. {"title": …, "audience": …}).
    Raises PayloadError if Telegram would refuse the payload. Safe to call from a worker thread.
    """
    validate_payload(payload)
    with app.database.session() as session:
        broadcast_id, created = outbox.create_broadcast(
            session,
            kind=kind,
            payload=payload.to_json(),
            recipients=recipient_ids,
            ref=ref,
            sender_id=sender_id,
            urgent=urgent,
            not_before=_naive_utc(not_before),
            progress_chat_id=progress_chat_id,
            meta=meta,
        )
    if created:
        app.delivery.wake()
    return broadcast_id
