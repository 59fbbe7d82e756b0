"""Start-up failures as one line an operator can act on, never a traceback.

Each names what is wrong and where to look: the Telegram URL and the reason it did not answer,
`TELEGRAM_BOT_TOKEN` and @BotFather for a token Telegram refuses, the database URL with its
password masked. The token never appears (PTB's own message for a refused token holds it).
"""

from __future__ import annotations

from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut

from bot.config import Settings
from bot.ops.logs import mask_personal_data

__all__ = ["DEFAULT_API_URL", "StartupError", "database_problem", "telegram_problem"]

DEFAULT_API_URL = "https://api.telegram.org/bot"


class StartupError(Exception):
    """The bot cannot start; the message is the one line to print (exit status 2)."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return mask_personal_data(text.splitlines()[0])[:300]


def telegram_problem(exc: TelegramError, settings: Settings) -> str:
    """What went wrong talking to Telegram, in one line."""
    url = settings.base_url or DEFAULT_API_URL
    if isinstance(exc, InvalidToken):
        return (
            f"Telegram ({url}) rejected TELEGRAM_BOT_TOKEN: copy the bot's token again from "
            "@BotFather (/mybots → your bot → API Token) into .env or the environment"
        )
    reason = _first_line(exc.__cause__ or exc) if isinstance(exc, NetworkError) else ""
    if isinstance(exc, TimedOut):
        reason = "no answer in time (timed out)"
    reason = (reason or _first_line(exc)).replace(settings.token, "<token>")
    if isinstance(exc, NetworkError):
        return f"cannot reach Telegram at {url}: {reason}"
    return f"Telegram ({url}) refused to start the bot: {reason}"


def database_problem(exc: BaseException, settings: Settings) -> str:
    """What went wrong opening the database, in one line (password masked)."""
    reason = _first_line(getattr(exc, "orig", None) or exc)
    reason = reason.replace(settings.database_url, settings.printable_database_url)
    return f"cannot open the database ({settings.printable_database_url}): {reason}"
