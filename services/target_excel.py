"""A commission's annual targets as XLSX (one row per centre and indicator), and back through the
one import pipeline (core/imports.py).

Columns 中心 (the centre's name), 指标 (name or code) and 年度任务; the export adds the progress
columns, which the import ignores, so an exported sheet comes back as it went. Every row that
cannot be read (a centre not of this commission, an unknown indicator, a bad number, a repeated
pair) is listed with its number; nothing is written until the whole preview is confirmed.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from centers.models import Authority, Centre
from centers.selectors import user_places
from core import imports, spreadsheet
from core.audit import audit_bulk, audit_entry
from core.models import ImportJob

from .models import Target
from .targets import parse_target, plain, target_refusal, targetable_indicators

KIND = "targets"
COLUMNS = ["中心", "指标", "年度任务"]
PROGRESS_COLUMNS = ["代码", "单位", "累计", "完成率(%)", "序时进度(%)", "落后"]


def _number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == int(value) else float(value)


def write_targets(*, authority_id: int, centres: list[Centre], year: int, progress: dict) -> bytes:
    """Every target of these centres in the year with its progress (from the figures door)."""
    indicators = {i.code: i for i in targetable_indicators(authority_id, year)}
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{year}年")
    header = []
    for title in [*COLUMNS, *PROGRESS_COLUMNS]:
        cell = spreadsheet.text_cell(sheet, title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for centre in centres:
        for code, indicator in indicators.items():
            p = progress.get((centre.pk, code))
            if p is None:
                continue
            row = [
                centre.name,
                indicator.name,
                _number(p.target),
                code,
                indicator.unit,
                _number(p.done),
                _number(p.completion),
                _number(p.time_share),
                "落后" if p.behind else "",
            ]
            sheet.append(spreadsheet.text_row(sheet, row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- import ------------------------------------------------------------------------------------


def import_start(*, authority: Authority, year: int, upload, actor) -> ImportJob:
    """Store the file and queue its check: a job of the commission's."""
    if not Centre.objects.filter(sponsor=authority).exists():
        raise imports.Refused(_("This commission sponsors no centre to set targets for."))
    return imports.import_start(
        kind=KIND, authority=authority, params={"year": year}, upload=upload, actor=actor
    )


def recent_jobs(*, authority: Authority, n: int = 5):
    """The commission's last target imports, for the upload page (one query)."""
    return ImportJob.objects.filter(kind=KIND, authority=authority).select_related("created_by")[:n]


def _centres(job: ImportJob) -> list[Centre]:
    return list(Centre.objects.filter(sponsor_id=job.authority_id).select_related("sponsor"))


def fingerprint(centre_ids: list[int], year: int) -> str:
    """Changes whenever anyone sets a target of these centres for that year."""
    agg = Target.objects.filter(centre_id__in=centre_ids, year=year).aggregate(
        n=Count("id"), t=Max("updated_at")
    )
    return f"{agg['n']}|{agg['t']}"


def _read_file(content: bytes) -> list:
    try:
        header, data = spreadsheet.read_rows(content)
    except spreadsheet.UnreadableFile as exc:
        raise imports.Refused(
            _("This file cannot be read: upload an Excel workbook (.xlsx).")
        ) from exc
    if missing := [c for c in COLUMNS if c not in header]:
        raise imports.Refused(_("Missing columns: %(names)s.") % {"names": "、".join(missing)})
    return data


def _read_row(number, row, centres, indicators, refusals, seen) -> tuple[list | None, list]:
    """One data row as [centre id, code, raw], or its errors as [row, column, message]."""
    if formulas := [(c, v) for c, v in row.items() if isinstance(v, spreadsheet.Formula)]:
        return None, [[number, c, spreadsheet.formula_message(v)] for c, v in formulas]
    name, which = spreadsheet.text(row.get("中心")), spreadsheet.text(row.get("指标"))
    errors = []
    centre = centres.get(name)
    if centre is None:
        errors.append(
            [number, "中心", _("“%(name)s” is not a centre of this commission.") % {"name": name}]
        )
    elif refusals.get(centre.pk):
        errors.append([number, "中心", refusals[centre.pk]])
    indicator = indicators.get(which)
    if indicator is None:
        errors.append(
            [
                number,
                "指标",
                _("No indicator that takes an annual target is called “%(name)s”.")
                % {"name": which},
            ]
        )
    raw = spreadsheet.text(row.get("年度任务"))
    if indicator is not None:
        value, error = parse_target(indicator, raw)
        if value is None:
            errors.append([number, "年度任务", error or _("Type the annual target.")])
    if errors:
        return None, errors
    key = (centre.pk, indicator.code)
    if key in seen:
        return None, [[number, "指标", _("The same pair is on row %(n)s too.") % {"n": seen[key]}]]
    seen[key] = number
    return [centre.pk, indicator.code, raw], []


def check(job: ImportJob, content: bytes, progress) -> None:
    """Read a workbook into a plan: every problem by row, and every changed target."""
    year = job.params["year"]
    data = _read_file(content)
    progress(0, len(data))
    centres = _centres(job)
    by_name = {c.name: c for c in centres}
    indicators = {}
    for i in targetable_indicators(job.authority_id, year):
        indicators[i.name] = indicators[i.code] = i
    places = user_places(job.created_by)
    refusals = {c.pk: target_refusal(places, c) for c in centres}
    rows, errors, seen = [], [], {}
    for number, row in data:
        read, problems = _read_row(number, row, by_name, indicators, refusals, seen)
        errors += problems
        if read:
            rows.append(read)
    changes, same = _changes(job.authority_id, centres, year, rows)
    job.plan = {
        "year": year,
        "rows": rows,
        "row_errors": errors,
        "bad_rows": len({e[0] for e in errors}),
        "changes": changes,
        "same": same,
    }
    job.fingerprint = fingerprint([c.pk for c in centres], year)


def _changes(authority_id: int, centres: list[Centre], year: int, rows: list) -> tuple[list, int]:
    """[centre id, centre name, code, indicator name, old, new] of each target that would
    change, and how many stay as they are."""
    names = {c.pk: c.name for c in centres}
    indicators = {i.code: i for i in targetable_indicators(authority_id, year)}
    stored = {
        (c, code): v
        for c, code, v in Target.objects.filter(centre_id__in=list(names), year=year).values_list(
            "centre_id", "indicator__code", "value"
        )
    }
    changes, same = [], 0
    for centre_id, code, raw in rows:
        indicator = indicators.get(code)
        if indicator is None or centre_id not in names:  # gone since the upload
            continue
        value, _error = parse_target(indicator, raw)
        old = stored.get((centre_id, code))
        if old == value:
            same += 1
        else:
            changes.append(
                [centre_id, names[centre_id], code, indicator.name, plain(old), plain(value)]
            )
    return changes, same


def apply(job: ImportJob, actor, progress) -> dict[str, int]:
    """Save every changed target in bulk (each one audited), or nothing."""
    year, centres = job.params["year"], _centres(job)
    ids, by_pk = [c.pk for c in centres], {c.pk: c for c in centres}
    list(Centre.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
    if fingerprint(ids, year) != job.fingerprint:
        raise imports.Refused(_("The targets changed after this preview; upload the file again."))
    authority_id = job.authority_id
    changes, _same = _changes(authority_id, centres, year, job.plan.get("rows", []))
    places = user_places(actor)
    for centre in {by_pk[ch[0]] for ch in changes}:  # the confirming admin must be allowed too
        if refusal := target_refusal(places, centre):
            raise imports.Refused(f"{centre.name}：{refusal}")
    indicators = {i.code: i for i in targetable_indicators(authority_id, year)}
    existing = {
        (t.centre_id, t.indicator_id): t
        for t in Target.objects.filter(centre_id__in=ids, year=year)
    }
    now, created, updated, entries = timezone.now(), [], [], []
    for centre_id, _name, code, _iname, old, new in changes:
        indicator, centre = indicators[code], by_pk[centre_id]
        row = existing.get((centre_id, indicator.pk))
        if row is None:
            row = Target(centre=centre, indicator=indicator, year=year)
            created.append(row)
        else:
            updated.append(row)
        row.value, row.set_by, row.updated_at = Decimal(new), actor, now
        target = Target(pk=f"{code}@{year}", centre=centre, indicator=indicator, year=year)
        entries.append(
            audit_entry(
                actor=actor,
                action="services.target.changed",
                target=target,
                centre=centre,
                changes={"value": [old or None, new]},
            )
        )
    Target.objects.bulk_create(created, batch_size=1000)
    Target.objects.bulk_update(updated, ["value", "set_by", "updated_at"], batch_size=500)
    audit_bulk(entries)
    return {"saved": len(changes)}


def register() -> None:
    """A year of a commission's targets is a kind of import (core/imports.py)."""
    imports.register(imports.Kind(name=KIND, check=check, apply=apply))
