"""The one period form: each part gives its months, bad input an error and the default year."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone, translation

from core.periods import MonthField, Period, PeriodForm, month_count

D = dt.date
DEFAULT = 2023


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def _form(data, **kwargs) -> PeriodForm:
    form = PeriodForm(data, **kwargs)
    form.is_valid()
    return form


@pytest.mark.parametrize(
    ("data", "first", "last", "label"),
    [
        ({"year": "2024", "part": "year"}, D(2024, 1, 1), D(2024, 12, 1), "2024年"),
        ({"year": "2024", "part": "h1"}, D(2024, 1, 1), D(2024, 6, 1), "2024年上半年"),
        ({"year": "2024", "part": "h2"}, D(2024, 7, 1), D(2024, 12, 1), "2024年下半年"),
        ({"year": "2024", "part": "q1"}, D(2024, 1, 1), D(2024, 3, 1), "2024年第1季度"),
        ({"year": "2024", "part": "q4"}, D(2024, 10, 1), D(2024, 12, 1), "2024年第4季度"),
        (
            {"year": "2024", "part": "month", "month": "2"},
            D(2024, 2, 1),
            D(2024, 2, 1),
            "2024年2月",
        ),
        (
            {"part": "range", "first": "2023-11", "last": "2024-02"},
            D(2023, 11, 1),
            D(2024, 2, 1),
            "2023年11月至2024年2月",
        ),
        # a day typed into a month box counts as its month
        (
            {"part": "range", "first": "2024-03-15", "last": "2024-03-31"},
            D(2024, 3, 1),
            D(2024, 3, 1),
            "2024年3月至2024年3月",
        ),
        # a missing year is the default year, a missing part the first offered (the whole year)
        ({"part": "h2"}, D(DEFAULT, 7, 1), D(DEFAULT, 12, 1), "2023年下半年"),
        ({"year": "2020"}, D(2020, 1, 1), D(2020, 12, 1), "2020年"),
        ({}, D(DEFAULT, 1, 1), D(DEFAULT, 12, 1), "2023年"),
    ],
)
def test_each_part_gives_its_months(data, first, last, label):
    form = _form(data)
    assert form.errors == {}
    assert form.period(DEFAULT) == Period(first, last, label)


def test_no_input_is_the_default_year():
    assert PeriodForm().period(DEFAULT) == Period.year(DEFAULT)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"part": "range", "first": "2024-06", "last": "2024-01"},
            "last",
            "截止月份早于起始月份。",
        ),
        ({"part": "range", "first": "2000-01", "last": "2010-01"}, "last", "每次最多选择十年。"),
        ({"part": "range", "last": "2024-01"}, "first", "请选择起始月份。"),
        ({"part": "range", "first": "2024-01"}, "last", "请选择截止月份。"),
        (
            {"part": "range", "first": "1999-12", "last": "2024-01"},
            "first",
            "请选择2000年至2100年之间的月份。",
        ),
        ({"part": "range", "first": "2024-13", "last": "2024-12"}, "first", "输入一个有效的日期。"),
        ({"year": "2024", "part": "month"}, "month", "请选择月份。"),
        ({"year": "2024", "part": "month", "month": "13"}, "month", "确保该值小于或等于12。"),
        ({"year": "1999"}, "year", "请选择2000年至2100年之间的年度。"),
        ({"year": "2101", "part": "h1"}, "year", "请选择2000年至2100年之间的年度。"),
        ({"year": "二〇二四"}, "year", "请用数字填写年度，如2024。"),
        ({"part": "h3"}, "part", "选择一个有效的选项。 h3 不在可用的选项中。"),
    ],
)
def test_bad_input_gives_the_error_beside_its_field_and_the_default_year(data, field, message):
    form = _form(data)
    assert form.errors == {field: [message]}
    assert form.period(DEFAULT) == Period.year(DEFAULT)


def test_ten_years_of_months_are_allowed_and_one_more_is_not():
    assert month_count(D(2000, 1, 1), D(2009, 12, 1)) == 120
    assert _form({"part": "range", "first": "2000-01", "last": "2009-12"}).errors == {}
    assert "last" in _form({"part": "range", "first": "2000-01", "last": "2010-01"}).errors


def test_fields_of_other_parts_are_not_checked():
    form = _form({"year": "2024", "part": "h1", "last": "2024-01", "month": "5"})
    assert form.errors == {}
    assert form.period(DEFAULT) == Period.half(2024, 1)


def test_a_page_offers_only_its_parts_and_refuses_the_rest():
    parts = ("year", "h1", "h2")
    form = _form({"year": "2024", "part": "q1", "month": "3", "first": "x"}, parts=parts)
    assert [value for value, _label in form.fields["part"].choices] == list(parts)
    assert set(form.fields) == {"year", "part"}  # no month or range boxes to fill
    assert list(form.errors) == ["part"]
    assert form.period(DEFAULT) == Period.year(DEFAULT)
    for part in ("month", "range"):
        assert _form({"year": "2024", "part": part}, parts=parts).errors.keys() == {"part"}


def test_the_choices_come_from_one_table_in_chinese():
    labels = [str(label) for _value, label in PeriodForm().fields["part"].choices]
    assert labels == [
        "全年",
        "上半年",
        "下半年",
        "第一季度",
        "第二季度",
        "第三季度",
        "第四季度",
        "单月",
        "自定月份",
    ]
    assert str(PeriodForm().fields["part"].label) == "期间"
    assert str(PeriodForm().fields["year"].label) == "年度"


def test_an_unknown_part_is_a_programming_error():
    with pytest.raises(ValueError, match="quarterly"):
        PeriodForm(parts=("year", "quarterly"))


class KindForm(PeriodForm):
    """As the summary form does: the part field under another name, with its own limit."""

    parts = ("h1", "h2", "year", "range")
    part_field = "kind"
    max_months = 3
    too_long = "too long"
    part = None
    kind = forms.ChoiceField()


def test_a_subclass_may_rename_the_part_field_and_bound_the_range():
    assert KindForm({"kind": "h2", "year": "2024"}).period(DEFAULT) == Period.half(2024, 2)
    assert "part" not in KindForm().fields
    form = _form({"kind": "range", "first": "2024-01", "last": "2024-04"})
    assert form.errors == {}  # the base form allows it …
    form = KindForm({"kind": "range", "first": "2024-01", "last": "2024-04"})
    assert form.errors == {"last": ["too long"]}  # … the subclass does not
    assert KindForm({"kind": "q1"}).errors.keys() == {"kind"}


def test_month_field_keeps_its_name_and_first_days():
    assert MonthField().clean("2024-03") == D(2024, 3, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["services:centre-figures", "staff:figures"])
def test_pages_show_the_default_period_and_the_error_beside_the_field(client, clerk, centre, route):
    client.force_login(clerk)
    url = reverse(route, args=[centre.slug])
    response = client.get(url, {"part": "range", "first": "2024-06", "last": "2024-01"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="field has-error"' in body and "截止月份早于起始月份。" in body
    last_year = timezone.localdate().year - 1
    if route == "staff:figures":
        assert response.context["f"].start == D(last_year, 1, 1)
    else:
        assert response.context["period"] == Period.year(last_year)


@pytest.mark.django_db
def test_the_activity_counts_refuse_a_range_they_have_no_boxes_for(client, clerk, centre):
    client.force_login(clerk)
    url = reverse("services:activity-list", args=[centre.slug])
    response = client.get(url, {"part": "range", "first": "2024-01", "last": "2024-03"})
    assert response.status_code == 200
    assert response.context["summary_form"].errors.keys() == {"part"}
    assert response.context["summary_period"] == Period.year(timezone.localdate().year)
