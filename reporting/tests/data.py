"""Hand-built tally data shared by the summary and dashboard tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.periods import Period
from services.models import Indicator, TallyValue

H1_2024 = Period.half(2024, 1)
TODAY = dt.date(2024, 7, 15)


def put(centre, code: str, month: tuple[int, int], value) -> None:
    TallyValue.objects.create(
        centre=centre,
        indicator=Indicator.objects.get(code=code),
        period=dt.date(*month, 1),
        value=Decimal(value),
    )
