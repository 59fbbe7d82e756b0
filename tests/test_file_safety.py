"""Files private to the bot's user, and the token never in a clear-text URL (issue 10, F12)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from storage.db import Database
from tests.auxil.reports import cadre, report_via_chat

TOKEN = "123456:ABC-def_ghi"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_file_is_created_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "forkom.db"
    database = Database(f"sqlite:///{path}")
    with database.session() as session:
        session.connection().exec_driver_sql("CREATE TABLE t (x INTEGER)")
    database.dispose()
    assert _mode(path) == 0o600


def test_an_existing_world_readable_database_is_tightened(tmp_path):
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    Database(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8081/bot", "http://localhost:8081/bot", "http://[::1]:8081/bot"]
)
def test_plain_http_bot_api_only_on_this_machine(url):
    assert (
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": url}).base_url == url
    )


@pytest.mark.parametrize("url", ["http://10.0.0.5:8081/bot", "http://botapi.example.org/bot"])
def test_plain_http_to_another_host_is_refused(url):
    with pytest.raises(ConfigError, match=r"TELEGRAM_API_BASE_URL.*https://"):
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": url})
    https = url.replace("http://", "https://")
    assert load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": https}).base_url


async def test_report_media_are_readable_by_the_bot_user_only(bot, server, settings):
    user = cadre(bot, server)
    await report_via_chat(user, album=2, document=True)
    files = [p for p in settings.media_dir.rglob("*") if p.is_file()]
    assert len(files) == 3
    assert all(_mode(p) == 0o600 for p in files)
    assert _mode(settings.media_dir) == 0o700
    assert all(_mode(p.parent) == 0o700 for p in files)
