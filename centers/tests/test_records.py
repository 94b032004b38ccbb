"""The simple record lists: figures by year, licences, honours, donations, departments, history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scope
from django_scopes.exceptions import ScopeError

from centers import selectors
from centers.models import CentreYear, Department, Donation, Licence, PerformanceRecord
from core.models import AuditEntry
from core.stale import stamp

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _url(centre, name, *args):
    return reverse(f"centers:{name}", args=[centre.slug, *args])


# --- yearly figures ----------------------------------------------------------------------


def test_a_new_year_starts_from_last_years_end(client, clerk, centre):
    CentreYear.objects.create(
        centre=centre,
        year=2024,
        beds=20,
        net_assets_begin=Decimal("244.64"),
        net_assets_end=Decimal("233.88"),
    )
    client.force_login(clerk)
    form = client.get(_url(centre, "year-list")).context["form"]
    assert form.initial["year"] == 2025
    assert form.initial["net_assets_begin"] == Decimal("233.88")
    assert form.initial["beds"] == 20


def test_begin_that_differs_from_last_end_is_flagged(centre):
    CentreYear.objects.create(centre=centre, year=2023, net_assets_end=Decimal("240.00"))
    CentreYear.objects.create(centre=centre, year=2024, net_assets_begin=Decimal("244.64"))
    rows = selectors.centre_year_rows(centre=centre)
    assert rows[0].figures.year == 2024
    assert rows[0].warnings == ["净资产年初数与上年年末数（240）不一致。"]
    assert rows[1].warnings == []


def test_year_end_assets_far_from_capital_are_flagged(centre):
    centre.capital = Decimal("100.00")
    centre.save()
    CentreYear.objects.create(centre=centre, year=2024, net_assets_end=Decimal("120.01"))
    # |120.01 − 100| ÷ 100 = 20.01% > 20%
    [row] = selectors.centre_year_rows(centre=centre)
    assert row.warnings == [
        "年末净资产与开办资金（100万元）相差 20.01%，超过20%时应办理开办资金变更登记。"
    ]


def test_a_year_twice_is_refused_beside_the_field(client, clerk, centre):
    CentreYear.objects.create(centre=centre, year=2024)
    client.force_login(clerk)
    response = client.post(_url(centre, "year-add"), {"year": "2024", "beds": "5"}, **HX)
    assert "该年度的数据已存在" in response.content.decode()
    assert CentreYear.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": "1800"}, "确保该值大于或等于1949"),
        ({"year": "2024", "beds": "-1"}, "确保该值大于或等于0"),
        ({"year": "2024", "beds": "2.5"}, "输入整数"),
        ({"year": "2024", "net_assets_end": "1.2345"}, "最多保留 2 位小数。"),
        ({"year": "2024", "service_area_km2": "99999999999"}, "不能超过 99999999.99。"),
        ({"year": "2024", "floor_area_m2": "123456789.5"}, "不能超过 99999999.99。"),
        ({"year": "2024", "net_assets_end": "-99999999999"}, "不能小于 -9999999999.99。"),
        # Too many digits in all, but only for want of fewer decimals.
        ({"year": "2024", "floor_area_m2": "1.23456789012"}, "最多保留 2 位小数。"),
        ({"year": "2024", "served_population": "99999999999999"}, "确保该值小于或等于10000000"),
        ({"year": "2024", "beds": "80000"}, "确保该值小于或等于5000"),
    ],
)
def test_bad_figures_are_refused_with_the_values_kept(client, clerk, centre, data, message):
    client.force_login(clerk)
    response = client.post(_url(centre, "year-add"), data, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and message in body
    for value in data.values():
        assert f'value="{value}"' in body
    assert not CentreYear.objects.exists()


# --- licences ----------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 4, 5, 9, 0))
def test_licence_status_valid_expiring_expired(client, clerk, centre):
    Licence.objects.create(
        centre=centre, name="甲证", valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2026, 7, 4)
    )
    Licence.objects.create(
        centre=centre, name="乙证", valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2026, 7, 5)
    )
    Licence.objects.create(
        centre=centre, name="丙证", valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2026, 4, 4)
    )
    Licence.objects.create(centre=centre, name="丁证", valid_from=dt.date(2020, 1, 1))
    # 2026-04-05 → 2026-07-04 is 90 days (expiring), 07-05 is 91 (valid), 04-04 was yesterday.
    status = {lic.name: lic.current_status for lic in selectors.licence_list(centre=centre)}
    assert status == {"甲证": "expiring", "乙证": "valid", "丙证": "expired", "丁证": "valid"}
    client.force_login(clerk)
    page = client.get(_url(centre, "licence-list")).content.decode()
    assert "即将到期" in page and "已过期" in page and "长期" in page
    home = client.get(_url(centre, "centre-detail")).content.decode()
    assert "丙证已于2026年4月4日过期" in home
    assert "甲证将于2026年7月4日到期" in home
    assert "乙证将于" not in home


def test_licence_ending_before_it_starts_is_refused(client, clerk, centre):
    client.force_login(clerk)
    data = {"name": "医疗机构执业许可证", "valid_from": "2026-07-04", "valid_to": "2024-09-05"}
    response = client.post(_url(centre, "licence-add"), data, **HX)
    body = response.content.decode()
    assert "有效期的截止日期早于起始日期" in body and 'value="医疗机构执业许可证"' in body
    assert not Licence.objects.exists()


def test_licence_edit_is_audited_old_to_new_and_visible_in_its_history(
    client, clerk, reviewer, centre
):
    licence = Licence.objects.create(
        centre=centre,
        name="医疗机构执业许可证",
        valid_from=dt.date(2024, 9, 5),
        valid_to=dt.date(2026, 7, 4),
    )
    client.force_login(clerk)
    data = {
        "name": licence.name,
        "number": "PDY-1",
        "issuer": "",
        "valid_from": "2024-09-05",
        "valid_to": "2029-07-04",
        "based_on": stamp(licence),
    }
    client.post(_url(centre, "licence-edit", licence.pk), data, **HX)
    entry = AuditEntry.objects.get(action="centers.licence.updated")
    assert entry.changes == {"number": ["", "PDY-1"], "valid_to": ["2026-07-04", "2029-07-04"]}
    client.force_login(reviewer)
    history = client.get(
        _url(centre, "history"), {"type": "centers.licence", "id": licence.pk}, **HX
    )
    body = history.content.decode()
    assert "有效期至" in body and "2026-07-04" in body and "2029-07-04" in body and "李录入" in body


# --- honours, donations, departments -----------------------------------------------------------


def test_performance_record_round_trip_and_delete_is_audited(client, manager, centre):
    client.force_login(manager)
    data = {
        "date": "2024-12-27",
        "kind": "honour",
        "issuer": "区卫健委",
        "text": "2024年度考核优秀单位",
    }
    client.post(_url(centre, "performance-add"), data, **HX)
    record = PerformanceRecord.objects.get()
    client.post(_url(centre, "performance-delete", record.pk), **HX)
    assert not PerformanceRecord.objects.exists()
    deleted = AuditEntry.objects.get(action="centers.performancerecord.deleted")
    assert deleted.changes["text"] == ["2024年度考核优秀单位", None]


@pytest.mark.parametrize(
    ("amount", "message"),
    [("1.234", "最多保留 2 位小数。"), ("-3", "确保该值大于或等于0"), ("abc", "输入一个数字")],
)
def test_donation_amount_is_checked(client, clerk, centre, amount, message):
    client.force_login(clerk)
    data = {"date": "2024-05-01", "donor": "某慈善基金会", "amount": amount, "purpose": "设备"}
    body = client.post(_url(centre, "donation-add"), data, **HX).content.decode()
    assert message in body and 'value="某慈善基金会"' in body
    assert not Donation.objects.exists()


def test_department_closing_before_opening_is_refused(client, clerk, centre):
    client.force_login(clerk)
    data = {
        "name": "口腔科",
        "kind": "clinical",
        "opened_on": "2024-05-01",
        "closed_on": "2024-04-30",
    }
    body = client.post(_url(centre, "department-add"), data, **HX).content.decode()
    assert "撤销日期不能早于设立日期" in body
    assert not Department.objects.exists()


def test_checklist_finds_present_and_missing_rooms(centre):
    day = dt.date(2024, 1, 1)
    Department.objects.create(centre=centre, name="全科门诊", kind="clinical", opened_on=day)
    Department.objects.create(centre=centre, name="中医康复科", kind="clinical", opened_on=day)
    Department.objects.create(
        centre=centre,
        name="便民诊室",
        kind="clinical",
        opened_on=day,
        standard_item="resuscitation",
    )
    Department.objects.create(
        centre=centre, name="药房", kind="technical", opened_on=day, closed_on=dt.date(2024, 6, 1)
    )
    CentreYear.objects.create(centre=centre, year=2024, beds=4, floor_area_m2=Decimal("1100"))
    chc, hospital = selectors.department_checklist(centre=centre, on=dt.date(2024, 7, 1))
    present = {line.room.code for _, lines in chc.groups for line in lines if line.departments}
    assert present == {"gp", "tcm", "rehab", "resuscitation"}  # 药房 closed in June
    assert "pharmacy" in {room.code for room in chc.missing}
    assert chc.beds_ok is False  # 4 < 5
    assert chc.min_floor_area == 1000 + 30 * 4 and chc.floor_area_ok is False  # 1100 < 1120
    assert {
        line.room.code for _, lines in hospital.groups for line in lines if line.departments
    } == {"gp_dept", "rehab_dept", "tcm_dept"}


def test_checklist_page_shows_what_is_missing(client, reviewer, centre):
    Department.objects.create(
        centre=centre, name="全科门诊", kind="clinical", opened_on=dt.date(2024, 1, 1)
    )
    client.force_login(reviewer)
    body = client.get(_url(centre, "department-checklist")).content.decode()
    assert "城市社区卫生服务中心基本标准" in body and "社区医院基本标准" in body
    assert "缺少 17 个科室" in body  # 18 rooms required by the 2006 standard, one present


# --- bounds, scoping --------------------------------------------------------------------------


def _make(kind: str, centre, i: int):
    day = dt.date(2024, 1, 1)
    if kind == "year":
        return CentreYear.objects.create(centre=centre, year=1980 + i, net_assets_end=i)
    if kind == "licence":
        return Licence.objects.create(centre=centre, name=f"证{i}", valid_from=day)
    if kind == "performance":
        return PerformanceRecord.objects.create(centre=centre, date=day, kind="honour", text=f"{i}")
    if kind == "donation":
        return Donation.objects.create(centre=centre, date=day, donor=f"捐{i}", amount=i)
    return Department.objects.create(centre=centre, name=f"科{i}", kind="clinical", opened_on=day)


@pytest.mark.parametrize("kind", ["year", "licence", "performance", "donation", "department"])
def test_record_lists_run_a_bounded_number_of_queries(
    client, clerk, centre, kind, django_assert_max_num_queries
):
    for i in range(40):
        _make(kind, centre, i)
    client.force_login(clerk)
    with django_assert_max_num_queries(6):
        response = client.get(_url(centre, f"{kind}-list"))
    assert response.content.decode().count(f'<tr id="{kind}-') == 40


def test_overview_and_checklist_and_history_are_bounded(
    client, clerk, centre, django_assert_max_num_queries
):
    day = dt.date(2024, 1, 1)
    for i in range(30):
        Licence.objects.create(centre=centre, name=f"证{i}", valid_from=day, valid_to=day)
        Department.objects.create(centre=centre, name=f"科{i}", kind="clinical", opened_on=day)
    client.force_login(clerk)
    for _ in range(30):
        client.post(
            _url(centre, "donation-add"), {"date": "2024-01-01", "donor": "x", "amount": "1"}
        )
    for name in ("centre-detail", "department-checklist", "history"):
        with django_assert_max_num_queries(6):
            assert client.get(_url(centre, name)).status_code == 200


def test_scoped_models_refuse_unscoped_queries_and_filter_inside_a_scope(centre, other_centre):
    day = dt.date(2024, 1, 1)
    Licence.objects.create(centre=centre, name="本中心证", valid_from=day)
    Licence.objects.create(centre=other_centre, name="他中心证", valid_from=day)
    with scope(centre=centre):
        assert [lic.name for lic in Licence.objects.all()] == ["本中心证"]
    with scope(), pytest.raises(ScopeError):
        list(Licence.objects.all())


@time_machine.travel(dt.datetime(2026, 11, 22, 9, 0))
def test_overview_warns_when_the_certificate_is_about_to_expire(client, clerk, centre):
    centre.certificate_valid_from = dt.date(2021, 12, 20)
    centre.certificate_valid_to = dt.date(2026, 12, 19)  # 27 days ahead
    centre.save()
    client.force_login(clerk)
    body = client.get(_url(centre, "centre-detail")).content.decode()
    assert "《事业单位法人证书》将于2026年12月19日到期" in body


def test_working_days_by_arithmetic_match_counting_day_by_day():
    import random

    from core.calendar import working_days_after

    rng = random.Random(7)
    for _ in range(300):
        start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(2000))
        end = start + dt.timedelta(days=rng.randrange(-3, 400))
        holidays = {
            start + dt.timedelta(days=rng.randrange(1, 60)): rng.random() < 0.3 for _ in range(4)
        }
        naive = sum(
            holidays.get(start + dt.timedelta(days=i), (start + dt.timedelta(days=i)).weekday() < 5)
            for i in range(1, (end - start).days + 1)
        )
        assert working_days_after(start, end, holidays) == naive


def test_history_pages_back_through_older_changes(client, clerk, centre):
    client.force_login(clerk)
    for i in range(55):
        client.post(
            _url(centre, "donation-add"),
            {"date": "2024-01-01", "donor": f"捐赠方{i}", "amount": "1"},
        )
    first = client.get(_url(centre, "history")).content.decode()
    assert "捐赠方54" in first and "捐赠方0<" not in first and "更早的修改" in first
    older = client.get(_url(centre, "history"), {"before": "999999999"}).content.decode()
    assert "捐赠方54" in older  # before an id past the newest: the newest page again
    import re

    before = re.search(r"before=(\d+)", first).group(1)
    second = client.get(_url(centre, "history"), {"before": before}).content.decode()
    assert "捐赠方4<" in second and "捐赠方54" not in second and "更早的修改" not in second
