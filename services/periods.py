"""Reporting periods: a month, quarter, half-year, year or range of whole months."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


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
        """The same months a year before, for 同比."""
        return Period(
            add_months(self.first, -12), add_months(self.last, -12), f"上年同期（{self.label}）"
        )
