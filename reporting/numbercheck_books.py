"""What the number check compares with: the stored figures of a document's owner and period
(tallies through the figures door, the roster through staff.selectors, work records), and the
names a text may call each one.

A filing and a summary read a few queries each; the summaries handed up to a commission are read
for all their centres at once (`summary_books`), so the received list stays bounded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from centers.models import Centre
from centers.selectors import authority_subtree_ids
from core.periods import Period, month_end
from services import figures as door
from services.figures import Figure
from staff.selectors import workforce_brief, workforce_brief_by_centre, workforce_figures

from .models import AnnualFiling, Summary
from .numbercheck import RATIO_UNIT, Book, Scope, Stored, check_summary_texts, mismatches

# The short names writers use for catalogue figures besides the official ones (seeds 000, 002
# and the district summaries): each still has to stand right before its number to be tied.
ALIASES = {
    "opd_visits": ["门急诊诊疗人次", "门急诊量"],
    "total_visits": ["诊疗人次", "总诊疗量"],
    "fd_signed": ["签约人数", "家庭医生签约人数"],
    "fd_rate": ["签约率", "家庭医生签约率", "签约服务覆盖率", "全人群签约服务覆盖率"],
    "fd_key_rate": ["重点人群签约服务覆盖率"],
    "rec_rate": ["建档率", "居民健康档案建档率"],
    "rec_e_rate": ["电子建档率", "居民电子健康档案建档率"],
    "rec_use_rate": ["档案使用率"],
    "vac_rate": ["疫苗接种率"],
    "elderly_check_rate": ["老年人体检率", "65岁及以上老年人体检率", "老年人健康体检率"],
    "htn_std_rate": ["高血压规范管理率"],
    "htn_mgmt_rate": ["高血压健康管理率"],
    "dm_std_rate": ["糖尿病患者规范管理率", "糖尿病规范管理率"],
    "dm_mgmt_rate": ["糖尿病患者健康管理率", "糖尿病健康管理率"],
    "smi_prevalence": ["报告患病率"],
    "tb_mgmt_rate": ["肺结核管理率"],
    "opd_cost": ["次均费用", "门诊次均费用"],
}
# A catalogue name that counts something ("健康知识讲座次数") is also written without the count
# word ("开展健康知识讲座12次").
COUNT_WORDS = ("次数", "份数", "人数")

# Roster figures: (key, the figure's name, the names a text uses).
STAFF_NAMES = {
    "staff.departure_rate": ("离职率", ["离职率", "人员离职率", "职工离职率"]),
    "staff.average": (
        "平均在职职工",
        ["平均在职职工", "平均在职人数", "平均在职人员", "平均在岗职工", "平均在职", "期内平均"],
    ),
    "staff.in_service": ("在职职工", ["在职职工"]),
    "staff.headcount_end": ("期末在岗职工", ["期末在岗职工", "年末在岗职工", "年末在职职工"]),
    "staff.departures": ("离职人员", ["离职人员", "离职职工", "离职"]),
    "staff.hires": ("新进人员", ["新进人员", "新进", "新入职", "引进"]),
    "staff.off_end": ("编外人员", ["编外人员", "非编人员", "非编员工", "编外职工", "非编职工"]),
    "staff.off_share": (
        "编外人员占比",
        ["编外人员占比", "非编人员占比", "非编员工占比", "编外占比", "非编占比", "编外人员比例"],
    ),
    "staff.professionals": ("卫生技术人员", ["卫生技术人员", "卫技人员"]),
    "staff.physicians": ("执业（助理）医师", ["执业（助理）医师", "执业(助理)医师"]),
    "staff.gps": ("全科医生", ["全科医生"]),
    "staff.nurses": ("注册护士", ["注册护士"]),
    "staff.nurse_ratio": ("医护比", ["医护比"]),
}


def _names(f: Figure) -> list[str]:
    names = [f.name, *ALIASES.get(f.code, [])]
    for word in COUNT_WORDS:
        if f.name.endswith(word) and len(f.name) > len(word) + 1:
            names.append(f.name[: -len(word)])
    return names


def add_tallies(book: Book, figures: dict[str, Figure]) -> None:
    """Every indicator and rate with a value for the period, under its names."""
    source = _("service tallies")
    for code, f in figures.items():
        if f.value is not None:
            book.add(f"tally.{code}", Stored(f.name, f.unit, (f.value,), source), _names(f))


def _share(part, whole) -> Decimal | None:
    return Decimal(part) * 100 / Decimal(whole) if whole else None


def _values(*values) -> tuple[Decimal, ...]:
    out: list[Decimal] = []
    for v in values:
        if v is not None and Decimal(v) not in out:
            out.append(Decimal(v))
    return tuple(out)


def _staff_values(w) -> dict[str, tuple[str, tuple[Decimal, ...]]]:
    """Each roster figure as (unit, values it may be quoted as), computed exactly (rates are
    rounded where compared, to the text's decimals)."""
    average_off = getattr(w, "average_off_establishment", None)
    return {
        "staff.departure_rate": ("%", _values(_share(w.departures, w.average_headcount))),
        "staff.average": ("人", _values(w.average_headcount)),
        "staff.in_service": ("人", _values(w.average_headcount, w.headcount_end)),
        "staff.headcount_end": ("人", _values(w.headcount_end)),
        "staff.departures": ("人", _values(w.departures)),
        "staff.hires": ("人", _values(w.hires)),
        # 编外 at the period's end (the summaries) or on average (the annual report, seed 000)
        "staff.off_end": ("人", _values(w.off_establishment_end, average_off)),
        "staff.off_share": (
            "%",
            _values(
                _share(w.off_establishment_end, w.headcount_end),
                None if average_off is None else _share(average_off, w.average_headcount),
            ),
        ),
        "staff.professionals": ("人", _values(w.health_professionals)),
        "staff.physicians": ("人", _values(w.physicians)),
        "staff.gps": ("人", _values(w.general_practitioners)),
        "staff.nurses": ("人", _values(w.nurses)),
        "staff.nurse_ratio": (
            RATIO_UNIT,
            _values(Decimal(w.nurses) / w.physicians if w.physicians else None),
        ),
    }


def add_staff(book: Book, w) -> None:
    """The roster's figures of the period (staff.selectors' brief or full figures)."""
    if w is None or not (w.headcount_end or w.departures or w.hires):
        return
    source = _("staff roster")
    for key, (unit, values) in _staff_values(w).items():
        name, names = STAFF_NAMES[key]
        book.add(key, Stored(name, unit, values, source, places=None), names)


def add_activities(book: Book, rows: list[tuple[str, int, int]]) -> None:
    """How many times each kind of work record happened (党员大会3次)."""
    source = _("work records")
    for kind, times, _people in rows:
        book.add(f"act.{kind}", Stored(kind, "次", (Decimal(times),), source, places=0), [kind])


# --- documents ---------------------------------------------------------------------------------


def filing_book(filing: AnnualFiling) -> tuple[Book, Scope]:
    """The centre's figures for the report year (about seven queries)."""
    centre, year = filing.centre, filing.year
    period = Period.year(year)
    book = Book()
    add_tallies(book, door.totals(centre_ids=[centre.pk], period=period, owner=centre.sponsor_id))
    add_staff(
        book,
        workforce_figures(centre=centre, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31)),
    )
    add_activities(book, door.activities(centre_ids=[centre.pk], period=period))
    return book, Scope(centre.name, period, "year")


def summary_period(summary: Summary) -> tuple[Period, str]:
    """The months the summary's figures cover (they stop at the last month ended when they were
    generated) and which part of a year it is."""
    figures = summary.figures or {}
    first = _month(figures.get("first")) or summary.first
    last = _month(figures.get("last")) or summary.last
    if summary.kind == Summary.Kind.YEAR:
        part, whole = "year", Period.year(summary.first.year)
    elif summary.kind == Summary.Kind.HALF:
        half = 1 if summary.first.month == 1 else 2
        part, whole = f"h{half}", Period.half(summary.first.year, half)
    else:
        part, whole = "range", Period.range(summary.first, summary.last)
    label = whole.label
    if last < summary.last:
        label += _(" (to %(year)s-%(month)s)") % {"year": last.year, "month": last.month}
    return Period(first, last, label), part


def _month(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value).replace(day=1) if value else None
    except (TypeError, ValueError):
        return None


def summary_book(summary: Summary) -> tuple[Book, Scope]:
    """A centre's or a commission's summary: its centres' figures for its period."""
    period, part = summary_period(summary)
    if summary.centre_id is not None:
        centre = summary.centre
        ids, reader, name = [centre.pk], centre.sponsor_id, centre.name
    else:
        authority = summary.authority
        subtree = authority_subtree_ids([authority.pk])
        ids = list(Centre.objects.filter(sponsor_id__in=subtree).values_list("pk", flat=True))
        reader, name = authority.pk, authority.name
    book = Book()
    add_tallies(book, door.totals(centre_ids=ids, period=period, owner=reader))
    start, end = period.first, month_end(period.last)
    add_staff(book, workforce_brief(scope=Q(centre_id__any_of=ids), start=start, end=end))
    add_activities(book, door.activities(centre_ids=ids, period=period))
    return book, Scope(name, period, part)


def summary_books(summaries: list[Summary]) -> dict[int, tuple[Book, Scope]]:
    """`summary_book` of many centre summaries at once: per distinct period, one read of the
    tallies, one of the rosters and one of the work records for all their centres (and which
    indicators apply, per commission)."""
    groups: dict[tuple, list[Summary]] = {}
    for s in summaries:
        period, part = summary_period(s)
        groups.setdefault((period, part), []).append(s)
    catalogue = door.catalogue()
    codes = [d.code for d in (*catalogue[0], *catalogue[1])]
    out = {}
    applying: dict[tuple, frozenset[str]] = {}  # per sponsor and period, not per summary
    for (period, part), members in groups.items():
        ids = [s.centre_id for s in members]
        tallies = door.by_centre(centre_ids=ids, period=period, codes=codes)
        start, end = period.first, month_end(period.last)
        staff = workforce_brief_by_centre(centre_ids=ids, start=start, end=end)
        records = door.activities_by_centre(centre_ids=ids, period=period)
        for s in members:
            key = (s.centre.sponsor_id, period)
            if key not in applying:
                applying[key] = door.applying_codes(s.centre.sponsor_id, period)
            book = Book()
            figures = tallies.get(s.centre_id, {})
            add_tallies(book, {c: f for c, f in figures.items() if c in applying[key]})
            add_staff(book, staff.get(s.centre_id))
            add_activities(book, records.get(s.centre_id, []))
            out[s.pk] = (book, Scope(s.centre.name, period, part))
    return out


def waiting_mismatches(rows) -> dict[int, list]:
    """For a commission's list of handed-up summaries (summary_review.inbox rows): the
    mismatches of each summary waiting for review, by its pk, all read at once."""
    waiting = []
    for row in rows:
        if row.summary is not None and row.summary.status == Summary.Status.SUBMITTED:
            row.summary.centre = row.centre
            waiting.append(row.summary)
    books = summary_books(waiting)
    return {
        s.pk: mismatches(check_summary_texts(s.texts, s.figures, *books[s.pk])) for s in waiting
    }
