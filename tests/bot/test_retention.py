"""The nightly retention run: what is older than RETENTION_DAYS goes, what is recent stays."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlmodel import select

from bot import retention
from storage import botstate, people
from storage.models import (
    AppUser,
    Broadcast,
    BroadcastRecipient,
    ConversationRow,
    CoordinatorInvite,
    Draft,
    SummarisedBroadcast,
    utcnow,
)
from tests.auxil.flows import seed_cadre
from tests.auxil.reports import KANAAN

OLD = timedelta(days=400)


def _broadcast(session, age: timedelta, *, summarised: bool = True) -> int:
    finished = utcnow() - age
    row = Broadcast(
        kind="custom", payload={}, status="done", created_at=finished, finished_at=finished
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    for chat_id in (1, 2, 3):
        session.add(BroadcastRecipient(broadcast_id=row.id, chat_id=chat_id, state="sent"))
    if summarised:
        session.add(SummarisedBroadcast(broadcast_id=row.id, summarised_at=finished))
    return row.id


async def test_purge_removes_only_what_is_older_than_the_retention(bot, server):
    seed_cadre(bot, 501, KANAAN)
    long_ago = utcnow() - OLD
    with bot.session() as session:
        old = _broadcast(session, OLD)
        unfolded = _broadcast(session, OLD, summarised=False)  # statistics still need it
        recent = _broadcast(session, timedelta(days=3))
        session.add(Draft(telegram_id=501, kind="report", data={"title": "x"}, updated_at=long_ago))
        session.add(Draft(telegram_id=502, kind="report", data={}, updated_at=utcnow()))
        session.add(
            CoordinatorInvite(
                code_hash="a" * 64, scope_code=KANAAN, created_by=9, expires_at=long_ago
            )
        )
        session.add(AppUser(telegram_id=503, last_seen_at=long_ago))  # a guest, long gone
        session.add(AppUser(telegram_id=504, last_seen_at=utcnow()))  # a guest, here today
        botstate.save_conversation(session, "report", (503, 503), 2)
        botstate.save_state(session, "user", "503", {"picker": 1})
        session.get(AppUser, 501).last_seen_at = long_ago  # a cadre who went quiet

    context = SimpleNamespace(app=bot.app)
    await retention.purge(context)

    with bot.session() as session:
        kept = {r.broadcast_id for r in session.exec(select(BroadcastRecipient)).all()}
        assert kept == {unfolded, recent} and old not in kept
        assert session.get(Broadcast, old) is not None  # the broadcast and its totals stay
        assert [d.telegram_id for d in session.exec(select(Draft)).all()] == [502]
        assert session.exec(select(CoordinatorInvite)).all() == []
        assert session.get(AppUser, 503) is None and session.get(AppUser, 504) is not None
        assert session.get(AppUser, 501) is not None  # registered: only their state goes
        assert people.get_cadre(session, 501) is not None
        assert session.exec(select(ConversationRow)).all() == []
        assert botstate.load_states(session, "user").get("503") is None


async def test_the_job_runs_every_night(bot):
    (job,) = bot.app.job_queue.get_jobs_by_name("retention")
    assert job.next_t is not None
