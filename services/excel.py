"""A centre's year of tallies as XLSX (indicators as rows, months as columns), and back.

Import reads the layout export writes. An empty cell leaves the stored value as it is; every
problem is listed by row and column before anything is written, and nothing is written until
the user confirms. A monthly indicator's 全年 is the year's figure from the figures door, for
reading only: import passes it over (the months are what is stored).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from centers.models import Centre
from core import imports, spreadsheet
from core.audit import audit_bulk, audit_entry
from core.models import ImportJob
from core.periods import Period

from . import figures
from .definitions import in_force
from .locking import LockContext, lock_state, year_lock_state
from .models import Indicator, TallyValue
from .rollups import mark_cells
from .selectors import centre_indicators

MONTH_HEADERS = [f"{m}月" for m in range(1, 13)]
HEADERS = ["代码", "指标", "单位", *MONTH_HEADERS, "全年"]


def _period(indicator: Indicator, year: int, column: str) -> dt.date | None:
    if column == "全年":
        return dt.date(year, 1, 1) if indicator.frequency == Indicator.Frequency.YEARLY else None
    if indicator.frequency == Indicator.Frequency.YEARLY:
        return None
    return dt.date(year, MONTH_HEADERS.index(column) + 1, 1)


def _monthly(indicator: Indicator) -> bool:
    return indicator.frequency == Indicator.Frequency.MONTHLY


def write_year(centre: Centre, year: int) -> bytes:
    """Every active indicator of the catalogue with the centre's values for the year; a monthly
    one's 全年 is its year as the figures page gives it (flows summed, a stock's last month)."""
    values = {
        (code, period): value
        for code, period, value in TallyValue.objects.filter(
            centre=centre, period__year=year
        ).values_list("indicator__code", "period", "value")
    }
    whole = figures.totals(centre_ids=[centre.pk], period=Period.year(year))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{year}年")
    header = []
    for title in HEADERS:
        cell = spreadsheet.text_cell(sheet, title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for indicator in centre_indicators(centre, year):
        row = [indicator.code, indicator.name, indicator.unit]
        for column in [*MONTH_HEADERS, "全年"]:
            period = _period(indicator, year, column)
            value = values.get((indicator.code, period)) if period else None
            if column == "全年" and _monthly(indicator) and indicator.code in whole:
                value = whole[indicator.code].value
            row.append(
                None if value is None else (int(value) if value == int(value) else float(value))
            )
        sheet.append(spreadsheet.text_row(sheet, row))
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
    indicators = {i.code: i for i in centre_indicators(centre, year)}
    ctx = LockContext.load(centre, timezone.localdate())
    stored = _stored(centre, year)
    cells, seen = [], {}
    for number, row in data:
        formulas = [(c, v) for c, v in row.items() if isinstance(v, spreadsheet.Formula)]
        if formulas:
            errors += [[number, c, spreadsheet.formula_message(v)] for c, v in formulas]
            continue
        code = spreadsheet.text(row.get("代码"))
        indicator = indicators.get(code)
        if indicator is None:
            errors.append(
                [number, "代码", _("No indicator has the code “%(code)s”.") % {"code": code}]
            )
            continue
        if code in seen:  # two rows for one indicator: which value was meant is not ours to guess
            errors.append(
                [number, "代码", _("The same code is on row %(n)s too.") % {"n": seen[code]}]
            )
            continue
        seen[code] = number
        # A monthly indicator's 全年 is computed from its months (write_year): nothing to store.
        columns = MONTH_HEADERS if _monthly(indicator) else [*MONTH_HEADERS, "全年"]
        for column in columns:
            raw = spreadsheet.text(row.get(column))
            if raw == "":
                continue
            period, error = _read_cell(indicator, year, column, raw, stored, ctx)
            if error:
                errors.append([number, column, error])
            else:
                cells.append([code, period.isoformat(), raw])
    return cells


def _read_cell(indicator, year, column, raw, stored, ctx) -> tuple[dt.date | None, str]:
    """One typed cell's month, or why it cannot be imported."""
    from .validation import parse_value

    period = _period(indicator, year, column)
    if period is None:
        return None, _("This indicator is reported once a year, in 全年.")
    last = period.replace(month=12) if column == "全年" else period
    if not in_force(indicator, period, last):  # retired, or not yet in force then
        return None, _("This indicator is not in force in that month.")
    value, error = parse_value(indicator, raw)
    if error:
        return None, error
    unchanged = value == stored.get((indicator.code, period))
    # A locked month may come back as it was exported; only a change needs it open.
    if not unchanged and (reason := _lock_reason(indicator, period, ctx)):
        return None, reason
    return period, ""


def _stored(centre: Centre, year: int) -> dict:
    return {
        (code, period): value
        for code, period, value in TallyValue.objects.filter(
            centre=centre, period__year=year
        ).values_list("indicator__code", "period", "value")
    }


def _check_file(content: bytes, year: int) -> list:
    """The data rows of a year's workbook, or Refused saying what is wrong with the file."""
    try:
        header, data = spreadsheet.read_rows(content)
        title = _sheet_title(content)
    except spreadsheet.UnreadableFile as exc:
        raise imports.Refused(
            _("This file cannot be read: upload an Excel workbook (.xlsx).")
        ) from exc
    if title and title.rstrip("年").isdigit() and int(title.rstrip("年")) != year:
        raise imports.Refused(
            _("The sheet is for %(sheet)s, not %(year)s.") % {"sheet": title, "year": year}
        )
    if "代码" not in header:
        raise imports.Refused(_("Missing columns: %(names)s.") % {"names": "代码"})
    return data


def check(job: ImportJob, content: bytes, progress) -> None:
    """Read a workbook into a plan: every problem by row and column, and every changed cell."""
    year = job.params["year"]
    errors: list[list] = []
    data = _check_file(content, year)
    progress(0, len(data))
    cells = _read_cells(job.centre, year, data, errors)
    changes, same = _changes(job.centre, year, cells)
    job.plan = {
        "year": year,
        "cells": cells,
        "row_errors": errors,
        "bad_rows": len(errors),
        "changes": [[c.code, c.name, c.period.isoformat(), c.old, c.new] for c in changes],
        "same": same,
    }
    job.fingerprint = fingerprint(job.centre, year)


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


def planned_changes(job: ImportJob) -> list[Change]:
    """The changed cells as the check found them, for the preview."""
    return [
        Change(code, name, dt.date.fromisoformat(period), old, new)
        for code, name, period, old, new in job.plan.get("changes", [])
    ]


def _changes(centre: Centre, year: int, cells: list) -> tuple[list[Change], int]:
    """What writing the cells would change, and how many it leaves as they are.

    Old and new read alike, as the grid shows them (59.00 and 59 are both "59").
    """
    from .actions import _plain
    from .validation import parse_value

    indicators = {i.code: i for i in centre_indicators(centre, year)}
    stored = _stored(centre, year)
    changes, same = [], 0
    for code, period_text, raw in cells:
        indicator, period = indicators.get(code), dt.date.fromisoformat(period_text)
        if indicator is None:  # withdrawn from the catalogue since the upload
            continue
        value, _error = parse_value(indicator, raw)
        old = stored.get((code, period))
        if old == value:
            same += 1
        else:
            changes.append(Change(code, indicator.name, period, _plain(old), _plain(value) or ""))
    return changes, same


def apply(job: ImportJob, actor, progress) -> dict[str, int]:
    """Save every changed cell in bulk (each one audited), or nothing."""
    from .actions import _plain

    centre, year = job.centre, job.params["year"]
    Centre.objects.select_for_update().filter(pk=centre.pk).first()
    if fingerprint(centre, year) != job.fingerprint:
        raise imports.Refused(_("The tallies changed after this preview; upload the file again."))
    changes, _same = _changes(centre, year, job.plan.get("cells", []))
    indicators = {i.code: i for i in centre_indicators(centre, year)}
    ctx = LockContext.load(centre, timezone.localdate())
    existing = {
        (v.indicator_id, v.period): v
        for v in TallyValue.objects.filter(centre=centre, period__year=year)
    }
    now, created, updated, entries = timezone.now(), [], [], []
    for change in changes:
        indicator = indicators[change.code]
        if reason := _lock_reason(indicator, change.period, ctx):  # it may have locked since
            raise imports.Refused(f"{change.name} {change.period:%Y-%m}：{reason}")
        value = Decimal(change.new)
        cell = existing.get((indicator.pk, change.period))
        old = cell.value if cell else None
        if cell is None:
            cell = TallyValue(centre=centre, indicator=indicator, period=change.period)
            created.append(cell)
        else:
            updated.append(cell)
        cell.value, cell.updated_by, cell.updated_at = value, actor, now
        target = TallyValue(
            pk=f"{indicator.code}@{change.period:%Y-%m}",
            centre=centre,
            indicator=indicator,
            period=change.period,
        )
        entries.append(
            audit_entry(
                actor=actor,
                action="services.tally.changed",
                target=target,
                centre=centre,
                changes={"value": [_plain(old), _plain(value)]},
            )
        )
    TallyValue.objects.bulk_create(created, batch_size=1000)
    TallyValue.objects.bulk_update(updated, ["value", "updated_by", "updated_at"], batch_size=500)
    audit_bulk(entries)
    if changes:
        mark_cells(centre.pk, [(c.period, indicators[c.code].pk) for c in changes])
    return {"saved": len(changes)}


def register() -> None:
    """A year of tallies is a kind of import (core/imports.py)."""
    imports.register(imports.Kind(name="tallies", check=check, apply=apply))
