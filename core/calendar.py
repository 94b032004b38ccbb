"""Counting working days: Monday to Friday, corrected by the administrators' CalendarDay table."""

from __future__ import annotations

import datetime as dt

from .models import CalendarDay


def calendar_exceptions(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    """Holidays (False) and swapped workdays (True) in [start, end], in one query."""
    return dict(
        CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday")
    )


def weekdays_after(start: dt.date, end: dt.date) -> int:
    """Mondays to Fridays in (start, end], by arithmetic: whole weeks, then the remainder."""
    days = (end - start).days
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    weekday = start.weekday()
    for step in range(1, rest + 1):
        count += (weekday + step) % 7 < 5
    return count


def working_days_after(
    start: dt.date, end: dt.date, exceptions: dict[dt.date, bool] | None = None
) -> int:
    """Working days in (start, end]: the first working day after start counts as day 1."""
    if end <= start:
        return 0
    if exceptions is None:
        exceptions = calendar_exceptions(start, end)
    count = weekdays_after(start, end)
    for day, is_workday in exceptions.items():
        if start < day <= end and is_workday != (day.weekday() < 5):
            count += 1 if is_workday else -1
    return count
