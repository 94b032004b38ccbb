"""Reading another system's export through an import profile: the header (title rows above it,
merged group headers over it), the month, the centre and each value cell. No database here:
services/profile_import.py feeds in the centres and indicators and decides what to write.

The rows are core.tables' (XLSX or CSV); headers compare by core.spreadsheet.header_key and dates
read by core.spreadsheet.read_date, as the roster import reads them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.text import Truncator
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from core import spreadsheet, tables
from core.imports import Refused
from core.spreadsheet import HEADER_SEARCH_ROWS, Formula, header_key, read_date
from core.text import (
    CONTROL_CHARS_MESSAGE,
    LINE_UNSAFE,
    has_control_chars,
    strip_control_chars,
)

# What offices write for "nothing" in a count: a hyphen, dashes of every width.
DASHES = frozenset({"-", "--", "—", "——", "–", "－", "―"})
HEADER_CHARS = 100  # a header longer than this is no column name (and cannot be mapped)
NAME_CHARS = 100  # a centre's name (Centre.name) or its code cell
# 合计, 总计, 小计, 全区合计, 本月合计 …: a sum of the rows above, never a centre or a month.
TOTAL_ROW = re.compile(
    r"^(全区|全市|全县|全街道|全镇|本月|本年|本期|累计|总|全院|全中心)?(合计|总计|小计)"
)
# A cell saying only that (a 科室 column's “合计” beside the month or the centre's name).
TOTAL_CELL = re.compile(TOTAL_ROW.pattern + r"[:]?$")
# What offices write under a table (制表人：张三, 审核人, 填表日期, 负责人, 备注：…); compared on
# header_key's text, so a full-width colon reads as ":". Notes need their colon: 备注 alone can
# be a column's header or value.
FOOTER = re.compile(
    r"^(?:(?:制表|填表|填报|审核|复核|统计|经办|联系)人|(?:单位|科室|部门|统计)?负责人|统计员"
    r"|联系电话|(?:填表|填报|制表|报出|报送|审核)日期)(?::|$)|^(?:备注|注|说明):"
)
# Excel's day numbers for 2000-01-01 and 2100-12-31: a bare number in that range in a month
# column is an Excel date whose cell lost its date format.
EXCEL_DAYS = (36526, 73415)


@dataclass(frozen=True)
class Mapping:
    header: str
    indicator: str = ""  # "" : a column the profile knows and does not import
    scale: str = "1"
    missing: str = "skip"

    @property
    def key(self) -> str:
        return header_key(self.header)


@dataclass(frozen=True)
class Spec:
    """What reading a file needs of a profile, as JSON for the job (an edit of the profile
    after the upload does not change what the preview meant)."""

    name: str
    file_type: str = "xlsx"
    encoding: str = "auto"
    header_row: int | None = None
    period_column: str = ""
    centre_code_column: str = ""
    centre_name_column: str = ""
    mappings: tuple[Mapping, ...] = ()
    rows_combine: str = ""  # ImportProfile.RowsCombine: "" (refuse), "total" or "sum"

    @classmethod
    def of(cls, profile) -> Spec:
        return cls(
            name=profile.name,
            file_type=profile.file_type,
            encoding=profile.encoding,
            header_row=profile.header_row,
            period_column=profile.period_column,
            centre_code_column=profile.centre_code_column,
            centre_name_column=profile.centre_name_column,
            mappings=tuple(Mapping(**m) for m in profile.mappings),
            rows_combine=profile.rows_combine,
        )

    @classmethod
    def from_json(cls, data: dict) -> Spec:
        return cls(**{**data, "mappings": tuple(Mapping(**m) for m in data.get("mappings", ()))})

    def to_json(self) -> dict:
        return asdict(self) | {"mappings": [asdict(m) for m in self.mappings]}

    @property
    def multi_centre(self) -> bool:
        return bool(self.centre_code_column or self.centre_name_column)

    def role_keys(self) -> dict[str, str]:
        """The key of each column that is not a value: period, code, name."""
        roles = {
            "period": self.period_column,
            "code": self.centre_code_column,
            "name": self.centre_name_column,
        }
        return {role: header_key(h) for role, h in roles.items() if h}

    def known_keys(self) -> set[str]:
        return {m.key for m in self.mappings} | set(self.role_keys().values())


# --- the table and its header --------------------------------------------------------------


def read_table(content: bytes, file_type: str, *, max_rows: int | None = None) -> tables.Table:
    """The file's rows, or Refused saying why it cannot be read as this profile's type.

    With `max_rows` only the first rows are read (a sample's header), and a longer file is no
    refusal."""
    is_zip = content[:4] == b"PK\x03\x04"
    if file_type == "xlsx" and not is_zip:
        raise Refused(
            _("This profile reads Excel workbooks (.xlsx); the file is not one (a CSV file?).")
        )
    if file_type == "csv" and is_zip:
        raise Refused(
            _("This profile reads CSV files; the file is an Excel workbook: use an .xlsx profile.")
        )
    try:
        limit = max_rows or tables.MAX_ROWS
        table = tables.read_xlsx(content, limit) if is_zip else tables.read_csv(content, limit)
    except tables.UnreadableFile as exc:
        if is_zip:
            raise Refused(_("This file cannot be read: upload an Excel workbook (.xlsx).")) from exc
        raise Refused(tables.csv_refusal(exc)) from exc
    if table.truncated and max_rows is None:
        raise Refused(
            _("The file has more than %(n)s rows; split it into smaller files.")
            % {"n": spreadsheet.MAX_DATA_ROWS - 1}
        )
    return table


@dataclass
class Column:
    index: int  # 0-based position in the row
    label: str  # the header as the page shows it: group/sub for a merged group header
    key: str  # header_key(label): what profiles are matched by

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)

    @property
    def shown(self) -> str:
        return self.label or _("column %(letter)s (no header)") % {"letter": self.letter}


@dataclass
class Header:
    number: int  # the (first) header row
    rows: int  # 1, or 2 when merged group headers stand over a row of names
    columns: list[Column]
    notices: list[str] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.number + self.rows - 1


def _label_text(value) -> str:
    """A header cell's text without line breaks or anything invisible (pasted, or a trick)."""
    return LINE_UNSAFE.sub("", spreadsheet.text(value)).strip()


def _merge_at(merges, row: int, col: int):
    for merge in merges:
        r1, c1, r2, c2 = merge
        if r1 <= row <= r2 and c1 <= col <= c2:
            return merge
    return None


def header_at(table: tables.Table, position: int) -> Header:
    """The header starting at table.rows[position]: one row, or two when a merged cell of it
    spans columns or rows (a group header over names, 序号 over both)."""
    number, top = table.rows[position]
    below = table.rows[position + 1] if position + 1 < len(table.rows) else (0, [])
    merges = [m for m in table.merges if m[0] == number and (m[2] > m[0] or m[3] > m[1])]
    two = below[0] == number + 1 and any(
        m[2] > m[0] or any(_label_text(c) for c in below[1][m[1] - 1 : m[3]]) for m in merges
    )
    width = max(len(top), len(below[1]) if two else 0)
    columns, notices = [], []
    for index in range(width):
        col = index + 1
        merge = _merge_at(merges, number, col)
        owner = merge[1] - 1 if merge else index
        upper = _cell_label(top, owner)
        lower = _cell_label(below[1], index) if two and not (merge and merge[2] > number) else ""
        label = lower if not upper or upper == lower else (f"{upper}/{lower}" if lower else upper)
        raw = [top[owner] if owner < len(top) else None]
        if two:
            raw.append(below[1][index] if index < len(below[1]) else None)
        if any(isinstance(r, str) and has_control_chars(r.replace("\n", "")) for r in raw):
            notices.append(_header_notice(index, label))
        if len(label) > HEADER_CHARS:
            notices.append(
                _(
                    "The header of column %(letter)s is longer than %(n)s characters; it is "
                    "shown cut short and cannot be mapped."
                )
                % {"letter": get_column_letter(col), "n": HEADER_CHARS}
            )
            label = Truncator(label).chars(HEADER_CHARS)
            columns.append(Column(index, label, f"\x00{index}"))  # a key no profile holds
            continue
        columns.append(Column(index, label, header_key(label)))
    return Header(number, 2 if two else 1, columns, notices)


def _cell_label(cells: list, index: int) -> str:
    return _label_text(cells[index]) if index < len(cells) else ""


def _header_notice(index: int, label: str) -> str:
    return _(
        "The header of column %(letter)s (%(label)s) held invisible control characters; they "
        "were ignored."
    ) % {"letter": get_column_letter(index + 1), "label": label}


def _is_label(value) -> bool:
    """A cell that reads as a name, not as a number or a date."""
    if value is None or isinstance(value, int | float | Decimal | dt.date):
        return False
    text = spreadsheet.text(value)
    if not text:
        return False
    try:
        Decimal(text.replace(",", ""))
        return False
    except InvalidOperation:
        pass
    try:
        read_date(text)
        return False
    except ValueError:
        return True


def find_header(table: tables.Table, spec: Spec | None = None) -> Header:
    """The header row: the one the profile names, else the first of the top rows holding at
    least two of the profile's columns; without a profile (a sample), the first row with most of
    the labels any top row holds. Refused when there is none."""
    top = table.rows[:HEADER_SEARCH_ROWS]
    if spec is not None and spec.header_row:
        for position, (number, _cells) in enumerate(table.rows):
            if number == spec.header_row:
                return header_at(table, position)
        raise Refused(
            _("The profile reads its column names from row %(n)s, which is empty in this file.")
            % {"n": spec.header_row}
        )
    if spec is not None:
        wanted = spec.known_keys()
        need = min(2, len(wanted))
        for position in range(len(top)):
            header = header_at(table, position)
            if need and len(wanted & {c.key for c in header.columns}) >= need:
                return header
        raise Refused(_no_header_message(spec))
    counts = [sum(_is_label(c) for c in cells) for _n, cells in top]
    best = max(counts, default=0)
    for position, count in enumerate(counts):
        if best >= 2 and count >= max(2, best * 0.6):
            return header_at(table, _group_row(table, position))
    raise Refused(
        _("No row of column names was found in the first %(n)s rows of the file.")
        % {"n": HEADER_SEARCH_ROWS}
    )


def _group_row(table: tables.Table, position: int) -> int:
    """The row above when its merged cells stand over this one (categories over names)."""
    if position == 0:
        return position
    number, above = table.rows[position][0], table.rows[position - 1][0]
    spans = [m for m in table.merges if m[0] == above and (m[2] >= number or m[3] > m[1])]
    return position - 1 if above == number - 1 and spans else position


def _no_header_message(spec: Spec) -> str:
    names = [m.header for m in spec.mappings if m.indicator][:5]
    return _(
        "None of the first %(n)s rows holds the column names this profile reads (%(names)s): "
        "is it the right profile for this file?"
    ) % {"n": HEADER_SEARCH_ROWS, "names": "、".join(names) or "—"}


# --- the cells of a data row ----------------------------------------------------------------


def is_total_row(
    cells: list, columns: list[Column], label_indexes: list[int], value_indexes=()
) -> str:
    """The text of a totals row (合计 …) in a label column or the row's first cell, or a cell
    outside the value columns that says only 合计 (a 科室 column beside the month), else ""."""
    indexes = label_indexes or []
    first = next((i for i, c in enumerate(cells) if spreadsheet.text(c)), None)
    if first is not None:
        indexes = [*indexes, first]
    for index in indexes:
        if index < len(cells) and isinstance(cells[index], str):
            text = header_key(cells[index])
            if TOTAL_ROW.match(text):
                return text
    values = set(value_indexes)
    for index, cell in enumerate(cells):
        if index not in values and isinstance(cell, str) and TOTAL_CELL.match(header_key(cell)):
            return header_key(cell).rstrip(":")
    return ""


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal):
        return True
    try:
        return Decimal(
            unicodedata.normalize("NFKC", spreadsheet.text(value)).replace(",", "")
        ).is_finite()
    except InvalidOperation:
        return False


def footer_text(cells: list, value_indexes=()) -> str:
    """The text of a footer line under the table (制表人：张三, 审核人, 填表日期 …, 备注：…), which
    ends the table, else "". Such a line starts the row, or stands anywhere in a row holding no
    number in a value column (a data row's note column may say anything)."""
    texts = [(i, c) for i, c in enumerate(cells) if isinstance(c, str) and c.strip()]
    first = next((i for i, c in enumerate(cells) if spreadsheet.text(c)), None)
    numbers = any(_is_number(cells[i]) for i in value_indexes if i < len(cells))
    for index, cell in texts:
        if (index == first or not numbers) and FOOTER.match(header_key(cell)):
            return Truncator(strip_control_chars(cell.strip())).chars(40)
    return ""


def parse_period(value) -> dt.date:
    """A month cell as the month's first day: 2024-04, 2024年4月(份), 202404, 2024/4/1, an Excel
    date (or its bare day number), 2024-04-01至2024-04-30. ValueError when it is none of them
    or spans several months."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and EXCEL_DAYS[0] <= value <= EXCEL_DAYS[1]:
        return from_excel(value).date().replace(day=1)
    if isinstance(value, str):
        text = "".join(unicodedata.normalize("NFKC", value).split()).removesuffix("份")
        for sep in ("至", "~"):
            if sep in text:
                first, _sep, last = text.partition(sep)
                a, b = parse_period(first), parse_period(last)
                if a != b:
                    raise ValueError(value)
                return a
        value = text
    day = read_date(value)[0]
    if not 2000 <= day.year <= 2100:
        raise ValueError(value)
    return day.replace(day=1)


def period_message(raw: str) -> str:
    return _(
        "“%(value)s” is not a month: write it as 2024-04, 2024年4月 or 202404, or as a date."
    ) % {"value": Truncator(raw).chars(40)}


def name_cell(value) -> tuple[str, str]:
    """A centre name or code cell as text, or "" and why it cannot be read."""
    if isinstance(value, Formula):
        return "", spreadsheet.formula_message(value)
    text = spreadsheet.text(value)
    if has_control_chars(text):
        return "", str(CONTROL_CHARS_MESSAGE)
    if len(text) > NAME_CHARS:
        return "", _(
            "This cell holds %(n)s characters; a centre's name or code has at most %(max)s."
        ) % {"n": len(text), "max": NAME_CHARS}
    return text, ""


def normal_name(text: str) -> str:
    """A centre's name as matched: full-width forms folded, every space dropped."""
    return header_key(text)


def normal_code(text: str) -> str:
    return header_key(text).upper()


def read_value(value, mapping: Mapping, whole_numbers: bool) -> tuple[str | None, str]:
    """A value cell as the plain number to import ("123", "12.5"), None for a cell the mapping
    leaves as it is, or (None, why) when it cannot be read. Range, unit and rule checks are the
    grid's (the values engine applies them)."""
    if isinstance(value, Formula):
        return None, spreadsheet.formula_message(value)
    if isinstance(value, bool):
        return None, _("Type a number.")
    raw = spreadsheet.text(value)
    if has_control_chars(raw):
        return None, str(CONTROL_CHARS_MESSAGE)
    text = unicodedata.normalize("NFKC", raw).strip()
    if text == "" or text in DASHES:
        zero = mapping.missing == "zero" or (mapping.missing == "dash_zero" and text != "")
        return ("0", "") if zero else (None, "")
    if len(text) > 40:  # refused whole: a value cut short could read as another number
        return None, _("A value has at most %(limit)s characters.") % {"limit": 40}
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        return None, _("“%(value)s” is not a number.") % {"value": text}
    return _scaled(text, number, Decimal(mapping.scale or "1"), whole_numbers)


def _scaled(text: str, number: Decimal, scale: Decimal, whole_numbers: bool):
    if scale == 1:
        return plain(number), ""
    scaled = number * scale
    if not whole_numbers:  # a converted amount (元 → 万元) is kept to two decimals, half up
        return plain(scaled.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)), ""
    if scaled != scaled.to_integral_value():
        return None, _("%(value)s × %(scale)s = %(result)s, not a whole number.") % {
            "value": text,
            "scale": plain(scale),
            "result": plain(scaled),
        }
    return plain(scaled), ""


def plain(value: Decimal) -> str:
    """1234.50 → "1234.5", 1E+3 → "1000": a number as typed."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- a sample file, for the editor --------------------------------------------------------------


@dataclass
class Sample:
    header: Header
    examples: list[str]  # the first data row's cell under each column, as text
    file_type: str
    encoding: str  # a CSV's, as read: what the profile should expect


# A sample is read in the web request: its header and a first data row, no more.
SAMPLE_ROWS = HEADER_SEARCH_ROWS + 10


def read_sample(content: bytes) -> Sample:
    """A sample's header and first data row, or Refused saying why it cannot be read.

    Read while the person waits, outside the worker's memory and time limits: the upload's
    size was checked by its form field, a workbook's archive is inspected before it is opened
    (bombs refused), and only the first SAMPLE_ROWS rows are read, however long the file."""
    from core.imports import MAX_UPLOAD_BYTES, inspect_archive

    if len(content) > MAX_UPLOAD_BYTES:  # the form refused it already; never read one here
        raise Refused(
            _("The file is %(size)s MB; the limit is 5 MB.")
            % {"size": f"{len(content) / 1024 / 1024:.1f}"}
        )
    is_zip = content[:4] == b"PK\x03\x04"
    if is_zip:
        inspect_archive(content)
    file_type = "xlsx" if is_zip else "csv"
    table = read_table(content, file_type, max_rows=SAMPLE_ROWS)
    header = find_header(table)
    first = next(
        (
            cells
            for number, cells in table.rows
            if number > header.last
            and not is_total_row(cells, header.columns, [])
            and not footer_text(cells)
        ),
        [],
    )
    examples = [
        Truncator(
            strip_control_chars(spreadsheet.text(first[c.index] if c.index < len(first) else None))
        ).chars(20)
        for c in header.columns
    ]
    encoding = {"utf-8-sig": "utf-8", "utf-16": "auto"}.get(table.encoding, table.encoding)
    return Sample(header, examples, file_type, encoding or "auto")
