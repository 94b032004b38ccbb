"""Reading uploaded XLSX workbooks, shared by the roster (staff) and tally (services) imports.

Only the app-neutral part lives here: the first sheet as a header and rows, and cell text. What
the columns mean stays with each app.
"""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException


class UnreadableFile(Exception):
    """The upload is not an XLSX workbook we can read."""


def read_rows(content: bytes) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    """Header names and (row number, {header: cell}) for every non-empty row of the first sheet.

    Any failure while reading (not a zip, no worksheet, a damaged sheet …) is UnreadableFile.
    """
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            return _rows_of(book.worksheets[0])
        finally:
            book.close()
    except (InvalidFileException, zipfile.BadZipFile) as exc:
        raise UnreadableFile from exc
    except Exception as exc:  # openpyxl raises many kinds on damaged workbooks
        raise UnreadableFile from exc


def _rows_of(sheet) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    data = []
    for number, cells in enumerate(rows, start=2):
        if all(c in (None, "") for c in cells):
            continue
        data.append((number, dict(zip(header, cells, strict=False))))
        if len(data) > 10_001:  # enough to say the file is too long, without reading it all
            break
    return header, data


def text(value) -> str:
    """A cell as stripped text: None is "", and a whole float (Excel's 12.0) reads "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
