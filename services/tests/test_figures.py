"""Aggregation: rates (% and ‰), flows vs stocks over half-years and years, 同比, by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from centers.tests.factories import CentreFactory
from core.periods import Period
from services.models import Indicator, TallyValue
from services.selectors import centre_scope, rate_value, subtree_scope, tally_figures
from services.tests.data import put

pytestmark = pytest.mark.django_db
D = dt.date


def test_rate_value_percent_and_permille():
    assert rate_value(15_540, 50_000, 100) == Decimal("31.08")  # 全人群签约率
    assert rate_value(218, 50_000, 1000) == Decimal("4.36")  # 严重精神障碍报告患病率 ‰
    assert rate_value(1, 3, 100) == Decimal("33.33")
    assert rate_value(2, 3, 100) == Decimal("66.67")  # half-up
    assert rate_value(5, 0, 100) is None and rate_value(None, 5, 100) is None


def test_flows_sum_and_stocks_take_the_last_month(centre):
    for month, visits, filed in [(1, 100, 900), (2, 120, 950), (6, 130, 990), (7, 500, 1200)]:
        put(centre, "opd_visits", D(2024, month, 1), visits)
        put(centre, "rec_filed", D(2024, month, 1), filed)
    put(centre, "res_pop", D(2024, 1, 1), 2000)
    h1 = tally_figures(scope=centre_scope(centre), period=Period.half(2024, 1))
    assert h1["opd_visits"].value == 350  # 100 + 120 + 130 (July is not in H1)
    assert h1["rec_filed"].value == 990  # the June value
    assert h1["rec_rate"].value == Decimal("49.50")  # 990 ÷ 2000
    # A year (or quarter) in progress takes each stock's latest month within it.
    year = tally_figures(scope=centre_scope(centre), period=Period.year(2024))
    assert year["opd_visits"].value == 850 and year["rec_filed"].value == 1200  # July
    q1 = tally_figures(scope=centre_scope(centre), period=Period.quarter(2024, 1))
    assert q1["opd_visits"].value == 220 and q1["rec_filed"].value == 950  # February


def test_year_on_year_growth_for_counts_and_points_for_rates(centre):
    # H1 2023: 门急诊 1,000; H1 2024: 1,214 → (1214 − 1000) ÷ 1000 = 21.4%
    put(centre, "opd_visits", D(2023, 3, 1), 1000)
    put(centre, "opd_visits", D(2024, 3, 1), 1214)
    # 签约: 2023-06 14,000 of 50,000 = 28.00%; 2024-06 15,540 of 50,000 = 31.08% → +3.08 points
    put(centre, "fd_signed", D(2023, 6, 1), 14_000)
    put(centre, "fd_signed", D(2024, 6, 1), 15_540)
    put(centre, "res_pop", D(2023, 1, 1), 50_000)
    put(centre, "res_pop", D(2024, 1, 1), 50_000)
    # 患病率: 2023 210 → 4.20‰, 2024 218 → 4.36‰ → +0.16 ‰ points
    put(centre, "smi_registered", D(2023, 6, 1), 210)
    put(centre, "smi_registered", D(2024, 6, 1), 218)
    f = tally_figures(scope=centre_scope(centre), period=Period.half(2024, 1))
    assert (f["opd_visits"].value, f["opd_visits"].previous, f["opd_visits"].change) == (
        1214,
        1000,
        Decimal("21.40"),
    )
    assert (f["fd_rate"].value, f["fd_rate"].previous, f["fd_rate"].change) == (
        Decimal("31.08"),
        Decimal("28.00"),
        Decimal("3.08"),
    )
    assert f["smi_prevalence"].unit == "‰" and f["smi_prevalence"].value == Decimal("4.36")
    assert f["smi_prevalence"].change == Decimal("0.16")


def test_a_fall_is_negative_and_no_base_means_no_growth(centre):
    put(centre, "discharges", D(2023, 2, 1), 40)
    put(centre, "discharges", D(2024, 2, 1), 30)
    put(centre, "referrals_up", D(2024, 2, 1), 9)
    f = tally_figures(scope=centre_scope(centre), period=Period.year(2024))
    assert f["discharges"].change == Decimal("-25.00")
    assert f["referrals_up"].previous is None and f["referrals_up"].change is None


def test_an_authority_adds_up_its_subtree(centre, other_centre, district, city):
    sibling = CentreFactory(sponsor=district)
    for c, n in ((centre, 100), (sibling, 50), (other_centre, 7)):
        put(c, "opd_visits", D(2024, 1, 1), n)
    assert (
        tally_figures(scope=subtree_scope([district.pk]), period=Period.year(2024))[
            "opd_visits"
        ].value
        == 150
    )
    everyone = subtree_scope([city.pk, district.pk, other_centre.sponsor_id])
    assert tally_figures(scope=everyone, period=Period.year(2024))["opd_visits"].value == 157


def test_aggregation_takes_a_fixed_number_of_queries_whatever_the_number_of_centres(district):
    centres = CentreFactory.create_batch(60, sponsor=district)
    visits = Indicator.objects.get(code="opd_visits")
    TallyValue.objects.bulk_create(
        [
            TallyValue(centre=c, indicator=visits, period=D(y, m, 1), value=10)
            for c in centres
            for y in (2023, 2024)
            for m in range(1, 13)
        ]
    )
    with CaptureQueriesContext(connection) as queries:
        f = tally_figures(scope=subtree_scope([district.pk]), period=Period.half(2024, 1))
    grouped = [q for q in queries.captured_queries if "GROUP BY" in q["sql"].upper()]
    # indicators; flows and stocks (one grouped query on PostgreSQL, two on SQLite); yearly
    # figures now and a year earlier; rates
    monthly = 1 if connection.vendor == "postgresql" else 2
    assert len(grouped) == 1 and len(queries) == 4 + monthly
    assert f["opd_visits"].value == 60 * 6 * 10 and f["opd_visits"].change == 0


def test_an_authoritys_stock_takes_each_centres_latest_month(centre, district):
    sibling = CentreFactory(sponsor=district)
    put(centre, "rec_filed", D(2024, 12, 1), 1000)
    put(sibling, "rec_filed", D(2024, 11, 1), 5000)  # has not entered December yet
    for c in (centre, sibling):
        put(c, "res_pop", D(2024, 1, 1), 5000)
    f = tally_figures(scope=subtree_scope([district.pk]), period=Period.year(2024))
    assert f["rec_filed"].value == 6000
    assert f["rec_rate"].value == Decimal("60.00")  # 6,000 ÷ 10,000


def test_a_rate_adds_up_only_centres_that_report_both_sides(centre, district):
    sibling = CentreFactory(sponsor=district)
    put(centre, "fd_signed", D(2024, 6, 1), 1000)
    put(centre, "res_pop", D(2024, 1, 1), 4000)
    put(sibling, "fd_signed", D(2024, 6, 1), 1000)  # no resident population entered
    f = tally_figures(scope=subtree_scope([district.pk]), period=Period.half(2024, 1))
    assert f["fd_signed"].value == 2000
    assert f["fd_rate"].value == Decimal("25.00")  # 1,000 ÷ 4,000, not 2,000 ÷ 4,000


def test_last_years_denominator_serves_until_this_years_is_entered(centre):
    put(centre, "rec_filed", D(2024, 3, 1), 900)
    put(centre, "res_pop", D(2023, 1, 1), 3000)
    f = tally_figures(scope=centre_scope(centre), period=Period.quarter(2024, 1))
    assert f["rec_rate"].value == Decimal("30.00")


def test_cost_per_visit_compares_by_growth_not_points(centre):
    for year, income, visits in ((2023, 10, 1000), (2024, 12, 1000)):
        put(centre, "opd_income", D(year, 5, 1), income)
        put(centre, "opd_visits", D(year, 5, 1), visits)
    f = tally_figures(scope=centre_scope(centre), period=Period.month(2024, 5))
    # 100 元 → 120 元 per visit: +20.00%, not +20 "points"
    assert (
        f["opd_cost"].value == 120
        and f["opd_cost"].change == Decimal("20.00")
        and not f["opd_cost"].in_points
    )


def test_a_catalogue_change_reaches_figures_and_cell_saves_once_committed(
    centre, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """The catalogue is read once per process; a committed edit of an indicator, a rule or a
    rate is seen by the next read, and the rollups built with the old rate are no longer used."""
    from services import figures
    from services.actions import _cell_catalogue
    from services.models import Rate, ValidationRule
    from services.rollups import build, fresh_centres
    from services.selectors import cell_catalogue

    opd = Indicator.objects.get(code="opd_visits")
    march = D(2024, 3, 1)
    figures.catalogue(), cell_catalogue(), _cell_catalogue(centre, opd, march)
    with django_assert_num_queries(0):  # kept: no query until something changes
        key = figures.catalogue()[2]
        rules, _rates = _cell_catalogue(centre, cell_catalogue().indicators["opd_visits"], march)
    assert rules
    put(centre, "opd_visits", D(2024, 3, 1), 100)
    build([centre.pk])
    assert fresh_centres([centre.pk]) == {centre.pk}
    with django_capture_on_commit_callbacks(execute=True):
        opd.name = "门急诊总人次"
        opd.save()
        for rule in rules:
            rule.is_active = False
            rule.save()
        fd_rate = Rate.objects.get(code="fd_rate")
        fd_rate.scale = Rate.Scale.PERMILLE
        fd_rate.save()
    names = {i.code: i.name for i in figures.catalogue()[0]}
    assert names["opd_visits"] == "门急诊总人次"
    assert cell_catalogue().indicators["opd_visits"].name == "门急诊总人次"
    assert _cell_catalogue(centre, opd, march)[0] == []
    assert ValidationRule.objects.filter(is_active=True).count() == len(cell_catalogue().rules)
    assert figures.catalogue()[2] != key  # the rate's formula moved: rollups built before go live
    assert fresh_centres([centre.pk]) == set()
