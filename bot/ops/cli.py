"""The command line, `forkom-bot` (also `python -m bot`): run the bot and the operator commands.

Every command has `--help`; `forkom-bot --help` lists them all. A problem an operator can fix
(a setting, an unreachable database or Telegram, a refused token) is one line on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.ops.logs import configure_logging
from bot.ops.startup import StartupError, database_problem

__all__ = ["main", "parser"]

Command = Callable[[Settings, argparse.Namespace], int]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="forkom-bot",
        description="Forkom KPM Telegram bot. Without a command it runs the bot (long polling).",
        epilog="Settings come from the environment and .env (see .env.example and the README).",
    )
    sub = root.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run the bot with long polling (the default)").set_defaults(
        handler=_run_polling
    )
    sub.add_parser(
        "webhook",
        help="run the bot behind a reverse proxy: Telegram posts updates to WEBHOOK_URL",
        description="Listen on WEBHOOK_LISTEN:WEBHOOK_PORT at the path of WEBHOOK_URL "
        "(also /healthz and /metrics); needs WEBHOOK_URL and WEBHOOK_SECRET.",
    ).set_defaults(handler=_run_webhook)

    db = sub.add_parser("db", help="database maintenance", description="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply pending migrations")
    db.set_defaults(handler=_db_upgrade)
    reg = sub.add_parser("regions", help="official region data", description="region data")
    reg.add_argument("action", choices=["load"], help="load: (re)load storage/data/regions.csv")
    reg.set_defaults(handler=_regions_load)

    from bot.ops import admin, backup, check

    adm = sub.add_parser(
        "admin",
        help="officials kept in the database, beside ADMIN_IDS",
        description="Give or take an official's rights; their command menu follows at once.",
    )
    adm.add_argument("action", choices=["add", "remove", "list"])
    adm.add_argument("telegram_id", nargs="?", type=int, help="numeric Telegram user id")
    adm.set_defaults(handler=admin.command)

    bak = sub.add_parser(
        "backup",
        help="copy the database to FILE (safe while the bot runs)",
        description="SQLite: an online copy (the backup API). PostgreSQL: runs pg_dump when it "
        "is on PATH, else prints the exact command.",
    )
    bak.add_argument("file", type=Path, help="where to write the copy")
    bak.set_defaults(handler=backup.backup_command)
    res = sub.add_parser(
        "restore",
        help="replace the SQLite database with a backup FILE (the bot must be stopped)",
        description="SQLite only; refuses while another process has the database open. "
        "PostgreSQL: prints the pg_restore command.",
    )
    res.add_argument("file", type=Path, help="a file written by forkom-bot backup")
    res.set_defaults(handler=backup.restore_command)

    sub.add_parser(
        "check",
        help="check settings, database, migrations, region data and Telegram (a line each)",
        description="One line per check; exit status 0 only when all are good.",
    ).set_defaults(handler=check.command)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "run"
    handler: Command = getattr(args, "handler", _run_polling)
    try:
        settings = load_settings(
            require_token=command in {"run", "webhook"}, require_webhook=command == "webhook"
        )
    except ConfigError as exc:
        if command == "check":
            print(f"settings    FAIL  {exc}")
            return 1
        print(f"forkom-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        return handler(settings, args)
    except StartupError as exc:
        print(f"forkom-bot: {exc}", file=sys.stderr)
        return 2


def _serve(settings: Settings, mode: str) -> int:
    from bot.app import build_application, prepare_database
    from bot.ops.runner import serve

    try:
        database = prepare_database(settings)
    except SystemExit as exc:  # FORUM_AREA unknown: prepare_database says so in one line
        raise StartupError(str(exc)) from None
    except Exception as exc:
        raise StartupError(database_problem(exc, settings)) from None
    app = build_application(settings, database)
    return asyncio.run(serve(app, "webhook" if mode == "webhook" else "polling"))


def _run_polling(settings: Settings, args: argparse.Namespace) -> int:
    return _serve(settings, "polling")


def _run_webhook(settings: Settings, args: argparse.Namespace) -> int:
    return _serve(settings, "webhook")


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import upgrade

    try:
        upgrade(settings.database_url)
    except Exception as exc:
        raise StartupError(database_problem(exc, settings)) from None
    print("database is up to date")
    return 0


def _regions_load(settings: Settings, args: argparse.Namespace) -> int:
    from storage import regions
    from storage.db import Database, upgrade

    try:
        upgrade(settings.database_url)
        database = Database(settings.database_url)
        with database.session() as session:
            count = regions.load_regions(session)
        database.dispose()
    except Exception as exc:
        raise StartupError(database_problem(exc, settings)) from None
    print(f"regions loaded ({count} changed)" if count else "regions already up to date")
    return 0
