"""Command line: `forkom-bot` (run the bot), `forkom-bot db upgrade`, `forkom-bot regions load`."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.config import ConfigError, load_settings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forkom-bot", description="Forkom KPM Telegram bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot with long polling (the default)")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    reg = sub.add_parser("regions", help="official region data")
    reg.add_argument("action", choices=["load"])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = load_settings(require_token=args.command in (None, "run"))
    except ConfigError as exc:
        print(f"forkom-bot: configuration error: {exc}", file=sys.stderr)
        return 2

    from bot.app import build_application, prepare_database
    from storage import regions
    from storage.db import Database, upgrade

    try:
        if args.command == "db":
            upgrade(settings.database_url)
            print("database is up to date")
            return 0
        if args.command == "regions":
            upgrade(settings.database_url)
            database = Database(settings.database_url)
            with database.session() as session:
                count = regions.load_regions(session)
            print(f"regions loaded ({count} changed)" if count else "regions already up to date")
            return 0
        database = prepare_database(settings)
    except SystemExit as exc:
        print(f"forkom-bot: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(
            f"forkom-bot: cannot open the database ({settings.printable_database_url}): {exc}",
            file=sys.stderr,
        )
        return 2
    app = build_application(settings, database)
    app.run_polling(allowed_updates=["message", "callback_query", "my_chat_member"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
