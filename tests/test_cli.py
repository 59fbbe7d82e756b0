"""The program as operators run it: `python -m bot`, `forkom-bot db upgrade`, `regions load`."""

from __future__ import annotations

import subprocess
import sys
import time

from sqlalchemy import create_engine, text

from tests.auxil.process import ROOT, bot_env, start_bot, stop_bot
from tests.conftest import TOKEN


def _run(args: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_token_is_one_clear_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    result = _run([], env, tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_db_upgrade_and_regions_load_are_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    for _ in range(2):
        assert _run(["db", "upgrade"], env, tmp_path).returncode == 0
    first = _run(["regions", "load"], env, tmp_path)
    second = _run(["regions", "load"], env, tmp_path)
    assert first.returncode == 0 and "loaded" in first.stdout
    assert second.returncode == 0 and "already up to date" in second.stdout
    engine = create_engine(url)
    with engine.connect() as conn:
        villages = conn.execute(
            text("select count(*) from region where code like '64.74.%' and level = 'village'")
        ).scalar()
    engine.dispose()
    assert villages == 15


async def test_real_process_answers_and_registers(server, tmp_path):
    """Against a local Bot API server (our fake), the installed program does a full registration.

    The SQLite file is created on first start; the region data is loaded by the program itself.
    """
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = bot_env(TOKEN, server.base_url, url, FORUM_AREA="64.74")
    process = start_bot(env, tmp_path, tmp_path / "bot.log")
    try:
        user = server.new_user()
        await server.wait_until_polling(timeout=60)
        started = time.monotonic()
        await user.send_text("/start")
        await user.wait_for_message(lambda m: "UU No. 27" in (m.text or ""), timeout=10)
        print(f"/start answered in {(time.monotonic() - started) * 1000:.0f} ms")
        await user.press("Ya, saya setuju")
        await user.wait_for_message(lambda m: "nama lengkap" in (m.text or ""))
        await user.send_text("Siti Aminah")
        await user.wait_for_message(lambda m: "nomor HP" in (m.text or ""))
        await user.send_text("081234567890")
        await user.wait_for_message(lambda m: "Bontang Barat" in str(m.buttons))
        await user.press("Bontang Barat")
        await user.wait_for(lambda: "Kanaan" in str(user.last_message.buttons))
        await user.press("Kanaan")
        await user.wait_for(lambda: "PKK" in str(user.last_message.buttons))
        await user.press("PKK")
        await user.wait_for(lambda: "Simpan" in str(user.last_message.buttons))
        await user.press("Simpan")
        await user.wait_for_message(lambda m: "Menu utama" in (m.text or ""))
    finally:
        assert stop_bot(process) == 0, (tmp_path / "bot.log").read_text()
    engine = create_engine(url)
    with engine.connect() as conn:
        village = conn.execute(text("select village_code from cadre")).scalar()
    engine.dispose()
    assert village.startswith("64.74.03.1")
