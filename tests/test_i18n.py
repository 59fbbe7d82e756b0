"""Every text the code asks for exists in both catalogs, with the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot import i18n
from bot.i18n import LANGUAGES, catalog, language_for, language_in, language_of, t, tn
from storage import people
from storage.db import Database

BOT_DIR = Path(__file__).resolve().parent.parent / "bot"


def _used_keys() -> tuple[set[str], set[str]]:
    """Literal keys, and literal prefixes of f-string keys, passed to t()/tn()."""
    keys: set[str] = set()
    prefixes: set[str] = set()
    for path in BOT_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in {"t", "tn"} or not node.args:
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                keys.add(arg.value)
            elif (
                isinstance(arg, ast.JoinedStr)
                and arg.values
                and isinstance(arg.values[0], ast.Constant)
            ):
                prefixes.add(str(arg.values[0].value))
    return keys, prefixes


def _placeholders(text: str | tuple[str, ...]) -> set[str]:
    texts = text if isinstance(text, tuple) else (text,)
    return {name for s in texts for _, name, _, _ in string.Formatter().parse(s) if name}


def test_every_used_key_exists_in_every_language():
    keys, prefixes = _used_keys()
    assert len(keys) > 50
    for lang in LANGUAGES:
        missing = sorted(k for k in keys if k not in catalog(lang))
        assert not missing, f"{lang}: missing {missing}"
        for prefix in prefixes:
            assert any(k.startswith(prefix) for k in catalog(lang)), (
                f"{lang}: nothing under {prefix!r}"
            )


def test_languages_have_the_same_keys_and_placeholders():
    indonesian, english = catalog("id"), catalog("en")
    assert set(indonesian) == set(english)
    for key, text in indonesian.items():
        assert _placeholders(text) == _placeholders(english[key]), key


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_html_is_balanced(lang):
    for key, text in catalog(lang).items():
        for s in text if isinstance(text, tuple) else (text,):
            opened = re.findall(r"<(b|i|u|s|code|pre|a)\b", s)
            closed = re.findall(r"</(b|i|u|s|code|pre|a)>", s)
            assert sorted(opened) == sorted(closed), key


def test_values_are_escaped_and_language_choice():
    assert t("reg.welcome", "id", first_name="<b>x</b>").count("&lt;b&gt;") == 1
    assert language_for(None, "en-US") == "en"
    assert language_for(None, "id") == "id"
    assert language_for(None, None) == "id"
    assert language_for("id", "en") == "id"


def test_fuzzy_entries_are_skipped(tmp_path, monkeypatch):
    """A fuzzy entry (an editor's unchecked guess) falls back to the default language."""
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "x.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        'msgid "x.checked"\nmsgstr "Checked"\n\n'
        '#, fuzzy\nmsgid "x.guess"\nmsgstr "A guess"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        assert i18n.catalog("en") == {"x.checked": "Checked"}
    finally:
        monkeypatch.undo()
        i18n.catalog.cache_clear()


def test_indonesian_has_one_plural_form_and_tn_still_counts():
    for path in sorted((BOT_DIR / "locales" / "id" / "LC_MESSAGES").glob("*.po")):
        assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in path.read_text(encoding="utf-8")
    assert len(catalog("id")["reminders.review_digest"]) == 1
    for count in (1, 3):
        assert f"Ada {count} laporan" in tn("reminders.review_digest", count, "id")
    assert "1 innovation report is" in tn("reminders.review_digest", 1, "en")
    assert "3 innovation reports are" in tn("reminders.review_digest", 3, "en")


def test_a_recipients_language(database_url):
    database = Database(database_url)
    try:
        with database.session() as session:
            people.touch_user(session, 1, "en-GB")
            people.touch_user(session, 2, "en")
            people.set_language(session, 2, "id")
            people.touch_user(session, 3, None)
        assert language_of(database, 1) == "en"  # from their Telegram client
        assert language_of(database, 2) == "id"  # their own choice wins
        assert language_of(database, 3) == "id"
        assert language_of(database, 3, "en") == "en"  # the update's client, if nothing stored
        assert language_of(database, 404) == "id"  # a stranger
        with database.session() as session:
            assert language_in(session, 1) == "en"
    finally:
        database.dispose()
