"""`/healthz` and `/metrics` tell the truth about the running bot."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from aiohttp import ClientSession

from bot.app import build_application, prepare_database
from bot.delivery import Payload, submit
from bot.ops.runner import serve
from storage import outbox
from storage.models import utcnow
from tests.fakebot import FakeTelegramServer
from tests.ops.conftest import WebhookBot, free_port


async def _get(bot: WebhookBot, path: str) -> tuple[int, str, str]:
    async with bot.http.get(bot.root + path) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def test_metrics_and_health_after_a_broadcast(
    webhook_bot: WebhookBot, server: FakeTelegramServer
):
    app = webhook_bot.app
    users = [server.new_user() for _ in range(12)]
    user = users[0]
    await user.send_text("/start")
    await user.wait_for_message(lambda m: "UU No. 27" in (m.text or ""), timeout=10)
    await user.press("Ya, saya setuju")
    await user.wait_for_message(lambda m: "nama lengkap" in (m.text or ""))

    submit(app, kind="announcement", recipient_ids=[u.id for u in users], payload=Payload("Hai"))
    await server.wait_for(lambda: all(server.delivered_count(u.id) for u in users), timeout=30)
    await app.delivery.idle()
    # A broadcast for tomorrow waits in the outbox: 3 recipients of backlog.
    with app.database.session() as session:
        outbox.create_broadcast(
            session,
            kind="announcement",
            payload=Payload("Besok").to_json(),
            recipients=[u.id for u in users[:3]],
            not_before=utcnow() + timedelta(days=1),
        )

    status, kind, body = await _get(webhook_bot, "/metrics")
    assert status == 200 and kind.startswith("text/plain")
    lines = set(body.splitlines())
    assert 'forkom_updates_total{kind="message"} 1.0' in lines
    assert 'forkom_updates_total{kind="callback_query"} 1.0' in lines
    assert "forkom_handler_seconds_count 2.0" in lines
    assert "forkom_messages_sent_total 12.0" in lines
    assert "forkom_messages_failed_total 0.0" in lines
    assert "forkom_telegram_429_total 0.0" in lines
    assert "forkom_outbox_backlog 3.0" in lines
    assert "forkom_reminders_fired_total 0.0" in lines
    assert "forkom_reminders_missed_total 0.0" in lines

    async with webhook_bot.http.get(webhook_bot.root + "/healthz") as response:
        assert response.status == 200
        health = await response.json()
    assert health["database"] == "ok" and health["sender"] == "running"
    assert health["outbox_backlog"] == 3
    assert 0 <= health["scheduler_lag_seconds"] < 5

    await app.delivery.stop()  # the sender is down: not healthy
    async with webhook_bot.http.get(webhook_bot.root + "/healthz") as response:
        assert response.status == 503
        health = await response.json()
    assert health["sender"] == "stopped" and health["status"] == "failing"


async def test_two_applications_in_one_process_count_apart(webhook_bot: WebhookBot, settings):
    other = build_application(settings)
    other.metrics.messages_sent.inc(5)
    assert webhook_bot.metric("forkom_messages_sent_total") == 0
    other.database.dispose()


async def test_polling_mode_serves_health_and_metrics_on_metrics_port(settings, server):
    port = free_port()
    settings = dataclasses.replace(settings, metrics_port=port, webhook_secret="unused-here")
    database = prepare_database(settings)
    app = build_application(settings, database)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, "polling", stop))
    try:
        await server.wait_until_polling(timeout=30)
        async with ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert "forkom_messages_sent_total 0.0" in await response.text()
            async with http.post(f"http://127.0.0.1:{port}/", json={}) as response:
                assert response.status == 404  # no webhook in polling mode
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 30) == 0
        database.dispose()
