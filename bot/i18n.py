"""Translations: every user-facing text lives in gettext catalogs under `bot/locales`.

Messages are addressed by symbolic ids (`registration.ask_name`), so the Indonesian and the
English wording both live in catalogs and neither is hidden in code. Each feature keeps its own
`<feature>.po` per language; all of them are merged at load. Placeholders use `{name}` and are
filled with `str.format` after escaping, because replies are sent as Telegram HTML.

Fuzzy entries (an editor's guess after a msgid changed) are skipped, as `msgfmt` does, so an
unchecked text never reaches a user: the default language's text is shown instead.
"""

from __future__ import annotations

import html
import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.pofile import read_po

from storage import people

if TYPE_CHECKING:
    from sqlmodel import Session

    from storage.db import Database

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "catalog",
    "language_for",
    "language_in",
    "language_of",
    "t",
    "tn",
]

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "id"
LANGUAGES = ("id", "en")
log = logging.getLogger(__name__)


@cache
def catalog(language: str) -> dict[str, str | tuple[str, ...]]:
    """All messages of one language, merged from every feature's `.po` file."""
    messages: dict[str, str | tuple[str, ...]] = {}
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=language)
        for message in po:
            if not message.id or not message.string or message.fuzzy:
                continue
            key = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
            text = message.string
            messages[key] = text if isinstance(text, str) else tuple(text)
    return messages


def language_for(chosen: str | None, telegram_code: str | None) -> str:
    """The user's choice if any, else English for English-language Telegram clients, else id."""
    if chosen is not None and chosen in LANGUAGES:
        return chosen
    if telegram_code and telegram_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def language_in(session: Session, user_id: int, telegram_code: str | None = None) -> str:
    """The language to write to `user_id` (anyone, not only the sender), inside a session.

    Their choice, else their Telegram client's language as last stored, else `telegram_code`
    (e.g. the current update's), else Indonesian.
    """
    chosen, stored_code = people.user_language(session, user_id)
    return language_for(chosen, stored_code or telegram_code)


def language_of(database: Database, user_id: int, telegram_code: str | None = None) -> str:
    """`language_in` with a session of its own: for a recipient outside the current update."""
    with database.session() as session:
        return language_in(session, user_id, telegram_code)


def _lookup(key: str, language: str) -> str | tuple[str, ...]:
    for lang in (language, DEFAULT_LANGUAGE):
        value = catalog(lang).get(key)
        if value:
            return value
    log.error("missing translation %r", key)
    return key


def _fill(template: str, values: dict[str, object], escape: bool) -> str:
    if not values:
        return template
    if escape:
        values = {k: html.escape(v) if isinstance(v, str) else v for k, v in values.items()}
    return template.format(**values)


def t(key: str, language: str = DEFAULT_LANGUAGE, *, escape: bool = True, **values: object) -> str:
    """The text `key` in `language`, with `{placeholders}` filled (strings HTML-escaped).

    Pass values that are already HTML (e.g. a composed block) with `escape=False`.
    """
    text = _lookup(key, language)
    if isinstance(text, tuple):
        text = text[0]
    return _fill(text, values, escape)


def tn(key: str, count: int, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """Plural-aware text: the catalog entry has msgid_plural; `count` is also a placeholder."""
    text = _lookup(key, language)
    if isinstance(text, tuple):
        # English has one / other; Indonesian (nplurals=1) a single form for every count.
        text = text[0] if (count == 1 and len(text) > 1) else text[-1]
    return _fill(text, {"count": count, **values}, True)
