"""The reviewer dashboard: indicators per centre, the score worked by hand, sorting, export."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reporting.dashboard import dashboard_rows, monthly_trend
from reporting.tests.data import H1_2024, TODAY, put

pytestmark = pytest.mark.django_db
D = Decimal


def _by_slug(rows):
    return {r.centre.slug: r for r in rows}


def test_score_rank_and_indicators_by_hand(district, district_data):
    rows = _by_slug(dashboard_rows(authority_ids=[district.pk], period=H1_2024, today=TODAY))
    assert set(rows) == {"jia", "yi", "bing"}  # never the other district's centre
    a, b, c = rows["jia"], rows["yi"], rows["bing"]
    # 甲: 36,000 vs 30,000 → +20.0% → growth score 70; 签约率 16000/50000 = 32%; 6 of 6 months.
    assert (a.opd, a.opd_previous, a.opd_growth) == (D(36000), D(30000), D("20.0"))
    assert a.rates["fd_rate"] == D("32.00") and a.completeness == D("100.0")
    # 0.15×32 + 0.15×100 + 0.10×70 = 26.80
    assert a.score == D("26.80")
    # 乙: 35,000 vs 36,000 → −2.8% → 47.2; 8864/30000 = 29.55%; 5 of 6 = 83.3%
    # 0.15×29.55 + 0.15×83.3 + 0.10×47.2 = 21.6475 → 21.65
    assert b.opd_growth == D("-2.8") and b.completeness == D("83.3")
    assert b.score == D("21.65")
    # 丙 opened 15 April: 2 of 3 months (April–June) → 66.7%; 0.15×66.7 = 10.005 → 10.01
    assert (c.reported, c.expected, c.completeness) == (2, 3, D("66.7"))
    assert c.score == D("10.01")
    assert [a.rank, b.rank, c.rank] == [1, 2, 3]


def test_sorting_either_way_with_missing_values_last(district, district_data):
    def order(sort):
        rows = dashboard_rows(authority_ids=[district.pk], period=H1_2024, sort=sort, today=TODAY)
        return [r.centre.slug for r in rows]

    assert order("-score") == ["jia", "yi", "bing"]
    assert order("score") == ["bing", "yi", "jia"]
    assert order("fd_rate") == ["yi", "jia", "bing"]
    assert order("-fd_rate") == ["jia", "yi", "bing"]
    assert order("nonsense") == ["jia", "yi", "bing"]


def test_monthly_trend_sums_the_subtree(district, district_data):
    trend = monthly_trend(
        centre_ids=list(district.centres.values_list("pk", flat=True)), code="opd_visits", year=2024
    )
    assert trend["current"][:6] == [13000, 13000, 13000, 13000, 6000, 13000]
    assert trend["previous"][:6] == [11000] * 6
    assert trend["current"][6:] == [None] * 6


def test_dashboard_page_and_export(
    client, reviewer, district, district_data, django_assert_max_num_queries
):
    client.force_login(reviewer)
    url = reverse("reporting:dashboard", args=[district.slug])
    query = {"year": 2024, "part": "h1", "sort": "-score", "trend": "opd_visits"}
    with django_assert_max_num_queries(20):
        page = client.get(url, query)
    body = page.content.decode()
    assert page.status_code == 200
    # The score now comes from the default scheme (the built-in one here: no commission set one),
    # stated item by item; same weights as the old formula, in points of 100.
    assert "26.80" in body and "综合得分（方案“综合得分”）：全人群签约率 15分" in body
    assert 'id="trend-card"' in body and "chart.umd.min.js" in body
    # The chart's data arrives after the table, for the period shown.
    trend_url = reverse("reporting:dashboard-trend", args=[district.slug])
    assert f'hx-get="{trend_url}?year=2024&amp;part=h1&amp;trend=opd_visits"' in body
    with django_assert_max_num_queries(8):
        trend = client.get(trend_url, {"year": 2024, "part": "h1", "trend": "opd_visits"})
    data = re.search(r'data-trend="([^"]*)"', trend.content.decode())[1]
    assert json.loads(html.unescape(data))["current"][:6] == [
        13000,
        13000,
        13000,
        13000,
        6000,
        13000,
    ]
    export = client.get(reverse("reporting:dashboard-export", args=[district.slug]), query)
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(min_row=3, max_row=5, values_only=True))
    assert [r[1] for r in rows] == ["甲中心", "乙中心", "丙中心"]
    assert rows[0][0] == 1 and rows[0][-1] == pytest.approx(26.8)


@pytest.mark.parametrize(
    "query",
    [{"year": "abc"}, {"year": 99999}, {"part": "h9"}, {"sort": "x" * 100}, {"trend": "nope"}],
)
def test_odd_dashboard_queries_fall_back(client, reviewer, district, query):
    client.force_login(reviewer)
    for name in ("reporting:dashboard", "reporting:dashboard-trend"):
        assert client.get(reverse(name, args=[district.slug]), query).status_code == 200


def test_dashboard_queries_do_not_grow_with_centres(
    client, reviewer, district, django_assert_max_num_queries
):
    from centers.tests.factories import CentreFactory

    for i in range(30):
        CentreFactory(
            name=f"中心{i}", slug=f"c{i}", sponsor=district, founded_on=dt.date(2000, 1, 1)
        )
    client.force_login(reviewer)
    with django_assert_max_num_queries(20):
        client.get(reverse("reporting:dashboard", args=[district.slug]), {"year": 2024})


def test_rollups_give_the_same_rows_as_live(district, district_data):
    from services.rollups import build

    def snapshot():
        rows = dashboard_rows(authority_ids=[district.pk], period=H1_2024, today=TODAY)
        return [(r.centre.slug, r.opd, r.opd_previous, r.rates, r.score, r.rank) for r in rows]

    live = snapshot()
    build([c.pk for c in district_data.values()])
    assert snapshot() == live
    assert live[0][4] == D("26.80")


def test_a_large_subtree_is_paged_and_summarised_by_district(
    client, city_reviewer, city, district, other_district, django_assert_max_num_queries
):
    """55 + 1 centres: the city sees two district rows and its centres 50 to a page; the pager
    swaps only the table; the query count does not grow with the centres."""
    from centers.tests.factories import CentreFactory

    for i in range(55):
        centre = CentreFactory(
            name=f"中心{i:02}", slug=f"c{i}", sponsor=district, founded_on=dt.date(2000, 1, 1)
        )
        put(centre, "opd_visits", (2024, 1), 100 + i)
    CentreFactory(name="外区中心", slug="far", sponsor=other_district)
    client.force_login(city_reviewer)
    url = reverse("reporting:dashboard", args=[city.slug])
    query = {"year": 2024, "part": "h1", "sort": "name"}
    with django_assert_max_num_queries(22):
        first = client.get(url, query).content.decode()
    districts = first.split('id="dashboard-districts"')[1].split("</table>")[0]
    # 门急诊 of the district: 100 + 101 + … + 154 = 55 × 127 = 6985; the other district: none.
    assert (
        district.name in districts
        and "6985" in districts
        and '<td class="num">55</td>' in districts
    )
    assert other_district.name in districts
    centres = first.split('id="dashboard-centres"')[1]
    assert centres.count("centre-detail") == 0 and centres.count("<tr><td>") == 50
    assert "中心00" in centres and "中心49" in centres and "中心50" not in centres
    second = client.get(url, query | {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in second and 'id="dashboard-centres"' in second
    assert second.count("<tr><td>") == 6 and "中心54" in second and "外区中心" in second
    assert "sort=name" in first.split('class="pager')[1]
    book = load_workbook(
        io.BytesIO(
            client.get(reverse("reporting:dashboard-export", args=[city.slug]), query).content
        )
    )
    assert book.sheetnames == ["综合排名", "分区汇总"]
    by_district = list(book["分区汇总"].iter_rows(min_row=3, values_only=True))
    assert sorted((r[0], r[1], r[2]) for r in by_district) == sorted(
        [(district.name, 55, 6985), (other_district.name, 1, None)]
    )
    assert book["综合排名"].max_row == 2 + 56 + 2  # every centre, not one page
