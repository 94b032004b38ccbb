"""Periods named by code in the API: DHIS2's codes and ranges of months, read back the same."""

from __future__ import annotations

import datetime as dt

import pytest

from core.periods import Period, period_code, period_from_code

D = dt.date


@pytest.mark.parametrize(
    ("code", "first", "last", "back"),
    [
        ("2024", D(2024, 1, 1), D(2024, 12, 1), "2024"),
        ("2024-04", D(2024, 4, 1), D(2024, 4, 1), "2024-04"),
        ("202404", D(2024, 4, 1), D(2024, 4, 1), "2024-04"),
        ("2024Q2", D(2024, 4, 1), D(2024, 6, 1), "2024Q2"),
        ("2024S2", D(2024, 7, 1), D(2024, 12, 1), "2024S2"),
        ("2024H1", D(2024, 1, 1), D(2024, 6, 1), "2024S1"),
        ("2023-11/2024-02", D(2023, 11, 1), D(2024, 2, 1), "2023-11/2024-02"),
        ("2024-01..2024-03", D(2024, 1, 1), D(2024, 3, 1), "2024Q1"),
    ],
)
def test_a_code_names_its_months_and_reads_back(code, first, last, back):
    period = period_from_code(code)
    assert (period.first, period.last) == (first, last)
    assert period_code(period) == back
    again = period_from_code(back)
    assert (again.first, again.last) == (first, last)


@pytest.mark.parametrize(
    "code",
    ["", "24", "2024-13", "2024-00", "2024Q5", "2024S3", "1999", "2101-01", "2024-05/2024-04",
     "2014-01/2024-02", "2024-04-15", "二〇二四", "2024W12"],
)  # fmt: skip
def test_anything_else_is_no_period(code):
    assert period_from_code(code) is None


def test_ten_years_of_months_is_the_longest_range():
    assert period_from_code("2015-01/2024-12") == Period.range(D(2015, 1, 1), D(2024, 12, 1))
