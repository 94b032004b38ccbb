"""The API's annual filings: where each centre's report stands, and which are late."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from core.tokens import api_token_create
from reporting.models import AnnualFiling

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"})


@time_machine.travel(dt.datetime(2024, 5, 20, 10, 0))
def test_filing_states_of_a_centre_and_a_commission(centre, other_centre, clerk, city_reviewer):
    AnnualFiling.objects.create(centre=centre, year=2023, status="approved", online="filed")
    mine = api(clerk).get("/api/v1/centres/ciqikou/filings/").json()  # last year by default
    assert {k: mine[k] for k in ("year", "state", "online", "handedIn", "overdue", "due")} == {
        "year": 2023,
        "state": "approved",
        "online": "filed",
        "handedIn": True,
        "overdue": False,
        "due": "2024-03-31",
    }
    rows = api(city_reviewer).get("/api/v1/commissions/city/filings/", {"year": 2023}).json()
    assert rows["count"] == 2
    by_centre = {r["centre"]: r for r in rows["results"]}
    assert by_centre["yangjiaping"]["state"] == "not_started"
    assert by_centre["yangjiaping"]["overdue"] is True  # due 31 March, not handed in
    assert by_centre["yangjiaping"]["updatedAt"] is None
