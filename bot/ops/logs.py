"""Logging set-up: quiet by default, `LOG_LEVEL`, `LOG_FORMAT=json`, and no personal data.

Quiet means an operator sees what the bot does, not what its libraries do: no Alembic lines
at each start, no APScheduler line for every minute tick (both come back at `LOG_LEVEL=DEBUG`),
and no httpx line for every request to Telegram.

Private means a log line may be shipped to a collector or pasted into a chat without a breach
(UU PDP): `PrivacyFilter` masks Indonesian phone numbers, the bot token and URL passwords in
every message, its arguments and the formatted traceback, drops the parameter lists SQLAlchemy
puts into its error text, and blanks the payload of the library debug lines that dump whole
updates, API calls or result rows (names, phones, Telegram ids).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

__all__ = ["JsonFormatter", "PrivacyFilter", "configure_logging", "mask_personal_data"]

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Libraries that chatter at INFO; shown only at DEBUG.
_CHATTY = ("alembic", "apscheduler")

#: The bot token as BotFather issues it (in Bot API URLs too: `…/bot<token>/sendMessage`).
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
#: The password of a URL such as `postgresql+psycopg://user:password@host/db`.
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*:)\S+@")
#: An Indonesian mobile number in each way people and the bot write one: 0812…, 62812…,
#: +62 812…, with spaces, dashes, dots, slashes or brackets between the digits. After the
#: leading 8 come 8–11 more digits (9–12 in all, as `bot.validation.normalise_phone` accepts).
_PHONE = re.compile(r"(?<!\d)(?:\+\s?62|62|0)[\s\-./()]{0,2}8(?:[\s\-./()]{0,2}\d){8,11}(?!\d)")
#: SQLAlchemy error text ends with `[parameters: (…)]`, the statement's values (hidden at the
#: source by `hide_parameters=True`; this catches an error built anywhere else).
_SQL_PARAMETERS = re.compile(r"\[parameters: .*\]")

#: Library debug lines whose argument (by position) is a whole payload: an update, the
#: parameters or result of a Bot API call, a result row, a conversation key (chat and user
#: ids). The line stays, so the event is still visible; the payload does not.
_PAYLOAD_ARGUMENTS: dict[str, tuple[int, ...]] = {
    "Calling Bot API endpoint `%s` with parameters `%s`": (1,),
    "Call to Bot API endpoint `%s` finished with return value `%s`": (1,),
    "Processing update %s": (0,),
    "Dropping pending update: %s": (0,),
    "Webhook received data: %s": (0,),
    'Can not load invalid JSON data: "%s"': (0,),
    "Selecting conversation %s with state %s": (0,),
    "Conversation timeout was triggered for conversation %s!": (0,),
    "Row %r": (0,),
}
_REDACTED = "<redacted>"


def mask_personal_data(text: str) -> str:
    """`text` with phone numbers, bot tokens and URL passwords masked, SQL parameters dropped.

    The token goes first: its numeric bot id could otherwise be taken for a phone number.
    """
    text = _TOKEN.sub("<token>", text)
    text = _URL_PASSWORD.sub(r"\1***@", text)
    text = _SQL_PARAMETERS.sub("[parameters: hidden]", text)
    return _PHONE.sub("<phone>", text)


class PrivacyFilter(logging.Filter):
    """Masks personal data and secrets in a record before any handler formats it.

    Installed on a handler (the root handler by `configure_logging`), so it sees the records
    of every logger, the libraries' too. The record is rewritten in place: the message is
    formatted once and masked, the traceback formatted once and masked into `exc_text`
    (which every `logging.Formatter` prints instead of formatting `exc_info` again).
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        positions = _PAYLOAD_ARGUMENTS.get(record.msg) if isinstance(record.msg, str) else None
        if positions and isinstance(record.args, tuple):
            record.args = tuple(
                _REDACTED if i in positions else arg for i, arg in enumerate(record.args)
            )
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep what there is, masked
            message = f"{record.msg} {record.args!r}"
        record.msg = mask_personal_data(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            # exc_text first: PrivacyFilter leaves the masked traceback there.
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Set up the root logger once for the process (replacing any earlier set-up)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT_FORMAT))
    handler.addFilter(PrivacyFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in _CHATTY:
        logging.getLogger(name).setLevel(quiet)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
