"""Counting working days: Monday to Friday, corrected by the administrators' CalendarDay table."""

from __future__ import annotations

import datetime as dt

from .models import CalendarDay


def calendar_exceptions(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    """Holidays (False) and swapped workdays (True) in [start, end], in one query."""
    return dict(
        CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday")
    )


def working_days_after(
    start: dt.date, end: dt.date, exceptions: dict[dt.date, bool] | None = None
) -> int:
    """Working days in (start, end]: the first working day after start counts as day 1."""
    if end <= start:
        return 0
    if exceptions is None:
        exceptions = calendar_exceptions(start, end)
    count = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        count += exceptions.get(day, day.weekday() < 5)
        day += dt.timedelta(days=1)
    return count
