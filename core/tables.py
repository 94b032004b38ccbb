"""An uploaded table as raw rows, for imports whose layout someone else's system chose (HIS and
公卫 exports): an XLSX workbook's first sheet with its merged cells, or a CSV file decoded from the
encodings Chinese systems write.

Nothing here knows what a column means; the header is found by the caller, among the first
HEADER_SEARCH_ROWS rows, as core.spreadsheet.read_rows finds it for our own layouts. Formula cells
read as the value Excel computed, or as spreadsheet.Formula when none was saved; a CSV cell
starting with "=" is a Formula too (a CSV holds no computed value), so it is refused, never
evaluated.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from .spreadsheet import (
    HEADER_SEARCH_ROWS,
    MAX_DATA_ROWS,
    Formula,
    UnreadableFile,
    _formulas_without_value,
    _has_formulas,
)

# A 基本公卫 monthly report has a column per indicator: sixty and more. Wider is not a report.
MAX_COLUMNS = 200
MAX_ROWS = MAX_DATA_ROWS + HEADER_SEARCH_ROWS
# What Chinese systems write: UTF-8 (with or without the BOM Excel adds) and GB18030, the
# superset of GBK and GB2312 that HIS exports use. UTF-8 is tried first: GBK text is practically
# never valid UTF-8, while UTF-8 text often decodes as GB18030 without error, into nonsense.
ENCODINGS = {"utf-8": "UTF-8", "gb18030": "GB18030 (GBK)"}
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=[\"']([A-Z]{1,3}\d+:[A-Z]{1,3}\d+)[\"']")
_DELIMITERS = (",", "\t", ";")


class Undecodable(UnreadableFile):
    """A text file in none of the encodings tried; `tried` names them for the message."""

    def __init__(self, tried: list[str]):
        self.tried = tried
        super().__init__(", ".join(tried))


@dataclass
class Table:
    """The first sheet's non-empty rows as (row number, cells), at most MAX_ROWS of them;
    `merges` are (first row, first column, last row, last column), 1-based."""

    rows: list[tuple[int, list]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    encoding: str = ""  # a CSV's, as read
    truncated: bool = False  # more rows than MAX_ROWS: the caller says the file is too long


def read_xlsx(content: bytes, max_rows: int = MAX_ROWS) -> Table:
    """The first sheet of a workbook (its archive already inspected), or UnreadableFile; at
    most `max_rows` non-empty rows are read (`truncated` says there were more)."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows, truncated = _sheet_rows(sheet, max_rows)
            path = sheet._worksheet_path
        finally:
            book.close()
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            xml = archive.read(path)
        merges = [_bounds(ref) for ref in _MERGE.findall(xml)]
        if _has_formulas(content):
            _mark_formulas(content, path, rows, truncated)
        return Table(rows, merges, truncated=truncated)
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as exc:
        raise UnreadableFile from exc
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on damaged workbooks
        raise UnreadableFile from exc


def _sheet_rows(sheet, max_rows: int) -> tuple[list, bool]:
    rows = []
    for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
        cells = list(cells)
        while cells and (cells[-1] is None or cells[-1] == ""):
            cells.pop()  # a sheet's stated width is often far wider than its table
        if not cells:
            continue
        if len(rows) >= max_rows:
            return rows, True
        rows.append((number, cells))
    return rows, False


def _bounds(ref: bytes) -> tuple[int, int, int, int]:
    min_col, min_row, max_col, max_row = range_boundaries(ref.decode())
    return min_row, min_col, max_row, max_col


def _mark_formulas(content: bytes, path: str, rows: list, truncated: bool) -> None:
    """Formula cells saved without a computed value become Formula, never an empty cell."""
    by_number = dict(rows)
    last = rows[-1][0] if rows else 0
    for number, index, formula in _formulas_without_value(content, path):
        if truncated and number > last:
            break  # the sheet's rows come in order: nothing read lies further on
        if index >= MAX_COLUMNS:
            continue
        cells = by_number.get(number)
        if cells is None:  # a row holding nothing but such formulas
            cells = by_number[number] = []
            rows.append((number, cells))
        cells.extend([None] * (index + 1 - len(cells)))
        cells[index] = Formula(formula)
    rows.sort(key=lambda row: row[0])


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),  # Excel's "Unicode text"
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def decode(content: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: a BOM decides; else UTF-8, then GB18030.
    Undecodable names every encoding tried."""
    for bom, codec, label in _BOMS:
        if content.startswith(bom):
            try:
                return content.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise Undecodable([label]) from exc
    tried = []
    for codec, label in ENCODINGS.items():
        tried.append(label)
        try:
            return content.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise Undecodable(tried)


def read_csv(content: bytes, max_rows: int = MAX_ROWS) -> Table:
    """A CSV file's first `max_rows` non-empty rows (comma, tab or semicolon separated), or
    UnreadableFile.

    Undecodable (a subclass) says which encodings were tried; a NUL or a cell longer than the
    csv module allows is unreadable too (not a text table).
    """
    text, used = decode(content)
    if "\x00" in text:
        raise UnreadableFile("NUL")
    delimiter = _delimiter(text)
    rows, truncated = [], False
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            cells = [_csv_cell(c) for c in cells[:MAX_COLUMNS]]
            if all(c is None for c in cells):
                continue
            if len(rows) >= max_rows:
                truncated = True
                break
            rows.append((number, cells))
    except csv.Error as exc:
        raise UnreadableFile(str(exc)) from exc
    return Table(rows, [], encoding=used, truncated=truncated)


def _delimiter(text: str) -> str:
    """The separator used most in the first lines (Excel's CSV is comma, its 'Unicode text'
    tab; some European settings write semicolons)."""
    head = "\n".join(text[:65536].splitlines()[: HEADER_SEARCH_ROWS * 2])
    return max(_DELIMITERS, key=lambda d: (head.count(d), d == ","))


def _csv_cell(raw: str):
    value = raw.strip()
    if value == "":
        return None
    if value.startswith("=") and len(value) > 1:
        return Formula(value)
    return value


def csv_refusal(exc: UnreadableFile) -> str:
    """What to tell the person about a CSV file that could not be read."""
    if isinstance(exc, Undecodable):
        return _(
            "This CSV file could not be read as text in any of these encodings: %(tried)s. Save "
            "it again from the system or from Excel/WPS as “CSV UTF-8” (or as .xlsx) and upload "
            "that."
        ) % {"tried": "、".join(exc.tried)}
    return _(
        "This file cannot be read as a CSV table (it holds binary data or a cell longer than "
        "any table's): save it again as CSV or as .xlsx."
    )
