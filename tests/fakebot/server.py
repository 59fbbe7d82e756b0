"""The fake Telegram Bot API HTTP server.

Why a real HTTP server instead of mocking ``telegram.Bot``: the bot under test keeps its
production wiring (PTB ``Application``, long polling, httpx, request encoding, error mapping,
retries), so what the tests exercise is what runs in production.  The same server serves
in-process tests, a bot started as a subprocess and load benchmarks.

Routes (PTB builds URLs as ``base_url + token + "/" + method``):

* ``/bot<token>/<method>`` — the Bot API (GET or POST; form, multipart or JSON bodies)
* ``/file/bot<token>/<file_path>`` — file downloads for paths handed out by ``getFile``

After ``setWebhook`` the server posts each new update to the webhook URL (with the
``X-Telegram-Bot-Api-Secret-Token`` header when a secret was set), one at a time and in order,
as Telegram does; an update the webhook does not accept with 200 stays pending.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from .media import FileStore
from .membership import admin_rights, bot_state, membership_of
from .methods import DEFAULT_ALLOWED_UPDATES, BotApiMethods
from .models import ApiCall, ApiError, FakeChat, ServerStats
from .params import decode_params
from .ratelimit import RateLimiter, RateLimits
from .users import FakeUser

__all__ = ["ErrorHook", "FakeTelegramServer"]

JsonDict = dict[str, Any]
T = TypeVar("T")

#: ``(method, params) -> (status, description, retry_after) | None``
ErrorHook = Callable[[str, JsonDict], "tuple[int, str, int | None] | None"]

_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(slots=True)
class _Fault:
    method: str  # lower-case
    status: int
    description: str
    remaining: int
    chat_id: int | str | None
    retry_after: int | None
    deliver: bool


def _dumps(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _error_body(status: int, description: str, retry_after: int | None = None) -> bytes:
    body: JsonDict = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return _dumps(body)


class FakeTelegramServer:
    """An in-memory Telegram: chats, users, updates queue, files and the Bot API over HTTP.

    Create, ``await start()`` (or ``async with``), then point PTB at :attr:`base_url` and
    :attr:`base_file_url`.  All state lives in the event loop that started the server; call
    its methods from that loop only.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "forkom_test_bot",
        rate_limits: RateLimits | None = None,
        *,
        bot_first_name: str = "Forkom Test Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        record_calls: bool = True,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456
        self.bot_username = bot_username
        self.bot_user: JsonDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.host = host
        self.port = port
        #: ``False`` skips filling :attr:`calls` (long benchmarks); stats are still kept.
        self.record_calls = record_calls
        self.rate_limits = rate_limits
        self.limiter: RateLimiter | None = RateLimiter(rate_limits) if rate_limits else None

        self.files = FileStore()
        self.calls: list[ApiCall] = []
        self.downloads: list[str] = []
        self.stats = ServerStats()
        self.users: dict[int, FakeUser] = {}
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        #: HTTP status of each webhook post, in order (0: the webhook could not be reached).
        self.webhook_statuses: list[int] = []
        self._webhook_client: ClientSession | None = None
        self._webhook_lock = asyncio.Lock()
        self._webhook_posts: set[asyncio.Task[None]] = set()
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES

        #: Awaited with each update_id after it is queued (harness: wait until processed).
        self.after_update: Callable[[int], Awaitable[Any]] | None = None
        #: Consulted before each request; return ``(status, description, retry_after)``.
        self.error_hook: ErrorHook | None = None
        #: Seconds to stall every request, or ``{"sendMessage": 0.2}`` per method.
        self.delay: float | dict[str, float] = 0.0

        self._api = BotApiMethods(self)
        self._handlers = {name.lower(): (name, fn) for name, fn in self._api.handlers.items()}
        self._async_handlers = {
            name.lower(): (name, fn) for name, fn in self._api.async_handlers.items()
        }
        self._chats: dict[int, FakeChat] = {}
        self._chats_by_username: dict[str, FakeChat] = {}
        self._updates: deque[tuple[int, str, JsonDict]] = deque()
        self._next_update_id = 1
        self._next_user_id = 1001
        self._next_group_id = 4_000_000_001
        self._next_channel_id = 1_000_000_000_001
        self._poll_future: asyncio.Future[None] | None = None
        self._poll_began = 0.0  # time.monotonic() when the waiting long poll arrived
        self._state_waiters: list[asyncio.Future[None]] = []
        self._faults: list[_Fault] = []
        self._callback_queries: dict[str, FakeUser] = {}
        self._runner: web.AppRunner | None = None
        self._stopping = False

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        """``base_url`` for PTB (it appends the token and ``/method``)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """``base_file_url`` for PTB (it appends the token and ``/file_path``)."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self) -> FakeTelegramServer:
        """Bind ``host:port`` (port 0 = a free one, see :attr:`port`) and serve."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._stopping = False
        return self

    async def stop(self) -> None:
        """Stop serving; pending long polls return ``[]`` first, like a clean shutdown."""
        self._stopping = True
        self._wake_poller()
        self._notify_state()
        for posting in list(self._webhook_posts):
            posting.cancel()
        await asyncio.gather(*self._webhook_posts, return_exceptions=True)
        if self._webhook_client is not None:
            client, self._webhook_client = self._webhook_client, None
            await client.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await asyncio.sleep(0)  # let woken polls answer before connections close
            await runner.cleanup()

    async def __aenter__(self) -> FakeTelegramServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ users & chats
    def new_user(
        self,
        first_name: str = "Siti",
        last_name: str | None = "Aminah",
        username: str | None = None,
        language_code: str | None = "id",
        user_id: int | None = None,
        *,
        phone: str | None = None,
        started: bool = True,
    ) -> FakeUser:
        """Create a user and its private chat (chat id == user id; ids from 1001).

        ``started=False`` models a user who never opened the bot: sends fail with 403
        "bot can't initiate conversation with a user" until the user writes first.
        """
        if user_id is None:
            while self._next_user_id in self._chats:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        if user_id in self._chats:
            raise ValueError(f"chat/user id {user_id} already exists")
        chat = FakeChat(
            user_id,
            "private",
            username=username,
            first_name=first_name,
            last_name=last_name,
        )
        chat.started = started
        user = FakeUser(
            self,
            user_id,
            first_name,
            last_name,
            username,
            language_code,
            phone or f"+62812{user_id:08d}",
            chat,
        )
        self._register_chat(chat)
        self.users[user_id] = user
        return user

    def new_group(
        self,
        title: str,
        *,
        supergroup: bool = False,
        username: str | None = None,
        chat_id: int | None = None,
    ) -> FakeChat:
        """A group (or supergroup) the bot is a member of; 20 msgs/min flood limit applies."""
        if chat_id is None:
            if supergroup:
                chat_id = -self._next_channel_id
                self._next_channel_id += 1
                chat_id = int(f"-100{-chat_id}")
            else:
                chat_id = -self._next_group_id
                self._next_group_id += 1
        chat = FakeChat(
            chat_id, "supergroup" if supergroup else "group", title=title, username=username
        )
        self._register_chat(chat)
        return chat

    def new_channel(
        self, title: str, chat_id: int | None = None, *, username: str | None = None
    ) -> FakeChat:
        """A channel where the bot is an admin (its posts carry ``sender_chat``)."""
        if chat_id is None:
            chat_id = int(f"-100{self._next_channel_id}")
            self._next_channel_id += 1
        chat = FakeChat(chat_id, "channel", title=title, username=username)
        self._register_chat(chat)
        return chat

    def _register_chat(self, chat: FakeChat) -> None:
        self._chats[chat.id] = chat
        if chat.username:
            self._chats_by_username[chat.username.lower()] = chat

    def chat(self, chat_id: int) -> FakeChat:
        """The chat with this id (KeyError if unknown)."""
        return self._chats[chat_id]

    def user(self, user_id: int) -> FakeUser:
        """The user with this id (KeyError if unknown)."""
        return self.users[user_id]

    @property
    def chats(self) -> list[FakeChat]:
        """All chats, in creation order."""
        return list(self._chats.values())

    def find_chat(self, chat_id: Any) -> FakeChat | None:
        """Resolve an API ``chat_id`` (int, numeric string or ``@username``)."""
        if isinstance(chat_id, int) and not isinstance(chat_id, bool):
            return self._chats.get(chat_id)
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                return self._chats_by_username.get(chat_id[1:].lower())
            try:
                return self._chats.get(int(chat_id))
            except ValueError:
                return None
        return None

    def deactivate(self, user: FakeUser) -> None:
        """The account is deleted: sends fail with 403 "user is deactivated"."""
        user.chat.deactivated = True

    def promote_bot(self, chat: FakeChat, **rights: bool) -> None:
        """Make the bot an administrator of `chat` (all rights but promoting, unless given);
        without a `my_chat_member` update (see `FakeUser.add_bot_to` for that)."""
        state = bot_state(chat)
        state.clear()
        state.update({"status": "administrator", **admin_rights(**rights)})

    def set_member(self, chat: FakeChat, user: FakeUser, status: str = "member") -> None:
        """Put `user` in `chat` with `status` (member, administrator, creator, left…) directly,
        as if it had always been so (no update is sent)."""
        membership_of(chat)[user.id] = {"status": status}

    def member_status(self, chat: FakeChat, user: FakeUser) -> str:
        """The user's status in `chat` as getChatMember would say (``left`` if never in it)."""
        return str(membership_of(chat).get(user.id, {"status": "left"})["status"])

    def kick_bot(self, chat: FakeChat) -> None:
        """The bot was removed from a group/channel: sends fail with 403."""
        chat.blocked = True

    def delivered_count(self, chat_id: int) -> int:
        """Messages successfully delivered to a chat (for duplicate/loss accounting)."""
        return self.stats.delivered[chat_id]

    def calls_for(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method (case-insensitive, like Telegram's routing)."""
        lower = method.lower()
        return [c for c in self.calls if c.method.lower() == lower]

    # ------------------------------------------------------------------ fault injection
    def fail_next(
        self,
        method: str,
        status: int = 502,
        description: str = "Bad Gateway",
        count: int = 1,
        chat_id: int | str | None = None,
        *,
        retry_after: int | None = None,
        deliver: bool = False,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (optionally to ``chat_id``) fail.

        ``deliver=True`` processes the request (the message *is* delivered) and then answers
        with the error: the "timeout after success" case that makes naive retries duplicate.
        """
        self._faults.append(
            _Fault(method.lower(), status, description, count, chat_id, retry_after, deliver)
        )

    def _take_fault(self, method_lower: str, params: JsonDict) -> _Fault | None:
        for fault in self._faults:
            if fault.method != method_lower:
                continue
            if fault.chat_id is not None and str(params.get("chat_id")) != str(fault.chat_id):
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            return fault
        return None

    # ------------------------------------------------------------------ updates queue
    async def enqueue_updates(self, updates: list[JsonDict]) -> list[JsonDict]:
        """Queue updates (ids assigned here) for getUpdates; then await ``after_update``."""
        posting = self._queue(updates)
        if posting is not None:
            await posting
        hook = self.after_update
        if hook is not None:
            for update in updates:
                await hook(update["update_id"])
        return updates

    def queue_updates(self, updates: list[JsonDict]) -> list[JsonDict]:
        """Queue updates for getUpdates without waiting for the bot to handle them.

        For what Telegram sends on its own while the test carries on (``my_chat_member`` when
        a user blocks the bot); tests that need the outcome await ``after_update`` themselves.
        """
        self._queue(updates)
        return updates

    def _queue(self, updates: list[JsonDict]) -> asyncio.Task[None] | None:
        """Assign ids and queue; in webhook mode also start posting (the task is returned)."""
        for update in updates:
            update_id = self._next_update_id
            self._next_update_id += 1
            update_type = next(k for k in update if k != "update_id")
            update["update_id"] = update_id
            self._updates.append((update_id, update_type, update))
        self._wake_poller()
        if not self.webhook_url:
            return None
        posting = asyncio.get_running_loop().create_task(self._post_in_order(updates))
        self._webhook_posts.add(posting)
        posting.add_done_callback(self._webhook_posts.discard)
        return posting

    async def _post_in_order(self, updates: list[JsonDict]) -> None:
        # The lock is taken in creation order (asyncio locks are fair), so posts keep the
        # order the updates were queued in, as Telegram's do.
        async with self._webhook_lock:
            for update in updates:
                await self._post_to_webhook(update)

    async def _post_to_webhook(self, update: JsonDict) -> None:
        """Deliver one update as Telegram does in webhook mode; 200 confirms it."""
        if self._webhook_client is None:
            self._webhook_client = ClientSession(timeout=ClientTimeout(total=30))
        secret = self.webhook_secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        try:
            async with self._webhook_client.post(
                self.webhook_url, json=update, headers=headers
            ) as response:
                status = response.status
        except (ClientError, OSError):
            status = 0
        self.webhook_statuses.append(status)
        if status == 200:
            self._updates = deque(u for u in self._updates if u[0] != update["update_id"])
        self._notify_state()

    @property
    def pending_update_count(self) -> int:
        """Updates queued and not yet confirmed by an ``offset``."""
        return len(self._updates)

    def drop_pending_updates(self) -> None:
        """What ``deleteWebhook(drop_pending_updates=True)`` does."""
        self._updates.clear()

    def _confirm(self, offset: int | None) -> None:
        updates = self._updates
        if offset is None or offset == 0:
            return
        if offset < 0:
            while len(updates) > -offset:
                updates.popleft()
            return
        while updates and updates[0][0] < offset:
            updates.popleft()

    def _collect(self, limit: int) -> list[JsonDict]:
        allowed = self.allowed_updates
        result = []
        for _update_id, update_type, update in self._updates:
            if update_type in allowed:
                result.append(update)
                if len(result) >= limit:
                    break
        return result

    @property
    def is_polling(self) -> bool:
        """True while a long-poll getUpdates is waiting (the bot is up and listening)."""
        fut = self._poll_future
        return fut is not None and not fut.done()

    async def wait_until_polling(
        self, timeout: float = 10.0, *, since: float | None = None
    ) -> None:
        """Wait until a bot (e.g. started as a subprocess) is long-polling.

        `since` (a `time.monotonic()` reading): a poll that arrived after it. A bot stopped
        while this server's loop was blocked (`stop_bot` from a coroutine) leaves its long
        poll waiting here until its timeout, which would pass for the next bot's.
        """
        await self.wait_until(
            lambda: self.is_polling and (since is None or self._poll_began >= since),
            timeout,
            lambda: f"no bot is polling; {self._dump()}",
        )

    def _wake_poller(self) -> None:
        fut = self._poll_future
        if fut is not None and not fut.done():
            fut.set_result(None)

    async def poll_updates(
        self,
        offset: int | None,
        limit: int,
        timeout: float,
    ) -> list[JsonDict]:
        """getUpdates semantics: confirm by offset, answer at once if anything is pending,
        else wait up to ``timeout``.  A newer poll terminates an older one with 409 (Telegram
        does this when two bot instances poll), and a stopping server answers ``[]``.
        """
        self._confirm(offset)
        result = self._collect(limit)
        if result or timeout <= 0 or self._stopping:
            return result
        old = self._poll_future
        if old is not None and not old.done():
            old.set_exception(ApiError(409, _CONFLICT))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._poll_began = time.monotonic()
        while True:
            fut: asyncio.Future[None] = loop.create_future()
            self._poll_future = fut
            self._notify_state()  # wait_until_polling()
            try:
                await asyncio.wait_for(fut, max(deadline - loop.time(), 0))
            except TimeoutError:
                return []
            finally:
                if self._poll_future is fut:
                    self._poll_future = None
            if self._stopping:
                return []
            result = self._collect(limit)
            if result or loop.time() >= deadline:
                return result

    # ------------------------------------------------------------------ callback queries
    def register_callback_query(self, query_id: str, user: FakeUser) -> None:
        """Remember an open callback query so answerCallbackQuery can validate its id."""
        self._callback_queries[query_id] = user

    def pop_callback_query(self, query_id: str) -> FakeUser | None:
        """Close a callback query (answering twice is an error on Telegram too)."""
        return self._callback_queries.pop(query_id, None)

    # ------------------------------------------------------------------ waiting
    def _notify_state(self) -> None:
        if self._state_waiters:
            waiters, self._state_waiters = self._state_waiters, []
            for fut in waiters:
                if not fut.done():
                    fut.set_result(None)

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,
        describe: Callable[[], str] | None = None,
    ) -> T:
        """Wait until ``predicate()`` is truthy, re-checking after every API call.

        Raises AssertionError with ``describe()`` (e.g. the last messages) on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                detail = describe() if describe else ""
                raise AssertionError(f"timed out after {timeout}s: {detail}")
            fut: asyncio.Future[None] = loop.create_future()
            self._state_waiters.append(fut)
            try:
                await asyncio.wait_for(fut, remaining)
            except TimeoutError:
                pass

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,
    ) -> T:
        """Like :meth:`FakeUser.wait_for` but server-wide."""
        return await self.wait_until(predicate, timeout, self._dump)

    def _dump(self) -> str:
        recent = ", ".join(f"{c.method}→{c.status}" for c in self.calls[-10:])
        return f"last calls: [{recent}]"

    # ------------------------------------------------------------------ HTTP
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._finish(method, {}, 401, _error_body(401, "Unauthorized"))
        try:
            params = await decode_params(request)
        except (ValueError, UnicodeDecodeError) as err:
            return self._finish(
                method, {}, 400, _error_body(400, f"Bad Request: can't parse request: {err}")
            )
        return await self.dispatch(method, params)

    async def dispatch(self, method: str, params: JsonDict) -> web.Response:
        """Run one Bot API call (also usable directly, without HTTP)."""
        lower = method.lower()
        entry = self._handlers.get(lower)
        async_entry = self._async_handlers.get(lower) if entry is None else None
        if entry is None and async_entry is None:
            return self._finish(method, params, 404, _error_body(404, "Not Found"))
        canonical = (entry or async_entry)[0]  # type: ignore[index]

        delay = self.delay
        if delay:
            seconds = delay.get(canonical, 0.0) if isinstance(delay, dict) else delay
            if seconds:
                await asyncio.sleep(seconds)

        fault = self._take_fault(lower, params) if self._faults else None
        if fault is None and self.error_hook is not None:
            hooked = self.error_hook(canonical, params)
            if hooked is not None:
                status, description, retry_after = hooked
                fault = _Fault(lower, status, description, 0, None, retry_after, False)
        if fault is not None:
            self.stats.injected_faults += 1
            if not fault.deliver:
                body = _error_body(fault.status, fault.description, fault.retry_after)
                return self._finish(canonical, params, fault.status, body)

        try:
            if entry is not None:
                result = entry[1](params)
            else:
                result = await async_entry[1](params)  # type: ignore[index]
        except ApiError as err:
            status = err.status
            body = _error_body(status, err.description, err.retry_after)
        else:
            if fault is not None:  # deliver=True: processed, but the client sees an error
                status = fault.status
                body = _error_body(fault.status, fault.description, fault.retry_after)
            else:
                status = 200
                body = _dumps({"ok": True, "result": result})
        return self._finish(canonical, params, status, body)

    def _finish(self, method: str, params: JsonDict, status: int, body: bytes) -> web.Response:
        stats = self.stats
        stats.api_calls += 1
        if status != 200:
            if status == 429:
                stats.rejected_429 += 1
            elif status == 403:
                stats.rejected_403 += 1
            elif status == 400:
                stats.rejected_400 += 1
        if self.record_calls:
            self.calls.append(ApiCall(method, params, status, time.time()))
        self._notify_state()
        return web.Response(body=body, status=status, headers=_JSON_HEADERS)

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        stored = self.files.by_path(path) if request.match_info["token"] == self.token else None
        if stored is None:
            return web.Response(
                body=_error_body(404, "Not Found"), status=404, headers=_JSON_HEADERS
            )
        self.downloads.append(path)
        return web.Response(body=stored.content, content_type="application/octet-stream")
