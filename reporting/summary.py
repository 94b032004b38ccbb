"""The figures of a work summary (工作总结), as sentences from the stored tallies and roster.

`generate()` returns plain JSON (stored on the summary, so a saved version keeps the figures it
was written with): numbered sections of clauses, each clause traced to the indicator, period and
number of centres behind it, plus the problems worth reporting offered for 存在的问题
(reporting/problems.py), ranked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from centers.models import Authority, Centre
from core.periods import Period, month_end
from services import figures as door
from services.figures import Figure
from staff.development import development_figures
from staff.selectors import RosterSummary, WorkforceBrief, roster_summary

from . import party, problems, summary_figures
from . import sentences as s


@dataclass(frozen=True)
class Owner:
    """Whose summary: one centre, or the centres of an authority's subtree."""

    name: str
    centre: Centre | None = None
    authority: Authority | None = None
    authority_ids: tuple[int, ...] = ()

    def centres(self):
        if self.centre is not None:
            return Centre.objects.filter(pk=self.centre.pk)
        return Centre.objects.filter(sponsor_id__in=self.authority_ids)


# (key, title, figure codes in the order they are quoted)
TALLY_SECTIONS = [
    (
        "medical",
        "医疗服务",
        [
            "total_visits",
            "opd_visits",
            "discharges",
            "medical_income",
            "opd_cost",
            "tcm_visits",
            "tcm_visit_share",
            "referrals_up",
            "referrals_down",
        ],
    ),
    (
        "public_health",
        "基本公共卫生服务",
        [
            "rec_e_rate",
            "rec_use_rate",
            "vac_rate",
            "newborn_visit_rate",
            "child_mgmt_rate",
            "early_reg_rate",
            "postpartum_rate",
            "elderly_mgmt_rate",
            "elderly_check_rate",
            "htn_mgmt_rate",
            "htn_std_rate",
            "dm_mgmt_rate",
            "dm_std_rate",
            "smi_prevalence",
            "smi_std_rate",
            "tb_mgmt_rate",
            "tcm_elderly_rate",
            "tcm_child_rate",
            "id_timely_rate",
            "edu_lectures",
            "edu_lecture_people",
        ],
    ),
    ("family_doctor", "家庭医生签约", ["fd_signed", "fd_rate", "fd_key_signed", "fd_key_rate"]),
]
# The indicators and rates a commission on the owner's path defined (issue 14), after the national
# sections; present only when there are figures of them.
COMMISSION_SECTION = ("commission", "卫健委自定指标")
SECTION_KEYS = [k for k, _t, _c in TALLY_SECTIONS] + [
    COMMISSION_SECTION[0],
    "workforce",
    "activities",
]
SECTION_TITLES = dict((k, t) for k, t, _c in TALLY_SECTIONS) | {
    COMMISSION_SECTION[0]: COMMISSION_SECTION[1],
    "workforce": "人员队伍",
    "activities": "党建与活动",
}


def expected_months(period: Period, today: dt.date) -> list[dt.date]:
    """The months of the period that have ended (a summary written mid-period stops there)."""
    current = today.replace(day=1)
    return [m for m in period.months if m < current]


def _trace(figure: Figure, period: Period, centres: int) -> str:
    earlier = period.year_earlier()
    return (
        f"指标：{figure.name}（{figure.code}）；期间：{_span(period)}，对比{_span(earlier)}；"
        f"范围：{centres}个中心"
    )


def _span(period: Period) -> str:
    first, last = period.first, period.last
    if first == last:
        return f"{first.year}年{first.month}月"
    return f"{first.year}年{first.month}月至{last.year}年{last.month}月"


def _clause(figure: Figure, period: Period, centres: int) -> dict | None:
    text = s.figure_sentence(figure)
    if not text:
        return None
    return {
        "text": text,
        "code": figure.code,
        "value": None if figure.value is None else str(figure.value),
        "previous": None if figure.previous is None else str(figure.previous),
        "unit": figure.unit,
        "name": figure.name,
        "trace": _trace(figure, period, centres),
    }


def _problems(
    *,
    figures: dict[str, Figure],
    brief,
    roster: RosterSummary,
    shown: Period,
    ids: list[int],
    state,
    single: bool,
) -> list[dict]:
    """存在的问题 worth suggesting, ranked (reporting/problems.py): material falls, turnover,
    the 编外 share, staffing below the standard and unreported months."""
    t = problems.Thresholds.from_settings()
    codes = [code for _key, _title, section in TALLY_SECTIONS for code in section]
    found = problems.declines(figures, codes, t)
    if brief is not None:
        found += problems.workforce(brief, len(shown.months), t)
    day = month_end(shown.last)
    found += problems.staffing(roster.staffing, day, single=single)
    expected = sum(state.expected(pk) for pk in ids)
    found += problems.unreported(
        state.missing_by_month(), state.unmarked_by_month(), expected, single=single
    )
    return problems.ranked(found)


def _workforce(
    roster: RosterSummary, period: Period, centre_ids: list[int]
) -> tuple[list[dict], WorkforceBrief | None]:
    start, end = period.first, month_end(period.last)
    w = roster.brief
    trace = f"来源：人员花名册；期间：{_span(period)}"
    if not w.headcount_end and not w.departures and not w.hires:
        return [], None
    clauses = [{"text": c, "code": "", "key": k, "trace": trace} for k, c in s.workforce_keyed(w)]
    # Training, promotions and 编制 (issue 18): the staff records behind the roster.
    dev = development_figures(
        centre_ids=centre_ids, start=start, end=end, actual_by_centre=roster.on_establishment
    )
    trace = f"来源：培训进修、职称晋升与核定编制记录；期间：{_span(period)}；编制截至{end}"
    clauses += [
        {"text": c, "code": "", "key": k, "trace": trace} for k, c in s.development_keyed(dev)
    ]
    return clauses, w


def _activities(centre_ids: list[int], period: Period, *, single: bool) -> list[dict]:
    """党建 first (branch, members, 三会一课: reporting/party.py), then each kind of work record."""
    rows = door.activities(centre_ids=centre_ids, period=period)
    trace = f"来源：工作记录；期间：{_span(period)}"
    return party.summary_clauses(centre_ids=centre_ids, period=period, single=single) + [
        {
            "text": s.activity_clause(name, times, people),
            "code": "",
            "key": f"act.{name}",
            "times": times,
            "people": people,
            "trace": trace,
        }
        for name, times, people in rows
    ]


def generate(*, owner: Owner, period: Period, today: dt.date | None = None) -> dict:
    """Every generated part of a summary for the owner and period, as JSON."""
    today = today or timezone.localdate()
    months = expected_months(period, today)
    shown = Period(period.first, months[-1], period.label) if months else period
    owed = owner.centres().only("pk", *Centre.OWES_FIELDS)
    founded = [(c.pk, c.owes_from) for c in owed]
    ids = [pk for pk, _f in founded]
    reader = owner.centre.sponsor_id if owner.centre is not None else owner.authority.pk
    figures = door.totals(centre_ids=ids, period=shown, owner=reader)
    centres = len(founded)
    state = door.reporting(centres=founded, months=months, today=today, entries=True)
    missing, unmarked = state.missing_by_month(), state.unmarked_by_month()
    sections = []
    for key, title, codes in TALLY_SECTIONS:
        # An indicator switched off (or not applying here) is left out, not a KeyError.
        clauses = [
            c for code in codes if code in figures and (c := _clause(figures[code], shown, centres))
        ]
        sections.append({"key": key, "title": title, "clauses": clauses})
    own = door.commission_codes(reader, shown)  # a district's 区定指标, the city's 市定指标 …
    if clauses := [
        c for code in own if code in figures and (c := _clause(figures[code], shown, centres))
    ]:
        key, title = COMMISSION_SECTION
        sections.append({"key": key, "title": title, "clauses": clauses})
    # The roster, read once: 人员队伍, 编制, the staffing checks and 基本情况's staff.
    roster = roster_summary(centre_ids=ids, start=shown.first, end=month_end(shown.last))
    workforce, brief = _workforce(roster, shown, ids)
    sections.append({"key": "workforce", "title": "人员队伍", "clauses": workforce})
    activities = _activities(ids, shown, single=owner.centre is not None)
    sections.append({"key": "activities", "title": "党建与活动", "clauses": activities})
    found = _problems(
        figures=figures,
        brief=brief,
        roster=roster,
        shown=shown,
        ids=ids,
        state=state,
        single=owner.centre is not None,
    )
    if not months:
        lead = f"{period.label}尚未开始，{owner.name}"
    else:
        lead = f"{s.period_words(shown.last)}，{owner.name}"
    if owner.centre is None:
        lead += f"（共{centres}个社区卫生服务中心）"
    return {
        "owner": owner.name,
        "period": period.label,
        "first": period.first.isoformat(),
        "last": shown.last.isoformat(),
        "centres": centres,
        "lead": lead
        + "各项工作情况如下。"
        + s.missing_words(missing, unmarked, single=owner.centre is not None),
        "missing": {m.isoformat(): n for m, n in missing.items()},
        "unmarked": {m.isoformat(): n for m, n in unmarked.items()},
        "sections": sections,
        "problems": found,
        # The texts alone, for readers older than "problems".
        "weak_spots": [p["text"] for p in found],
        "generated_on": today.isoformat(),
        # The outline's 基本情况 and the figures its paragraphs reference (reporting/outline.py).
        **summary_figures.outline_parts(
            owner=owner,
            ids=ids,
            day=month_end(shown.last),
            figures=figures,
            brief=brief,
            profile=roster.profile,
            sections=sections,
        ),
    }


def paragraph(section: dict) -> str:
    """A section's clauses as one paragraph: 'a，b；c，d。'."""
    if not section["clauses"]:
        return "本期无已报数据。"
    return "；".join(c["text"] for c in section["clauses"]) + "。"
