"""Training lists and practising registrations from XLSX, through the one import pipeline
(core/imports.py): the kinds "training" and "licences".

Files as offices write them: a title row above the header is skipped, headers are read through
their usual aliases (进修单位 for 培训地点, 证书编码 for 证书编号 …). A row names a person of the
roster by 姓名, with 身份证号 where two share a name; an uploader who may not see 身份证号 may
leave it empty or keep the masked number, never type one in full (a match would tell them it is
right). Training is checked against the person's spells as the form checks it. A row already
stored (same person, kind and start; for a registration, same person, kind and issue day) is
unchanged, so importing a file twice adds nothing. Any error blocks the whole file.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from centers.models import Centre
from core import imports, spreadsheet
from core.audit import audit, audit_bulk, audit_entry, diff, snapshot
from core.dates import RECORD_DATE, WORK_DATE, PlausibleDate
from core.models import ImportJob
from core.text import refuse_control_chars

from . import excel
from .importer import IGNORED, header_key
from .licences import PHYSICIAN_LICENCES, is_masked, mask_licence_number
from .models import LicenceKind, Person, PractisingLicence, Spell, Training, TrainingKind
from .record_actions import FIELDS, spell_errors
from .selectors import sees_id_numbers
from .validators import id_number_fits_mask, normalise_id_number

TRAINING, LICENCES = "training", "licences"
MAX_ROWS = 5_000
NAME_ALIASES = ("姓名", "职工姓名", "人员姓名")
ID_ALIASES = ("身份证号", "身份证号码", "公民身份号码", "身份证件号码")

TRAINING_COLUMNS = {
    "姓名": NAME_ALIASES,
    "身份证号": ID_ALIASES,
    "培训类型": ("培训类型", "培训类别", "培训形式", "类型", "类别"),
    "培训地点": ("培训地点", "进修单位", "培训单位", "培训机构", "学习单位", "地点"),
    "培训内容": ("培训内容", "培训项目", "进修专业", "项目名称", "课程名称", "内容"),
    "开始日期": ("开始日期", "开始时间", "起始日期", "起始时间", "培训开始时间"),
    "结束日期": ("结束日期", "结束时间", "截止日期", "培训结束时间"),
    "学时": ("学时", "课时"),
    "学分": ("学分", "继续教育学分"),
    "院外": ("院外", "入职前", "是否院外"),
}
TRAINING_REQUIRED = ("姓名", "培训类型", "培训地点", "开始日期", "结束日期")
TRAINING_KINDS = {
    TrainingKind.FURTHER_STUDY: ("进修", "外派进修", "进修学习"),
    TrainingKind.RESIDENCY: ("规培", "住院医师规范化培训", "规范化培训"),
    TrainingKind.CONTINUING: ("继续教育", "继续医学教育"),
    TrainingKind.APPROPRIATE_TECH: ("适宜技术培训", "适宜技术"),
    TrainingKind.STUDY_VISIT: ("外出学习", "外出培训", "学习"),
    TrainingKind.OTHER: ("其他", "其它"),
}

LICENCE_COLUMNS = {
    "姓名": NAME_ALIASES,
    "身份证号": ID_ALIASES,
    "证书类型": ("证书类型", "注册类型", "执业证类型", "证书名称", "类型"),
    "证书编号": ("证书编号", "证书编码", "执业证书编码", "执业证号", "证号"),
    "执业类别": ("执业类别", "执业类型"),
    "执业范围": ("执业范围", "执业专业"),
    "执业地点": ("执业地点", "注册单位", "执业机构", "主要执业机构"),
    "发证日期": ("发证日期", "注册日期", "批准日期", "发证时间"),
    "有效期至": ("有效期至", "有效期", "有效期截止", "到期日期"),
}
LICENCE_REQUIRED = ("姓名", "证书类型", "发证日期")
LICENCE_KINDS = {
    LicenceKind.PHYSICIAN: ("执业医师", "医师执业证书", "医师"),
    LicenceKind.ASSISTANT_PHYSICIAN: ("执业助理医师", "助理医师"),
    LicenceKind.GENERAL_PRACTICE: ("全科", "全科医师注册", "全科医学", "全科医学专业"),
    LicenceKind.NURSE: ("护士执业证书", "护士", "注册护士", "护士执业"),
    LicenceKind.PHARMACIST: ("执业药师", "执业药师注册证"),
    LicenceKind.OTHER: ("其他", "其它"),
}
LICENCE_FIELD_COLUMNS = {
    "kind": "证书类型",
    "licence_number": "证书编号",
    "practice_type": "执业类别",
    "scope": "执业范围",
    "registered_here": "执业地点",
    "registered_at": "执业地点",
    "issued_on": "发证日期",
    "valid_to": "有效期至",
}
TRAINING_FIELD_COLUMNS = {"started_on": "开始日期", "ended_on": "结束日期"}


# --- reading the file ---------------------------------------------------------------------


def _finder(
    columns: dict[str, tuple[str, ...]], written: dict[str, str]
) -> Callable[[list[str]], list[str] | None]:
    """The header test for read_rows; `written` gets each column's header as the file says it."""
    lookup = {header_key(a): column for column, aliases in columns.items() for a in aliases}

    def find(texts: list[str]) -> list[str] | None:
        keys, seen = [], {}
        for index, header in enumerate(texts):
            column = lookup.get(header_key(header))
            if column and column not in seen:
                seen[column] = header_key(header)
                keys.append(column)
            else:
                keys.append(f"{IGNORED}{index}")
        if len(seen) < 2:
            return None
        written.update(seen)
        return keys

    return find


def _read(content: bytes, columns: dict, required: tuple[str, ...]) -> tuple[list, dict]:
    """The data rows by our column names, and the file's own name for each column."""
    written: dict[str, str] = {}
    try:
        header, data = spreadsheet.read_rows(content, _finder(columns, written))
    except spreadsheet.UnreadableFile as exc:
        raise imports.Refused(
            _("This file cannot be read: upload an Excel workbook (.xlsx).")
        ) from exc
    if missing := [c for c in required if c not in header]:
        raise imports.Refused(_("Missing columns: %(names)s.") % {"names": "、".join(missing)})
    if len(data) > MAX_ROWS:
        raise imports.Refused(
            _("The file has more than %(n)s rows; split it into smaller files.") % {"n": MAX_ROWS}
        )
    return data, written


def _as_written(errors: list, written: dict[str, str]) -> list:
    """Row errors naming each column as the file's header does (进修单位, not 培训地点)."""
    return [[number, written.get(column, column), message] for number, column, message in errors]


def _cell(row: dict, column: str, parse, errors: list, number: int):
    """Parse one cell; on failure note [row, column, message] and return None."""
    value = row.get(column)
    if isinstance(value, spreadsheet.Formula):
        errors.append([number, column, spreadsheet.formula_message(value)])
        return None
    try:
        return parse(value)
    except ValidationError as exc:
        errors.append([number, column, " ".join(exc.messages)])
    except (ValueError, InvalidOperation):
        shown = spreadsheet.text(value)[:60]
        errors.append([number, column, _("“%(value)s” is not a valid value.") % {"value": shown}])
    return None


def _required(parse):
    def wrapped(value):
        if spreadsheet.text(value) == "" and not hasattr(value, "year"):
            raise ValidationError(_("This column must be filled in."))
        return parse(value)

    return wrapped


def _text(limit: int):
    def parse(value) -> str:
        found = spreadsheet.text(value)
        refuse_control_chars(found)
        if len(found) > limit:
            raise ValidationError(_("At most %(n)s characters.") % {"n": limit})
        return found

    return parse


def _date_within(check: PlausibleDate) -> Callable:
    """A date cell (empty: None) that must also pass the forms' plausibility check."""

    def parse(value) -> dt.date | None:
        day = None if spreadsheet.text(value) == "" else excel.parse_date(value)
        if day is not None:
            check(day)
        return day

    return parse


_date = _date_within(WORK_DATE)  # training: from 1950 to a year ahead
_record_date = _date_within(RECORD_DATE)  # a registration may run to 2100


def _amount(value) -> Decimal | None:
    raw = spreadsheet.text(value)
    if raw == "":
        return None
    found = Decimal(raw).quantize(Decimal("0.1"))
    if found < 0 or found >= 10_000:
        raise ValidationError(_("Enter a number from 0 to 9999.9."))
    return found


def _kind(aliases: dict) -> Callable:
    lookup = {header_key(a): code for code, names in aliases.items() for a in names}

    def parse(value) -> str:
        raw = header_key(spreadsheet.text(value))
        if raw not in lookup:
            choices = "、".join(names[0] for names in aliases.values())
            raise ValidationError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": spreadsheet.text(value)[:60], "choices": choices}
            )
        return lookup[raw]

    return parse


# --- whom a row names ---------------------------------------------------------------------


class People:
    """The centre's people and their spells, loaded once (two queries), to match rows by."""

    def __init__(self, centre: Centre, *, sees_ids: bool):
        self.sees_ids = sees_ids
        people = list(Person.objects.filter(centre=centre))
        self.by_pk = {p.pk: p for p in people}
        self.by_id = {p.id_number: p for p in people if p.id_number}
        self.by_name: dict[str, list[Person]] = defaultdict(list)
        for person in people:
            self.by_name[person.name].append(person)
        self.spells: dict[int, list[Spell]] = defaultdict(list)
        for spell in Spell.objects.filter(centre=centre).order_by("hired_on"):
            self.spells[spell.person_id].append(spell)

    def find(self, name: str, raw_number) -> Person:
        """The person a row names, or ValidationError saying why none can be told."""
        number = normalise_id_number(spreadsheet.text(raw_number))
        namesakes = self.by_name.get(name, [])
        if number and not is_masked(number):
            return self._by_full_number(name, number)
        if number:
            namesakes = [p for p in namesakes if id_number_fits_mask(p.id_number, number)]
        if not namesakes:
            raise ValidationError(
                _("Nobody called %(name)s is on the roster (with this number).") % {"name": name}
            )
        if len(namesakes) > 1:
            raise ValidationError(
                _(
                    "Several people on the roster are called %(name)s: give the identity card "
                    "number."
                )
                % {"name": name}
            )
        return namesakes[0]

    def _by_full_number(self, name: str, number: str) -> Person:
        if not self.sees_ids:  # no answer may tell a right number from a wrong one
            raise ValidationError(
                _(
                    "You may not see identity card numbers: leave the column empty (people are "
                    "matched by name) or keep the masked number."
                )
            )
        person = self.by_id.get(number)
        if person is None:
            raise ValidationError(_("Nobody on the roster has this identity card number."))
        if person.name != name:
            raise ValidationError(
                _("This number is %(other)s's on the roster.") % {"other": person.name}
            )
        return person


def _person(row: dict, number: int, people: People, errors: list) -> Person | None:
    name = _cell(row, "姓名", _required(_text(50)), errors, number)
    if name is None:
        return None
    raw = row.get("身份证号")
    filled = isinstance(raw, spreadsheet.Formula) or spreadsheet.text(raw) != ""
    column = "身份证号" if filled else "姓名"  # the error goes beside the cell that decided
    return _cell(row, column, lambda _v: people.find(name, raw), errors, number)


def _json(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if isinstance(value, (dt.date, Decimal)):
            value = str(value)
        out[key] = value
    return out


def _from_json(model: type, values: dict) -> dict:
    out = dict(values)
    for name, value in values.items():
        field = model._meta.get_field(name)
        if value is None:
            continue
        if field.get_internal_type() == "DateField":
            out[name] = dt.date.fromisoformat(value)
        elif field.get_internal_type() == "DecimalField":
            out[name] = Decimal(value)
    return out


def _fingerprint(model: type, centre_id: int) -> str:
    """Changes whenever a record of this kind or a spell of the centre is saved or removed."""
    mine = model.objects.filter(centre_id=centre_id).aggregate(n=Count("id"), t=Max("updated_at"))
    spells = Spell.objects.filter(centre_id=centre_id).aggregate(n=Count("id"), t=Max("updated_at"))
    return f"{mine['n']}|{mine['t']}|{spells['n']}|{spells['t']}"


# --- training -------------------------------------------------------------------------------


def _training_row(row: dict, number: int, people: People, errors: list) -> dict | None:
    said = len(errors)
    person = _person(row, number, people, errors)
    v = {
        "kind": _cell(row, "培训类型", _required(_kind(TRAINING_KINDS)), errors, number),
        "place": _cell(row, "培训地点", _required(_text(100)), errors, number),
        "subject": _cell(row, "培训内容", _text(100), errors, number) or "",
        "started_on": _cell(row, "开始日期", _required(_date), errors, number),
        "ended_on": _cell(row, "结束日期", _required(_date), errors, number),
        "hours": _cell(row, "学时", _amount, errors, number),
        "credits": _cell(row, "学分", _amount, errors, number),
        "external": bool(_cell(row, "院外", excel.yes_no, errors, number)),
    }
    start, end = v["started_on"], v["ended_on"]
    if start and end and end < start:
        errors.append([number, "结束日期", _("The training ends before it starts.")])
    if len(errors) > said or person is None:
        return None
    for name, message in spell_errors(Training, person, v, people.spells[person.pk]):
        errors.append([number, TRAINING_FIELD_COLUMNS[name], message])
    if len(errors) > said:
        return None
    return {"person_id": person.pk, "name": person.name, "values": v}


def _plan_training(job: ImportJob, data: list, progress) -> tuple[list, list]:
    people = People(job.centre, sees_ids=sees_id_numbers(user=job.created_by, centre=job.centre))
    stored = set(
        Training.objects.filter(centre=job.centre).values_list(
            "person_id", "kind", "started_on", "place"
        )
    )
    rows, errors, seen = [], [], {}
    for i, (number, cells) in enumerate(data, start=1):
        planned = _training_row(cells, number, people, errors)
        if i % 1000 == 0:
            progress(i, len(data))
        if planned is None:
            continue
        v = planned["values"]
        key = (planned["person_id"], v["kind"], v["started_on"], v["place"])
        if key in seen:
            errors.append([number, "姓名", _("The same as row %(n)s.") % {"n": seen[key]}])
            continue
        seen[key] = number
        action = "unchanged" if key in stored else "new"
        rows.append({"number": number, **planned, "values": _json(v), "action": action})
    return rows, errors


def check_training(job: ImportJob, content: bytes, progress) -> None:
    """Read a training list into a plan: every problem by row, every training to add."""
    data, written = _read(content, TRAINING_COLUMNS, TRAINING_REQUIRED)
    rows, errors = _plan_training(job, data, progress)
    job.plan = {
        "rows": rows,
        "row_errors": _as_written(errors, written),
        "bad_rows": len({e[0] for e in errors}),
        "summary": _summary(rows),
    }
    job.fingerprint = _fingerprint(Training, job.centre_id)


def _summary(rows: list) -> dict:
    counts = {"new": 0, "update": 0, "unchanged": 0}
    for row in rows:
        counts[row["action"]] += 1
    return counts


def _lock(job: ImportJob, model: type) -> None:
    """Lock the centre, then refuse a plan whose records or roster moved since the preview."""
    Centre.objects.select_for_update().filter(pk=job.centre_id).first()
    if _fingerprint(model, job.centre_id) != job.fingerprint:
        raise imports.Refused(
            _("The records changed after this preview; upload the file again to check it anew.")
        )


def apply_training(job: ImportJob, actor, progress) -> dict[str, int]:
    """Add every new training of the plan in bulk, each audited; or nothing."""
    _lock(job, Training)
    new = [r for r in job.plan.get("rows", []) if r["action"] == "new"]
    records = [
        Training(
            person_id=r["person_id"], centre_id=job.centre_id, **_from_json(Training, r["values"])
        )
        for r in new
    ]
    now = timezone.now()
    for record in records:
        record.created_at = record.updated_at = now
    Training.objects.bulk_create(records, batch_size=1000)
    fields = FIELDS[Training]
    audit_bulk(
        [
            audit_entry(
                actor=actor,
                action="staff.training.imported",
                target=record,
                centre=job.centre,
                changes=diff({}, snapshot(record, fields)),
            )
            for record in records
        ]
    )
    counts = {"added": len(records), "unchanged": len(job.plan.get("rows", [])) - len(records)}
    _file_audit(job, actor, counts)
    return counts


def _file_audit(job: ImportJob, actor, counts: dict) -> None:
    audit(
        actor=actor,
        action=f"staff.{job.kind}.imported",
        target=job,
        centre=job.centre,
        changes={"file": job.filename, **counts},
    )


# --- practising registrations ---------------------------------------------------------------


def _registered(value, centre: Centre) -> tuple[bool, str]:
    place = _text(100)(value)
    if not place or header_key(place) == header_key(centre.name):
        return True, ""
    return False, place


def _licence_number(value) -> str:
    number = "".join(spreadsheet.text(value).split()).upper()
    if len(number) > 30 or (number and not is_masked(number) and not number.isalnum()):
        raise ValidationError(_("A certificate number has only letters and digits."))
    return number


def _practice(value) -> str:
    return "" if spreadsheet.text(value) == "" else excel.choice(value, excel.PRACTICE_TYPES)


def _licence_row(row, number: int, people: People, centre: Centre, errors: list) -> dict | None:
    said = len(errors)
    person = _person(row, number, people, errors)
    registered = _cell(row, "执业地点", lambda v: _registered(v, centre), errors, number)
    v = {
        "kind": _cell(row, "证书类型", _required(_kind(LICENCE_KINDS)), errors, number),
        "licence_number": _cell(row, "证书编号", _licence_number, errors, number) or "",
        "practice_type": _cell(row, "执业类别", _practice, errors, number) or "",
        "scope": _cell(row, "执业范围", _text(100), errors, number) or "",
        "registered_here": registered[0] if registered else True,
        "registered_at": registered[1] if registered else "",
        "issued_on": _cell(row, "发证日期", _required(_record_date), errors, number),
        "valid_to": _cell(row, "有效期至", _record_date, errors, number),
    }
    if v["issued_on"] and v["valid_to"] and v["valid_to"] < v["issued_on"]:
        errors.append([number, "有效期至", _("The registration expires before it starts.")])
    if v["practice_type"] and v["kind"] and v["kind"] not in PHYSICIAN_LICENCES:
        errors.append([number, "执业类别", _("Only physicians' registrations have a category.")])
    if len(errors) > said or person is None:
        return None
    return {"person_id": person.pk, "name": person.name, "values": v}


def _licence_changes(stored: PractisingLicence, v: dict, sees_ids: bool) -> list[str]:
    """The fields a row would change; an uploader who may not see numbers is never told whether
    a full number typed equals the stored one (it is listed as a change either way)."""
    number = v["licence_number"]
    if not number or (is_masked(number) and number == mask_licence_number(stored.licence_number)):
        v["licence_number"] = stored.licence_number  # an empty or masked cell keeps the number
    elif is_masked(number):
        raise ValidationError(_("This masked number is not the stored one; type it in full."))
    changes = [n for n in FIELDS[PractisingLicence] if getattr(stored, n) != v[n]]
    if not sees_ids and stored.licence_number and not is_masked(number) and number:
        changes = sorted({*changes, "licence_number"}, key=FIELDS[PractisingLicence].index)
    return changes


def _plan_licences(job: ImportJob, data: list, progress) -> tuple[list, list]:
    sees_ids = sees_id_numbers(user=job.created_by, centre=job.centre)
    people = People(job.centre, sees_ids=sees_ids)
    stored = {
        (lic.person_id, lic.kind, lic.issued_on): lic
        for lic in PractisingLicence.objects.filter(centre=job.centre)
    }
    rows, errors, seen = [], [], {}
    for i, (number, cells) in enumerate(data, start=1):
        planned = _licence_row(cells, number, people, job.centre, errors)
        if i % 1000 == 0:
            progress(i, len(data))
        if planned is None:
            continue
        v = planned["values"]
        key = (planned["person_id"], v["kind"], v["issued_on"])
        if key in seen:
            errors.append([number, "姓名", _("The same as row %(n)s.") % {"n": seen[key]}])
            continue
        seen[key] = number
        action, changes = "new", []
        if (existing := stored.get(key)) is not None:
            try:
                changes = _licence_changes(existing, v, sees_ids)
            except ValidationError as exc:
                errors.append([number, "证书编号", " ".join(exc.messages)])
                continue
            action = "update" if changes else "unchanged"
        elif is_masked(v["licence_number"]):
            errors.append([number, "证书编号", _("Type the certificate number in full.")])
            continue
        planned |= {"values": _json(v), "action": action, "changes": changes, "number": number}
        rows.append(planned)
    return rows, errors


def check_licences(job: ImportJob, content: bytes, progress) -> None:
    """Read registrations into a plan: every problem by row, every registration to add or
    correct."""
    data, written = _read(content, LICENCE_COLUMNS, LICENCE_REQUIRED)
    rows, errors = _plan_licences(job, data, progress)
    job.plan = {
        "rows": rows,
        "row_errors": _as_written(errors, written),
        "bad_rows": len({e[0] for e in errors}),
        "summary": _summary(rows),
    }
    job.fingerprint = _fingerprint(PractisingLicence, job.centre_id)


def apply_licences(job: ImportJob, actor, progress) -> dict[str, int]:
    """Add the new registrations and correct the changed ones in bulk, each audited; or nothing."""
    _lock(job, PractisingLicence)
    rows = job.plan.get("rows", [])
    stored = {
        (lic.person_id, lic.kind, lic.issued_on): lic
        for lic in PractisingLicence.objects.filter(centre_id=job.centre_id)
    }
    fields, now = FIELDS[PractisingLicence], timezone.now()
    created, updated, entries = [], [], []
    for row in rows:
        values = _from_json(PractisingLicence, row["values"])
        if row["action"] == "new":
            record = PractisingLicence(person_id=row["person_id"], centre_id=job.centre_id)
            before, verb = {}, "imported"
            created.append(record)
        elif row["action"] == "update":
            record = stored[(row["person_id"], values["kind"], values["issued_on"])]
            before, verb = snapshot(record, fields), "imported"
            updated.append(record)
        else:
            continue
        for name, value in values.items():
            setattr(record, name, value)
        record.updated_at = now
        if changes := diff(before, snapshot(record, fields)):
            entries.append((record, verb, changes))
    PractisingLicence.objects.bulk_create(created, batch_size=1000)
    PractisingLicence.objects.bulk_update(updated, [*fields, "updated_at"], batch_size=500)
    audit_bulk(
        [
            audit_entry(
                actor=actor,
                action=f"staff.practisinglicence.{verb}",
                target=record,
                centre=job.centre,
                changes=changes,
            )
            for record, verb, changes in entries
        ]
    )
    counts = {"added": len(created), "updated": len(updated)}
    counts["unchanged"] = len(rows) - len(created) - len(updated)
    _file_audit(job, actor, counts)
    return counts


def register() -> None:
    """Training lists and registrations are kinds of import (core/imports.py)."""
    imports.register(imports.Kind(name=TRAINING, check=check_training, apply=apply_training))
    imports.register(imports.Kind(name=LICENCES, check=check_licences, apply=apply_licences))
