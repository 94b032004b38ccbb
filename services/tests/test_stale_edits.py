"""Two people edit the same activity or tally cell: the later save is a visible conflict.

A cell carries the value it showed (`base`); when someone saved another value since, the cell
comes back with their value and name, the typed value still in the input, and a button that
saves it over theirs on purpose. Explanations of a cell work the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from centers.tests.editing import opened, sessions
from core import stale
from core.models import AuditEntry
from services import actions
from services.models import Activity, ActivityKind, Indicator, TallyValue

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
TODAY = dt.datetime(2024, 5, 20, 10, 0)  # April 2024 is open
APRIL = dt.date(2024, 4, 1)


def test_second_save_of_an_activity_is_refused_and_shows_both(centre, manager, clerk):
    kind = ActivityKind.objects.get(name="健康讲座")
    activity = Activity.objects.create(centre=centre, date="2024-03-02", kind=kind, people=40)
    url = reverse("services:activity-edit", args=[centre.slug, activity.pk])
    first, second = sessions(manager, clerk)
    mine, theirs = opened(first, url), opened(second, url)
    first.post(url, {**mine, "title": "高血压讲座"}, **HX)
    refused = second.post(url, {**theirs, "title": "糖尿病讲座"}, **HX)
    body = refused.content.decode()
    assert "在您编辑期间，其他人（彭娅" in body
    assert 'value="糖尿病讲座"' in body and "高血压讲座" in body
    assert Activity.objects.get().title == "高血压讲座"


def _base_shown(body: str, code: str) -> str:
    """The base the grid's input for a cell posts: the value it shows."""
    vals = re.search(
        r'hx-vals=\'\{"indicator": "' + code + r'", "period": "2024-04-01", "base": "([^"]*)"\}\'',
        body,
    )
    assert vals, f"no base for {code}"
    return vals.group(1)


@time_machine.travel(TODAY)
def test_a_cell_saved_by_someone_else_meanwhile_is_a_conflict_not_an_overwrite(
    centre, manager, clerk
):
    grid = reverse("services:tally-grid", args=[centre.slug, 2024, "medical"])
    cell = reverse("services:tally-cell", args=[centre.slug])
    first, second = sessions(manager, clerk)
    base_first = _base_shown(first.get(grid).content.decode(), "total_visits")
    base_second = _base_shown(second.get(grid).content.decode(), "total_visits")
    assert base_first == base_second == ""
    key = {"indicator": "total_visits", "period": "2024-04-01"}

    saved = first.post(cell, {**key, "value": "100", "base": base_first}, **HX)
    assert "is-saved" in saved.content.decode()
    refused = second.post(cell, {**key, "value": "120", "base": base_second}, **HX)

    body = refused.content.decode()
    assert refused.status_code == 200 and "has-conflict" in body and "is-saved" not in body
    assert 'name="value" value="120"' in body  # what the second person typed, kept
    assert "对方（彭娅，2024-05-20 18:00）已保存：100。" in body  # theirs, who and when
    assert _base_shown(body, "total_visits") == "100"  # the next save knows theirs
    assert TallyValue.objects.get().value == 100

    # "Save mine" posts the typed value over theirs, on purpose.
    kept = second.post(cell, {**key, "value": "120", "base": "100"}, **HX)
    assert "is-saved" in kept.content.decode()
    assert TallyValue.objects.get().value == 120
    changes = [e.changes["value"] for e in AuditEntry.objects.order_by("id")]
    assert changes == [[None, "100"], ["100", "120"]]


@time_machine.travel(TODAY)
def test_a_cell_cleared_meanwhile_is_a_conflict_too(centre, manager, clerk):
    indicator = Indicator.objects.get(code="total_visits")
    TallyValue.objects.create(centre=centre, indicator=indicator, period=APRIL, value=80)
    actions.tally_save(
        centre=centre, indicator=indicator, period=APRIL, raw="", actor=manager, base="80"
    )
    [second] = sessions(clerk)
    key = {"indicator": "total_visits", "period": "2024-04-01"}
    refused = second.post(
        reverse("services:tally-cell", args=[centre.slug]),
        {**key, "value": "90", "base": "80"},
        **HX,
    )
    assert "has-conflict" in refused.content.decode() and "已保存：—" in refused.content.decode()
    assert not TallyValue.objects.exists()


@time_machine.travel(TODAY)
def test_the_same_value_typed_twice_is_no_conflict(centre, manager, clerk):
    indicator = Indicator.objects.get(code="total_visits")
    for user in (manager, clerk):
        result = actions.tally_save(
            centre=centre, indicator=indicator, period=APRIL, raw="100", actor=user, base=""
        )
        assert result.value == Decimal(100)


@time_machine.travel(TODAY)
def test_an_explanation_saved_meanwhile_is_shown_not_overwritten(centre, manager, clerk):
    indicator = Indicator.objects.get(code="total_visits")
    TallyValue.objects.create(centre=centre, indicator=indicator, period=APRIL, value=100)
    detail = reverse("services:tally-cell-detail", args=[centre.slug])
    comment = reverse("services:tally-cell-comment", args=[centre.slug])
    key = {"indicator": "total_visits", "period": "2024-04-01"}
    first, second = sessions(manager, clerk)
    shown = [
        re.search(r'name="base" value="([^"]*)"', c.get(detail, key, **HX).content.decode())
        for c in (first, second)
    ]
    assert all(m and m.group(1) == "" for m in shown)  # the panel renders its base

    first.post(comment, {**key, "comment": "含发热门诊", "base": ""}, **HX)
    refused = second.post(comment, {**key, "comment": "含义诊人次", "base": ""}, **HX)

    body = refused.content.decode()
    assert 'id="comment-conflict"' in body and "在您编辑期间，其他人（彭娅" in body
    assert "含义诊人次</textarea>" in body  # typed, kept
    assert 'id="their-comment">含发热门诊<' in body
    assert 'name="base" value="含发热门诊"' in body  # saving again overwrites knowingly
    assert TallyValue.objects.get().comment == "含发热门诊"

    second.post(comment, {**key, "comment": "含义诊人次", "base": "含发热门诊"}, **HX)
    assert TallyValue.objects.get().comment == "含义诊人次"


@time_machine.travel(TODAY)
def test_a_multi_line_explanation_is_not_stale_against_itself(centre, clerk):
    indicator = Indicator.objects.get(code="total_visits")
    TallyValue.objects.create(
        centre=centre, indicator=indicator, period=APRIL, value=100, comment="第一行\r\n第二行"
    )
    actions.tally_comment(  # browsers send back the hidden base with its line breaks
        centre=centre,
        indicator=indicator,
        period=APRIL,
        comment="改了",
        actor=clerk,
        base="第一行\n第二行",
    )
    assert TallyValue.objects.get().comment == "改了"


@time_machine.travel(TODAY)
def test_a_cell_posted_without_its_base_is_a_conflict_not_an_overwrite(centre, manager, clerk):
    indicator = Indicator.objects.get(code="total_visits")
    actions.tally_save(
        centre=centre, indicator=indicator, period=APRIL, raw="100", actor=manager, base=""
    )
    [second] = sessions(clerk)
    cell = reverse("services:tally-cell", args=[centre.slug])
    key = {"indicator": "total_visits", "period": "2024-04-01"}

    refused = second.post(cell, {**key, "value": "120"}, **HX)  # no base: as a stale one
    body = refused.content.decode()
    assert "has-conflict" in body and "is-saved" not in body
    assert 'name="value" value="120"' in body and "已保存：100。" in body
    assert _base_shown(body, "total_visits") == "100"
    assert TallyValue.objects.get().value == 100

    kept = second.post(cell, {**key, "value": "120", "base": "100"}, **HX)  # "Save mine"
    assert "is-saved" in kept.content.decode()
    assert TallyValue.objects.get().value == 120


@time_machine.travel(TODAY)
def test_an_empty_cell_posted_without_its_base_is_a_conflict_too(centre, clerk):
    [session] = sessions(clerk)
    refused = session.post(
        reverse("services:tally-cell", args=[centre.slug]),
        {"indicator": "total_visits", "period": "2024-04-01", "value": "120"},
        **HX,
    )
    body = refused.content.decode()
    assert "has-conflict" in body and _base_shown(body, "total_visits") == ""
    assert not TallyValue.objects.exists()


@time_machine.travel(TODAY)
def test_an_explanation_posted_without_its_base_is_a_conflict(centre, manager, clerk):
    indicator = Indicator.objects.get(code="total_visits")
    TallyValue.objects.create(
        centre=centre, indicator=indicator, period=APRIL, value=100, comment="含发热门诊"
    )
    [second] = sessions(clerk)
    comment = reverse("services:tally-cell-comment", args=[centre.slug])
    key = {"indicator": "total_visits", "period": "2024-04-01"}

    refused = second.post(comment, {**key, "comment": "含义诊人次"}, **HX)
    body = refused.content.decode()
    assert 'id="comment-conflict"' in body and 'id="their-comment">含发热门诊<' in body
    assert TallyValue.objects.get().comment == "含发热门诊"
    second.post(comment, {**key, "comment": "含义诊人次", "base": "含发热门诊"}, **HX)
    assert TallyValue.objects.get().comment == "含义诊人次"


@time_machine.travel(TODAY)
def test_an_explanation_saved_again_unchanged_does_not_overwrite_a_newer_one(
    centre, manager, clerk
):
    indicator = Indicator.objects.get(code="total_visits")
    TallyValue.objects.create(
        centre=centre, indicator=indicator, period=APRIL, value=100, comment="旧说明"
    )
    actions.tally_comment(
        centre=centre,
        indicator=indicator,
        period=APRIL,
        comment="新说明",
        actor=manager,
        base="旧说明",
    )
    # The clerk's panel still shows 旧说明 and they press save without editing it.
    with pytest.raises(stale.StaleEdit):
        actions.tally_comment(
            centre=centre,
            indicator=indicator,
            period=APRIL,
            comment="旧说明",
            actor=clerk,
            base="旧说明",
        )
    assert TallyValue.objects.get().comment == "新说明"
