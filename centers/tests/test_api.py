"""The API's commissions and centres: each user's reach, as the pages have it."""

from __future__ import annotations

import pytest
from django.test import Client

from core.tokens import api_token_create

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"})


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def test_each_user_lists_the_commissions_and_centres_within_reach(
    centre, other_centre, clerk, reviewer, city_reviewer
):
    assert slugs(api(clerk).get("/api/v1/commissions/")) == []
    assert slugs(api(clerk).get("/api/v1/centres/")) == ["ciqikou"]
    assert slugs(api(reviewer).get("/api/v1/commissions/")) == ["district"]
    assert slugs(api(reviewer).get("/api/v1/centres/")) == ["ciqikou"]
    city = api(city_reviewer)
    assert sorted(slugs(city.get("/api/v1/commissions/"))) == ["city", "district", "other-district"]
    assert sorted(slugs(city.get("/api/v1/centres/"))) == ["ciqikou", "yangjiaping"]
    assert slugs(city.get("/api/v1/centres/", {"commission": "other-district"})) == ["yangjiaping"]
    assert slugs(city.get("/api/v1/centres/", {"search": "磁器口"})) == ["ciqikou"]
    # A commission out of reach filters to nothing, as an unknown one does.
    assert slugs(api(reviewer).get("/api/v1/centres/", {"commission": "other-district"})) == []


def test_lists_page_and_keep_their_queries_bounded(
    centre, other_centre, city_reviewer, django_assert_max_num_queries
):
    client = api(city_reviewer)
    client.get("/api/v1/centres/")
    with django_assert_max_num_queries(6):  # token, places, count, page (+ the token's use)
        first = client.get("/api/v1/centres/", {"pageSize": 1})
    body = first.json()
    assert body["count"] == 2 and len(body["results"]) == 1
    assert "page=2" in body["next"] and body["previous"] is None
    assert client.get("/api/v1/centres/", {"page": 3}).status_code == 404


def test_a_centre_and_a_commission_in_detail(centre, district, reviewer):
    centre.credit_code = "12500106MB1658247X"
    centre.save()
    client = api(reviewer)
    assert client.get("/api/v1/centres/ciqikou/").json() == {
        "slug": "ciqikou",
        "name": "磁器口社区卫生服务中心",
        "creditCode": "12500106MB1658247X",
        "commission": "district",
        "commissionName": "重庆市沙坪坝区卫生健康委员会",
        "reportingSince": "2020-01-01",
        "foundedOn": None,
    }
    assert client.get("/api/v1/commissions/district/").json() == {
        "slug": "district",
        "name": "重庆市沙坪坝区卫生健康委员会",
        "parent": "city",
    }
    assert client.get("/api/v1/commissions/city/").status_code == 404  # above: out of reach
