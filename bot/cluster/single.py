"""SQLite stays single-process: a second bot on the same file refuses to start.

SQLite has no advisory locks to share the work with (and a file on one disk is no high
availability anyway); two bots on one file would both poll, both send every broadcast and
both fire every reminder. An exclusive POSIX lock on `<database>.lock` says "a bot runs on
this file"; the kernel drops it when the process ends, however it ends. Commands that only
maintain the file (`db upgrade`, `backup`) do not take it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

__all__ = ["claim_sqlite_file"]

# Open lock files, by path, for the life of the process: closing one would drop the lock.
_held: dict[Path, IO[str]] = {}


def claim_sqlite_file(url: str) -> None:
    """Take `<database>.lock`, or stop with one line (SystemExit) if another bot holds it.

    POSIX locks belong to the process, so the same process may claim the file again (tests
    restart the bot in one process); only another process is refused.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database).resolve().with_name(Path(parsed.database).name + ".lock")
    if path in _held:
        return
    handle = path.open("a+")
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise SystemExit(
            f"another bot ({holder}) already runs on {parsed.database}; SQLite serves one "
            "process — stop it first, or use PostgreSQL to run several workers"
        ) from None
    handle.truncate(0)
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    _held[path] = handle
