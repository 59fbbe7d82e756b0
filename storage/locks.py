"""PostgreSQL advisory locks: how several bot processes on one database take turns.

Two kinds, both released by the server when the process holding them dies (its connection
closes), so a crashed worker never leaves a lock behind:

* `SessionLock` — held on a connection of its own for as long as the process wants it: the
  cluster's leader lock (one delivery sender, one reminder scheduler).
* `TransactionLocks` — one lock per key for the length of a unit of work, taken in a
  transaction that is ended when the work is done: one user's updates one at a time across
  workers. Waiters queue in the server in arrival order.

`Notifications` carries short messages between the processes (LISTEN/NOTIFY): "I handled
this user" and "a broadcast is waiting", sent with the transaction that ends a unit of work.

Keys are 64-bit numbers made from a namespace and an id; two ids that share a key only wait
for each other, they never break anything. SQLite needs none of this: it stays single-process
(`bot.cluster.single`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

__all__ = ["CHANNEL", "Notifications", "SessionLock", "TransactionLocks", "lock_key"]

log = logging.getLogger(__name__)

#: The one LISTEN/NOTIFY channel the workers talk on.
CHANNEL = "forkom_cluster"

# The server notices a dead peer within ~10 s even without a clean disconnect (a host that
# lost power or network), so its locks are free for the others within the takeover bound.
KEEPALIVE: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "options": "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3",
}


def lock_key(namespace: str, value: int | str) -> int:
    """A signed 64-bit advisory-lock key for `value` in `namespace` (stable across processes)."""
    digest = hashlib.blake2b(f"forkom:{namespace}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_engine(url: str, pool_size: int) -> Engine:
    if make_url(url).get_backend_name() != "postgresql":
        raise ValueError("advisory locks need PostgreSQL")
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        connect_args=KEEPALIVE,
        hide_parameters=True,
    )


class SessionLock:
    """One advisory lock held on a dedicated connection until `release` or the process dies.

    `shared`: any number of processes may hold it together, but none while one holds it
    exclusively (and the other way round). Blocking calls (each a database round trip); run
    them in a thread from async code.
    """

    def __init__(self, url: str, key: int, *, shared: bool = False) -> None:
        self.key = key
        self._suffix = "_shared" if shared else ""
        self._engine = _lock_engine(url, pool_size=1)
        self._connection: Connection | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this process holds it now."""
        if self._connection is not None:
            return True
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.execute(
                text(f"SELECT pg_try_advisory_lock{self._suffix}(:key)"), {"key": self.key}
            ).scalar_one()
        except Exception:
            connection.invalidate()
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def still_held(self) -> bool:
        """Ask the server whether our connection still holds the lock (False if it is gone)."""
        connection = self._connection
        if connection is None:
            return False
        # A session lock goes only with its connection: if the connection answers, it holds.
        try:
            connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("cluster: lost the connection that holds lock %s: %s", self.key, exc)
            self._forget(invalidate=True)
            return False
        return True

    def release(self) -> None:
        """Give the lock up (closing its connection); harmless when not held."""
        connection = self._connection
        if connection is None:
            return
        try:
            connection.execute(
                text(f"SELECT pg_advisory_unlock{self._suffix}(:key)"), {"key": self.key}
            )
        except Exception:
            self._forget(invalidate=True)
            return
        self._forget(invalidate=False)

    def _forget(self, *, invalidate: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        # An invalidated connection is closed for good: whatever it held is freed by the server.
        if invalidate:
            connection.invalidate()
        connection.close()

    def dispose(self) -> None:
        self.release()
        self._engine.dispose()


class TransactionLocks:
    """Advisory locks held for the length of a unit of work, on a small pool of connections.

    The pool is separate from the application's: a worker waiting for a user's lock must never
    take the connection the holder needs to finish. `pool_size` bounds how many users one
    process serves at the same moment (the others wait for a connection).
    """

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.pool_size = pool_size
        self._engine = _lock_engine(url, pool_size=pool_size)

    def acquire(self, key: int) -> Connection:
        """Wait for the lock (blocking) and return the connection that holds it."""
        connection = self._engine.connect()
        try:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        return connection

    @staticmethod
    def release(connection: Connection, announce: str | None = None) -> None:
        """End the lock's transaction; the lock goes with it (also when the commit fails).

        `announce` is sent on `CHANNEL` by the same commit: the others hear of the work only
        once it is done.
        """
        try:
            if announce is not None:
                _notify(connection, announce)
            connection.commit()
        except Exception:
            connection.invalidate()
        finally:
            connection.close()

    @contextmanager
    def held(self, key: int) -> Iterator[None]:
        """`with locks.held(key):` for blocking code (scripts and tests)."""
        connection = self.acquire(key)
        try:
            yield
        finally:
            self.release(connection)

    def announce(self, message: str) -> None:
        """Send `message` on `CHANNEL` now (blocking)."""
        with self._engine.connect() as connection:
            _notify(connection, message)
            connection.commit()

    def dispose(self) -> None:
        self._engine.dispose()


def _notify(connection: Connection, message: str) -> None:
    connection.execute(
        text("SELECT pg_notify(:channel, :message)"), {"channel": CHANNEL, "message": message}
    )


class Notifications:
    """What the other processes announce on `CHANNEL`, read on a dedicated connection.

    Blocking; one thread calls `wait` in a loop. A lost connection is opened again at the
    next call (messages sent meanwhile are lost: they are hints, the database is the truth).
    """

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise ValueError("notifications need PostgreSQL")
        self._conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def wait(self, timeout: float) -> list[str]:
        """The messages that arrive within `timeout` seconds (returns at the first burst)."""
        try:
            connection = self._connect()
            messages = [n.payload for n in connection.notifies(timeout=timeout, stop_after=1)]
            # Whatever arrived together with the first one, without waiting again.
            messages += [n.payload for n in connection.notifies(timeout=0)]
            return messages
        except psycopg.Error as exc:
            log.warning("cluster: notification connection failed (%s); reconnecting", exc)
            self.close()
            time.sleep(min(timeout, 1.0))
            return []

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self._conninfo, autocommit=True, **KEEPALIVE)
            self._connection.execute(f"LISTEN {CHANNEL}")
        return self._connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
