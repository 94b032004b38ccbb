"""Figures of a half-year read each side (the period, the year before) from rollups or live on its
own, and add the live centres up in the database; worked by hand for two centres, H1 2024."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from centers.tests.factories import CentreFactory
from core.periods import Period
from services import figures, rollups
from services.models import MonthReport, TallyValue
from services.rollups import build, mark_changed
from services.selectors import reporting, tally_figures
from services.tests.data import put

pytestmark = pytest.mark.django_db
D = dt.date
H1 = Period.half(2024, 1)
# H1 2024 and, a year earlier, H1 2023 (value, previous):
EXPECTED = {
    "opd_visits": (1000, 50),  # a flow: A 100 + 200 + 300, B 400; 2023: A's March alone
    "fd_signed": (4200, 900),  # a stock: A's May 1,200 + B's June 3,000; 2023: A's June
    "res_pop": (30000, 29000),  # yearly: A's 2023 value serves 2024; B 20,000, then 19,000
    # 4,200 ÷ 30,000; 2023: B has no 签约 and is left out: 900 ÷ 10,000
    "fd_rate": (Decimal("14.00"), Decimal("9.00")),
    # A's denominator is 0 and is left out: B's 150 ÷ 200; 2023: B's 80 ÷ 100
    "vac_rate": (Decimal("75.00"), Decimal("80.00")),
}


@pytest.fixture
def two(district):
    a = CentreFactory(name="甲中心", slug="a", sponsor=district)
    b = CentreFactory(name="乙中心", slug="b", sponsor=district)
    for month, visits in ((1, 100), (2, 200), (6, 300)):
        put(a, "opd_visits", D(2024, month, 1), visits)
    put(a, "opd_visits", D(2023, 3, 1), 50)
    put(a, "opd_visits", D(2023, 9, 1), 999)  # H2: in neither side
    put(a, "fd_signed", D(2024, 2, 1), 1000)
    put(a, "fd_signed", D(2024, 5, 1), 1200)
    put(a, "fd_signed", D(2023, 6, 1), 900)
    put(a, "res_pop", D(2023, 1, 1), 10000)
    put(a, "res_pop", D(2022, 1, 1), 9000)  # older than the 2023 value: not read
    put(a, "vac_due", D(2024, 3, 1), 0)
    put(a, "vac_done", D(2024, 3, 1), 5)
    put(b, "opd_visits", D(2024, 4, 1), 400)
    put(b, "fd_signed", D(2024, 6, 1), 3000)
    put(b, "res_pop", D(2024, 1, 1), 20000)
    put(b, "res_pop", D(2023, 1, 1), 19000)
    put(b, "vac_due", D(2024, 2, 1), 200)
    put(b, "vac_done", D(2024, 2, 1), 150)
    put(b, "vac_due", D(2023, 2, 1), 100)
    put(b, "vac_done", D(2023, 2, 1), 80)
    return a, b


def _picked(found: dict) -> dict:
    return {code: (found[code].value, found[code].previous) for code in EXPECTED}


def _live_calls(monkeypatch) -> list:
    """What the door computed live: (centres of the period, centres of the year before)."""
    calls, real = [], rollups.summed_totals

    def live(**kw):
        if any(kw["centres"]):
            calls.append(tuple(sorted(c) for c in kw["centres"]))
        return real(**kw)

    monkeypatch.setattr(rollups, "summed_totals", live)
    return calls


def test_the_hand_worked_figures_live(two):
    ids = [c.pk for c in two]
    assert _picked(tally_figures(scope=Q(centre_id__in=ids), period=H1)) == EXPECTED
    assert _picked(figures.totals(centre_ids=ids, period=H1)) == EXPECTED  # nothing built


def test_each_side_is_fresh_or_live_on_its_own(two, monkeypatch):
    a, b = two
    ids = [a.pk, b.pk]
    build(ids)
    calls = _live_calls(monkeypatch)
    figures.catalogue()  # read once, as a page does
    with CaptureQueriesContext(connection) as fresh:
        assert _picked(figures.totals(centre_ids=ids, period=H1)) == EXPECTED
    assert len(fresh) == 2  # freshness (with sponsors) and the rollup sums
    # A saves into 2024: its 2024 side is live, its 2023 side still from rollups.
    TallyValue.objects.filter(centre=a, indicator__code="opd_visits", period=D(2024, 2, 1)).update(
        value=250
    )
    mark_changed(a.pk, [2024])
    with CaptureQueriesContext(connection) as one_side:
        found = _picked(figures.totals(centre_ids=ids, period=H1))
    assert found == EXPECTED | {"opd_visits": (1050, 50)}  # the rollups still hold 1,000
    # On PostgreSQL the live side is one statement; elsewhere centre_totals' four queries.
    assert len(one_side) == 2 + (1 if connection.vendor == "postgresql" else 4)
    # B writes into 2022: a yearly value of 2022 reaches 2023's spans, so B's 2023 side is live.
    mark_changed(b.pk, [2022])
    assert _picked(figures.totals(centre_ids=ids, period=H1)) == found
    # A write into 2023 reaches both sides of A.
    mark_changed(a.pk, [2023])
    assert _picked(figures.totals(centre_ids=ids, period=H1)) == found
    assert calls == [([a.pk], []), ([a.pk], [b.pk]), ([a.pk], [a.pk, b.pk])]
    live = tally_figures(scope=Q(centre_id__in=ids), period=H1)
    assert _picked(live) == found


def test_a_district_rate_counts_only_at_the_centres_it_reaches_when_live(
    two, other_centre, district
):
    """沙坪坝's 出院占门急诊比 over system indicators: 杨家坪 (another district) enters both and is
    left out live, on each side: 30 ÷ 600 = 5.00% (B enters no 出院), the year before 5 ÷ 50 =
    10.00% (with 杨家坪 they would be 48.18% and 91.82%)."""
    from services.models import Indicator, Rate

    a, b = two
    Rate.objects.create(
        code="discharge_share",
        name="出院占门急诊比",
        category="medical",
        numerator=Indicator.objects.get(code="discharges"),
        denominator=Indicator.objects.get(code="opd_visits"),
        owner=district,
    )
    put(a, "discharges", D(2024, 1, 1), 30)
    put(a, "discharges", D(2023, 3, 1), 5)
    put(other_centre, "discharges", D(2024, 1, 1), 500)
    put(other_centre, "opd_visits", D(2024, 1, 1), 500)
    put(other_centre, "discharges", D(2023, 1, 1), 500)
    put(other_centre, "opd_visits", D(2023, 1, 1), 500)
    ids = [a.pk, b.pk, other_centre.pk]
    found = figures.totals(centre_ids=ids, period=H1)["discharge_share"]
    assert (found.value, found.previous) == (Decimal("5.00"), Decimal("10.00"))
    build(ids)
    mark_changed(a.pk, [2024])  # A live for 2024, from rollups for 2023
    found = figures.totals(centre_ids=ids, period=H1)["discharge_share"]
    assert (found.value, found.previous) == (Decimal("5.00"), Decimal("10.00"))


def test_which_months_hold_values_is_read_only_for_the_months_it_decides(two):
    """A summary's 未报 asks only about months owed and not marked: none marked missing, no
    query; one missing, one query for it; a centre's months read after that, one more."""
    a, b = two
    months = [D(2024, m, 1) for m in range(1, 7)]
    for centre in two:
        for month in months:
            MonthReport.objects.create(centre=centre, period=month)
    centres = [(a.pk, None), (b.pk, None)]
    state = reporting(centres=centres, months=months, today=D(2024, 7, 15), entries=True)
    with CaptureQueriesContext(connection) as none_missing:
        assert state.missing_by_month() == {} and state.unmarked_by_month() == {}
    assert len(none_missing) == 0
    MonthReport.objects.filter(centre=a, period=D(2024, 4, 1)).delete()  # nothing entered
    MonthReport.objects.filter(centre=b, period=D(2024, 6, 1)).delete()  # entered, not marked
    state = reporting(centres=centres, months=months, today=D(2024, 7, 15), entries=True)
    with CaptureQueriesContext(connection) as asked:
        assert state.missing_by_month() == {D(2024, 4, 1): 1}
        assert state.unmarked_by_month() == {D(2024, 6, 1): 1}
    assert len(asked) == 1
    with CaptureQueriesContext(connection) as months_of_a:
        entered = [D(2024, m, 1) for m in (1, 2, 3, 5, 6)]  # all but April
        assert state.entered_months(a.pk) == entered
        assert state.entered_months(a.pk) == entered
    assert len(months_of_a) == 1  # the months not read yet, once
    plain = reporting(centres=centres, months=months, today=D(2024, 7, 15))
    assert plain.unmarked_by_month() == {} and plain.entered_months(a.pk) == []
    assert plain.missing_by_month() == {D(2024, 4, 1): 1, D(2024, 6, 1): 1}


def test_a_city_sized_live_side_gives_the_same_figures(two, monkeypatch):
    # From core.rawsql.PARALLEL_FROM live centres the statement runs with parallel workers
    # priced in: the same statement and the same figures, whatever the planner chooses.
    from services import selectors

    monkeypatch.setattr(selectors, "PARALLEL_FROM", 1)
    used = []
    real = selectors.parallel_read
    monkeypatch.setattr(selectors, "parallel_read", lambda *a: used.append(1) or real(*a))
    found = _picked(figures.totals(centre_ids=[c.pk for c in two], period=H1))
    assert found == EXPECTED
    assert used == ([1] if connection.vendor == "postgresql" else [])
