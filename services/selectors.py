"""Reads about tallies: the entry grid, warnings, completeness, and the figures reports quote.

The aggregation interface for the reporting issues is `tally_figures(scope, period)`: one grouped
query gives every indicator for the period and the same months a year earlier (sum for flows,
period-end for stocks, the year's value for yearly ones), from which rates and 同比 are derived.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone
from django.utils.translation import get_language
from django_scopes import scopes_disabled

from centers.models import Centre
from core import memo
from core.periods import Period, add_months, month_end, month_ended
from core.rawsql import PARALLEL_FROM, array_param, parallel_read

from .definitions import CATALOGUE, applying, centre_path, in_force, versions_for, year_span
from .locking import Backfill, LockContext, LockState, lock_state, year_lock_state
from .models import (
    Activity,
    Category,
    Indicator,
    MonthReport,
    OpenMonthRequest,
    Rate,
    TallyValue,
    ValidationRule,
)
from .validation import Values, outlier_warning, rule_warnings

CENT = Decimal("0.01")
FLOW, STOCK = Indicator.Aggregation.FLOW, Indicator.Aggregation.STOCK
MONTHLY, YEARLY = Indicator.Frequency.MONTHLY, Indicator.Frequency.YEARLY


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rate_value(numerator, denominator, scale: int) -> Decimal | None:
    """numerator ÷ denominator × scale (100 for %, 1000 for ‰), half-up to two decimals."""
    if numerator is None or not denominator:
        return None
    return _q(Decimal(numerator) / Decimal(denominator) * scale)


# --- the entry grid -----------------------------------------------------------------------


@dataclass
class Cell:
    indicator: Indicator
    period: dt.date
    value: Decimal | None
    comment: str
    lock: LockState
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_comment(self) -> bool:
        return bool(self.warnings) and not self.comment.strip()

    # What services/partials/cell.html prints, computed here once per cell: a grid has a hundred
    # cells, and each filter or {% if %} in that template runs for every one of them.
    @property
    def month_key(self) -> str:
        """The period as YYYY-MM, for element ids."""
        return f"{self.period:%Y-%m}"

    @property
    def shown(self) -> str:
        """The value as typed back: no trailing zeros (120.00 → 120), "" when empty."""
        if self.value is None:
            return ""
        text = f"{self.value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    @property
    def css_class(self) -> str:
        classes = ["cell"]
        if self.lock.locked:
            classes.append("is-locked")
        if self.warnings:
            classes.append("has-warning")
        if self.needs_comment:
            classes.append("needs-comment")
        return " ".join(classes)


@dataclass
class RateRow:
    rate: Rate
    values: list[Decimal | None]


@dataclass
class MonthColumn:
    month: dt.date
    lock: LockState
    submitted: bool
    empty: list[str] = field(default_factory=list)  # labels of categories with no value
    approval: str = ""  # MonthReport.State when marked: submitted, approved or confirmed
    ended: bool = True  # over, so that it can be marked complete (core.periods.month_ended)

    @property
    def empty_text(self) -> str:
        return "、".join(self.empty)


@dataclass
class Grid:
    year: int
    category: str
    months: list[MonthColumn]
    rows: list[tuple[Indicator, list[Cell]]]
    yearly: list[Cell]
    rates: list[RateRow]
    open_warnings: list[Cell]
    backfill: Backfill | None = None  # a new centre's open back-fill window


def load_year(*, centre: Centre, year: int) -> tuple[Values, dict, list[ValidationRule]]:
    """A centre's values for a year and the one before (1 query), with the indicators and rules
    that apply to it that year (services/definitions.py)."""
    path, (first, last) = centre_path(centre), year_span(year)
    indicators = {
        i.pk: i for i in applying(Indicator.objects.filter(is_active=True), path, first, last)
    }
    rows = TallyValue.objects.filter(
        centre=centre, period__gte=dt.date(year - 1, 1, 1), period__lte=dt.date(year, 12, 1)
    ).values_list("indicator_id", "period", "value", "comment")
    by_cell, comments = {}, {}
    for indicator_id, period, value, comment in rows:
        by_cell[(indicator_id, period)] = value
        comments[(indicator_id, period)] = comment
    rules = applying(ValidationRule.objects.filter(is_active=True), path, first, last)
    _attach_sides(rules, indicators)
    return Values(by_cell, indicators), comments, rules


def _attach_sides(rules: list[ValidationRule], indicators: dict[int, Indicator]) -> None:
    """Give each rule its two indicators from the catalogue already loaded, rather than joining
    them again per rule; a side that is not in it (inactive) is fetched, in one query."""
    missing = {i for r in rules for i in (r.left_id, r.right_id) if i not in indicators}
    known = indicators | (Indicator.objects.in_bulk(missing) if missing else {})
    for rule in rules:
        rule.left, rule.right = known[rule.left_id], known[rule.right_id]


@functools.cache
def _previous_months(month: dt.date) -> tuple[dt.date, ...]:
    return tuple(add_months(month, -n) for n in range(1, 13))


def _history(values: Values, indicator: Indicator, month: dt.date) -> list[Decimal]:
    cells, pk = values.by_cell, indicator.pk
    return [v for m in _previous_months(month) if (v := cells.get((pk, m))) is not None]


def cell_warnings(indicator: Indicator, month: dt.date, values: Values, rules) -> list[str]:
    """Rule and outlier warnings of one cell as the values stand."""
    value = values.by_cell.get((indicator.pk, month))
    if value is None:
        return []
    notes = rule_warnings(indicator, month, values, rules)
    if indicator.frequency == MONTHLY and (
        outlier := outlier_warning(value, _history(values, indicator, month))
    ):
        notes.append(outlier)
    return notes


def _cell(indicator, period, values, comments, warnings, lock) -> Cell:
    return Cell(
        indicator=indicator,
        period=period,
        value=values.by_cell.get((indicator.pk, period)),
        comment=comments.get((indicator.pk, period), ""),
        lock=lock,
        warnings=warnings.get((indicator.pk, period), []),
    )


# Recent results of _warnings_of_year, keyed by everything they are computed from (so never
# stale): browsing a year's category tabs, or a reviewer reading the grid, computes them once.
_WARNINGS_MEMO: OrderedDict[tuple, dict[tuple[int, dt.date], list[str]]] = OrderedDict()
_WARNINGS_MEMO_SIZE = 32
_warnings_memo_lock = threading.Lock()


def _warnings_key(values: Values, rules, year: int) -> tuple:
    catalogue = tuple(
        (i.pk, i.frequency, i.aggregation, i.name) for i in values.indicators.values()
    )
    checks = tuple(
        (r.pk, r.left_id, r.right_id, r.operator, r.left.name, r.right.name) for r in rules
    )
    return (year, get_language(), frozenset(values.by_cell.items()), catalogue, checks)


def _warnings_of_year(values: Values, rules, year: int) -> dict[tuple[int, dt.date], list[str]]:
    """The warnings of every stored cell of the year, computed once for the grid and its list."""
    key = _warnings_key(values, rules, year)
    with _warnings_memo_lock:
        found = _WARNINGS_MEMO.get(key)
        if found is not None:
            _WARNINGS_MEMO.move_to_end(key)
    if found is None:
        found = _compute_warnings_of_year(values, rules, year)
        with _warnings_memo_lock:
            _WARNINGS_MEMO[key] = found
            while len(_WARNINGS_MEMO) > _WARNINGS_MEMO_SIZE:
                _WARNINGS_MEMO.popitem(last=False)
    return {cell: list(notes) for cell, notes in found.items()}  # callers may keep or change them


def _compute_warnings_of_year(values: Values, rules, year: int) -> dict:
    by_left: dict[int, list] = {}
    for rule in rules:  # each cell checks only the rules with it on their left side
        by_left.setdefault(rule.left_id, []).append(rule)
    found = {}
    for indicator_id, period in values.by_cell:
        indicator = values.indicators.get(indicator_id)
        mine = by_left.get(indicator_id, [])
        notes = period.year == year and indicator and cell_warnings(indicator, period, values, mine)
        if notes:
            found[(indicator_id, period)] = notes
    return found


def year_warnings(*, centre: Centre, year: int, loaded=None, warnings=None) -> list[Cell]:
    """Every cell of the year, in any category, with a warning (explained or not)."""
    values, comments, rules = loaded or load_year(centre=centre, year=year)
    if warnings is None:
        warnings = _warnings_of_year(values, rules, year)
    return [
        _cell(values.indicators[i], period, values, comments, warnings, LockState(False))
        for i, period in sorted(warnings, key=lambda key: (key[1], key[0]))
    ]


def tally_grid(*, centre: Centre, year: int, category: str, today: dt.date | None = None) -> Grid:
    """One category's indicators × the 12 months of a year, with locks, warnings and rates."""
    today = today or timezone.localdate()
    loaded = load_year(centre=centre, year=year)
    values, comments, rules = loaded
    reported = dict(
        MonthReport.objects.filter(centre=centre, period__year=year).values_list("period", "state")
    )
    approved = frozenset(m for m, state in reported.items() if state != MonthReport.State.SUBMITTED)
    ctx = LockContext.load(centre, today, months_approved=approved)  # this year's are all it needs
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    columns = [
        MonthColumn(
            m,
            lock_state(m, ctx),
            m in reported,
            approval=reported.get(m, ""),
            ended=month_ended(m, today),
        )
        for m in months
    ]
    for column in columns:  # a month marked 已报送 says which categories it left empty
        if column.submitted:
            column.empty = empty_categories(values, column.month)
    indicators = [i for i in values.indicators.values() if i.category == category]
    indicators.sort(key=lambda i: (i.position, i.code))
    warnings = _warnings_of_year(values, rules, year)
    rows = [
        (i, [_cell(i, c.month, values, comments, warnings, c.lock) for c in columns])
        for i in indicators
        if i.frequency == MONTHLY
    ]
    year_lock = year_lock_state(year, ctx)
    yearly = [
        _cell(i, dt.date(year, 1, 1), values, comments, warnings, year_lock)
        for i in indicators
        if i.frequency == YEARLY
    ]
    rates = [  # a formula changed mid-year shows each version in its own months only
        RateRow(r, [_month_rate(r, m, values) if in_force(r, m, m) else None for m in months])
        for r in category_rates(centre, category, *year_span(year))
    ]
    open_warnings = [
        c
        for c in year_warnings(centre=centre, year=year, loaded=loaded, warnings=warnings)
        if c.needs_comment
    ]
    return Grid(year, category, columns, rows, yearly, rates, open_warnings, ctx.backfill)


def empty_category_codes(values: Values, month: dt.date) -> list[str]:
    """The categories with monthly indicators but no value in the month, in tab order, so that
    marking it 已报送 says which parts were never filled in."""
    indicators = values.indicators
    monthly = {i.category for i in indicators.values() if i.frequency == MONTHLY}
    filled = {
        indicators[i].category
        for i, period in values.by_cell
        if period == month and i in indicators and indicators[i].frequency == MONTHLY
    }
    return [value for value in Category.values if value in monthly - filled]


def category_labels(codes: list[str]) -> list[str]:
    return [str(Category(code).label) for code in codes]


def empty_categories(values: Values, month: dt.date) -> list[str]:
    """The labels of empty_category_codes, as the grid and the audit name them."""
    return category_labels(empty_category_codes(values, month))


def _empty_labels(monthly: set[str], filled: set[str]) -> list[str]:
    return category_labels([value for value in Category.values if value in monthly - filled])


def empty_categories_of_year(
    *, centre_ids: list[int], year: int
) -> dict[tuple[int, dt.date], list[str]]:
    """Per (centre, month) of the year, the labels of categories with no value (2 queries): what
    the completeness page shows beside a month marked 已报送."""
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    return empty_categories_of_months(centre_ids=centre_ids, months=months)


def empty_categories_of_months(
    *, centre_ids: list[int], months: list[dt.date]
) -> dict[tuple[int, dt.date], list[str]]:
    """Per (centre, month), the labels of categories with no value (2 queries), so a reviewer sees
    which parts of a marked month were never filled in."""
    monthly = set(
        Indicator.objects.filter(is_active=True, frequency=MONTHLY).values_list(
            "category", flat=True
        )
    )
    filled: dict[tuple[int, dt.date], set[str]] = {}
    for centre_id, period, category in (
        TallyValue.objects.filter(
            centre_id__any_of=centre_ids,
            period__in=months,
            indicator__is_active=True,
            indicator__frequency=MONTHLY,
        )
        .values_list("centre_id", "period", "indicator__category")
        .distinct()
    ):
        filled.setdefault((centre_id, period), set()).add(category)
    return {
        (c, month): _empty_labels(monthly, filled.get((c, month), set()))
        for c in centre_ids
        for month in months
    }


def _point_value(values: Values, indicator: Indicator, month: dt.date):
    period = month.replace(month=1) if indicator.frequency == YEARLY else month
    return values.by_cell.get((indicator.pk, period))


def _month_rate(rate: Rate, month: dt.date, values: Values) -> Decimal | None:
    return rate_value(
        _point_value(values, rate.numerator, month),
        _point_value(values, rate.denominator, month),
        rate.scale,
    )


def rates_for_month(
    *, centre: Centre, category: str, month: dt.date
) -> list[tuple[Rate, Decimal | None]]:
    """The category's rates for one month, after a cell changed (2 queries)."""
    values, _comments, _rules = load_year(centre=centre, year=month.year)
    rates = category_rates(centre, category, month, month)
    return [(r, _month_rate(r, month, values)) for r in rates]


def centre_indicators(centre: Centre, year: int) -> list[Indicator]:
    """The active indicators that apply to the centre in some month of the year, in catalogue
    order: what its grid, spreadsheet and import offer."""
    indicators = Indicator.objects.filter(is_active=True).order_by("category", "position", "code")
    return applying(indicators, centre_path(centre), *year_span(year))


def category_rates(centre: Centre, category: str, first: dt.date, last: dt.date) -> list[Rate]:
    """The rates of a category (an entry page) that apply to the centre in these months."""
    rates = Rate.objects.filter(category=category).select_related("numerator", "denominator")
    return applying(rates, centre_path(centre), first, last)


# --- completeness -------------------------------------------------------------------------


def due_date(month: dt.date) -> dt.date:
    """A month is on time when marked complete by this day of the following month."""
    following = add_months(month, 1)
    return following.replace(day=min(settings.TALLY_DUE_DAY, month_end(following).day))


class ReportStatus:
    REPORTED = "reported"  # 按时已报: marked by the due day
    LATE = "late"  # 逾期已报: marked after the due day
    MISSING = "missing"  # 未报: not marked, and the due day has passed
    PENDING = "pending"  # 待报: not marked, not yet due


def report_status(month: dt.date, submitted_on: dt.date | None, today: dt.date) -> str:
    if submitted_on is not None:
        return ReportStatus.REPORTED if submitted_on <= due_date(month) else ReportStatus.LATE
    return ReportStatus.MISSING if today > due_date(month) else ReportStatus.PENDING


@dataclass
class Reporting:
    """Which months each centre marked 已报送, and which it owed: the one count every page uses.

    A centre owes a month once it was founded and had started in this system by the month's end
    (`Centre.owes_from`); months not yet ended are owed by nobody. The completeness page, the
    dashboard's 报送完整率 and the summaries' 未报 all read this, so they cannot disagree.
    """

    months: list[dt.date]
    founded: dict[int, dt.date | None]
    submitted: dict[tuple[int, dt.date], dt.date]
    today: dt.date
    # Whether months holding values may be asked (reporting(entries=True)): a month entered but
    # not marked is then told apart from one never entered.
    entries: bool = False
    # (centre, month) → MonthReport.State of the months a commission approved or confirmed.
    states: dict[tuple[int, dt.date], str] = field(default_factory=dict)
    # (centre, month) → whether it holds any monthly value, for the pairs read so far.
    held: dict[tuple[int, dt.date], bool] = field(default_factory=dict, repr=False, compare=False)

    def approval(self, centre_id: int, month: dt.date) -> str:
        """ "approved", "confirmed", "submitted" (marked, not approved) or "" (not marked)."""
        if (centre_id, month) not in self.submitted:
            return ""
        return self.states.get((centre_id, month), MonthReport.State.SUBMITTED)

    # Worked out once per instance: a city's summary asks about its 6,000 (centre, month) pairs
    # three times, and worked each month's end out every time.
    @functools.cached_property
    def _ends(self) -> dict[dt.date, dt.date]:
        return {m: month_end(m) for m in self.months}

    @functools.cached_property
    def _current(self) -> dt.date:
        return self.today.replace(day=1)

    def _open(self, centre_id: int, month: dt.date) -> bool:
        founded = self.founded[centre_id]
        return founded is None or founded <= (self._ends.get(month) or month_end(month))

    def owes(self, centre_id: int, month: dt.date) -> bool:
        """An ended month of the centre's existence."""
        return month < self._current and self._open(centre_id, month)

    def status(self, centre_id: int, month: dt.date) -> str:
        """已报, 逾期已报, 未报 or 待报 up to the running month; "" before founding, after today."""
        submitted = self.submitted.get((centre_id, month))
        running = month <= self.today.replace(day=1) and self._open(centre_id, month)
        if submitted is None and not running:
            return ""
        return report_status(month, submitted, self.today)

    def reported(self, centre_id: int) -> int:
        """Owed months marked (a back-filled month before the start counts for neither side)."""
        return sum(
            (centre_id, m) in self.submitted and self.owes(centre_id, m) for m in self.months
        )

    def expected(self, centre_id: int) -> int:
        return sum(self.owes(centre_id, m) for m in self.months)

    def _unmarked(self, centre_id: int, month: dt.date) -> bool:
        return self.owes(centre_id, month) and (centre_id, month) not in self.submitted

    @functools.cached_property
    def _unmarked_pairs(self) -> tuple[tuple[int, dt.date], ...]:
        """Every owed month not marked, month by month."""
        return tuple((c, m) for m in self.months for c in self.founded if self._unmarked(c, m))

    def _by_month(self, counted) -> dict[dt.date, int]:
        found: dict[dt.date, int] = {}
        for c, month in self._unmarked_pairs:
            if counted(c, month):
                found[month] = found.get(month, 0) + 1
        return found

    def missing_by_month(self) -> dict[dt.date, int]:
        """{month: how many centres owe it, have not marked it and (with entries) entered
        nothing in it}: 未报, months with any."""
        entered = self.entered(self._unmarked_pairs)
        return self._by_month(lambda c, m: (c, m) not in entered)

    def unmarked_by_month(self) -> dict[dt.date, int]:
        """{month: how many centres owe it and entered values but have not marked it}: 已录入但
        未标记报送; empty without entries."""
        entered = self.entered(self._unmarked_pairs)
        return self._by_month(lambda c, m: (c, m) in entered)

    def entered_months(self, centre_id: int) -> list[dt.date]:
        """The months of a centre with any monthly value (empty without entries)."""
        entered = self.entered([(centre_id, m) for m in self.months])
        return [m for m in self.months if (centre_id, m) in entered]

    def entered(self, pairs) -> set[tuple[int, dt.date]]:
        """Those of these (centre, month) pairs holding any monthly value, read once and only
        when asked (one query for the pairs not read yet): a summary asks only about the months
        owed and not marked, so a city whose centres marked theirs probes none of its 6,000."""
        if not self.entries:
            return set()
        wanted = [pair for pair in pairs if pair not in self.held]
        if wanted:
            centres, months = sorted({c for c, _m in wanted}), sorted({m for _c, m in wanted})
            with scopes_disabled():  # read whenever asked; the caller chose these centres
                found = _entered(centres, months)
            self.held.update(((c, m), (c, m) in found) for c in centres for m in months)
        return {pair for pair in pairs if self.held[pair]}


def reporting(
    *,
    centres: list[tuple[int, dt.date | None]],
    months: list[dt.date],
    today: dt.date | None = None,
    entries: bool = False,
) -> Reporting:
    """The reporting state of (centre id, founded on) pairs over some months, in one query (and
    with `entries`, one more when first asked which months hold values)."""
    today = today or timezone.localdate()
    submitted, states = {}, {}
    if months and centres:
        for c, p, day, state in (
            MonthReport.objects.filter(
                centre_id__any_of=[pk for pk, _f in centres],
                period__gte=months[0],
                period__lte=months[-1],
            )
            .annotate(day=TruncDate("created_at"))  # in the current time zone, as localdate
            .values_list("centre_id", "period", "day", "state")
        ):
            submitted[(c, p)] = day
            if state != MonthReport.State.SUBMITTED:
                states[(c, p)] = state
    return Reporting(list(months), dict(centres), submitted, today, entries, states)


def _entered(centre_ids: list[int], months: list[dt.date]) -> frozenset[tuple[int, dt.date]]:
    """(centre, month) pairs holding any monthly value: one row per centre with a flag a month,
    each an index probe (scanning the months' values took a city 0.5 s)."""
    monthly = TallyValue.objects.filter(
        centre_id=OuterRef("pk"),
        indicator__frequency=MONTHLY,  # a yearly value sits on January: not January's
    )
    flags = {f"m{i}": Exists(monthly.filter(period=month)) for i, month in enumerate(months)}
    rows = Centre.objects.filter(pk__any_of=centre_ids).annotate(**flags).values_list("pk", *flags)
    return frozenset(
        (row[0], month) for row in rows for month, flag in zip(months, row[1:], strict=True) if flag
    )


def completeness(
    *, centres: list[Centre], year: int, today: dt.date | None = None
) -> list[tuple[Centre, list[tuple[str, str]]]]:
    """Per centre and month of a year: a ReportStatus and its approval (Reporting.approval),
    1 query for all centres."""
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    state = reporting(centres=[(c.pk, c.owes_from) for c in centres], months=months, today=today)
    return [
        (c, [(state.status(c.pk, m), state.approval(c.pk, m)) for m in months]) for c in centres
    ]


# --- aggregation for reports ------------------------------------------------------------------


@dataclass
class Figure:
    """One indicator or rate for a period, with the same period a year earlier and 同比."""

    code: str
    name: str
    unit: str
    is_rate: bool
    value: Decimal | None
    previous: Decimal | None
    category: str = ""

    @property
    def in_points(self) -> bool:
        """Rates in % or ‰ compare by difference; counts and amounts (元 per visit) by growth."""
        return self.is_rate and self.unit in ("%", "‰")

    @property
    def change(self) -> Decimal | None:
        """Growth in % for counts and amounts; the difference in points (百分点, ‰) for rates."""
        if self.value is None or self.previous is None:
            return None
        if self.in_points:
            return _q(self.value - self.previous)
        if not self.previous:
            return None
        return _q((self.value - self.previous) / self.previous * 100)


def centre_scope(centre: Centre) -> Q:
    return Q(centre=centre)


def subtree_scope(authority_ids) -> Q:
    """All centres sponsored by these authorities (an authority's subtree, already expanded)."""
    return Q(centre__sponsor_id__in=list(authority_ids))


def _latest(scope: Q, first: dt.date, last: dt.date, ids: dict[int, str]) -> dict:
    """Each centre's latest value in [first, last] of these indicators (one query).

    DISTINCT ON walks the (centre, indicator, period) index on PostgreSQL; elsewhere a window.
    """
    if not ids:
        return {}
    rows = TallyValue.objects.filter(
        scope, indicator_id__in=list(ids), period__gte=first, period__lte=last
    )
    if connection.vendor == "postgresql":
        rows = rows.order_by("centre_id", "indicator_id", "-period").distinct(
            "centre_id", "indicator_id"
        )
    else:
        rows = rows.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("centre_id"), F("indicator_id")],
                order_by=F("period").desc(),
            )
        ).filter(rank=1)
    return {(c, ids[i]): v for c, i, v in rows.values_list("centre_id", "indicator_id", "value")}


def _latest_pair(scope: Q, now: Period, then: Period, ids: dict[int, str]) -> tuple[dict, dict]:
    """`_latest` of a period and of the same months a year earlier, in one query when the two do
    not overlap (periods of up to a year); each row says which of the two it belongs to."""
    if then.last >= now.first:  # a range longer than a year
        return (
            _latest(scope, now.first, now.last, ids),
            _latest(scope, then.first, then.last, ids),
        )
    if not ids:
        return {}, {}
    rows = (
        TallyValue.objects.filter(scope, indicator_id__in=list(ids))
        .filter(
            Q(period__gte=now.first, period__lte=now.last)
            | Q(period__gte=then.first, period__lte=then.last)
        )
        .annotate(
            side=Case(
                When(period__gte=now.first, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
    )
    if connection.vendor == "postgresql":
        rows = rows.order_by("centre_id", "indicator_id", "side", "-period").distinct(
            "centre_id", "indicator_id", "side"
        )
    else:
        rows = rows.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("centre_id"), F("indicator_id"), F("side")],
                order_by=F("period").desc(),
            )
        ).filter(rank=1)
    found: tuple[dict, dict] = ({}, {})
    for c, i, side, v in rows.values_list("centre_id", "indicator_id", "side", "value"):
        found[side][(c, ids[i])] = v
    return found


def _of_kind(indicators, aggregation, frequency) -> dict[int, str]:
    return {
        i.pk: i.code
        for i in indicators
        if i.frequency == frequency and (aggregation is None or i.aggregation == aggregation)
    }


def _months_of(scope: Q, period: Period, earlier: Period, ids) -> QuerySet:
    return TallyValue.objects.filter(
        scope, indicator_id__in=list(ids), period__gte=earlier.first, period__lte=period.last
    )


def _flows(scope: Q, period: Period, earlier: Period, flow_ids: dict[int, str]) -> dict:
    """Each centre's flows added up over the period and over the same months a year earlier."""
    now, then = Q(period__gte=period.first), Q(period__lte=earlier.last)
    rows = (
        _months_of(scope, period, earlier, flow_ids)
        .values("centre_id", "indicator_id")
        .annotate(
            now=Sum("value", filter=now),
            then=Sum("value", filter=then),
            n_now=Count("id", filter=now),
            n_then=Count("id", filter=then),
        )
    )
    return {
        (r["centre_id"], flow_ids[r["indicator_id"]]): (
            r["now"] if r["n_now"] else None,
            r["then"] if r["n_then"] else None,
        )
        for r in rows
    }


def _monthly_in_one_pass(scope: Q, period: Period, earlier: Period, flows, stocks) -> dict:
    """`_flows` and each centre's latest stock of both periods from one scan of the months
    (PostgreSQL: a stock is the first of its values ordered newest first). A value is never
    NULL, so a sum is NULL exactly when no month was entered."""
    from django.contrib.postgres.aggregates import ArrayAgg

    now, then = Q(period__gte=period.first), Q(period__lte=earlier.last)
    stock = Q(indicator_id__in=list(stocks))  # only stocks need their values in order
    rows = (
        _months_of(scope, period, earlier, flows.keys() | stocks.keys())
        .values("centre_id", "indicator_id")
        .annotate(
            now=Sum("value", filter=now),
            then=Sum("value", filter=then),
            last_now=ArrayAgg("value", filter=now & stock, order_by="-period"),
            last_then=ArrayAgg("value", filter=then & stock, order_by="-period"),
        )
        .values_list("centre_id", "indicator_id", "now", "then", "last_now", "last_then")
    )
    totals = {}
    for centre, ind, sum_now, sum_then, last_now, last_then in rows:
        if ind in flows:
            totals[(centre, flows[ind])] = (sum_now, sum_then)
        else:
            totals[(centre, stocks[ind])] = (
                last_now[0] if last_now else None,
                last_then[0] if last_then else None,
            )
    return totals


def centre_totals(
    *, scope: Q, period: Period, indicators: list[Indicator] | None = None
) -> dict[tuple[int, str], tuple]:
    """{(centre id, indicator code): (value, value a year earlier)} in three indexed queries
    (four on SQLite).

    Flows add up the months of the period; a stock is each centre's latest value in the period;
    a yearly figure is the latest of the period's year or the one before (denominators are
    entered late). Per centre, so that a rate adds its numerator and denominator over the same
    centres. Indicators are matched by id, so no query joins the catalogue.
    """
    if indicators is None:
        indicators = list(Indicator.objects.filter(is_active=True))
    earlier = period.year_earlier()
    flow_ids = _of_kind(indicators, FLOW, MONTHLY)
    stocks, yearly = _of_kind(indicators, STOCK, MONTHLY), _of_kind(indicators, None, YEARLY)
    if connection.vendor == "postgresql":  # flows and stocks in one pass over the months
        totals = _monthly_in_one_pass(scope, period, earlier, flow_ids, stocks)
        spans = []
    else:
        totals = _flows(scope, period, earlier, flow_ids)
        spans = [_latest_pair(scope, period, earlier, stocks)]
    year, year_before = period.last.replace(month=1), earlier.last.replace(month=1)
    spans.append(
        (
            _latest(scope, add_months(year, -12), year, yearly),
            _latest(scope, add_months(year_before, -12), year_before, yearly),
        )
    )
    for now, then in spans:
        for key in now.keys() | then.keys():
            totals[key] = (now.get(key), then.get(key))
    return totals


def sum_present(values) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def rate_sums(per_centre: dict, numerator: str, denominator: str, which: int, centres=None):
    """Numerator and denominator added up over the centres that have both."""
    if centres is None:
        centres = {c for c, _code in per_centre}
    num = den = None
    nothing = (None, None)
    for centre in centres:
        top = per_centre.get((centre, numerator), nothing)[which]
        bottom = per_centre.get((centre, denominator), nothing)[which]
        if top is not None and bottom:
            num, den = (num or 0) + top, (den or 0) + bottom
    return num, den


class RateSide(NamedTuple):
    """A rate's version on one side of a comparison and the centres it counts at (None: all)."""

    code: str
    numerator_id: int
    denominator_id: int
    numerator_code: str
    denominator_code: str
    centres: list[int] | None = None


# {(side, code): (value, denominator)}: side 0 is the period, 1 the same months a year earlier.
Sums = dict[tuple[int, str], tuple]


def summed_totals(
    *,
    period: Period,
    centres: tuple[list[int], list[int]],
    indicators: list,
    rates: tuple[list[RateSide], list[RateSide]],
) -> Sums:
    """`centre_totals` added up over centres, each side over its own: an indicator's value over
    the centres that have one (denominator None), a rate's numerator and denominator over the
    centres it counts at that have both (`rate_sums`); a code no centre has is left out.

    On PostgreSQL one statement adds them up, so a city's thousand live centres come back as a
    hundred rows, not forty thousand to add up here (bench/city.py, every centre live: 1.5× the
    bare SQL before, 0.6× after); elsewhere from `centre_totals`.
    """
    if not any(centres):
        return {}
    if connection.vendor == "postgresql":
        return _summed_in_sql(period, centres, indicators, rates)
    every = sorted(set(centres[0]) | set(centres[1]))
    per_centre = centre_totals(
        scope=Q(centre_id__any_of=every), period=period, indicators=indicators
    )
    out: Sums = {}
    for side, members in enumerate(centres):
        inside = set(members)
        for (centre, code), pair in per_centre.items():
            if centre in inside and pair[side] is not None:
                held = out.get((side, code), (None, None))[0]
                out[(side, code)] = (pair[side] if held is None else held + pair[side], None)
        for r in rates[side] if members else ():
            reached = members if r.centres is None else r.centres
            num, den = rate_sums(per_centre, r.numerator_code, r.denominator_code, side, reached)
            if num is not None:
                out[(side, r.code)] = (num, den)
    return out


# One side's figures per centre, as `centre_totals` has them: a flow adds up its months, a stock
# takes its latest, a yearly figure is the latest of its year and the one before (both stored on
# 1 January, so two dates, not a range of months). Three scans, one per kind, which PostgreSQL
# runs side by side (two workers and the leader, its default): one pass computing a sum and a
# latest took a city with every centre live 1.4× as long, one pass per half of the centres
# the same (bench/city.py). The latest month's value is the second half of the largest
# [day number, value] pair (no sort per group). The table's name only is formatted in.
_SIDE = """v{s} AS MATERIALIZED (
  SELECT centre_id, indicator_id, SUM(value) AS v FROM {table}
  WHERE centre_id = ANY(%(c{s})s) AND indicator_id = ANY(%(flows)s)
    AND period >= %(first{s})s AND period <= %(last{s})s
  GROUP BY indicator_id, centre_id
  UNION ALL
  SELECT centre_id, indicator_id, (MAX(ARRAY[period - DATE '2000-01-01', value]))[2] FROM {table}
  WHERE centre_id = ANY(%(c{s})s) AND indicator_id = ANY(%(stocks)s)
    AND period >= %(first{s})s AND period <= %(last{s})s
  GROUP BY indicator_id, centre_id
  UNION ALL
  (SELECT DISTINCT ON (centre_id, indicator_id) centre_id, indicator_id, value FROM {table}
   WHERE centre_id = ANY(%(c{s})s) AND indicator_id = ANY(%(yearly)s)
     AND period = ANY(%(years{s})s)
   ORDER BY centre_id, indicator_id, period DESC)
), r{s} AS (
  SELECT * FROM jsonb_to_recordset(%(r{s})s::jsonb)
    AS r(code text, num bigint, den bigint, centres bigint[])
)"""
_SIDE_SUMS = """SELECT {s}, indicator_id, NULL, SUM(v), NULL FROM v{s} GROUP BY indicator_id
UNION ALL
SELECT {s}, NULL, r.code, SUM(n.v), SUM(d.v) FROM r{s} r
  JOIN v{s} n ON n.indicator_id = r.num
  JOIN v{s} d ON d.centre_id = n.centre_id AND d.indicator_id = r.den
  WHERE d.v <> 0 AND (r.centres IS NULL OR n.centre_id = ANY(r.centres))
  GROUP BY r.code"""


def _summed_in_sql(period: Period, centres, indicators, rates) -> Sums:
    codes = {i.pk: i.code for i in indicators}
    params = {  # bigint arrays, as the columns: int2[] ones (psycopg's choice) cost a city 20 ms
        "flows": array_param(_of_kind(indicators, FLOW, MONTHLY)),
        "stocks": array_param(_of_kind(indicators, STOCK, MONTHLY)),
        "yearly": array_param(_of_kind(indicators, None, YEARLY)),
    }
    parts, sums = [], []
    for s, (span, members) in enumerate(zip((period, period.year_earlier()), centres, strict=True)):
        if not members:
            continue
        january = span.last.replace(month=1)
        params |= {
            f"c{s}": array_param(members),
            f"first{s}": span.first,
            f"last{s}": span.last,
            f"years{s}": [add_months(january, -12), january],
            f"r{s}": json.dumps(
                [
                    {"code": r.code, "num": r.numerator_id, "den": r.denominator_id,
                     "centres": r.centres}
                    for r in rates[s]
                ]
            ),
        }  # fmt: skip
        parts.append(_SIDE.format(s=s, table=TallyValue._meta.db_table))
        sums.append(_SIDE_SUMS.format(s=s))
    sql = "WITH " + ",\n".join(parts) + "\n" + "\nUNION ALL\n".join(sums)
    if max(len(members) for members in centres) >= PARALLEL_FROM:
        rows = parallel_read(sql, params)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    out: Sums = {}
    for side, indicator, code, value, denominator in rows:
        if indicator is not None:
            out[(side, codes[indicator])] = (value, None)
        else:
            out[(side, code)] = (value, denominator)
    return out


class FigureIndicator(NamedTuple):
    """An indicator as figures are computed and quoted from it."""

    pk: int
    code: str
    name: str
    unit: str
    category: str
    aggregation: str
    frequency: str
    # Whose and when (services/definitions.py): which owners' reports quote it, for which months.
    owner_id: int | None = None
    active_from: dt.date | None = None
    active_to: dt.date | None = None


class FigureRate(NamedTuple):
    """A rate as figures are computed and quoted from it (`suffix`: %, ‰ or 元/人次)."""

    code: str
    name: str
    category: str
    scale: int
    suffix: str
    numerator_id: int
    denominator_id: int
    numerator_code: str
    denominator_code: str
    owner_id: int | None = None
    active_from: dt.date | None = None
    active_to: dt.date | None = None


def catalogue_changed() -> None:
    """Call where indicators, rates or rules are written: each process re-reads them after the
    commit (services.apps wires model saves and deletes, and migrations, to it)."""
    memo.changed(CATALOGUE)


class CellCatalogue(NamedTuple):
    """What a cell save checks against, read once per process (core/memo.py)."""

    indicators: dict[str, Indicator]  # the active ones, by code
    rules: tuple[ValidationRule, ...]  # the active ones, with both sides
    rates: tuple[Rate, ...]  # with numerator and denominator, in catalogue order


def _read_cell_catalogue() -> CellCatalogue:
    return CellCatalogue(
        {i.code: i for i in Indicator.objects.filter(is_active=True)},
        tuple(
            ValidationRule.objects.filter(is_active=True)
            .select_related("left", "right")
            .order_by("pk")
        ),
        tuple(Rate.objects.select_related("numerator", "denominator")),
    )


_CELL_CATALOGUE = memo.Versioned(CATALOGUE, _read_cell_catalogue)


def cell_catalogue() -> CellCatalogue:
    """The catalogue as model instances, shared by the process's requests: read, never change."""
    return _CELL_CATALOGUE.get()


def figure_catalogue() -> tuple[list[FigureIndicator], list[FigureRate]]:
    """The active indicators and every rate, in their catalogue order, as plain tuples: two
    queries and no model instances, since every report page reads them (as models they cost a
    dashboard 14 ms of its 40)."""
    indicators = [
        FigureIndicator(*row)
        for row in Indicator.objects.filter(is_active=True).values_list(
            "pk",
            "code",
            "name",
            "unit",
            "category",
            "aggregation",
            "frequency",
            "owner_id",
            "active_from",
            "active_to",
        )
    ]
    suffixes = {value: str(label) for value, label in Rate.Scale.choices}
    rates = [
        FigureRate(code, name, category, scale, suffixes.get(scale, ""), *rest)
        for code, name, category, scale, *rest in Rate.objects.values_list(
            "code",
            "name",
            "category",
            "scale",
            "numerator_id",
            "denominator_id",
            "numerator__code",
            "denominator__code",
            "owner_id",
            "active_from",
            "active_to",
        )
    ]
    return indicators, rates


def tally_figures(*, scope: Q, period: Period) -> dict[str, Figure]:
    """Every active indicator and rate for a period with 同比: what the reports call."""
    indicators, rates = figure_catalogue()
    per_centre = centre_totals(scope=scope, period=period, indicators=indicators)
    by_code: dict[str, list] = {}
    for (_centre, code), pair in per_centre.items():
        by_code.setdefault(code, []).append(pair)
    figures = {}
    for indicator in indicators:
        pairs = by_code.get(indicator.code, [])
        figures[indicator.code] = Figure(
            indicator.code,
            indicator.name,
            indicator.unit,
            False,
            sum_present(p[0] for p in pairs),
            sum_present(p[1] for p in pairs),
            indicator.category,
        )
    centres = {c for c, _code in per_centre}
    earlier = period.year_earlier()
    then = versions_for(rates, earlier.first, earlier.last)  # each side in its own formula
    for code, rate in versions_for(rates, period.first, period.last).items():
        values = [
            None
            if version is None
            else rate_value(
                *rate_sums(
                    per_centre, version.numerator_code, version.denominator_code, which, centres
                ),
                version.scale,
            )
            for which, version in enumerate((rate, then.get(code)))
        ]
        figures[code] = Figure(code, rate.name, rate.suffix, True, *values, rate.category)
    return figures


def activity_counts(*, scope: Q, first: dt.date, last: dt.date) -> list[tuple[str, int, int]]:
    """Per activity kind in [first, last]: how many times, and people served or present."""
    rows = (
        Activity.objects.filter(scope, date__gte=first, date__lte=last)
        .values("kind__name", "kind__position")
        .annotate(times=Count("id"), people=Sum("people"))
        .order_by("kind__position", "kind__name")
    )
    return [(r["kind__name"], r["times"], r["people"] or 0) for r in rows]


def open_month_requests_by_centre(authority_ids: list[int]) -> dict[int, int]:
    """How many requests to open months wait for a decision, per centre these authorities
    sponsor (pass a commission's subtree; centres with none left out), so that the reviewer's
    queue counts as theirs only the centres they may decide for. Cross-centre by design."""
    with scopes_disabled():
        rows = (
            OpenMonthRequest.objects.filter(
                centre__sponsor_id__in=authority_ids, status=OpenMonthRequest.Status.PENDING
            )
            .values("centre_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {row["centre_id"]: row["n"] for row in rows}


def centre_open_month_requests(*, centre: Centre) -> list[OpenMonthRequest]:
    """A centre's requests to open months and what became of them, newest first (50)."""
    return list(
        OpenMonthRequest.objects.filter(centre=centre).select_related("requested_by", "decided_by")[
            :50
        ]
    )


def open_month_request_list(*, authority_ids: set[int] | list[int]) -> list[OpenMonthRequest]:
    """The requests of centres these authorities sponsor: waiting ones first, then the latest
    decided (500 in all), newest first."""
    waiting_first = Case(
        When(status=OpenMonthRequest.Status.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    with scopes_disabled():
        return list(
            OpenMonthRequest.objects.filter(centre__sponsor_id__in=authority_ids)
            .select_related("centre", "centre__sponsor", "requested_by", "decided_by")
            .order_by(waiting_first, "-created_at", "-id")[:500]
        )
