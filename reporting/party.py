"""三会一课: the party meetings recorded as work records, held against the rule (支部委员会 every
month, 党员大会 and 党课 every quarter), and the branch figures a summary's 党建 quotes.

Here because only reporting sees both the party records (staff) and the work records (through
services.figures). A month or quarter counts once the body that meets existed by its last day
(the branch for 党员大会 and 党课, its committee for 支部委员会); one that has not ended yet and has
no meeting so far is open, not missed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from core.periods import Period, add_months, month_end
from services import figures as door
from staff.party_selectors import BranchDates, PartyCounts, branch_dates, party_summary

from . import sentences as s

BRANCH, COMMITTEE = "branch", "committee"
MET, MISSED, OPEN, BEFORE = "met", "missed", "open", "before"


@dataclass(frozen=True)
class Rule:
    kind: str  # the activity kind's name, as the catalogue spells it
    months: int  # 1: every month, 3: every quarter
    body: str  # who meets: the branch, or its committee


RULES = (
    Rule("支部委员会", 1, COMMITTEE),
    Rule("党员大会", 3, BRANCH),
    Rule("党课", 3, BRANCH),
)
# The 党建 clauses a summary's activities section opens with (reporting/summary.py); the default
# outline quotes them under 党建引领 (reporting/outline_edit.py).
CLAUSE_KEYS = ("party.branch", "party.members", "party.meetings")
# Counted beside the rule, without a frequency of their own here.
OTHER_KINDS = ("主题党日", "组织生活会", "集体谈话", "个别谈话", "支部共建")


@dataclass(frozen=True)
class Slot:
    """One month or quarter of a rule: how many meetings were held, and what that means."""

    first: dt.date
    months: int
    held: int
    state: str  # MET, MISSED, OPEN (not ended, none yet) or BEFORE (the body did not exist)

    @property
    def label(self) -> str:
        if self.months == 1:
            return f"{self.first.year}年{self.first.month}月"
        return f"{self.first.year}年第{(self.first.month - 1) // 3 + 1}季度"


@dataclass
class RuleLine:
    rule: Rule
    slots: list[Slot]

    @property
    def due(self) -> int:
        return sum(slot.state in (MET, MISSED) for slot in self.slots)

    @property
    def met(self) -> int:
        return sum(slot.state == MET for slot in self.slots)

    @property
    def missed(self) -> list[Slot]:
        return [slot for slot in self.slots if slot.state == MISSED]

    @property
    def held(self) -> int:
        return sum(slot.held for slot in self.slots)


@dataclass
class Compliance:
    """One centre's 三会一课 over a period (no branch: `dates` is None and nothing is due)."""

    period: Period
    dates: BranchDates | None
    lines: list[RuleLine] = field(default_factory=list)

    @property
    def due(self) -> int:
        return sum(line.due for line in self.lines)

    @property
    def met(self) -> int:
        return sum(line.met for line in self.lines)

    @property
    def missed(self) -> list[tuple[Rule, Slot]]:
        return [(line.rule, slot) for line in self.lines for slot in line.missed]

    @property
    def held(self) -> int:
        return sum(line.held for line in self.lines)

    @property
    def rate(self):
        return s.percent_of(self.met, self.due)


def _slot_starts(rule: Rule, period: Period) -> list[dt.date]:
    """The rule's months or whole quarters inside the period."""
    starts = [m for m in period.months if (m.month - 1) % rule.months == 0]
    return [m for m in starts if add_months(m, rule.months - 1) <= period.last]


# Each rule's slots in a period: (first month, its months, its last day); the same for every
# centre, so worked out once per period.
Slots = list[tuple[Rule, list[tuple[dt.date, list[dt.date], dt.date]]]]


def _slots(period: Period) -> Slots:
    out = []
    for rule in RULES:
        slots = []
        for first in _slot_starts(rule, period):
            months = [add_months(first, i) for i in range(rule.months)]
            slots.append((first, months, month_end(months[-1])))
        out.append((rule, slots))
    return out


def _state(held: int, since: dt.date | None, end: dt.date, today: dt.date) -> str:
    if since is None or since > end:
        return BEFORE
    if held:
        return MET
    return OPEN if end >= today else MISSED


def centre_compliance(
    *,
    period: Period,
    dates: BranchDates | None,
    counts: dict[tuple[str, dt.date], int],
    today: dt.date,
    slots: Slots | None = None,
) -> Compliance:
    """A centre's compliance from its branch dates and its meetings per (kind, month)."""
    result = Compliance(period, dates)
    for rule, rule_slots in slots if slots is not None else _slots(period):
        since = None
        if dates is not None:
            since = dates.committee_on if rule.body == COMMITTEE else dates.founded_on
        line = RuleLine(rule, [])
        for first, months, end in rule_slots:
            held = sum(counts.get((rule.kind, m), 0) for m in months)
            line.slots.append(Slot(first, rule.months, held, _state(held, since, end, today)))
        result.lines.append(line)
    return result


def _meetings(centre_ids: list[int], period: Period) -> dict[int, dict[tuple[str, dt.date], int]]:
    """Each centre's meetings of the three kinds per (kind, month), centres without any left out
    (one grouped query)."""
    kinds = [rule.kind for rule in RULES]
    months = door.activity_months(centre_ids=centre_ids, kinds=kinds, period=period)
    per_centre: dict[int, dict[tuple[str, dt.date], int]] = {}
    for (pk, kind, month), times in months.items():
        per_centre.setdefault(pk, {})[(kind, month)] = times
    return per_centre


def compliance(*, centre_ids: list[int], period: Period, today: dt.date) -> dict[int, Compliance]:
    """三会一课 for each of these centres over the period, in two queries."""
    dates = branch_dates(centre_ids=centre_ids)
    meetings = _meetings(centre_ids, period)
    slots = _slots(period)
    return {
        pk: centre_compliance(
            period=period,
            dates=dates.get(pk),
            counts=meetings.get(pk, {}),
            today=today,
            slots=slots,
        )
        for pk in centre_ids
    }


def last_meeting_on(*, centre_ids: list[int]) -> dt.date | None:
    """The latest day any of these centres held one of the three meetings or the lesson, for a
    page that shows a period without any (one query)."""
    return door.last_activity_on(centre_ids=centre_ids, kinds=[rule.kind for rule in RULES])


def others(*, centre_ids: list[int], period: Period) -> list[tuple[str, int]]:
    """The other party activities of the period (主题党日, 组织生活会 …): how many times each."""
    rows = door.activities(centre_ids=centre_ids, period=period)
    return [(name, times) for name, times, _people in rows if name in OTHER_KINDS]


# --- Figures for the summaries' 党建 --------------------------------------------------------


@dataclass(frozen=True)
class PartyFigures:
    """A set of centres' 党建 figures for a period; `compliance` holds the centres with a branch
    or a meeting of the three (any other has nothing due and nothing held)."""

    counts: PartyCounts
    dates: dict[int, BranchDates]
    compliance: dict[int, Compliance]
    centres: int
    day: dt.date


def party_figures(*, centre_ids: list[int], period: Period, today: dt.date) -> PartyFigures:
    """在职党员 at the period's end, 发展党员 in it, branch dates (one query) and 三会一课 (one
    grouped query), worked out for the centres that have a branch or a meeting only."""
    day = month_end(period.last)
    found = party_summary(centre_ids=centre_ids, day=day, first=period.first, last=day)
    meetings = _meetings(centre_ids, period)
    slots = _slots(period)
    result = {
        pk: centre_compliance(
            period=period,
            dates=found.dates.get(pk),
            counts=meetings.get(pk, {}),
            today=today,
            slots=slots,
        )
        for pk in sorted(found.dates.keys() | meetings.keys())
    }
    return PartyFigures(found.counts, found.dates, result, len(centre_ids), day)


def party_clauses(figures: PartyFigures, *, single: bool, within: str) -> list[dict]:
    """The 党建 clauses of a summary, each keyed (party.*) and traced to its source."""
    out = []
    trace = "来源：党支部记录与花名册；在职党员按期末日计"
    if single and figures.dates:
        (dates,) = figures.dates.values()
        text = s.branch_clause(dates.founded_on, dates.committee_on)
        out.append({"key": "party.branch", "text": text, "trace": "来源：党支部记录"})
    elif figures.dates:  # a commission's, once any of its centres has a branch
        committees = sum(d.committee_on is not None for d in figures.dates.values())
        text = s.branches_clause(figures.centres, len(figures.dates), committees)
        out.append({"key": "party.branch", "text": text, "trace": "来源：党支部记录"})
    c = figures.counts
    if c.on_books or c.developed:
        text = s.party_members_clause(c.at_work, c.probationary, c.developed, within)
        out.append({"key": "party.members", "text": text, "trace": trace})
    if any(comp.due for comp in figures.compliance.values()):
        text = _compliance_text(figures, single)
        out.append({"key": "party.meetings", "text": text, "trace": "来源：工作记录（三会一课）"})
    for clause in out:
        clause.setdefault("code", "")
    return out


def _compliance_text(figures: PartyFigures, single: bool) -> str:
    lines = [c.lines for c in figures.compliance.values()]
    per_rule = []
    for index, rule in enumerate(RULES):
        due = sum(ls[index].due for ls in lines)
        met = sum(ls[index].met for ls in lines)
        held = sum(ls[index].held for ls in lines)
        per_rule.append((rule.kind, rule.months, due, met, held))
    if single:
        (comp,) = figures.compliance.values()
        missed = [(rule.kind, slot.label) for rule, slot in comp.missed]
        return s.meetings_clause(per_rule, missed)
    short = sum(1 for comp in figures.compliance.values() if comp.missed)
    return s.meetings_clause_centres(per_rule, short)


def summary_clauses(
    *, centre_ids: list[int], period: Period, single: bool, today: dt.date | None = None
) -> list[dict]:
    """The 党建 clauses of a summary for these centres and period; the members clause carries
    the references a paragraph may quote (在职党员, 发展党员, 三会一课按期召开率)."""
    figures = party_figures(
        centre_ids=centre_ids, period=period, today=today or timezone.localdate()
    )
    whole_year = period.first.month == 1 and len(period.months) == 12
    clauses = party_clauses(figures, single=single, within="本年度" if whole_year else "期内")
    if clauses:
        clauses[0]["refs"] = party_refs(figures)
    return clauses


def party_refs(figures: PartyFigures) -> dict[str, dict]:
    """What a summary's paragraph may quote by reference: 在职党员, 发展党员, 三会一课 rates."""
    c = figures.counts
    values = {
        "party.at_work": ("在职党员", f"{c.at_work}人"),
        "party.probationary": ("预备党员", f"{c.probationary}人"),
        "party.developed": ("发展党员", f"{c.developed}人"),
    }
    due = sum(comp.due for comp in figures.compliance.values())
    if due:
        met = sum(comp.met for comp in figures.compliance.values())
        values["party.meetings_rate"] = (
            "三会一课按期召开率",
            f"{s.trim(s.percent_of(met, due), 2)}%",
        )
    return {
        key: {"name": name, "value": value, "previous": "", "change": ""}
        for key, (name, value) in values.items()
    }
