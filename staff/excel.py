"""The 花名册 as an XLSX file: the layout export writes is the layout import reads.

Cell texts are the official Chinese terms, fixed here rather than taken from the UI language, so
that a file round-trips whatever language the page is shown in.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Font

from core.spreadsheet import read_date, text, text_cell, text_row

from .models import (
    Category,
    ContractKind,
    Degree,
    Education,
    Establishment,
    Gender,
    LeaveReason,
    Position,
    PracticeType,
    Spell,
    Title,
)
from .validators import mask_id_number

HEADERS = [
    "姓名", "性别", "出生日期", "身份证号", "人员类别", "执业类别", "全科", "职称", "职称名称",
    "学历", "编制情况", "职务", "科室", "党员", "入职日期", "离职日期", "离职原因",
]  # fmt: skip
REQUIRED = ["姓名", "性别", "出生日期", "人员类别", "职称", "编制情况", "职务", "入职日期"]

GENDERS = {Gender.MALE: "男", Gender.FEMALE: "女"}
CATEGORIES = {
    Category.PHYSICIAN: "执业医师",
    Category.ASSISTANT_PHYSICIAN: "执业助理医师",
    Category.NURSE: "注册护士",
    Category.PHARMACIST: "药师(士)",
    Category.TECHNICIAN: "技师(士)",
    Category.OTHER_HEALTH: "其他卫生技术人员",
    Category.OTHER_TECHNICAL: "其他技术人员",
    Category.MANAGEMENT: "管理人员",
    Category.SUPPORT: "工勤技能人员",
}
PRACTICE_TYPES = {
    PracticeType.CLINICAL: "临床",
    PracticeType.TCM: "中医",
    PracticeType.DENTAL: "口腔",
    PracticeType.PUBLIC_HEALTH: "公共卫生",
}
TITLES = {
    Title.SENIOR: "正高",
    Title.ASSOCIATE_SENIOR: "副高",
    Title.INTERMEDIATE: "中级",
    Title.JUNIOR: "师级/助理",
    Title.ASSISTANT: "士级",
    Title.NONE: "待聘/无",
}
EDUCATION = {
    Education.POSTGRADUATE: "研究生",
    Education.BACHELOR: "本科",
    Education.COLLEGE: "大专",
    Education.SECONDARY: "中专及以下",
}
DEGREES = {Degree.DOCTOR: "博士", Degree.MASTER: "硕士"}
CONTRACT_KINDS = {
    ContractKind.CONTRACT: "合同制",
    ContractKind.DISPATCHED: "劳务派遣",
    ContractKind.REHIRED: "返聘",
}
# 编制情况 as offices write it. In the establishment: 在编, 编内, 编制内. Off it, the kind:
# 聘用 and 临聘 are hired by the centre on its own contract (合同制), unlike 劳务派遣 staff.
# 编外 or 编制外 alone names no kind: they read as 合同制, the commonest, and the import
# preview says so.
ON_ESTABLISHMENT = {"在编", "编内", "编制内"}
OFF_UNSAID = ("编制外", "编外")  # also a prefix: 编外-合同制; the longer first
OFF_UNSAID_KIND = ContractKind.CONTRACT
OFF_KIND_ALIASES = {"聘用": "合同制", "聘用制": "合同制", "临聘": "合同制"}
POSITIONS = {Position.LEADER: "中心领导", Position.MIDDLE: "中层干部", Position.STAFF: "职工"}
REASONS = {
    LeaveReason.RESIGNED: "辞职",
    LeaveReason.TRANSFERRED: "调出",
    LeaveReason.RETIRED: "退休",
    LeaveReason.DISMISSED: "解聘",
    LeaveReason.DIED: "死亡",
    LeaveReason.OTHER: "其他",
}
YES, NO = "是", "否"

# Extra spellings people type, read as the canonical value (职称 and 学历 have their own tables
# below: 药师 is a 人员类别 here but a 职称 there).
ALIASES = {
    "药师": "药师(士)", "药士": "药师(士)", "技师": "技师(士)", "技士": "技师(士)",
    "男性": "男", "女性": "女",
}  # fmt: skip


# 专业技术职称 as offices write them → the level the roster counts (Title). Series by series:
# 卫生 (医、中医、护、药、中药、技), then 经济, 会计, 工程 (统计 reads as 经济 does).
_HEALTH_SERIES = {
    Title.SENIOR: "主任{}师",
    Title.ASSOCIATE_SENIOR: "副主任{}师",
    Title.JUNIOR: "{}师",
    Title.ASSISTANT: "{}士",
}
# Each 卫生 series: its 人员类别, and the name of its 中级 title.
_HEALTH_SERIES_OF = {
    "医": (Category.PHYSICIAN, "主治医师"),
    "中医": (Category.PHYSICIAN, "主治中医师"),
    "护": (Category.NURSE, "主管护师"),
    "药": (Category.PHARMACIST, "主管药师"),
    "中药": (Category.PHARMACIST, "主管中药师"),
    "技": (Category.TECHNICIAN, "主管技师"),
}
_HEALTH_TITLES = {  # written title → (series, level)
    **{
        pattern.format(series): (series, level)
        for series in _HEALTH_SERIES_OF
        for level, pattern in _HEALTH_SERIES.items()
    },
    **{middle: (series, Title.INTERMEDIATE) for series, (_c, middle) in _HEALTH_SERIES_OF.items()},
}
# A file without a 人员类别 column reads it from a 卫生 title (importer); 医士 is the assistant
# physician's. Other titles (经济, 会计, 工程, 工勤, a bare level) do not tell it.
CATEGORY_OF_TITLE = {
    name: _HEALTH_SERIES_OF[series][0] for name, (series, _level) in _HEALTH_TITLES.items()
} | {"医士": Category.ASSISTANT_PHYSICIAN, "中医士": Category.ASSISTANT_PHYSICIAN}
TITLE_NAMES = {name: level for name, (_s, level) in _HEALTH_TITLES.items()} | {
    "正高级经济师": Title.SENIOR, "高级经济师": Title.ASSOCIATE_SENIOR,
    "经济师": Title.INTERMEDIATE, "助理经济师": Title.JUNIOR, "经济员": Title.ASSISTANT,
    "正高级统计师": Title.SENIOR, "高级统计师": Title.ASSOCIATE_SENIOR,
    "统计师": Title.INTERMEDIATE, "助理统计师": Title.JUNIOR, "统计员": Title.ASSISTANT,
    "正高级会计师": Title.SENIOR, "高级会计师": Title.ASSOCIATE_SENIOR,
    "会计师": Title.INTERMEDIATE, "助理会计师": Title.JUNIOR, "会计员": Title.ASSISTANT,
    "正高级工程师": Title.SENIOR, "高级工程师": Title.ASSOCIATE_SENIOR,
    "工程师": Title.INTERMEDIATE, "助理工程师": Title.JUNIOR, "技术员": Title.ASSISTANT,
}  # fmt: skip
# Words that name only a level, never a title: no 职称名称 is kept for them (title_name()).
LEVEL_WORDS = {
    **{label: level for level, label in TITLES.items()},
    "师级": Title.JUNIOR, "初级": Title.JUNIOR, "无": Title.NONE, "待聘": Title.NONE,
}  # fmt: skip
TITLE_NAMES |= LEVEL_WORDS
# 工勤 technical grades are not 专业技术职称: their holders count as without a title. "技师" is
# also the 卫生 技 series' 师 level, so it is a grade only for 工勤技能人员 (see title()).
WORKER_GRADES = {"高级技师", "技师", "高级工", "中级工", "初级工"}

# 学历 as offices write them → (Education, Degree); the 研究生-硕士 form export writes is below.
EDUCATION_NAMES = {
    "博士研究生": (Education.POSTGRADUATE, Degree.DOCTOR),
    "博士": (Education.POSTGRADUATE, Degree.DOCTOR),
    "硕士研究生": (Education.POSTGRADUATE, Degree.MASTER),
    "硕士": (Education.POSTGRADUATE, Degree.MASTER),
    "研究生": (Education.POSTGRADUATE, ""),
    "大学本科": (Education.BACHELOR, ""),
    "本科": (Education.BACHELOR, ""),
    "大学专科": (Education.COLLEGE, ""),
    "大专": (Education.COLLEGE, ""),
    "专科": (Education.COLLEGE, ""),
    "高职": (Education.COLLEGE, ""),
    "中专": (Education.SECONDARY, ""),
    "中等专业": (Education.SECONDARY, ""),
    "中等专科": (Education.SECONDARY, ""),
    "中技": (Education.SECONDARY, ""),
    "职高": (Education.SECONDARY, ""),
    "高中": (Education.SECONDARY, ""),
    "初中": (Education.SECONDARY, ""),
    "小学": (Education.SECONDARY, ""),
}


def _reverse(mapping: dict) -> dict[str, str]:
    return {label: code for code, label in mapping.items()}


# --- export ------------------------------------------------------------------------------


def _education_cell(person) -> str:
    label = EDUCATION.get(person.education, "")
    return f"{label}-{DEGREES[person.degree]}" if person.degree else label


def _establishment_cell(spell: Spell) -> str:
    if spell.establishment == Establishment.ON:
        return "在编"
    kind = CONTRACT_KINDS.get(spell.contract_kind)
    return f"编外-{kind}" if kind else "编外"


def spell_row(spell: Spell, *, show_id: bool) -> list:
    """One spell as a row of the 花名册."""
    person = spell.person
    physician = spell.practice_type or spell.general_practice
    return [
        person.name,
        GENDERS[person.gender],
        person.birth_date,
        (person.id_number if show_id else mask_id_number(person.id_number)) or "",
        CATEGORIES[spell.category],
        PRACTICE_TYPES.get(spell.practice_type, ""),
        (YES if spell.general_practice else NO) if physician else "",
        TITLES[spell.title],
        spell.title_name,
        _education_cell(person),
        _establishment_cell(spell),
        POSITIONS[spell.position],
        spell.department.name if spell.department_id else "",
        YES if person.party_member else NO,
        spell.hired_on,
        spell.left_on,
        REASONS.get(spell.leave_reason, ""),
    ]


def write_roster(spells: Iterable[Spell], *, show_id: bool) -> bytes:
    """An XLSX file of the given spells, streamed row by row (constant memory)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    header = []
    for title in HEADERS:
        cell = _styled(sheet, title)
        header.append(cell)
    sheet.append(header)
    for spell in spells:
        sheet.append(text_row(sheet, spell_row(spell, show_id=show_id)))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _styled(sheet, value):
    cell = text_cell(sheet, value)
    cell.font = Font(bold=True)
    return cell


# --- import (core.spreadsheet reads the workbook; these read the cells) -----------------------


@dataclass
class ParsedRow:
    """One data row: its values as the models store them, and what is wrong with it."""

    number: int
    values: dict = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


def is_month_only(value) -> bool:
    """Whether a date cell names a month (2019.03, 2019年3月), not a day."""
    try:
        return read_date(value)[1]
    except ValueError:
        return False


def parse_date(value) -> dt.date | None:
    """A cell as a date: Excel dates, 2024-01-05, 2024/1/5, 2024.1.5, 20240105, 2024年1月5日;
    a month alone (2024.01, 2024年1月, 2024-01, 202401) is its first day."""
    return read_date(value)[0]


def choice(value, mapping: dict) -> str:
    """The code for a Chinese label (or a known alias); ValueError when it is not one of them."""
    raw = text(value)
    raw = ALIASES.get(raw, raw)
    codes = _reverse(mapping)
    if raw not in codes:
        raise ValueError(raw)
    return codes[raw]


def yes_no(value) -> bool:
    raw = text(value).upper()
    if raw in ("是", "Y", "YES", "TRUE", "1", "√"):
        return True
    if raw in ("否", "N", "NO", "FALSE", "0", ""):
        return False
    raise ValueError(raw)


def title(value, category: str | None = None) -> str:
    """A level (中级) or a written title (主治医师, 会计师) as its Title; see WORKER_GRADES."""
    raw = "".join(text(value).split())
    if raw in WORKER_GRADES and (category == Category.SUPPORT or raw != "技师"):
        return Title.NONE
    if raw in TITLE_NAMES:
        return TITLE_NAMES[raw]
    return choice(raw, TITLES)


def title_name(value) -> str:
    """A title as the file or form writes it, whitespace dropped (主管 护师 → 主管护师); "" for a
    word that names only a level (中级, 无): the level says all it says."""
    raw = "".join(text(value).split())
    return "" if raw in LEVEL_WORDS else raw


def category_of_title(value) -> str | None:
    """The 人员类别 a 卫生 title tells (主治医师 → physician), else None (see CATEGORY_OF_TITLE)."""
    return CATEGORY_OF_TITLE.get("".join(text(value).split()))


def education(value) -> tuple[str, str]:
    """研究生-硕士 → (postgraduate, master); 本科 or 大学本科 → (bachelor, "")."""
    raw = "".join(text(value).split())
    if not raw:
        return "", ""
    if raw in EDUCATION_NAMES:
        return EDUCATION_NAMES[raw]
    label, _, degree = raw.replace("（", "-").replace("(", "-").rstrip("）)").partition("-")
    return choice(label, EDUCATION), choice(degree, DEGREES) if degree else ""


def _establishment_text(value) -> str:
    return "".join(text(value).split()).replace("（", "-").replace("(", "-").rstrip("）)")


def establishment(value) -> tuple[str, str]:
    """在编 or 编内 → (on, ""); 编外-合同制, 编外（聘用）, 合同制 or 临聘 → (off, contract).

    A bare 编外 does not say the kind; it reads as OFF_UNSAID_KIND (is_unsaid_off_establishment).
    """
    raw = _establishment_text(value)
    if raw in ON_ESTABLISHMENT:
        return Establishment.ON, ""
    if raw in OFF_UNSAID:
        return Establishment.OFF, OFF_UNSAID_KIND
    prefix = next((p for p in OFF_UNSAID if raw.startswith(p)), "")
    kind = raw.removeprefix(prefix).lstrip("-")
    if not kind:
        raise ValueError(raw)
    return Establishment.OFF, choice(OFF_KIND_ALIASES.get(kind, kind), CONTRACT_KINDS)


def is_unsaid_off_establishment(value) -> bool:
    """Whether a 编制情况 cell says only 编外, its kind then assumed (OFF_UNSAID_KIND)."""
    return _establishment_text(value) in OFF_UNSAID
