"""The delivery engine: every mass message the bot sends goes through here.

`submit()` stores a broadcast in the outbox (one row per broadcast, one per recipient, in one
transaction) and wakes the sender. The sender (`DeliveryEngine`, a service started with the
application) drains the outbox at Telegram's limits:

- one global pace (`BROADCAST_RATE`, capped at Telegram's 30/s, or 1000/s with
  `PAID_BROADCAST`), at most one message a second per private chat and 20 a minute per group;
- 429 pauses *all* mass sending for `retry_after` and the message is tried again, never lost;
- 403 fails the recipient and marks the user unreachable (cleared when they write again);
  "chat not found" and other refusals fail the recipient with the reason;
- timeouts, network errors and 5xx are retried with bounded exponential backoff;
- claimed rows are `sending` in the database, so after a crash they are sent again: a
  recipient gets a duplicate only if its message was in flight at the crash (docs/delivery.md);
- non-urgent broadcasts wait out the quiet hours; a broadcast can be cancelled at any time;
- the sender's status message is edited every few seconds and ends with a summary.

Interactive replies stay fast while 20,000 messages go out: the engine has its own `Bot` with
its own connection pool (the handlers' pool is never queued behind mass sends) and does its
database work in batches in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
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
from telegram.warnings import PTBDeprecationWarning

from bot.config import Settings
from bot.context import ForkomApplication
from bot.i18n import DEFAULT_LANGUAGE, language_for, t
from bot.mass_request import mass_request
from bot.telegram_text import (
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    HtmlError,
    split_html,
    visible_length,
)
from storage import outbox, people
from storage.models import utcnow
from storage.outbox import BroadcastInfo, Claimed, DeliveryCounts, Outcome

__all__ = [
    "DeliveryEngine",
    "Part",
    "Payload",
    "PayloadError",
    "effective_rate",
    "local_time",
    "render_parts",
    "retry_after_seconds",
    "send_part",
    "submit",
    "validate_payload",
    "with_flood_retry",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

Buttons = list[list[tuple[str, str]]]
TELEGRAM_RATE = 30.0  # messages/s Telegram allows a bot overall
PAID_RATE = 1000.0  # with allow_paid_broadcast
# Pace a little under Telegram's ceiling: requests leave evenly but arrive with network
# jitter, and a single 429 costs a whole second of sending.
HEADROOM = 0.9
PRIVATE_CHAT_INTERVAL = 1.0  # s between messages to one private chat
GROUP_CHAT_INTERVAL = 3.1  # 20 messages a minute per group, with a little margin
MAX_BUTTONS = 100


# ---------------------------------------------------------------- payloads


@dataclass(frozen=True)
class Payload:
    """What a broadcast sends: Telegram HTML text (or per language), optional photo/document
    (by file_id; the text becomes the caption) and inline buttons (or per language)."""

    text: str | dict[str, str]
    photo: str | None = None
    document: str | None = None
    buttons: Buttons | dict[str, Buttons] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "photo": self.photo,
            "document": self.document,
            "buttons": self.buttons,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Payload:
        buttons = data.get("buttons")
        if isinstance(buttons, dict):
            buttons = {lang: _button_rows(rows) for lang, rows in buttons.items()}
        elif buttons is not None:
            buttons = _button_rows(buttons)
        return cls(data["text"], data.get("photo"), data.get("document"), buttons)


def _button_rows(rows: Sequence[Sequence[Sequence[str]]]) -> Buttons:
    return [[(str(label), str(data)) for label, data in row] for row in rows]


class PayloadError(ValueError):
    """Telegram would refuse this payload; `reason` is a catalog-friendly code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _variants(value: Any) -> list[Any]:
    return list(value.values()) if isinstance(value, dict) else [value]


def _pick(value: Any, lang: str) -> Any:
    """The recipient's language, else Indonesian, else whatever there is."""
    if not isinstance(value, dict):
        return value
    for key in (lang, DEFAULT_LANGUAGE):
        if value.get(key) is not None:
            return value[key]
    return next(iter(value.values()), None)


def validate_payload(payload: Payload) -> None:
    """Raise PayloadError for anything Telegram would reject (checked before storing)."""
    if payload.photo and payload.document:
        raise PayloadError("photo_and_document")
    texts = _variants(payload.text)
    if not texts:
        raise PayloadError("empty_text")
    for text in texts:
        if not isinstance(text, str):
            raise PayloadError("empty_text", "text must be a string")
        try:
            length = visible_length(text)
        except HtmlError as exc:
            raise PayloadError("html", str(exc)) from None
        if length == 0 and not (payload.photo or payload.document):
            raise PayloadError("empty_text")
    if payload.buttons is not None:
        for rows in _variants(payload.buttons):
            _validate_buttons(rows)


def _validate_buttons(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list | tuple) for row in rows):
        raise PayloadError("buttons", "buttons must be rows of (label, callback_data)")
    count = 0
    for row in rows:
        for button in row:
            if not isinstance(button, list | tuple) or len(button) != 2:
                raise PayloadError("buttons", f"not a (label, callback_data) pair: {button!r}")
            label, data = button
            if not isinstance(label, str) or not label.strip():
                raise PayloadError("buttons", "a button has no label")
            size = len(data.encode("utf-8")) if isinstance(data, str) else 0
            if not 1 <= size <= CALLBACK_DATA_LIMIT:
                raise PayloadError("callback_data", f"{data!r} must be 1-64 bytes")
            count += 1
    if count > MAX_BUTTONS:
        raise PayloadError("buttons", f"{count} buttons; Telegram allows {MAX_BUTTONS}")


@dataclass(frozen=True)
class Part:
    """One Telegram message of a broadcast (long texts become several)."""

    kind: str  # "text" | "photo" | "document"
    text: str | None = None
    file_id: str | None = None
    buttons: Buttons | None = None


def render_parts(payload: Payload, lang: str) -> list[Part]:
    """The messages a recipient in `lang` gets: captions over 1024 and texts over 4096 are cut
    at paragraph boundaries, the buttons go on the last message."""
    text = _pick(payload.text, lang) or ""
    buttons = _pick(payload.buttons, lang) if payload.buttons is not None else None
    media = ("photo", payload.photo) if payload.photo else ("document", payload.document)
    if media[1]:
        chunks = split_html(text, TEXT_LIMIT, first_limit=CAPTION_LIMIT)
        parts = [Part(media[0], chunks[0] if chunks else None, media[1])]
        parts += [Part("text", chunk) for chunk in chunks[1:]]
    else:
        parts = [Part("text", chunk) for chunk in split_html(text)]
    if buttons:
        parts[-1] = replace(parts[-1], buttons=buttons)
    return parts


def _markup(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )


async def send_part(bot: Bot, chat_id: int, part: Part, *, paid: bool = False) -> Message:
    """Send one part (also used for previews, so the sender sees exactly what cadres get)."""
    extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
    markup = _markup(part.buttons)
    if part.kind == "photo":
        return await bot.send_photo(
            chat_id,
            part.file_id,  # type: ignore[arg-type]
            caption=part.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            **extra,
        )
    if part.kind == "document":
        return await bot.send_document(
            chat_id,
            part.file_id,  # type: ignore[arg-type]
            caption=part.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            **extra,
        )
    return await bot.send_message(
        chat_id, part.text or "", parse_mode=ParseMode.HTML, reply_markup=markup, **extra
    )


_Wire = tuple[str, dict[str, Any]]  # (Bot API method, parameters without chat_id)


def _wire(part: Part, *, paid: bool) -> _Wire:
    params: dict[str, Any] = {"parse_mode": ParseMode.HTML, "reply_markup": _markup(part.buttons)}
    if paid:
        params["allow_paid_broadcast"] = True
    if part.kind == "photo":
        return "sendPhoto", {**params, "photo": part.file_id, "caption": part.text}
    if part.kind == "document":
        return "sendDocument", {**params, "document": part.file_id, "caption": part.text}
    return "sendMessage", {**params, "text": part.text}


class _MassBot(Bot):
    """A `Bot` whose mass sends skip building `Message` objects.

    Parsing each answer into a `Message` costs more CPU than the request itself; the engine
    needs only `message_id`. `_post` is PTB's own request path (defaults, error mapping), so
    429/403/400 still arrive as `RetryAfter`/`Forbidden`/`BadRequest`.
    """

    async def send_raw(self, endpoint: str, params: dict[str, Any]) -> Any:
        return await self._post(endpoint, params)


def retry_after_seconds(exc: RetryAfter) -> float:
    """`retry_after` in seconds, whether PTB gives an int or a timedelta (PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def with_flood_retry(send: Callable[[], Awaitable[T]], attempts: int = 3) -> T:
    """An interactive reply that comes in a burst (a preview of several messages) may meet the
    per-chat flood limit: wait as Telegram says and try again, a few times."""
    for _ in range(attempts - 1):
        try:
            return await send()
        except RetryAfter as exc:
            await asyncio.sleep(retry_after_seconds(exc))
    return await send()


# ---------------------------------------------------------------- submitting


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def submit(
    app: ForkomApplication,
    *,
    kind: str,
    recipient_ids: Sequence[int],
    payload: Payload,
    sender_id: int | None = None,
    urgent: bool = False,
    ref: str | None = None,
    not_before: datetime | None = None,
    progress_chat_id: int | None = None,
    meta: dict[str, Any] | None = None,
) -> int:
    """Store a broadcast (one outbox row + one row per recipient, in ONE transaction), wake the
    sender, return its id.

    kind: "announcement" | "training" | "reminder" | "report_feature" | "notification" …;
    ref: free text linking to the source (e.g. "training:12"); unique per (kind, ref) when
    given, so re-submitting the same ref is a no-op returning the existing id (exactly-once for
    schedulers). Recipients are Telegram user ids or group/channel chat ids; nobody is filtered
    here (callers choose the audience, see `storage.outbox.audience_ids`). `not_before` may be
    naive UTC or timezone-aware. `meta` is shown in `/siaran` (e.g. {"title": …, "audience": …}).
    Raises PayloadError if Telegram would refuse the payload. Safe to call from a worker thread.
    """
    validate_payload(payload)
    with app.database.session() as session:
        broadcast_id, created = outbox.create_broadcast(
            session,
            kind=kind,
            payload=payload.to_json(),
            recipients=recipient_ids,
            ref=ref,
            sender_id=sender_id,
            urgent=urgent,
            not_before=_naive_utc(not_before),
            progress_chat_id=progress_chat_id,
            meta=meta,
        )
    engine = app.services.get("delivery")
    if created and isinstance(engine, DeliveryEngine):
        engine.wake()
    return broadcast_id


# ---------------------------------------------------------------- time helpers


def effective_rate(settings: Settings) -> float:
    """Messages per second the engine paces at: the setting, within what Telegram allows."""
    ceiling = PAID_RATE if settings.paid_broadcast else TELEGRAM_RATE
    wanted = settings.broadcast_rate
    if wanted > ceiling:
        log.warning(
            "BROADCAST_RATE=%s exceeds Telegram's %s/s%s; using %s/s",
            wanted,
            ceiling,
            "" if settings.paid_broadcast else " (set PAID_BROADCAST=true for more)",
            ceiling * HEADROOM,
        )
    return min(wanted, ceiling * HEADROOM)


def local_time(moment: datetime, settings: Settings, *, with_date: bool = False) -> str:
    """A stored UTC time as the forum reads it: "08.30 WITA" or "25/12/2026 08.30 WITA"."""
    local = moment.replace(tzinfo=UTC).astimezone(settings.timezone)
    pattern = "%d/%m/%Y %H.%M" if with_date else "%H.%M"
    return f"{local.strftime(pattern)} {local.tzname()}"


def quiet_until(settings: Settings, now: datetime) -> datetime | None:
    """If `now` (UTC) is in the quiet hours, when they end (UTC); else None."""
    if settings.quiet_hours is None:
        return None
    start, end = settings.quiet_hours
    local = now.replace(tzinfo=UTC).astimezone(settings.timezone)
    clock = local.time().replace(tzinfo=None)
    if start <= end:
        quiet = start <= clock < end
    else:
        quiet = clock >= start or clock < end
    if not quiet or start == end:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------- the engine


@dataclass
class _Job:
    """A claimed recipient on its way out."""

    recipient_id: int
    broadcast_id: int
    chat_id: int
    parts_done: int
    attempts: int
    lang: str


@dataclass
class _Active:
    """What the sender knows about a broadcast that is not finished yet."""

    info: BroadcastInfo
    payload: Payload
    sendable: bool = False
    cancelled: bool = False
    outstanding: int = 0  # jobs claimed and not yet settled
    exhausted: bool = False  # the last claim found nothing due
    progress_lang: str = DEFAULT_LANGUAGE
    progress_text: str = ""
    progress_at: float = 0.0
    seen_at: float = field(default_factory=time.monotonic)
    seen_processed: int | None = None
    resumes_at: datetime | None = None


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
    ) -> None:
        self.app = app
        self.settings = app.settings
        self.rate = effective_rate(app.settings)
        self.paid = app.settings.paid_broadcast
        self.clock = clock
        self.progress_interval = progress_interval
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.private_interval = PRIVATE_CHAT_INTERVAL
        self.group_interval = GROUP_CHAT_INTERVAL
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        # Enough requests in flight to fill the pace at ~100 ms per round trip to Telegram.
        self.concurrency = concurrency or max(4, min(100, math.ceil(self.rate * 0.1)))
        self.bot: _MassBot | None = None
        self.sent_total = 0  # messages Telegram accepted (all parts), for tests and benchmarks
        self.retry_after_total = 0

        self._request = request
        self._interval = 1.0 / self.rate
        self._tolerance = max(0.01, self._interval)  # how far ahead of its slot a send may go
        self._target = max(20, int(self.rate))  # claimed jobs kept ready (~1 s of sending)
        self._ready: deque[_Job] = deque()
        self._delayed: list[tuple[float, int, _Job]] = []
        self._seq = itertools.count()
        self._chat_free_at: dict[int, float] = {}
        self._outcomes: list[Outcome] = []
        self._active: dict[int, _Active] = {}
        self._wires: dict[tuple[int, str], list[_Wire]] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        self._next_slot = 0.0
        self._paused_until = 0.0
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
        recovered = await asyncio.to_thread(self._db, outbox.recover_in_flight)
        if recovered:
            log.warning(
                "delivery: %s recipients were in flight at the last stop; resending", recovered
            )
        self.bot = _MassBot(
            self.settings.token,
            base_url=self.settings.base_url or "https://api.telegram.org/bot",
            base_file_url=self.settings.base_file_url or "https://api.telegram.org/file/bot",
            request=self._request or mass_request(self.concurrency + 2),
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

    def wake(self) -> None:
        """A broadcast was stored: look at the outbox now (callable from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
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
                active = _Active(info, Payload.from_json(info.payload))
                if info.progress_chat_id:
                    active.progress_lang = await asyncio.to_thread(
                        self._db, _language_of, info.progress_chat_id
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
            if sending and tally is not None and tally.remaining == 0 and active.outstanding == 0:
                if await asyncio.to_thread(self._db, outbox.finish, broadcast_id, self.clock()):
                    await self._report(active, final=True)
                    del self._active[broadcast_id]
                    continue
            await self._report(active, counts=tally)

    async def _report(
        self, active: _Active, *, counts: DeliveryCounts | None = None, final: bool = False
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
            counts = await asyncio.to_thread(self._db, outbox.broadcast_status, info.id)
            reasons = await asyncio.to_thread(self._db, outbox.failure_reasons, info.id)
            text = self._summary_text(info, counts, reasons, active.progress_lang)
            markup = None
        else:
            counts = counts or DeliveryCounts()
            text = self._progress_text(active, counts)
            markup = _markup(
                [[(t("delivery.cancel_button", active.progress_lang), f"bc:x:{info.id}")]]
            )
        if text == active.progress_text and not final:
            return
        active.progress_text, active.progress_at = text, now
        bot = self.app.bot
        try:
            if info.progress_message_id:
                await bot.edit_message_text(
                    text,
                    chat_id=info.progress_chat_id,
                    message_id=info.progress_message_id,
                    reply_markup=markup,
                )
            else:
                message = await bot.send_message(info.progress_chat_id, text, reply_markup=markup)
                await asyncio.to_thread(
                    self._db, outbox.set_progress_message, info.id, message.message_id
                )
                active.info = replace(active.info, progress_message_id=message.message_id)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.info("delivery: status message of broadcast %s: %s", info.id, exc)
        except TelegramError as exc:
            log.info("delivery: status message of broadcast %s: %s", info.id, exc)

    def _title(self, info: BroadcastInfo, lang: str) -> str:
        title = str(info.meta.get("title") or "")
        return (
            t("delivery.title", lang, id=info.id, title=title)
            if title
            else t("delivery.title_plain", lang, id=info.id)
        )

    def _progress_text(self, active: _Active, counts: DeliveryCounts) -> str:
        info, lang = active.info, active.progress_lang
        lines = [self._title(info, lang), ""]
        if active.resumes_at is not None:
            key = (
                "delivery.waiting_quiet"
                if info.not_before is None or info.not_before <= self.clock()
                else "delivery.waiting_time"
            )
            lines.append(
                t(key, lang, when=local_time(active.resumes_at, self.settings, with_date=True))
            )
            lines.append("")
        lines.append(
            t(
                "delivery.figures",
                lang,
                sent=counts.sent,
                failed=counts.failed,
                remaining=counts.remaining,
            )
        )
        if info.status == "sending" and active.resumes_at is None and counts.remaining:
            if active.seen_processed is None:
                active.seen_processed, active.seen_at = counts.processed, time.monotonic()
            elapsed = time.monotonic() - active.seen_at
            observed = (counts.processed - active.seen_processed) / elapsed if elapsed > 2 else 0.0
            pace = observed if observed > 0 else self.rate
            eta = self.clock() + timedelta(seconds=counts.remaining / pace)
            lines.append(t("delivery.eta", lang, when=local_time(eta, self.settings)))
        return "\n".join(lines)

    def _summary_text(
        self, info: BroadcastInfo, counts: DeliveryCounts, reasons: dict[str, int], lang: str
    ) -> str:
        key = (
            "delivery.summary_cancelled" if info.status == "cancelled" else "delivery.summary_done"
        )
        lines = [self._title(info, lang), "", t(key, lang)]
        lines.append(
            t(
                "delivery.figures_final",
                lang,
                sent=counts.sent,
                failed=counts.failed,
                cancelled=counts.cancelled,
            )
        )
        for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
            code = reason.split(":", 1)[0]
            label = t(f"delivery.reason.{code}", lang) if code in _REASONS else reason
            lines.append(t("delivery.reason_line", lang, reason=label, count=count))
        if info.started_at and info.finished_at:
            minutes = max(0, int((info.finished_at - info.started_at).total_seconds() // 60))
            lines.append(
                t(
                    "delivery.finished_at",
                    lang,
                    when=local_time(info.finished_at, self.settings),
                    minutes=minutes,
                )
            )
        return "\n".join(lines)

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
                    _Job(
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
            await self._pace()
            active = self._active.get(job.broadcast_id)
            if active is None or active.cancelled:
                self._settle(job)
                continue
            await self._slots.acquire()
            self._chat_free_at[job.chat_id] = time.monotonic() + (
                self.private_interval if job.chat_id > 0 else self.group_interval
            )
            task = asyncio.create_task(self._deliver(job))
            self._in_flight.add(task)
            task.add_done_callback(self._delivered)
            if len(self._ready) < self._target // 2:
                self._refill.set()

    def _delivered(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slots.release()

    def _take_job(self) -> _Job | None:
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
            free_at = self._chat_free_at.get(job.chat_id, 0.0)
            if free_at > now:
                heapq.heappush(self._delayed, (free_at, next(self._seq), job))
                continue
            if len(self._chat_free_at) > 50_000:
                self._chat_free_at = {c: f for c, f in self._chat_free_at.items() if f > now}
            return job
        return None

    async def _pace(self) -> None:
        """Global pace (GCRA): each send takes the next slot; 429 pauses every slot."""
        while True:
            now = time.monotonic()
            if self._paused_until > now:
                await asyncio.sleep(self._paused_until - now)
                continue
            slot = max(now, self._next_slot)
            if slot - now > self._tolerance:
                await asyncio.sleep(slot - now - self._tolerance)
                continue
            self._next_slot = slot + self._interval
            return

    def _wires_for(self, job: _Job) -> list[_Wire]:
        """The API requests of a broadcast in one language, built once and reused."""
        key = (job.broadcast_id, job.lang)
        wires = self._wires.get(key)
        if wires is None:
            parts = render_parts(self._active[job.broadcast_id].payload, job.lang)
            wires = [_wire(part, paid=self.paid) for part in parts]
            self._wires[key] = wires
        return wires

    async def _deliver(self, job: _Job) -> None:
        """Send the job's next part and turn Telegram's answer into an outcome."""
        assert self.bot is not None
        try:
            parts = self._wires_for(job)
        except (KeyError, HtmlError) as exc:
            self._record(job, self._failed(job, f"rejected: {exc}"))
            return
        endpoint, params = parts[job.parts_done]
        try:
            message = await self.bot.send_raw(endpoint, {**params, "chat_id": job.chat_id})
        except RetryAfter as exc:
            self._pause_all(exc)
            self._ready.appendleft(job)
            self._work.set()
        except Forbidden as exc:
            outcome = self._failed(job, _forbidden_reason(str(exc)))
            if job.chat_id > 0:
                outcome = replace(outcome, unreachable_user=job.chat_id)
            self._record(job, outcome)
        except ChatMigrated as exc:  # a group became a supergroup: same chat, new id
            job.chat_id = int(exc.new_chat_id)
            self._ready.appendleft(job)
            self._work.set()
        except BadRequest as exc:
            text = str(exc)
            reason = "chat_not_found" if "chat not found" in text.lower() else f"rejected: {text}"
            self._record(job, self._failed(job, reason))
        except TimedOut:
            self._retry(job, "timeout")
        except NetworkError:
            self._retry(job, "network")
        except TelegramError as exc:
            self._retry(job, f"error: {exc}")
        except Exception as exc:  # a bug must not kill the sender; the row is retried
            log.exception("delivery: unexpected error sending to %s", job.chat_id)
            self._retry(job, f"error: {type(exc).__name__}")
        else:
            self.sent_total += 1
            job.parts_done += 1
            if job.parts_done >= len(parts):
                self._record(
                    job,
                    Outcome(
                        job.recipient_id,
                        outbox.SENT,
                        job.parts_done,
                        job.attempts,
                        message_id=message.get("message_id") if isinstance(message, dict) else None,
                    ),
                )
            else:  # the next part follows after the per-chat interval
                self._outcomes.append(
                    Outcome(job.recipient_id, outbox.SENDING, job.parts_done, job.attempts)
                )
                self._flush.set()
                # Counted from the answer, not the request: Telegram sees arrivals.
                interval = self.private_interval if job.chat_id > 0 else self.group_interval
                due = max(self._chat_free_at.get(job.chat_id, 0.0), time.monotonic() + interval)
                self._chat_free_at[job.chat_id] = due
                heapq.heappush(self._delayed, (due, next(self._seq), job))
                self._work.set()

    def _pause_all(self, exc: RetryAfter) -> None:
        seconds = retry_after_seconds(exc)
        self.retry_after_total += 1
        now = time.monotonic()
        if self._paused_until <= now:
            log.warning("delivery: Telegram asked to wait %ss; all mass sending paused", seconds)
        self._paused_until = max(self._paused_until, now + seconds)

    def _failed(self, job: _Job, reason: str) -> Outcome:
        return Outcome(
            job.recipient_id, outbox.FAILED, job.parts_done, job.attempts + 1, error=reason[:120]
        )

    def _retry(self, job: _Job, reason: str) -> None:
        attempts = job.attempts + 1
        if attempts >= self.max_attempts:
            self._record(job, replace(self._failed(job, reason), attempts=attempts))
            return
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1))
        retry_at = self.clock() + timedelta(seconds=delay)
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

    def _record(self, job: _Job, outcome: Outcome) -> None:
        """Queue an outcome for the next batch write; the job leaves the engine's hands."""
        self._outcomes.append(outcome)
        self._flush.set()
        self._settle(job)

    def _settle(self, job: _Job) -> None:
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


_REASONS = frozenset(
    {
        "blocked",
        "deactivated",
        "kicked",
        "forbidden",
        "chat_not_found",
        "rejected",
        "timeout",
        "network",
        "error",
    }
)


async def _wait(event: asyncio.Event, timeout: float | None) -> None:
    """Wait for `event` at most `timeout` seconds (TimeoutError after that).

    Not `asyncio.wait_for`: on Python 3.11 it can swallow a cancellation that arrives as the
    event is set, and then `stop()` waits for a loop that never ends.
    """
    async with asyncio.timeout(timeout):
        await event.wait()


def _forbidden_reason(text: str) -> str:
    lowered = text.lower()
    if "blocked" in lowered:
        return "blocked"
    if "deactivated" in lowered:
        return "deactivated"
    if "kicked" in lowered or "not a member" in lowered:
        return "kicked"
    return f"forbidden: {text}"


def _language_of(session: Any, telegram_id: int) -> str:
    chosen, telegram = people.user_language(session, telegram_id)
    return language_for(chosen, telegram)
