"""Statistics queries without Telegram: periods in forum time, code ranges, index use."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite

from storage import people
from storage.coderange import village_within
from storage.db import Database
from storage.models import Cadre
from storage.stats import Period, area_statistics, period_window

WITA = ZoneInfo("Asia/Makassar")


@pytest.mark.parametrize(
    ("now", "period", "first_day", "start_utc"),
    [
        # 00:30 WITA on 1 November is already November.
        (
            datetime(2026, 10, 31, 16, 30),
            Period.MONTH,
            date(2026, 11, 1),
            datetime(2026, 10, 31, 16),
        ),
        (
            datetime(2026, 10, 31, 15, 59),
            Period.MONTH,
            date(2026, 10, 1),
            datetime(2026, 9, 30, 16),
        ),
        # "Last 3 months" is this month and the two before, across a year boundary.
        (datetime(2026, 1, 15, 4), Period.QUARTER, date(2025, 11, 1), datetime(2025, 10, 31, 16)),
        (datetime(2026, 11, 20, 4), Period.QUARTER, date(2026, 9, 1), datetime(2026, 8, 31, 16)),
        (datetime(2026, 11, 20, 4), Period.YEAR, date(2026, 1, 1), datetime(2025, 12, 31, 16)),
        (datetime(2026, 11, 20, 4), Period.ALL, None, None),
    ],
)
def test_period_windows_are_calendar_periods_in_forum_time(now, period, first_day, start_utc):
    window = period_window(period, WITA, now)
    assert (window.first_day, window.start_utc) == (first_day, start_utc)
    assert window.last_day == now.replace(tzinfo=ZoneInfo("UTC")).astimezone(WITA).date()


def test_code_ranges_compare_bytes_on_postgresql():
    condition = village_within(Cadre.village_code, "64.74")
    pg = str(condition.compile(dialect=postgresql.dialect()))
    lite = str(condition.compile(dialect=sqlite.dialect()))
    assert pg.count('cadre.village_code COLLATE "C"') == 2
    assert "COLLATE" not in lite
    one = str(village_within(Cadre.village_code, "64.74.01.1006").compile(dialect=sqlite.dialect()))
    assert one == "cadre.village_code = ?"


@pytest.fixture
def database(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


def _cadre(database, telegram_id, village, institution="pkk"):
    with database.session() as session:
        people.touch_user(session, telegram_id, "id")
        people.save_cadre(
            session,
            telegram_id,
            full_name=f"Kader {telegram_id}",
            phone="+6281200000000",
            village_code=village,
            institution=institution,
            institution_other=None,
        )


def test_province_and_village_ranges(database):
    # Kota Samarinda (64.72), two in Kota Bontang (64.74), one in Kabupaten Paser (64.01).
    _cadre(database, 1, "64.72.01.1001")
    _cadre(database, 2, "64.74.01.1006", "lpm")
    _cadre(database, 3, "64.74.01.1006")
    _cadre(database, 4, "64.01.01.2009")
    with database.session() as session:
        province = area_statistics(session, "64", Period.ALL, WITA)
        village = area_statistics(session, "64.74.01.1006", Period.ALL, WITA)
        kota = area_statistics(session, "64.74", Period.ALL, WITA)
        assert area_statistics(session, "64.99", Period.ALL, WITA) is None
    assert province.totals.cadres == 4
    assert len(province.children) == 10
    by_regency = {c.region.code: c.counts.cadres for c in province.children}
    assert by_regency["64.72"] == 1 and by_regency["64.74"] == 2 and by_regency["64.01"] == 1
    assert province.totals.villages == 1038 and province.totals.covered == 3
    assert village.totals.cadres == 2 and village.children == ()
    assert village.by_institution == (("lpm", 1), ("pkk", 1))
    assert kota.totals.cadres == 2 and kota.totals.covered == 1 and kota.totals.villages == 15
    assert len(kota.empty_villages) == 14


def test_area_queries_use_the_statistics_index(database):
    """The byte-order range is an index range scan on both databases (migration 0005)."""
    with database.session() as session:
        stmt = select(Cadre.institution).where(village_within(Cadre.village_code, "64.74"))
        sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        if database.is_sqlite:
            plan = session.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
            detail = " ".join(str(row[-1]) for row in plan)
            assert "ix_cadre_stats" in detail and "village_code>" in detail, detail
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = session.execute(text(f"EXPLAIN {sql}")).all()
            detail = " ".join(row[0] for row in plan)
            assert "ix_cadre_stats" in detail, detail


def test_a_batch_another_request_summarised_is_skipped_then_the_rest_is_done(database):
    """Two /statistik at once: the loser's batch hits the done-marker's key and is skipped."""
    from sqlalchemy import update

    from storage import outbox
    from storage.models import Broadcast, BroadcastRecipient, DeliverySummary
    from storage.stats import fold_deliveries, summarise_deliveries

    _cadre(database, 1, "64.74.01.1006")
    _cadre(database, 2, "64.74.03.1003")
    finished = datetime(2026, 1, 1)
    with database.session() as session:
        ids = []
        for recipients in ([1, 2], [2], [1]):
            broadcast_id, _ = outbox.create_broadcast(
                session, kind="announcement", payload={"text": "x"}, recipients=recipients
            )
            ids.append(broadcast_id)
        session.execute(update(Broadcast).values(status="done", finished_at=finished))
        session.execute(update(BroadcastRecipient).values(state="sent"))
    with database.session() as session:
        assert fold_deliveries(session, [ids[1]], finished)  # the other request's batch
    with database.session() as session:
        assert not fold_deliveries(session, ids, finished)  # a stale batch: nothing written
        assert summarise_deliveries(session) == 2
        assert summarise_deliveries(session) == 0
        rows = session.execute(
            select(DeliverySummary.broadcast_id, DeliverySummary.village_code, DeliverySummary.sent)
        ).all()
    assert sorted(rows) == [
        (ids[0], "64.74.01.1006", 1),
        (ids[0], "64.74.03.1003", 1),
        (ids[1], "64.74.03.1003", 1),
        (ids[2], "64.74.01.1006", 1),
    ]


def _activity_rows(session):
    return sorted(
        tuple(row)
        for row in session.execute(
            text(
                "SELECT telegram_id, village_code, institution, last_seen_at IS NOT NULL, "
                "unreachable FROM stats_cadre"
            )
        )
    )


def test_cadre_activity_follows_every_write_to_cadres_and_users(database):
    """`stats_cadre` (migration 0017, kept by triggers) says what joining `app_user` said."""
    from storage import privacy

    _cadre(database, 1, "64.74.01.1006")
    _cadre(database, 2, "64.74.03.1003", "lpm")
    _cadre(database, 3, "64.01.01.2009")
    with database.session() as session:
        people.mark_unreachable(session, 2)
        people.save_cadre(  # moves to another kelurahan and institution
            session,
            3,
            full_name="Kader 3",
            phone="+6281200000000",
            village_code="64.72.01.1001",
            institution="posyandu",
            institution_other=None,
        )
        privacy.delete_personal_data(session, 1)
    with database.session() as session:
        assert _activity_rows(session) == [
            (2, "64.74.03.1003", "lpm", True, True),
            (3, "64.72.01.1001", "posyandu", True, False),
        ]
        people.mark_reachable(session, 2)
    with database.session() as session:
        assert _activity_rows(session)[0] == (2, "64.74.03.1003", "lpm", True, False)
        kota = area_statistics(session, "64.74", Period.ALL, WITA)
        assert (kota.totals.cadres, kota.totals.active, kota.totals.unreachable) == (1, 1, 0)
        people.mark_unreachable(session, 2, datetime(2026, 1, 1))
    with database.session() as session:
        kota = area_statistics(session, "64.74", Period.ALL, WITA)
        assert kota.totals.unreachable == 1


def test_cadre_figures_read_one_covering_index(database):
    """Cadres, active and unreachable ones per kelurahan: one index-only range scan, no join."""
    from storage.stats import Window, _cadre_groups

    window = Window(
        Period.MONTH, None, date(2026, 12, 1), datetime(2026, 11, 30, 16), datetime(2026, 12, 1)
    )
    with database.session() as session:
        captured: list[str] = []
        from sqlalchemy import event

        def grab(conn, cursor, statement, parameters, context, executemany):
            captured.append(statement)

        event.listen(session.get_bind(), "before_cursor_execute", grab)
        try:
            _cadre_groups(session, "64.74", 8, window)
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", grab)
        (sql,) = captured
        assert "app_user" not in sql and "stats_cadre" in sql


def _viewed(database, area, now=None):
    """The figures of `area` (all time) and the SQL statements it took to compute them."""
    from sqlalchemy import event

    statements: list[str] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with database.session() as session:
        event.listen(session.get_bind(), "before_cursor_execute", grab)
        try:
            stats = area_statistics(session, area, Period.ALL, WITA, now=now)
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", grab)
    return stats, statements


def test_report_and_delivery_figures_are_kept_until_their_table_changes(database):
    """Kept by the version token the triggers renew (migration 0017): a second view reads no
    report; a new report, a status change or a deletion shows at once."""
    from sqlalchemy import update

    from storage import reports
    from storage.models import Report
    from storage.stats import KEPT

    KEPT.clear()
    _cadre(database, 1, "64.74.01.1006")

    def new_report(title):
        with database.session() as session:
            return reports.create_report(
                session,
                1,
                village_code="64.74.01.1006",
                institution="pkk",
                title=title,
                category="umkm",
                description="Kelompok warga mengolah hasil kebun menjadi keripik.",
                latitude=None,
                longitude=None,
                media=[],
            ).id

    def figures():
        stats, statements = _viewed(database, "64.74")
        read_reports = any("FROM report" in s for s in statements)
        return stats.reports, read_reports

    first = new_report("Keripik pisang")
    computed, read = figures()
    assert (computed.total, read) == (1, True)
    kept, read = figures()
    assert (kept.total, read) == (1, False)
    second = new_report("Kompos rumah tangga")
    assert figures()[0].total == 2
    with database.session() as session:
        session.execute(update(Report).where(Report.id == second).values(status="approved"))
    assert dict(figures()[0].by_status).get("approved") == 1
    with database.session() as session:
        session.execute(Report.__table__.delete().where(Report.id == first))
    assert figures()[0].total == 1


def test_cadre_figures_are_kept_until_a_cadre_changes_and_activity_shows_the_next_step(
    database,
):
    """Kept by the "cadre" token (migration 0021) and the five-minute step: registration, an
    erasure or a block show at once; a cadre seen again counts from the next step, and a
    second view in the same step scans no cadre."""
    from sqlalchemy import update

    from storage import privacy
    from storage.models import AppUser
    from storage.stats import KEPT

    KEPT.clear()
    now = datetime(2026, 11, 20, 4, 0, 10)
    _cadre(database, 1, "64.74.01.1006")
    _cadre(database, 2, "64.74.01.1006", "lpm")
    with database.session() as session:  # both last seen long ago
        session.execute(update(AppUser).values(last_seen_at=datetime(2026, 1, 1)))

    def figures(at=now):
        stats, statements = _viewed(database, "64.74", at)
        totals = stats.totals
        scanned = any("FROM stats_cadre" in s for s in statements)
        return (totals.cadres, totals.active, totals.unreachable, totals.covered), scanned

    assert figures() == ((2, 0, 0, 1), True)
    assert figures() == ((2, 0, 0, 1), False)
    with database.session() as session:  # cadre 1 is back: no new token
        people.touch_user(session, 1, "id", now=now)
    assert figures() == ((2, 0, 0, 1), False)
    assert figures(now.replace(minute=4, second=59)) == ((2, 0, 0, 1), False)
    assert figures(now.replace(minute=5)) == ((2, 1, 0, 1), True)
    later = now.replace(minute=7)
    assert figures(later) == ((2, 1, 0, 1), False)
    with database.session() as session:
        people.mark_unreachable(session, 2, later)
    assert figures(later) == ((2, 1, 1, 1), True)
    _cadre(database, 3, "64.74.02.1001")  # registers (and is seen) today
    assert figures(later)[0] == (3, 2, 1, 2)
    with database.session() as session:
        privacy.delete_personal_data(session, 3)
    assert figures(later)[0] == (2, 1, 1, 1)
