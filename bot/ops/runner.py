"""Run the bot until a signal: start, serve by long polling or webhook, stop cleanly.

Not PTB's `run_polling`/`run_webhook`: the start-up has to turn failures into one line, the
webhook shares its port with `/healthz` and `/metrics`, and a stop has to be bounded.

A stop (SIGTERM or SIGINT) takes updates no more (polling ends; webhook posts get 503, so
Telegram delivers them again later), lets the handlers in flight and the delivery engine's
current sends finish (about 10 s at most), gives unsent claims back to the outbox, writes the
persistence and returns 0. A second signal exits at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Literal

from telegram.error import TelegramError

from bot.app import ALLOWED_UPDATES
from bot.context import ForkomApplication
from bot.ops.startup import StartupError, telegram_problem
from bot.ops.web import OpsServer

__all__ = ["STOP_TIMEOUT", "Mode", "serve"]

log = logging.getLogger(__name__)

Mode = Literal["polling", "webhook"]
#: Seconds the handlers in flight get to finish at a stop.
STOP_TIMEOUT = 10.0


async def serve(
    app: ForkomApplication, mode: Mode = "polling", stop: asyncio.Event | None = None
) -> int:
    """Run `app` until SIGTERM/SIGINT (or until `stop` is set, when given: no signal handlers
    then, for a bot embedded in another program); StartupError (one line) when it cannot start.
    """
    stopping = stop or asyncio.Event()
    if stop is None:
        _on_stop_signals(stopping)
    server: OpsServer | None = None
    initialized = False
    try:
        try:
            # Before the state is loaded: a polling bot with no other worker up serves alone.
            if not await app.cluster.join(alone=mode == "polling", stop=stopping):
                return 0
            await app.initialize()
            initialized = True
            if app.post_init is not None:
                await app.post_init(app)
            await app.start()
            server = await _start_server(app, mode)
            if mode == "webhook":
                await app.bot.set_webhook(
                    app.settings.webhook_url or "",
                    secret_token=app.settings.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            else:
                assert app.updater is not None
                await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        except TelegramError as exc:
            raise StartupError(telegram_problem(exc, app.settings)) from None
        where = f" at {app.settings.webhook_url}" if mode == "webhook" else ""
        log.info("@%s is running (%s%s)", app.bot.username, mode, where)
        await stopping.wait()
        log.info("stopping: finishing the updates and sends in flight")
    finally:
        await _stop(app, server, initialized)
    log.info("stopped")
    return 0


async def _start_server(app: ForkomApplication, mode: Mode) -> OpsServer | None:
    settings = app.settings
    port = settings.webhook_port if mode == "webhook" else settings.metrics_port
    if port is None:
        return None
    server = OpsServer(app, webhook=mode == "webhook", host=settings.webhook_listen, port=port)
    try:
        await server.start()
    except OSError as exc:
        variable = "WEBHOOK_PORT" if mode == "webhook" else "METRICS_PORT"
        raise StartupError(
            f"cannot listen on {settings.webhook_listen}:{port} ({variable}): {exc.strerror or exc}"
        ) from None
    return server


def _on_stop_signals(stopping: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()

    def received(signum: int) -> None:
        if stopping.is_set():
            log.warning("second %s: exiting at once", signal.Signals(signum).name)
            os._exit(128 + signum)
        log.info("%s received; a second one exits at once", signal.Signals(signum).name)
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, received, signum)


async def _stop(app: ForkomApplication, server: OpsServer | None, initialized: bool) -> None:
    if server is not None:
        server.accepting = False
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        try:
            await asyncio.wait_for(app.stop(), STOP_TIMEOUT)
        except TimeoutError:
            log.warning("handlers still busy after %.0f s; stopping without them", STOP_TIMEOUT)
    if initialized:
        if app.post_stop is not None:
            await app.post_stop(app)  # the services: the sender records what it sent
        await app.shutdown()  # writes the persistence
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
    else:  # PTB shuts down only a bot that got through its getMe
        await asyncio.gather(*(client.shutdown() for client in app.http))
        await app.cluster.stop()  # the serving lock, when taken
    if server is not None:
        await server.stop()
