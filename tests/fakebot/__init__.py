"""A fake Telegram Bot API server for tests and benchmarks.

Run the real bot (PTB ``Application``) against it::

    async with FakeTelegramServer() as server:
        app = (
            ApplicationBuilder()
            .token(server.token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        user = server.new_user(first_name="Siti")
        await user.send_command("start")
        reply = await user.wait_for_message()

See ``server.py`` for the HTTP side, ``users.py`` for acting as users and ``tghtml.py`` for
the Telegram HTML validator.
"""

from .media import FileStore, StoredFile
from .models import ApiCall, ApiError, FakeChat, SentMessage, ServerStats, UploadedFile
from .ptb_request import AiohttpRequest
from .ratelimit import RateLimiter, RateLimits
from .server import ErrorHook, FakeTelegramServer
from .tghtml import HtmlParseError, ParsedText, parse_html, utf16_len
from .users import FakeUser

__all__ = [
    "AiohttpRequest",
    "ApiCall",
    "ApiError",
    "ErrorHook",
    "FakeChat",
    "FakeTelegramServer",
    "FakeUser",
    "FileStore",
    "HtmlParseError",
    "ParsedText",
    "RateLimiter",
    "RateLimits",
    "SentMessage",
    "ServerStats",
    "StoredFile",
    "UploadedFile",
    "parse_html",
    "utf16_len",
]
