"""Bot API method implementations of the fake server.

Each handler takes decoded params and returns the ``result`` payload, or raises
:class:`~tests.fakebot.models.ApiError` with Telegram's status and wording.  Handlers are
plain (synchronous) functions except ``getUpdates``: a send is pure bookkeeping, and keeping
it coroutine-free is what lets the server handle thousands of sends per second.

The checks are ordered like Telegram's: chat lookup → reachability (403) → content
validation (400) → flood control (429) → delivery, so a rejected request never consumes rate
limit and is never delivered.
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .media import MAX_DOWNLOAD_SIZE, StoredFile, image_size
from .membership import MembershipMethods, may_write_to_requester
from .models import ApiError, FakeChat, SentMessage, UploadedFile
from .tghtml import HtmlParseError, ParsedText, parse_html, strip_text, utf16_len

if TYPE_CHECKING:
    from .server import FakeTelegramServer

__all__ = ["MESSAGE_SENDING_METHODS", "BotApiMethods"]

JsonDict = dict[str, Any]

#: Methods that deliver a message and therefore count against flood limits.
MESSAGE_SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendLocation",
        "copyMessage",
        "forwardMessage",
    }
)

_TEXT_LIMIT = 4096
_CAPTION_LIMIT = 1024
_CALLBACK_DATA_LIMIT = 64
_INLINE_BUTTON_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)
_CONTENT_KEYS = (
    "text",
    "entities",
    "photo",
    "document",
    "caption",
    "caption_entities",
    "location",
    "contact",
    "sticker",
    "voice",
    "video",
    "audio",
    "animation",
    "venue",
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_DEFAULT_ALLOWED = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_media_group_ids = itertools.count(14_000_000_000_000_001)


def _inline_markup(markup: JsonDict | None) -> JsonDict | None:
    """Only inline keyboards are attached to (and compared on) a message."""
    if markup and "inline_keyboard" in markup:
        return markup
    return None


def _kind_of(raw: JsonDict) -> str:
    for key in ("text", "photo", "document", "location", "contact", "sticker", "voice"):
        if key in raw:
            return key
    return "other"


class BotApiMethods:
    """The method table; ``handlers`` maps canonical method names to callables."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.server = server
        self.handlers: dict[str, Callable[[JsonDict], Any]] = {
            "getMe": self.get_me,
            "logOut": self.ok,
            "close": self.ok,
            "deleteWebhook": self.delete_webhook,
            "setWebhook": self.set_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyDescription": self.set_my_description,
            "getMyDescription": self.get_my_description,
            "setMyShortDescription": self.set_my_short_description,
            "getMyShortDescription": self.get_my_short_description,
            "setMyName": self.set_my_name,
            "getMyName": self.get_my_name,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendMediaGroup": self.send_media_group,
            "sendLocation": self.send_location,
            "sendChatAction": self.send_chat_action,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "getChat": self.get_chat,
            "leaveChat": self.leave_chat,
            "getFile": self.get_file,
        }
        self.membership = MembershipMethods(server)
        self.handlers.update(self.membership.handlers())
        self.async_handlers: dict[str, Callable[[JsonDict], Any]] = {
            "getUpdates": self.get_updates,
        }

    # ------------------------------------------------------------------ helpers
    def chat(self, chat_id: Any) -> FakeChat:
        """Resolve ``chat_id`` (int, numeric string or ``@username``) or 400 chat not found."""
        if chat_id is None or chat_id == "":
            raise ApiError.bad_request("chat_id is empty")
        chat = self.server.find_chat(chat_id)
        if chat is None:
            raise ApiError.bad_request("chat not found")
        return chat

    def reachable_chat(self, chat_id: Any) -> FakeChat:
        """A chat the bot may write to, else Telegram's 403 for the situation."""
        chat = self.chat(chat_id)
        if chat.is_private:
            if chat.deactivated:
                raise ApiError.forbidden("user is deactivated")
            if chat.blocked:
                raise ApiError.forbidden("bot was blocked by the user")
            if not chat.started and not may_write_to_requester(chat):
                raise ApiError.forbidden("bot can't initiate conversation with a user")
        elif chat.blocked:
            if chat.type == "channel":
                raise ApiError.forbidden("bot is not a member of the channel chat")
            raise ApiError.forbidden(f"bot was kicked from the {chat.type} chat")
        return chat

    @staticmethod
    def format_text(
        text: Any,
        parse_mode: Any,
        entities: Any,
        *,
        caption: bool = False,
    ) -> ParsedText:
        """Parse/validate a text or caption like Telegram (HTML rules, trimming, limits)."""
        if text is None or text == "":
            if caption:
                return ParsedText("", [])
            raise ApiError.bad_request("message text is empty")
        text = str(text)
        mode = parse_mode.lower() if isinstance(parse_mode, str) and parse_mode else ""
        if mode == "html":
            try:
                parsed = parse_html(text)
            except HtmlParseError as err:
                raise ApiError.bad_request(f"can't parse entities: {err}") from None
        elif mode in ("", "markdown", "markdownv2"):
            # Markdown is stored verbatim (not validated); only HTML is parsed faithfully.
            parsed = ParsedText(text, list(entities) if isinstance(entities, list) else [])
        else:
            raise ApiError.bad_request("unsupported parse_mode")
        parsed = strip_text(parsed)
        if not parsed.text and not caption:
            raise ApiError.bad_request("message text is empty")
        limit = _CAPTION_LIMIT if caption else _TEXT_LIMIT
        if utf16_len(parsed.text) > limit:
            raise ApiError.bad_request(
                "message caption is too long" if caption else "message is too long"
            )
        return parsed

    @staticmethod
    def check_markup(markup: Any, *, inline_only: bool = False) -> JsonDict | None:
        """Validate ``reply_markup`` the way Telegram rejects broken keyboards."""
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError.bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of '
                    "Arrays"
                )
            for row in rows:
                for button in row:
                    _check_inline_button(button)
            return markup
        if inline_only:
            raise ApiError.bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError.bad_request(
                    'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    if not isinstance(button, str | dict) or (
                        isinstance(button, dict) and "text" not in button
                    ):
                        raise ApiError.bad_request(
                            "can't parse keyboard button: Can't find field \"text\""
                        )
            return markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return markup
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")

    def reply_snapshot(self, chat: FakeChat, params: JsonDict) -> JsonDict | None:
        """``reply_to_message`` for ``reply_parameters`` / legacy ``reply_to_message_id``."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, chat.id):
                chat = self.chat(reply["chat_id"])
        else:
            message_id = params.get("reply_to_message_id")
            allow = bool(params.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        target = chat.history.get(message_id)
        if target is None or target.deleted:
            if allow:
                return None
            raise ApiError.bad_request("message to be replied not found")
        snapshot = dict(target.raw)
        snapshot.pop("reply_to_message", None)
        return snapshot

    def rate_limit(self, chat: FakeChat, params: JsonDict) -> None:
        """429 with ``retry_after`` if flood limits are on and exceeded."""
        limiter = self.server.limiter
        if limiter is None:
            return
        retry = limiter.acquire(chat.id, chat.is_private, bool(params.get("allow_paid_broadcast")))
        if retry is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)

    def deliver(
        self,
        chat: FakeChat,
        kind: str,
        content: JsonDict,
        *,
        text: str | None,
        html: str | None,
        parse_mode: str | None,
        entities: list[JsonDict],
        markup: JsonDict | None,
        reply_to: JsonDict | None = None,
        file_bytes: bytes | None = None,
        file_name: str | None = None,
        media_group_id: str | None = None,
    ) -> SentMessage:
        """Create, store and count a bot message; returns it (``.raw`` is the API result)."""
        server = self.server
        mid = chat.next_message_id()
        now = int(time.time())
        raw: JsonDict = {"message_id": mid}
        if chat.type == "channel":
            raw["sender_chat"] = chat.to_dict()
        else:
            raw["from"] = server.bot_user
        raw["chat"] = chat.to_dict()
        raw["date"] = now
        if reply_to is not None:
            raw["reply_to_message"] = reply_to
        if media_group_id is not None:
            raw["media_group_id"] = media_group_id
        raw.update(content)
        inline = _inline_markup(markup)
        if inline is not None:
            raw["reply_markup"] = inline
        elif markup is not None:
            if "keyboard" in markup:
                chat.reply_keyboard_markup = markup
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard_markup = None
        msg = SentMessage(
            message_id=mid,
            chat_id=chat.id,
            text=text,
            html=html,
            parse_mode=parse_mode,
            kind=kind,
            raw=raw,
            entities=entities,
            file_bytes=file_bytes,
            file_name=file_name,
            media_group_id=media_group_id,
            date=now,
        )
        msg.set_markup(inline)
        chat.add(msg)
        stats = server.stats
        stats.sent += 1
        stats.delivered[chat.id] += 1
        return msg

    # ------------------------------------------------------------------ bot & webhook
    def ok(self, params: JsonDict) -> bool:
        """Methods whose effect the fake does not model (logOut, close)."""
        return True

    def get_me(self, params: JsonDict) -> JsonDict:
        """The bot's ``User`` with the bot-only capability flags PTB exposes."""
        return {
            **self.server.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def delete_webhook(self, params: JsonDict) -> bool:
        """Also honours ``drop_pending_updates`` (PTB passes it from start_polling)."""
        self.server.webhook_url = ""
        self.server.webhook_secret = None
        if params.get("drop_pending_updates"):
            self.server.drop_pending_updates()
        return True

    def set_webhook(self, params: JsonDict) -> bool:
        """From now on updates are posted to ``url`` (with ``secret_token``), not polled."""
        self.server.webhook_url = str(params.get("url") or "")
        self.server.webhook_secret = str(params.get("secret_token") or "") or None
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.server.allowed_updates = frozenset(allowed) if allowed else _DEFAULT_ALLOWED
        if params.get("drop_pending_updates"):
            self.server.drop_pending_updates()
        return True

    def get_webhook_info(self, params: JsonDict) -> JsonDict:
        """``WebhookInfo``: empty URL in polling mode."""
        return {
            "url": self.server.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": self.server.pending_update_count,
        }

    async def get_updates(self, params: JsonDict) -> list[JsonDict]:
        """Long polling: see :meth:`FakeTelegramServer.poll_updates`."""
        if self.server.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.server.allowed_updates = frozenset(allowed) if allowed else _DEFAULT_ALLOWED
        limit = params.get("limit") or 100
        limit = min(max(int(limit), 1), 100)
        timeout = params.get("timeout") or 0
        offset = params.get("offset")
        return await self.server.poll_updates(
            int(offset) if offset is not None else None, limit, float(timeout)
        )

    # ------------------------------------------------------------------ commands & profile
    @staticmethod
    def _scope_key(params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def set_my_commands(self, params: JsonDict) -> bool:
        """Stored per (scope, language_code), exactly as Telegram scopes them."""
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError.bad_request('parameter "commands" is required')
        if len(commands) > 100:
            raise ApiError.bad_request("too many bot commands specified")
        cleaned = []
        for item in commands:
            if not isinstance(item, dict):
                raise ApiError.bad_request("can't parse BotCommand")
            command = str(item.get("command", "")).lstrip("/")
            description = str(item.get("description", ""))
            if not _COMMAND_RE.match(command):
                raise ApiError.bad_request("BOT_COMMAND_INVALID")
            if not description.strip() or len(description) > 256:
                raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": command, "description": description})
        key = self._scope_key(params)
        if cleaned:
            self.server.commands[key] = cleaned
        else:
            self.server.commands.pop(key, None)
        return True

    def get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        """What was set for exactly this scope and language (no fallback), like Telegram."""
        return [dict(c) for c in self.server.commands.get(self._scope_key(params), [])]

    def delete_my_commands(self, params: JsonDict) -> bool:
        """Forget the commands of one (scope, language_code)."""
        self.server.commands.pop(self._scope_key(params), None)
        return True

    def set_my_description(self, params: JsonDict) -> bool:
        """Per-language bot description (shown in an empty chat)."""
        description = str(params.get("description") or "")
        if len(description) > 512:
            raise ApiError.bad_request("description is too long")
        self.server.descriptions[str(params.get("language_code") or "")] = description
        return True

    def get_my_description(self, params: JsonDict) -> JsonDict:
        """``BotDescription``."""
        lang = str(params.get("language_code") or "")
        return {"description": self.server.descriptions.get(lang, "")}

    def set_my_short_description(self, params: JsonDict) -> bool:
        """Per-language short description (profile page / share text)."""
        description = str(params.get("short_description") or "")
        if len(description) > 120:
            raise ApiError.bad_request("short description is too long")
        self.server.short_descriptions[str(params.get("language_code") or "")] = description
        return True

    def get_my_short_description(self, params: JsonDict) -> JsonDict:
        """``BotShortDescription``."""
        lang = str(params.get("language_code") or "")
        return {"short_description": self.server.short_descriptions.get(lang, "")}

    def set_my_name(self, params: JsonDict) -> bool:
        """Per-language bot name."""
        self.server.names[str(params.get("language_code") or "")] = str(params.get("name") or "")
        return True

    def get_my_name(self, params: JsonDict) -> JsonDict:
        """``BotName`` (defaults to the bot's first name)."""
        lang = str(params.get("language_code") or "")
        return {"name": self.server.names.get(lang) or self.server.bot_user["first_name"]}

    def set_chat_menu_button(self, params: JsonDict) -> bool:
        """Menu button per chat (``chat_id`` omitted = the default for all chats)."""
        chat_id = params.get("chat_id")
        key = self.chat(chat_id).id if chat_id is not None else None
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise ApiError.bad_request("can't parse menu button JSON object")
        self.server.menu_buttons[key] = button
        return True

    def get_chat_menu_button(self, params: JsonDict) -> JsonDict:
        """The stored ``MenuButton`` (chat-specific, else default, else ``commands``)."""
        chat_id = params.get("chat_id")
        key = self.chat(chat_id).id if chat_id is not None else None
        buttons = self.server.menu_buttons
        return buttons.get(key) or buttons.get(None) or {"type": "commands"}

    # ------------------------------------------------------------------ sending
    def send_message(self, params: JsonDict) -> JsonDict:
        """sendMessage."""
        chat = self.reachable_chat(params.get("chat_id"))
        text = params.get("text")
        parse_mode = params.get("parse_mode")
        parsed = self.format_text(text, parse_mode, params.get("entities"))
        markup = self.check_markup(params.get("reply_markup"))
        reply_to = self.reply_snapshot(chat, params)
        self.rate_limit(chat, params)
        content: JsonDict = {"text": parsed.text}
        if parsed.entities:
            content["entities"] = parsed.entities
        if isinstance(params.get("link_preview_options"), dict):
            content["link_preview_options"] = params["link_preview_options"]
        msg = self.deliver(
            chat,
            "text",
            content,
            text=parsed.text,
            html=str(text),
            parse_mode=parse_mode,
            entities=parsed.entities,
            markup=markup,
            reply_to=reply_to,
        )
        return msg.raw

    def _caption(self, params: JsonDict) -> tuple[ParsedText, JsonDict]:
        caption = params.get("caption")
        parsed = self.format_text(
            caption, params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        content: JsonDict = {}
        if parsed.text:
            content["caption"] = parsed.text
            if parsed.entities:
                content["caption_entities"] = parsed.entities
        return parsed, content

    def _resolve_upload(self, params: JsonDict, value: Any, field: str) -> Any:
        """Follow ``attach://name`` to the multipart part it names."""
        if isinstance(value, str) and value.startswith("attach://"):
            part = params.get(value[len("attach://") :])
            if not isinstance(part, UploadedFile):
                raise ApiError.bad_request(f"can't parse InputMedia: {field} not found")
            return part
        return value

    def _photo(self, params: JsonDict, value: Any) -> tuple[list[JsonDict], UploadedFile | None]:
        files = self.server.files
        value = self._resolve_upload(params, value, "media")
        if isinstance(value, UploadedFile):
            if not value.data:
                raise ApiError.bad_request("file must be non-empty")
            size = image_size(value.data)
            if size is None:
                raise ApiError.bad_request("IMAGE_PROCESS_FAILED")
            return files.photo_sizes(size[0], size[1], content=value.data), value
        if isinstance(value, str) and value:
            group = files.photo_group(value)
            if group is not None:
                return group, None
            if files.get(value) is not None:
                raise ApiError.bad_request("can't use file of type Document as Photo")
            if value.startswith(("http://", "https://")):
                return files.photo_sizes(800, 600), None
            raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
        raise ApiError.bad_request("there is no photo in the request")

    def _document(
        self, params: JsonDict, value: Any
    ) -> tuple[JsonDict, StoredFile, UploadedFile | None]:
        files = self.server.files
        value = self._resolve_upload(params, value, "media")
        if isinstance(value, UploadedFile):
            if not value.data:
                raise ApiError.bad_request("file must be non-empty")
            name = value.filename or "file"
            mime = (
                value.content_type
                if value.content_type and value.content_type != "application/octet-stream"
                else mimetypes.guess_type(name)[0] or "application/octet-stream"
            )
            ext = name.rsplit(".", 1)[-1] if "." in name else "bin"
            stored = files.add(
                value.data, folder="documents", ext=ext, mime_type=mime, file_name=name
            )
            upload: UploadedFile | None = value
        elif isinstance(value, str) and value:
            found = files.get(value)
            if found is None and value.startswith(("http://", "https://")):
                name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
                found = files.add(
                    b"fake download of " + value.encode(),
                    folder="documents",
                    ext=name.rsplit(".", 1)[-1] if "." in name else "bin",
                    mime_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                    file_name=name,
                )
            if found is None:
                raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
            if files.photo_group(value) is not None:
                raise ApiError.bad_request("can't use file of type Photo as Document")
            stored, upload = found, None
        else:
            raise ApiError.bad_request("there is no document in the request")
        document: JsonDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document, stored, upload

    def send_photo(self, params: JsonDict) -> JsonDict:
        """sendPhoto with an upload (bytes kept), a known file_id, or a URL."""
        chat = self.reachable_chat(params.get("chat_id"))
        parsed, content = self._caption(params)
        markup = self.check_markup(params.get("reply_markup"))
        reply_to = self.reply_snapshot(chat, params)
        sizes, upload = self._photo(params, params.get("photo"))
        self.rate_limit(chat, params)
        largest = self.server.files.get(str(sizes[-1]["file_id"]))
        msg = self.deliver(
            chat,
            "photo",
            {"photo": sizes, **content},
            text=parsed.text or None,
            html=params.get("caption"),
            parse_mode=params.get("parse_mode"),
            entities=parsed.entities,
            markup=markup,
            reply_to=reply_to,
            file_bytes=upload.data if upload else (largest.content if largest else None),
            file_name=upload.filename if upload else None,
        )
        return msg.raw

    def send_document(self, params: JsonDict) -> JsonDict:
        """sendDocument with an upload (bytes and filename kept), a file_id, or a URL."""
        chat = self.reachable_chat(params.get("chat_id"))
        parsed, content = self._caption(params)
        markup = self.check_markup(params.get("reply_markup"))
        reply_to = self.reply_snapshot(chat, params)
        document, stored, upload = self._document(params, params.get("document"))
        self.rate_limit(chat, params)
        msg = self.deliver(
            chat,
            "document",
            {"document": document, **content},
            text=parsed.text or None,
            html=params.get("caption"),
            parse_mode=params.get("parse_mode"),
            entities=parsed.entities,
            markup=markup,
            reply_to=reply_to,
            file_bytes=stored.content,
            file_name=upload.filename if upload else stored.file_name,
        )
        return msg.raw

    def send_media_group(self, params: JsonDict) -> list[JsonDict]:
        """sendMediaGroup: 1–10 photos/documents; one item is sent as a plain message."""
        chat = self.reachable_chat(params.get("chat_id"))
        media = params.get("media")
        if not media:
            raise ApiError.bad_request("there are no messages to send")
        if not isinstance(media, list):
            raise ApiError.bad_request("can't parse media JSON object")
        if len(media) > 10:
            raise ApiError.bad_request("too many messages to send as an album")
        kinds = {item.get("type") for item in media if isinstance(item, dict)}
        if "document" in kinds and len(kinds) > 1:
            raise ApiError.bad_request("document can't be mixed with other media types")
        reply_to = self.reply_snapshot(chat, params)
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
                kind = item.get("type") if isinstance(item, dict) else None
                raise ApiError.bad_request(f'can\'t parse InputMedia: type "{kind}" is unsupported')
            parsed = self.format_text(
                item.get("caption"),
                item.get("parse_mode"),
                item.get("caption_entities"),
                caption=True,
            )
            content: JsonDict = {}
            if parsed.text:
                content["caption"] = parsed.text
                if parsed.entities:
                    content["caption_entities"] = parsed.entities
            if item["type"] == "photo":
                sizes, upload = self._photo(params, item.get("media"))
                largest = self.server.files.get(str(sizes[-1]["file_id"]))
                content["photo"] = sizes
                data = upload.data if upload else (largest.content if largest else None)
                name = upload.filename if upload else None
            else:
                document, stored, upload = self._document(params, item.get("media"))
                content["document"] = document
                data = stored.content
                name = upload.filename if upload else stored.file_name
            prepared.append((item, parsed, content, data, name))
        self.rate_limit(chat, params)
        group_id = str(next(_media_group_ids)) if len(prepared) > 1 else None
        results = []
        for item, parsed, content, data, name in prepared:
            msg = self.deliver(
                chat,
                "media_group_item" if group_id else item["type"],
                content,
                text=parsed.text or None,
                html=item.get("caption"),
                parse_mode=item.get("parse_mode"),
                entities=parsed.entities,
                markup=None,
                reply_to=reply_to,
                file_bytes=data,
                file_name=name,
                media_group_id=group_id,
            )
            results.append(msg.raw)
        return results

    def send_location(self, params: JsonDict) -> JsonDict:
        """sendLocation."""
        chat = self.reachable_chat(params.get("chat_id"))
        try:
            lat = float(params["latitude"])
            lon = float(params["longitude"])
        except (KeyError, TypeError, ValueError):
            raise ApiError.bad_request("wrong latitude or longitude specified") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ApiError.bad_request("wrong location specified")
        markup = self.check_markup(params.get("reply_markup"))
        reply_to = self.reply_snapshot(chat, params)
        self.rate_limit(chat, params)
        location: JsonDict = {"latitude": lat, "longitude": lon}
        if params.get("live_period"):
            location["live_period"] = params["live_period"]
        msg = self.deliver(
            chat,
            "location",
            {"location": location},
            text=None,
            html=None,
            parse_mode=None,
            entities=[],
            markup=markup,
            reply_to=reply_to,
        )
        return msg.raw

    def send_chat_action(self, params: JsonDict) -> bool:
        """Recorded in ``chat.chat_actions`` (e.g. to assert a "typing…" indicator)."""
        chat = self.reachable_chat(params.get("chat_id"))
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise ApiError.bad_request("wrong parameter action in request")
        chat.chat_actions.append(str(action))
        return True

    def _source_message(self, params: JsonDict, what: str) -> SentMessage:
        source_chat = self.chat(params.get("from_chat_id"))
        source = source_chat.history.get(params.get("message_id"))  # type: ignore[arg-type]
        if source is None or source.deleted:
            raise ApiError.bad_request(f"message to {what} not found")
        return source

    def copy_message(self, params: JsonDict) -> JsonDict:
        """copyMessage: same content, no link to the original; returns ``MessageId``."""
        chat = self.reachable_chat(params.get("chat_id"))
        source = self._source_message(params, "copy")
        content = {k: source.raw[k] for k in _CONTENT_KEYS if k in source.raw}
        text, html, parse_mode, entities = (
            source.text,
            source.html,
            source.parse_mode,
            (source.entities),
        )
        if "caption" in params and "text" not in content:
            parsed, caption_content = self._caption(params)
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(caption_content)
            text, html, parse_mode = (
                parsed.text or None,
                params.get("caption"),
                params.get("parse_mode"),
            )
            entities = parsed.entities
        markup = self.check_markup(params.get("reply_markup"))
        reply_to = self.reply_snapshot(chat, params)
        self.rate_limit(chat, params)
        kind = source.kind if source.kind != "media_group_item" else _kind_of(source.raw)
        msg = self.deliver(
            chat,
            kind,
            content,
            text=text,
            html=html,
            parse_mode=parse_mode,
            entities=list(entities),
            markup=markup,
            reply_to=reply_to,
            file_bytes=source.file_bytes,
            file_name=source.file_name,
        )
        return {"message_id": msg.message_id}

    def forward_message(self, params: JsonDict) -> JsonDict:
        """forwardMessage: content plus ``forward_origin``; returns the new ``Message``."""
        chat = self.reachable_chat(params.get("chat_id"))
        source = self._source_message(params, "forward")
        source_chat = self.chat(params.get("from_chat_id"))
        self.rate_limit(chat, params)
        content = {k: source.raw[k] for k in _CONTENT_KEYS if k in source.raw}
        origin: JsonDict
        if source_chat.type == "channel":
            origin = {
                "type": "channel",
                "chat": source_chat.to_dict(),
                "message_id": source.message_id,
                "date": source.date,
            }
        else:
            sender = source.raw.get("from") or self.server.bot_user
            origin = {"type": "user", "sender_user": sender, "date": source.date}
        content["forward_origin"] = origin
        kind = source.kind if source.kind != "media_group_item" else _kind_of(source.raw)
        msg = self.deliver(
            chat,
            kind,
            content,
            text=source.text,
            html=source.html,
            parse_mode=source.parse_mode,
            entities=list(source.entities),
            markup=None,
            file_bytes=source.file_bytes,
            file_name=source.file_name,
        )
        return msg.raw

    # ------------------------------------------------------------------ editing
    def _edit_target(self, params: JsonDict) -> tuple[FakeChat, SentMessage]:
        if params.get("inline_message_id"):
            raise ApiError.bad_request("MESSAGE_ID_INVALID")
        chat = self.reachable_chat(params.get("chat_id"))
        msg = chat.history.get(params.get("message_id"))  # type: ignore[arg-type]
        if msg is None or msg.deleted:
            raise ApiError.bad_request("message to edit not found")
        if not msg.from_bot:
            raise ApiError.bad_request("message can't be edited")
        return chat, msg

    @staticmethod
    def _apply_edit(
        msg: SentMessage, changes: JsonDict, drop: tuple[str, ...], markup: JsonDict | None
    ) -> JsonDict:
        # A new dict rather than in-place mutation: snapshots taken earlier (callback
        # queries, reply_to_message) must keep showing the message as it was.
        raw = {k: v for k, v in msg.raw.items() if k not in drop and k != "reply_markup"}
        raw.update(changes)
        if markup is not None:
            raw["reply_markup"] = markup
        raw["edit_date"] = int(time.time())
        msg.raw = raw
        msg.set_markup(markup)
        msg.edits += 1
        return raw

    def edit_message_text(self, params: JsonDict) -> JsonDict:
        """editMessageText.  Omitting ``reply_markup`` removes the inline keyboard."""
        _chat, msg = self._edit_target(params)
        if "text" not in msg.raw:
            raise ApiError.bad_request("there is no text in the message to edit")
        text = params.get("text")
        parsed = self.format_text(text, params.get("parse_mode"), params.get("entities"))
        markup = _inline_markup(self.check_markup(params.get("reply_markup"), inline_only=True))
        if (
            parsed.text == msg.text
            and parsed.entities == msg.entities
            and markup == _inline_markup(msg.reply_markup)
        ):
            raise ApiError.bad_request(_NOT_MODIFIED)
        changes: JsonDict = {"text": parsed.text}
        if parsed.entities:
            changes["entities"] = parsed.entities
        raw = self._apply_edit(msg, changes, ("entities",), markup)
        msg.text, msg.html, msg.parse_mode = parsed.text, str(text), params.get("parse_mode")
        msg.entities = parsed.entities
        return raw

    def edit_message_caption(self, params: JsonDict) -> JsonDict:
        """editMessageCaption (media messages only)."""
        _chat, msg = self._edit_target(params)
        if "text" in msg.raw or not any(
            k in msg.raw for k in ("photo", "document", "video", "audio", "voice", "animation")
        ):
            raise ApiError.bad_request("there is no caption in the message to edit")
        parsed, content = self._caption(params)
        markup = _inline_markup(self.check_markup(params.get("reply_markup"), inline_only=True))
        if (
            (parsed.text or None) == msg.text
            and parsed.entities == msg.entities
            and markup == _inline_markup(msg.reply_markup)
        ):
            raise ApiError.bad_request(_NOT_MODIFIED)
        raw = self._apply_edit(msg, content, ("caption", "caption_entities"), markup)
        msg.text, msg.html = parsed.text or None, params.get("caption")
        msg.parse_mode, msg.entities = params.get("parse_mode"), parsed.entities
        return raw

    def edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        """editMessageReplyMarkup (no markup = remove the keyboard)."""
        _chat, msg = self._edit_target(params)
        markup = _inline_markup(self.check_markup(params.get("reply_markup"), inline_only=True))
        if markup == _inline_markup(msg.reply_markup):
            raise ApiError.bad_request(_NOT_MODIFIED)
        return self._apply_edit(msg, {}, (), markup)

    def delete_message(self, params: JsonDict) -> bool:
        """deleteMessage: the message stays in ``messages`` with ``deleted=True``."""
        chat = self.chat(params.get("chat_id"))
        msg = chat.history.get(params.get("message_id"))  # type: ignore[arg-type]
        if msg is None or msg.deleted:
            raise ApiError.bad_request("message to delete not found")
        msg.deleted = True
        return True

    def delete_messages(self, params: JsonDict) -> bool:
        """deleteMessages: missing ids are skipped silently, like Telegram."""
        chat = self.chat(params.get("chat_id"))
        for message_id in params.get("message_ids") or []:
            msg = chat.history.get(message_id)
            if msg is not None:
                msg.deleted = True
        return True

    # ------------------------------------------------------------------ callbacks & misc
    def answer_callback_query(self, params: JsonDict) -> bool:
        """Each query can be answered once; unknown/answered ids get Telegram's 400."""
        query_id = str(params.get("callback_query_id") or "")
        user = self.server.pop_callback_query(query_id)
        if user is None:
            raise ApiError.bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > 200:
            raise ApiError.bad_request("MESSAGE_TOO_LONG")
        user.callback_answers.append(dict(params))
        return True

    def get_chat(self, params: JsonDict) -> JsonDict:
        """``ChatFullInfo``."""
        return self.chat(params.get("chat_id")).full_info()

    def leave_chat(self, params: JsonDict) -> bool:
        """leaveChat: afterwards sends to the group fail with 403, as for a kicked bot."""
        chat = self.chat(params.get("chat_id"))
        if chat.is_private:
            raise ApiError.bad_request("chat member status can't be changed in private chats")
        if chat.blocked:
            raise ApiError.forbidden(f"bot is not a member of the {chat.type} chat")
        chat.blocked = True
        return True

    def get_file(self, params: JsonDict) -> JsonDict:
        """getFile: refuses files over 20 MB like the public Bot API."""
        stored = self.server.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError.bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise ApiError.bad_request("file is too big")
        return stored.get_file_result()


def _check_inline_button(button: Any) -> None:
    """Telegram's per-button checks for inline keyboards."""
    if not isinstance(button, dict) or "text" not in button:
        raise ApiError.bad_request("can't parse inline keyboard button: Can't find field \"text\"")
    present = [k for k in _INLINE_BUTTON_KINDS if k in button]
    if not present:
        raise ApiError.bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if (
            not isinstance(data, str)
            or not data
            or len(data.encode("utf-8")) > (_CALLBACK_DATA_LIMIT)
        ):
            raise ApiError.bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not _URL_RE.match(url):
            raise ApiError.bad_request(
                f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
            )


# Re-exported for the server's poll bookkeeping.
DEFAULT_ALLOWED_UPDATES = _DEFAULT_ALLOWED
