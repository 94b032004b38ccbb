"""Importing a 花名册: parse every row, plan what would change, and apply only when confirmed.

A person is matched by 身份证号, or by 姓名 and 出生日期 when the number is empty; a spell by its
person and 入职日期. Re-importing the file that export wrote changes nothing. For an uploader who
may not see 身份证号, no row tells whether a full number is right; one that is someone else's
refuses the whole file, audited and limited (_unseen_id_number).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from centers.actions import record_create
from centers.models import Centre, Department
from core import imports, spreadsheet
from core.audit import audit, audit_bulk, audit_entry, diff, snapshot
from core.dates import BIRTH_DATE, WORK_DATE, PlausibleDate
from core.models import ImportJob
from core.spreadsheet import header_key
from core.text import refuse_control_chars, strip_control_chars

from . import excel
from .actions import (
    ID_CONFLICT,
    ID_ENTRY_BLOCKED,
    ID_REFUSED,
    PERSON_FIELDS,
    SPELL_FIELDS,
    id_number_probe_record,
)
from .models import PHYSICIANS, Establishment, Person, Position, Spell
from .selectors import id_number_entry_blocked, sees_id_numbers
from .validators import (
    ID_SHOWN,
    id_birth_date,
    id_disagreements,
    id_number_fits_mask,
    normalise_id_number,
    validate_id_number,
)

DATE_FIELDS = {"birth_date", "hired_on", "left_on"}

# --- the header row --------------------------------------------------------------------------

# Every header an office writes for a column we read, by the name export writes (excel.HEADERS).
# Headers are compared after header_key(): no whitespace (full-width too), （） read as ().
# 参加工作时间 is not here on purpose: it is when someone started working anywhere, while
# 入职日期 (Spell.hired_on) is when they joined this centre; such a column is listed as ignored.
# Likewise 政治面貌 (中共党员/群众 …) is not the 是/否 of 党员.
HEADER_ALIASES = {
    "姓名": ("姓名", "职工姓名", "人员姓名"),
    "性别": ("性别",),
    "出生日期": ("出生日期", "出生年月", "出生年月日", "出生时间", "出生日期(年月日)"),
    "身份证号": (
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "公民身份证号码",
        "身份证件号码",
        "身份证号码(18位)",
    ),
    "人员类别": ("人员类别", "人员类型"),
    "执业类别": ("执业类别", "执业类型"),
    "全科": ("全科", "是否全科", "是否注册全科"),
    "职称": ("职称", "专业技术职称", "专业技术职务", "技术职称"),
    "职称名称": ("职称名称", "专业技术职称名称", "专业技术职务名称"),
    "学历": ("学历", "最高学历", "文化程度"),
    "编制情况": ("编制情况", "编制", "编制类型", "编制性质"),
    "职务": ("职务", "行政职务", "现任职务"),
    "科室": ("科室", "所在科室", "部门", "所在部门", "科室名称"),
    "党员": ("党员", "是否党员"),
    "入职日期": ("入职日期", "入职时间", "入职年月", "进入本单位时间", "来本单位时间"),
    "离职日期": ("离职日期", "离职时间", "离职年月"),
    "离职原因": ("离职原因",),
}


HEADER_OF = {
    header_key(alias): column for column, aliases in HEADER_ALIASES.items() for alias in aliases
}
IGNORED = "ignored:"  # key prefix of a column we do not read; never one of our headers
IGNORED_NAME_CHARS = 30  # an ignored header as the preview names it


def header_keys(texts: list[str]) -> list[str] | None:
    """The columns of the header row (at least two known headers), else None: not the header.

    A known header reads as its column; a second column for the same one, and any other
    column, is kept under an IGNORED key so that the preview can name it.
    """
    keys, seen = [], set()
    for index, header in enumerate(texts):
        column = HEADER_OF.get(header_key(header))
        if column and column not in seen:
            seen.add(column)
            keys.append(column)
        else:
            keys.append(f"{IGNORED}{index}:{header}")
    return keys if len(seen) >= 2 else None


def ignored_columns(header: list[str], data: list) -> list[str]:
    """The headers of the columns not read; an untitled one only if it holds something."""
    names = []
    for key in header:
        if not key.startswith(IGNORED):
            continue
        index, _sep, title = key.removeprefix(IGNORED).partition(":")
        if title:  # a title row's worth of text is not worth keeping in the plan whole
            names.append(Truncator(strip_control_chars(title)).chars(IGNORED_NAME_CHARS))
        elif any(spreadsheet.text(cells.get(key)) for _n, cells in data):
            names.append(_("column %(letter)s (no header)") % {"letter": _letter(int(index))})
    return names


def _letter(index: int) -> str:
    return get_column_letter(index + 1)


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
    conflict: bool = False  # a full number that is someone else's, for an uploader who can't see it


# --- parsing one row ---------------------------------------------------------------------


def _cell(row: dict, column: str, parse, errors: list, expected: str = ""):
    """Parse one cell; on failure note "column: message" and return None."""
    if isinstance(row.get(column), spreadsheet.Formula):
        errors.append((column, spreadsheet.formula_message(row[column])))
        return None
    try:
        return parse(row.get(column))
    except (ValueError, ValidationError) as exc:
        raw = spreadsheet.text(row.get(column))
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
        if spreadsheet.text(value) == "" and not hasattr(value, "year"):
            raise ValidationError(_("This column must be filled in."))
        return parse(value)

    return wrapped


def _optional_date(value):
    return None if spreadsheet.text(value) == "" else excel.parse_date(value)


def _plausible(parse, check: PlausibleDate):
    """A date parser whose date must also pass the forms' plausibility check (core.dates)."""

    def wrapped(value):
        day = parse(value)
        if day is not None:
            check(day)
        return day

    return wrapped


MASKED_ID = re.compile(r"^\d{4}\*{14}$|^\d{6}\*{8}\d{3}[\dX]$")  # today's mask, or an older one
MAX_ROWS = 10_000


def _id_number(value) -> str:
    """A full number is checked; a masked one (from a clerk's export) is kept for matching."""
    number = normalise_id_number(spreadsheet.text(value))
    if number and not MASKED_ID.match(number):
        validate_id_number(number)
    return number


def _labels(mapping: dict) -> str:
    return "、".join(mapping.values())


def _choice(mapping):
    return lambda v: excel.choice(v, mapping)


def _optional_choice(mapping):
    return lambda v: "" if spreadsheet.text(v) == "" else excel.choice(v, mapping)


def _name(value) -> str:
    name = spreadsheet.text(value)
    refuse_control_chars(name)
    if len(name) > 50:
        raise ValidationError(_("At most 50 characters."))
    return name


# Columns an office roster often lacks, each filled in as the preview states (assumptions):
# 人员类别 from the 职称, 职务 as 职工, and 编制情况 as the uploader chooses for the whole file.
FILLED_IN = ("人员类别", "职务", "编制情况")
# A post already on the roster keeps its own values where the file has no column for them: the
# file's derived or default values are for new people and posts only.
KEPT_FIELDS = {
    "人员类别": ("category",),
    "职务": ("position",),
    "编制情况": ("establishment", "contract_kind"),
}


def kept_fields(absent: Collection[str]) -> tuple[str, ...]:
    return tuple(f for column in absent for f in KEPT_FIELDS.get(column, ()))


def parse_row(row: dict, absent: Collection[str] = ()) -> tuple[dict, list[tuple[str, str]]]:
    """The model values of one 花名册 row, and every (column, message) that is wrong with it.

    The 科室 is a name here; planning resolves it, or offers to create it (plan_rows). `absent`
    names the FILLED_IN columns the file lacks; 编制情况 stays None until apply.
    """
    errors: list[tuple[str, str]] = []
    v: dict = {}
    v["name"] = _cell(row, "姓名", _required(_name), errors)
    v["gender"] = _cell(row, "性别", _required(_choice(excel.GENDERS)), errors, "男、女")
    v["birth_date"] = _cell(
        row, "出生日期", _required(_plausible(excel.parse_date, BIRTH_DATE)), errors
    )
    v["id_number"] = _cell(row, "身份证号", _id_number, errors)
    _birth_day_from_id(row, v)
    v["category"] = _category(row, absent, errors)
    v["practice_type"] = _cell(
        row,
        "执业类别",
        _optional_choice(excel.PRACTICE_TYPES),
        errors,
        _labels(excel.PRACTICE_TYPES),
    )
    v["general_practice"] = _cell(row, "全科", excel.yes_no, errors, "是、否")
    _title(row, v, errors)
    education = _cell(row, "学历", excel.education, errors, _labels(excel.EDUCATION)) or ("", "")
    v["education"], v["degree"] = education
    establishment = None
    if "编制情况" not in absent:
        establishment = _cell(
            row, "编制情况", _required(excel.establishment), errors, "、".join(ESTABLISHMENTS)
        )
    v["establishment"], v["contract_kind"] = establishment or (None, None)
    # A bare 编外 got an assumed kind, which a post on the roster does not take (_keep_unsaid).
    v["establishment_unsaid"] = bool(establishment) and excel.is_unsaid_off_establishment(
        row.get("编制情况")
    )
    if "职务" in absent:
        v["position"] = Position.STAFF
    else:
        v["position"] = _cell(
            row, "职务", _required(_choice(excel.POSITIONS)), errors, _labels(excel.POSITIONS)
        )
    v["department"] = _cell(row, "科室", _department, errors) or ""
    v["party_member"] = _cell(row, "党员", excel.yes_no, errors, "是、否")
    v["hired_on"] = _cell(
        row, "入职日期", _required(_plausible(excel.parse_date, WORK_DATE)), errors
    )
    v["left_on"] = _cell(row, "离职日期", _plausible(_optional_date, WORK_DATE), errors)
    v["leave_reason"] = _cell(
        row, "离职原因", _optional_choice(excel.REASONS), errors, _labels(excel.REASONS)
    )
    _check_row(v, errors)
    return v, errors


def _filled(value) -> bool:
    return isinstance(value, spreadsheet.Formula) or spreadsheet.text(value) != ""


def _written_title(row: dict):
    """The cell that names the title: 职称名称 where the file has one filled in, else 职称."""
    return row.get("职称名称") if _filled(row.get("职称名称")) else row.get("职称")


def _title_name(value) -> str:
    name = excel.title_name(value)
    refuse_control_chars(name)
    if len(name) > 50:
        raise ValidationError(_("At most 50 characters."))
    return name


def _title(row: dict, v: dict, errors: list) -> None:
    """职称 as its level, and the title as written wherever the file names one (主管护师).

    The name is the 职称名称 cell, else a 职称 cell that says more than a level (中级 says
    nothing more). A row without a 职称 takes the level from its 职称名称, as the staff form does.
    """
    named = "职称名称" if _filled(row.get("职称名称")) else "职称"
    level_from = "职称" if _filled(row.get("职称")) else named
    said = len(errors)
    v["title"] = _cell(
        row,
        level_from,
        _required(lambda x: excel.title(x, v["category"])),
        errors,
        _labels(excel.TITLES) + "、主治医师、主管护师、会计师等",
    )
    if named == level_from and len(errors) > said:
        v["title_name"] = ""  # the cell's error is already said once
    else:
        v["title_name"] = _cell(row, named, _title_name, errors)


def _category(row: dict, absent: Collection[str], errors: list) -> str | None:
    """The row's 人员类别: its own column, or, in a file without one, what the 职称 tells."""
    if "人员类别" not in absent:
        return _cell(
            row,
            "人员类别",
            _required(_choice(excel.CATEGORIES)),
            errors,
            _labels(excel.CATEGORIES),
        )
    written = _written_title(row)
    category = (
        None if isinstance(written, spreadsheet.Formula) else excel.category_of_title(written)
    )
    if category is None:
        errors.append(
            (
                "人员类别",
                _(
                    "The file has no 人员类别 column and the title “%(title)s” does not tell the "
                    "category: add a 人员类别 column to the file, or fill in a health title "
                    "(主治医师, 主管护师 …)."
                )
                % {"title": spreadsheet.text(written)},
            )
        )
    return category


def _department(value) -> str:
    """A department's name, fit to create one under (resolved to a row when planning)."""
    name = spreadsheet.text(value)
    refuse_control_chars(name)
    if len(name) > 50:
        raise ValidationError(_("At most 50 characters."))
    return name


def _birth_day_from_id(row: dict, v: dict) -> None:
    """出生年月 gives only a month: a full 身份证号 of that month supplies the day."""
    born, number = v["birth_date"], v["id_number"]
    if born and is_full_id(number) and excel.is_month_only(row.get("出生日期")):
        from_id = id_birth_date(number)
        if from_id and (from_id.year, from_id.month) == (born.year, born.month):
            v["birth_date"] = from_id


def _check_row(v: dict, errors: list) -> None:
    """Rules between columns, as the staff form applies them."""
    today = timezone.localdate()
    if v["birth_date"] and v["birth_date"] > today:
        errors.append(("出生日期", _("The date of birth cannot be in the future.")))
    full_id = v["id_number"] and not MASKED_ID.match(v["id_number"])
    if full_id:
        for message in id_disagreements(v["id_number"], v["birth_date"], v["gender"]):
            errors.append(("身份证号", message))
    if v["hired_on"] and v["left_on"] and v["left_on"] < v["hired_on"]:
        errors.append(("离职日期", _("The date left cannot be before the date hired.")))
    if v["left_on"] and not v["leave_reason"]:
        errors.append(("离职原因", _("Give the reason for leaving.")))
    if v["leave_reason"] and not v["left_on"]:
        errors.append(("离职日期", _("Give the date left, or clear the reason.")))
    _check_job(v, errors)


def _check_job(v: dict, errors: list) -> None:
    """The post's own rules: practice type and 全科 for physicians, degree with postgraduates."""
    if v["category"] and v["category"] not in PHYSICIANS:
        if v["practice_type"]:
            errors.append(("执业类别", _("Only physicians have a practice type.")))
        if v["general_practice"]:
            errors.append(("全科", _("Only physicians register in general practice.")))
    if v["degree"] and v["education"] != "postgraduate":
        errors.append(("学历", _("A degree is recorded only with postgraduate education.")))
    if v["establishment"] == Establishment.OFF and v["contract_kind"] == "":
        errors.append(("编制情况", _("Say which kind of off-establishment post it is.")))


# --- planning against the database -------------------------------------------------------


def _differences(obj, values: dict, fields) -> list[str]:
    return [name for name in fields if getattr(obj, name) != values[name]]


class _Index:
    """The centre's people, spells and departments, loaded once (three queries) for matching."""

    def __init__(self, centre: Centre):
        people = list(Person.objects.filter(centre=centre))
        self.by_id = {p.id_number: p for p in people if p.id_number}
        self.by_name: dict[tuple, list[Person]] = {}
        for person in people:
            self.by_name.setdefault((person.name, person.birth_date), []).append(person)
        self.spells: dict[int, list[Spell]] = {}
        by_pk = {p.pk: p for p in people}
        for spell in Spell.objects.filter(centre=centre):
            spell.person = by_pk[spell.person_id]  # no query per spell later
            self.spells.setdefault(spell.person_id, []).append(spell)
        self.departments: dict[str, list[Department]] = {}
        self.department_names: dict[int, str] = {}
        for d in Department.objects.filter(centre=centre).order_by("closed_on", "-opened_on"):
            self.departments.setdefault(d.name, []).append(d)
            self.department_names[d.pk] = d.name

    def add(self, person: Person) -> None:
        if person.id_number:
            self.by_id[person.id_number] = person
        self.by_name.setdefault((person.name, person.birth_date), []).append(person)

    def department_id(self, name: str, current: int | None) -> int | None:
        """A name to a department: the spell's own if it has that name, else an open one first."""
        if not name:
            return None
        if current and self.department_names.get(current) == name:
            return current
        found = self.departments.get(name)
        return found[0].pk if found else None


class Mismatch(Exception):
    """A row that cannot be matched to the roster safely; the message says why."""


class IdConflict(Exception):
    """A full number that is someone else's, from an uploader who may not see numbers."""


def is_full_id(number) -> bool:
    """A number as typed in full, not masked (None is a cell that failed to parse)."""
    return bool(number) and not MASKED_ID.match(number)


def _unseen_id_number(number: str, namesakes: list[Person], index: _Index) -> None:
    """Without the right to see 身份证号, no outcome may tell a right number from a wrong one.

    Whoever is on the roster under this name and birth date with a number keeps it (the masked
    export or an empty cell); a full number there is an error whether or not it is the stored one.
    A number that belongs to someone else cannot be created: IdConflict, on which the whole file
    is refused without naming the row, audited, and limited (check()).
    """
    if any(p.id_number for p in namesakes):
        raise Mismatch(
            _(
                "You may not see identity card numbers: for people already on the roster keep "
                "the masked number from the export or leave the cell empty; a centre manager "
                "corrects identity card numbers."
            )
        )
    if number in index.by_id:
        raise IdConflict


def match_person(v: dict, index: _Index, *, sees_ids: bool = True) -> Person | None:
    """The roster's person for a row, or None for a new one.

    A full 身份证号 decides. Without one (an empty or masked cell), name and birth date must point
    to one person, whose stored number is then kept. `sees_ids` False: see _unseen_id_number.
    """
    number, key = v["id_number"], (v["name"], v["birth_date"])
    namesakes = index.by_name.get(key, [])
    if number and not MASKED_ID.match(number):
        if not sees_ids:
            _unseen_id_number(number, namesakes, index)
        if number in index.by_id:
            return index.by_id[number]
        without_id = [p for p in namesakes if not p.id_number]
        return without_id[0] if len(without_id) == 1 else None  # else someone new
    if number:  # masked, as exported for clerks
        if not sees_ids:  # an older mask's later digits are a guess they could test: ignored
            number = number[:ID_SHOWN] + "*" * (len(number) - ID_SHOWN)
        found = [p for p in namesakes if p.id_number and id_number_fits_mask(p.id_number, number)]
        if len(found) > 1:
            raise Mismatch(
                _("Several people on the roster share this name and birth date; enter the number.")
            )
        if not found:
            raise Mismatch(
                _(
                    "This masked number matches nobody on the roster; "
                    "enter it in full or leave it empty."
                )
            )
        v["id_number"] = found[0].id_number
        return found[0]
    if len(namesakes) > 1:
        raise Mismatch(
            _("Several people on the roster share this name and birth date; enter the number.")
        )
    if namesakes:
        v["id_number"] = namesakes[0].id_number  # an empty cell keeps the stored number
        return namesakes[0]
    return None


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start <= (b_end or dt.date.max) and b_start <= (a_end or dt.date.max)


def plan_rows(
    centre: Centre,
    parsed: list[tuple[int, dict, list]],
    *,
    sees_ids: bool = True,
    create: Collection[str] | None = None,
    kept: Collection[str] = (),
) -> list[PlannedRow]:
    """What applying the parsed rows would do, row by row; any error blocks them all.

    A 科室 the centre lacks is an error unless it is to be created: `create` names those, and
    None (the preview) lets every such name pass, to be offered (_missing_departments).
    """
    index = _Index(centre)
    seen: dict = {}
    planned = []
    for number, values, errors in parsed:
        row = PlannedRow(number, dict(values), list(errors))
        if not row.errors:
            try:
                _plan_one(row, index, seen, sees_ids, create, kept)
            except Mismatch as exc:
                row.errors.append(("身份证号", str(exc)))
            except IdConflict:
                row.conflict = True
        planned.append(row)
    return planned


def _file_keys(v: dict) -> list[tuple]:
    keys = [("nb", v["name"], v["birth_date"])]
    if v["id_number"]:
        keys.append(("id", v["id_number"]))
    return keys


def _check_file(row: PlannedRow, seen: dict) -> None:
    """Rows of one file about one person (by number, or name and birth date) may not clash."""
    v = row.values
    for key in _file_keys(v):
        for start, end, number, who in seen.get(key, []):
            if key[0] == "id" and who != (v["name"], v["birth_date"]):
                raise Mismatch(
                    _("Row %(n)s has this number with another name or birth date.") % {"n": number}
                )
            if _overlaps(start, end, v["hired_on"], v["left_on"]):
                row.errors.append(
                    ("入职日期", _("Overlaps row %(n)s of this file.") % {"n": number})
                )
                return
    for key in _file_keys(v):
        seen.setdefault(key, []).append(
            (v["hired_on"], v["left_on"], row.number, (v["name"], v["birth_date"]))
        )


def _plan_one(
    row: PlannedRow,
    index: _Index,
    seen: dict,
    sees_ids: bool = True,
    create: Collection[str] | None = None,
    kept: Collection[str] = (),
) -> None:
    v = row.values
    typed = v["id_number"]
    person = match_person(v, index, sees_ids=sees_ids)
    if person is not None and v["id_number"] != typed:  # the roster's number, as the form reads it
        row.errors += [("性别", m) for m in id_disagreements(v["id_number"], None, v["gender"])]
    _check_file(row, seen)
    if row.errors:
        return
    repeat = any(len(seen.get(key, [])) > 1 for key in _file_keys(v))
    spells = index.spells.get(person.pk, []) if person else []
    spell = next((s for s in spells if s.hired_on == v["hired_on"]), None)
    for name in kept if spell is not None else ():
        v[name] = getattr(spell, name)
    if spell is not None:
        _keep_unsaid(v, spell)
    v["department_id"] = index.department_id(
        v["department"], spell.department_id if spell else None
    )
    missing = v["department"] and v["department_id"] is None
    if missing and create is not None and v["department"] not in create:
        row.errors.append(
            (
                "科室",
                _("No department of this centre is called “%(name)s”.") % {"name": v["department"]},
            )
        )
        return
    if person is None:
        row.action = Action.NEW_SPELL if repeat else Action.NEW_PERSON
        return
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
    job = {**v, "department": v["department_id"]}
    row.changes += [
        f
        for f in SPELL_FIELDS
        if getattr(spell, "department_id" if f == "department" else f) != job[f]
    ]
    row.action = Action.UPDATE if row.changes else Action.UNCHANGED


def _keep_unsaid(v: dict, spell: Spell) -> None:
    """What a row leaves unsaid, a post on the roster keeps: a 职称 that names only its level
    keeps the written title while the level stays; a bare 编外 keeps the kind of an 编外 post."""
    if not v["title_name"] and v["title"] == spell.title:
        v["title_name"] = spell.title_name
    if v.get("establishment_unsaid") and spell.establishment == Establishment.OFF:
        v["contract_kind"] = spell.contract_kind


# --- the import kind: check a file into a plan, apply the plan --------------------------------


def _to_json(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


def _from_json(values: dict) -> dict:
    return {
        "title_name": "",  # absent from a plan checked before the column was read
        **{
            k: (dt.date.fromisoformat(v) if k in DATE_FIELDS and v else v)
            for k, v in values.items()
        },
    }


def roster_fingerprint(centre: Centre) -> str:
    """Changes whenever anyone edits the centre's roster: a preview is only good until then."""
    people = Person.objects.filter(centre=centre).aggregate(n=Count("id"), t=Max("updated_at"))
    spells = Spell.objects.filter(centre=centre).aggregate(n=Count("id"), t=Max("updated_at"))
    departments = Department.objects.filter(centre=centre).aggregate(
        n=Count("id"), t=Max("updated_at")
    )
    return "|".join(str(x) for x in (*people.values(), *spells.values(), *departments.values()))


def _read(content: bytes) -> tuple[list[str], list]:
    """The header and data rows of a 花名册 workbook, or Refused saying what is wrong with it."""
    try:
        header, data = spreadsheet.read_rows(content, find_header=header_keys)
    except spreadsheet.UnreadableFile as exc:
        raise imports.Refused(
            _("This file cannot be read: upload an Excel workbook (.xlsx).")
        ) from exc
    if not header:
        raise imports.Refused(
            _(
                "No header row in the first %(n)s rows: the row of column names needs at least "
                "two of %(names)s."
            )
            % {"n": spreadsheet.HEADER_SEARCH_ROWS, "names": "、".join(excel.HEADERS)}
        )
    missing = [
        h
        for h in excel.REQUIRED
        if h not in header and h not in FILLED_IN and not (h == "职称" and "职称名称" in header)
    ]
    if missing:
        raise imports.Refused(_("Missing columns: %(names)s.") % {"names": "、".join(missing)})
    if not data:
        raise imports.Refused(_("The file has no data rows under its header."))
    if len(data) > MAX_ROWS:  # reading stopped past the limit, so the true count is unknown
        raise imports.Refused(
            _("The file has more than %(max)s rows; at most %(max)s at a time.") % {"max": MAX_ROWS}
        )
    return header, data


def _missing_departments(centre: Centre, parsed: list) -> list[dict]:
    """The file's 科室 the centre lacks, each opened on the earliest 入职日期 of its rows."""
    existing = set(Department.objects.filter(centre=centre).values_list("name", flat=True))
    opened: dict[str, dt.date | None] = {}
    for _n, values, _e in parsed:
        name, hired = values["department"], values["hired_on"]
        if name and name not in existing:
            first = opened.setdefault(name, hired)
            if hired and (first is None or hired < first):
                opened[name] = hired
    today = timezone.localdate()
    return [{"name": n, "opened_on": (opened[n] or today).isoformat()} for n in sorted(opened)]


# A centre has a few dozen departments; more new ones in one file is a misfilled 科室 column (and
# each is created and audited on its own at apply).
MAX_NEW_DEPARTMENTS = 60

# The kind a new department gets from its name; the 科室 page corrects it afterwards.
DEPARTMENT_KIND_WORDS = (
    (
        Department.Kind.ADMINISTRATIVE,
        ("办公室", "财务", "人事", "党", "行政", "后勤", "总务", "信息"),
    ),
    (
        Department.Kind.PREVENTIVE,
        ("公共卫生", "公卫", "预防", "保健", "防保", "免疫", "疾控", "健康"),
    ),
    (Department.Kind.TECHNICAL, ("检验", "影像", "放射", "超声", "B超", "心电", "药", "化验")),
)


def department_kind(name: str) -> str:
    """A guess from the name (财务科 → administration); clinical when nothing says otherwise."""
    for kind, words in DEPARTMENT_KIND_WORDS:
        if any(word in name for word in words):
            return kind
    return Department.Kind.CLINICAL


def _create_departments(job: ImportJob, actor) -> set[str]:
    """Create the ticked departments the centre still lacks (audited); their names."""
    chosen = set(job.params.get("create_departments", []))
    existing = set(Department.objects.filter(centre=job.centre).values_list("name", flat=True))
    for offer in job.plan.get("new_departments", []):
        name = offer["name"]
        if name in chosen and name not in existing:
            record_create(
                centre=job.centre,
                model=Department,
                data={
                    "name": name,
                    "kind": department_kind(name),
                    "opened_on": dt.date.fromisoformat(offer["opened_on"]),
                },
                actor=actor,
            )
    return chosen


def _refuse_unseen_ids(job: ImportJob, planned: list[PlannedRow]) -> None:
    """Refuse, audit and count a file with others' numbers from an uploader who may not see them.

    Which rows conflict would say which guess was right, so the file goes back whole, unnamed.
    """
    conflicts = sum(row.conflict for row in planned)
    if conflicts:
        id_number_probe_record(
            actor=job.created_by, centre=job.centre, target=job, action=ID_CONFLICT, count=conflicts
        )
        raise imports.Refused(
            _(
                "A number in the file conflicts with someone else on the roster; ask a centre "
                "manager, who may see identity card numbers, to import this file."
            )
        )


def _refuse_blocked(job: ImportJob, parsed: list[tuple[int, dict, list]]) -> None:
    """After too many conflicts, any full number is refused outright (audited), right or wrong."""
    full = sum(is_full_id(values["id_number"]) for _n, values, _e in parsed)
    if full and id_number_entry_blocked(user=job.created_by):
        id_number_probe_record(
            actor=job.created_by, centre=job.centre, target=job, action=ID_REFUSED, count=full
        )
        raise imports.Refused(str(ID_ENTRY_BLOCKED))


def check(job: ImportJob, content: bytes, progress) -> None:
    """Parse every row and plan it against the roster; the job keeps both for the preview."""
    header, data = _read(content)
    absent = [column for column in FILLED_IN if column not in header]
    parsed = []
    for i, (number, cells) in enumerate(data, start=1):
        values, errors = parse_row(cells, absent)
        parsed.append((number, values, errors))
        if i % 1000 == 0:
            progress(i, len(data))
    sees_ids = sees_id_numbers(user=job.created_by, centre=job.centre)
    if not sees_ids:
        _refuse_blocked(job, parsed)
    planned = plan_rows(job.centre, parsed, sees_ids=sees_ids, kept=kept_fields(absent))
    if not sees_ids:
        _refuse_unseen_ids(job, planned)
    new_departments = _missing_departments(job.centre, parsed)
    if len(new_departments) > MAX_NEW_DEPARTMENTS:
        raise imports.Refused(
            _(
                "The file names %(n)s departments this centre lacks; an import creates at most "
                "%(max)s. Check the 科室 column, or add the departments first."
            )
            % {"n": len(new_departments), "max": MAX_NEW_DEPARTMENTS}
        )
    job.plan = {
        "rows": [
            {
                "number": row.number,
                "values": _to_json(values),
                "errors": row.errors,
                "action": row.action,
                "changes": row.changes,
            }
            for (_n, values, _e), row in zip(parsed, planned, strict=True)
        ],
        "summary": {
            action: sum(r.action == action and not r.errors for r in planned)
            for action in (Action.NEW_PERSON, Action.NEW_SPELL, Action.UPDATE, Action.UNCHANGED)
        },
        "bad_rows": sum(bool(r.errors) for r in planned),
        "ignored_columns": ignored_columns(header, data),
        "new_departments": new_departments,
        "absent_columns": absent,
        "category_from_title": _categories_read(data) if "人员类别" in absent else [],
        "establishment_unsaid": sum(values["establishment_unsaid"] for _n, values, _e in parsed),
    }
    job.fingerprint = roster_fingerprint(job.centre)


def _categories_read(data: list) -> list[tuple[str, str]]:
    """Each title of the file that told a 人员类别, with it, in the file's order (assumptions)."""
    found: dict[str, str] = {}
    for _n, cells in data:
        written = "".join(spreadsheet.text(_written_title(cells)).split())
        if (category := excel.category_of_title(written)) and written not in found:
            found[written] = category
    return list(found.items())


# The 编制情况 a file without that column may be given, as the column would say it.
ESTABLISHMENTS = ["在编", *(f"编外-{kind}" for kind in excel.CONTRACT_KINDS.values())]


def asks_establishment(job: ImportJob) -> bool:
    """Whether the file lacked 编制情况, so that one must be chosen for all its rows."""
    return "编制情况" in job.plan.get("absent_columns", [])


def assumptions(job: ImportJob) -> list[str]:
    """What the preview says about the filled-in columns it read from nothing in the file."""
    absent = job.plan.get("absent_columns", [])
    said = []
    if "人员类别" in absent:
        mapping = "、".join(
            f"{title}→{excel.CATEGORIES[category]}"
            for title, category in job.plan.get("category_from_title", [])
        )
        said.append(
            _("The file has no 人员类别 column: it is read from the title (%(mapping)s).")
            % {"mapping": mapping or "—"}
        )
    if "职务" in absent:
        said.append(
            _("The file has no 职务 column: everyone is imported as “%(position)s”.")
            % {"position": excel.POSITIONS[Position.STAFF]}
        )
    if absent:
        said.append(
            _("Posts already on the roster keep their own %(columns)s.")
            % {"columns": "、".join(absent)}
        )
    if unsaid := job.plan.get("establishment_unsaid"):
        said.append(
            _(
                "%(n)s rows say only 编外 (or 编制外) in 编制情况, which does not say the kind "
                "of post: new posts are imported as “%(assumed)s”, posts already on the roster"
                " as 编外 keep their own kind. Where another kind is right, write it in the "
                "file (编外-劳务派遣, 编外-返聘)."
            )
            % {"n": unsaid, "assumed": f"编外-{excel.CONTRACT_KINDS[excel.OFF_UNSAID_KIND]}"}
        )
    return said


def choose(job: ImportJob, *, departments: list[str], establishment: str = "") -> None:
    """Note the preview's choices for apply: the departments to create and, for a file without
    编制情况, the one for all its rows (ValidationError, nothing noted, while it is not chosen)."""
    offered = {d["name"] for d in job.plan.get("new_departments", [])}
    params = {**job.params, "create_departments": sorted(offered.intersection(departments))}
    if asks_establishment(job) and job.status == ImportJob.Status.PREVIEW:
        if establishment not in ESTABLISHMENTS:
            raise ValidationError(_("Choose the 编制情况 of everyone in the file."))
        params["establishment"] = establishment
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(params=params)
    job.params = params


def _fill_establishment(job: ImportJob, parsed: list) -> str | None:
    """Give every row of a file without 编制情况 the one chosen on the preview; that choice."""
    if not asks_establishment(job):
        return None
    chosen = job.params.get("establishment")
    if chosen not in ESTABLISHMENTS:
        raise imports.Refused(_("Choose the 编制情况 of everyone in the file."))
    establishment, contract_kind = excel.establishment(chosen)
    for _n, values, _e in parsed:
        values["establishment"], values["contract_kind"] = establishment, contract_kind
    return chosen


def preview_rows(job: ImportJob, limit: int = 1000) -> tuple[list[dict], int]:
    """The rows worth reading (errors first, then what changes), and how many were left out."""
    rows = job.plan.get("rows", [])
    shown = [r for r in rows if r["errors"]] + [
        r for r in rows if not r["errors"] and r["action"] != Action.UNCHANGED
    ]
    return shown[:limit], max(len(shown) - limit, 0)


def apply(job: ImportJob, actor, progress) -> dict[str, int]:
    """Apply every row at once in bulk; refused if the roster changed since the preview."""
    # Lock the centre first: two imports (or an import and an edit) of one roster run in turn.
    Centre.objects.select_for_update().filter(pk=job.centre_id).first()
    if roster_fingerprint(job.centre) != job.fingerprint:
        raise imports.Refused(
            _("The roster changed after this preview; upload the file again to check it anew.")
        )
    parsed = [
        (r["number"], _from_json(r["values"]), [e for e in r["errors"]])
        for r in job.plan.get("rows", [])
    ]
    establishment = _fill_establishment(job, parsed)
    sees_ids = sees_id_numbers(user=job.created_by, centre=job.centre)
    chosen = _create_departments(job, actor)
    absent = job.plan.get("absent_columns", [])
    planned = plan_rows(job.centre, parsed, sees_ids=sees_ids, create=(), kept=kept_fields(absent))
    _refuse_unchosen(planned, chosen)
    if any(row.errors or row.conflict for row in planned):
        raise imports.Refused(_("Some rows have errors."))
    counts = {Action.NEW_PERSON: 0, Action.NEW_SPELL: 0, Action.UPDATE: 0, Action.UNCHANGED: 0}
    for row in planned:
        counts[row.action] += 1
    _Bulk(job.centre, actor).apply([r for r in planned if r.action != Action.UNCHANGED])
    audit(
        actor=actor,
        action="staff.roster.imported",
        target=job,
        centre=job.centre,
        changes={
            "file": job.filename,
            **counts,
            **({"establishment": establishment} if establishment else {}),
        },
    )
    return counts


def _refuse_unchosen(planned: list[PlannedRow], chosen: set[str]) -> None:
    """Rows whose 科室 the user chose not to create cannot go in: say which departments."""
    names = sorted(
        {
            row.values["department"]
            for row in planned
            if any(column == "科室" for column, _m in row.errors)
            and row.values["department"] not in chosen
        }
    )
    if names:
        raise imports.Refused(
            _(
                "Rows name departments you chose not to create: %(names)s. Upload the file "
                "again and create them, or correct those rows."
            )
            % {"names": "、".join(names)}
        )


class _Bulk:
    """Writes planned rows with a few queries per thousand rows: people, spells, audit rows."""

    def __init__(self, centre: Centre, actor):
        self.centre, self.actor = centre, actor
        self.index = _Index(centre)
        self.now = timezone.now()
        self.new_people: dict[int, Person] = {}
        self.changed_people: dict[int, Person] = {}
        self.new_spells: list[Spell] = []
        self.changed_spells: dict[int, Spell] = {}
        self.pending: list[tuple[object, str, dict]] = []  # (row object, action, changes)

    def _snap(self, obj, fields) -> dict:
        """Plain values as core.audit.snapshot gives them, departments named without a query."""
        values = {}
        for name in fields:
            if name == "department":
                values[name] = self.index.department_names.get(obj.department_id)
            else:
                values[name] = snapshot(obj, [name])[name]
        return values

    def apply(self, rows: list[PlannedRow]) -> None:
        for row in rows:
            self._row(row)
        Person.objects.bulk_create(self.new_people.values(), batch_size=1000)
        Person.objects.bulk_update(
            self.changed_people.values(), [*PERSON_FIELDS, "updated_at"], batch_size=500
        )
        for spell in self.new_spells:
            spell.person = spell.person  # takes the new person's pk and keeps it cached
        Spell.objects.bulk_create(self.new_spells, batch_size=1000)
        Spell.objects.bulk_update(
            self.changed_spells.values(), [*SPELL_FIELDS, "updated_at"], batch_size=500
        )
        audit_bulk(
            [
                audit_entry(
                    actor=self.actor,
                    action=f"staff.{obj._meta.model_name}.{verb}",
                    target=obj,
                    centre=self.centre,
                    changes=changes,
                )
                for obj, verb, changes in self.pending
            ]
        )

    def _row(self, row: PlannedRow) -> None:
        v = row.values
        person = match_person(dict(v), self.index)
        if person is None:
            person = Person(centre=self.centre)
            self.new_people[id(person)] = person
            self._set(person, {k: v[k] for k in PERSON_FIELDS}, PERSON_FIELDS)
            self.index.add(person)
        elif id(person) not in self.new_people and any(k in PERSON_FIELDS for k in row.changes):
            self.changed_people[id(person)] = person
            self._set(person, {k: v[k] for k in PERSON_FIELDS}, PERSON_FIELDS)
        spell_values = {k: v[k] for k in SPELL_FIELDS if k != "department"}
        spell_values["department_id"] = v["department_id"]
        spells = self.index.spells.get(person.pk, []) if person.pk else []
        spell = next((s for s in spells if s.hired_on == v["hired_on"]), None)
        if spell is None:
            spell = Spell(person=person, centre=self.centre)
            self.new_spells.append(spell)
        else:
            self.changed_spells[spell.pk] = spell
        self._set(spell, spell_values, SPELL_FIELDS)

    def _set(self, obj, values: dict, fields) -> None:
        """Set the row's values and note its audit row (old → new) for after the writes."""
        before = self._snap(obj, fields) if obj.pk else {}
        for k, value in values.items():
            setattr(obj, k, value)
        obj.updated_at = self.now
        changes = diff(before, self._snap(obj, fields))
        if changes:
            self.pending.append((obj, "imported", changes))


def register() -> None:
    """The roster is a kind of import (core/imports.py)."""
    imports.register(imports.Kind(name="roster", check=check, apply=apply))


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
    "title_name": "职称名称",
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
