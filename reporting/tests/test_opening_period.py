"""Pages open on the latest year that has tallies, not blindly on last year."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from centers.tests.factories import CentreFactory
from core.periods import Period
from services import figures

from .data import put

pytestmark = pytest.mark.django_db
# Mid-2025: "last year" would be 2024, which has no tallies here.
NOW = dt.datetime(2025, 6, 15, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def only_2023(district):
    jia = CentreFactory(name="甲中心", slug="jia", sponsor=district, founded_on=dt.date(2010, 1, 1))
    put(jia, "opd_visits", (2023, 3), 6000)
    put(jia, "opd_visits", (2023, 11), 5000)
    return jia


def _get(client, user, url) -> object:
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response


def test_dashboard_opens_on_2023(client, reviewer, district, only_2023):
    response = _get(client, reviewer, reverse("reporting:dashboard", args=[district.slug]))
    assert response.context["period"] == Period.year(2023)
    # A year asked for is still shown as asked.
    client.force_login(reviewer)
    url = reverse("reporting:dashboard", args=[district.slug]) + "?year=2024&part=year"
    with time_machine.travel(NOW, tick=False):
        assert client.get(url).context["period"] == Period.year(2024)


def test_figures_pages_open_on_2023(client, reviewer, clerk, district, centre, only_2023):
    response = _get(client, reviewer, reverse("services:authority-figures", args=[district.slug]))
    assert response.context["period"] == Period.year(2023)
    # 磁器口 has no tallies at all: last year, as before.
    response = _get(client, clerk, reverse("services:centre-figures", args=[centre.slug]))
    assert response.context["period"] == Period.year(2024)


def test_opening_year_rules(centre):
    today = dt.date(2025, 6, 15)
    assert figures.opening_year(centre_ids=[centre.pk], today=today) == 2024  # nothing: last year
    put(centre, "opd_visits", (2025, 2), 10)
    assert figures.opening_year(centre_ids=[centre.pk], today=today) == 2025  # only this year
    put(centre, "opd_visits", (2022, 5), 10)
    assert figures.opening_year(centre_ids=[centre.pk], today=today) == 2022  # a full past year
    put(centre, "opd_visits", (2024, 12), 10)
    assert figures.opening_year(centre_ids=[centre.pk], today=today) == 2024
