"""The shared words: institutions and region codes."""

from __future__ import annotations

import pytest

from bot.i18n import LANGUAGES, catalog
from bot.vocabulary import INSTITUTIONS, institution_label, parse_region_code


def test_every_institution_has_a_name_in_every_language():
    for lang in LANGUAGES:
        assert all(f"institution.{code}" in catalog(lang) for code in INSTITUTIONS)
    assert institution_label("lpm", None, "id") == catalog("id")["institution.lpm"]
    assert institution_label("lainnya", "Kelompok Tani", "en") == "Kelompok Tani"
    assert institution_label("lainnya", None, "en") == catalog("en")["institution.lainnya"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("64", "64"),
        ("64.74", "64.74"),
        (" 64.74.01 ", "64.74.01"),
        ("64.74.01.1001", "64.74.01.1001"),
        ("64_74_03", "64.74.03"),  # a deep link's start parameter
        ("64_74_01_1001", "64.74.01.1001"),
    ],
)
def test_region_codes_are_read(text, code):
    assert parse_region_code(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "", "6", "640", "64.7", "64.74.1", "64.74.01.101", "64.74.01.1001.1", "64..74",
        "64.74.", "-64", "٦٤", "６４", "64²", "abc", "64 74",
    ],
)  # fmt: skip
def test_anything_else_is_not_a_region_code(text):
    assert parse_region_code(text) is None
