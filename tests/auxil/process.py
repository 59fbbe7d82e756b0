"""Run the real bot as a separate process (`python -m bot`), as production does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bot_env(token: str, base_url: str, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        # Automatic reminders would add messages at 08:00 WITA on some days; tests that
        # need them turn them on explicitly.
        REMINDER_TRAINING="off",
        REMINDER_MONTHLY_REPORT_DAY="off",
        REMINDER_REVIEW_DIGEST="off",
    )
    env.update(extra)
    return env


def start_bot(env: dict[str, str], cwd: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`python -m bot [args]` (e.g. `"webhook"`), its output appended to `log`."""
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=cwd,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def stop_bot(process: subprocess.Popen[bytes], *, kill: bool = False, timeout: float = 15) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
    return process.wait(timeout=timeout)
