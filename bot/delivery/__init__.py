"""The delivery engine: every mass message the bot sends goes through here.

`submit()` stores a broadcast in the outbox (one row per broadcast, one per recipient, in one
transaction) and wakes the sender. The sender (`DeliveryEngine`, a service started with the
application) drains the outbox at Telegram's limits:

- one global pace (`BROADCAST_RATE`, capped at Telegram's 30/s, or 1000/s with
  `PAID_BROADCAST`), at most one message a second per private chat and 20 a minute per group;
- 429 pauses *all* mass sending for `retry_after` and the message is tried again, never lost;
- 403 fails the recipient and marks the user unreachable (cleared when they write again);
  "chat not found" and other refusals fail the recipient with the reason;
- timeouts, network errors and 5xx are retried with bounded exponential backoff;
- claimed rows are `sending` in the database, so after a crash they are sent again: a
  recipient gets a duplicate only if its message was in flight at the crash (docs/delivery.md);
- non-urgent broadcasts wait out the quiet hours; a broadcast can be cancelled at any time;
- the sender's status message is edited every few seconds and ends with a summary.

Interactive replies stay fast while 20,000 messages go out: the engine has its own `Bot` with
its own connection pool (the handlers' pool is never queued behind mass sends) and does its
database work in batches in a worker thread, off the event loop.

Modules: `payload` (what is sent, validated), `submit` (into the outbox), `engine` (the sender),
`pacing` and `schedule` (Telegram's limits, quiet hours), `progress` (the status message),
`http` (the engine's own lean `Bot` and aiohttp client), `jobs` (its in-memory state).
"""

from bot.delivery.engine import DeliveryEngine
from bot.delivery.payload import (
    Part,
    Payload,
    PayloadError,
    render_parts,
    send_part,
    validate_payload,
)
from bot.delivery.schedule import effective_rate, quiet_until
from bot.delivery.submit import submit

__all__ = [
    "DeliveryEngine",
    "Part",
    "Payload",
    "PayloadError",
    "effective_rate",
    "quiet_until",
    "render_parts",
    "send_part",
    "submit",
    "validate_payload",
]
