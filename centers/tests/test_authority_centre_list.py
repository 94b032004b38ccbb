"""A reviewer's list of centres: the whole subtree, searchable, filterable, paged, bounded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from centers.tests.factories import AuthorityFactory, CentreFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _url(authority):
    return reverse("centers:authority-centre-list", args=[authority.slug])


def test_city_reviewer_sees_every_district_but_district_reviewer_only_theirs(
    client, city, district, centre, other_centre, reviewer, city_reviewer
):
    client.force_login(city_reviewer)
    body = client.get(_url(city)).content.decode()
    assert centre.name in body and other_centre.name in body
    client.force_login(reviewer)
    body = client.get(_url(district)).content.decode()
    assert centre.name in body and other_centre.name not in body


def test_search_and_sponsor_filter(
    client, city, district, other_district, centre, other_centre, city_reviewer
):
    client.force_login(city_reviewer)
    body = client.get(_url(city), {"q": "杨家坪"}, **HX).content.decode()
    assert other_centre.name in body and centre.name not in body
    assert "<html" not in body
    body = client.get(_url(city), {"sponsor": district.pk}).content.decode()
    assert centre.name in body and other_centre.name not in body


@pytest.mark.parametrize(
    "params",
    [{"sponsor": "abc"}, {"sponsor": "999999"}, {"page": "-3"}, {"page": "x"}, {"q": "%" * 500}],
)
def test_odd_filters_never_500(client, city, centre, city_reviewer, params):
    client.force_login(city_reviewer)
    assert client.get(_url(city), params).status_code == 200


def test_a_sponsor_outside_the_subtree_is_not_a_backdoor(
    client, district, other_district, other_centre, reviewer
):
    client.force_login(reviewer)
    body = client.get(_url(district), {"sponsor": other_district.pk}).content.decode()
    assert other_centre.name not in body


def test_paging_and_query_count(client, city, city_reviewer, django_assert_max_num_queries):
    districts = [AuthorityFactory(parent=city) for _ in range(3)]
    for i in range(60):
        CentreFactory(sponsor=districts[i % 3])
    client.force_login(city_reviewer)
    with django_assert_max_num_queries(4):
        response = client.get(_url(city), {"page": 2})
    body = response.content.decode()
    assert "共 60 个中心" in body
    assert "第 2 页，共 3 页" in body
    assert body.count("/centres/centre-") == 25
