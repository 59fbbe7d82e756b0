"""The bot's HTTP client, and the delivery engine's own `Bot`: lean enough for 1,000 messages
a second.

PTB's `HTTPXRequest` spends several times the CPU of an aiohttp request per API call. At
Telegram's paid broadcast rate it would take a whole core and starve the event loop that
answers cadres, and in a burst of taps it was a third of the bot's CPU, so both the engine
and the application's bot (`bot.app`) send through aiohttp.

`AiohttpRequest` sends what `HTTPXRequest` sends: the form fields of
`RequestData.json_parameters`, as multipart when there are uploads, and maps transport failures
to PTB's `TimedOut` and `NoAnswer` (a `NetworkError`), so `BaseRequest` turns Telegram's
answers into the usual exceptions and a send that got no answer stays apart from a 5xx.
It compares timeouts with `BaseRequest.DEFAULT_NONE`, as ptbcontrib's aiohttp_request does,
so only public PTB names are used.
"""

from __future__ import annotations

import warnings
from typing import Any
from urllib.parse import urlencode
from urllib.request import getproxies

import aiohttp
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

__all__ = ["AiohttpRequest", "MassBot", "NoAnswer"]

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# The methods the engine sends by name through `do_api_request` (see `MassBot`).
_KNOWN_ENDPOINTS = r"Please use 'Bot\.send(Message|Photo|Document)' instead of"


class NoAnswer(NetworkError):
    """The request got no answer (the connection failed or broke): it may have been sent.

    Any other `NetworkError` from this client is an answer with an error status (a 5xx)."""


class MassBot(Bot):
    """A `Bot` whose mass sends skip building `Message` objects.

    Parsing each answer into a `Message` costs more CPU than the request itself; the engine
    needs only `message_id`. `do_api_request` is PTB's public request path (defaults, error
    mapping), so 429/403/400 still arrive as `RetryAfter`/`Forbidden`/`BadRequest`. PTB warns
    when it is used for a method it has a wrapper for; that warning, for the three methods sent
    here, is silenced once when the bot is made.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        warnings.filterwarnings("ignore", message=_KNOWN_ENDPOINTS, category=PTBUserWarning)

    async def send_raw(self, endpoint: str, params: dict[str, Any]) -> Any:
        """Send `endpoint` with `params`; the answer is Telegram's JSON result, not an object."""
        return await self.do_api_request(endpoint, api_kwargs=params)


class AiohttpRequest(BaseRequest):
    """A PTB request backend on an aiohttp connection pool (HTTP/1.1; the environment's proxy
    when one is set)."""

    def __init__(
        self,
        pool_size: int = 16,
        read_timeout: float | None = 15.0,
        connect_timeout: float | None = 5.0,
        write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # HTTPS_PROXY/NO_PROXY as PTB's httpx honours them (a dinas network may need a
                # proxy to reach Telegram); looked up per request, so only when one is set.
                trust_env=bool(getproxies()),
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
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = aiohttp.ClientTimeout(
            sock_read=_seconds(read_timeout, self._read_timeout),
            sock_connect=_seconds(connect_timeout, self._connect_timeout),
        )
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
            raise NoAnswer(f"aiohttp.{type(err).__name__}: {err}") from err


def _seconds(value: object, default: float | None) -> float | None:
    """A timeout argument; `BaseRequest.DEFAULT_NONE` (not given) means this client's own."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    if value is None or isinstance(value, int | float):
        return value
    return default
