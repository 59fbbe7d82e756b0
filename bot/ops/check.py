"""`forkom-bot check`: can this machine run the bot? One line per check, exit 0 only if all pass.

Nothing is changed: the database is not migrated, the region data not loaded, nothing is sent
to Telegram but `getMe`. Each failing line says what to do.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, text
from sqlmodel import select
from telegram import Bot
from telegram.error import TelegramError

from bot.config import Settings
from bot.ops.logs import mask_personal_data
from bot.ops.startup import DEFAULT_API_URL, database_problem, telegram_problem
from storage import regions
from storage.db import Database, alembic_config
from storage.models import Region

__all__ = ["command"]


class CheckFailed(Exception):
    """The check did not pass; the message is the rest of its line."""


def command(settings: Settings, args: argparse.Namespace) -> int:
    database = Database(settings.database_url)
    checks: list[tuple[str, Callable[[], str]]] = [
        ("settings", lambda: _settings(settings)),
        ("database", lambda: _database(settings, database)),
        ("migrations", lambda: _migrations(database)),
        ("regions", lambda: _regions(settings, database)),
        ("telegram", lambda: asyncio.run(_telegram(settings))),
    ]
    failed = 0
    try:
        for name, check in checks:
            try:
                print(f"{name:<11} ok    {check()}")
            except CheckFailed as exc:
                failed += 1
                print(f"{name:<11} FAIL  {exc}")
            except Exception as exc:
                failed += 1
                first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
                print(f"{name:<11} FAIL  {mask_personal_data(first)[:300]}")
    finally:
        database.dispose()
    return 1 if failed else 0


def _settings(settings: Settings) -> str:
    return (
        f"DATABASE_URL {settings.printable_database_url}, FORUM_AREA {settings.forum_area}, "
        f"TIMEZONE {settings.timezone.key}, {len(settings.admin_ids)} in ADMIN_IDS"
    )


def _database(settings: Settings, database: Database) -> str:
    try:
        with database.engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        raise CheckFailed(database_problem(exc, settings)) from None
    return f"{settings.printable_database_url} answers"


def _migrations(database: Database) -> str:
    heads = set(ScriptDirectory.from_config(alembic_config(database.url)).get_heads())
    with database.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return f"at the latest revision ({', '.join(sorted(heads))})"
    have = ", ".join(sorted(current)) or "none"
    raise CheckFailed(
        f"at {have}, the latest is {', '.join(sorted(heads))}: run `forkom-bot db upgrade` "
        "(the bot also does it at start)"
    )


def _regions(settings: Settings, database: Database) -> str:
    expected = len(regions.read_csv())
    with database.session() as session:
        stored = session.exec(select(func.count()).select_from(Region)).one()
        area = regions.get_region(session, settings.forum_area)
    if stored < expected:
        raise CheckFailed(
            f"{stored:,} of {expected:,} regions stored: run `forkom-bot regions load`"
        )
    if area is None:
        raise CheckFailed(f"FORUM_AREA {settings.forum_area} is not a known region code")
    return f"{stored:,} regions; FORUM_AREA {settings.forum_area} is {regions.display_name(area)}"


async def _telegram(settings: Settings) -> str:
    url = settings.base_url or DEFAULT_API_URL
    if not settings.token:
        raise CheckFailed("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather")
    bot = Bot(settings.token, base_url=url)
    try:
        async with bot:
            return f"reachable at {url}; the bot is @{bot.username}"
    except TelegramError as exc:
        raise CheckFailed(telegram_problem(exc, settings)) from None
