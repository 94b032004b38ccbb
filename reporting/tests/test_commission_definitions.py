"""A commission's own indicator is quoted in its summaries and its centres', never the city's."""

from __future__ import annotations

import datetime as dt

import pytest

from reporting.summary import Owner, generate
from reporting.tests.data import H1_2024, TODAY
from services.models import Indicator, TallyValue

pytestmark = pytest.mark.django_db


def _section(summary: dict, key: str) -> list[str] | None:
    found = [s["clauses"] for s in summary["sections"] if s["key"] == key]
    return found[0] if found else None


def test_the_district_indicator_has_a_section_in_the_district_summary_only(centre, district, city):
    hpv = Indicator.objects.create(
        code="hpv_first_dose",
        name="HPV疫苗首针接种人数",
        category="vaccination",
        unit="人",
        owner=district,
    )
    for month, value in ((3, 40), (4, 25)):
        TallyValue.objects.create(
            centre=centre, indicator=hpv, period=dt.date(2024, month, 1), value=value
        )
    mine = generate(
        owner=Owner(name=district.name, authority=district, authority_ids=(district.pk,)),
        period=H1_2024,
        today=TODAY,
    )
    clauses = _section(mine, "commission")
    assert [c["text"] for c in clauses] == ["HPV疫苗首针接种人数65人，上年同期无可比数据"]
    theirs = generate(
        owner=Owner(name=city.name, authority=city, authority_ids=(city.pk, district.pk)),
        period=H1_2024,
        today=TODAY,
    )
    assert _section(theirs, "commission") is None
    assert "HPV" not in str(theirs["sections"])
    centre_summary = generate(
        owner=Owner(name=centre.name, centre=centre), period=H1_2024, today=TODAY
    )
    assert _section(centre_summary, "commission")


def test_the_dashboard_of_the_district_has_a_column_for_its_indicator(
    client, reviewer, city_reviewer, centre, district, city
):
    from django.urls import reverse

    hpv = Indicator.objects.create(
        code="hpv_first_dose",
        name="HPV疫苗首针接种人数",
        category="vaccination",
        unit="人",
        owner=district,
    )
    TallyValue.objects.create(centre=centre, indicator=hpv, period=dt.date(2024, 3, 1), value=40)
    query = {"year": 2024, "part": "h1"}
    client.force_login(reviewer)
    page = client.get(reverse("reporting:dashboard", args=[district.slug]), query)
    body = page.content.decode()
    table = body[body.index('id="dashboard"') :]
    assert "<th>HPV疫苗首针接种人数</th>" in table and '<td class="num">40</td>' in table
    client.force_login(city_reviewer)
    body = client.get(reverse("reporting:dashboard", args=[city.slug]), query).content.decode()
    assert "HPV疫苗首针接种人数" not in body  # the district's, not the city's
