"""Operator commands and start-up failures, run as operators run them: `python -m bot …`."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.ops.backup import processes_using
from bot.ops.cli import parser
from storage import admins
from storage.db import Database
from tests.auxil import databases
from tests.auxil.process import bot_env
from tests.conftest import TOKEN
from tests.fakebot import FakeTelegramServer
from tests.ops.conftest import free_port


async def cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


async def test_unreachable_telegram_is_one_line_and_exit_2(database_url, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/bot"
    code, _, err = await cli(bot_env(TOKEN, url, database_url), tmp_path)
    line = _one_line(err)
    assert code == 2
    assert f"cannot reach Telegram at {url}" in line
    assert "connect" in line.lower()  # the reason, e.g. "All connection attempts failed"


async def test_rejected_token_names_the_variable_and_botfather(
    database_url, tmp_path, server: FakeTelegramServer
):
    env = bot_env("999:REJECTED-token", server.base_url, database_url)
    code, _, err = await cli(env, tmp_path)
    line = _one_line(err)
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN" in line and "@BotFather" in line
    assert "REJECTED" not in line  # the token itself is never printed


async def test_unreachable_database_masks_the_password(tmp_path):
    url = f"postgresql+psycopg://forkom:s3cret@127.0.0.1:{free_port()}/forkom"
    code, _, err = await cli(bot_env(TOKEN, "http://127.0.0.1:9/bot", url), tmp_path)
    line = _one_line(err)
    assert code == 2
    assert "forkom:***@127.0.0.1" in line and "s3cret" not in line


async def test_webhook_without_a_secret_suggests_one(database_url, tmp_path):
    env = bot_env(TOKEN, "http://127.0.0.1:9/bot", database_url, WEBHOOK_URL="https://x.org/tg")
    code, _, err = await cli(env, tmp_path, "webhook")
    line = _one_line(err)
    assert code == 2 and "WEBHOOK_SECRET=" in line


async def test_every_command_is_listed_and_has_help(tmp_path, capsys):
    env = bot_env(TOKEN, "http://127.0.0.1:9/bot", "sqlite:///unused.db")
    code, out, _ = await cli(env, tmp_path, "--help")
    assert code == 0
    for command in ("run", "webhook", "db", "regions", "admin", "backup", "restore", "check"):
        assert f"    {command} " in out
        with pytest.raises(SystemExit) as exited:
            parser().parse_args([command, "--help"])
        assert exited.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: forkom-bot {command}")


async def test_admin_add_gives_the_official_menu_at_once(
    database_url, tmp_path, server: FakeTelegramServer
):
    env = bot_env(TOKEN, server.base_url, database_url, ADMIN_IDS="9001")
    scope = json.dumps({"chat_id": 777, "type": "chat"}, sort_keys=True)

    def menu() -> list[str]:
        return [c["command"] for c in server.commands.get((scope, ""), [])]

    code, out, err = await cli(env, tmp_path, "admin", "add", "777")
    assert code == 0, err
    assert "777 is now an official" in out
    assert {"undang", "koordinator", "umumkan", "statistik"} <= set(menu())

    code, out, _ = await cli(env, tmp_path, "admin", "list")
    assert code == 0
    assert out.splitlines() == ["777  (database)", "9001  (ADMIN_IDS)"]

    code, out, _ = await cli(env, tmp_path, "admin", "remove", "777")
    assert code == 0 and "no longer an official" in out
    assert "undang" not in menu() and "start" in menu()
    code, out, _ = await cli(env, tmp_path, "admin", "remove", "9001")
    assert "still an official through ADMIN_IDS" in out


async def test_check_says_all_is_well_in_five_lines(
    database_url, tmp_path, server: FakeTelegramServer
):
    code, out, err = await cli(bot_env(TOKEN, server.base_url, database_url), tmp_path, "check")
    assert code == 0, out + err
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        [name, "ok"] for name in ("settings", "database", "migrations", "regions", "telegram")
    ]
    assert "@forkom_test_bot" in lines[-1]

    url = f"http://127.0.0.1:{free_port()}/bot"
    code, out, _ = await cli(bot_env(TOKEN, url, database_url), tmp_path, "check")
    assert code == 1 and out.splitlines()[-1].startswith("telegram    FAIL  cannot reach")


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database whatever TEST_DATABASES says (backup/restore is SQLite's)."""
    return databases.sqlite_copy(_sqlite_template, tmp_path)


async def test_backup_and_restore_round_trip(sqlite_url, tmp_path):
    database_url = sqlite_url
    env = bot_env(TOKEN, "http://127.0.0.1:9/bot", database_url)
    database = Database(database_url)
    with database.session() as session:
        admins.add_official(session, 111)
    code, out, err = await cli(env, tmp_path, "backup", str(tmp_path / "copy.db"))
    assert code == 0 and "backup written" in out, err
    with database.session() as session:
        admins.add_official(session, 222)

    # While a process has the database open, restore refuses (the bot must be stopped).
    path = Path(database.engine.url.database or "")
    with database.session() as session:
        assert admins.official_ids(session) == {111, 222}
        held = sqlite3.connect(path)
        assert processes_using(path) == []  # this process is not "another"
        code, _, err = await cli(env, tmp_path, "restore", str(tmp_path / "copy.db"))
        held.close()
    assert code == 2 and "stop the bot first" in _one_line(err)
    database.dispose()

    code, out, err = await cli(env, tmp_path, "restore", str(tmp_path / "copy.db"))
    assert code == 0 and "restored" in out, err
    database = Database(database_url)
    with database.session() as session:
        assert admins.official_ids(session) == {111}
    database.dispose()

    (tmp_path / "junk.db").write_text("not a database")
    code, _, err = await cli(env, tmp_path, "restore", str(tmp_path / "junk.db"))
    assert code == 2 and "nothing was changed" in _one_line(err)
