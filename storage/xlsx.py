"""Fast XLSX sheets: openpyxl's write-only sheet with rows serialised as pre-escaped strings.

openpyxl builds the sheet (views, frozen header, column widths, autofilter, styles, the zip);
`StreamingSheet` writes the rows itself, under 1 µs a cell instead of openpyxl's ~20 µs (it
builds an ElementTree element per cell), straight into the `StreamingWorkbook`'s open file,
compressed on another thread. The cell helpers give headers, titles, dates and percentages
the workbook's shared styles.

The only module that touches openpyxl's private write-only classes: pyproject bounds openpyxl
below 3.2 and the export read-back tests fail loudly if a release changes them.
"""

from __future__ import annotations

import html
import queue
import re
import threading
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import quoteattr
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import tostring

__all__ = [
    "KNOWN_PER_COLUMN",
    "MAX_CELL_TEXT",
    "ExportProgress",
    "Percent",
    "StreamingSheet",
    "StreamingWorkbook",
    "Styles",
    "WriteOnlyWorksheet",
    "date_cell",
    "header_cell",
    "percent_cell",
    "title_cell",
]

PROGRESS_EVERY = 2000  # rows between two progress updates
# zlib effort of the file: a province's 270 MB of sheet XML takes ~8 s at openpyxl's level 6
# and ~3.5 s at 3, for a file 13% larger (34.6 MB instead of 30.6 MB for 100,000 cadres).
ZIP_LEVEL = 3
DATE_FORMAT = "dd/mm/yyyy hh:mm"
EXCEL_EPOCH = datetime(1899, 12, 30)
EPOCH_DAY = EXCEL_EPOCH.toordinal()
DAY = timedelta(days=1)
MAX_CELL_TEXT = 32767
# Characters XML 1.0 forbids (C0 controls but tab and newlines, lone surrogates, U+FFFE/U+FFFF):
# one of them in a cell makes the whole workbook unreadable, so they are dropped.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Markup and illegal characters: text with none of them is copied as it is.
_SPECIAL = re.compile("[&<>\x00-\x1f\ud800-\udfff\ufffe\uffff]")
KNOWN_PER_COLUMN = 2048  # text cells kept per column: a province's 1,038 kelurahan/desa fit
_TRUE, _FALSE = '<c t="b"><v>1</v></c>', '<c t="b"><v>0</v></c>'


def _text_cell(value: str) -> str:
    """An inline text cell, cut to Excel's limit, without the characters XML forbids."""
    keep = ""
    if value[0] <= " " or value[-1] <= " " or len(value) > MAX_CELL_TEXT:
        value = value[:MAX_CELL_TEXT]
        keep = ' xml:space="preserve"'
    if _SPECIAL.search(value):
        value = html.escape(_ILLEGAL_XML.sub("", value), quote=False)
    return f'<c t="inlineStr"><is><t{keep}>{value}</t></is></c>'


class StreamingWorkbook(Workbook):
    """A write-only workbook whose file is open from the start: each `StreamingSheet` is
    compressed into it while its rows are written, on a thread of its own (zlib lets go of the
    GIL, so the other core compresses while this one makes rows), and no sheet goes through
    a temporary file first. Sheets are written one after the other: a sheet's `finish` closes
    it before the next begins. `close` writes the rest (other sheets, styles, the workbook);
    used as a context manager, it is closed on success and abandoned on an error."""

    def __init__(self, target: Path | IO[bytes]) -> None:
        super().__init__(write_only=True)
        self.archive = ZipFile(target, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL)
        self.writing: _ZipStream | None = None  # the sheet being written, if any

    def __enter__(self) -> StreamingWorkbook:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        if error_type is None:
            self.close()
        else:
            self.abandon()

    def save(self, filename: Any) -> None:
        raise TypeError("a StreamingWorkbook is written to its own file: call close()")

    def close(self) -> None:
        self.properties.modified = datetime.now(UTC).replace(tzinfo=None)
        _WorkbookWriter(self, self.archive).save()  # closes the archive

    def abandon(self) -> None:
        """Close the file after a failure (the caller throws it away)."""
        if self.writing is not None:
            self.writing.close(failed=True)
            self.writing = None
        self.archive.close()


class _WorkbookWriter(ExcelWriter):
    """openpyxl's workbook writer, for sheets that are already in the archive."""

    def write_worksheet(self, ws: Any) -> None:
        if not isinstance(ws, StreamingSheet):
            super().write_worksheet(ws)
            return
        # What ExcelWriter.write_worksheet does, less copying the sheet's file into the zip.
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        if not ws.closed:
            ws.close()
        assert ws._writer is not None  # close() made it
        ws._rels = ws._writer._rels
        self.manifest.append(ws)


class _ZipStream:
    """A zip entry written from a thread of its own: `write` encodes the text and hands it
    over, the thread compresses and writes it (what waits is bounded: 8 batches of rows)."""

    def __init__(self, archive: ZipFile, name: str) -> None:
        self._handle = archive.open(name, "w", force_zip64=True)
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="xlsx-zip", daemon=True)
        self._thread.start()

    def write(self, text: str) -> None:
        if self._closed:  # the end tags of a sheet abandoned after a failure
            return
        if self._error is not None:
            raise self._error
        self._chunks.put(text.encode())

    def _run(self) -> None:
        try:
            while (chunk := self._chunks.get()) is not None:
                self._handle.write(chunk)
        except BaseException as exc:  # e.g. the disk is full: raised in the writing thread
            self._error = exc
            while self._chunks.get() is not None:
                pass

    def close(self, *, failed: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        self._chunks.put(None)
        self._thread.join()
        self._handle.close()
        if self._error is not None and not failed:
            raise self._error


@dataclass
class ExportProgress:
    """Written by the building thread, read by the bot to show how far it has got."""

    sheet: str = ""
    rows: int = 0


# ---------------------------------------------------------------- fast write-only sheets


class _RawStream:
    """The part of `xmlfile` that openpyxl's sheet writer uses, plus raw pre-escaped writes."""

    def __init__(self, handle: _ZipStream) -> None:
        self.write_raw = handle.write

    @contextmanager
    def element(
        self, tag: str, attrib: Mapping[str, str] | None = None, **extra: str
    ) -> Iterator[None]:
        attributes = {**(attrib or {}), **extra}
        rendered = "".join(f" {key}={quoteattr(str(value))}" for key, value in attributes.items())
        self.write_raw(f"<{tag}{rendered}>")
        yield
        self.write_raw(f"</{tag}>")

    def write(self, element: Any) -> None:
        self.write_raw(tostring(element, encoding="unicode"))


class _StreamingSheetWriter(WorksheetWriter):
    """openpyxl's sheet writer, writing our `_RawStream` into the workbook's open zip."""

    def get_stream(self) -> Generator[_RawStream | None, Any, None]:
        book: StreamingWorkbook = self.ws.parent
        entry = book.writing = _ZipStream(book.archive, self.ws.path[1:])
        stream = _RawStream(entry)
        entry.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
        with stream.element("worksheet", xmlns=SHEET_MAIN_NS):
            try:
                while True:
                    element = yield None
                    if element is True:
                        yield stream
                    elif element is not None:
                        stream.write(element)
            except GeneratorExit:
                pass
        entry.close()
        book.writing = None

    def cleanup(self) -> None:
        """Nothing to remove: the sheet never had a file of its own."""


class StreamingSheet(WriteOnlyWorksheet):
    """A write-only sheet with a bold header row, frozen, filtered, with set column widths.

    Rows are lists of None, bool, int, float, str or naive datetime (written as Excel dates).
    """

    def __init__(
        self,
        workbook: StreamingWorkbook,
        title: str,
        headers: Sequence[str],
        widths: Sequence[float],
        styles: Styles,
    ) -> None:
        super().__init__(parent=workbook, title=title)
        workbook._add_sheet(self)  # what Workbook.create_sheet does for its own class
        # Its part's name (sheetN.xml) is needed now; the writer numbers sheets so when saving.
        self._id = workbook.worksheets.index(self) + 1
        self._letters = [get_column_letter(i) for i in range(1, len(headers) + 1)]
        self._styles = styles
        self._date_style = f' s="{styles.date}"'
        self._known: list[dict[str, str]] = [{} for _ in headers]
        self._stream: _RawStream
        self.rows_written = 0
        self.freeze_panes = "A2"
        for letter, width in zip(self._letters, widths, strict=True):
            self.column_dimensions[letter].width = width
        self.append(list(headers))

    _writer: _StreamingSheetWriter | None

    def _get_writer(self) -> None:
        if self._writer is None:
            self._writer = _StreamingSheetWriter(self, out="")
            self._writer.write_top()

    def _write_rows(self) -> Generator[None, Sequence[Any], None]:
        """openpyxl's row writer, kept open for `write_rows`: it receives the header row only,
        then waits inside `<sheetData>` until the sheet is closed."""
        assert self._writer is not None  # append() and close() call _get_writer() first
        stream = self._writer.xf.send(True)
        with stream.element("sheetData"):
            try:
                stream.write_raw(self._header_xml((yield)))
                self._stream = stream
                yield
                raise TypeError("a StreamingSheet's rows are written by write_rows()")
            except GeneratorExit:
                pass
        # An abandoned sheet is collected in any order: its writer may have finished first.
        with suppress(StopIteration):
            self._writer.xf.send(None)

    def _header_xml(self, values: Sequence[Any]) -> str:
        style = self._styles.header
        cells = "".join(
            f'<c s="{style}" t="inlineStr"><is><t>{html.escape(str(value), quote=False)}</t></is></c>'
            for value in values
        )
        return f'<row r="1">{cells}</row>'

    def _row_xml(self, values: Sequence[Any], index: int) -> str:
        """One `<row>`: the hot loop of an export (millions of cells), hence `type() is`, the
        names bound locally and each column's text cells kept by value (kelurahan, lembaga,
        status repeat on every row). A cell right after the previous one needs no reference
        (`r`, optional in the format); the first after an empty one carries it."""
        date_style = self._date_style
        cells = [f'<row r="{index}">']
        add = cells.append
        gap = False
        for letter, known, value in zip(self._letters, self._known, values, strict=False):
            kind = type(value)
            if kind is str and value:
                cell = known.get(value)
                if cell is None:
                    cell = _text_cell(value)
                    if len(known) < KNOWN_PER_COLUMN:
                        known[value] = cell
            elif kind is int:
                cell = f"<c><v>{value}</v></c>"
            elif kind is datetime:
                # Days since Excel's epoch, to the second (the sheet shows minutes).
                seconds = value.hour * 3600 + value.minute * 60 + value.second
                cell = (
                    f"<c{date_style}><v>{value.toordinal() - EPOCH_DAY + seconds / 86400!r}</v></c>"
                )
            elif value is None or kind is str:
                gap = True
                continue
            elif kind is bool:
                cell = _TRUE if value else _FALSE
            elif kind is Percent:
                cell = f'<c s="{self._styles.percent}"><v>{float(value)!r}</v></c>'
            else:
                cell = f"<c><v>{value!r}</v></c>"
            if gap:
                cell = f'<c r="{letter}{index}"{cell[2:]}'
                gap = False
            add(cell)
        add("</row>")
        return "".join(cells)

    def write_rows(self, rows: Iterable[Sequence[Any]], progress: ExportProgress | None) -> None:
        """Append the rows after the header, written in batches of `PROGRESS_EVERY`."""
        write, row_xml = self._stream.write_raw, self._row_xml
        batch: list[str] = []
        index = self.rows_written + 1  # the header is row 1
        for row in rows:
            index += 1
            batch.append(row_xml(row, index))
            if len(batch) == PROGRESS_EVERY:
                write("".join(batch))
                batch.clear()
                self.rows_written = index - 1
                if progress is not None:
                    progress.rows = self.rows_written
        write("".join(batch))
        self.rows_written = index - 1

    def finish(self) -> None:
        """Filter buttons on the header over every written row, and the sheet is closed
        (written to the end, its kept cells let go): the next sheet may begin."""
        self.auto_filter.ref = f"A1:{self._letters[-1]}{self.rows_written + 1}"
        self._known = []
        self.close()


class Percent(float):
    """A share (0.5 = 50 %) written with a percent format."""


@dataclass(frozen=True)
class Styles:
    """Workbook style ids of header, date and percent cells, for rows written as raw XML."""

    header: int
    date: int
    percent: int

    @classmethod
    def register(cls, workbook: Workbook) -> Styles:
        probe = WriteOnlyWorksheet(parent=workbook, title="probe")  # never added to the book
        return cls(
            header=header_cell(probe, "").style_id,
            date=date_cell(probe, EXCEL_EPOCH).style_id,
            percent=percent_cell(probe, 0.0).style_id,
        )


def header_cell(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True, color="FFFFFF")
    cell.fill = PatternFill("solid", fgColor="1F6FB2")
    cell.alignment = Alignment(vertical="center")
    return cell


def date_cell(sheet: WriteOnlyWorksheet, value: datetime | None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = DATE_FORMAT
    return cell


def title_cell(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True, size=14)
    return cell


def percent_cell(sheet: WriteOnlyWorksheet, value: float | None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "0.0%"
    return cell
