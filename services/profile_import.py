"""A file imported through an import profile: a kind of the one import pipeline (core/imports.py).

The check reads the file with the profile (services/profile_files.py) down to its footer
(制表人, 审核人 …), matches each row's centre among the centres the uploader may enter data for
(another centre's row is ignored, and said) and its month, makes each centre's month one row (its
only row, or as the profile's `rows_combine` says: its 合计 row or the rows added up; a month
broken down without that setting refuses the file), and asks the values engine
(services/value_sets.py) for a dry run. The preview then names every column the profile does not
import, every row whose centre or month cannot be matched, every value that cannot be read or
that the grid would refuse, every locked, approved or future month (a conflict, with the reason),
the totals rows, and each cell that would change (old → new). Confirming applies the same rows
through the engine, all or nothing unless the person chose to import the rest; a combined month
is one value per cell, so no choice writes a part of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from centers.models import Centre
from centers.selectors import user_places
from core import imports, spreadsheet
from core.models import ImportJob
from core.periods import month_start

from .definitions import centre_path, owned_on
from .models import ImportProfile, Indicator, TallyValue
from .profile_files import (
    Column,
    Header,
    Spec,
    find_header,
    footer_text,
    is_total_row,
    name_cell,
    normal_code,
    normal_name,
    parse_period,
    period_message,
    plain,
    read_table,
    read_value,
)
from .profile_selectors import writable_centres

KIND = "profile"
SHOWN = 500  # rows of a list the preview shows; the rest are counted


def import_start(*, centre: Centre, actor, profile, ref: str, month, upload) -> ImportJob:
    """Store the file with its own copy of the profile and queue its check."""
    params = {
        "profile": Spec.of(profile).to_json(),
        "ref": ref,
        "month": month.isoformat() if month else None,
    }
    return imports.import_start(kind=KIND, centre=centre, params=params, upload=upload, actor=actor)


def recent_jobs(*, centre: Centre, n: int = 5):
    return imports.recent_jobs(centre=centre, kind=KIND, n=n)


# --- reading the file ------------------------------------------------------------------------


@dataclass
class _Row:
    """A data row as read: its values (column, indicator, text), the errors of its cells, and
    the indicators whose cell could not be read."""

    number: int
    values: list
    errors: list  # [line, column, message]
    bad: set = field(default_factory=set)


@dataclass
class _Reading:
    """What the check collects while reading the rows."""

    rows: list[list] = field(default_factory=list)  # [line, centre id, code, period, value]
    row_errors: list[list] = field(default_factory=list)  # [line, column, message]
    # Refused before the engine, once for a row: [line(s), centre, what, month, reason].
    conflicts: list[list] = field(default_factory=list)
    totals: list[list] = field(default_factory=list)  # [line, text]
    foreign: list[list] = field(default_factory=list)  # [line, centre name]: not the uploader's
    combined: list[list] = field(default_factory=list)  # [lines, centre, month, how]
    notices: list[str] = field(default_factory=list)
    footer: list = field(default_factory=list)  # [line, text, rows below it not read]
    labels: dict = field(default_factory=dict)  # a summed month's first line → "4–6"
    empty: int = 0
    seen: dict = field(default_factory=dict)  # (centre, code, period) → line
    # The rows of each centre and month, and the totals rows that sum them (a 科室 breakdown).
    groups: dict = field(default_factory=dict)  # (centre id, month) → [_Row]
    group_totals: dict = field(default_factory=dict)  # (centre id, month) → [(line, cells)]
    centres: dict = field(default_factory=dict)  # centre id → Centre


def _columns(header: Header, spec: Spec, indicators: dict[str, Indicator]):
    """(value columns, role columns, what the preview says about the others)."""
    by_key: dict[str, list[Column]] = {}
    for column in header.columns:
        if column.key:
            by_key.setdefault(column.key, []).append(column)
    known = spec.known_keys()
    for key, found in by_key.items():
        if key in known and len(found) > 1:
            letters = "、".join(c.letter for c in found)
            raise imports.Refused(
                _(
                    "The column “%(name)s” appears more than once (columns %(letters)s): which one "
                    "holds the figures is not ours to guess."
                )
                % {"name": found[0].label, "letters": letters}
            )
    roles = {role: by_key[key][0] for role, key in spec.role_keys().items() if key in by_key}
    values, notes = [], {"ignored": [], "missing": [], "unknown_indicator": []}
    for mapping in spec.mappings:
        column = by_key.get(mapping.key, [None])[0]
        if column is None:
            notes["missing"].append(mapping.header)
        elif not mapping.indicator:
            notes["ignored"].append(column.shown)
        elif mapping.indicator not in indicators:
            notes["unknown_indicator"].append([column.shown, mapping.indicator])
        else:
            values.append((column, mapping, indicators[mapping.indicator]))
    return values, roles, notes


def _filled(cells: list, index: int) -> bool:
    return index < len(cells) and bool(spreadsheet.text(cells[index]))


def _unmapped(header: Header, spec: Spec, data: list) -> list[str]:
    """Every column the profile does not know: by its header, or by letter when it has none
    but holds something."""
    known = spec.known_keys()
    names = []
    for column in header.columns:
        if column.key in known:
            continue
        titled = column.key and not column.key.startswith("\x00")
        if titled or any(_filled(cells, column.index) for _n, cells in data):
            names.append(column.shown)
    return names


class _Centres:
    """The centres a multi-centre file's rows may name. Rows go only to those the uploader may
    write; a row naming another centre of the system (a district's file holds them all) is
    ignored, and said; a name or code matching no centre is a problem (a typo of one's own)."""

    def __init__(self, writable: list[Centre], every: list[Centre]):
        self.writable = {c.pk for c in writable}
        # The uploader's own centres win a name another centre shares.
        ordered = [*every, *writable]
        self.by_code = {normal_code(c.credit_code): c for c in ordered if c.credit_code}
        self.by_name = {normal_name(c.name): c for c in ordered}

    def match(self, code: str, name: str) -> tuple[Centre | None, str]:
        """The centre the row names (one the uploader may not write too), or why none."""
        by_code = self.by_code.get(normal_code(code)) if code else None
        by_name = self.by_name.get(normal_name(name)) if name else None
        if by_code is not None:
            if by_name is not None and by_name.pk != by_code.pk:
                return None, _("The credit code %(code)s is %(a)s's, but the name says %(b)s.") % {
                    "code": code,
                    "a": by_code.name,
                    "b": by_name.name,
                }
            return by_code, ""
        if by_name is not None and not (code and by_name.credit_code):
            return by_name, ""  # no code in the file, or none stored to compare it with
        shown = "、".join(t for t in (name, code) if t) or "—"
        return None, _("“%(centre)s” is not a centre you may enter data for.") % {"centre": shown}


def _row_centre(cells, roles, centres, fixed) -> tuple[Centre | None, str, str]:
    """(centre, column, error) of one row: the job's centre, or the one it names."""
    if centres is None:
        return fixed, "", ""
    texts = {}
    for role in ("code", "name"):
        column = roles.get(role)
        if column is None:
            texts[role] = ""
            continue
        value = cells[column.index] if column.index < len(cells) else None
        text, error = name_cell(value)
        if error:
            return None, column.shown, error
        texts[role] = text
    centre, error = centres.match(texts["code"], texts["name"])
    column = roles.get("name") or roles.get("code")
    return centre, column.shown if column else "", error


def _row_period(cells, roles, fixed) -> tuple[dt.date | None, str, str]:
    column = roles.get("period")
    if column is None:
        return fixed, "", ""
    value = cells[column.index] if column.index < len(cells) else None
    if isinstance(value, spreadsheet.Formula):
        return None, column.shown, spreadsheet.formula_message(value)
    try:
        return parse_period(value), "", ""
    except (ValueError, OverflowError):
        return None, column.shown, period_message(spreadsheet.text(value))


def _read_cells(number: int, cells: list, ctx) -> _Row:
    row = _Row(number, [], [])
    for column, mapping, indicator in ctx.values:
        value = cells[column.index] if column.index < len(cells) else None
        text, error = read_value(value, mapping, indicator.whole_numbers)
        if error:
            row.errors.append([number, column.shown, error])
            row.bad.add(indicator.code)
        elif text is not None:
            row.values.append((column, indicator, text))
    return row


def _read_row(number, cells, ctx, reading: _Reading) -> None:
    """One data row into its centre's and month's group, or its errors into row_errors."""
    row = _read_cells(number, cells, ctx)
    if not row.values and not row.errors:
        reading.empty += 1  # a blank or a note line: nothing to import
        return
    centre, where, error = _row_centre(cells, ctx.roles, ctx.centres, ctx.centre)
    if error:
        reading.row_errors.append([number, where, error])
        return
    if not ctx.may_write(centre):
        reading.foreign.append([number, centre.name])
        return
    period, where, error = _row_period(cells, ctx.roles, ctx.month)
    if error:
        reading.row_errors.append([number, where, error])
        return
    reading.centres[centre.pk] = centre
    reading.groups.setdefault((centre.pk, period), []).append(row)


def _totals_key(cells, ctx, reading: _Reading) -> tuple[int, dt.date] | None:
    """The centre and month a totals row sums (the 合计 under a month's 科室 rows), or None
    for a sum across centres or months (a district's or a half-year's grand total)."""
    centre, _where, error = _row_centre(cells, ctx.roles, ctx.centres, ctx.centre)
    if error or centre is None or not ctx.may_write(centre):
        return None
    period, _where, error = _row_period(cells, ctx.roles, ctx.month)
    if error or period is None:
        return None
    reading.centres[centre.pk] = centre
    return centre.pk, period


def _emit(row: _Row, centre: Centre, period: dt.date, reading: _Reading) -> None:
    """A centre's month, one row (or the rows made one), into the rows for the engine."""
    reading.row_errors += row.errors
    for column, indicator, text in row.values:
        month = (
            period.replace(month=1) if indicator.frequency == Indicator.Frequency.YEARLY else period
        )
        key = (centre.pk, indicator.code, month)
        if key in reading.seen:
            reading.row_errors.append(
                [
                    row.number,
                    column.shown,
                    _("The same centre, indicator and month are on row %(n)s.")
                    % {"n": reading.seen[key]},
                ]
            )
            continue
        reading.seen[key] = row.number
        reading.rows.append([row.number, centre.pk, indicator.code, month.isoformat(), text])


def _lines(numbers: list[int]) -> str:
    """4、5、6 as “4–6”; others listed."""
    numbers = sorted(numbers)
    if len(numbers) > 2 and numbers[-1] - numbers[0] == len(numbers) - 1:
        return f"{numbers[0]}–{numbers[-1]}"
    return "、".join(str(n) for n in numbers)


def _summed(rows: list[_Row]) -> _Row:
    """The rows of a month added up, column by column. A column with a cell that cannot be
    read is not summed at all (its errors say so): a sum of some rows is no month's figure."""
    lines = _lines([r.number for r in rows])
    bad = set().union(*(r.bad for r in rows))
    sums: dict[str, list] = {}
    for row in rows:
        for column, indicator, text in row.values:
            if indicator.code not in bad:
                entry = sums.setdefault(indicator.code, [column, indicator, Decimal(0)])
                entry[2] += Decimal(text)
    note = _("rows %(lines)s are added up: this column is not imported for the month") % {
        "lines": lines
    }
    errors = [[n, column, f"{message}（{note}）"] for r in rows for n, column, message in r.errors]
    values = [(column, indicator, plain(total)) for column, indicator, total in sums.values()]
    return _Row(rows[0].number, values, errors, bad)


def _mismatches(rows: list[_Row], total: _Row, used_total: bool) -> list[str]:
    """Where a 合计 row and the rows above it disagree (either may be the one typed wrong)."""
    added = _summed(rows)
    sums = {i.code: (i, Decimal(t)) for _c, i, t in added.values}
    stated = {i.code: (i, Decimal(t)) for _c, i, t in total.values}
    notes = []
    for code in dict.fromkeys([*stated, *sums]):
        if code in added.bad or code in total.bad:
            continue
        indicator = (stated.get(code) or sums[code])[0]
        a = stated[code][1] if code in stated else None
        b = sums[code][1] if code in sums else None
        if a != b:
            notes.append(
                _(
                    "Rows %(lines)s, %(indicator)s: the 合计 row (row %(total_line)s) says "
                    "%(total)s, the rows add up to %(sum)s; %(used)s is imported."
                )
                % {
                    "lines": _lines([r.number for r in rows]),
                    "indicator": indicator.name,
                    "total_line": total.number,
                    "total": plain(a) if a is not None else "—",
                    "sum": plain(b) if b is not None else "—",
                    "used": _("the 合计 row's") if used_total else _("the sum"),
                }
            )
    return notes


SETTING = _lazy("several rows of one centre and month")


def _combine(reading: _Reading, ctx: _Context, mode: str, today: dt.date) -> None:
    """Each centre's month as one row: its only row, its 合计 row or its rows added up, as the
    profile says. Never one row of several as the whole: without a setting (or without the
    合计 row the setting takes) the file is refused, naming the setting."""
    refusals = []
    # A centre's month may be a 合计 row alone (no 科室 rows above it): that row is the month.
    for key in dict.fromkeys([*reading.groups, *reading.group_totals]):
        if refusal := _combine_month(reading, ctx, key, mode, today):
            refusals.append(refusal)
    if refusals:
        more = len(refusals) - 1
        tail = (" " + _("%(n)s more centres' months are written so.") % {"n": more}) if more else ""
        raise imports.Refused(refusals[0] + tail)


def _combine_month(reading: _Reading, ctx: _Context, key: tuple, mode: str, today) -> str:
    """One centre's month into the rows for the engine: "" once done, else why the file is
    refused."""
    centre, period = reading.centres[key[0]], key[1]
    rows = reading.groups.get(key, [])
    totals = reading.group_totals.get(key, [])
    lines = _lines([r.number for r in rows] or [line for line, _cells in totals])
    month = f"{period:%Y-%m}"
    words = {
        "lines": lines,
        "centre": centre.name,
        "month": date_format(period, "YEAR_MONTH_FORMAT"),
    }
    if period > month_start(today):  # the grid opens no month before it begins
        what = _("every value of the row") if len(rows) < 2 else _("every value of the rows")
        reading.conflicts.append([lines, centre.name, what, month, _("This month has not begun.")])
        return ""
    if totals and (mode == ImportProfile.RowsCombine.TOTAL or not rows):
        if len(totals) > 1:
            return _many_totals(totals, words)
        line, cells = totals[0]
        total = _read_cells(line, cells, ctx)
        how = _("the 合计 row (row %(n)s) imported") % {"n": line}
        reading.combined.append([lines, centre.name, month, how])
        if rows:
            reading.notices += _mismatches(rows, total, used_total=True)
        _emit(total, centre, period, reading)
    elif len(rows) == 1:
        _emit(rows[0], centre, period, reading)
    elif mode == ImportProfile.RowsCombine.SUM:
        reading.combined.append([lines, centre.name, month, _("added up")])
        reading.labels[rows[0].number] = lines
        for line, cells in totals[:1]:
            total = _read_cells(line, cells, ctx)
            reading.notices += _mismatches(rows, total, used_total=False)
        _emit(_summed(rows), centre, period, reading)
    elif mode == ImportProfile.RowsCombine.TOTAL:
        return _no_total(words)
    else:
        return _unset(words)
    return ""


def _unset(words: dict) -> str:
    return _(
        "Rows %(lines)s all hold %(centre)s's figures for %(month)s: the file breaks the month "
        "down (by 科室 or the like), and no one of these rows is the month's figure. Set "
        "“%(setting)s” in the import profile: use the 合计 row, or add the rows up."
    ) % {**words, "setting": SETTING}


def _no_total(words: dict) -> str:
    return _(
        "Rows %(lines)s all hold %(centre)s's figures for %(month)s, and no 合计 row of theirs "
        "follows, which the profile's “%(setting)s” takes: add the 合计 row to the file, or set "
        "the profile to add the rows up."
    ) % {**words, "setting": SETTING}


def _many_totals(totals: list, words: dict) -> str:
    return _(
        "Rows %(totals)s are all 合计 rows of %(centre)s for %(month)s: which one is the "
        "month's figure is not ours to guess."
    ) % {**words, "totals": _lines([line for line, _cells in totals])}


@dataclass
class _Context:
    values: list
    roles: dict
    centres: _Centres | None
    centre: Centre
    month: dt.date | None

    def may_write(self, centre: Centre) -> bool:
        return self.centres is None or centre.pk in self.centres.writable


def _indicators(centre: Centre) -> dict[str, Indicator]:
    """Indicators a profile may name for this centre (in force per month: the engine's check)."""
    path = centre_path(centre)
    return {i.code: i for i in Indicator.objects.filter(is_active=True) if owned_on(i, path)}


def _table_end(data: list, values: list) -> tuple[list, list]:
    """The data rows down to a footer line (制表人, 审核人, 填表日期 …: the table ends there),
    and [line, text, rows below it] of that footer ([] when there is none)."""
    indexes = [column.index for column, _m, _i in values]
    for position, (number, cells) in enumerate(data):
        if text := footer_text(cells, indexes):
            return data[:position], [number, text, len(data) - position - 1]
    return data, []


def check(job: ImportJob, content: bytes, progress) -> None:
    """Read the file through the job's copy of the profile into a plan the preview shows."""
    spec = Spec.from_json(job.params["profile"])
    table = read_table(content, spec.file_type)
    header = find_header(table, spec)
    data = [(n, cells) for n, cells in table.rows if n > header.last]
    progress(0, len(data))
    indicators = _indicators(job.centre)
    values, roles, notes = _columns(header, spec, indicators)
    _require_roles(spec, roles)
    month = dt.date.fromisoformat(job.params["month"]) if job.params.get("month") else None
    places = user_places(job.created_by)
    every = list(Centre.objects.only("pk", "name", "credit_code")) if spec.multi_centre else []
    ctx = _Context(
        values=values,
        roles=roles,
        centres=_Centres(writable_centres(places), every) if spec.multi_centre else None,
        centre=job.centre,
        month=month,
    )
    data, footer = _table_end(data, values)
    label_indexes = [c.index for c in roles.values()]
    value_indexes = [column.index for column, _m, _i in values]
    reading = _Reading(footer=footer)
    for number, cells in data:
        if total := is_total_row(cells, header.columns, label_indexes, value_indexes):
            reading.totals.append([number, total])
            if (key := _totals_key(cells, ctx, reading)) is not None:
                reading.group_totals.setdefault(key, []).append((number, cells))
            continue
        _read_row(number, cells, ctx, reading)
    _combine(reading, ctx, spec.rows_combine, timezone.localdate())
    reading.rows.sort(key=lambda row: row[0])
    reading.row_errors.sort(key=lambda error: error[0])
    job.plan = _plan(job, spec, header, table, data, notes, reading)
    job.fingerprint = fingerprint(reading.rows)


def _require_roles(spec: Spec, roles: dict) -> None:
    """A month column or centre columns the profile reads must be in the file."""
    if spec.period_column and "period" not in roles:
        raise imports.Refused(
            _("The file has no column “%(name)s”, where this profile reads the month.")
            % {"name": spec.period_column}
        )
    if spec.multi_centre and not ({"code", "name"} & set(roles)):
        names = "、".join(h for h in (spec.centre_code_column, spec.centre_name_column) if h)
        raise imports.Refused(
            _("The file has no column “%(name)s”, where this profile reads the centre.")
            % {"name": names}
        )


def _plan(job, spec, header, table, data, notes, reading: _Reading) -> dict:
    centres = {c.pk: c for c in Centre.objects.filter(pk__in={r[1] for r in reading.rows})}
    summary = _dry_run(job, reading.rows, centres)
    for entry in summary["changes"] + summary["conflicts"]:  # a sum is of rows 4–6, not row 4
        entry[0] = reading.labels.get(entry[0], entry[0])
    summary["conflicts"] = reading.conflicts + summary["conflicts"]
    return {
        "rows": reading.rows,
        "header_row": header.number,
        "header_rows": header.rows,
        "encoding": table.encoding,
        "unmapped": _unmapped(header, spec, data),
        **notes,
        "notices": header.notices + _encoding_notice(spec, table) + reading.notices,
        "totals": reading.totals,
        "combined": reading.combined,
        "foreign": reading.foreign,
        "footer": reading.footer,
        "empty": reading.empty,
        "row_errors": reading.row_errors,
        "centres": {str(pk): c.name for pk, c in centres.items()},
        **summary,
    }


ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "gb18030": "GB18030"}


def _encoding_notice(spec: Spec, table) -> list[str]:
    """Said when a CSV file was not in the encoding its profile expects (it was read anyway)."""
    read = ENCODING_NAMES.get(table.encoding, "")
    expected = ENCODING_NAMES.get(spec.encoding, "")
    if not read or not expected or read == expected:
        return []
    return [
        _("The profile expects %(expected)s text; this file was read as %(read)s.")
        % {"expected": expected, "read": read}
    ]


# --- the values engine -------------------------------------------------------------------------


def _value_rows(rows: list, centres: dict[int, Centre]):
    from .value_sets import ValueRow

    return [
        ValueRow(
            centre=centres[centre_id],
            indicator=code,
            period=period[:4] if _yearly(code) else period[:7],
            value=value,
            line=line,
        )
        for line, centre_id, code, period, value in rows
        if centre_id in centres
    ]


def _yearly(code: str) -> bool:
    from .selectors import cell_catalogue

    indicator = cell_catalogue().indicators.get(code)
    return indicator is not None and indicator.frequency == Indicator.Frequency.YEARLY


def _dry_run(job: ImportJob, rows: list, centres: dict[int, Centre]) -> dict:
    """What the engine would do with the rows, as JSON for the preview."""
    from .value_sets import value_set_import

    summary = value_set_import(
        rows=_value_rows(rows, centres), actor=job.created_by, dry_run=True, atomic=False
    )
    return _summary_json(summary, centres)


def _summary_json(summary, centres: dict[int, Centre]) -> dict:
    """Changes and conflicts by row, centre and indicator names as the page shows them."""
    from .selectors import cell_catalogue

    names = {c.slug: c.name for c in centres.values()}
    indicators = cell_catalogue().indicators
    changes = [
        [c.line, c.centre.name, c.indicator.name, c.period_text, _shown(c.old), _shown(c.new)]
        for c in summary.changes
    ]
    conflicts = [
        [
            c.line,
            names.get(c.centre, c.centre),
            getattr(indicators.get(c.indicator), "name", c.indicator),
            c.period,
            c.reason,
        ]
        for c in summary.conflicts
    ]
    return {
        "changes": changes,
        "conflicts": conflicts,
        "same": summary.rows - len(summary.changes) - len(summary.conflicts),
    }


def _shown(value) -> str:
    from .actions import _plain

    return _plain(value) or ""


def fingerprint(rows: list) -> str:
    """Changes whenever anyone saves a value of the centres and years the rows touch."""
    if not rows:
        return "0|None"
    ids = {centre_id for _l, centre_id, _c, _p, _v in rows}
    years = {int(period[:4]) for _l, _c, _i, period, _v in rows}
    # The centres' years as a block (a superset of the cells): one short query.
    agg = TallyValue.objects.filter(centre_id__in=ids, period__year__in=years).aggregate(
        n=Count("id"), t=Max("updated_at")
    )
    return f"{agg['n']}|{agg['t']}"


def problems(job: ImportJob) -> int:
    """Rows or values the import cannot take as they are (all-or-nothing refuses them)."""
    plan = job.plan
    return len(plan.get("row_errors", [])) + len(plan.get("conflicts", []))


def apply(job: ImportJob, actor, progress) -> dict[str, int]:
    """Write the previewed rows through the engine: all or nothing, unless the person chose to
    import the rows without problems; refused when the tallies moved since the preview."""
    from .value_sets import value_set_import

    rows = job.plan.get("rows", [])
    partial = bool(job.result.get("partial"))
    if problems(job) and not partial:
        raise imports.Refused(_("Some rows have problems: correct the file, or import the rest."))
    if fingerprint(rows) != job.fingerprint:
        raise imports.Refused(_("The tallies changed after this preview; upload the file again."))
    centres = {c.pk: c for c in Centre.objects.filter(pk__in={r[1] for r in rows})}
    summary = value_set_import(
        rows=_value_rows(rows, centres), actor=actor, dry_run=False, atomic=not partial
    )
    if summary.refused:
        first = summary.conflicts[0]
        raise imports.Refused(f"{first.centre} {first.indicator} {first.period}：{first.reason}")
    return {
        "imported": summary.imported,
        "updated": summary.updated,
        "refused": len(summary.conflicts),
        "skipped": len(job.plan.get("row_errors", [])),
    }


def register() -> None:
    """A file read through an import profile is a kind of import (core/imports.py)."""
    imports.register(
        imports.Kind(name=KIND, check=check, apply=apply, formats=(imports.XLSX, imports.CSV))
    )
