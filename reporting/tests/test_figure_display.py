"""同比 names the year it compares with (2024's page with 2023), and whole-number indicators show
without decimals (66424, not 66424.00)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from core.periods import Period


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (Period.year(2024), "上年同期（2023年）"),
        (Period.half(2024, 1), "上年同期（2023年上半年）"),
        (Period.quarter(2024, 3), "上年同期（2023年第3季度）"),
        (Period.month(2024, 1), "上年同期（2023年1月）"),
        (
            Period.range(dt.date(2023, 11, 1), dt.date(2024, 2, 1)),
            "上年同期（2022年11月至2023年2月）",
        ),
        (Period(dt.date(2024, 3, 1), dt.date(2024, 5, 1)), "上年同期（2023年3月至2023年5月）"),
    ],
)
def test_the_year_earlier_is_labelled_with_its_own_year(period, label):
    earlier = period.year_earlier()
    assert earlier.label == label
    assert (earlier.first.year, earlier.last.year) == (period.first.year - 1, period.last.year - 1)


@pytest.mark.django_db
def test_the_2024_figures_page_compares_with_2023(client, centre, manager):
    client.force_login(manager)
    url = reverse("services:centre-figures", args=[centre.slug])
    body = client.get(url, {"year": 2024, "part": "year"}).content.decode()
    assert "上年同期（2023年）" in body and "上年同期（2024年）" not in body


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("66424.00"), "66424"),
        (Decimal("38705.00"), "38705"),
        (Decimal("12.50"), "12.5"),  # as on the figures page: one number formatter, `plain`
        (Decimal("0.00"), "0"),
        (None, "None"),
    ],
)
def test_whole_figures_show_without_decimals(value, shown):
    assert Template("{{ v|plain }}").render(Context({"v": value})) == shown


@pytest.mark.django_db
def test_the_dashboard_shows_outpatient_visits_without_decimals(client, reviewer, district_data):
    client.force_login(reviewer)
    url = reverse("reporting:dashboard", args=["district"])
    body = client.get(url, {"year": 2024, "part": "h1"}).content.decode()
    # 甲: 6 months × 6000 = 36000; 乙: 5 months × 7000 = 35000 (May not entered)
    assert '<td class="num">36000</td>' in body and '<td class="num">35000</td>' in body
    assert "36000.00" not in body and "35000.00" not in body
