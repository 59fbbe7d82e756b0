"""What a broadcast sends, checked before it is stored, and cut into Telegram messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import (
    InlineKeyboardButtonLimit,
    InlineKeyboardMarkupLimit,
    MessageLimit,
    ParseMode,
)

from bot.i18n import DEFAULT_LANGUAGE
from bot.telegram_text import HtmlError, split_html, visible_length

__all__ = [
    "Buttons",
    "Part",
    "Payload",
    "PayloadError",
    "Wire",
    "markup",
    "render_parts",
    "send_part",
    "validate_payload",
    "wire",
]

Buttons = list[list[tuple[str, str]]]


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
    smallest = InlineKeyboardButtonLimit.MIN_CALLBACK_DATA
    largest = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    count = 0
    for row in rows:
        for button in row:
            if not isinstance(button, list | tuple) or len(button) != 2:
                raise PayloadError("buttons", f"not a (label, callback_data) pair: {button!r}")
            label, data = button
            if not isinstance(label, str) or not label.strip():
                raise PayloadError("buttons", "a button has no label")
            size = len(data.encode("utf-8")) if isinstance(data, str) else 0
            if not smallest <= size <= largest:
                raise PayloadError("callback_data", f"{data!r} must be {smallest}-{largest} bytes")
            count += 1
    most = InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER
    if count > most:
        raise PayloadError("buttons", f"{count} buttons; Telegram allows {most}")


@dataclass(frozen=True)
class Part:
    """One Telegram message of a broadcast (long texts become several)."""

    kind: str  # "text" | "photo" | "document"
    text: str | None = None
    file_id: str | None = None
    buttons: Buttons | None = None


def render_parts(payload: Payload, lang: str) -> list[Part]:
    """The messages a recipient in `lang` gets: captions and texts over Telegram's limits are
    cut at paragraph boundaries, the buttons go on the last message."""
    text = _pick(payload.text, lang) or ""
    buttons = _pick(payload.buttons, lang) if payload.buttons is not None else None
    media = ("photo", payload.photo) if payload.photo else ("document", payload.document)
    if media[1]:
        chunks = split_html(
            text, MessageLimit.MAX_TEXT_LENGTH, first_limit=MessageLimit.CAPTION_LENGTH
        )
        parts = [Part(media[0], chunks[0] if chunks else None, media[1])]
        parts += [Part("text", chunk) for chunk in chunks[1:]]
    else:
        parts = [Part("text", chunk) for chunk in split_html(text)]
    if buttons:
        parts[-1] = replace(parts[-1], buttons=buttons)
    return parts


def markup(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    """The inline keyboard of rows of (label, callback_data); None without buttons."""
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
    reply_markup = markup(part.buttons)
    if part.kind not in ("photo", "document"):
        return await bot.send_message(
            chat_id, part.text or "", parse_mode=ParseMode.HTML, reply_markup=reply_markup, **extra
        )
    if part.file_id is None:
        raise PayloadError("empty_text", f"a {part.kind} part has no file_id")
    if part.kind == "photo":
        return await bot.send_photo(
            chat_id,
            part.file_id,
            caption=part.text,
            parse_mode=ParseMode.HTML,
            reply_markup=reply_markup,
            **extra,
        )
    return await bot.send_document(
        chat_id,
        part.file_id,
        caption=part.text,
        parse_mode=ParseMode.HTML,
        reply_markup=reply_markup,
        **extra,
    )


Wire = tuple[str, dict[str, Any]]  # (Bot API method, parameters without chat_id)


def wire(part: Part, *, paid: bool) -> Wire:
    """The Bot API request of one part, built once per broadcast and language."""
    params: dict[str, Any] = {"parse_mode": ParseMode.HTML, "reply_markup": markup(part.buttons)}
    if paid:
        params["allow_paid_broadcast"] = True
    if part.kind == "photo":
        return "sendPhoto", {**params, "photo": part.file_id, "caption": part.text}
    if part.kind == "document":
        return "sendDocument", {**params, "document": part.file_id, "caption": part.text}
    return "sendMessage", {**params, "text": part.text}
