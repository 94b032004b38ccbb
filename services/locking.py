"""Whether a centre's month may still be changed, decided here and only here.

In this order:
1. a year whose annual filing is approved is locked for everyone (reporting records it as a
   FrozenYear through actions.year_freeze, and lifts it on reopening);
2. months that have not begun cannot be filled in yet;
3. a reviewer's exception reopens past months for a centre until its date;
4. otherwise a month locks for clerks and managers TALLY_LOCK_DAYS days after it ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from centers.models import Centre
from core.periods import month_end, month_start

from .models import FrozenYear, LockException


@dataclass(frozen=True)
class LockState:
    locked: bool
    reason: str = ""


OPEN = LockState(False)


@dataclass
class LockContext:
    """What the decision needs, loaded once for a page (two queries)."""

    today: dt.date
    approved: set[int]
    exceptions: list[LockException]

    @classmethod
    def load(cls, centre: Centre, today: dt.date) -> LockContext:
        exceptions = list(LockException.objects.filter(centre=centre, open_until__gte=today))
        return cls(today, frozen_years(centre), exceptions)


def frozen_years(centre: Centre) -> set[int]:
    """Years whose annual filing is approved (or published): their data may no longer change."""
    return set(FrozenYear.objects.filter(centre=centre).values_list("year", flat=True))


def lock_days() -> int:
    return settings.TALLY_LOCK_DAYS


def _frozen(year: int) -> LockState:
    return LockState(
        True, _("The %(year)s annual filing is approved; its figures are frozen.") % {"year": year}
    )


def lock_state(month: dt.date, ctx: LockContext) -> LockState:
    """Why (or whether) a month is closed to edits."""
    if month.year in ctx.approved:
        return _frozen(month.year)
    if month > month_start(ctx.today):  # an exception never opens the future
        return LockState(True, _("This month has not begun."))
    for exception in ctx.exceptions:
        if exception.first_month <= month <= exception.last_month:
            return OPEN
    closes = month_end(month) + dt.timedelta(days=lock_days())
    if ctx.today > closes:
        return LockState(
            True,
            _("Locked since %(day)s (%(n)s days after the month); ask a reviewer to reopen it.")
            % {"day": date_format(closes + dt.timedelta(days=1), "DATE_FORMAT"), "n": lock_days()},
        )
    return OPEN


def year_lock_state(year: int, ctx: LockContext) -> LockState:
    """Yearly figures (denominators) stay open until the year's filing is approved."""
    if year in ctx.approved:
        return _frozen(year)
    if year > ctx.today.year:
        return LockState(True, _("This year has not begun."))
    return OPEN
