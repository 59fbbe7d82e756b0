"""The bot's own small HTTP server (aiohttp): the webhook, `/healthz` and `/metrics` on one port.

Our own server rather than PTB's tornado-based webhook extra, so the health and metrics
endpoints share the webhook's port and no second web framework is installed. An update that
Telegram posts is checked (the `X-Telegram-Bot-Api-Secret-Token` header must equal
`WEBHOOK_SECRET`, else 403 and nothing is processed), decoded and put on PTB's
`update_queue`, where it is handled exactly as a polled update is. While the bot stops, posts
get 503, so Telegram keeps the update and delivers it again (to this or another worker).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import socket

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from telegram import Update

from bot.context import ForkomApplication
from bot.ops.health import check_health, outbox_backlog

__all__ = ["SECRET_HEADER", "OpsServer"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class OpsServer:
    """Serves `/healthz` and `/metrics`, and with `webhook=True` the webhook path too."""

    def __init__(self, app: ForkomApplication, *, webhook: bool, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.accepting = False
        web_app = web.Application()
        if webhook:
            web_app.router.add_post(app.settings.webhook_path, self._update)
        web_app.router.add_get("/healthz", self._healthz)
        web_app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(
            web_app, access_log=None, handle_signals=False, shutdown_timeout=2
        )

    async def start(self) -> None:
        """Bind and serve; `port` 0 picks a free port (then `port` holds the real one)."""
        await self._runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            await self._runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.accepting = True

    async def stop(self) -> None:
        self.accepting = False
        await self._runner.cleanup()

    async def _update(self, request: web.Request) -> web.Response:
        secret = self.app.settings.webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook: refused a request without the right secret token")
            return web.Response(status=403, text="forbidden")
        if not self.accepting:
            return web.Response(status=503, text="stopping")
        try:
            data = await request.json()
            update = Update.de_json(data, self.app.bot)
        except (json.JSONDecodeError, TypeError, KeyError, ValueError):
            return web.Response(status=400, text="not an update")
        await self.app.update_queue.put(update)
        return web.Response(text="ok")

    async def _healthz(self, request: web.Request) -> web.Response:
        health = await check_health(self.app)
        return web.json_response(health.as_json(), status=200 if health.ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        metrics = self.app.metrics
        try:
            metrics.outbox_backlog.set(await asyncio.to_thread(outbox_backlog, self.app.database))
        except Exception:
            log.warning("metrics: could not read the outbox backlog", exc_info=True)
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})
