"""Importing a 花名册: parse every row, plan what would change, and apply only when confirmed.

A person is matched by 身份证号, or by 姓名 and 出生日期 when the number is empty; a spell by its
person and 入职日期. Re-importing the file that export wrote changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from centers.models import Centre, Department
from core.audit import audit, diff, snapshot

from . import excel
from .actions import PERSON_FIELDS, SPELL_FIELDS
from .models import PHYSICIANS, Establishment, Person, RosterImport, Spell
from .validators import id_birth_date, normalise_id_number, validate_id_number

DATE_FIELDS = {"birth_date", "hired_on", "left_on"}


class Action:
    NEW_PERSON = "new_person"
    NEW_SPELL = "new_spell"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass
class PlannedRow:
    number: int
    values: dict
    errors: list[tuple[str, str]] = field(default_factory=list)
    action: str = ""
    changes: list[str] = field(default_factory=list)


# --- parsing one row ---------------------------------------------------------------------


def _cell(row: dict, column: str, parse, errors: list, expected: str = ""):
    """Parse one cell; on failure note "column: message" and return None."""
    try:
        return parse(row.get(column))
    except (ValueError, ValidationError) as exc:
        raw = excel.text(row.get(column))
        if isinstance(exc, ValidationError):
            message = " ".join(exc.messages)
        elif expected:
            message = _("“%(value)s” is not one of: %(choices)s.") % {
                "value": raw,
                "choices": expected,
            }
        else:
            message = _("“%(value)s” is not a valid value.") % {"value": raw}
        errors.append((column, message))
        return None


def _required(parse):
    def wrapped(value):
        if excel.text(value) == "" and not hasattr(value, "year"):
            raise ValidationError(_("This column must be filled in."))
        return parse(value)

    return wrapped


def _optional_date(value):
    return None if excel.text(value) == "" else excel.parse_date(value)


def _id_number(value) -> str:
    number = normalise_id_number(excel.text(value))
    if number:
        validate_id_number(number)
    return number


def _labels(mapping: dict) -> str:
    return "、".join(mapping.values())


def _choice(mapping):
    return lambda v: excel.choice(v, mapping)


def _optional_choice(mapping):
    return lambda v: "" if excel.text(v) == "" else excel.choice(v, mapping)


def _name(value) -> str:
    name = excel.text(value)
    if len(name) > 50:
        raise ValidationError(_("At most 50 characters."))
    return name


def parse_row(row: dict, departments: dict[str, int]) -> tuple[dict, list[tuple[str, str]]]:
    """The model values of one 花名册 row, and every (column, message) that is wrong with it."""
    errors: list[tuple[str, str]] = []
    v: dict = {}
    v["name"] = _cell(row, "姓名", _required(_name), errors)
    v["gender"] = _cell(row, "性别", _required(_choice(excel.GENDERS)), errors, "男、女")
    v["birth_date"] = _cell(row, "出生日期", _required(excel.parse_date), errors)
    v["id_number"] = _cell(row, "身份证号", _id_number, errors)
    v["category"] = _cell(
        row, "人员类别", _required(_choice(excel.CATEGORIES)), errors, _labels(excel.CATEGORIES)
    )
    v["practice_type"] = _cell(
        row,
        "执业类别",
        _optional_choice(excel.PRACTICE_TYPES),
        errors,
        _labels(excel.PRACTICE_TYPES),
    )
    v["general_practice"] = _cell(row, "全科", excel.yes_no, errors, "是、否")
    v["title"] = _cell(row, "职称", _required(_choice(excel.TITLES)), errors, _labels(excel.TITLES))
    education = _cell(row, "学历", excel.education, errors, _labels(excel.EDUCATION)) or ("", "")
    v["education"], v["degree"] = education
    establishment = _cell(
        row,
        "编制情况",
        _required(excel.establishment),
        errors,
        "在编、编外-合同制、编外-劳务派遣、编外-返聘",
    )
    v["establishment"], v["contract_kind"] = establishment or (None, None)
    v["position"] = _cell(
        row, "职务", _required(_choice(excel.POSITIONS)), errors, _labels(excel.POSITIONS)
    )
    v["department"] = _cell(row, "科室", lambda x: _department(x, departments), errors)
    v["party_member"] = _cell(row, "党员", excel.yes_no, errors, "是、否")
    v["hired_on"] = _cell(row, "入职日期", _required(excel.parse_date), errors)
    v["left_on"] = _cell(row, "离职日期", _optional_date, errors)
    v["leave_reason"] = _cell(
        row, "离职原因", _optional_choice(excel.REASONS), errors, _labels(excel.REASONS)
    )
    _check_row(v, errors)
    return v, errors


def _department(value, departments: dict[str, int]):
    name = excel.text(value)
    if not name:
        return None
    if name not in departments:
        raise ValidationError(
            _("No department of this centre is called “%(name)s”.") % {"name": name}
        )
    return departments[name]


def _check_row(v: dict, errors: list) -> None:
    """Rules between columns, as the staff form applies them."""
    today = timezone.localdate()
    if v["birth_date"] and v["birth_date"] > today:
        errors.append(("出生日期", _("The date of birth cannot be in the future.")))
    if v["id_number"] and v["birth_date"] and id_birth_date(v["id_number"]) != v["birth_date"]:
        errors.append(
            ("身份证号", _("The birth date inside the number differs from the date of birth."))
        )
    if v["hired_on"] and v["left_on"] and v["left_on"] < v["hired_on"]:
        errors.append(("离职日期", _("The date left cannot be before the date hired.")))
    if v["left_on"] and not v["leave_reason"]:
        errors.append(("离职原因", _("Give the reason for leaving.")))
    if v["leave_reason"] and not v["left_on"]:
        errors.append(("离职日期", _("Give the date left, or clear the reason.")))
    if (
        v["category"]
        and v["category"] not in PHYSICIANS
        and (v["practice_type"] or v["general_practice"])
    ):
        errors.append(("执业类别", _("Only physicians have a practice type.")))
    if v["establishment"] == Establishment.OFF and v["contract_kind"] == "":
        errors.append(("编制情况", _("Say which kind of off-establishment post it is.")))


# --- planning against the database -------------------------------------------------------


def _person_key(v: dict):
    return ("id", v["id_number"]) if v["id_number"] else ("nb", v["name"], v["birth_date"])


def _differences(obj, values: dict, fields) -> list[str]:
    changed = []
    for name in fields:
        current = getattr(obj, "department_id" if name == "department" else name)
        if current != values[name]:
            changed.append(name)
    return changed


class _Index:
    """Existing people and spells of a centre, loaded once (two queries) for matching."""

    def __init__(self, centre: Centre):
        people = list(Person.objects.filter(centre=centre))
        self.by_id = {p.id_number: p for p in people if p.id_number}
        self.by_name = {(p.name, p.birth_date): p for p in people}
        self.spells: dict[int, list[Spell]] = {}
        for spell in Spell.objects.filter(centre=centre):
            self.spells.setdefault(spell.person_id, []).append(spell)

    def person(self, v: dict) -> Person | None:
        if v["id_number"]:
            return self.by_id.get(v["id_number"]) or self.by_name.get((v["name"], v["birth_date"]))
        return self.by_name.get((v["name"], v["birth_date"]))


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start <= (b_end or dt.date.max) and b_start <= (a_end or dt.date.max)


def plan_rows(centre: Centre, parsed: list[tuple[int, dict, list]]) -> list[PlannedRow]:
    """What applying the parsed rows would do, row by row; errors block everything."""
    index = _Index(centre)
    seen: dict = {}
    planned = []
    for number, values, errors in parsed:
        row = PlannedRow(number, values, list(errors))
        if not row.errors:
            _plan_one(row, index, seen)
        planned.append(row)
    return planned


def _plan_one(row: PlannedRow, index: _Index, seen: dict) -> None:
    v = row.values
    key = _person_key(v)
    earlier = seen.setdefault(key, [])
    repeat = bool(earlier)  # the same person on an earlier row of this file
    for start, end, number in earlier:
        if _overlaps(start, end, v["hired_on"], v["left_on"]):
            row.errors.append(("入职日期", _("Overlaps row %(n)s of this file.") % {"n": number}))
            return
    earlier.append((v["hired_on"], v["left_on"], row.number))
    person = index.person(v)
    if person is None:
        row.action = Action.NEW_SPELL if repeat else Action.NEW_PERSON
        return
    spells = index.spells.get(person.pk, [])
    spell = next((s for s in spells if s.hired_on == v["hired_on"]), None)
    for other in spells:
        if other is not spell and _overlaps(
            other.hired_on, other.left_on, v["hired_on"], v["left_on"]
        ):
            row.errors.append(
                (
                    "入职日期",
                    _("Overlaps the spell from %(d)s already on the roster.")
                    % {"d": other.hired_on},
                )
            )
            return
    row.changes = _differences(person, v, PERSON_FIELDS)
    if spell is None:
        row.action = Action.NEW_SPELL
        return
    row.changes += _differences(spell, v, SPELL_FIELDS)
    row.action = Action.UPDATE if row.changes else Action.UNCHANGED


# --- storing, previewing and applying ------------------------------------------------------


def _to_json(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


def _from_json(values: dict) -> dict:
    return {
        k: (dt.date.fromisoformat(v) if k in DATE_FIELDS and v else v) for k, v in values.items()
    }


def roster_import_create(*, centre: Centre, filename: str, content: bytes, actor) -> RosterImport:
    """Read an uploaded file into a preview; nothing on the roster changes yet."""
    file_errors: list[str] = []
    rows: list[dict] = []
    try:
        header, data = excel.read_rows(content)
    except excel.UnreadableFile:
        file_errors.append(_("This file cannot be read: upload an Excel workbook (.xlsx)."))
        header, data = [], []
    missing = [h for h in excel.REQUIRED if h not in header] if not file_errors else []
    if missing:
        file_errors.append(_("Missing columns: %(names)s.") % {"names": "、".join(missing)})
    elif not file_errors:
        departments = dict(Department.objects.filter(centre=centre).values_list("name", "id"))
        for number, cells in data:
            values, errors = parse_row(cells, departments)
            rows.append({"number": number, "values": _to_json(values), "errors": errors})
    if not file_errors and not rows:
        file_errors.append(_("The file has no data rows under its header."))
    return RosterImport.objects.create(
        centre=centre, created_by=actor, filename=filename[:200], rows=rows, file_errors=file_errors
    )


def roster_import_plan(roster_import: RosterImport) -> list[PlannedRow]:
    parsed = [(r["number"], _from_json(r["values"]), r["errors"]) for r in roster_import.rows]
    return plan_rows(roster_import.centre, parsed)


class ImportRefused(Exception):
    """The file still has errors, or was applied already: nothing was written."""


@transaction.atomic
def roster_import_apply(*, roster_import: RosterImport, actor) -> dict[str, int]:
    """Apply every row at once, or none: the plan is made again against the roster as it is now."""
    locked = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
    if locked.status != RosterImport.Status.PREVIEW or locked.file_errors:
        raise ImportRefused
    planned = roster_import_plan(locked)
    if any(row.errors for row in planned):
        raise ImportRefused
    counts = {Action.NEW_PERSON: 0, Action.NEW_SPELL: 0, Action.UPDATE: 0, Action.UNCHANGED: 0}
    index = _Index(locked.centre)
    for row in planned:
        _apply_row(row, locked.centre, index, actor)
        counts[row.action] += 1
    locked.status = RosterImport.Status.APPLIED
    locked.save(update_fields=["status", "updated_at"])
    audit(
        actor=actor,
        action="staff.roster.imported",
        target=locked,
        centre=locked.centre,
        changes={"file": locked.filename, **counts},
    )
    return counts


def _save(obj, values: dict, fields, actor, centre, verb: str) -> None:
    """Create or update one row from the file, with its audit row (old → new)."""
    before = snapshot(obj, fields) if obj.pk else {}
    for k, value in values.items():
        setattr(obj, k, value)
    obj.save()
    changes = diff(before, snapshot(obj, fields))
    if changes:
        name = obj._meta.model_name
        audit(
            actor=actor, action=f"staff.{name}.{verb}", target=obj, centre=centre, changes=changes
        )


def _apply_row(row: PlannedRow, centre: Centre, index: _Index, actor) -> None:
    if row.action == Action.UNCHANGED:
        return
    v = row.values
    person_values = {k: v[k] for k in PERSON_FIELDS}
    spell_values = {("department_id" if k == "department" else k): v[k] for k in SPELL_FIELDS}
    person = index.person(v) or Person(centre=centre)
    new_person = person.pk is None
    if new_person or any(k in PERSON_FIELDS for k in row.changes):
        _save(person, person_values, PERSON_FIELDS, actor, centre, "imported")
    if new_person:
        index.by_name[(person.name, person.birth_date)] = person
        if person.id_number:
            index.by_id[person.id_number] = person
    spell = Spell.objects.filter(person=person, hired_on=v["hired_on"]).first()
    spell = spell or Spell(person=person, centre=centre)
    _save(spell, spell_values, SPELL_FIELDS, actor, centre, "imported")


# Model field → the 花名册 column it comes from, to say what a row would change.
CHANGE_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "category": "人员类别",
    "practice_type": "执业类别",
    "general_practice": "全科",
    "title": "职称",
    "education": "学历",
    "degree": "学历",
    "establishment": "编制情况",
    "contract_kind": "编制情况",
    "position": "职务",
    "department": "科室",
    "party_member": "党员",
    "hired_on": "入职日期",
    "left_on": "离职日期",
    "leave_reason": "离职原因",
}
