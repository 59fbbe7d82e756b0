"""Callback data: every family round-trips byte for byte; anything forged is refused."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from telegram.constants import InlineKeyboardButtonLimit

from bot import callbacks
from bot.callbacks import (
    FAMILIES,
    BroadcastButton,
    Callback,
    ExportButton,
    ForgedCallback,
    LanguageButton,
    ReminderFormButton,
    ReportListButton,
    ReviewButton,
    TrainingButton,
    family_of,
    registered,
)

# What today's keyboards send (one or more per button kind, from bot/*.py).
WIRE = [
    "bc:s:64.74", "bc:c:64", "bc:r:64.74.01", "bc:p:2", "bc:a:64.74.01", "bc:b:",
    "bc:i:posyandu", "bc:i:*", "bc:i:ok", "bc:go", "bc:no", "bc:u", "bc:aud", "bc:txt",
    "bc:x:17",
    "tn:s:64.74", "tn:c:64", "tn:r:64.74.01.1001", "tn:p:0", "tn:a:64.74", "tn:b:",
    "tn:i:lpm", "tn:q:0", "tn:go", "tn:no", "tn:e:when", "tn:e:place", "tn:e:quota",
    "tn:e:aud", "tn:pv",
    "tr:y:5", "tr:n:5", "tr:p:5", "tr:close:5", "tr:mv:5", "tr:x:5", "tr:xy:5",
    "reg:c:y", "reg:c:n", "reg:r:64", "reg:p:3", "reg:a:64.74", "reg:b:", "reg:i:rt_rw",
    "reg:ok", "reg:edit", "reg:f:name", "reg:f:done",
    "prof:edit", "del:yes", "del:no", "lang:id", "lang:en",
    "rp:c:umkm", "rp:ph:done", "rp:ph:clear", "rp:loc:skip", "rp:doc:skip", "rp:send",
    "rp:edit", "rp:cancel", "rp:f:title", "rp:f:done", "rp:fix:42",
    "rv:ok:42", "rv:fix:42", "rv:no:42", "rv:fb:42", "rv:fc:42", "rv:s:42", "rv:n:42",
    "rv:m:42", "rv:q",
    "rl:m:0", "rl:v:*,***:0", "rl:v:64.74,1pm:3", "rl:f:*,***:c", "rl:a:*,***:*:0",
    "rl:a:64,*a*:64.74:2", "rl:o:42:64.74.01,**y:1",
    "rm:new", "rm:l", "rm:v:3", "rm:p:3", "rm:r:3", "rm:x:3", "rm:xy:3",
    "rmf:s:0", "rmf:r:64.74", "rmf:p:1", "rmf:a:64", "rmf:b:", "rmf:k:once",
    "rmf:k:monthly", "rmf:d:20261225", "rmf:t:0800", "rmf:w:6", "rmf:m:31", "rmf:n:1",
    "rmf:n:last", "rmf:ok", "rmf:re", "rmf:no",
    "st:v:64.74:m", "st:e:64.74", "st:h", "ex:64.74.01",
    "inv:r:64", "inv:p:1", "inv:a:64.74", "inv:b:", "ivx:x:7",
    "crd:rv:1234567890", "crd:ry:1234567890", "crd:no:0",
    "nd:t:las", "nd:ok", "nd:skip", "nd:send", "nd:no", "nd:e:needs",
    "nr:new", "nr:s:64.74", "nr:c:64", "nr:r:64.74.01", "nr:p:1", "nr:a:64.74", "nr:b:",
    "nr:i:pkk", "nr:i:ok", "nr:go", "nr:no", "nr:v:3", "nr:x:3", "nr:xy:3",
    "nm:v:64.74.01", "nm:x:64",
    "sk:t:perbaikan_hp", "sk:ok", "sk:teach:y", "sk:contact:n", "sk:send", "sk:no",
    "ck:s:las",
    "att:o:5", "att:l:5", "att:t:5:1234567890", "att:c:5", "att:pdf:5", "fb:r:5:4", "fb:skip",
    "fb:a:5:30:used:partly", "fb:a:5:90:situation:own_business",
    "grp:s:64.74.03", "grp:c:64.74", "grp:r:64.74.03.1001", "grp:p:1", "grp:a:64.74.03",
    "grp:b:", "grp:no", "grp:un:3", "grp:uy:3", "grp:uk",
]  # fmt: skip


@pytest.mark.parametrize("data", WIRE)
def test_every_button_round_trips_byte_for_byte(data):
    family = family_of(data)
    assert family is not None, data
    button = family.unpack(data)
    assert button.pack() == data
    assert family.pattern().match(data)


def test_every_family_is_covered_and_typed():
    assert {family_of(d) for d in WIRE} == set(FAMILIES.values())
    assert len(FAMILIES) == 25
    review = ReviewButton.unpack("rv:ok:42")
    assert review == ReviewButton("ok", report_id=42)
    assert isinstance(review.report_id, int)
    listing = ReportListButton.unpack("rl:o:42:64.74.01,**y:1")
    assert (listing.report_id, listing.flt, listing.page) == (42, "64.74.01,**y", 1)
    assert ReminderFormButton.unpack("rmf:t:0800").clock == "0800"  # leading zero kept
    assert LanguageButton("en").pack() == "lang:en"
    assert ExportButton.unpack("ex:64").code == "64"


@pytest.mark.parametrize(
    "data",
    [
        "", "rv", "rv:", "rv:ok", "rv:ok:", "rv:ok:42:1", "rv:zz:42", "rv:ok:-1", "rv:ok:+1",
        "rv:ok: 42", "rv:ok:4 2", "rv:ok:²", "rv:ok:١٢", "rv:ok:４２", "rv:ok:" + "9" * 20,
        "rv:ok:9223372036854775808", "tr:y:0x10", "rv:q:1", "bc:x:", "bc:i:posyandu:1",
        "reg:i:pkk<b>", "reg:i:p k k", "reg:i:pkk\n", "reg:f:é", "lang:en:x", "lang",
        "ex:" + "6" * 61, "rl:v:*,***", "rl:o:x:*,***:0", "xx:ok", "RV:ok:1",
    ],
)  # fmt: skip
def test_forged_data_is_refused(data):
    family = family_of(data) or ReviewButton
    with pytest.raises(ForgedCallback):
        family.unpack(data)


def test_another_familys_data_is_refused():
    with pytest.raises(ForgedCallback):
        ReviewButton.unpack("rp:fix:42")
    with pytest.raises(ForgedCallback):
        TrainingButton.unpack(None)


def test_the_largest_id_fits_and_the_limit_is_telegrams():
    assert ReviewButton.unpack(f"rv:ok:{callbacks.MAX_INT}").report_id == callbacks.MAX_INT
    assert callbacks.codec.MAX_BYTES == InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    too_long = ReportListButton("a", flt="6" * 40, node="7" * 20, page=1)
    with pytest.raises(ValueError, match="bytes"):
        too_long.pack()
    with pytest.raises(ValueError):
        ReviewButton("ok", report_id=-1).pack()
    with pytest.raises(ValueError):
        ReviewButton("zz", report_id=1).pack()
    with pytest.raises(ValueError):
        BroadcastButton("i", code="a:b").pack()


def test_patterns_route_only_the_named_actions():
    pattern = TrainingButton.pattern("p", "close", "x", "xy")
    assert pattern.match("tr:x:5") and pattern.match("tr:xy:5") and pattern.match("tr:close:5")
    assert not pattern.match("tr:y:5") and not pattern.match("tr:xyz:5")
    assert BroadcastButton.pattern("go").match("bc:go")
    assert not BroadcastButton.pattern("go").match("bc:gone")
    assert not ReminderFormButton.pattern().match("rm:new")  # rm and rmf never overlap
    with pytest.raises(ValueError):
        TrainingButton.pattern("nope")


def test_a_duplicate_or_odd_prefix_is_refused_at_import():
    with pytest.raises(TypeError, match="already used"):

        @registered
        @dataclasses.dataclass(frozen=True)
        class Again(Callback):
            PREFIX = "rv"
            LAYOUT = {"ok": ()}
            action: str

    with pytest.raises(TypeError, match="prefix"):

        @registered
        @dataclasses.dataclass(frozen=True)
        class Colon(Callback):
            PREFIX = "a:b"
            LAYOUT = {"ok": ()}
            action: str

    with pytest.raises(TypeError, match="layout"):

        @registered
        @dataclasses.dataclass(frozen=True)
        class Unknown(Callback):
            PREFIX = "zz"
            LAYOUT = {"ok": ("missing",)}
            action: str

    assert "zz" not in FAMILIES


def test_no_prefix_is_a_prefix_of_another_familys_wire():
    for one in FAMILIES:
        for other in FAMILIES:
            if one != other:
                assert not f"{other}:".startswith(f"{one}:")


def test_no_button_is_routed_or_parsed_by_hand():
    """Buttons are built, routed and read through bot/callbacks only (a new button kind is
    declared there, where the registry refuses overlapping prefixes)."""
    for path in Path("bot").rglob("*.py"):
        if path.parent.name == "callbacks":
            continue
        source = path.read_text()
        assert not re.search(r"""pattern=r?["']\^[a-z]+:""", source), path
        assert not re.search(r"\.data\.(split|rsplit|removeprefix|partition)\(", source), path
        assert not re.search(r"""callback_data=f?["'][a-z]+:""", source), path
