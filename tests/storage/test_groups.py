"""storage.groups: one group per area, the cadre's group (kelurahan/desa → kecamatan → kota),
how long an unlinked group keeps the bot, and the figures of nested groups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import groups, people
from storage.db import Database
from storage.groups import LinkResult
from storage.models import utcnow

KOTA, BARAT = "64.74", "64.74.03"
KANAAN, BELIMBING, GUNUNG_TELIHAN = "64.74.03.1003", "64.74.03.1001", "64.74.03.1002"
GUNTUNG = "64.74.01.1004"


@pytest.fixture
def database(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


def _cadre(database: Database, telegram_id: int, village: str) -> None:
    with database.session() as session:
        people.touch_user(session, telegram_id, "id")
        people.save_cadre(
            session,
            telegram_id,
            full_name="Kader",
            phone="+6281200000000",
            village_code=village,
            institution="pkk",
            institution_other=None,
        )


def _link(database: Database, chat_id: int, area: str) -> LinkResult:
    with database.session() as session:
        result = groups.link_group(session, chat_id, area, f"Grup {area}", 9001)
        if result is LinkResult.OK:
            groups.set_invite_link(session, chat_id, f"https://t.me/+x{-chat_id}")
        return result


def test_one_group_per_area_and_one_area_per_group(database):
    assert _link(database, -1, BARAT) is LinkResult.OK
    assert _link(database, -2, BARAT) is LinkResult.AREA_TAKEN
    assert _link(database, -1, KANAAN) is LinkResult.ALREADY
    assert _link(database, -2, KANAAN) is LinkResult.OK
    with database.session() as session:
        assert [g.area_code for g in groups.groups_within(session, BARAT)] == [BARAT, KANAAN]
        assert groups.unlink_group(session, -1, 9001) is not None
    assert _link(database, -3, BARAT) is LinkResult.OK


def test_the_cadres_group_is_the_most_specific_one_above_them(database):
    with database.session() as session:
        assert groups.group_for_village(session, KANAAN) is None
    _link(database, -10, KOTA)
    with database.session() as session:
        assert groups.group_for_village(session, KANAAN).chat_id == -10
    _link(database, -20, BARAT)
    with database.session() as session:
        assert groups.group_for_village(session, KANAAN).chat_id == -20
        assert groups.group_for_village(session, GUNTUNG).chat_id == -10
    _link(database, -30, KANAAN)
    with database.session() as session:
        assert groups.group_for_village(session, KANAAN).chat_id == -30
        assert groups.group_for_village(session, BELIMBING).chat_id == -20
        assert [g.chat_id for g in groups.groups_covering(session, KANAAN)] == [-30, -20, -10]


def test_a_group_waits_a_day_to_be_linked(database):
    now = utcnow()
    with database.session() as session:
        groups.note_added(session, -5, "Grup baru", 9001, now=now)
        assert groups.is_served(session, -5, now + timedelta(hours=23))
        assert not groups.is_served(session, -5, now + timedelta(hours=25))
        assert not groups.is_served(session, -6, now)
    _link(database, -5, BARAT)
    with database.session() as session:
        assert groups.is_served(session, -5, now + timedelta(days=30))


def test_figures_count_cadres_in_their_own_group(database):
    _link(database, -20, BARAT)
    _link(database, -30, KANAAN)
    for telegram_id, village in [(1, KANAAN), (2, KANAAN), (3, BELIMBING), (4, GUNUNG_TELIHAN)]:
        _cadre(database, telegram_id, village)
    with database.session() as session:
        groups.add_member(session, -30, 1)
        groups.add_member(session, -20, 3)
        groups.add_member(session, -20, 99)  # someone the bot let in who is no cadre (now)
        figures = {f.group.area_code: f for f in groups.group_figures(session, BARAT)}
        assert (figures[KANAAN].cadre_members, figures[KANAAN].cadres_missing) == (1, 1)
        # Cadres of Kanaan have their own group: the kecamatan's lacks only cadre 4.
        assert (figures[BARAT].cadre_members, figures[BARAT].cadres_missing) == (1, 1)
        groups.forget_member(session, 1)
        assert groups.memberships(session, 1) == []
