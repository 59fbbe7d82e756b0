"""The streaming XLSX sheet: what openpyxl reads back is what was written."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from storage import export
from storage.db import Database
from storage.models import Region
from storage.xlsx import (
    KNOWN_PER_COLUMN,
    MAX_CELL_TEXT,
    Percent,
    StreamingSheet,
    StreamingWorkbook,
    Styles,
)


def test_rows_written_as_raw_xml_read_back_exactly(tmp_path):
    path = tmp_path / "t.xlsx"
    book = StreamingWorkbook(path)
    styles = Styles.register(book)
    sheet = StreamingSheet(
        book, "Data & <lain>", ["Teks", "Angka", "Waktu", "Lain"], [20] * 4, styles
    )
    rows = [
        ["<b>Tani & Ternak</b>", 7, datetime(2026, 11, 20, 12, 30), True],
        ["  di tepi  ", -3, None, 2.5],
        ["bel\x07 dan\ttab\nbaris", 0, datetime(1999, 12, 31, 23, 59, 59), Percent(0.125)],
        ["x" * (MAX_CELL_TEXT + 10), None, None, None],
        [None, None, None, ""],
    ]
    sheet.write_rows(rows, None)
    sheet.finish()
    book.close()

    read = load_workbook(path)["Data & <lain>"]
    values = [list(r) for r in read.iter_rows(values_only=True)]
    assert values[0] == ["Teks", "Angka", "Waktu", "Lain"]
    assert values[1] == ["<b>Tani & Ternak</b>", 7, datetime(2026, 11, 20, 12, 30), True]
    assert values[2] == ["  di tepi  ", -3, None, 2.5]
    assert values[3] == ["bel dan\ttab\nbaris", 0, datetime(1999, 12, 31, 23, 59, 59), 0.125]
    assert values[4][0] == "x" * MAX_CELL_TEXT
    assert len(values) == 5  # the empty last row has no cells
    assert read["A1"].font.b and read["C2"].number_format == "dd/mm/yyyy hh:mm"
    assert read["D4"].number_format == "0.0%"
    assert read.freeze_panes == "A2" and read.auto_filter.ref == "A1:D6"
    assert read.column_dimensions["B"].width == 20


def test_characters_illegal_in_xml_are_dropped_and_the_workbook_opens(tmp_path):
    """One report title with U+FFFF (or a lone surrogate) must not break a whole area's export."""
    path = tmp_path / "illegal.xlsx"
    book = StreamingWorkbook(path)
    sheet = StreamingSheet(book, "Data", ["Judul"], [20], Styles.register(book))
    titles = ["\uffff", "Posyandu\ufffe Melati", "bad\ud800surrogate", "\x00\x1f\x0b", "=A1&\uffff"]
    sheet.write_rows([[title] for title in titles], None)
    sheet.finish()
    book.close()

    read = load_workbook(path)["Data"]
    values = [row[0] for row in read.iter_rows(min_row=2, values_only=True)]
    assert values == ["", "Posyandu Melati", "badsurrogate", "", "=A1&"]
    assert read["A6"].data_type == "s"  # text, never a formula


def test_repeated_texts_and_cells_after_an_empty_one_land_in_their_columns(tmp_path):
    """Text cells are kept by value per column and written without a reference unless one
    follows an empty cell: what is read back must be in the same columns, row after row."""
    path = tmp_path / "repeat.xlsx"
    book = StreamingWorkbook(path)
    sheet = StreamingSheet(book, "Data", ["A", "B", "C", "D"], [10] * 4, Styles.register(book))
    rows = [
        ["Kelurahan Satu" if i % 2 else "Desa & Dua", None if i % 3 else i, "Ya", f"n{i}"]
        for i in range(KNOWN_PER_COLUMN + 50)
    ]
    rows.append([None, None, "Ya", None])
    sheet.write_rows(rows, None)
    sheet.finish()
    book.close()

    read = load_workbook(path)["Data"]
    values = [list(r) for r in read.iter_rows(min_row=2, values_only=True)]
    assert values == [list(row) for row in rows]


def test_a_failure_midway_closes_the_file_and_its_writing_thread(tmp_path):
    """A sheet whose rows fail (the database went away) leaves no open zip entry and no
    compressing thread behind, and the error is the one raised."""

    def rows():
        yield ["satu"]
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError, match="database gone"):
        with StreamingWorkbook(tmp_path / "failed.xlsx") as book:
            sheet = StreamingSheet(book, "Data", ["Judul"], [20], Styles.register(book))
            sheet.write_rows(rows(), None)
    assert book.writing is None
    assert not any(t.name == "xlsx-zip" and t.is_alive() for t in threading.enumerate())


def test_rows_fetched_ahead_stop_with_the_sheet_and_carry_the_database_error(database_url):
    """On a database server the next batch is fetched on another thread. A sheet that stops
    early stops that thread and leaves the session usable; a failing statement's error reaches
    the sheet's thread."""
    database = Database(database_url)
    codes = sa.select(Region.code).order_by(Region.code)  # ~1,400 regions: two batches
    try:
        with database.session() as session:
            every = session.execute(codes).scalars().all()
            assert len(every) > export.ROWS_PER_FETCH
            rows = export._stream(session, codes)
            assert [next(rows)[0] for _ in range(3)] == every[:3]
            rows.close()  # the sheet stopped early
            assert not any(t.name == "export-fetch" and t.is_alive() for t in threading.enumerate())
            assert session.execute(sa.select(sa.literal(7))).scalar() == 7
            assert [row[0] for row in export._stream(session, codes)] == every
        # PostgreSQL computes rows as they are fetched: the error may arise on the fetching thread.
        failing = "select no_such_column" if database.is_sqlite else "select 1 / 0"
        with database.session() as session, pytest.raises(sa.exc.DBAPIError):
            list(export._stream(session, sa.text(failing)))
    finally:
        database.dispose()


def test_streamed_rows_are_what_sqlalchemy_gives(database_url):
    """On SQLite the rows skip SQLAlchemy's row objects, not its conversions: dates come back
    as datetimes and booleans as booleans, NULLs as None, in the statement's order."""
    database = Database(database_url)
    moment = datetime(2026, 11, 20, 12, 30, 5, 250)
    stmt = sa.select(
        sa.literal(moment, sa.DateTime),
        sa.literal(True, sa.Boolean),
        sa.literal(None, sa.DateTime),
        sa.literal("Kanaan", sa.String),
        sa.literal(7, sa.Integer),
        sa.literal(False, sa.Boolean),
    ).union_all(
        sa.select(
            sa.literal(None, sa.DateTime),
            sa.literal(None, sa.Boolean),
            sa.literal(moment, sa.DateTime),
            sa.literal(None, sa.String),
            sa.literal(None, sa.Integer),
            sa.literal(True, sa.Boolean),
        )
    )
    try:
        with database.session() as session:
            expected = [tuple(row) for row in session.execute(stmt)]
            got = [tuple(row) for row in export._stream(session, stmt)]
        assert (
            got
            == expected
            == [
                (moment, True, None, "Kanaan", 7, False),
                (None, None, moment, None, None, True),
            ]
        )
        assert [type(value) for value in got[0]] == [datetime, bool, type(None), str, int, bool]
    finally:
        database.dispose()
