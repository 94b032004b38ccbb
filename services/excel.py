"""A centre's year of tallies as XLSX (indicators as rows, months as columns), and back.

Import reads the layout export writes. An empty cell leaves the stored value as it is; every
problem is listed by row and column before anything is written, and nothing is written until
the user confirms.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from centers.models import Centre
from core import spreadsheet

from .locking import LockContext, lock_state, year_lock_state
from .models import Indicator, TallyImport, TallyValue
from .rollups import mark_changed

MONTH_HEADERS = [f"{m}月" for m in range(1, 13)]
HEADERS = ["代码", "指标", "单位", *MONTH_HEADERS, "全年"]


def _period(indicator: Indicator, year: int, column: str) -> dt.date | None:
    if column == "全年":
        return dt.date(year, 1, 1) if indicator.frequency == Indicator.Frequency.YEARLY else None
    if indicator.frequency == Indicator.Frequency.YEARLY:
        return None
    return dt.date(year, MONTH_HEADERS.index(column) + 1, 1)


def write_year(centre: Centre, year: int) -> bytes:
    """Every active indicator of the catalogue with the centre's values for the year."""
    values = {
        (code, period): value
        for code, period, value in TallyValue.objects.filter(
            centre=centre, period__year=year
        ).values_list("indicator__code", "period", "value")
    }
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{year}年")
    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for indicator in Indicator.objects.filter(is_active=True).order_by(
        "category", "position", "code"
    ):
        row = [indicator.code, indicator.name, indicator.unit]
        for column in [*MONTH_HEADERS, "全年"]:
            period = _period(indicator, year, column)
            value = values.get((indicator.code, period)) if period else None
            row.append(
                None if value is None else (int(value) if value == int(value) else float(value))
            )
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fingerprint(centre: Centre, year: int) -> str:
    """Changes whenever anyone saves a value of that centre and year."""
    agg = TallyValue.objects.filter(centre=centre, period__year=year).aggregate(
        n=Count("id"), t=Max("updated_at")
    )
    return f"{agg['n']}|{agg['t']}"


def _lock_reason(indicator: Indicator, period: dt.date, ctx: LockContext) -> str:
    yearly = indicator.frequency == Indicator.Frequency.YEARLY
    state = year_lock_state(period.year, ctx) if yearly else lock_state(period, ctx)
    return state.reason if state.locked else ""


def _read_cells(centre, year, data, errors) -> list[list[str]]:
    from .validation import parse_value

    indicators = {i.code: i for i in Indicator.objects.filter(is_active=True)}
    ctx = LockContext.load(centre, timezone.localdate())
    stored = _stored(centre, year)
    cells = []
    for number, row in data:
        code = spreadsheet.text(row.get("代码"))
        indicator = indicators.get(code)
        if indicator is None:
            errors.append(
                [number, "代码", _("No indicator has the code “%(code)s”.") % {"code": code}]
            )
            continue
        for column in [*MONTH_HEADERS, "全年"]:
            raw = spreadsheet.text(row.get(column))
            if raw == "":
                continue
            period = _period(indicator, year, column)
            if period is None:
                errors.append(
                    [number, column, _("This indicator is reported once a year, in 全年.")]
                )
                continue
            value, error = parse_value(indicator, raw)
            if error:
                errors.append([number, column, error])
                continue
            unchanged = value == stored.get((code, period))
            # A locked month may come back as it was exported; only a change needs it open.
            if not unchanged and (reason := _lock_reason(indicator, period, ctx)):
                errors.append([number, column, reason])
                continue
            cells.append([code, period.isoformat(), raw])
    return cells


def _stored(centre: Centre, year: int) -> dict:
    return {
        (code, period): value
        for code, period, value in TallyValue.objects.filter(
            centre=centre, period__year=year
        ).values_list("indicator__code", "period", "value")
    }


def import_create(
    *, centre: Centre, year: int, filename: str, content: bytes, actor
) -> TallyImport:
    """Read a workbook into a preview; nothing is saved yet."""
    errors: list[list] = []
    cells: list[list[str]] = []
    try:
        header, data = spreadsheet.read_rows(content)
        title = _sheet_title(content)
    except spreadsheet.UnreadableFile:
        header, data, title = [], [], ""
        errors.append([0, "", _("This file cannot be read: upload an Excel workbook (.xlsx).")])
    if title and title.rstrip("年").isdigit() and int(title.rstrip("年")) != year:
        errors.append(
            [0, "", _("The sheet is for %(sheet)s, not %(year)s.") % {"sheet": title, "year": year}]
        )
        header = []
    if header and "代码" not in header:
        errors.append([1, "代码", _("Missing columns: %(names)s.") % {"names": "代码"}])
    elif header:
        cells = _read_cells(centre, year, data, errors)
    return TallyImport.objects.create(
        centre=centre,
        year=year,
        created_by=actor,
        filename=filename[:200],
        cells=cells,
        errors=errors,
        fingerprint=fingerprint(centre, year),
    )


def _sheet_title(content: bytes) -> str:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True)
        title = book.worksheets[0].title
        book.close()
        return title
    except Exception as exc:  # the same damaged files read_rows refuses
        raise spreadsheet.UnreadableFile from exc


@dataclass
class Change:
    code: str
    name: str
    period: dt.date
    old: str | None
    new: str


def import_changes(tally_import: TallyImport) -> tuple[list[Change], int]:
    """What confirming would change, and how many cells it leaves as they are."""
    from .validation import parse_value

    indicators = {i.code: i for i in Indicator.objects.filter(is_active=True)}
    stored = _stored(tally_import.centre, tally_import.year)
    changes, same = [], 0
    for code, period_text, raw in tally_import.cells:
        indicator, period = indicators.get(code), dt.date.fromisoformat(period_text)
        if indicator is None:  # withdrawn from the catalogue since the upload
            continue
        value, _error = parse_value(indicator, raw)
        old = stored.get((code, period))
        if old == value:
            same += 1
        else:
            changes.append(
                Change(code, indicator.name, period, None if old is None else str(old), str(value))
            )
    return changes, same


class ImportRefused(Exception):
    """Nothing was written; the message says why."""


def import_apply(*, tally_import: TallyImport, actor) -> int:
    """Save every changed cell in one transaction (each one audited), or nothing."""
    from .actions import _audit_cell, _plain, _write_cell

    with transaction.atomic():
        Centre.objects.select_for_update().filter(pk=tally_import.centre_id).first()
        locked = TallyImport.objects.select_for_update().get(pk=tally_import.pk)
        if locked.status != TallyImport.Status.PREVIEW:
            raise ImportRefused(_("This file has been imported already."))
        if locked.errors:
            raise ImportRefused(_("Some rows have errors."))
        if fingerprint(locked.centre, locked.year) != locked.fingerprint:
            raise ImportRefused(_("The tallies changed after this preview; upload the file again."))
        changes, _same = import_changes(locked)
        if changes:
            mark_changed(locked.centre_id)
        indicators = {i.code: i for i in Indicator.objects.filter(is_active=True)}
        ctx = LockContext.load(locked.centre, timezone.localdate())
        for change in changes:
            indicator = indicators[change.code]
            if reason := _lock_reason(indicator, change.period, ctx):  # it may have locked since
                raise ImportRefused(f"{change.name} {change.period:%Y-%m}：{reason}")
            value = Decimal(change.new)
            old, _comment = _write_cell(locked.centre, indicator, change.period, value, actor)
            _audit_cell(
                actor,
                locked.centre,
                indicator,
                change.period,
                {"value": [_plain(old), _plain(value)]},
            )
        locked.status = TallyImport.Status.APPLIED
        locked.save(update_fields=["status", "updated_at"])
    return len(changes)
