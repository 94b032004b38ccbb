"""What the month review page shows: each centre's report state for a month and the moves the
reviewer may make on it (services.approval_actions decides again when they make one)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from centers.access import confirm_refusal, review_refusal
from centers.models import Centre
from centers.selectors import Places
from core.models import AuditEntry

from .approval_actions import NOT_SUBMITTED, frozen_refusal
from .models import FrozenYear, MonthReport
from .selectors import empty_categories_of_months, reporting

State = MonthReport.State
# The moves each state allows, at the first level (the sponsor) and the second (the one above).
FIRST_LEVEL = {State.SUBMITTED: ("approve", "return"), State.APPROVED: ("unapprove",)}
SECOND_LEVEL = {State.APPROVED: ("confirm",), State.CONFIRMED: ("unconfirm",)}


@dataclass
class MonthRow:
    centre: Centre
    status: str  # a ReportStatus: reported, late, missing, pending or ""
    state: str  # MonthReport.State, or NOT_SUBMITTED
    report: MonthReport | None
    moves: tuple[str, ...]  # what this reviewer may do here now
    why_not: str  # why they may not act, when they may do nothing
    empty: list[str]  # categories with no value this month, for a marked month
    returned: AuditEntry | None = None  # the last return, while the centre has not marked it again


def month_rows(*, centres: list[Centre], month: dt.date, places: Places) -> list[MonthRow]:
    """Every centre's state for the month (6 queries, whatever the number of centres)."""
    ids = [c.pk for c in centres]
    state = reporting(centres=[(c.pk, c.owes_from) for c in centres], months=[month])
    reports = {
        r.centre_id: r
        for r in MonthReport.objects.filter(centre_id__any_of=ids, period=month).select_related(
            "submitted_by", "approved_by", "confirmed_by"
        )
    }
    marked = list(reports)
    empty = empty_categories_of_months(centre_ids=marked, months=[month]) if marked else {}
    frozen = set(
        FrozenYear.objects.filter(centre_id__any_of=ids, year=month.year).values_list(
            "centre_id", flat=True
        )
    )
    returns = _last_returns([pk for pk in ids if pk not in reports], month)
    rows = []
    for centre in centres:
        report = reports.get(centre.pk)
        current = report.state if report else NOT_SUBMITTED
        first, second = review_refusal(places, centre), confirm_refusal(places, centre)
        if centre.pk in frozen:  # the approved annual report holds the year's months
            first = second = frozen_refusal(month.year)
        moves = (() if first else FIRST_LEVEL.get(current, ())) + (
            () if second else SECOND_LEVEL.get(current, ())
        )
        status = state.status(centre.pk, month)
        missing = empty.get((centre.pk, month), [])
        row = MonthRow(centre, status, current, report, moves, first, missing)
        row.returned = returns.get(centre.pk)
        rows.append(row)
    return rows


def _last_returns(centre_ids: list[int], month: dt.date) -> dict[int, AuditEntry]:
    """The last return of the month per centre (one query): the centre has not marked it since,
    so the page says it went back and why."""
    if not centre_ids:
        return {}
    entries = AuditEntry.objects.filter(
        action="services.month.returned",
        target_type=MonthReport._meta.label_lower,
        target_id=f"{month:%Y-%m}",
        centre_id__in=centre_ids,
    ).order_by("created_at", "pk")
    return {e.centre_id: e for e in entries.select_related("actor")}


def state_counts(rows: list[MonthRow]) -> dict[str, int]:
    """How many centres are in each state, for the page's heading."""
    counts = dict.fromkeys([NOT_SUBMITTED, *State.values], 0)
    for row in rows:
        counts[row.state] += 1
    return counts
