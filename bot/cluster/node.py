"""`Cluster`: this worker's part in a group of workers sharing one PostgreSQL database.

* **Leader**: one worker at a time runs the leader-only services (the delivery sender, the
  reminder scheduler, the form sweep). The leader holds a session advisory lock on a
  connection of its own; the server frees it when the leader's process or host dies, and
  the others, trying every `interval` seconds, take over — within 15 s with the default 5 s
  (plus TCP keepalive detection, ~10 s, when a host vanishes without closing its sockets).
  A leader whose lock connection fails stops its services at once.
* **Users**: each update runs under a transaction advisory lock on its user (`serving`), so
  one user's updates are handled one at a time across workers; under it the user's
  conversation states are re-read (`refresh`) and, when done, written before the lock goes.
* **Hints**: the unit of work's commit tells the others "user N handled here" (they cancel
  their idle timeouts of N's forms) and followers tell the leader "a broadcast is waiting"
  (its sender looks at once instead of at its next poll).

* **Alone**: a polling bot is Telegram's one getUpdates consumer, so when it finds no other
  worker up it serves alone (`join`): no per-user locks, no re-reads, its memory is the
  truth, as on SQLite. The serving lock keeps that true: every worker holds it, shared, and
  a bot alone holds it exclusively, so a worker that comes up meanwhile waits (and says so)
  until the bot alone has stopped, and a polling bot that finds workers up joins them.

On SQLite (single-process, see `bot.cluster.single`) this worker is always the leader and
none of the rest happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from bot.cluster import conversations
from bot.persistence import DatabasePersistence
from storage.locks import Notifications, SessionLock, TransactionLocks, lock_key

if TYPE_CHECKING:
    from bot.context import ForkomApplication, Service

__all__ = ["Cluster"]

log = logging.getLogger(__name__)

LEADER_KEY = lock_key("leader", 0)
SERVING_KEY = lock_key("serving", 0)
#: Seconds between tries for the serving lock while a bot alone holds it.
JOIN_RETRY = 1.0


class Cluster:
    """Leader election, per-user locks and hints between workers (see the module docstring)."""

    def __init__(
        self,
        app: ForkomApplication,
        leader_services: Sequence[Service],
        *,
        interval: float = 5.0,
        lock_connections: int = 8,
    ) -> None:
        self.app = app
        self.leader_services = tuple(leader_services)
        self.interval = interval
        self.shared = not app.database.is_sqlite
        #: Names this process in logs and in the hints it sends.
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.is_leader = False
        #: Serving alone (see the module docstring): the per-user locks are not taken.
        self.solo = False
        self.lock_connections = lock_connections
        self._serving_lock: SessionLock | None = None
        self._conversations: list[conversations.Handler] = []
        self._leader_lock: SessionLock | None = None
        self._notes: Notifications | None = None
        self._locks: TransactionLocks | None = None
        self._link_thread: ThreadPoolExecutor | None = None
        self._lock_threads: ThreadPoolExecutor | None = None
        self._slots = asyncio.Semaphore(lock_connections)
        self._task: asyncio.Task[None] | None = None
        self._changing = asyncio.Lock()

    @property
    def role(self) -> str:
        """ "leader" or "standby" (for health checks and logs)."""
        return "leader" if self.is_leader else "standby"

    # ------------------------------------------------------------ lifecycle

    async def join(self, *, alone: bool = False, stop: asyncio.Event | None = None) -> bool:
        """Take the serving lock, before this worker loads any state (see the module
        docstring): `alone` (a polling bot) exclusively if no other worker is up, else shared.

        Waits while a bot alone holds it; False if `stop` is set meanwhile. A no-op on SQLite
        and once joined.
        """
        if not self.shared or self._serving_lock is not None:
            return True
        url = self.app.database.url
        if alone:
            lock = SessionLock(url, SERVING_KEY)
            if await asyncio.to_thread(lock.try_acquire):
                self._serving_lock = lock
                self._set_alone(True)
                return True
            await asyncio.to_thread(lock.dispose)
        lock = SessionLock(url, SERVING_KEY, shared=True)
        waiting = False
        while not await asyncio.to_thread(lock.try_acquire):
            if not waiting:
                log.warning(
                    "cluster: a polling bot serves this database alone; waiting until it stops"
                )
                waiting = True
            if stop is None:
                await asyncio.sleep(JOIN_RETRY)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), JOIN_RETRY)
            if stop.is_set():
                await asyncio.to_thread(lock.dispose)
                return False
        self._serving_lock = lock
        if waiting:
            log.info("cluster: the bot alone has stopped; %s serves", self.worker_id)
        return True

    async def start(self) -> None:
        """Join: on SQLite lead at once; on PostgreSQL start competing for the leader lock."""
        if not self.shared:
            await self._lead()
            return
        await self.join()  # (already done by `bot.ops.runner`, before the state was loaded)
        if self.solo:
            log.info("cluster: %s serves alone (polling, no other worker)", self.worker_id)
        url = self.app.database.url
        self._conversations = conversations.persistent_conversations(self.app)
        conversations.check_supported(self._conversations)
        self._leader_lock = SessionLock(url, LEADER_KEY)
        self._notes = Notifications(url)
        self._locks = TransactionLocks(url, pool_size=self.lock_connections)
        self._link_thread = ThreadPoolExecutor(1, thread_name_prefix="cluster-link")
        self._lock_threads = ThreadPoolExecutor(
            self.lock_connections + 1, thread_name_prefix="cluster-lock"
        )
        # The first try at once: a lone worker leads before it serves its first update.
        loop = asyncio.get_running_loop()
        if await loop.run_in_executor(self._link_thread, self._leader_lock.try_acquire):
            await self._lead()
        self._task = asyncio.create_task(self._run(), name="cluster")

    async def stop(self) -> None:
        """Leave: stop the leader-only services and free every lock."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._step_down(None)
        loop = asyncio.get_running_loop()
        if self._locks is not None and self._lock_threads is not None:
            # Wakes our own link thread from its wait for hints, so it is free to close.
            await loop.run_in_executor(
                self._lock_threads, _quietly, self._locks.announce, f"bye {self.worker_id}"
            )
        if self._link_thread is not None:
            for resource in (self._leader_lock, self._notes):
                if resource is not None:
                    closer = (
                        resource.dispose if isinstance(resource, SessionLock) else resource.close
                    )
                    await loop.run_in_executor(self._link_thread, closer)
            self._link_thread.shutdown(wait=False)
            self._link_thread = None
        if self._locks is not None:
            self._locks.dispose()
            self._locks = None
        if self._lock_threads is not None:
            self._lock_threads.shutdown(wait=False)
            self._lock_threads = None
        await self._leave()

    async def _leave(self) -> None:
        """Give the serving lock up; alone, once every state is written (the next worker
        reads it)."""
        lock, self._serving_lock = self._serving_lock, None
        if lock is None:
            return
        try:
            if self.solo:
                await self.app.update_persistence()
        finally:
            self._set_alone(False)
            await asyncio.to_thread(lock.dispose)

    def _set_alone(self, alone: bool) -> None:
        """Alone, this worker's memory is the truth; else its state is re-read per update."""
        self.solo = alone
        if isinstance(self.app.persistence, DatabasePersistence):
            self.app.persistence.shared = not alone

    async def _run(self) -> None:
        assert self._leader_lock is not None and self._notes is not None
        loop = asyncio.get_running_loop()
        lock, notes, thread = self._leader_lock, self._notes, self._link_thread
        while True:
            try:
                if not self.is_leader:
                    if await loop.run_in_executor(thread, lock.try_acquire):
                        await self._lead()
                elif not await loop.run_in_executor(thread, lock.still_held):
                    await self._step_down("the leader lock's connection was lost")
                if not await loop.run_in_executor(thread, self._still_joined):
                    await self._lost_serving_lock()
                    await loop.run_in_executor(thread, self._rejoin)
                messages = await loop.run_in_executor(thread, notes.wait, self.interval)
            except Exception:
                log.exception("cluster: leader check failed; trying again")
                await asyncio.sleep(self.interval)
                continue
            self._heard(messages)

    def _still_joined(self) -> bool:
        """Whether the serving lock is still held (blocking: a round trip)."""
        lock = self._serving_lock
        return lock is not None and lock.still_held()

    async def _lost_serving_lock(self) -> None:
        """The serving lock went with its connection (a database restart, say). Alone, another
        worker may serve now: lock and re-read per user from here on."""
        if self.solo:
            log.warning("cluster: %s lost the serving lock; no longer alone", self.worker_id)
            self._set_alone(False)
        lock, self._serving_lock = self._serving_lock, None
        if lock is not None:
            await asyncio.to_thread(lock.dispose)

    def _rejoin(self) -> None:
        """Take the serving lock shared again, without waiting (blocking; the next round tries
        again if a bot alone holds it now)."""
        lock = SessionLock(self.app.database.url, SERVING_KEY, shared=True)
        if lock.try_acquire():
            self._serving_lock = lock
        else:
            lock.dispose()

    async def _lead(self) -> None:
        """Start the leader-only services; if one fails, give the lock up for another worker."""
        async with self._changing:
            if self.is_leader:
                return
            started: list[Service] = []
            try:
                for service in self.leader_services:
                    await service.start()
                    started.append(service)
            except BaseException:
                for service in reversed(started):
                    with contextlib.suppress(Exception):
                        await service.stop()
                if self._leader_lock is not None:
                    loop = asyncio.get_running_loop()
                    await loop.run_in_executor(self._link_thread, self._leader_lock.release)
                raise
            self.is_leader = True
            if self.shared:
                log.info("cluster: %s leads (sender, scheduler)", self.worker_id)

    async def _step_down(self, reason: str | None) -> None:
        async with self._changing:
            if not self.is_leader:
                return
            if reason:
                log.warning("cluster: %s stops leading: %s", self.worker_id, reason)
            for service in reversed(self.leader_services):
                try:
                    await service.stop()
                except Exception:
                    log.exception("cluster: stopping %r failed", service)
            self.is_leader = False

    # ------------------------------------------------------------ hints

    def _heard(self, messages: list[str]) -> None:
        for message in messages:
            kind, _, rest = message.partition(" ")
            sender, _, subject = rest.partition(" ")
            if sender == self.worker_id:
                continue
            if kind == "user" and subject.lstrip("-").isdigit():
                conversations.cancel_timeouts(self._conversations, int(subject))
            elif kind == "outbox" and self.is_leader:
                self.app.delivery.wake()

    def wake_leader(self) -> None:
        """A broadcast was stored here but the sender runs elsewhere: tell it (any thread)."""
        locks, threads = self._locks, self._lock_threads
        if locks is None or threads is None:
            return
        threads.submit(_quietly, locks.announce, f"outbox {self.worker_id}")

    # ------------------------------------------------------------ one user at a time

    @asynccontextmanager
    async def serving(self, update: object, user_id: int) -> AsyncIterator[None]:
        """Handle `update` of this user holding their cluster lock, on fresh conversation
        states; what it changed is written before the lock goes."""
        locks, threads = self._locks, self._lock_threads
        if self.solo or locks is None or threads is None:
            yield
            return
        loop = asyncio.get_running_loop()
        async with self._slots:
            waiting = loop.run_in_executor(threads, locks.acquire, lock_key("user", user_id))
            try:
                connection = await asyncio.shield(waiting)
            except asyncio.CancelledError:
                waiting.add_done_callback(self._release_later)
                raise
            except Exception:
                # The database is failing: the update would fail anyway, losing it is worse.
                log.exception("cluster: no user lock; handling the update without")  # no id: UU PDP
                connection = None
            if connection is None:
                yield
                return
            try:
                # What this worker changed outside an update (a form's idle timeout ending its
                # conversation) goes to the database first, so the refresh below reads it.
                await self.app.update_persistence()
                await asyncio.to_thread(
                    conversations.refresh_conversations,
                    self._conversations,
                    self.app.database,
                    update,
                )
                yield
                await self.app.update_persistence()
            finally:
                await loop.run_in_executor(
                    threads, locks.release, connection, f"user {self.worker_id} {user_id}"
                )

    def _release_later(self, done: asyncio.Future[Connection]) -> None:
        """The wait for a lock was cancelled but goes on in its thread: free it when got."""
        if done.cancelled() or done.exception() is not None:
            return
        locks, threads = self._locks, self._lock_threads
        if locks is not None and threads is not None:
            threads.submit(locks.release, done.result())


def _quietly(fn: Callable[..., object], *args: object) -> None:
    try:
        fn(*args)
    except Exception:
        log.warning("cluster: a hint to the other workers was lost", exc_info=True)
