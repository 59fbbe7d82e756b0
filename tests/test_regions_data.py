"""Checks on the shipped region data (storage/data/regions.csv) against known facts of province 64.

No network, no database: the CSV is read directly. The facts come from shared/REGIONS.md.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[1] / "storage" / "data"
REGIONS_CSV = DATA_DIR / "regions.csv"
META_JSON = DATA_DIR / "regions.meta.json"

KINDS_BY_LEVEL = {
    "province": {"provinsi"},
    "regency": {"kabupaten", "kota"},
    "district": {"kecamatan"},
    "village": {"kelurahan", "desa"},
}
CODE_PATTERN = {
    "province": re.compile(r"\d{2}"),
    "regency": re.compile(r"\d{2}\.\d{2}"),
    "district": re.compile(r"\d{2}\.\d{2}\.\d{2}"),
    "village": re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}"),
}
BONTANG = {
    "Bontang Utara": {
        "Bontang Baru",
        "Bontang Kuala",
        "Api-Api",
        "Gunung Elai",
        "Guntung",
        "Lok Tuan",
    },
    "Bontang Selatan": {
        "Bontang Lestari",
        "Satimpo",
        "Berbas Tengah",
        "Berbas Pantai",
        "Tanjung Laut",
        "Tanjung Laut Indah",
    },
    "Bontang Barat": {"Belimbing", "Gunung Telihan", "Kanaan"},
}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with REGIONS_CSV.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["code", "name", "level", "kind"]
        return list(reader)


@pytest.fixture(scope="module")
def by_code(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in rows}


def _parent(code: str) -> str | None:
    head, sep, _ = code.rpartition(".")
    return head if sep else None


def _children(rows: list[dict[str, str]], code: str) -> list[dict[str, str]]:
    return [row for row in rows if _parent(row["code"]) == code]


def test_codes_unique_sorted_and_well_formed(rows: list[dict[str, str]]) -> None:
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)
    for row in rows:
        assert row["level"] in KINDS_BY_LEVEL, row
        assert row["kind"] in KINDS_BY_LEVEL[row["level"]], row
        assert CODE_PATTERN[row["level"]].fullmatch(row["code"]), row
        assert row["name"] and row["name"] == row["name"].strip(), row


def test_province_row(by_code: dict[str, dict[str, str]]) -> None:
    assert by_code["64"] == {
        "code": "64",
        "name": "Kalimantan Timur",
        "level": "province",
        "kind": "provinsi",
    }


def test_every_parent_exists(
    rows: list[dict[str, str]], by_code: dict[str, dict[str, str]]
) -> None:
    levels = list(KINDS_BY_LEVEL)
    for row in rows:
        parent = _parent(row["code"])
        if row["level"] == "province":
            assert parent is None
            continue
        assert parent in by_code, row
        assert levels.index(by_code[parent]["level"]) == levels.index(row["level"]) - 1, row


def test_regencies_of_64(rows: list[dict[str, str]]) -> None:
    regencies = [r for r in rows if r["level"] == "regency" and r["code"].startswith("64.")]
    assert len(regencies) == 10
    kinds = Counter(r["kind"] for r in regencies)
    assert kinds == {"kabupaten": 7, "kota": 3}
    kota = {r["code"]: r["name"] for r in regencies if r["kind"] == "kota"}
    assert kota == {
        "64.71": "Kota Balikpapan",
        "64.72": "Kota Samarinda",
        "64.74": "Kota Bontang",
    }
    for r in regencies:
        prefix = "Kota " if r["kind"] == "kota" else "Kabupaten "
        assert r["name"].startswith(prefix), r
    assert any(r["name"] == "Kabupaten Kutai Kartanegara" for r in regencies)


def test_district_and_village_counts(rows: list[dict[str, str]]) -> None:
    levels = Counter(r["level"] for r in rows if r["code"].split(".")[0] == "64")
    assert 100 <= levels["district"] <= 110
    assert 1000 <= levels["village"] <= 1060


def test_village_code_matches_kind(rows: list[dict[str, str]]) -> None:
    for row in rows:
        if row["level"] != "village":
            continue
        last = row["code"].rsplit(".", 1)[1]
        if row["kind"] == "kelurahan":
            assert last.startswith("1"), row
        else:
            assert last.startswith(("2", "3")), row  # 3xxx: desa adat (Papua), stored as desa


def test_both_village_kinds_present_in_64(rows: list[dict[str, str]]) -> None:
    kinds = Counter(r["kind"] for r in rows if r["level"] == "village")
    assert kinds["kelurahan"] > 0
    assert kinds["desa"] > kinds["kelurahan"]


def test_names_not_all_caps(rows: list[dict[str, str]]) -> None:
    shouting = [r for r in rows if len(r["name"]) > 3 and r["name"].isupper()]
    assert not shouting, shouting[:5]


def test_bontang(rows: list[dict[str, str]], by_code: dict[str, dict[str, str]]) -> None:
    assert by_code["64.74.03"]["name"] == "Bontang Barat"
    districts = _children(rows, "64.74")
    assert {d["name"] for d in districts} == set(BONTANG)
    total = 0
    for district in districts:
        assert district["kind"] == "kecamatan"
        villages = _children(rows, district["code"])
        assert {v["name"] for v in villages} == BONTANG[district["name"]]
        assert all(v["kind"] == "kelurahan" for v in villages), villages
        total += len(villages)
    assert total == 15
    assert by_code["64.74.03.1003"]["level"] == "village"
    assert _parent("64.74.03.1003") == "64.74.03"


def test_meta_matches_csv(rows: list[dict[str, str]]) -> None:
    meta = json.loads(META_JSON.read_text(encoding="utf-8"))
    assert meta["generated_for"] == "64"
    assert meta["source_package"] and meta["source_version"] and meta["licence"]
    assert meta["decree"] and meta["decree"] != "unknown"
    levels = Counter(r["level"] for r in rows)
    for level in KINDS_BY_LEVEL:
        assert meta["counts"][level] == levels[level]
