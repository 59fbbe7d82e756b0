"""The HTTP client of the delivery engine: lean enough to send 1,000 messages a second.

PTB's `HTTPXRequest` spends 1–4 ms of CPU per API call (httpx + httpcore + anyio, more with a
bigger connection pool). That is nothing for interactive replies, but at Telegram's paid
broadcast rate it would take a whole core and starve the event loop that answers cadres.
`aiohttp` does the same request in about a third of that, so the engine uses it (a declared
dependency); `HTTPXRequest` remains the fallback where aiohttp cannot be imported (fine at the
default 25/s).

It sends what `HTTPXRequest` sends: the form fields of `RequestData.json_parameters`, as
multipart when there are uploads, and maps transport failures to PTB's `TimedOut` /
`NetworkError`, so `BaseRequest` turns Telegram's answers into the usual exceptions.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

__all__ = ["AiohttpRequest", "mass_request"]

try:  # optional: see the module docstring
    import aiohttp
except ImportError:  # pragma: no cover - depends on the environment
    aiohttp = None  # type: ignore[assignment]


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """A PTB request backend on an aiohttp connection pool (no proxies, HTTP/1.1)."""

    def __init__(
        self,
        pool_size: int = 16,
        read_timeout: float | None = 15.0,
        connect_timeout: float | None = 5.0,
        write_timeout: float | None = 20.0,
    ) -> None:
        if aiohttp is None:
            raise RuntimeError("aiohttp is not installed")
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout
        self._session: Any = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        timeout = aiohttp.ClientTimeout(sock_read=read, sock_connect=connect)
        data: Any = None
        headers: dict[str, str] | None = None
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
                # Encoded here: aiohttp's FormData costs more than the whole request.
                data = urlencode(fields).encode()
                headers = _FORM
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as resp:
                return resp.status, await resp.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def mass_request(pool_size: int) -> BaseRequest:
    """The engine's HTTP client: aiohttp when installed, else PTB's default."""
    if aiohttp is not None:
        return AiohttpRequest(pool_size=pool_size)
    return HTTPXRequest(connection_pool_size=pool_size, read_timeout=15.0, pool_timeout=5.0)
