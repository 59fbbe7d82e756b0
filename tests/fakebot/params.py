"""Decoding Bot API request parameters the way Telegram does.

PTB (``telegram.request.RequestData.json_parameters``) sends every parameter as a *form
field*: strings raw, everything else ``json.dumps``-ed (ints as ``"123"``, bools as
``"true"``, ``reply_markup``/``entities``/``media``/``commands``/``scope`` as JSON text).
Without uploads the body is ``application/x-www-form-urlencoded``; with uploads it is
``multipart/form-data`` where the file parts are named after the parameter (``photo``,
``document``) or, for ``attach://<name>`` references (media groups, thumbnails), after the
random attach name.  Other clients may send a JSON body or a query string, so all are
accepted.

Decoding rule: fields that are always strings in the Bot API are kept verbatim (a message
text of ``"123"`` or ``"[1]"`` must stay a string); any other field is ``json.loads``-ed when
possible and kept as a string otherwise (``chat_id="@channel"``, ``parse_mode="HTML"``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from .models import UploadedFile

__all__ = ["STRING_FIELDS", "decode_params"]

STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "caption_parse_mode",
        "callback_query_id",
        "inline_query_id",
        "url",
        "description",
        "short_description",
        "language_code",
        "file_id",
        "action",
        "title",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "address",
        "foursquare_id",
        "foursquare_type",
        "google_place_id",
        "google_place_type",
        "emoji",
        "business_connection_id",
        "message_effect_id",
        "inline_message_id",
        "name",
        "secret_token",
        "ip_address",
        "question",
        "explanation",
        "payload",
        "provider_token",
        "currency",
        "start_parameter",
        "custom_title",
        "game_short_name",
        "invite_link",
        "sticker",
        "photo",
        "document",
        "audio",
        "video",
        "voice",
        "animation",
        "video_note",
        "thumbnail",
        "cover",
        "certificate",
    }
)


def _decode_value(key: str, value: str) -> Any:
    if key in STRING_FIELDS or not value:
        return value
    first = value[0]
    # Cheap pre-check so plain strings (e.g. "HTML", "@chan") skip the exception path.
    if first in '{["-0123456789tfn':
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def decode_fields(fields: dict[str, str]) -> dict[str, Any]:
    """Decode already-split string fields (form or query string)."""
    return {key: _decode_value(key, value) for key, value in fields.items()}


async def decode_params(request: web.Request) -> dict[str, Any]:
    """All parameters of a Bot API request, decoded; uploads become :class:`UploadedFile`.

    Multipart file parts are kept under their part name, so ``attach://name`` references can
    be resolved by looking up ``params[name]``.
    """
    params: dict[str, Any]
    if request.method == "GET" or not request.can_read_body:
        params = decode_fields(dict(request.query))
    else:
        ctype = request.content_type
        if ctype == "multipart/form-data":
            params = {}
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = UploadedFile(
                        value.filename, value.content_type, value.file.read()
                    )
                else:
                    params[key] = _decode_value(key, str(value))
        elif ctype == "application/json":
            body = await request.json()
            params = {}
            for key, value in (body or {}).items():
                # Some clients double-encode nested objects as JSON strings inside JSON.
                params[key] = _decode_value(key, value) if isinstance(value, str) else value
        else:
            body = (await request.read()).decode("utf-8")
            params = {
                key: _decode_value(key, value)
                for key, value in parse_qsl(body, keep_blank_values=True)
            }
        if request.query_string:
            for key, value in request.query.items():
                params.setdefault(key, _decode_value(key, value))
    return params
