"""`forkom-bot backup FILE` and `forkom-bot restore FILE`.

SQLite: the backup is SQLite's online backup API (a consistent copy even while the bot
writes); a restore copies a backup back the same way, then applies newer migrations, and
refuses while another process has the database open (the bot must be stopped). PostgreSQL:
`pg_dump` in its custom format when it is on PATH, else the exact command is printed; a
restore is `pg_restore`, printed for the operator to run.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bot.config import Settings
from bot.ops.startup import StartupError
from storage.db import upgrade

__all__ = ["backup_command", "processes_using", "restore_command", "sqlite_path"]


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite file of `DATABASE_URL` (None for PostgreSQL)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise StartupError("DATABASE_URL is an in-memory SQLite database: nothing to back up")
    return Path(url.database)


def processes_using(path: Path) -> list[int]:
    """Ids of other processes that have `path` (or its -wal/-shm files) open (Linux /proc)."""
    wanted = {str(path.resolve()), f"{path.resolve()}-wal", f"{path.resolve()}-shm"}
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        if int(proc.name) == os.getpid():
            continue
        try:
            if any(os.readlink(fd) in wanted for fd in (proc / "fd").iterdir()):
                found.append(int(proc.name))
        except OSError:  # gone, or not ours to look at
            continue
    return found


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup from `source` into `target` (page by page, consistent)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup_command(settings: Settings, args: argparse.Namespace) -> int:
    target: Path = args.file
    path = sqlite_path(settings)
    if path is None:
        return _pg_dump(settings, target)
    if not path.exists():
        raise StartupError(f"there is no database at {path} to back up")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _copy(path, partial)
    partial.replace(target)
    print(f"backup written: {target} ({target.stat().st_size:,} bytes)")
    return 0


def restore_command(settings: Settings, args: argparse.Namespace) -> int:
    source: Path = args.file
    path = sqlite_path(settings)
    if path is None:
        print("PostgreSQL: stop the bot, then run (it asks for the password, or set PGPASSWORD):")
        print(
            "  "
            + shlex.join(["pg_restore", *_PG_RESTORE, f"--dbname={_pg_uri(settings)}", str(source)])
        )
        return 1
    problem = _not_a_backup(source)
    if problem:
        raise StartupError(f"{source} {problem}; nothing was changed")
    users = processes_using(path) if path.exists() else []
    if users:
        pids = ", ".join(str(pid) for pid in users)
        raise StartupError(
            f"{path} is open in another process (pid {pids}): stop the bot first; nothing was changed"
        )
    _copy(source, path)
    upgrade(settings.database_url)  # a backup of an older version gets the newer migrations
    print(f"restored {source} into {path}")
    return 0


def _not_a_backup(source: Path) -> str | None:
    if not source.is_file():
        return "does not exist"
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in conn.execute("select name from sqlite_master")}
            healthy = conn.execute("pragma quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return "is not a SQLite database"
    if "alembic_version" not in tables:
        return "is not a Forkom KPM Bot database"
    return None if healthy else "is damaged (SQLite quick_check failed)"


_PG_DUMP = ["--format=custom", "--no-owner"]
_PG_RESTORE = ["--clean", "--if-exists", "--no-owner"]


def _pg_url(settings: Settings) -> URL:
    return make_url(settings.database_url).set(drivername="postgresql")


def _pg_uri(settings: Settings) -> str:
    """The libpq URI without the password (that goes in PGPASSWORD, not the command line)."""
    url = _pg_url(settings)
    bare = URL.create(
        url.drivername, url.username, None, url.host, url.port, url.database, url.query
    )
    return bare.render_as_string(hide_password=False)


def _pg_dump(settings: Settings, target: Path) -> int:
    command = ["pg_dump", *_PG_DUMP, f"--file={target}", f"--dbname={_pg_uri(settings)}"]
    if shutil.which("pg_dump") is None:
        print("pg_dump is not on PATH; run (it asks for the password, or set PGPASSWORD):")
        print("  " + shlex.join(command))
        return 1
    env = dict(os.environ)
    password = _pg_url(settings).password
    if password:
        env["PGPASSWORD"] = str(password)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise StartupError(f"pg_dump failed: {reason}")
    print(f"backup written: {target} ({target.stat().st_size:,} bytes, pg_dump custom format)")
    return 0
