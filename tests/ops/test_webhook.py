"""Webhook mode: Telegram's posts are checked, handled like polled updates, at a good rate."""

from __future__ import annotations

import asyncio
import time

from bot.app import ALLOWED_UPDATES
from bot.ops.web import SECRET_HEADER
from tests.fakebot import FakeTelegramServer
from tests.ops.conftest import SECRET, WebhookBot


async def test_set_webhook_with_secret_and_allowed_updates(webhook_bot, server):
    (call,) = server.calls_for("setWebhook")
    assert call.params["url"] == webhook_bot.settings.webhook_url
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ALLOWED_UPDATES
    assert not server.calls_for("getUpdates")


async def test_missing_or_wrong_secret_is_refused_and_not_processed(
    webhook_bot: WebhookBot, server: FakeTelegramServer
):
    user = server.new_user()
    server.webhook_secret = None  # no header at all
    await user.send_text("/start")
    server.webhook_secret = "not-the-secret"
    await user.send_text("/start")
    assert server.webhook_statuses == [403, 403]
    await asyncio.sleep(0.5)
    assert user.messages == []
    assert webhook_bot.metric("forkom_updates_total", kind="message") == 0

    server.webhook_secret = SECRET
    await user.send_text("/start")
    assert server.webhook_statuses[-1] == 200
    await user.wait_for_message(lambda m: "UU No. 27" in (m.text or ""), timeout=10)
    await webhook_bot.wait_metric("forkom_updates_total", 1, kind="message")


async def test_garbage_with_the_right_secret_is_a_bad_request(webhook_bot: WebhookBot):
    url = webhook_bot.root + "/telegram/hook"
    async with webhook_bot.http.post(
        url, data=b"{not json", headers={SECRET_HEADER: SECRET}
    ) as response:
        assert response.status == 400
    async with webhook_bot.http.post(url, json={"update_id": 1}) as response:
        assert response.status == 403


def _command(update_id: int, user_id: int, text: str) -> dict[str, object]:
    person = {"id": user_id, "is_bot": False, "first_name": "Kader", "language_code": "id"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Kader"},
            "from": person,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_a_burst_of_500_updates_is_all_processed(
    webhook_bot: WebhookBot, server: FakeTelegramServer
):
    users = [server.new_user() for _ in range(100)]
    updates = [_command(i + 1, users[i % 100].id, "/bantuan") for i in range(500)]
    url = webhook_bot.root + "/telegram/hook"
    connections = asyncio.Semaphore(40)  # Telegram's default max_connections

    async def post(update: dict[str, object]) -> int:
        async with connections:
            async with webhook_bot.http.post(
                url, json=update, headers={SECRET_HEADER: SECRET}
            ) as response:
                return response.status

    started = time.monotonic()
    statuses = await asyncio.gather(*(post(update) for update in updates))
    assert statuses == [200] * 500
    await webhook_bot.wait_metric("forkom_updates_total", 500, timeout=120, kind="message")
    elapsed = time.monotonic() - started
    print(f"500 webhook updates handled in {elapsed:.1f} s ({500 / elapsed:.0f} updates/s)")
    await server.wait_for(lambda: all(len(u.messages) == 5 for u in users), timeout=30)
