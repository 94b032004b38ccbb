"""Whether a centre's month may still be changed, decided here and only here.

In this order:
1. a year whose annual filing is approved is locked for everyone (reporting records it as a
   FrozenYear through actions.year_freeze, and lifts it on reopening); so is a month its
   commission approved (MonthReport.state, services.approval_actions), until it withdraws that;
2. months that have not begun cannot be filled in yet;
3. a reviewer's exception reopens past months for a centre until its date;
4. a new centre may back-fill the months of its commission's window before the month it
   started reporting in (Centre.reporting_since), for as many months after its start;
5. otherwise a month locks for clerks and managers TALLY_LOCK_DAYS days after it ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from centers.models import MAX_BACKFILL_MONTHS, Centre
from centers.selectors import backfill_months
from core.periods import add_months, month_end, month_start

from .models import FrozenYear, LockException, MonthReport

APPROVED_STATES = (MonthReport.State.APPROVED, MonthReport.State.CONFIRMED)


@dataclass(frozen=True)
class LockState:
    locked: bool
    reason: str = ""
    frozen: bool = False  # an approved year: no exception reopens it
    summary: str = ""  # the reason in words shared by every month it closes (no dates)

    @property
    def general(self) -> str:
        return self.summary or self.reason


OPEN = LockState(False)


@dataclass(frozen=True)
class Backfill:
    """The months before a new centre's start (first … start - 1) it may still enter, until
    `closes`: the window stays open for as many months after the start as it reaches back."""

    first: dt.date
    start: dt.date
    months: int
    closes: dt.date

    @property
    def last(self) -> dt.date:
        return add_months(self.start, -1)


def backfill_window(centre: Centre, today: dt.date, months: int | None = None) -> Backfill | None:
    """The centre's open back-fill window, or None (an established centre: no query).

    `months`: its commission's setting (backfill_months), when the caller read it already.
    """
    start = centre.reporting_since
    if today >= add_months(start, MAX_BACKFILL_MONTHS):  # past any window a commission sets
        return None
    if months is None:
        months = backfill_months(centre=centre)
    closes = add_months(start, months) - dt.timedelta(days=1)
    if months == 0 or today > closes:
        return None
    return Backfill(add_months(start, -months), start, months, closes)


@dataclass
class LockContext:
    """What the decision needs, loaded once for a page (two queries; three for a centre that
    started reporting within MAX_BACKFILL_MONTHS)."""

    today: dt.date
    approved: set[int]
    exceptions: list[LockException]
    backfill: Backfill | None = None
    months_approved: frozenset[dt.date] = frozenset()  # approved or confirmed by a commission

    @classmethod
    def load(
        cls, centre: Centre, today: dt.date, months_approved: frozenset[dt.date] | None = None
    ) -> LockContext:
        """`months_approved`: the approved months a page has read already (its year's)."""
        if months_approved is None:
            months_approved = approved_months(centre)
        ctx = cls(today, frozen_years(centre), [], months_approved=months_approved)
        ctx.load_reopeners(centre)
        return ctx

    def load_reopeners(self, centre: Centre) -> None:
        """What reopens a month the other rules close: the reviewer's exceptions and a new
        centre's back-fill window (a cell save reads them only for a closed month)."""
        self.exceptions = list(
            LockException.objects.filter(centre=centre, open_until__gte=self.today)
        )
        self.backfill = backfill_window(centre, self.today)


def lock_contexts(
    centres: list[Centre], today: dt.date, months: list[dt.date]
) -> dict[int, LockContext]:
    """`LockContext.load` for many centres at once, by centre id, for bulk writers
    (services.value_sets): three queries, and one per commission whose new centres are still
    within reach of a back-fill window. Only `months` (month starts) are read for approvals, and
    their years for frozen ones: the contexts decide those months only."""
    ids = [c.pk for c in centres]
    years = sorted({m.year for m in months})
    frozen: dict[int, set[int]] = {pk: set() for pk in ids}
    approved: dict[int, set[dt.date]] = {pk: set() for pk in ids}
    exceptions: dict[int, list[LockException]] = {pk: [] for pk in ids}
    for centre_id, year in FrozenYear.objects.filter(
        centre_id__any_of=ids, year__in=years
    ).values_list("centre_id", "year"):
        frozen[centre_id].add(year)
    for centre_id, period in MonthReport.objects.filter(
        centre_id__any_of=ids, period__in=sorted(set(months)), state__in=APPROVED_STATES
    ).values_list("centre_id", "period"):
        approved[centre_id].add(period)
    for exception in LockException.objects.filter(centre_id__any_of=ids, open_until__gte=today):
        exceptions[exception.centre_id].append(exception)
    reach: dict[int, int] = {}  # the back-fill setting per sponsor, read once for its centres
    contexts = {}
    for centre in centres:
        window = None
        if today < add_months(centre.reporting_since, MAX_BACKFILL_MONTHS):
            if centre.sponsor_id not in reach:
                reach[centre.sponsor_id] = backfill_months(centre=centre)
            window = backfill_window(centre, today, reach[centre.sponsor_id])
        contexts[centre.pk] = LockContext(
            today,
            frozen[centre.pk],
            exceptions[centre.pk],
            window,
            frozenset(approved[centre.pk]),
        )
    return contexts


def frozen_years(centre: Centre) -> set[int]:
    """Years whose annual filing is approved (or published): their data may no longer change."""
    return set(FrozenYear.objects.filter(centre=centre).values_list("year", flat=True))


def approved_months(centre: Centre) -> frozenset[dt.date]:
    """Months a commission approved: the centre may no longer change them."""
    return frozenset(
        MonthReport.objects.filter(centre=centre, state__in=APPROVED_STATES).values_list(
            "period", flat=True
        )
    )


def _approved_month() -> LockState:
    return LockState(
        True,
        _(
            "Approved by the commission: this month's figures are locked; to change them, ask "
            "the commission to withdraw its approval."
        ),
        frozen=True,
        summary=_("months approved by the commission are locked."),
    )


def lock_days() -> int:
    return settings.TALLY_LOCK_DAYS


def _frozen(year: int) -> LockState:
    return LockState(
        True,
        _("The %(year)s annual filing is approved; its figures are frozen.") % {"year": year},
        frozen=True,
    )


def _month_label(month: dt.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def lock_state(month: dt.date, ctx: LockContext) -> LockState:
    """Why (or whether) a month is closed to edits."""
    if month.year in ctx.approved:
        return _frozen(month.year)
    if month in ctx.months_approved:  # no exception reopens it: the approval is withdrawn
        return _approved_month()
    if month > month_start(ctx.today):  # an exception never opens the future
        return LockState(True, _("This month has not begun."))
    for exception in ctx.exceptions:
        if exception.first_month <= month <= exception.last_month:
            return OPEN
    backfill = ctx.backfill
    if backfill and backfill.first <= month < backfill.start:
        return OPEN
    closes = month_end(month) + dt.timedelta(days=lock_days())
    if ctx.today > closes and backfill and month < backfill.first:
        return LockState(
            True,
            _(
                "This centre reports from %(start)s; only the %(n)s months before it may be "
                "back-filled. Ask a reviewer to reopen earlier months."
            )
            % {"start": _month_label(backfill.start), "n": backfill.months},
        )
    if ctx.today > closes:
        return LockState(
            True,
            _("Locked since %(day)s (%(n)s days after the month); ask a reviewer to reopen it.")
            % {"day": date_format(closes + dt.timedelta(days=1), "DATE_FORMAT"), "n": lock_days()},
            summary=_("a month locks %(n)s days after it ends.") % {"n": lock_days()},
        )
    return OPEN


def year_lock_state(year: int, ctx: LockContext) -> LockState:
    """Yearly figures (denominators) stay open until the year's filing is approved."""
    if year in ctx.approved:
        return _frozen(year)
    if year > ctx.today.year:
        return LockState(True, _("This year has not begun."))
    return OPEN


def month_range_label(first: dt.date, last: dt.date) -> str:
    """2024年3月, 2024年1月–12月 or 2024年11月–2025年2月."""
    if first == last:
        return f"{first.year}年{first.month}月"
    if first.year == last.year:
        return f"{first.year}年{first.month}月–{last.month}月"
    return f"{first.year}年{first.month}月–{last.year}年{last.month}月"


@dataclass(frozen=True)
class LockedSpan:
    """Consecutive locked months with one reason, so a page can say why in words."""

    first: dt.date
    last: dt.date
    reason: str
    reopenable: bool  # a reviewer's exception could open it (not an approved year)

    @property
    def label(self) -> str:
        return month_range_label(self.first, self.last)


def locked_spans(states: list[tuple[dt.date, LockState]], today: dt.date) -> list[LockedSpan]:
    """The locked months up to this one (later ones have simply not begun), run together."""
    spans: list[LockedSpan] = []
    for month, state in states:
        if not state.locked or month > month_start(today):
            continue
        last = spans[-1] if spans else None
        if last and last.reason == state.general and add_months(last.last, 1) == month:
            spans[-1] = LockedSpan(last.first, month, last.reason, last.reopenable)
        else:
            spans.append(LockedSpan(month, month, state.general, not state.frozen))
    return spans


def earliest_month(centre: Centre) -> dt.date:
    """The first month a centre may ask to open: its founding month; without one, January of
    the year before it started here (the year of its first annual report). The back-fill
    window opens some of these by itself; a reviewer may open any of them."""
    if centre.founded_on is not None:
        return month_start(centre.founded_on)
    return dt.date(centre.reporting_since.year - 1, 1, 1)


def nothing_to_open(first: dt.date, last: dt.date, ctx: LockContext) -> LockState | None:
    """None when an exception would open some month of first … last; else why not: the
    approved year's freeze (no exception lifts it), or OPEN when every month is open already."""
    states = []
    month = first
    while month <= last:
        states.append(lock_state(month, ctx))
        month = add_months(month, 1)
    if any(s.locked and not s.frozen for s in states):
        return None
    return next((s for s in states if s.frozen), OPEN)


def open_request_errors(
    centre: Centre, first: dt.date, last: dt.date, today: dt.date
) -> dict[str | None, str]:
    """Why months may not be asked for (field name, None for the range → message); empty
    when they may."""
    errors: dict[str | None, str] = {}
    earliest = earliest_month(centre)
    if first < earliest:
        errors["first_month"] = _(
            "This centre's figures begin in %(month)s; choose a month from then on."
        ) % {"month": _month_label(earliest)}
    if last > month_start(today):
        errors["last_month"] = _("Months that have not begun cannot be opened.")
    elif last < first:
        errors["last_month"] = _("The last month is before the first.")
    if errors:
        return errors
    if why := nothing_to_open(first, last, LockContext.load(centre, today)):
        errors[None] = why.reason if why.locked else _("These months are open; enter them now.")
    return errors


def still_locked(centre: Centre, first: dt.date, last: dt.date, today: dt.date) -> list[LockedSpan]:
    """The months of a range that an exception just granted leaves locked (an approved year or
    month), so the page that granted it says so instead of "reopened" alone."""
    ctx = LockContext.load(centre, today)
    states = []
    month = month_start(first)
    while month <= last:
        states.append((month, lock_state(month, ctx)))
        month = add_months(month, 1)
    return [span for span in locked_spans(states, today) if not span.reopenable]
