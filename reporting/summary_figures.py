"""What `summary.generate` adds for the outline: the 基本情况 paragraph from the centre record and
roster, and the table of figures a paragraph's live references are rendered from.

基本情况 follows seed 001 (“…于20XX年X月成立，服务面积XXX平方公里，辖区常住人口约XX万人、
目前服务人口X万人，现有业务用房面积XXX平方米；职工XX人，其中卫生专业技术人员XX人…”); a
commission's counts its centres and adds their figures up, saying how many centres left a figure
empty rather than printing a silently smaller sum.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from centers.models import Centre, CentreYear
from services.figures import Figure
from staff.selectors import StaffProfile, WorkforceBrief

from . import sentences as s

BASICS_TITLE = "基本情况"
# The yearly figures a 基本情况 quotes: (field, key, words before, unit).
YEARLY = [
    ("service_area_km2", "basics.area", "服务面积", "平方公里"),
    ("served_population", "basics.served", "服务人口", "人"),
    ("floor_area_m2", "basics.floor", "业务用房面积", "平方米"),
    ("beds", "basics.beds", "床位", "张"),
]


@dataclass(frozen=True)
class Totals:
    """One yearly figure over the centres: the sum of those that have it, and how many lack it."""

    value: Decimal | None
    lacking: int


_FIELDS = [field for field, _key, _words, _unit in YEARLY]


def _latest_years(centre_ids: list[int], year: int) -> list[tuple]:
    """Each centre's yearly figures (`YEARLY`'s fields) for `year`, else its latest earlier year
    (one query of those fields only)."""
    rows = (
        CentreYear.objects.filter(centre_id__any_of=centre_ids, year__lte=year)
        .order_by("centre_id", "-year")
        .values_list("centre_id", *_FIELDS)
    )
    latest: dict[int, tuple] = {}
    for centre_id, *values in rows:
        latest.setdefault(centre_id, values)
    return list(latest.values())


def _totals(rows: list[tuple], centres: int) -> dict[str, Totals]:
    out = {}
    for i, field in enumerate(_FIELDS):
        values = [r[i] for r in rows if r[i] is not None]
        total = sum((Decimal(v) for v in values), Decimal(0)) if values else None
        out[field] = Totals(total, centres - len(values))
    return out


def _amount(value: Decimal, unit: str) -> str:
    if unit == "人":
        return s.amount(value, unit)
    return f"{s.trim(value, 2)}{unit}"


def _yearly_clauses(totals: dict[str, Totals], single: bool) -> list[tuple[str, str]]:
    out = []
    for field, key, words, unit in YEARLY:
        t = totals[field]
        if t.value is None:
            continue
        text = f"{words}{'' if single else '合计'}{_amount(t.value, unit)}"
        if t.lacking and not single:
            text += f"（{t.lacking}个中心未填报）"
        out.append((key, text))
    return out


def _staff_clauses(p: StaffProfile) -> list[tuple[str, str]]:
    if not p.total:
        return []
    titles = p.titles
    out = [
        (
            "basics.staff",
            f"现有职工{p.total}人（编制内{p.on_establishment}人、编制外{p.off_establishment}人）",
        ),
        (
            "basics.professionals",
            f"其中卫生专业技术人员{p.health_professionals}人，执业（助理）医师{p.physicians}人"
            f"（全科医生{p.general_practitioners}人）、注册护士{p.nurses}人",
        ),
        (
            "basics.titles",
            f"高级职称{titles['high']}人、中级职称{titles['middle']}人、"
            f"初级及以下职称{titles['low']}人",
        ),
    ]
    if p.postgraduates:
        out.append(("basics.postgraduates", f"研究生学历{p.postgraduates}人"))
    return out


def basics(
    *,
    name: str,
    centre: Centre | None,
    centre_ids: list[int],
    day: dt.date,
    residents: Figure | None,
    profile: StaffProfile,
) -> dict:
    """The 基本情况 as a generated section: clauses joined by "，", traced to their records;
    `profile` is the staff serving on `day` (staff.selectors.roster_summary)."""
    single = centre is not None
    opening = []
    if single and centre.founded_on:
        founded = centre.founded_on
        opening.append(("basics.founded", f"{name}于{founded.year}年{founded.month}月成立"))
    elif not single:
        opening.append(("basics.centres", f"{name}辖区共有社区卫生服务中心{len(centre_ids)}个"))
    years = _latest_years(centre_ids, day.year)
    yearly = _yearly_clauses(_totals(years, len(centre_ids)), single)
    if residents is not None and residents.value is not None:  # after 服务面积, as seed 001
        at = int(bool(yearly) and yearly[0][0] == "basics.area")
        yearly.insert(at, ("basics.residents", f"辖区常住人口{s.amount(residents.value, '人')}"))
    staff = _staff_clauses(profile)
    record = f"来源：机构登记与年度数据（{day.year}年或此前最近一年）"
    roster = f"来源：人员花名册，{day.year}年{day.month}月{day.day}日在岗"
    clauses = [
        {"text": text, "code": "", "key": key, "trace": record} for key, text in opening + yearly
    ] + [{"text": text, "code": "", "key": key, "trace": roster} for key, text in staff]
    if clauses and single and not centre.founded_on:
        clauses[0]["text"] = f"{name}" + clauses[0]["text"]
    return {"key": "basics", "title": BASICS_TITLE, "sep": "，", "clauses": clauses}


# --- live references ------------------------------------------------------------------------


def figure_ref(f: Figure) -> dict:
    """An indicator or rate as a reference renders it: 本期, 上年同期 and 同比 as written."""

    def shown(value: Decimal | None) -> str:
        if value is None:
            return ""
        if f.is_rate:
            return f"{s.trim(value, 2)}{f.unit}"
        return s.amount(value, f.unit)

    change = ""
    if f.value is not None:
        if f.in_points:
            change = s.point_words(f.value, f.previous, f.unit)
        else:
            change = s.growth_words(f.value, f.previous)
    return {
        "name": f.name,
        "value": shown(f.value),
        "previous": shown(f.previous),
        "change": change,
    }


def workforce_refs(w: WorkforceBrief) -> dict[str, dict]:
    """The roster's figures a paragraph may quote (离职率, 平均在职 …); no 同比 is computed."""
    values = {
        "staff.headcount_end": ("期末在岗职工", f"{w.headcount_end}人"),
        "staff.average": ("平均在职职工", f"{s.trim(w.average_headcount, 2)}人"),
        "staff.hires": ("新进人员", f"{w.hires}人"),
        "staff.departures": ("离职人员", f"{w.departures}人"),
        "staff.professionals": ("卫生技术人员", f"{w.health_professionals}人"),
        "staff.physicians": ("执业（助理）医师", f"{w.physicians}人"),
        "staff.gps": ("全科医生", f"{w.general_practitioners}人"),
        "staff.nurses": ("注册护士", f"{w.nurses}人"),
        "staff.off_end": ("期末编外人员", f"{w.off_establishment_end}人"),
    }
    if w.departure_rate is not None:
        values["staff.departure_rate"] = ("离职率", f"{s.trim(w.departure_rate, 2)}%")
    if w.off_share_end is not None:
        values["staff.off_share"] = ("编外人员占比", f"{s.trim(w.off_share_end, 2)}%")
    return {
        key: {"name": name, "value": value, "previous": "", "change": ""}
        for key, (name, value) in values.items()
    }


def activity_refs(rows: list[tuple[str, int, int]]) -> dict[str, dict]:
    """Each kind of work record: how many times (act.党员大会) and people (act.党员大会.people)."""
    out = {}
    for name, times, people in rows:
        out[f"act.{name}"] = {"name": name, "value": f"{times}次", "previous": "", "change": ""}
        out[f"act.{name}.people"] = {
            "name": f"{name}参与人次",
            "value": f"{people}人次",
            "previous": "",
            "change": "",
        }
    return out


def outline_parts(
    *,
    owner,
    ids: list[int],
    day: dt.date,
    figures: dict[str, Figure],
    brief: WorkforceBrief | None,
    profile: StaffProfile,
    sections: list[dict],
) -> dict:
    """{"basics": the 基本情况 section, "refs": every figure a paragraph may reference}; the
    roster's figures (`brief`, `profile`) come from the summary's one read of it."""
    refs = {code: figure_ref(f) for code, f in figures.items()}
    if brief is not None:
        refs |= workforce_refs(brief)
    rows = [
        (c["key"][len("act.") :], c["times"], c["people"])
        for section in sections
        if section["key"] == "activities"
        for c in section["clauses"]
        if c["key"].startswith("act.")
    ]
    refs |= activity_refs(rows)
    for section in sections:  # references a clause carries itself (reporting/party.py)
        for clause in section["clauses"]:
            refs |= clause.get("refs", {})
    section = basics(
        name=owner.name,
        centre=owner.centre,
        centre_ids=ids,
        day=day,
        residents=figures.get("res_pop"),
        profile=profile,
    )
    return {"basics": section, "refs": refs}
