"""Plain data objects the fake server records, so tests can assert on what the bot did."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiCall",
    "ApiError",
    "FakeChat",
    "SentMessage",
    "ServerStats",
    "UploadedFile",
]

JsonDict = dict[str, Any]


class ApiError(Exception):
    """Raised by a method handler to answer with a Telegram error response.

    ``description`` is the full Telegram text (``"Bad Request: chat not found"``) because PTB
    surfaces exactly that string as the exception message, which bots sometimes match on.
    """

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    @classmethod
    def bad_request(cls, detail: str) -> ApiError:
        """400 with Telegram's ``Bad Request: `` prefix."""
        return cls(400, f"Bad Request: {detail}")

    @classmethod
    def forbidden(cls, detail: str) -> ApiError:
        """403 with Telegram's ``Forbidden: `` prefix."""
        return cls(403, f"Forbidden: {detail}")


@dataclass(slots=True)
class UploadedFile:
    """A multipart file part as received from the bot (kept so tests can inspect uploads)."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:  # keep ``server.calls`` dumps short
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass(slots=True)
class ApiCall:
    """One HTTP request to the Bot API, after decoding (``reply_markup`` etc. are objects)."""

    method: str
    params: JsonDict
    status: int
    timestamp: float


@dataclass(slots=True, eq=False)
class SentMessage:
    """A message in a chat as it currently is (edits applied, deletions flagged).

    ``text`` is what a user would read (HTML parsed, or the caption for media); ``html`` is the
    raw string the bot sent, handy for asserting on markup.  ``raw`` is the Telegram
    ``Message`` dict that was returned to the bot and is kept up to date on edits.
    """

    message_id: int
    chat_id: int
    text: str | None
    html: str | None
    parse_mode: str | None
    kind: str
    raw: JsonDict
    reply_markup: JsonDict | None = None
    buttons: list[list[str]] = field(default_factory=list)
    button_data: list[list[str | None]] = field(default_factory=list)
    entities: list[JsonDict] = field(default_factory=list)
    file_bytes: bytes | None = None
    file_name: str | None = None
    media_group_id: str | None = None
    edits: int = 0
    deleted: bool = False
    from_bot: bool = True
    date: int = field(default_factory=lambda: int(time.time()))

    def set_markup(self, markup: JsonDict | None) -> None:
        """Store ``reply_markup`` and derive the button label/data grids from it."""
        self.reply_markup = markup
        rows = (markup or {}).get("inline_keyboard")
        if rows:
            self.buttons = [[str(b.get("text", "")) for b in row] for row in rows]
            self.button_data = [[b.get("callback_data") for b in row] for row in rows]
        else:
            self.buttons = []
            self.button_data = []

    @property
    def has_inline_keyboard(self) -> bool:
        """True when the message currently carries an inline keyboard."""
        return bool(self.buttons)

    @property
    def flat_buttons(self) -> list[str]:
        """All inline button labels, row by row."""
        return [label for row in self.buttons for label in row]

    def short(self) -> str:
        """One-line description used in assertion dumps."""
        flags = []
        if self.deleted:
            flags.append("deleted")
        if self.edits:
            flags.append(f"edits={self.edits}")
        extra = f" [{', '.join(flags)}]" if flags else ""
        buttons = f" buttons={self.buttons}" if self.buttons else ""
        text = (self.text or "")[:200]
        who = "bot" if self.from_bot else "user"
        return f"#{self.message_id} {who} {self.kind}{extra}: {text!r}{buttons}"


@dataclass(slots=True)
class ServerStats:
    """Counters for benchmarks: what was delivered and what was refused."""

    api_calls: int = 0
    sent: int = 0
    rejected_429: int = 0
    rejected_403: int = 0
    rejected_400: int = 0
    injected_faults: int = 0
    delivered: Counter[int] = field(default_factory=Counter)


class FakeChat:
    """A chat (private, group, supergroup or channel) and its message history.

    ``messages`` holds only what the *bot* sent (the thing tests assert on); ``history`` holds
    everything, including the user's own messages, so copy/forward/reply can find them.
    """

    def __init__(
        self,
        chat_id: int,
        chat_type: str,
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> None:
        self.id = chat_id
        self.type = chat_type
        self.title = title
        self.username = username
        self.first_name = first_name
        self.last_name = last_name
        self.messages: list[SentMessage] = []
        self.history: dict[int, SentMessage] = {}
        self.reply_keyboard_markup: JsonDict | None = None
        self.chat_actions: list[str] = []
        self.blocked = False
        self.deactivated = False
        self.started = True
        self.chat_instance = f"{abs(chat_id) * 7919 + 104729}"
        self._next_message_id = 1
        self._dict: JsonDict | None = None

    @property
    def is_private(self) -> bool:
        """Private chats get per-second rate limits; groups get per-minute limits."""
        return self.type == "private"

    def next_message_id(self) -> int:
        """Message ids are per chat and strictly increasing, like Telegram's."""
        mid = self._next_message_id
        self._next_message_id += 1
        return mid

    def to_dict(self) -> JsonDict:
        """The ``Chat`` object embedded in messages (cached: it is on every message)."""
        if self._dict is None:
            d: JsonDict = {"id": self.id, "type": self.type}
            for key in ("title", "username", "first_name", "last_name"):
                value = getattr(self, key)
                if value is not None:
                    d[key] = value
            self._dict = d
        return self._dict

    def full_info(self) -> JsonDict:
        """``ChatFullInfo`` for getChat (with the fields PTB requires)."""
        return {
            **self.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    @property
    def last_message(self) -> SentMessage | None:
        """Newest bot message that is not deleted."""
        for msg in reversed(self.messages):
            if not msg.deleted:
                return msg
        return None

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard currently shown to the user, or ``None``."""
        markup = self.reply_keyboard_markup
        if not markup:
            return None
        return [[_reply_label(b) for b in row] for row in markup.get("keyboard", [])]

    def add(self, msg: SentMessage) -> None:
        """Record a message in the history (and in ``messages`` if the bot sent it)."""
        self.history[msg.message_id] = msg
        if msg.from_bot:
            self.messages.append(msg)

    def dump(self, last: int = 10) -> str:
        """Human-readable tail of the chat for assertion messages."""
        msgs = list(self.history.values())[-last:]
        if not msgs:
            return f"chat {self.id}: (no messages)"
        lines = "\n  ".join(m.short() for m in msgs)
        return f"chat {self.id} (last {len(msgs)}):\n  {lines}"

    def __repr__(self) -> str:
        name = self.title or self.username or self.first_name
        return f"FakeChat(id={self.id}, type={self.type!r}, name={name!r})"


def _reply_label(button: Any) -> str:
    """Reply keyboard buttons may be plain strings or ``KeyboardButton`` dicts."""
    if isinstance(button, str):
        return button
    return str(button.get("text", ""))
