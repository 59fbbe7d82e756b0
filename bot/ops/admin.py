"""`forkom-bot admin add|remove|list`: officials kept in the database, beside `ADMIN_IDS`.

The change takes effect at once — `bot.auth.identify` reads the table on every update — and
the person's command menu is set through the Bot API right away, so they see their commands
without waiting for the bot to restart.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from telegram import Bot
from telegram.error import TelegramError

from bot.auth import identify
from bot.config import Settings
from bot.i18n import language_in
from bot.menu import refresh_commands
from bot.ops.startup import DEFAULT_API_URL, StartupError, database_problem, telegram_problem
from storage import admins
from storage.db import Database, upgrade

__all__ = ["command", "open_database", "refresh_menu"]


def open_database(settings: Settings) -> Database:
    """The migrated database, or StartupError (one line) when it cannot be opened."""
    try:
        upgrade(settings.database_url)
        return Database(settings.database_url)
    except Exception as exc:
        raise StartupError(database_problem(exc, settings)) from None


async def refresh_menu(settings: Settings, database: Database, user_id: int) -> None:
    """Set `user_id`'s command menu for the roles they have now (raises TelegramError)."""
    identity = identify(database, settings, user_id)
    with database.session() as session:
        lang = language_in(session, user_id)
    bot = Bot(
        settings.token,
        base_url=settings.base_url or DEFAULT_API_URL,
        base_file_url=settings.base_file_url or "https://api.telegram.org/file/bot",
    )
    async with bot:
        await refresh_commands(bot, identity, lang, {})


def command(settings: Settings, args: argparse.Namespace) -> int:
    user_id: int | None = args.telegram_id
    if args.action != "list" and user_id is None:
        print(
            f"forkom-bot: admin {args.action} needs the person's numeric Telegram user id",
            file=sys.stderr,
        )
        return 2
    database = open_database(settings)
    try:
        if args.action == "list":
            return _list(settings, database)
        assert user_id is not None
        with database.session() as session:
            if args.action == "add":
                changed = admins.add_official(session, user_id)
            else:
                changed = admins.remove_official(session, user_id)
        print(_outcome(args.action, user_id, changed, settings))
        if not settings.token:
            print("menu: TELEGRAM_BOT_TOKEN is not set; it follows at the bot's next start")
            return 0
        try:
            asyncio.run(refresh_menu(settings, database, user_id))
        except TelegramError as exc:
            raise StartupError(f"menu not updated: {telegram_problem(exc, settings)}") from None
        print(f"menu: updated for {user_id}")
        return 0
    finally:
        database.dispose()


def _outcome(action: str, user_id: int, changed: bool, settings: Settings) -> str:
    if action == "add":
        return f"{user_id} is now an official" if changed else f"{user_id} was an official already"
    if user_id in settings.admin_ids:
        return f"{user_id} is still an official through ADMIN_IDS (remove them there)"
    return f"{user_id} is no longer an official" if changed else f"{user_id} was not an official"


def _list(settings: Settings, database: Database) -> int:
    with database.session() as session:
        stored = admins.official_ids(session)
    for user_id in sorted(settings.admin_ids | stored):
        sources = [
            s
            for s, ids in (("ADMIN_IDS", settings.admin_ids), ("database", stored))
            if user_id in ids
        ]
        print(f"{user_id}  ({', '.join(sources)})")
    if not settings.admin_ids and not stored:
        print("no officials: add one with `forkom-bot admin add <telegram_id>` or in ADMIN_IDS")
    return 0
