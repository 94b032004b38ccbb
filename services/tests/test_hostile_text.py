"""Hostile text in tallies: the year's XLSX writes names as text and survives control characters;
activity titles refuse them, notes, reasons and explanations lose them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from services.forms import ActivityForm, LockExceptionForm
from services.models import ActivityKind, Indicator, TallyValue
from services.selectors import catalogue_changed

pytestmark = pytest.mark.django_db
FORMULA = '=HYPERLINK("http://x","y")'
CONTROL_MESSAGE = "此处含有不可见的控制字符"
TODAY = dt.datetime(2024, 5, 20, 10, 0)


def _export(client, centre):
    client.raise_request_exception = False
    response = client.get(reverse("services:tally-export", args=[centre.slug, 2024]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content)).active


@pytest.mark.parametrize(
    ("name", "unit", "shown"),
    [(FORMULA, "-人次", FORMULA), ("门急诊\x01人次", "人\x0b次", "门急诊人次")],
)
def test_tally_export_writes_names_as_text_and_survives_control_characters(
    client, clerk, centre, name, unit, shown
):
    Indicator.objects.filter(code="opd_visits").update(name=name, unit=unit)
    catalogue_changed()
    client.force_login(clerk)
    row = next(
        r for r in _export(client, centre).iter_rows(min_row=2) if r[0].value == "opd_visits"
    )
    assert (row[1].value, row[1].data_type) == (shown, "s")
    assert row[2].data_type == "s" and row[2].value == unit.replace("\x0b", "")


def test_an_activity_title_refuses_control_characters_and_its_note_loses_them():
    kind = ActivityKind.objects.get(name="健康讲座")
    data = {"date": "2024-03-02", "kind": kind.pk, "people": 3, "note": "备\x01注\n第二行"}
    form = ActivityForm({**data, "title": "义诊\x0b进社区"})
    assert not form.is_valid() and list(form.errors) == ["title"]
    assert CONTROL_MESSAGE in form.errors["title"][0]
    assert form["title"].value() == "义诊\x0b进社区"
    form = ActivityForm({**data, "title": "义诊进社区"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["note"] == "备注\n第二行"


@time_machine.travel(TODAY)
def test_a_lock_exception_reason_loses_control_characters():
    form = LockExceptionForm(
        {
            "first_month": "2024-01",
            "last_month": "2024-02",
            "open_until": "2024-06-01",
            "reason": "补录\x01一月数据",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["reason"] == "补录一月数据"


@time_machine.travel(TODAY)
def test_a_tally_explanation_loses_control_characters(client, clerk, centre):
    indicator = Indicator.objects.get(code="opd_visits")
    TallyValue.objects.create(
        centre=centre, indicator=indicator, period=dt.date(2024, 5, 1), value=10
    )
    client.force_login(clerk)
    client.post(
        reverse("services:tally-cell-comment", args=[centre.slug]),
        {
            "indicator": "opd_visits",
            "period": "2024-05-01",
            "comment": "含\x00核酸\x01采样",
            "base": "",
        },
    )
    assert TallyValue.objects.get(indicator=indicator).comment == "含核酸采样"
