"""Writes to tallies: each cell alone in one short transaction, audited (old, new, who, when)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from centers.access import review_refusal
from centers.models import Centre
from centers.selectors import user_places
from core import rawsql, stale
from core.audit import audit
from core.errors import DomainError
from core.periods import month_ended

from . import cell_sql
from .definitions import applying, centre_path
from .locking import (
    APPROVED_STATES,
    LockContext,
    frozen_years,
    lock_state,
    open_request_errors,
    year_lock_state,
)
from .models import (
    OPEN_REQUEST_DAYS,
    FrozenYear,
    Indicator,
    LockException,
    MonthReport,
    OpenMonthRequest,
    Rate,
    TallyValue,
    ValidationRule,
)
from .rollups import marked, start_marking
from .selectors import (
    category_labels,
    cell_catalogue,
    cell_warnings,
    empty_category_codes,
    load_year,
    year_warnings,
)
from .signals import open_month_request_changed
from .validation import Values, parse_value, rule_warnings


@dataclass
class SaveResult:
    value: Decimal | None
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    # What the save read, as it stands after the write: the values its checks and warnings came
    # from, and the locks checked. The view draws the cell from them instead of loading them
    # again. None when not loaded.
    loaded: tuple[Values, dict, list[ValidationRule]] | None = None
    locks: LockContext | None = None
    # The rates of the cell's page that it is part of (drawn beside the cell); None: not loaded.
    rates: list[Rate] | None = None


# The base of a request that did not say what it showed: never a value, never an explanation
# (the views strip control characters), so it is stale whatever the cell holds (core/stale.py
# treats a missing stamp the same way). Only a save of the value already stored gets past it.
UNSEEN = "\x00unseen"


def _lock_in(ctx: LockContext, indicator: Indicator, period: dt.date):
    if indicator.frequency == Indicator.Frequency.YEARLY:
        return year_lock_state(period.year, ctx)
    return lock_state(period, ctx)


def _lock_of(centre: Centre, indicator: Indicator, period: dt.date):
    return _lock_in(LockContext.load(centre, timezone.localdate()), indicator, period)


def _cell_lock(
    centre: Centre, indicator: Indicator, period: dt.date, found: tuple[bool, bool] | None = None
):
    """The cell's lock, read under the centre's row lock: whether its year is approved and its
    month approved by the commission (`found`, as the values read found them; else 1 query),
    and the reviewer's exceptions and a new centre's back-fill window only for a month the other
    rules close (they only reopen).

    The context holds the approvals of this cell's year and month alone: they decide this cell,
    no other.
    """
    today = timezone.localdate()
    if found is None:
        found = _cell_approvals(centre, period).get()
    frozen, month_approved = found
    ctx = LockContext(
        today=today,
        approved={period.year} if frozen else set(),
        exceptions=[],
        months_approved=frozenset({period}) if month_approved else frozenset(),
    )
    lock = _lock_in(ctx, indicator, period)
    if lock.locked and not frozen and not month_approved:
        ctx.load_reopeners(centre)
        lock = _lock_in(ctx, indicator, period)
    return ctx, lock


def _approval_flags(centre: Centre, period: dt.date) -> tuple[Exists, Exists]:
    """Whether the cell's year is approved (its annual filing) and its month (by the commission);
    uncorrelated, so a query evaluates them once (InitPlans), not per row."""
    return (
        Exists(FrozenYear.objects.filter(centre=centre, year=period.year)),
        Exists(MonthReport.objects.filter(centre=centre, period=period, state__in=APPROVED_STATES)),
    )


def _cell_approvals(centre: Centre, period: dt.date):
    return Centre.objects.filter(pk=centre.pk).values_list(*_approval_flags(centre, period))


def _plain(value: Decimal | None):
    """A value as the audit shows it: 20.00 and 20 both read "20"."""
    if value is None:
        return None
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def tally_save(
    *,
    centre: Centre,
    indicator: Indicator,
    period: dt.date,
    raw: str,
    actor,
    warnings: bool = True,
    base: str | None = None,
) -> SaveResult:
    """Save one cell: locked or invalid values are refused with the reason; empty clears it.

    `base` is the value the grid showed ("" for empty): if someone saved another value since,
    StaleEdit is raised instead of overwriting theirs. A request that sent no base passes
    UNSEEN, which is stale like a form without its stamp. Without a base (code that means to
    overwrite: scripts, benchmarks) the save is unconditional.

    Five queries for a changed value (six on the first save after a refresh, which queues the
    next one): under the centre's row lock, the values its checks read (the cell's own among
    them) with its year's approval in the same statement, the write, the audit row and the
    rollup stamp; the catalogue and the commission tree are read once per process. (Keeping
    the cell's rollups current in this transaction instead cost 4.5 ms more per save, measured:
    the coalesced refresh is cheaper for the clerk, and readers compute a stale centre live.)
    On PostgreSQL they travel in three round trips, not seven (core.rawsql.pipelined): the
    transaction's start, the lock and the read; the write, the audit row and the stamp, answered
    together when the pipeline ends; the commit.
    """
    rules, rates = _cell_catalogue(centre, indicator, period)  # read before taking the lock
    value, error = parse_value(indicator, raw)
    with transaction.atomic():
        with rawsql.pipelined():
            # One writer per centre at a time: saves are short, and imports and saves do not
            # race. NO KEY UPDATE, as approval takes it: it excludes every other writer of the
            # centre but not the key-share lock of rows that merely refer to it (the rollup
            # refresh's). Everything below is read after the lock, in statements of its own (a
            # statement that waited for the lock would see the rest as it stood before): a year
            # approved meanwhile, and the cell as the last writer left it.
            cell_sql.lock_centre(centre.pk)
            # The values and the year's approval in one statement; the lock decides first.
            loaded, found = _cell_values(centre, indicator, period, rules, rates)
            ctx, lock = _cell_lock(centre, indicator, period, found)
            if lock.locked:
                return SaveResult(None, lock.reason, locks=ctx)
            if error:
                return SaveResult(None, error, locks=ctx)
            values, comments, _rules = loaded
            key = (indicator.pk, period)
            old = values.by_cell.get(key)
            if value is not None and (
                blocking := _blocking_rules(centre, indicator, period, value, loaded)
            ):
                return SaveResult(None, blocking[0], loaded=loaded, locks=ctx, rates=rates)
            if base is not None:
                _check_base(centre, indicator, period, old, base, value)
            marking = None
            if old != value:
                _write_cell(centre, indicator, period, old, value, actor)
                changes = {"value": [_plain(old), _plain(value)]}
                if value is None and comments.get(key):  # clearing a value drops its explanation
                    changes["comment"] = [comments[key], None]
                _audit_cell(actor, centre, indicator, period, changes)
                marking = start_marking(centre.pk, [period.year], [indicator.pk])
        if marking:  # answered when the pipeline ended: queue the refresh if this save must
            marked(marking)
    if not warnings:  # bulk imports check everything once in their preview
        return SaveResult(value)
    if value is None:  # the year as it stands now: the cell written (the rest read under lock)
        values.by_cell.pop(key, None)
        comments.pop(key, None)
    else:
        values.by_cell[key] = value
    return SaveResult(
        value,
        "",
        cell_warnings(indicator, period, values, rules),
        loaded=loaded,
        locks=ctx,
        rates=rates,
    )


def _cell_catalogue(
    centre: Centre, indicator: Indicator, period: dt.date
) -> tuple[list[ValidationRule], list[Rate]]:
    """The active rules with the indicator on either side, and the rates of its category (its
    page) with it as numerator or denominator, of those that apply to the centre that month:
    all a save checks and redraws (no query while the process's catalogue is current)."""
    catalogue = cell_catalogue()
    pk, path = indicator.pk, centre_path(centre)
    rules = [r for r in catalogue.rules if pk in (r.left_id, r.right_id)]
    rates = [
        r
        for r in catalogue.rates
        if r.category == indicator.category and pk in (r.numerator_id, r.denominator_id)
    ]
    return applying(rules, path, period, period), applying(rates, path, period, period)


def _cell_values(
    centre: Centre, indicator: Indicator, period: dt.date, rules, rates
) -> tuple[tuple[Values, dict, list[ValidationRule]], bool | None]:
    """`load_year` narrowed to one cell (1 query): the values of the cell's year and the one
    before of the indicators its checks, warnings and rates read (its own, for outliers, and
    the other side of each rule and rate), with their comments, and its rules; and whether the
    cell's year and month are approved, read by the same statement (None when it found no
    values).

    The cell's warnings and rates come out as from the whole year, since nothing else is read.
    """
    indicators = {indicator.pk: indicator}
    for rule in rules:
        indicators.setdefault(rule.left_id, rule.left)
        indicators.setdefault(rule.right_id, rule.right)
    for rate in rates:
        indicators.setdefault(rate.numerator_id, rate.numerator)
        indicators.setdefault(rate.denominator_id, rate.denominator)
    rows, found = cell_sql.year_values(centre.pk, list(indicators), period)
    by_cell, comments = {}, {}
    for indicator_id, month, value, comment in rows:
        by_cell[(indicator_id, month)] = value
        comments[(indicator_id, month)] = comment
    return (Values(by_cell, indicators), comments, rules), found


def _cell_target(indicator: Indicator, period: dt.date) -> tuple[str, str]:
    """The audit target of a cell (cells are audited by indicator and month, not by row)."""
    return ("services.tallyvalue", f"{indicator.code}@{period:%Y-%m}")


def _cell_refusal(cell: TallyValue | None, indicator: Indicator, period: dt.date, based_on: str):
    return stale.stale_edit(
        targets=[_cell_target(indicator, period)],
        values={"value": cell.value if cell else None, "comment": cell.comment if cell else ""},
        based_on=based_on,
        at=cell.updated_at if cell else None,
        by=cell.updated_by if cell else None,
    )


def _check_base(centre, indicator, period, current, base: str, value: Decimal | None) -> None:
    """Refuse to overwrite a value the person never saw (someone saved the cell meanwhile)."""
    if value == current:  # both typed the same: nothing of theirs is lost
        return
    try:
        unchanged = (Decimal(base) if base.strip() else None) == current
    except InvalidOperation:
        unchanged = False  # an unreadable base counts as stale
    if not unchanged:  # rare: only now is the whole row read, for who saved it and when
        cell = (
            TallyValue.objects.filter(centre=centre, indicator=indicator, period=period)
            .select_related("updated_by")
            .first()
        )
        raise _cell_refusal(cell, indicator, period, _plain(current) or "")


def _write_cell(centre, indicator, period, old, value, actor) -> None:
    """Insert, update or delete one cell, whose value `old` was read under the centre's lock
    (one query)."""

    def cells():  # built only when needed: the usual update is hand-written (cell_sql)
        return TallyValue.objects.filter(centre=centre, indicator=indicator, period=period)

    if value is None:
        cells().delete()
    elif old is not None:
        actor_id = getattr(actor, "pk", None)  # None: a script or the system
        cell_sql.update_value(centre.pk, indicator.pk, period, value, actor_id, timezone.now())
    elif connection.features.has_select_for_update:
        # The row lock makes this the only writer of the centre's cells, and the cell was read
        # missing after taking it: nothing can insert it meanwhile.
        TallyValue.objects.create(
            centre=centre, indicator=indicator, period=period, value=value, updated_by=actor
        )
    else:  # SQLite has no row locks: a concurrent save may insert the cell first (then update)
        try:
            with transaction.atomic():
                TallyValue.objects.create(
                    centre=centre, indicator=indicator, period=period, value=value, updated_by=actor
                )
        except IntegrityError:
            cells().update(value=value, updated_by=actor, updated_at=timezone.now())


def _blocking_rules(
    centre: Centre, indicator: Indicator, period: dt.date, value: Decimal, loaded=None
) -> list[str]:
    """Rules an administrator made errors (not warnings) that this value would break."""
    rules = (
        loaded[2]
        if loaded is not None
        else applying(
            ValidationRule.objects.filter(is_active=True, severity=ValidationRule.Severity.ERROR)
            .filter(Q(left=indicator) | Q(right=indicator))
            .select_related("left", "right"),
            centre_path(centre),
            period,
            period,
        )
    )
    error_rules = [
        r
        for r in rules
        if r.severity == ValidationRule.Severity.ERROR and indicator.pk in (r.left_id, r.right_id)
    ]
    if not error_rules:
        return []
    loaded = loaded or load_year(centre=centre, year=period.year)
    # A copy with the new value: the shared load must keep the stored one if this is refused.
    values = Values({**loaded[0].by_cell, (indicator.pk, period): value}, loaded[0].indicators)
    months = (
        [period]
        if indicator.frequency == Indicator.Frequency.MONTHLY
        else [period.replace(month=m) for m in range(1, 13)]
    )
    broken = []
    for rule in error_rules:
        for month in months:
            broken += rule_warnings(rule.left, month, values, [rule])
    return broken


def month_target(centre: Centre, month: dt.date) -> MonthReport:
    """The audit target of a month's reporting steps: the month itself ("2024-04"), not the row,
    which a return deletes and a new mark recreates; a cell's history lists these too."""
    return MonthReport(pk=f"{month:%Y-%m}", centre=centre, period=month)


def _audit_cell(actor, centre, indicator, period, changes) -> None:
    target = TallyValue(
        pk=_cell_target(indicator, period)[1], centre=centre, indicator=indicator, period=period
    )
    audit(
        actor=actor, action="services.tally.changed", target=target, centre=centre, changes=changes
    )


COMMENT_LIMIT = 1000  # an explanation of a value, not an essay


@transaction.atomic
def tally_comment(
    *,
    centre: Centre,
    indicator: Indicator,
    period: dt.date,
    comment: str,
    actor,
    base: str | None = None,
) -> TallyValue:
    """Attach an explanation to a value (needed before a month with warnings can be completed).

    `base` is the explanation the form showed: a different one saved meanwhile raises StaleEdit
    (unless this one is the same as theirs), and so does UNSEEN (a request without a base).
    A comment over COMMENT_LIMIT is refused, never cut short.
    """
    if len(comment) > COMMENT_LIMIT:
        raise DomainError(
            _("An explanation can have at most %(limit)s characters; this one has %(n)s.")
            % {"limit": COMMENT_LIMIT, "n": len(comment)}
        )
    # The centre's lock, as tally_save takes it, before anything is read: the month's lock (an
    # approval committing meanwhile), the check against `base` and the write are one.
    Centre.objects.select_for_update(no_key=True).filter(pk=centre.pk).order_by().first()
    lock = _lock_of(centre, indicator, period)
    if lock.locked:
        raise DomainError(lock.reason)
    cell = TallyValue.objects.filter(centre=centre, indicator=indicator, period=period).first()
    if cell is None:
        raise DomainError(_("Enter a value before explaining it."))
    # Theirs is kept unless the form showed it, or what was typed is the same text anyway.
    if base is not None and _lines(cell.comment) not in (_lines(base), _lines(comment)):
        raise _cell_refusal(cell, indicator, period, cell.comment)
    old = cell.comment
    if old != comment:
        cell.comment = comment
        cell.save(update_fields=["comment", "updated_at"])
        _audit_cell(actor, centre, indicator, period, {"comment": [old, comment]})
    return cell


def _lines(text: str) -> str:
    """Text as compared for staleness: browsers send line breaks as CRLF, and ends are trimmed."""
    return text.replace("\r\n", "\n").strip()


class EmptyCategories(DomainError):
    """Marking the month would cover categories with no value: the person must confirm them."""

    def __init__(self, categories: list[str]):
        self.categories = categories  # their codes, which the confirmation sends back
        self.labels = category_labels(categories)
        super().__init__(
            _("These categories have no data this month: %(names)s.")
            % {"names": "、".join(self.labels)}
        )


@transaction.atomic
def month_submit(
    *, centre: Centre, month: dt.date, actor, empty_confirmed: Collection[str] = ()
) -> MonthReport:
    """Mark a month 已报送; refused while any warning of that month has no explanation, and
    while a category with no value is not among those the person confirmed (`empty_confirmed`,
    codes; they are recorded in the audit)."""
    if not month_ended(month, timezone.localdate()):  # its figures are not all in yet
        raise DomainError(_("A month is marked complete once it has ended."))
    # The centre's lock, as tally_save takes it: the checks read the values as they are when the
    # month is marked, and a colleague marking it at the same moment waits, then finds it marked.
    Centre.objects.select_for_update(no_key=True).filter(pk=centre.pk).first()
    if report := MonthReport.objects.filter(centre=centre, period=month).first():
        return report  # marked meanwhile: nothing to ask, nothing to write
    loaded = load_year(centre=centre, year=month.year)
    unexplained = [
        c
        for c in year_warnings(centre=centre, year=month.year, loaded=loaded)
        if c.period == month and c.needs_comment
    ]
    if unexplained:
        names = "、".join(c.indicator.name for c in unexplained)
        raise DomainError(
            _("Explain every warning of the month before marking it complete: %(names)s.")
            % {"names": names}
        )
    # Checked again on confirming: a category emptied since the person looked is asked about.
    empty = empty_category_codes(loaded[0], month)
    if not set(empty) <= set(empty_confirmed):
        raise EmptyCategories(empty)
    report = MonthReport.objects.create(centre=centre, period=month, submitted_by=actor)
    audit(
        actor=actor,
        action="services.month.submitted",
        target=month_target(centre, month),
        centre=centre,
        changes={"month": f"{month:%Y-%m}", "empty_categories": category_labels(empty)},
    )
    return report


@transaction.atomic
def lock_exception_grant(
    *,
    centre: Centre,
    first_month: dt.date,
    last_month: dt.date,
    open_until: dt.date,
    reason: str,
    actor,
) -> LockException:
    """A reviewer reopens months of a centre until a date (an approved year stays frozen).

    Only a reviewer of the centre's own commission who holds no role at the centre may grant one.
    """
    if refusal := review_refusal(user_places(actor), centre):
        raise DomainError(refusal)
    if last_month < first_month:
        raise DomainError(_("The last month is before the first."))
    return open_months(centre, first_month, last_month, open_until, reason, actor)


def open_months(
    centre: Centre, first_month: dt.date, last_month: dt.date, open_until: dt.date, reason, actor
) -> LockException:
    """Record an opening of months and audit it: a grant, or a month returned to the centre."""
    exception = LockException.objects.create(
        centre=centre,
        first_month=first_month,
        last_month=last_month,
        open_until=open_until,
        reason=reason,
        granted_by=actor,
    )
    audit(
        actor=actor,
        action="services.lock_exception.granted",
        target=exception,
        centre=centre,
        changes={
            "months": f"{first_month:%Y-%m}–{last_month:%Y-%m}",
            "open_until": str(open_until),
            "reason": reason,
        },
    )
    return exception


@transaction.atomic
def year_freeze(*, centre: Centre, year: int, actor) -> FrozenYear:
    """Close a centre's year to every tally edit (its annual filing is approved); idempotent.

    Takes the centre's row lock, as tally writers do, so a save either commits before the freeze
    or sees it (see tally_save). NO KEY UPDATE, as filing_approve takes it before calling this.
    """
    Centre.objects.select_for_update(no_key=True).filter(pk=centre.pk).first()
    frozen, created = FrozenYear.objects.get_or_create(
        centre=centre, year=year, defaults={"frozen_by": actor}
    )
    if created:
        audit(
            actor=actor,
            action="services.year.frozen",
            target=frozen,
            centre=centre,
            changes={"year": year},
        )
    return frozen


@transaction.atomic
def year_unfreeze(*, centre: Centre, year: int, actor) -> FrozenYear | None:
    """Open a frozen year again (its filing is reopened); the month locks apply as before.

    Returns the freeze that was lifted, or None when the year was not frozen.
    """
    frozen = FrozenYear.objects.filter(centre=centre, year=year).first()
    if frozen is None:
        return None
    audit(
        actor=actor,
        action="services.year.unfrozen",
        target=frozen,
        centre=centre,
        changes={"year": year},
    )
    frozen.delete()
    return frozen


@transaction.atomic
def open_month_request_create(
    *, centre: Centre, first_month: dt.date, last_month: dt.date, reason: str, actor
) -> OpenMonthRequest:
    """A centre asks its commission to open months: within its history, none in the future,
    and not while a waiting request of its own already covers one of them."""
    errors = open_request_errors(centre, first_month, last_month, timezone.localdate())
    if errors:
        raise DomainError(" ".join(errors.values()))
    waiting = OpenMonthRequest.objects.filter(
        centre=centre,
        status=OpenMonthRequest.Status.PENDING,
        first_month__lte=last_month,
        last_month__gte=first_month,
    )
    if waiting.exists():
        raise DomainError(_("A waiting request already covers some of these months."))
    request = OpenMonthRequest.objects.create(
        centre=centre,
        first_month=first_month,
        last_month=last_month,
        reason=reason,
        requested_by=actor,
    )
    audit(
        actor=actor,
        action="services.open_month_request.created",
        target=request,
        centre=centre,
        changes={"months": f"{first_month:%Y-%m}–{last_month:%Y-%m}", "reason": reason},
    )
    open_month_request_changed.send(sender=OpenMonthRequest, request=request, event="created")
    return request


def _pending_for_decision(request: OpenMonthRequest, actor) -> OpenMonthRequest:
    """The request re-read under its row lock, so that of two reviewers deciding it at once the
    second sees the first's decision: still waiting, and not the decider's own."""
    request = OpenMonthRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != OpenMonthRequest.Status.PENDING:
        raise DomainError(_("This request has already been decided."))
    if request.requested_by_id is not None and request.requested_by_id == actor.pk:
        raise DomainError(_("You cannot decide your own request; another reviewer has to."))
    return request


@transaction.atomic
def open_month_request_grant(*, request: OpenMonthRequest, actor) -> OpenMonthRequest:
    """Grant a waiting request: its months reopen (lock_exception_grant, which checks the
    reviewer) for OPEN_REQUEST_DAYS; refused when its year was approved since it was asked."""
    request = _pending_for_decision(request, actor)
    today = timezone.localdate()
    first, last = request.first_month, request.last_month
    approved = frozen_years(request.centre)
    if set(range(first.year, last.year + 1)) <= approved:  # an exception would open nothing
        raise DomainError(lock_state(first, LockContext(today, approved, [])).reason)
    request.exception = lock_exception_grant(
        centre=request.centre,
        first_month=first,
        last_month=last,
        open_until=today + dt.timedelta(days=OPEN_REQUEST_DAYS),
        reason=request.reason,
        actor=actor,
    )
    request.status = OpenMonthRequest.Status.GRANTED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["exception", "status", "decided_by", "decided_at", "updated_at"])
    audit(
        actor=actor,
        action="services.open_month_request.granted",
        target=request,
        centre=request.centre,
        changes={"status": [OpenMonthRequest.Status.PENDING, OpenMonthRequest.Status.GRANTED]},
    )
    open_month_request_changed.send(sender=OpenMonthRequest, request=request, event="granted")
    return request


@transaction.atomic
def open_month_request_decline(
    *, request: OpenMonthRequest, reason: str, actor
) -> OpenMonthRequest:
    """Decline a waiting request; the centre reads the reason."""
    if not reason.strip():
        raise DomainError(_("Say why the request is declined."))
    request = _pending_for_decision(request, actor)
    if refusal := review_refusal(user_places(actor), request.centre):
        raise DomainError(refusal)
    request.status = OpenMonthRequest.Status.DECLINED
    request.decline_reason = reason
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(
        update_fields=["status", "decline_reason", "decided_by", "decided_at", "updated_at"]
    )
    audit(
        actor=actor,
        action="services.open_month_request.declined",
        target=request,
        centre=request.centre,
        changes={
            "status": [OpenMonthRequest.Status.PENDING, OpenMonthRequest.Status.DECLINED],
            "reason": reason,
        },
    )
    open_month_request_changed.send(sender=OpenMonthRequest, request=request, event="declined")
    return request
