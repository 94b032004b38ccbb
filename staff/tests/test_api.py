"""The API's roster figures: a centre's and a commission's headcounts, worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from core.tokens import api_token_create
from staff.tests.factories import PersonFactory, SpellFactory

pytestmark = pytest.mark.django_db
D = dt.date


def api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"})


@time_machine.travel(dt.datetime(2024, 5, 20, 10, 0))
def test_headcounts_of_a_half_year_not_yet_over(centre, other_centre, clerk, city_reviewer):
    # A since 2020; B hired 10 February; C left 15 March; someone at another centre.
    SpellFactory(person=PersonFactory(centre=centre), hired_on=D(2020, 1, 1))
    SpellFactory(person=PersonFactory(centre=centre), hired_on=D(2024, 2, 10))
    SpellFactory(
        person=PersonFactory(centre=centre),
        hired_on=D(2019, 5, 1),
        left_on=D(2024, 3, 15),
        leave_reason="resigned",
        category="physician",
    )
    SpellFactory(person=PersonFactory(centre=other_centre), hired_on=D(2020, 1, 1))
    body = api(clerk).get("/api/v1/centres/ciqikou/headcount/", {"period": "2024S1"}).json()
    # Month-ends up to today (20 May): Jan 2 (A, C), Feb 3, Mar 2, Apr 2 → 9 ÷ 4 = 2.25;
    # one departure: 1 ÷ 2.25 = 44.44%; on 20 May A and B, both nurses and 编外.
    assert body["period"] == {
        "code": "2024S1",
        "label": "2024年上半年",
        "first": "2024-01-01",
        "last": "2024-06-30",
    }
    assert {k: body[k] for k in ("headcountEnd", "averageHeadcount", "hires", "departures")} == {
        "headcountEnd": 2,
        "averageHeadcount": "2.25",
        "hires": 1,
        "departures": 1,
    }
    assert body["departureRate"] == "44.44"
    assert (body["nurses"], body["physicians"], body["nursesPerPhysician"]) == (2, 0, None)
    assert (body["offEstablishmentEnd"], body["offEstablishmentShare"]) == (2, "100.00")
    city = api(city_reviewer).get("/api/v1/commissions/city/headcount/", {"period": "2024S1"})
    assert city.json()["headcountEnd"] == 3  # A, B and the other centre's
    blank = api(clerk).get("/api/v1/centres/ciqikou/headcount/", {"period": ""})
    assert blank.status_code == 200 and blank.json()["period"]["code"] == "2024-01/2024-05"
