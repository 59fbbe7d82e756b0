"""An aiohttp-backed ``telegram.request.BaseRequest`` for load benchmarks.

PTB's default ``HTTPXRequest`` costs roughly 1 ms of CPU per API call (httpx + httpcore +
anyio), several times what the fake server needs to handle the call.  With the bot and the
server sharing one process and one core, that client cost, not the server, caps a broadcast
benchmark at ~800 sendMessage/s.  Benchmarks that measure the *bot's* logic (queueing,
retries, deduplication) rather than httpx can pass this request class to the bot instead::

    ApplicationBuilder().token(token).base_url(url).request(AiohttpRequest(pool_size=16))

It sends exactly what ``HTTPXRequest`` sends (form fields from
``RequestData.json_parameters``; multipart when there are uploads), so the server sees the
same requests.  Production keeps HTTPXRequest; ordinary tests should too.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]


class AiohttpRequest(BaseRequest):
    """Minimal, fast PTB request backend (no proxies, no HTTP/2)."""

    def __init__(
        self,
        pool_size: int = 16,
        read_timeout: float | None = 10.0,
        connect_timeout: float | None = 5.0,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout (PTB adds the long-poll timeout for getUpdates)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
            )

    async def shutdown(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; map transport failures to PTB's NetworkError/TimedOut."""
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        # PTB passes DEFAULT_NONE for "use your default" and None for "no timeout".
        default = BaseRequest.DEFAULT_NONE
        read = self._read_timeout if read_timeout is default else read_timeout
        connect = self._connect_timeout if connect_timeout is default else connect_timeout
        timeout = aiohttp.ClientTimeout(sock_read=read, sock_connect=connect)
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            fields = request_data.json_parameters
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for key, value in fields.items():
                    form.add_field(key, value)
                for key, (filename, content, mimetype) in files.items():
                    form.add_field(key, content, filename=filename, content_type=mimetype)
                data = form
            else:
                data = fields
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as resp:
                return resp.status, await resp.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
