"""The bot's HTTP client (`bot.delivery.http.AiohttpRequest`) reaches Telegram through the
proxy the environment names, as PTB's httpx client did: a dinas network may allow no other way
out. Without a proxy set, requests go straight to the server."""

from __future__ import annotations

import asyncio
import json

from telegram.request import RequestData

from bot.delivery.http import AiohttpRequest

ANSWER = json.dumps({"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "F"}})


class RecordingProxy:
    """An HTTP server that notes each request line and answers Telegram's "ok"."""

    def __init__(self) -> None:
        self.request_lines: list[str] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> RecordingProxy:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        self.request_lines.append(head.split("\r\n", 1)[0])
        length = next(
            (
                int(line.split(":", 1)[1])
                for line in head.split("\r\n")
                if line.lower().startswith("content-length:")
            ),
            0,
        )
        await reader.readexactly(length)
        body = ANSWER.encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()


async def test_requests_go_through_the_proxy_the_environment_names(monkeypatch):
    async with RecordingProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        client = AiohttpRequest()
        await client.initialize()
        try:
            result = await client.post(
                "http://api.telegram.invalid/bot123:abc/getMe", RequestData([])
            )
        finally:
            await client.shutdown()
    assert result["is_bot"] is True
    # A proxy is asked for the absolute URL; the host does not exist, so only it could answer.
    assert proxy.request_lines == ["POST http://api.telegram.invalid/bot123:abc/getMe HTTP/1.1"]


async def test_without_a_proxy_requests_go_straight_to_the_server(monkeypatch):
    for name in (
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    async with RecordingProxy() as server:
        client = AiohttpRequest()
        await client.initialize()
        try:
            await client.post(f"{server.url}/bot123:abc/getMe", RequestData([]))
        finally:
            await client.shutdown()
    assert server.request_lines == ["POST /bot123:abc/getMe HTTP/1.1"]
