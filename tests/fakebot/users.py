"""Fake Telegram users: the test's way to act as a person talking to the bot.

Every action builds the same ``Update`` JSON Telegram would deliver and puts it in the
``getUpdates`` queue, so the bot under test runs its real PTB handlers.  Assertions read the
chat state the server keeps (``user.messages``, ``user.last_message``...).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .media import jpeg_bytes
from .membership import bot_state, member_dict, request_to_join
from .models import FakeChat, SentMessage
from .tghtml import utf16_len

if TYPE_CHECKING:
    from .server import FakeTelegramServer

__all__ = ["FakeUser"]

JsonDict = dict[str, Any]

_media_group_ids = itertools.count(13_000_000_000_000_001)
_query_ids = itertools.count(4_000_000_000_000_001)

# A few bytes that start like an OGG/Opus voice note; nobody decodes them in tests.
_FAKE_OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + b"\x01\x01" + b"\x00" * 32
_FAKE_WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24


class FakeUser:
    """A Telegram user with a private chat with the bot (``user.chat.id == user.id``).

    Created through :meth:`FakeTelegramServer.new_user`.  Send-methods accept ``chat=`` (a
    group from :meth:`FakeTelegramServer.new_group`) to speak in a group instead.
    """

    def __init__(
        self,
        server: FakeTelegramServer,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        phone: str,
        chat: FakeChat,
    ) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone = phone
        self.chat = chat
        self.callback_answers: list[JsonDict] = []
        self._dict: JsonDict | None = None

    # ------------------------------------------------------------------ identity
    def to_dict(self) -> JsonDict:
        """The Telegram ``User`` object (``from`` of this user's updates)."""
        if self._dict is None:
            d: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
            if self.last_name is not None:
                d["last_name"] = self.last_name
            if self.username is not None:
                d["username"] = self.username
            if self.language_code is not None:
                d["language_code"] = self.language_code
            self._dict = d
        return self._dict

    @property
    def full_name(self) -> str:
        """First and last name, like ``telegram.User.full_name``."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, name={self.full_name!r})"

    # ------------------------------------------------------------------ state views
    @property
    def messages(self) -> list[SentMessage]:
        """Everything the bot sent to this user's private chat (edits applied)."""
        return self.chat.messages

    @property
    def last_message(self) -> SentMessage | None:
        """The newest bot message in the private chat that is not deleted."""
        return self.chat.last_message

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard currently shown, or ``None``."""
        return self.chat.reply_keyboard

    @property
    def texts(self) -> list[str]:
        """Texts/captions of the bot's non-deleted messages, oldest first (for asserts)."""
        return [m.text or "" for m in self.chat.messages if not m.deleted]

    def block_bot(self) -> JsonDict:
        """From now on every send to this user fails with 403 "bot was blocked by the user".

        Like Telegram, this also queues a ``my_chat_member`` update (the bot's status in the
        private chat becomes ``kicked``) and returns it; the bot handles it asynchronously,
        so a test that needs the outcome awaits ``server.after_update(update["update_id"])``.
        """
        self.chat.blocked = True
        return self._my_chat_member(self.chat, "member", "kicked")

    def unblock_bot(self) -> JsonDict:
        """Undo :meth:`block_bot` (queues ``my_chat_member`` back to ``member``)."""
        self.chat.blocked = False
        return self._my_chat_member(self.chat, "kicked", "member")

    async def add_bot_to(self, group: FakeChat, *, admin: bool = False, **rights: bool) -> JsonDict:
        """This user adds the bot to ``group``: Telegram sends ``my_chat_member`` (left →
        member, or → administrator with ``admin`` and the given ``rights``) from that group;
        waits until the bot has handled it."""
        group.blocked = False
        if admin:
            self.server.promote_bot(group, **rights)
            update = self._my_chat_member(group, "left", "administrator")
        else:
            bot_state(group).clear()
            bot_state(group)["status"] = "member"
            update = self._my_chat_member(group, "left", "member")
        hook = self.server.after_update
        if hook is not None:
            await hook(update["update_id"])
        return update

    async def remove_bot_from(self, group: FakeChat) -> JsonDict:
        """This user removes the bot from ``group`` (``my_chat_member`` → ``left``); sends
        there fail with 403 afterwards. Waits until the bot has handled the update."""
        old = str(bot_state(group)["status"])
        group.blocked = True
        update = self._my_chat_member(group, old, "left")
        hook = self.server.after_update
        if hook is not None:
            await hook(update["update_id"])
        return update

    # ------------------------------------------------------------------ groups
    async def request_to_join(self, group: FakeChat, link: str) -> JsonDict:
        """Open a join-request ``link`` of ``group``: Telegram sends ``chat_join_request``;
        waits until the bot has handled it."""
        update = request_to_join(self.server, self, group, link)
        return (await self.server.enqueue_updates([update]))[0]

    async def leave(self, group: FakeChat) -> None:
        """Leave ``group`` (a ``chat_member`` update if the bot asked for them)."""
        before = self.server._next_update_id
        self.server._api.membership.set_status(group, self.id, "left")
        hook = self.server.after_update
        delivered = "chat_member" in self.server.allowed_updates
        if hook is not None and delivered and self.server._next_update_id > before:
            await hook(before)

    # ------------------------------------------------------------------ sending
    async def send_text(
        self, text: str, *, chat: FakeChat | None = None, reply_to: SentMessage | None = None
    ) -> JsonDict:
        """Send a text message; a leading ``/command`` (or ``/command@bot``) gets an entity."""
        content: JsonDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        if reply_to is not None:
            content["reply_to_message"] = _reply_snapshot(reply_to)
        return await self._send_message(content, "text", text, chat)

    async def send_command(
        self, cmd: str, args: str | None = None, *, chat: FakeChat | None = None
    ) -> JsonDict:
        """Convenience for ``send_text("/cmd args")`` (``cmd`` may include the slash)."""
        text = cmd if cmd.startswith("/") else f"/{cmd}"
        if args:
            text = f"{text} {args}"
        return await self.send_text(text, chat=chat)

    async def share_contact(
        self, phone_number: str | None = None, own: bool = True, *, chat: FakeChat | None = None
    ) -> JsonDict:
        """Send a contact; ``own=True`` is what the "share my phone" button produces."""
        contact: JsonDict = {
            "phone_number": phone_number or self.phone,
            "first_name": self.first_name,
        }
        if self.last_name:
            contact["last_name"] = self.last_name
        if own:
            contact["user_id"] = self.id
        return await self._send_message({"contact": contact}, "contact", None, chat)

    async def send_location(
        self, lat: float, lon: float, *, chat: FakeChat | None = None
    ) -> JsonDict:
        """Send a location pin."""
        location = {"latitude": lat, "longitude": lon}
        return await self._send_message({"location": location}, "location", None, chat)

    async def send_photo(
        self,
        caption: str | None = None,
        media_group_id: str | None = None,
        width: int = 1280,
        height: int = 960,
        file_size: int | None = None,
        *,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """Send a photo (three sizes, downloadable through getFile).

        ``file_size`` fakes the size of the largest version, e.g. to test a 25 MB photo that
        the Bot API refuses to serve (getFile → "file is too big").
        """
        update = self._photo_update(caption, media_group_id, width, height, file_size, chat)
        return (await self.server.enqueue_updates([update]))[0]

    async def send_album(
        self, n: int, caption: str | None = None, *, chat: FakeChat | None = None
    ) -> list[JsonDict]:
        """Send ``n`` photos as one album: same ``media_group_id``, caption on the first.

        All updates are queued before the bot polls, as Telegram delivers albums together.
        """
        group_id = str(next(_media_group_ids))
        updates = [
            self._photo_update(caption if i == 0 else None, group_id, 1280, 960, None, chat)
            for i in range(n)
        ]
        return await self.server.enqueue_updates(updates)

    async def send_document(
        self,
        file_name: str = "x.pdf",
        content: bytes = b"%PDF-1.4\n% fake test document\n%%EOF\n",
        mime_type: str = "application/pdf",
        file_size: int | None = None,
        *,
        caption: str | None = None,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """Send a file as a document; ``file_size`` can fake a bigger size than ``content``."""
        stored = self.server.files.add(
            content,
            folder="documents",
            ext=file_name.rsplit(".", 1)[-1] if "." in file_name else "bin",
            mime_type=mime_type,
            file_name=file_name,
            file_size=file_size,
        )
        document = {
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        body: JsonDict = {"document": document}
        if caption is not None:
            body["caption"] = caption
        return await self._send_message(body, "document", caption, chat, file_bytes=content)

    async def send_sticker(self, emoji: str = "👍", *, chat: FakeChat | None = None) -> JsonDict:
        """Send a (static WebP) sticker."""
        stored = self.server.files.add(
            _FAKE_WEBP, folder="stickers", ext="webp", mime_type="image/webp"
        )
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.file_size,
        }
        return await self._send_message({"sticker": sticker}, "sticker", None, chat)

    async def send_voice(self, duration: int = 3, *, chat: FakeChat | None = None) -> JsonDict:
        """Send a voice note."""
        stored = self.server.files.add(_FAKE_OGG, folder="voice", ext="oga", mime_type="audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.file_size,
        }
        return await self._send_message({"voice": voice}, "voice", None, chat)

    # ------------------------------------------------------------------ keyboards
    async def press(
        self,
        label_or_data: str,
        message: SentMessage | None = None,
        *,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """Press an inline button: exact label, else label containing it, else callback_data.

        Searches ``message`` or else the bot's messages (in the private chat, or ``chat``)
        newest first.  Raises AssertionError listing the visible buttons when nothing matches.
        """
        target = chat or self.chat
        candidates = [message] if message is not None else self._keyboard_messages(target)
        for match in (_label_equals, _label_contains, _data_equals):
            for msg in candidates:
                for row in (msg.reply_markup or {}).get("inline_keyboard", []):
                    for button in row:
                        if match(button, label_or_data):
                            if "callback_data" not in button:
                                raise AssertionError(
                                    f"button {button.get('text')!r} has no callback_data "
                                    f"(it is {sorted(set(button) - {'text'})}); it cannot be "
                                    "pressed like a callback button"
                                )
                            return await self._callback(msg, button["callback_data"])
        available = {m.message_id: m.buttons for m in candidates}
        raise AssertionError(
            f"no inline button matching {label_or_data!r}; available (message_id → rows): "
            f"{available}\n{target.dump()}"
        )

    async def press_data(
        self,
        data: str,
        message: SentMessage | None = None,
        *,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """Send an arbitrary (possibly forged or stale) ``callback_data`` for a message."""
        target = chat or self.chat
        if message is None:
            keyboards = self._keyboard_messages(target)
            message = keyboards[0] if keyboards else target.last_message
        if message is None:
            raise AssertionError(f"press_data: the bot has sent nothing in {target!r}")
        return await self._callback(message, data)

    async def tap_reply_button(self, label: str) -> JsonDict:
        """Tap a button of the current reply keyboard (contact/location requests honoured)."""
        markup = self.chat.reply_keyboard_markup
        rows = (markup or {}).get("keyboard", [])
        for row in rows:
            for button in row:
                text = button if isinstance(button, str) else button.get("text", "")
                if text != label:
                    continue
                if markup and markup.get("one_time_keyboard"):
                    self.chat.reply_keyboard_markup = None
                if isinstance(button, dict) and button.get("request_contact"):
                    return await self.share_contact(own=True)
                if isinstance(button, dict) and button.get("request_location"):
                    return await self.send_location(-6.2, 106.816666)
                return await self.send_text(label)
        raise AssertionError(
            f"no reply keyboard button {label!r}; current reply keyboard: "
            f"{self.chat.reply_keyboard}\n{self.chat.dump()}"
        )

    # ------------------------------------------------------------------ floods
    def flood_texts(self, texts: Iterable[str]) -> list[JsonDict]:
        """Send many plain texts at once without waiting for the bot (a userbot's loop)."""
        raws = [self._store_message({"text": text}, "text", text, None) for text in texts]
        return self.server.queue_updates([{"message": raw} for raw in raws])

    def flood_presses(
        self, data: str, count: int, message: SentMessage | None = None
    ) -> list[JsonDict]:
        """Tap a button ``count`` times at once without waiting (``callback_data`` as given)."""
        target = message or self.chat.last_message
        if target is None:
            raise AssertionError("flood_presses: the bot has sent nothing to press")
        chat = self.server.chat(target.chat_id)
        updates = []
        for _ in range(count):
            query_id = str(next(_query_ids))
            self.server.register_callback_query(query_id, self)
            query = {
                "id": query_id,
                "from": self.to_dict(),
                "chat_instance": chat.chat_instance,
                "message": dict(target.raw),
                "data": data,
            }
            updates.append({"callback_query": query})
        return self.server.queue_updates(updates)

    # ------------------------------------------------------------------ waiting
    async def wait_for_message(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5.0,
        *,
        chat: FakeChat | None = None,
    ) -> SentMessage:
        """Wait for a bot message sent *after* this call started that matches ``predicate``."""
        target = chat or self.chat
        start = len(target.messages)

        def found() -> SentMessage | None:
            for msg in target.messages[start:]:
                if predicate is None or predicate(msg):
                    return msg
            return None

        return await self.server.wait_until(
            found, timeout, lambda: f"no new matching bot message\n{target.dump()}"
        )

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,
    ) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every API call)."""
        return await self.server.wait_until(
            predicate, timeout, lambda: f"condition not met\n{self.chat.dump()}"
        )

    # ------------------------------------------------------------------ internals
    def _my_chat_member(self, chat: FakeChat, old: str, new: str) -> JsonDict:
        """Queue the ``my_chat_member`` update of the bot's status changing in ``chat``."""

        def member(status: str) -> JsonDict:
            state = bot_state(chat) if status == "administrator" else {"status": status}
            return member_dict(self.server.bot_user, state, chat.type)

        change = {
            "chat": chat.to_dict(),
            "from": self.to_dict(),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return self.server.queue_updates([{"my_chat_member": change}])[0]

    @staticmethod
    def _keyboard_messages(chat: FakeChat) -> list[SentMessage]:
        return [m for m in reversed(chat.messages) if not m.deleted and m.buttons]

    async def _callback(self, message: SentMessage, data: str) -> JsonDict:
        query_id = str(next(_query_ids))
        chat = self.server.chat(message.chat_id)
        self.server.register_callback_query(query_id, self)
        query = {
            "id": query_id,
            "from": self.to_dict(),
            "chat_instance": chat.chat_instance,
            "message": dict(message.raw),
            "data": data,
        }
        return (await self.server.enqueue_updates([{"callback_query": query}]))[0]

    async def _send_message(
        self,
        content: JsonDict,
        kind: str,
        text: str | None,
        chat: FakeChat | None,
        *,
        file_bytes: bytes | None = None,
    ) -> JsonDict:
        raw = self._store_message(content, kind, text, chat, file_bytes=file_bytes)
        return (await self.server.enqueue_updates([{"message": raw}]))[0]

    def _store_message(
        self,
        content: JsonDict,
        kind: str,
        text: str | None,
        chat: FakeChat | None,
        *,
        file_bytes: bytes | None = None,
        media_group_id: str | None = None,
    ) -> JsonDict:
        target = chat or self.chat
        if target is self.chat:
            target.started = True
        mid = target.next_message_id()
        now = int(time.time())
        raw: JsonDict = {
            "message_id": mid,
            "from": self.to_dict(),
            "chat": target.to_dict(),
            "date": now,
            **content,
        }
        target.add(
            SentMessage(
                message_id=mid,
                chat_id=target.id,
                text=text,
                html=text,
                parse_mode=None,
                kind=kind,
                raw=raw,
                entities=list(content.get("entities") or content.get("caption_entities") or []),
                file_bytes=file_bytes,
                media_group_id=media_group_id,
                from_bot=False,
                date=now,
            )
        )
        return raw

    def _photo_update(
        self,
        caption: str | None,
        media_group_id: str | None,
        width: int,
        height: int,
        file_size: int | None,
        chat: FakeChat | None,
    ) -> JsonDict:
        sizes = self.server.files.photo_sizes(width, height, file_size=file_size)
        content: JsonDict = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        largest = self.server.files.get(str(sizes[-1]["file_id"]))
        raw = self._store_message(
            content,
            "photo",
            caption,
            chat,
            file_bytes=largest.content if largest else jpeg_bytes(width, height),
            media_group_id=media_group_id,
        )
        return {"message": raw}


def _reply_snapshot(msg: SentMessage) -> JsonDict:
    snapshot = dict(msg.raw)
    snapshot.pop("reply_to_message", None)
    return snapshot


def _label_equals(button: JsonDict, needle: str) -> bool:
    return button.get("text") == needle


def _label_contains(button: JsonDict, needle: str) -> bool:
    return needle in str(button.get("text", ""))


def _data_equals(button: JsonDict, needle: str) -> bool:
    return button.get("callback_data") == needle
