"""Nothing typed into the tally grid is silently cut short: an overlong explanation or value is
refused with the limit in the message, and what was typed stays in the box."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from services import actions
from services.models import Indicator, TallyValue

pytestmark = pytest.mark.django_db
CELL = {"indicator": "opd_visits", "period": "2024-04-01"}


@pytest.fixture(autouse=True)
def _may():
    with time_machine.travel(dt.datetime(2024, 5, 20, 10, 0), tick=False):  # April still open
        yield


@pytest.fixture
def cell(centre, clerk):
    indicator = Indicator.objects.get(code="opd_visits")
    actions.tally_save(
        centre=centre, indicator=indicator, period=dt.date(2024, 4, 1), raw="100", actor=clerk
    )
    return TallyValue.objects.get(centre=centre, indicator=indicator)


def _comment(client, centre, text: str, **extra):
    url = reverse("services:tally-cell-comment", args=[centre.slug])
    return client.post(url, {**CELL, "comment": text, "base": ""}, **extra)


def test_an_overlong_explanation_is_refused_and_kept_in_the_box(client, clerk, centre, cell):
    client.force_login(clerk)
    typed = "说" * 1001
    response = _comment(client, centre, typed, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "最多 1000 个字，当前为 1001 个字" in body
    assert typed in body  # the textarea still holds all of it
    cell.refresh_from_db()
    assert cell.comment == ""


def test_an_explanation_of_exactly_the_limit_is_saved_whole(client, clerk, centre, cell):
    client.force_login(clerk)
    _comment(client, centre, "说" * 1000, HTTP_HX_REQUEST="true")
    cell.refresh_from_db()
    assert cell.comment == "说" * 1000


def test_the_action_refuses_an_overlong_explanation(centre, clerk, cell):
    from core.errors import DomainError

    with pytest.raises(DomainError, match="1000"):
        actions.tally_comment(
            centre=centre,
            indicator=cell.indicator,
            period=cell.period,
            comment="x" * 1001,
            actor=clerk,
        )


def test_an_overlong_value_is_refused_not_cut_to_another_number(client, clerk, centre, cell):
    client.force_login(clerk)
    # The first 40 characters alone read as 5; the whole is not a number.
    typed = "5" + " " * 39 + "0"
    response = client.post(
        reverse("services:tally-cell", args=[centre.slug]),
        {**CELL, "value": typed, "base": "100"},
        HTTP_HX_REQUEST="true",
    )
    assert "数值最多 40 个字符" in response.content.decode()
    cell.refresh_from_db()
    assert cell.value == 100
