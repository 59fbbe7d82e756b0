"""`/healthz`: is this process able to do its work — the database answers, the sender runs.

The answer is short JSON for a load balancer or a monitoring check: `database`, `sender`,
`outbox_backlog` (recipients of active broadcasts not yet sent) and `scheduler_lag_seconds`
(how late the reminder tick is; 0 when it is on time).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from bot.context import ForkomApplication
from bot.reminders.scheduler import ReminderScheduler
from storage import outbox
from storage.db import Database

__all__ = ["Health", "check_health", "outbox_backlog", "scheduler_lag"]

DATABASE_TIMEOUT = 3.0


@dataclass(frozen=True)
class Health:
    database: str  # "ok" or the reason it is not
    sender: str  # "running", "standby" (another worker leads, `bot.cluster`) or "stopped"
    outbox_backlog: int | None  # None when the database does not answer
    scheduler_lag_seconds: float

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.sender in ("running", "standby")

    def as_json(self) -> dict[str, object]:
        return {"status": "ok" if self.ok else "failing", **asdict(self)}


def outbox_backlog(database: Database) -> int:
    """Recipients of queued or sending broadcasts who have not had their message yet."""
    with database.session() as session:
        active = [info.id for info in outbox.active_broadcasts(session)]
        counts = outbox.delivery_counts(session, active)
    return sum(tally.remaining for tally in counts.values())


def _probe(database: Database) -> int:
    with database.session() as session:
        session.exec(text("select 1"))  # type: ignore[call-overload]
    return outbox_backlog(database)


def scheduler_lag(app: ForkomApplication) -> float:
    """Seconds the reminder tick is overdue (0 when on time or not scheduled)."""
    if app.job_queue is None:
        return 0.0
    for job in app.job_queue.get_jobs_by_name(ReminderScheduler.JOB_NAME):
        due = job.next_t
        if due is not None:
            return max(0.0, (datetime.now(UTC) - due).total_seconds())
    return 0.0


def _sender_state(app: ForkomApplication) -> str:
    if app.delivery.bot is not None:
        return "running"
    # A worker that does not lead is healthy: the leader sends, and it takes over if needed.
    return "standby" if app.cluster.shared and not app.cluster.is_leader else "stopped"


async def check_health(app: ForkomApplication) -> Health:
    try:
        backlog: int | None = await asyncio.wait_for(
            asyncio.to_thread(_probe, app.database), DATABASE_TIMEOUT
        )
        database = "ok"
    except TimeoutError:
        backlog, database = None, f"no answer within {DATABASE_TIMEOUT:.0f} s"
    except Exception as exc:
        backlog, database = None, f"error: {str(exc).splitlines()[0][:200]}"
    return Health(
        database=database,
        sender=_sender_state(app),
        outbox_backlog=backlog,
        scheduler_lag_seconds=round(scheduler_lag(app), 3),
    )
