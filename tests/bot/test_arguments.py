"""Numbers typed after a command: one bounded rule, a polite refusal, nothing in the error log."""

from __future__ import annotations

import logging

import pytest

from bot.callbacks import MAX_INT, parse_number
from tests.auxil.flows import BONTANG_BARAT, seed_coordinator


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        ("0", 0),
        (str(MAX_INT), MAX_INT),
        (str(MAX_INT + 1), None),
        ("99999999999999999999", None),
        ("²", None),
        ("١٢", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("", None),
        ("1" * 5000, None),  # longer than int() accepts: refused before it is tried
    ],
)
def test_parse_number_takes_only_bounded_ascii_digits(raw, expected):
    assert parse_number(raw) == expected


def test_parse_number_applies_the_callers_range():
    assert parse_number("0", low=1) is None
    assert parse_number("7", low=1, high=7) == 7
    assert parse_number("8", low=1, high=7) is None


@pytest.mark.parametrize("argument", ["99999999999999999999", "²", "#-5", "abc", "0"])
async def test_peserta_with_a_bad_number_is_refused_politely(bot, server, caplog, argument):
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    with caplog.at_level(logging.WARNING):
        await coordinator.send_text(f"/peserta {argument}")
    assert "tidak ditemukan" in coordinator.last_message.text
    assert "Maaf, terjadi kesalahan" not in coordinator.last_message.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
