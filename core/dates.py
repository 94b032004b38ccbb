"""Plausible dates: one check for forms and imports, so that a slip (0001, 9999) never gets in.

A date typed as 9999-12-31 is a valid date, and a stored one would skew every count and rate
built on it (years of service, staff on a day, a departure never reached). Forms put a
PlausibleDate among a date field's validators; importers call it on each parsed cell.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

MESSAGE = _("Enter a date between %(a)s and %(b)s.")


@deconstructible
class PlausibleDate:
    """A validator: the date lies between `earliest` and either a fixed `latest` or today plus
    `years_ahead` years (0: not in the future)."""

    def __init__(
        self,
        earliest: dt.date,
        *,
        years_ahead: int | None = None,
        latest: dt.date | None = None,
        late_message=None,
    ) -> None:
        if (years_ahead is None) == (latest is None):
            raise ValueError("give years_ahead or latest")
        self.earliest, self.years_ahead, self.fixed_latest = earliest, years_ahead, latest
        self.late_message = late_message  # said instead when the date is too late, if given

    def latest(self, today: dt.date | None = None) -> dt.date:
        if self.fixed_latest is not None:
            return self.fixed_latest
        today = today or timezone.localdate()
        try:
            return today.replace(year=today.year + self.years_ahead)
        except ValueError:  # 29 February, and the year ahead is not a leap year
            return today.replace(year=today.year + self.years_ahead, day=28)

    def __call__(self, value: dt.date) -> None:
        latest = self.latest()
        if value > latest and self.late_message:
            raise ValidationError(self.late_message, code="implausible_date")
        if not self.earliest <= value <= latest:
            raise ValidationError(
                MESSAGE, code="implausible_date", params={"a": self.earliest, "b": latest}
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, PlausibleDate) and (
            (self.earliest, self.years_ahead, self.fixed_latest)
            == (other.earliest, other.years_ahead, other.fixed_latest)
        )


# Dates of birth: no one on a roster was born before 1900, nor is anyone born tomorrow.
BIRTH_DATE = PlausibleDate(
    dt.date(1900, 1, 1),
    years_ahead=0,
    late_message=_("The date of birth cannot be in the future."),
)
# Hiring and leaving: from 1950 (the oldest careers a roster still shows) to a year ahead,
# for a start or a departure that is already agreed.
WORK_DATE = PlausibleDate(dt.date(1950, 1, 1), years_ahead=1)
# A centre's records (licences, changes, donations, departments): since the People's Republic,
# up to 2100 for documents valid far ahead.
RECORD_DATE = PlausibleDate(dt.date(1949, 10, 1), latest=dt.date(2100, 12, 31))


def add_plausible_date(field, validator: PlausibleDate) -> None:
    """Give a form's date field the check once (fields are per form instance)."""
    if validator not in field.validators:
        field.validators.append(validator)
