"""`DeliveryEngine`: the service that drains the outbox at Telegram's limits.

Four loops share one event loop: *monitor* activates due broadcasts, reports progress and
finishes them; *refill* claims recipients from the database in batches; *dispatch* paces the
sends (global GCRA pace, per-chat intervals) and maps Telegram's answers to outcomes; *flush*
writes the outcomes back in batches. Database work runs in a worker thread. The rules are in
the package docstring (`bot.delivery`) and `docs/delivery.md`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import heapq
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest

from bot.context import ForkomApplication
from bot.delivery.budget import BudgetLimiter, SendBudget
from bot.delivery.http import AiohttpRequest, MassBot, NoAnswer
from bot.delivery.jobs import ActiveBroadcast, Job, forbidden_reason
from bot.delivery.payload import Payload, Wire, render_parts, wire
from bot.delivery.progress import cancel_markup, progress_text, show_status, summary_text
from bot.delivery.schedule import quiet_until
from bot.i18n import language_for, language_in
from bot.telegram_text import HtmlError
from bot.ui import retry_after_seconds
from storage import outbox
from storage.models import utcnow
from storage.outbox import BroadcastInfo, Claimed, DeliveryCounts, Outcome

__all__ = ["DeliveryEngine"]

log = logging.getLogger(__name__)


class DeliveryEngine:
    """Drains the outbox at Telegram's limits; see the module docstring for the rules.

    Constructor arguments exist for tests and benchmarks (a faster progress interval, a short
    backoff, a clock for quiet hours, another HTTP client); production uses the defaults.
    """

    def __init__(
        self,
        app: ForkomApplication,
        *,
        request: BaseRequest | None = None,
        clock: Callable[[], datetime] = utcnow,
        progress_interval: float = 3.0,
        poll_interval: float = 5.0,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        concurrency: int | None = None,
        budget: SendBudget | None = None,
    ) -> None:
        self.app = app
        self.settings = app.settings
        # The bot's send budget, shared with the replies (`bot.delivery.budget`): the one the
        # application's rate limiter draws from, else (a bot built without it) its own.
        limiter = getattr(app.bot, "rate_limiter", None)
        if budget is None and isinstance(limiter, BudgetLimiter):
            budget = limiter.budget
        self.budget = budget or SendBudget.for_settings(app.settings)
        self.rate = self.budget.mass.limit
        self.paid = app.settings.paid_broadcast
        self.clock = clock
        self.progress_interval = progress_interval
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.flush_interval = 0.1
        # Enough requests in flight to fill the pace over a 250 ms round trip (Telegram seen
        # from far away, or a stall on its side: the sends queue there instead of pausing here;
        # the arrival guard counts them all). The Bot API server refuses a bot ~1,000.
        self.concurrency = concurrency or max(4, min(250, math.ceil(self.rate * 0.25)))
        self.bot: MassBot | None = None
        self.sent_total = 0  # messages Telegram accepted (all parts), for tests and benchmarks
        self.retry_after_total = 0

        self._request = request
        self.spacing = self.budget.spacing
        self._target = max(20, int(self.rate))  # claimed jobs kept ready (~1 s of sending)
        self._ready: deque[Job] = deque()
        self._delayed: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._outcomes: list[Outcome] = []
        self._active: dict[int, ActiveBroadcast] = {}
        self._wires: dict[tuple[int, str], list[Wire]] = {}
        self._in_flight: set[asyncio.Task[bool]] = set()
        self._slots = asyncio.Semaphore(self.concurrency)
        self._work = asyncio.Event()
        self._refill = asyncio.Event()
        self._monitor = asyncio.Event()
        self._flush = asyncio.Event()
        self._writing = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        _freeze_startup_heap()
        recovered = await asyncio.to_thread(self._db, outbox.recover_in_flight)
        if recovered:
            log.warning(
                "delivery: %s recipients were in flight at the last stop; resending", recovered
            )
        self.bot = MassBot(
            self.settings.token,
            base_url=self.settings.base_url or "https://api.telegram.org/bot",
            base_file_url=self.settings.base_file_url or "https://api.telegram.org/file/bot",
            request=self._request or AiohttpRequest(pool_size=self.concurrency + 2),
        )
        await self.bot.initialize()
        for coro in (
            self._monitor_loop(),
            self._refill_loop(),
            self._dispatch_loop(),
            self._flush_loop(),
        ):
            self._tasks.append(asyncio.create_task(coro))
        self._monitor.set()

    async def stop(self) -> None:
        """Finish what is in flight, record it, give unsent claims back to the queue."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=10)
        await self._write_outcomes()
        unsent = [job.recipient_id for job in self._ready] + [
            j.recipient_id for *_, j in self._delayed
        ]
        self._ready.clear()
        self._delayed.clear()
        if unsent:
            await asyncio.to_thread(self._db, outbox.release, unsent)
        if self.bot is not None:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()
            self.bot = None
        # Ready to start again: a worker that stops leading may lead later (`bot.cluster`).
        self._active.clear()
        self._wires.clear()
        self._loop = None

    def wake(self) -> None:
        """A broadcast was stored: look at the outbox now (callable from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self.app.cluster.wake_leader()  # the sender runs in another worker
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._monitor.set()
        else:
            loop.call_soon_threadsafe(self._monitor.set)

    async def cancel(self, broadcast_id: int, by: int | None) -> bool:
        """Stop a broadcast: nothing more of it is sent; False if it was not running."""
        cancelled = await asyncio.to_thread(self._db, outbox.cancel, broadcast_id, by, self.clock())
        active = self._active.get(broadcast_id)
        if active is not None:
            active.cancelled = True
        if cancelled:
            self._monitor.set()
            self._work.set()
        return cancelled

    async def idle(self, broadcast_id: int | None = None, timeout: float = 10.0) -> None:
        """Wait until a broadcast (or everything) is settled and summarised (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if broadcast_id is not None and broadcast_id not in self._active:
                return
            if not self._active and not self._ready and not self._in_flight and not self._outcomes:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("delivery engine still busy")

    def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self.app.database.session() as session:
            return fn(session, *args)

    # ------------------------------------------------------------ monitor: activate, report, finish

    async def _monitor_loop(self) -> None:
        while True:
            try:
                await _wait(self._monitor, self._monitor_timeout())
            except TimeoutError:
                pass
            self._monitor.clear()
            try:
                await self._monitor_once()
            except Exception:
                log.exception("delivery: monitor pass failed")
                await asyncio.sleep(1)

    def _monitor_timeout(self) -> float:
        return self.progress_interval if self._active else self.poll_interval

    async def _monitor_once(self) -> None:
        now = self.clock()
        infos: list[BroadcastInfo] = await asyncio.to_thread(self._db, outbox.active_broadcasts)
        quiet_end = quiet_until(self.settings, now)
        seen = set()
        for info in infos:
            seen.add(info.id)
            active = self._active.get(info.id)
            if active is None:
                active = ActiveBroadcast(info, Payload.from_json(info.payload))
                if info.progress_chat_id:
                    active.progress_lang = await asyncio.to_thread(
                        self._db, language_in, info.progress_chat_id
                    )
                self._active[info.id] = active
            waits_for_time = info.not_before is not None and info.not_before > now
            blocked_by_quiet = quiet_end is not None and not info.urgent
            if info.status == "queued" and not waits_for_time and not blocked_by_quiet:
                if await asyncio.to_thread(self._db, outbox.activate, info.id, now):
                    info = replace(info, status="sending", started_at=now)
                    active.info = info
                    active.seen_at, active.seen_processed = time.monotonic(), None
            active.info = replace(active.info, status=info.status)
            active.resumes_at = (
                info.not_before if waits_for_time else (quiet_end if blocked_by_quiet else None)
            )
            was_sendable = active.sendable
            active.sendable = info.status == "sending" and not blocked_by_quiet
            if active.sendable and not was_sendable:
                active.exhausted = False
        for gone in set(self._active) - seen:  # finished or cancelled (maybe by another process)
            active = self._active[gone]
            active.cancelled = active.exhausted = True
            if active.outstanding > 0:
                self._work.set()  # the dispatcher drops its queued jobs; in-flight ones finish
                continue
            await self._write_outcomes()  # the summary counts what really went out
            await self._report(active, final=True)
            del self._active[gone]
        if any(a.sendable for a in self._active.values()):
            self._refill.set()
        counts = await asyncio.to_thread(self._db, outbox.delivery_counts, list(self._active))
        for broadcast_id, active in list(self._active.items()):
            tally = counts.get(broadcast_id)
            sending = active.info.status == "sending"
            # A tally with no row at all of a broadcast that has recipients is a read that did
            # not see them (it was once seen to finish 20,000 unsent): never a finish.
            counted = tally is not None and (tally.total > 0 or active.info.total == 0)
            if not counted:
                log.warning(
                    "delivery: a count saw none of broadcast %s's %s recipients; read again",
                    broadcast_id,
                    active.info.total,
                )
            if sending and counted and tally.remaining == 0 and active.outstanding == 0:
                if await asyncio.to_thread(self._db, outbox.finish, broadcast_id, self.clock()):
                    await self._report(active, final=True)
                    del self._active[broadcast_id]
                    continue
            await self._report(active, counts=tally)

    async def _report(
        self, active: ActiveBroadcast, *, counts: DeliveryCounts | None = None, final: bool = False
    ) -> None:
        """Create or edit the sender's status message (at most every `progress_interval`)."""
        info = active.info
        if not info.progress_chat_id:
            return
        now = time.monotonic()
        if not final and active.progress_text and now - active.progress_at < self.progress_interval:
            return
        if final:
            fresh = await asyncio.to_thread(self._db, outbox.get_broadcast, info.id)
            info = fresh or info
            final_counts = await asyncio.to_thread(self._db, outbox.broadcast_status, info.id)
            reasons = await asyncio.to_thread(self._db, outbox.failure_reasons, info.id)
            text = summary_text(info, final_counts, reasons, active.progress_lang, self.settings)
            reply_markup = None
        else:
            counts = counts or DeliveryCounts()
            text = self._progress_text(active, counts)
            reply_markup = cancel_markup(info, active.progress_lang)
        if text == active.progress_text and not final:
            return
        active.progress_text, active.progress_at = text, now
        message_id = await show_status(self.app.bot, info, text, reply_markup)
        if message_id is not None:
            await asyncio.to_thread(self._db, outbox.set_progress_message, info.id, message_id)
            active.info = replace(active.info, progress_message_id=message_id)

    def _progress_text(self, active: ActiveBroadcast, counts: DeliveryCounts) -> str:
        eta = None
        if active.info.status == "sending" and active.resumes_at is None and counts.remaining:
            if active.seen_processed is None:
                active.seen_processed, active.seen_at = counts.processed, time.monotonic()
            elapsed = time.monotonic() - active.seen_at
            observed = (counts.processed - active.seen_processed) / elapsed if elapsed > 2 else 0.0
            pace = observed if observed > 0 else self.rate
            eta = self.clock() + timedelta(seconds=counts.remaining / pace)
        return progress_text(
            active.info,
            counts,
            active.progress_lang,
            self.settings,
            now=self.clock(),
            resumes_at=active.resumes_at,
            eta=eta,
        )

    # ------------------------------------------------------------ refill: claim from the outbox

    async def _refill_loop(self) -> None:
        while True:
            try:
                await _wait(self._refill, 1.0)
            except TimeoutError:
                pass
            self._refill.clear()
            try:
                await self._refill_once()
            except Exception:
                log.exception("delivery: claiming from the outbox failed")
                await asyncio.sleep(1)

    async def _refill_once(self) -> None:
        if len(self._ready) >= self._target // 2:
            return
        sendable = [a for a in self._active.values() if a.sendable and not a.cancelled]
        if not sendable:
            return
        sendable.sort(key=lambda a: (not a.info.urgent, a.info.id))
        share = max(1, (self._target - len(self._ready)) // len(sendable))
        wanted = [(a.info.id, share) for a in sendable]
        batches: list[list[Claimed]] = await asyncio.to_thread(self._claim, wanted, self.clock())
        # Round-robin across broadcasts: a one-person notification never waits behind 20,000.
        for claimed in itertools.zip_longest(*batches):
            for row in claimed:
                if row is None:
                    continue
                active = self._active.get(row.broadcast_id)
                if active is None:
                    continue
                active.outstanding += 1
                lang = language_for(row.language, row.telegram_language)
                self._ready.append(
                    Job(
                        row.recipient_id,
                        row.broadcast_id,
                        row.chat_id,
                        row.parts_done,
                        row.attempts,
                        lang,
                    )
                )
        for (broadcast_id, _), batch in zip(wanted, batches, strict=True):
            active = self._active.get(broadcast_id)
            if active is not None:
                active.exhausted = len(batch) < share
                if active.exhausted and active.outstanding == 0:
                    self._monitor.set()
        if any(batches):
            self._work.set()

    def _claim(self, wanted: list[tuple[int, int]], now: datetime) -> list[list[Claimed]]:
        with self.app.database.session() as session:
            return [
                outbox.claim(session, broadcast_id, limit, now) for broadcast_id, limit in wanted
            ]

    # ------------------------------------------------------------ dispatch: pace and send

    async def _dispatch_loop(self) -> None:
        while True:
            job = self._take_job()
            if job is None:
                if len(self._ready) < self._target // 2:
                    self._refill.set()
                timeout = self._delayed[0][0] - time.monotonic() if self._delayed else None
                self._work.clear()
                try:
                    await _wait(self._work, timeout)
                except TimeoutError:
                    pass
                continue
            try:
                sent_at = await self.budget.mass_slot()  # gives way to any reply that waits
            except asyncio.CancelledError:  # stopping: `stop()` gives the job back to the outbox
                self._ready.appendleft(job)
                raise
            try:
                active = self._active.get(job.broadcast_id)
                if active is None or active.cancelled:
                    self.budget.mass_landed(sent_at, delivered=False)
                    self._settle(job)
                    continue
                free_at = self.spacing.free_at(job.chat_id)
                if free_at > time.monotonic():  # a reply went to this chat meanwhile
                    self.budget.mass_landed(sent_at, delivered=False)
                    heapq.heappush(self._delayed, (free_at, next(self._seq), job))
                    continue
                await self._slots.acquire()
            except asyncio.CancelledError:
                self.budget.mass_landed(sent_at, delivered=False)
                self._ready.appendleft(job)
                raise
            self.spacing.book(job.chat_id)
            task = asyncio.create_task(self._deliver(job))
            self._in_flight.add(task)
            task.add_done_callback(functools.partial(self._delivered, sent_at))
            if len(self._ready) < self._target // 2:
                self._refill.set()

    def _delivered(self, sent_at: float, task: asyncio.Task[bool]) -> None:
        self._in_flight.discard(task)
        self._slots.release()
        # Answered: the arrival guard counts it from now, unless the answer says nothing went
        # out (a stopped send may have: counted).
        delivered = task.cancelled() or task.exception() is not None or task.result()
        self.budget.mass_landed(sent_at, delivered=delivered)

    def _take_job(self) -> Job | None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            self._ready.appendleft(heapq.heappop(self._delayed)[2])
        while self._ready:
            job = self._ready.popleft()
            active = self._active.get(job.broadcast_id)
            if active is None or active.cancelled:
                self._settle(job)  # the database already says cancelled
                continue
            if not active.sendable:  # quiet hours began: back to the queue until morning
                self._record(
                    job, Outcome(job.recipient_id, outbox.PENDING, job.parts_done, job.attempts)
                )
                continue
            free_at = self.spacing.free_at(job.chat_id)
            if free_at > now:
                heapq.heappush(self._delayed, (free_at, next(self._seq), job))
                continue
            self.spacing.forget_past(now)
            return job
        return None

    def _wires_for(self, job: Job) -> list[Wire]:
        """The API requests of a broadcast in one language, built once and reused."""
        key = (job.broadcast_id, job.lang)
        wires = self._wires.get(key)
        if wires is None:
            parts = render_parts(self._active[job.broadcast_id].payload, job.lang)
            wires = [wire(part, paid=self.paid) for part in parts]
            self._wires[key] = wires
        return wires

    async def _deliver(self, job: Job) -> bool:
        """Send the job's next part and turn Telegram's answer into an outcome; False when the
        answer says no message went out (refused, or failed on Telegram's side: a 5xx), so
        the pace gives the slot back (`bot.delivery.pacing`)."""
        assert self.bot is not None
        try:
            parts = self._wires_for(job)
        except (KeyError, HtmlError) as exc:
            self._record(job, self._failed(job, f"rejected: {exc}"))
            return False
        endpoint, params = parts[job.parts_done]
        try:
            message = await self.bot.send_raw(endpoint, {**params, "chat_id": job.chat_id})
        except RetryAfter as exc:
            self._pause_all(exc)
            self._ready.appendleft(job)
            self._work.set()
            return False
        except Forbidden as exc:
            outcome = self._failed(job, forbidden_reason(str(exc)))
            if job.chat_id > 0:
                outcome = replace(outcome, unreachable_user=job.chat_id)
            self._record(job, outcome)
            return False
        except ChatMigrated as exc:  # a group became a supergroup: same chat, new id
            job.chat_id = int(exc.new_chat_id)
            self._ready.appendleft(job)
            self._work.set()
            return False
        except BadRequest as exc:
            text = str(exc)
            reason = "chat_not_found" if "chat not found" in text.lower() else f"rejected: {text}"
            self._record(job, self._failed(job, reason))
            return False
        except TimedOut:  # it may have arrived
            self._retry(job, "timeout")
            return True
        except NetworkError as exc:  # an error status (5xx), or no answer at all
            self._retry(job, "network")
            return isinstance(exc, NoAnswer)
        except TelegramError as exc:
            self._retry(job, f"error: {exc}")
            return False
        except Exception as exc:  # a bug must not kill the sender; the row is retried
            log.exception("delivery: unexpected error sending a message")  # no id: UU PDP
            self._retry(job, f"error: {type(exc).__name__}")
            return True
        self.sent_total += 1
        self.app.metrics.messages_sent.inc()
        job.parts_done += 1
        if job.parts_done >= len(parts):
            message_id = message.get("message_id") if isinstance(message, dict) else None
            self._record(
                job,
                Outcome(
                    job.recipient_id,
                    outbox.SENT,
                    job.parts_done,
                    job.attempts,
                    message_id=message_id,
                ),
            )
        else:  # the next part follows after the per-chat interval
            self._outcomes.append(
                Outcome(job.recipient_id, outbox.SENDING, job.parts_done, job.attempts)
            )
            self._flush.set()
            due = self.spacing.book_after_answer(job.chat_id)
            heapq.heappush(self._delayed, (due, next(self._seq), job))
            self._work.set()
        return True

    def _pause_all(self, exc: RetryAfter) -> None:
        seconds = retry_after_seconds(exc)
        self.retry_after_total += 1
        self.app.metrics.telegram_429.inc()
        if self.budget.mass_refused(seconds):
            log.warning("delivery: Telegram asked to wait %ss; all mass sending paused", seconds)

    def _failed(self, job: Job, reason: str) -> Outcome:
        self.app.metrics.messages_failed.inc()
        return Outcome(
            job.recipient_id, outbox.FAILED, job.parts_done, job.attempts + 1, error=reason[:120]
        )

    def _retry(self, job: Job, reason: str) -> None:
        attempts = job.attempts + 1
        if attempts >= self.max_attempts:
            self._record(job, replace(self._failed(job, reason), attempts=attempts))
            return
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1))
        retry_at = self.clock() + timedelta(seconds=delay)
        if self._loop is not None:  # claimed when due, not up to a second later at a poll
            self._loop.call_later(delay + 0.01, self._refill.set)
        self._record(
            job,
            Outcome(
                job.recipient_id,
                outbox.PENDING,
                job.parts_done,
                attempts,
                error=reason[:120],
                retry_at=retry_at,
            ),
        )

    def _record(self, job: Job, outcome: Outcome) -> None:
        """Queue an outcome for the next batch write; the job leaves the engine's hands."""
        self._outcomes.append(outcome)
        self._flush.set()
        self._settle(job)

    def _settle(self, job: Job) -> None:
        active = self._active.get(job.broadcast_id)
        if active is not None:
            active.outstanding -= 1
            if active.outstanding <= 0 and active.exhausted:
                self._monitor.set()

    # ------------------------------------------------------------ flush: outcomes to the database

    async def _flush_loop(self) -> None:
        while True:
            await self._flush.wait()
            self._flush.clear()
            try:
                await self._write_outcomes()
            except Exception:
                log.exception("delivery: writing outcomes failed; retrying")
                await asyncio.sleep(1)
                self._flush.set()
            # At 1,000/s an outcome comes every millisecond: gather them for a moment, so a
            # write (a transaction, a worker thread taking the GIL) carries hundreds, not few.
            await asyncio.sleep(self.flush_interval)

    async def _write_outcomes(self) -> None:
        """Write the buffered outcomes; returns once everything recorded so far is committed."""
        async with self._writing:
            if not self._outcomes:
                return
            batch, self._outcomes = self._outcomes, []
            try:
                await asyncio.to_thread(self._db, outbox.record_outcomes, batch, self.clock())
            except BaseException:
                self._outcomes[:0] = batch  # nothing is lost: written with the next batch
                raise
        if any(o.state == outbox.PENDING for o in batch):
            self._refill.set()  # retries and quiet-hour returns are claimable again
        if any(a.exhausted and a.outstanding <= 0 for a in self._active.values()):
            self._monitor.set()  # the last outcomes are written: finish and summarise now


_heap_frozen = False


def _freeze_startup_heap() -> None:
    """Keep the garbage collector off the objects the bot was built from (once a process).

    A full collection walks every tracked object: ~270,000 once the bot is up (PTB,
    SQLAlchemy, babel, the chart and export libraries), 150-300 ms on a small VM, and at
    1,000 messages a second one comes every few seconds: a stall of the whole event loop,
    replies included, and of the pace. Those objects live as long as the process, so they are
    moved out of its sight (`gc.freeze`); what is made later is collected as before.
    """
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


async def _wait(event: asyncio.Event, timeout: float | None) -> None:
    """Wait for `event` at most `timeout` seconds (TimeoutError after that).

    Not `asyncio.wait_for`: on Python 3.11 it can swallow a cancellation that arrives as the
    event is set, and then `stop()` waits for a loop that never ends.
    """
    async with asyncio.timeout(timeout):
        await event.wait()
