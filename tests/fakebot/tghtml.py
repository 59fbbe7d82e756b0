"""Telegram-flavoured HTML parsing (``parse_mode=HTML``).

Telegram does not use a forgiving browser parser: the Bot API runs tdlib's ``parse_html``
and rejects the whole request on the first problem (``<br>``, an unescaped ``<``, an unclosed
``<b>``...).  Bots that build HTML by string concatenation break exactly there in production,
so the fake server mirrors tdlib's rules and error texts closely enough that such bugs fail
in tests with the same ``Bad Request: can't parse entities: ...`` description.

The parser also produces the plain text and the ``MessageEntity`` dicts (offsets/lengths in
UTF-16 code units, like Telegram) so that PTB's ``Message.text_html`` round-trips.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "HtmlParseError",
    "ParsedText",
    "parse_html",
    "plain_text",
    "strip_text",
    "utf16_len",
]

_SPACES = " \t\r\n\v\f"
_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL = re.compile(r"[<&]")
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(err)`` is tdlib's message."""


@dataclass(slots=True)
class ParsedText:
    """Plain text plus Telegram ``MessageEntity`` dicts (UTF-16 offsets)."""

    text: str
    entities: list[dict[str, object]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, which is what Telegram's limits and offsets count."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    """tdlib reports positions as UTF-8 byte offsets into the original text."""
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, i: int) -> tuple[str, int] | None:
    """Decode an HTML character reference at ``source[i] == '&'``.

    Returns ``(char, next_index)`` or ``None`` when it is not a reference Telegram knows, in
    which case tdlib keeps the ``&`` literally (no error).
    """
    n = len(source)
    j = i + 1
    if j < n and source[j] == "#":
        j += 1
        base = 10
        if j < n and source[j] in "xX":
            base = 16
            j += 1
        start = j
        digits = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        while j < n and source[j] in digits:
            j += 1
        if j == start or j >= n or source[j] != ";":
            return None
        code = int(source[start:j], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), j + 1
    start = j
    while j < n and source[j].isascii() and source[j].isalpha():
        j += 1
    if j >= n or source[j] != ";":
        return None
    char = _NAMED_ENTITIES.get(source[start:j])
    if char is None:
        return None
    return char, j + 1


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    expandable: bool
    start: int  # offset in the output, Python characters
    byte_pos: int


def parse_html(source: str) -> ParsedText:
    """Parse ``source`` like Telegram does for ``parse_mode=HTML``.

    Raises :class:`HtmlParseError` with tdlib's wording (``Unsupported start tag "br" at byte
    offset 5`` ...).  Leading/trailing whitespace is *not* stripped here; see
    :func:`strip_text`.
    """
    out: list[str] = []
    out_len = 0
    stack: list[_OpenTag] = []
    raw_entities: list[tuple[int, int, dict[str, object]]] = []
    n = len(source)
    pos = 0
    while True:
        match = _SPECIAL.search(source, pos)
        if match is None:
            tail = source[pos:]
            out.append(tail)
            out_len += len(tail)
            break
        i = match.start()
        if i > pos:
            chunk = source[pos:i]
            out.append(chunk)
            out_len += len(chunk)
        if source[i] == "&":
            decoded = _decode_entity(source, i)
            if decoded is None:
                out.append("&")
                out_len += 1
                pos = i + 1
            else:
                out.append(decoded[0])
                out_len += 1
                pos = decoded[1]
            continue

        # source[i] == "<"
        begin = i
        i += 1
        if i < n and source[i] == "/":
            # End tag.
            if not stack:
                raise HtmlParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(source, begin)}"
                )
            name_start = i + 1
            j = name_start
            while j < n and source[j] not in _SPACES and source[j] != ">":
                j += 1
            end_name = source[name_start:j].lower()
            while j < n and source[j] in _SPACES:
                j += 1
            if j >= n or source[j] != ">":
                raise HtmlParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(source, begin)}"
                )
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                    f'expected "</{tag.name}>", found "</{end_name}>"'
                )
            entity = _make_entity(tag, stack)
            if entity is not None and out_len > tag.start:
                raw_entities.append((tag.start, out_len, entity))
            pos = j + 1
            continue

        # Start tag.
        j = i
        while j < n and source[j] not in _SPACES and source[j] != ">":
            j += 1
        tag_name = source[i:j].lower()
        if tag_name not in _SUPPORTED_TAGS:
            raise HtmlParseError(
                f'Unsupported start tag "{tag_name}" at byte offset {_byte_offset(source, begin)}'
            )
        argument = ""
        expandable = False
        i = j
        while True:
            while i < n and source[i] in _SPACES:
                i += 1
            if i >= n:
                raise HtmlParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
                )
            if source[i] == ">":
                break
            attr_start = i
            while i < n and source[i] not in _SPACES and source[i] not in "=>":
                i += 1
            attr_name = source[attr_start:i].lower()
            if not attr_name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag_name}" at byte offset '
                    f"{_byte_offset(source, begin)}"
                )
            while i < n and source[i] in _SPACES:
                i += 1
            if i >= n or source[i] != "=":
                if tag_name == "blockquote" and attr_name == "expandable":
                    expandable = True
                    continue
                if i >= n:
                    raise HtmlParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
                    )
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag_name}" at byte offset {_byte_offset(source, begin)}'
                )
            i += 1
            while i < n and source[i] in _SPACES:
                i += 1
            if i >= n:
                raise HtmlParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
                )
            if source[i] not in "'\"":
                token = _NAME_TOKEN.match(source, i)
                assert token is not None
                value = token.group().lower()
                token_start, i = i, token.end()
                if i < n and source[i] not in _SPACES and source[i] != ">":
                    raise HtmlParseError(
                        "Unexpected end of name token at byte offset "
                        f"{_byte_offset(source, token_start)}"
                    )
            else:
                quote = source[i]
                i += 1
                chars: list[str] = []
                while i < n and source[i] != quote:
                    if source[i] == "&":
                        decoded = _decode_entity(source, i)
                        if decoded is not None:
                            chars.append(decoded[0])
                            i = decoded[1]
                            continue
                    chars.append(source[i])
                    i += 1
                if i < n:
                    i += 1  # closing quote
                value = "".join(chars)
            if i >= n:
                raise HtmlParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
                )
            if tag_name == "a" and attr_name == "href":
                argument = value
            elif (
                tag_name == "code" and attr_name == "class" and value.startswith("language-")
            ) or (tag_name == "span" and attr_name == "class" and value.startswith("tg-")):
                argument = value.split("-", 1)[1]
            elif (tag_name == "tg-emoji" and attr_name == "emoji-id") or (
                tag_name == "pre" and attr_name == "language"
            ):
                argument = value
            elif tag_name == "blockquote" and attr_name == "expandable":
                expandable = True
        if tag_name == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        stack.append(_OpenTag(tag_name, argument, expandable, out_len, begin))
        pos = i + 1

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    text = "".join(out)
    return ParsedText(text, _to_utf16_entities(text, raw_entities))


def _make_entity(tag: _OpenTag, stack: list[_OpenTag]) -> dict[str, object] | None:
    """Entity dict (without offset/length) for a closed tag, or ``None`` to drop it."""
    simple = _SIMPLE_ENTITY_TYPES.get(tag.name)
    if simple is not None:
        return {"type": simple}
    if tag.name == "a":
        if not tag.argument:
            return None
        return {"type": "text_link", "url": tag.argument}
    if tag.name == "code":
        # <pre><code class="language-x"> becomes one "pre" entity with a language.
        if stack and stack[-1].name == "pre" and tag.argument:
            stack[-1].argument = tag.argument
            return None
        if stack and stack[-1].name == "pre":
            return None
        return {"type": "code"}
    if tag.name == "pre":
        entity: dict[str, object] = {"type": "pre"}
        if tag.argument:
            entity["language"] = tag.argument
        return entity
    if tag.name == "blockquote":
        return {"type": "expandable_blockquote" if tag.expandable else "blockquote"}
    if tag.name == "tg-emoji":
        if not tag.argument:
            return None
        return {"type": "custom_emoji", "custom_emoji_id": tag.argument}
    return None


def _to_utf16_entities(
    text: str, raw: list[tuple[int, int, dict[str, object]]]
) -> list[dict[str, object]]:
    """Convert Python-index spans to Telegram's UTF-16 offsets, sorted like Telegram."""
    if not raw:
        return []
    raw.sort(key=lambda item: (item[0], -item[1]))
    ascii_only = text.isascii()
    entities = []
    for start, end, entity in raw:
        if ascii_only:
            offset, length = start, end - start
        else:
            offset = utf16_len(text[:start])
            length = utf16_len(text[start:end])
        entities.append({**entity, "offset": offset, "length": length})
    return entities


def strip_text(parsed: ParsedText) -> ParsedText:
    """Trim leading/trailing whitespace the way Telegram does, shifting/clipping entities.

    Telegram stores ``"\\n\\nHello  "`` as ``"Hello"``; a text that is only whitespace
    becomes empty, which is why ``"<b> </b>"`` yields "message text is empty".
    """
    text = parsed.text
    stripped = text.strip(_SPACES)
    if stripped == text:
        return parsed
    if not stripped:
        return ParsedText("", [])
    lead = utf16_len(text[: len(text) - len(text.lstrip(_SPACES))])
    new_len = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        offset = int(entity["offset"]) - lead  # type: ignore[call-overload]
        end = offset + int(entity["length"])  # type: ignore[call-overload]
        offset = max(offset, 0)
        end = min(end, new_len)
        if end > offset:
            entities.append({**entity, "offset": offset, "length": end - offset})
    return ParsedText(stripped, entities)


def plain_text(text: str, entities: list[dict[str, object]] | None = None) -> ParsedText:
    """Wrap a text sent without ``parse_mode`` (explicit ``entities`` are kept as given)."""
    return ParsedText(text, list(entities or []))
