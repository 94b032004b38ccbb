"""Tally values written straight into the table, for tests that read figures back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from services.models import Indicator, TallyValue


def put(centre, code: str, period: dt.date, value) -> None:
    """One centre's value of an indicator (by code) for the period's first day."""
    TallyValue.objects.create(
        centre=centre,
        indicator=Indicator.objects.get(code=code),
        period=period,
        value=Decimal(value),
    )
