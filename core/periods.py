"""Reporting periods (a month, quarter, half-year, year or range of whole months) and the one
form every page picks them with."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def month_ended(month: dt.date, today: dt.date) -> bool:
    """Whether a month is over, so that its report can be complete (marked 已报送)."""
    return month_end(month) < today


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


# A year in a period's label ("2024年", also inside "2024年第1季度", "2023年11月至2024年2月").
_YEAR = re.compile(r"(\d{4})年")


@dataclass(frozen=True)
class Period:
    """Whole months from first to last (both first days of their month)."""

    first: dt.date
    last: dt.date
    label: str = ""

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        day = dt.date(year, month, 1)
        return cls(day, day, f"{year}年{month}月")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = dt.date(year, 3 * quarter - 2, 1)
        return cls(first, add_months(first, 2), f"{year}年第{quarter}季度")

    @classmethod
    def half(cls, year: int, half: int) -> Period:
        first = dt.date(year, 1 if half == 1 else 7, 1)
        return cls(first, add_months(first, 5), f"{year}年{'上' if half == 1 else '下'}半年")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 1), f"{year}年")

    @classmethod
    def range(cls, first: dt.date, last: dt.date) -> Period:
        first, last = month_start(first), month_start(last)
        return cls(first, last, f"{first.year}年{first.month}月至{last.year}年{last.month}月")

    @property
    def months(self) -> list[dt.date]:
        out, current = [], self.first
        while current <= self.last:
            out.append(current)
            current = add_months(current, 1)
        return out

    def year_earlier(self) -> Period:
        """The same months a year before, for 同比, labelled with their year: 上年同期（2023年）."""
        first, last = add_months(self.first, -12), add_months(self.last, -12)
        label = _YEAR.sub(lambda m: f"{int(m.group(1)) - 1}年", self.label)
        if label == self.label:  # a label without a year in it: name the months themselves
            label = Period.range(first, last).label
        return Period(first, last, f"上年同期（{label}）")


def month_count(first: dt.date, last: dt.date) -> int:
    """Whole months from first to last, both counted."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


MONTH_INPUT = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class MonthField(forms.DateField):
    """A month typed as 2024-03 (the browser's month picker), stored as its first day."""

    widget = MONTH_INPUT
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        if day and not 2000 <= day.year <= 2100:
            raise forms.ValidationError(_("Choose a month between 2000 and 2100."))
        return day.replace(day=1) if day else day


# Every part a period form can offer, in the order its choices list them.
PARTS = {
    "year": _("whole year"),
    "h1": _("first half"),
    "h2": _("second half"),
    "q1": _("first quarter"),
    "q2": _("second quarter"),
    "q3": _("third quarter"),
    "q4": _("fourth quarter"),
    "month": _("one month"),
    "range": _("range of months"),
}
YEAR_ERRORS = {
    "invalid": _("Enter the year as a number, such as 2024."),
    "min_value": _("Choose a year between 2000 and 2100."),
    "max_value": _("Choose a year between 2000 and 2100."),
}


class PeriodForm(forms.Form):
    """The one way pages pick a reporting period; each page offers the parts it can show.

    Bad input puts a message beside its field and period() falls back to the default year, so a
    GET page still renders. A subclass may rename the part field (the summary's "kind").
    """

    parts: tuple[str, ...] = tuple(PARTS)
    part_field = "part"
    max_months = 120  # month-end counts are columns of one query: keep them bounded
    too_long = _("Choose at most ten years at a time.")

    year = forms.IntegerField(
        label=_("year"), min_value=2000, max_value=2100, required=False, error_messages=YEAR_ERRORS
    )
    part = forms.ChoiceField(label=_("period"), required=False)
    month = forms.IntegerField(label=_("month"), min_value=1, max_value=12, required=False)
    first = MonthField(label=_("from month"), required=False)
    last = MonthField(label=_("to month"), required=False)

    def __init__(self, *args, parts: Iterable[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = tuple(parts) if parts is not None else self.parts
        if unknown := set(self.parts) - PARTS.keys():
            raise ValueError(f"unknown period parts: {sorted(unknown)}")
        self.fields[self.part_field].choices = [(p, PARTS[p]) for p in self.parts]
        if "month" not in self.parts:
            del self.fields["month"]
        if "range" not in self.parts:
            del self.fields["first"], self.fields["last"]

    def clean(self):
        cleaned = super().clean()
        part = cleaned.get(self.part_field) or self.parts[0]
        if part == "month" and cleaned.get("month") is None and "month" not in self.errors:
            self.add_error("month", _("Choose the month."))
        if part == "range":
            self._check_range(cleaned.get("first"), cleaned.get("last"))
        return cleaned

    def _check_range(self, first: dt.date | None, last: dt.date | None) -> None:
        if not first and "first" not in self.errors:
            self.add_error("first", _("Choose the first month of the range."))
        if not last and "last" not in self.errors:
            self.add_error("last", _("Choose the last month of the range."))
        if first and last and last < first:
            self.add_error("last", _("The last month is before the first."))
        elif first and last and month_count(first, last) > self.max_months:
            self.add_error("last", self.too_long)

    def period(self, default_year: int | Callable[[], int]) -> Period:
        """The chosen period (a missing year is the default, a missing part the first offered).

        Without input, or with bad input, it is the whole default year. The default may be a
        function, called only when no year was chosen (finding it can cost a query).
        """

        def default() -> int:
            return default_year() if callable(default_year) else default_year

        if not self.is_valid():
            return Period.year(default())
        data = self.cleaned_data
        year, part = data.get("year") or default(), data.get(self.part_field) or self.parts[0]
        if part in ("h1", "h2"):
            return Period.half(year, int(part[1]))
        if part in ("q1", "q2", "q3", "q4"):
            return Period.quarter(year, int(part[1]))
        if part == "month":
            return Period.month(year, data["month"])
        if part == "range":
            return Period.range(data["first"], data["last"])
        return Period.year(year)


# --- periods named in the API and in files: 2024, 2024-04 (or 202404), 2024Q2, 2024S1, ranges ---
_CODE_YEAR = re.compile(r"(\d{4})")
_CODE_MONTH = re.compile(r"(\d{4})-?(\d{2})")
_CODE_PART = re.compile(r"(\d{4})([QqSsHh])(\d)")
_CODE_RANGE = re.compile(r"(\d{4}-?\d{2})(?:/|\.\.)(\d{4}-?\d{2})")
MAX_RANGE_MONTHS = 120


def period_from_code(code: str) -> Period | None:
    """The period a code names (DHIS2's period codes, and ranges of months written
    2024-01/2024-06), within 2000–2100 and at most ten years long; None for anything else."""
    code = code.strip()
    if match := _CODE_RANGE.fullmatch(code):
        first, last = period_from_code(match[1]), period_from_code(match[2])
        if first is None or last is None or last.first < first.first:
            return None
        if month_count(first.first, last.first) > MAX_RANGE_MONTHS:
            return None
        return Period.range(first.first, last.first)
    return _single_period(code)


def _single_period(code: str) -> Period | None:
    if match := _CODE_YEAR.fullmatch(code):
        year, found = int(match[1]), lambda y: Period.year(y)
    elif match := _CODE_MONTH.fullmatch(code):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            return None
        found = lambda y: Period.month(y, month)  # noqa: E731
    elif match := _CODE_PART.fullmatch(code):
        year, kind, n = int(match[1]), match[2].upper(), int(match[3])
        if kind == "Q" and 1 <= n <= 4:
            found = lambda y: Period.quarter(y, n)  # noqa: E731
        elif kind in "SH" and n in (1, 2):
            found = lambda y: Period.half(y, n)  # noqa: E731
        else:
            return None
    else:
        return None
    return found(year) if 2000 <= year <= 2100 else None


def period_code(period: Period) -> str:
    """The code `period_from_code` reads back: 2024, 2024S1, 2024Q2, 2024-04 or a range."""
    first, last = period.first, period.last
    months = month_count(first, last)
    if months == 1:
        return f"{first:%Y-%m}"
    if first.year == last.year and (first.month - 1) % months == 0 and months in (3, 6, 12):
        n = (first.month - 1) // months + 1
        return {3: f"{first.year}Q{n}", 6: f"{first.year}S{n}", 12: str(first.year)}[months]
    return f"{first:%Y-%m}/{last:%Y-%m}"
