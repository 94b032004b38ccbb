"""Reading uploaded XLSX workbooks, shared by the roster (staff) and tally (services) imports,
and the one way every export writes a cell (text_cell).

Only the app-neutral part lives here: the first sheet as a header and rows, cell text, headers
compared as offices write them (header_key) and dates written in the many ways offices write
them (read_date). What the columns mean stays with each app.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable

from defusedxml.ElementTree import iterparse as safe_iterparse
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.exceptions import InvalidFileException

from .text import xml_safe


class UnreadableFile(Exception):
    """The upload is not an XLSX workbook we can read."""


# Our layouts use under twenty columns; a sheet claiming 16,384 is not read that wide.
MAX_COLUMNS = 64
MAX_DATA_ROWS = 10_001  # enough to say the file is too long, without reading it all
HEADER_SEARCH_ROWS = 10  # a title or blank rows above the header, as offices write them
# A row's cell texts → the keys to read its columns by if it is the header row, else None.
FindHeader = Callable[[list[str]], "list[str] | None"]
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


class Formula(str):
    """A formula cell saved without its computed value (written by a program, not by Excel)."""


def formula_message(value: Formula) -> str:
    """What to tell the user about such a cell: it is refused, never read as empty."""
    return _(
        "This cell holds a formula (%(formula)s) without its computed value: open the file in "
        "Excel and save it, then upload it again, or type the value."
    ) % {"formula": value[:60]}


def read_rows(
    content: bytes, find_header: FindHeader | None = None
) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    """Header names and (row number, {header: cell}) for every non-empty row of the first sheet.

    The header is the first row, or with `find_header` the first of the top HEADER_SEARCH_ROWS
    rows for which it returns the column keys (a title row above the header is skipped); none
    found gives an empty header and no rows.

    A formula cell reads as the value Excel computed; one without a value is a Formula, so the
    importer can refuse it. Any failure while reading (not a zip, no worksheet, a damaged
    sheet …) is UnreadableFile.
    """
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            header, data, header_number = _rows_of(sheet, find_header)
            path = sheet._worksheet_path  # where the sheet's XML is, for the formula scan
        finally:
            book.close()
        if _has_formulas(content):
            data = _with_formulas(content, path, header, data, header_number)
        return header, data
    except (InvalidFileException, zipfile.BadZipFile) as exc:
        raise UnreadableFile from exc
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on damaged workbooks
        raise UnreadableFile from exc


def _rows_of(sheet, find_header: FindHeader | None) -> tuple[list[str], list, int]:
    rows = enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1)
    for header_number, cells in rows:
        texts = [str(h).strip() if h is not None else "" for h in cells]
        header = texts if find_header is None else find_header(texts)
        if header is not None:
            break
        if header_number >= HEADER_SEARCH_ROWS:
            return [], [], 0
    else:  # no row of the sheet is a header
        return [], [], 0
    data = []
    for number, cells in rows:
        if all(c in (None, "") for c in cells):
            continue
        data.append((number, dict(zip(header, cells, strict=False))))
        if len(data) >= MAX_DATA_ROWS:
            break
    return header, data, header_number


def _has_formulas(content: bytes) -> bool:
    """Whether any worksheet holds a formula (archive already inspected, so bounded)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return any(
            _FORMULA_TAG.search(archive.read(name))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )


def _formulas_without_value(content: bytes, path: str):
    """(row, column index, formula) of each formula cell saved with no computed value.

    openpyxl cannot tell such a cell from one whose value is "", so the sheet's XML is read:
    Excel stores an empty text result as t="str" with an empty <v>; a program that wrote only
    the formula leaves <v> out or empty without that type.
    """
    with zipfile.ZipFile(io.BytesIO(content)) as archive, archive.open(path) as xml:
        for _event, element in safe_iterparse(xml):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "row":
                element.clear()  # keep memory flat on long sheets
                continue
            if tag != "c":
                continue
            formula = value = None
            for child in element:
                name = child.tag.rsplit("}", 1)[-1]
                formula = child if name == "f" else formula
                value = child if name == "v" else value
            has_value = value is not None and (value.text or element.get("t") == "str")
            if formula is not None and not has_value:
                column, row = coordinate_from_string(element.get("r", "A1"))
                yield row, column_index_from_string(column) - 1, "=" + (formula.text or "…")


def _with_formulas(
    content: bytes, path: str, header: list[str], data: list, header_number: int
) -> list:
    """Mark the formula cells that have no computed value, never reading them as empty."""
    by_number = dict(data)
    last = data[-1][0] if len(data) >= MAX_DATA_ROWS else None
    for number, index, formula in _formulas_without_value(content, path):
        if number <= header_number or index >= len(header) or (last is not None and number > last):
            continue
        row = by_number.setdefault(number, dict.fromkeys(header))
        row[header[index]] = Formula(formula)
    return sorted(by_number.items())


def text(value) -> str:
    """A cell as stripped text: None is "", and a whole float (Excel's 12.0) reads "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def text_cell(sheet, value):
    """A string as a text cell, never a formula (=HYPERLINK(…) in a name stays a name) and without
    characters XML cannot hold; the text itself is unchanged, so our imports read it back as stored.

    Other values pass through for openpyxl to type. Works for write-only and ordinary sheets.
    """
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=xml_safe(value))
    cell.data_type = "s"  # after the value: openpyxl types a leading "=" as a formula
    return cell


def text_row(sheet, values) -> list:
    """A row for sheet.append with every string written by text_cell."""
    return [text_cell(sheet, value) for value in values]


# --- headers and dates, as offices write them ---------------------------------------------


def header_key(header) -> str:
    """A header as compared with others: 姓　名 and 姓名, （） and (), ＡＢ and AB read the same
    (NFKC folds full-width forms; every kind of whitespace is dropped)."""
    return "".join(unicodedata.normalize("NFKC", str(header)).split())


DAY_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y年%m月%d号")
MONTH_FORMATS = ("%Y-%m", "%Y/%m", "%Y.%m", "%Y年%m月", "%Y%m")


def _date_text(value) -> str:
    """A number cell typed as 2019.10 is stored as 2019.1: read it back with two decimals."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return text(value)


def _parse_text_date(raw: str, formats) -> dt.date | None:
    for fmt in formats:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def read_date(value) -> tuple[dt.date, bool]:
    """A cell as (date, whether it named only a month): Excel dates, 2024-01-05, 2024/1/5,
    2024.1.5, 20240105, 2024年1月5日; a month alone (2024.01, 2024年1月, 2024-01, 202401) is its
    first day. ValueError when it is none of these.

    Digits alone are a day only as eight (20240105) and a month only as six (202411): strptime
    would read 202411 as 2024-1-1 and 2024111 as either of two days.
    """
    if isinstance(value, dt.datetime):
        return value.date(), False
    if isinstance(value, dt.date):
        return value, False
    raw = "".join(_date_text(value).split())
    if raw.isdigit():
        if len(raw) == 8 and (day := _parse_text_date(raw, ("%Y%m%d",))):
            return day, False
        if len(raw) == 6 and (month := _parse_text_date(raw, ("%Y%m",))):
            return month, True
        raise ValueError(raw)
    if day := _parse_text_date(raw, DAY_FORMATS):
        return day, False
    if month := _parse_text_date(raw, MONTH_FORMATS):
        return month, True
    raise ValueError(raw)
