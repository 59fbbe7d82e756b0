"""Two workers on one PostgreSQL database, updates handed out round-robin."""

from __future__ import annotations

import asyncio
import itertools
import time

from sqlmodel import select
from telegram import Update
from telegram.ext import TypeHandler

from bot.cluster import conversations
from bot.context import BotContext
from bot.delivery import Payload
from storage import botstate, outbox
from storage.models import Cadre


async def test_a_registration_whose_steps_alternate_between_workers(two_workers, server):
    """Each step reaches the other worker, which knows the step and the draft from the
    database: the conversation state is re-read before every update."""
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text("Siti Aminah")
    await user.send_text("081234567890")
    await user.press("Bontang Barat")
    await user.press("Kanaan")
    await user.press("PKK")
    await user.press("Simpan")
    assert "Menu utama" in user.last_message.text
    assert set(two_workers.handled_by.values()) == {0, 1}
    with two_workers.apps[0].database.session() as session:
        cadres = session.exec(select(Cadre)).all()
    assert [(c.telegram_id, c.full_name) for c in cadres] == [(user.id, "Siti Aminah")]


async def test_one_users_updates_never_overlap_across_workers(two_workers, server):
    """Read, wait, write back through user_data: a lost update would show in the count."""
    spans: dict[int, list[tuple[float, float]]] = {}

    async def count(update: object, context: BotContext) -> None:
        assert isinstance(update, Update) and update.effective_user is not None
        assert context.user_data is not None
        started = time.monotonic()
        seen = context.user_data.get("probe", 0)
        await asyncio.sleep(0.005)
        context.user_data["probe"] = seen + 1
        spans.setdefault(update.effective_user.id, []).append((started, time.monotonic()))

    for app in two_workers.apps:
        app.add_handler(TypeHandler(Update, count), group=-1000)
    users = [server.new_user() for _ in range(4)]
    server.after_update = None
    per_user = 15
    sent = await asyncio.gather(
        *(user.send_text(f"pesan {n}") for n in range(per_user) for user in users)
    )
    await two_workers.wait_all([u["update_id"] for u in sent])
    for app in two_workers.apps:
        await app.update_persistence()
    for user in users:
        intervals = sorted(spans[user.id])
        assert len(intervals) == per_user
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(intervals))
    for app in two_workers.apps:  # what the last one wrote is what every worker reads
        for user in users:
            assert await _stored_probe(app, user.id) == per_user


async def _stored_probe(app, user_id: int) -> int:  # type: ignore[no-untyped-def]
    data: dict = {}
    assert app.persistence is not None
    await app.persistence.refresh_user_data(user_id, data)
    return data.get("probe", 0)


async def test_exactly_one_worker_leads_and_another_takes_over(two_workers, server):
    first, second = two_workers.apps
    assert [first.cluster.is_leader, second.cluster.is_leader].count(True) == 1
    leader, follower = (first, second) if first.cluster.is_leader else (second, first)
    await two_workers.stop_one(leader)
    deadline = time.monotonic() + 15
    while not follower.cluster.is_leader:
        assert time.monotonic() < deadline, "nobody took over within 15 s"
        await asyncio.sleep(0.1)
    assert follower.delivery.bot is not None  # the sender runs in the new leader


async def test_ptb_keeps_conversation_states_where_the_refresh_looks(shared_settings):
    """Pins the one undocumented thing bot.cluster.conversations relies on: a state another
    worker stored is the state PTB's ConversationHandler sees after the refresh, and an
    ended one is gone."""
    from bot.app import build_application
    from bot.registration import Step

    app = build_application(shared_settings)
    await app.initialize()
    try:
        handlers = conversations.persistent_conversations(app)
        assert len(handlers) >= 5
        conversations.check_supported(handlers)
        registration = next(h for h in handlers if h.name == "registration")
        user = {"id": 777, "is_bot": False, "first_name": "Ani"}
        message = {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 777, "type": "private"},
            "from": user,
            "text": "Ani Lestari",
        }
        update = Update.de_json({"update_id": 1, "message": message}, app.bot)
        with app.database.session() as session:
            botstate.save_conversation(session, "registration", (777, 777), int(Step.NAME))
        conversations.refresh_conversations(handlers, app.database, update)
        checked = registration.check_update(update)
        assert checked is not None and checked[0] == Step.NAME
        with app.database.session() as session:
            botstate.save_conversation(session, "registration", (777, 777), None)
        conversations.refresh_conversations(handlers, app.database, update)
        assert registration.check_update(update) is None  # plain text outside the form
    finally:
        await app.shutdown()
        app.database.dispose()


def test_workers_share_the_user_lock_namespace():
    from storage.locks import lock_key

    assert lock_key("user", 42) == lock_key("user", 42)
    assert lock_key("user", 42) != lock_key("leader", 42)
    assert -(2**63) <= lock_key("user", 2**52) < 2**63


async def test_the_worker_that_served_the_last_step_keeps_the_forms_timeout(two_workers, server):
    """Worker 0 asked the first question; worker 1 takes the answer and tells the others,
    so worker 0's idle timeout cannot end the form the user is still filling in."""

    def registration(app):  # type: ignore[no-untyped-def]
        handlers = conversations.persistent_conversations(app)
        return next(h for h in handlers if h.name == "registration")

    user = server.new_user()
    await user.send_text("/start")  # worker 0
    first, second = (registration(app) for app in two_workers.apps)
    assert (user.id, user.id) in first.timeout_jobs
    await user.press("Ya, saya setuju")  # worker 1
    assert (user.id, user.id) in second.timeout_jobs
    deadline = time.monotonic() + 5
    while (user.id, user.id) in first.timeout_jobs:
        assert time.monotonic() < deadline, "worker 0 kept its stale timeout"
        await asyncio.sleep(0.05)


async def test_a_broadcast_stored_by_a_follower_is_sent_at_once(two_workers, server):
    """The follower's wake reaches the leader's sender: no wait for its next poll (5 s)."""
    follower = next(app for app in two_workers.apps if not app.cluster.is_leader)
    users = [server.new_user() for _ in range(3)]
    await asyncio.sleep(0.5)  # the leader's first monitor pass is over: it would now poll
    with follower.database.session() as session:
        outbox.create_broadcast(
            session,
            kind="announcement",
            payload=Payload("Rapat kader besok").to_json(),
            recipients=[u.id for u in users],
        )
    started = time.monotonic()
    follower.delivery.wake()
    await server.wait_for(lambda: all(server.delivered_count(u.id) for u in users), timeout=10)
    assert time.monotonic() - started < 2.5
    assert follower.delivery.bot is None and follower.delivery.sent_total == 0  # not its job
