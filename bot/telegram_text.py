"""Telegram HTML without surprises: validate it, measure it, split it — before Telegram sees it.

Telegram parses `parse_mode=HTML` strictly (tdlib's parser) and rejects the whole request on
the first problem: an unsupported tag, an unclosed `<b>`, a stray `<`, a text over 4096
characters or a caption over 1024. A broadcast that fails that way fails for every recipient,
so mass messages are checked here first, and long texts are cut at paragraph boundaries with
open tags closed at the end of one part and reopened at the start of the next.

Lengths are what Telegram counts: the visible text (entities decoded, tags removed, leading
and trailing whitespace trimmed) in UTF-16 code units.

Plain functions, no Telegram objects: unit-testable and usable from any layer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from telegram.constants import MessageLimit

__all__ = [
    "HtmlError",
    "escape",
    "plain_text",
    "split_html",
    "utf16_len",
    "validate_html",
    "visible_length",
]


_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_SPACES = " \t\r\n\v\f"
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlError(ValueError):
    """The text is not HTML Telegram accepts; `reason` is a short code, `str()` the detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Atom:
    """One indivisible piece of the source: a visible character (maybe `&amp;`) or a tag."""

    raw: str
    kind: str  # "char" | "open" | "close"
    char: str = ""  # the visible character, for "char"
    tag: str = ""  # tag name, for "open"/"close"


def escape(text: str) -> str:
    """User text made safe to embed in Telegram HTML."""
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, which is what Telegram's limits count."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(source: str, i: int) -> tuple[str, int] | None:
    """The character referenced at `source[i] == "&"` and the index after it, if known."""
    end = source.find(";", i + 1, i + 12)
    if end == -1:
        return None
    body = source[i + 1 : end]
    if body.startswith("#"):
        digits = body[1:]
        try:
            code = int(digits[1:], 16) if digits[:1] in ("x", "X") else int(digits, 10)
        except ValueError:
            return None
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), end + 1
    char = _NAMED.get(body)
    return (char, end + 1) if char is not None else None


def _start_tag(source: str, begin: int) -> tuple[str, int]:
    """Parse a start tag at `source[begin] == "<"`; returns (tag name, index after `>`)."""
    n = len(source)
    j = begin + 1
    while j < n and source[j] not in _SPACES and source[j] != ">":
        j += 1
    name = source[begin + 1 : j].lower()
    if name not in _SUPPORTED_TAGS:
        raise HtmlError("unsupported_tag", f"unsupported tag <{name}> at position {begin}")
    attributes: dict[str, str] = {}
    i = j
    while True:
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n:
            raise HtmlError("unclosed_tag", f"unclosed tag <{name}> at position {begin}")
        if source[i] == ">":
            break
        start = i
        while i < n and source[i] not in _SPACES and source[i] not in "=>":
            i += 1
        attribute = source[start:i].lower()
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n or source[i] != "=":
            if name == "blockquote" and attribute == "expandable":
                continue
            raise HtmlError("bad_attribute", f"malformed attribute in <{name}> at {begin}")
        i += 1
        while i < n and source[i] in _SPACES:
            i += 1
        if i < n and source[i] in "'\"":
            close = source.find(source[i], i + 1)
            if close == -1:
                raise HtmlError("unclosed_tag", f"unclosed tag <{name}> at position {begin}")
            value, i = html.unescape(source[i + 1 : close]), close + 1
        else:
            start = i
            while i < n and (source[i].isalnum() or source[i] in ".-"):
                i += 1
            value = source[start:i]
        attributes[attribute] = value
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise HtmlError("unsupported_tag", f'<span> needs class="tg-spoiler" at {begin}')
    return name, i + 1


_SPECIAL = re.compile("[<&]")


@lru_cache(maxsize=4096)  # users' texts may hold any character: bounded
def _char_atom(ch: str) -> _Atom:
    """Atoms are immutable, so every "a" can be the same one: a view of 3,000 characters
    costs dictionary look-ups rather than 3,000 new objects."""
    return _Atom(ch, "char", ch)


def _atoms(source: str) -> list[_Atom]:
    """Tokenise like Telegram does; raises HtmlError where Telegram would refuse the text."""
    atoms: list[_Atom] = []
    stack: list[str] = []
    n = len(source)
    i = 0
    while i < n:
        ch = source[i]
        if ch == "&":
            decoded = _decode_entity(source, i)
            if decoded is None:  # Telegram keeps an unknown "&" literally
                atoms.append(_Atom("&", "char", "&"))
                i += 1
            else:
                atoms.append(_Atom(source[i : decoded[1]], "char", decoded[0]))
                i = decoded[1]
        elif ch == "<" and source.startswith("</", i):
            close = source.find(">", i)
            if close == -1:
                raise HtmlError("unclosed_tag", f"unclosed end tag at position {i}")
            name = source[i + 2 : close].strip().lower()
            if not stack:
                raise HtmlError("unexpected_end_tag", f"</{name}> without a start tag at {i}")
            opened = stack.pop()
            if name and name != opened:
                raise HtmlError("mismatched_tag", f"</{name}> closes <{opened}> at position {i}")
            atoms.append(_Atom(source[i : close + 1], "close", tag=opened))
            i = close + 1
        elif ch == "<":
            name, after = _start_tag(source, i)
            stack.append(name)
            atoms.append(_Atom(source[i:after], "open", tag=name))
            i = after
        else:  # a run of plain characters, up to the next tag or entity
            end = _SPECIAL.search(source, i)
            stop = end.start() if end else n
            atoms.extend([_char_atom(c) for c in source[i:stop]])
            i = stop
    if stack:
        raise HtmlError("unclosed_tag", f"<{stack[-1]}> is never closed")
    return atoms


def _visible(atoms: list[_Atom]) -> str:
    return "".join(a.char for a in atoms if a.kind == "char").strip(_SPACES)


def plain_text(source: str) -> str:
    """The text a reader sees (tags removed, entities decoded, trimmed)."""
    return _visible(_atoms(source))


def validate_html(source: str) -> None:
    """Raise HtmlError if Telegram would refuse `source` as `parse_mode=HTML`."""
    _atoms(source)


def visible_length(source: str) -> int:
    """What Telegram counts against its limits (validates too)."""
    return utf16_len(_visible(_atoms(source)))


def split_html(
    source: str, limit: int = MessageLimit.MAX_TEXT_LENGTH, first_limit: int | None = None
) -> list[str]:
    """Cut `source` into parts Telegram accepts, preferring paragraph, then line, then word
    boundaries; tags open at a cut are closed there and reopened in the next part.

    `first_limit` applies to the first part only (a photo's caption, 1024). Empty parts are
    dropped, so an empty text gives `[]`.
    """
    atoms = _atoms(source)
    first = first_limit if first_limit is not None else limit
    if utf16_len(_visible(atoms)) <= first:
        return [source] if _visible(atoms) else []
    parts: list[str] = []
    stack: list[_Atom] = []
    start = 0
    while start < len(atoms):
        budget = first if not parts else limit
        # Opening tags from the previous part must be repeated: they cost no visible length.
        reopen = [a.raw for a in stack]
        end, stack_at_end = _cut(atoms, start, stack, budget)
        body = "".join(a.raw for a in atoms[start:end])
        closing = "".join(f"</{a.tag}>" for a in reversed(stack_at_end))
        part = "".join(reopen) + body + closing
        if _visible(atoms[start:end]):
            parts.append(part)
        stack = stack_at_end
        start = end
        # A cut swallows the whitespace after it (Telegram would trim it anyway).
        while start < len(atoms) and atoms[start].kind == "char" and atoms[start].char in _SPACES:
            start += 1
    return parts


def _cut(
    atoms: list[_Atom], start: int, stack: list[_Atom], budget: int
) -> tuple[int, list[_Atom]]:
    """Where the part starting at `start` ends (exclusive) and which tags are open there."""
    stack = list(stack)
    used = 0
    best: dict[str, tuple[int, list[_Atom]]] = {}
    i = start
    while i < len(atoms):
        atom = atoms[i]
        if atom.kind == "open":
            stack.append(atom)
        elif atom.kind == "close":
            stack.pop()
        else:
            cost = utf16_len(atom.char)
            if used + cost > budget:
                break
            used += cost
            nxt = atoms[i + 1].char if i + 1 < len(atoms) else ""
            if atom.char == "\n" and nxt == "\n":
                best["paragraph"] = (i, list(stack))
            elif atom.char == "\n":
                best["line"] = (i, list(stack))
            elif atom.char in _SPACES:
                best["word"] = (i, list(stack))
        i += 1
    else:
        return len(atoms), stack
    # Prefer the strongest boundary, unless it would leave a uselessly short part.
    for kind in ("paragraph", "line", "word"):
        if kind in best and best[kind][0] - start >= budget // 4:
            return best[kind]
    for kind in ("paragraph", "line", "word"):
        if kind in best and best[kind][0] > start:
            return best[kind]
    if i == start:  # a single character wider than the budget: cannot happen for sane limits
        raise HtmlError("too_long", "a part cannot hold even one character")
    return i, stack
