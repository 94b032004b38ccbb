"""Definitions are owned along the commission tree and in force over months: a district's own
indicator, rate, rule and activity kind reach its centres only, and only while in force."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from centers.tests.factories import AuthorityFactory, CentreFactory
from services.definitions import applies, owner_path
from services.forms import ActivityForm
from services.models import ActivityKind, Indicator, Rate, TallyValue, ValidationRule
from services.selectors import centre_indicators, tally_grid

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2024, 5, 20, 10, 0)  # April 2024 is open


@pytest.fixture
def hpv(district):
    """沙坪坝's own indicator, with a rate and a rule of its own."""
    first = Indicator.objects.create(
        code="hpv_first_dose",
        name="HPV疫苗首针接种人数",
        category="vaccination",
        unit="人",
        owner=district,
        position=90,
    )
    second = Indicator.objects.create(
        code="hpv_second_dose",
        name="HPV疫苗第二针接种人数",
        category="vaccination",
        unit="人",
        owner=district,
        position=91,
    )
    Rate.objects.create(
        code="hpv_completion",
        name="HPV疫苗第二针完成率",
        category="vaccination",
        numerator=second,
        denominator=first,
        owner=district,
    )
    ValidationRule.objects.create(left=second, operator="<=", right=first, owner=district)
    return first, second


def test_the_path_is_the_commission_and_every_one_above(city, district, centre):
    below = AuthorityFactory(parent=district)
    assert owner_path(below.pk) == {below.pk, district.pk, city.pk}
    assert owner_path(city.pk) == {city.pk}


def test_a_district_indicator_reaches_its_centres_only(hpv, centre, other_centre, city):
    first, _second = hpv
    assert first in centre_indicators(centre, 2024)
    assert first not in centre_indicators(other_centre, 2024)
    city_centre = CentreFactory(sponsor=city)  # the city's own centre: not below the district
    assert first not in centre_indicators(city_centre, 2024)
    assert Indicator.objects.get(code="opd_visits") in centre_indicators(other_centre, 2024)


@time_machine.travel(TODAY)
def test_the_grid_shows_the_district_rate_and_another_district_cannot_save_it(
    hpv, client, clerk, centre, other_centre, other_member
):
    grid = tally_grid(centre=centre, year=2024, category="vaccination")
    assert "hpv_first_dose" in [row[0].code for row in grid.rows]
    assert "hpv_completion" in [r.rate.code for r in grid.rates]
    other = tally_grid(centre=other_centre, year=2024, category="vaccination")
    assert "hpv_first_dose" not in [row[0].code for row in other.rows]
    assert "hpv_completion" not in [r.rate.code for r in other.rates]
    params = {"indicator": "hpv_first_dose", "period": "2024-04-01", "value": "30", "base": ""}
    client.force_login(other_member)
    url = reverse("services:tally-cell", args=[other_centre.slug])
    assert client.post(url, params, HTTP_HX_REQUEST="true").status_code == 404
    assert not TallyValue.objects.exists()


@time_machine.travel(TODAY)
def test_the_district_rule_warns_its_clerk(hpv, client, clerk, centre):
    client.force_login(clerk)
    url = reverse("services:tally-cell", args=[centre.slug])
    cell = {"period": "2024-04-01", "base": ""}
    client.post(url, cell | {"indicator": "hpv_first_dose", "value": "30"}, HTTP_HX_REQUEST="true")
    body = client.post(
        url, cell | {"indicator": "hpv_second_dose", "value": "35"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "is-saved" in body  # a warning, not an error: saved, with its explanation asked for
    assert "HPV疫苗第二针接种人数" in body and "HPV疫苗首针接种人数" in body
    assert TallyValue.objects.get(indicator__code="hpv_second_dose").value == Decimal(35)


def test_an_indicator_is_in_force_from_its_first_month_to_its_last(district, centre):
    later = Indicator.objects.create(
        code="new_2025",
        name="2025年起新增指标",
        category="medical",
        unit="人次",
        active_from=dt.date(2025, 1, 1),
    )
    retired = Indicator.objects.create(
        code="gone_mid_2024",
        name="2024年6月停用指标",
        category="medical",
        unit="人次",
        active_to=dt.date(2024, 6, 1),
    )
    assert later not in centre_indicators(centre, 2024) and later in centre_indicators(centre, 2025)
    assert retired in centre_indicators(centre, 2024)  # January to June 2024
    assert retired not in centre_indicators(centre, 2025)
    path = owner_path(district.pk)
    assert applies(retired, path, dt.date(2024, 6, 1), dt.date(2024, 6, 1))
    assert not applies(retired, path, dt.date(2024, 7, 1), dt.date(2024, 7, 1))


def test_a_district_activity_kind_is_offered_to_its_centres_only(district, centre, other_centre):
    own = ActivityKind.objects.create(name="支部共建（区定）", owner=district)
    shared = ActivityKind.objects.create(name="安全生产研判（通用）")
    mine = ActivityForm(centre=centre).fields["kind"].queryset
    theirs = ActivityForm(centre=other_centre).fields["kind"].queryset
    assert own in mine and shared in mine
    assert own not in theirs and shared in theirs
    refused = ActivityForm(
        {"date": "2024-04-02", "kind": own.pk, "people": "3"}, centre=other_centre
    )
    assert not refused.is_valid() and "kind" in refused.errors


def test_figures_quote_a_definition_where_and_while_it_applies(hpv, centre, district, city):
    from core.periods import Period
    from services import figures

    first, _second = hpv
    TallyValue.objects.create(centre=centre, indicator=first, period=dt.date(2024, 3, 1), value=40)
    TallyValue.objects.create(centre=centre, indicator=first, period=dt.date(2024, 4, 1), value=25)
    h1 = Period.half(2024, 1)
    mine = figures.totals(centre_ids=[centre.pk], period=h1, owner=district.pk)
    assert mine["hpv_first_dose"].value == 65 and "hpv_completion" in mine
    citywide = figures.totals(centre_ids=[centre.pk], period=h1, owner=city.pk)
    assert "hpv_first_dose" not in citywide and "opd_visits" in citywide
    assert figures.commission_codes(district.pk, h1) == [
        "hpv_first_dose",
        "hpv_second_dose",
        "hpv_completion",
    ]
    Rate.objects.filter(code="hpv_completion").update(active_to=dt.date(2024, 6, 1))
    from services.selectors import catalogue_changed

    catalogue_changed()
    assert "hpv_completion" in figures.totals(centre_ids=[centre.pk], period=h1, owner=district.pk)
    h2 = Period.half(2024, 2)  # retired after June: 2024 H1 keeps it, H2 no longer quotes it
    assert "hpv_completion" not in figures.totals(
        centre_ids=[centre.pk], period=h2, owner=district.pk
    )


@time_machine.travel(TODAY)
def test_the_tally_import_refuses_months_an_indicator_is_not_in_force(centre):
    from services.excel import _read_cells

    Indicator.objects.create(
        code="gone_mid_2024",
        name="2024年6月停用指标",
        category="medical",
        unit="人次",
        active_to=dt.date(2024, 6, 1),
    )
    errors: list = []
    cells = _read_cells(
        centre, 2024, [(3, {"代码": "gone_mid_2024", "4月": "5", "7月": "6"})], errors
    )
    assert cells == [["gone_mid_2024", "2024-04-01", "5"]]  # April is in force (and open)
    assert errors == [[3, "7月", "该指标在这个月不在生效期内。"]]
