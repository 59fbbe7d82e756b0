"""SQLite serves one bot process: a second one on the same file stops with one line."""

from __future__ import annotations

import asyncio
import sys

from tests.auxil.process import bot_env, start_bot, stop_bot
from tests.conftest import TOKEN


async def test_a_second_bot_on_the_same_sqlite_file_refuses_to_start(server, tmp_path):
    url = f"sqlite:///{tmp_path / 'forkom.db'}"
    env = bot_env(TOKEN, server.base_url, url, FORUM_AREA="64.74")
    first = start_bot(env, tmp_path, tmp_path / "first.log")
    try:
        await server.wait_until_polling(timeout=60)
        second = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(second.communicate(), 60)
        stderr = err.decode()
        assert first.poll() is None  # the first one is undisturbed
    finally:
        assert stop_bot(first) == 0, (tmp_path / "first.log").read_text()
    assert second.returncode == 2
    # Alembic's plugin INFO lines are quieted by the logging work of issue 11 item 4.
    lines = [x for x in stderr.strip().splitlines() if "alembic.runtime.plugins" not in x]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert "already runs on" in lines[0] and f"pid {first.pid}" in lines[0]
