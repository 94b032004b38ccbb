"""Hostile names on the roster: a formula stays text in the export and round-trips through the
import; control characters are refused in names and never make the export fail."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from centers.models import Department
from core import spreadsheet
from staff import importer
from staff.excel import HEADERS
from staff.models import Person
from staff.tests.factories import PersonFactory, SpellFactory
from staff.tests.test_excel_import import GOOD
from staff.tests.test_roster import _form

pytestmark = pytest.mark.django_db
FORMULA = '=HYPERLINK("http://x","y")'
DEPARTMENT = HEADERS.index("科室")
CONTROL_MESSAGE = "此处含有不可见的控制字符"


def _export(client, centre) -> bytes:
    response = client.get(reverse("staff:roster-export", args=[centre.slug]))
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("who", ["manager", "clerk"])
def test_roster_export_writes_formula_names_as_text_and_the_import_reads_them_back(
    client, centre, who, request
):
    department = Department.objects.create(
        centre=centre, name=FORMULA, kind="clinical", opened_on=dt.date(2019, 1, 1)
    )
    SpellFactory(person=PersonFactory(centre=centre, name=FORMULA), department=department)
    client.force_login(request.getfixturevalue(who))
    content = _export(client, centre)
    row = list(load_workbook(io.BytesIO(content)).active.iter_rows())[1]
    assert (row[0].value, row[0].data_type) == (FORMULA, "s")  # 姓名
    assert (row[DEPARTMENT].value, row[DEPARTMENT].data_type) == (FORMULA, "s")
    _header, data = spreadsheet.read_rows(content)
    values, errors = importer.parse_row(data[0][1])
    assert errors == []
    assert values["name"] == FORMULA and values["department"] == FORMULA


@pytest.mark.parametrize("bad", ["王\x01芳", "王\x0b芳", "王芳\x1f", "王\ufffe芳"])
def test_a_stored_name_with_a_control_character_does_not_break_the_export(
    client, centre, manager, bad
):
    department = Department.objects.create(
        centre=centre, name=f"内科{bad}", kind="clinical", opened_on=dt.date(2019, 1, 1)
    )
    SpellFactory(person=PersonFactory(centre=centre, name=bad), department=department)
    client.force_login(manager)
    client.raise_request_exception = False
    row = list(load_workbook(io.BytesIO(_export(client, centre))).active.values)[1]
    assert row[0] == "王芳" and row[DEPARTMENT] == "内科王芳"


@pytest.mark.parametrize("bad", ["王\x01芳", "王\x0b芳", "王\n芳", "王\u2028芳"])
def test_the_staff_form_refuses_a_name_with_control_characters_and_keeps_it(
    client, centre, clerk, bad
):
    client.force_login(clerk)
    response = client.post(reverse("staff:staff-add", args=[centre.slug]), _form(name=bad))
    assert response.status_code == 200
    assert CONTROL_MESSAGE in response.content.decode()
    form = response.context["form"]
    assert list(form.errors) == ["name"]
    assert form["name"].value() == bad and form["birth_date"].value() == "1992-05-17"
    assert not Person.objects.exists()


def test_the_roster_import_refuses_a_name_with_control_characters():
    # The sheet's cell text is stripped at its ends, so only a character inside stays.
    _values, errors = importer.parse_row({**GOOD, "姓名": "王\x01芳", "科室": ""})
    assert [column for column, _message in errors] == ["姓名"]
    assert CONTROL_MESSAGE in errors[0][1]
