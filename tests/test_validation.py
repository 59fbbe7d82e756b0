"""Names and Indonesian mobile numbers as cadres type them."""

from __future__ import annotations

import pytest

from bot.validation import clean_label, normalise_phone, valid_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("0812 3456 7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("(0812) 345.678", "+62812345678"),
        ("81234567890", "+6281234567890"),
    ],
)
def test_valid_mobile_numbers_are_normalised(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "12345", "0541 123456", "+1 202 555 0100", "08123", "0812345678901234", "0812abc456"],
)
def test_other_numbers_are_refused(raw):
    assert normalise_phone(raw) is None


def test_names():
    assert valid_name("  Siti   Aminah ") == "Siti Aminah"
    assert valid_name("Andi Muh. Ridwan") == "Andi Muh. Ridwan"
    assert valid_name("Ni'mah") == "Ni'mah"
    for bad in ("", "ab", "1234", "/start", "😀😀😀", "x" * 101):
        assert valid_name(bad) is None


def test_labels():
    assert clean_label(" Kelompok  Tani ") == "Kelompok Tani"
    assert clean_label("a") is None
    assert clean_label("/batal") is None
