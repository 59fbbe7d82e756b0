"""Helpers for tests of the delivery engine, announcements and trainings."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.delivery import DeliveryEngine
from storage import outbox, people
from storage import training as store
from storage.models import utcnow
from storage.outbox import BroadcastInfo, DeliveryCounts
from storage.training import TrainingInfo
from tests.auxil.runner import BotRunner

FAST_ENGINE = {
    "progress_interval": 0.1,
    "poll_interval": 0.2,
    "backoff_base": 0.05,
    "backoff_cap": 0.2,
}


def engine(runner: BotRunner) -> DeliveryEngine:
    assert runner.app is not None
    return runner.app.delivery


def speed_up(runner: BotRunner, **overrides: Any) -> DeliveryEngine:
    """Shorter intervals and backoff on the running engine (same code paths, less waiting)."""
    found = engine(runner)
    for name, value in {**FAST_ENGINE, **overrides}.items():
        setattr(found, name, value)
    return found


def known_users(runner: BotRunner, users: list[Any], language: str = "id") -> list[int]:
    """Record the users as people the bot has seen (language known); returns their ids."""
    with runner.session() as session:
        for user in users:
            people.touch_user(session, user.id, language)
    return [user.id for user in users]


async def wait_finished(
    runner: BotRunner, broadcast_id: int, timeout: float = 15.0
) -> tuple[BroadcastInfo, DeliveryCounts]:
    """Wait until the broadcast is done or cancelled and its summary is written."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with runner.session() as session:
            info = outbox.get_broadcast(session, broadcast_id)
            counts = outbox.broadcast_status(session, broadcast_id)
        assert info is not None
        if info.status in ("done", "cancelled"):
            await engine(runner).idle(broadcast_id)
            with runner.session() as session:  # what settled while in-flight sends finished
                return info, outbox.broadcast_status(session, broadcast_id)
        if loop.time() > deadline:
            raise AssertionError(f"broadcast {broadcast_id} still {info.status}: {counts}")
        await asyncio.sleep(0.05)


def status(runner: BotRunner, broadcast_id: int) -> DeliveryCounts:
    with runner.session() as session:
        return outbox.broadcast_status(session, broadcast_id)


def delivered(server: Any, chat_ids: list[int]) -> dict[int, int]:
    """Messages each chat received from the bot (for loss and duplicate checks)."""
    return {chat_id: server.delivered_count(chat_id) for chat_id in chat_ids}


async def announce_training(
    runner: BotRunner,
    *,
    area: str,
    quota: int | None = None,
    starts_in: timedelta = timedelta(days=7),
    title: str = "Pelatihan Kader Posyandu",
    institutions: tuple[str, ...] = (),
    creator: int = 9001,
) -> TrainingInfo:
    """A training stored and announced to its audience the way /pelatihan_baru does it."""
    from bot.training import publish

    with runner.session() as session:
        training = store.create_training(
            session,
            title=title,
            description="Materi: <b>gizi balita</b> dan pencatatan KMS.",
            starts_at=utcnow() + starts_in,
            place="Aula Kelurahan Kanaan",
            quota=quota,
            area_code=area,
            institutions=institutions,
            created_by=creator,
        )
        recipients = outbox.audience_ids(session, [area], list(institutions) or None)
    assert runner.app is not None
    broadcast_id = publish(runner.app, training, recipients, sender_id=None, audience=area)
    await wait_finished(runner, broadcast_id)
    with runner.session() as session:
        announced = store.get_training(session, training.id)
    assert announced is not None
    return announced
