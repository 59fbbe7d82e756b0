"""Telegram HTML checks and splitting, against the fake server's copy of Telegram's parser."""

from __future__ import annotations

import pytest
from telegram.constants import MessageLimit

from bot.telegram_text import (
    HtmlError,
    escape,
    split_html,
    validate_html,
    visible_length,
)
from tests.fakebot.tghtml import HtmlParseError, parse_html, strip_text, utf16_len

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH


def telegram_length(html: str) -> int:
    """What the fake Telegram counts (it raises where Telegram would refuse)."""
    return utf16_len(strip_text(parse_html(html)).text)


@pytest.mark.parametrize(
    "html",
    [
        "<br>",
        "a < b",
        "<b>tebal",
        "<b>x</i>",
        "</b>",
        '<span class="x">y</span>',
        "<div>x</div>",
        '<a href="https://x.id">tautan',
    ],
)
def test_refuses_what_telegram_refuses(html):
    with pytest.raises(HtmlError):
        validate_html(html)
    with pytest.raises(HtmlParseError):
        parse_html(html)


@pytest.mark.parametrize(
    "html",
    [
        "<b>tebal</b> <i>miring</i> <u>garis</u> <s>coret</s>",
        '<a href="https://forkom.id/?a=1&amp;b=2">tautan</a>',
        "<pre><code class=\"language-python\">print('x')</code></pre>",
        '<span class="tg-spoiler">rahasia</span> <tg-spoiler>juga</tg-spoiler>',
        "<blockquote expandable>kutipan</blockquote>",
        "Tom &amp; Jerry &lt;3 &#128512; & lain-lain",
        "  spasi di tepi  ",
        "😀 emoji dihitung dua",
    ],
)
def test_accepts_and_measures_like_telegram(html):
    validate_html(html)
    assert visible_length(html) == telegram_length(html)


def test_short_text_is_one_part_unchanged():
    assert split_html("<b>Halo</b> kader") == ["<b>Halo</b> kader"]
    assert split_html("   ") == []


def test_long_text_splits_at_paragraphs_and_every_part_is_valid():
    paragraphs = [f"<b>Bagian {n}</b>\n" + "kata " * 150 for n in range(12)]
    parts = split_html("\n\n".join(paragraphs))
    assert len(parts) == 3
    for part in parts:
        assert telegram_length(part) <= TEXT_LIMIT
        assert part.startswith("<b>Bagian ")  # every part starts at a paragraph
    rejoined = " ".join(strip_text(parse_html(p)).text for p in parts)
    assert rejoined.count("kata") == 12 * 150


def test_tags_open_at_a_cut_are_closed_and_reopened():
    html = '<a href="https://forkom.id">' + "<b>" + "tebal " * 1000 + "</b></a>"
    parts = split_html(html)
    assert len(parts) == 2
    for part in parts:
        parsed = parse_html(part)  # would raise on a broken tag
        assert {e["type"] for e in parsed.entities} == {"bold", "text_link"}
        assert part.startswith('<a href="https://forkom.id"><b>')
        assert part.endswith("</b></a>")


def test_one_huge_paragraph_falls_back_to_lines_then_words_then_characters():
    lines = "\n".join("baris " * 20 for _ in range(100))
    by_line = split_html(lines)
    assert len(by_line) == 4 and all(
        p.startswith("baris") and p.endswith("baris ") for p in by_line
    )
    words = "kata " * 2000
    assert all(telegram_length(p) <= TEXT_LIMIT for p in split_html(words))
    solid = "x" * 9000
    assert [telegram_length(p) for p in split_html(solid)] == [4096, 4096, 808]


def test_entities_and_surrogates_are_never_cut():
    text = "&amp;" * 3000 + "😀" * 1000
    parts = split_html(text)
    assert all(telegram_length(p) <= TEXT_LIMIT for p in parts)
    assert sum(telegram_length(p) for p in parts) == 3000 + 2000


def test_first_part_can_have_a_caption_limit():
    text = "\n\n".join("paragraf " * 30 for _ in range(20))
    parts = split_html(text, TEXT_LIMIT, first_limit=CAPTION_LIMIT)
    assert telegram_length(parts[0]) <= CAPTION_LIMIT
    assert all(telegram_length(p) <= TEXT_LIMIT for p in parts[1:])


def test_escape_keeps_user_text_literal():
    assert escape("<b>&") == "&lt;b&gt;&amp;"
    assert telegram_length(escape("1 < 2 & 3 > 2")) == len("1 < 2 & 3 > 2")
