"""Dates that can only be slips (离职日期 9999-12-31, born in 1850, hired in 1900) are refused by
the staff forms and by the roster import, with the plausible range in the message."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from staff.forms import DepartureForm
from staff.importer import parse_row
from staff.models import Person

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 1)
NEXT_YEAR = "2026-06-01"  # WORK_DATE's last day, seen from TODAY

STAFF = {
    "name": "王芳", "gender": "F", "birth_date": "1992-05-17", "id_number": "",
    "education": "bachelor", "degree": "", "hired_on": "2023-03-01", "left_on": "",
    "leave_reason": "", "category": "nurse", "practice_type": "", "title": "junior",
    "establishment": "off", "contract_kind": "contract", "position": "staff", "department": "",
}  # fmt: skip
ROW = {
    "姓名": "王芳", "性别": "女", "出生日期": "1992-05-17", "身份证号": "",
    "人员类别": "注册护士", "执业类别": "", "全科": "", "职称": "师级/助理", "学历": "本科",
    "编制情况": "编外-合同制", "职务": "职工", "科室": "", "党员": "否",
    "入职日期": "2023-03-01", "离职日期": "", "离职原因": "",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"left_on": "9999-12-31", "leave_reason": "resigned"}, f"1950-01-01 至 {NEXT_YEAR}"),
        ({"hired_on": "1900-01-01"}, f"1950-01-01 至 {NEXT_YEAR}"),
        ({"birth_date": "1850-03-01"}, "1900-01-01 至 2025-06-01"),
        ({"birth_date": "2099-01-01"}, "出生日期不能晚于今天"),
    ],
)
def test_the_staff_form_refuses_implausible_dates_and_keeps_the_input(
    client, clerk, centre, overrides, message
):
    client.force_login(clerk)
    response = client.post(reverse("staff:staff-add", args=[centre.slug]), {**STAFF, **overrides})
    body = response.content.decode()
    assert response.status_code == 200 and message in body
    assert f'value="{next(iter(overrides.values()))}"' in body
    assert not Person.objects.exists()


def test_a_departure_next_year_is_fine_but_9999_is_not():
    ok = DepartureForm({"left_on": "2025-12-31", "leave_reason": "resigned"})
    ok.is_valid()
    assert "left_on" not in ok.errors
    bad = DepartureForm({"left_on": "9999-12-31", "leave_reason": "resigned"})
    assert not bad.is_valid() and f"1950-01-01 至 {NEXT_YEAR}" in str(bad.errors["left_on"])


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"离职日期": "9999-12-31", "离职原因": "辞职"}, "离职日期", f"1950-01-01 至 {NEXT_YEAR}"),
        ({"入职日期": "1901-05-01"}, "入职日期", f"1950-01-01 至 {NEXT_YEAR}"),
        ({"出生日期": "1850-03-01"}, "出生日期", "1900-01-01 至 2025-06-01"),
        ({"出生日期": "2099-01-01"}, "出生日期", "出生日期不能晚于今天"),
    ],
)
def test_the_roster_import_refuses_implausible_dates(overrides, column, message):
    _values, errors = parse_row({**ROW, **overrides})
    assert any(c == column and message in str(m) for c, m in errors), errors


def test_the_ranges_move_with_today():
    from core.dates import BIRTH_DATE, WORK_DATE

    assert WORK_DATE.latest() == dt.date(2026, 6, 1)
    assert BIRTH_DATE.latest() == TODAY
    assert WORK_DATE.latest(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
