"""The aiohttp-backed PTB request class, for load tests and benchmarks.

It is the delivery engine's own client (`bot.delivery.http`): PTB's default `HTTPXRequest`
costs about 1 ms of CPU per call, which would cap in-process benchmarks well below Telegram's
paid-broadcast rate. Ordinary tests keep PTB's default client.
"""

from __future__ import annotations

from bot.delivery.http import AiohttpRequest

__all__ = ["AiohttpRequest"]
