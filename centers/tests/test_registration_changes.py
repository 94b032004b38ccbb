"""Change registrations: they move the registered item, write the statement, and warn when late."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from centers import actions, selectors
from centers.demo import load_centres_demo
from centers.models import Centre, RegistrationChange
from core.models import AuditEntry, CalendarDay
from core.stale import stamp

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def demo_centre(db):
    load_centres_demo()
    return Centre.objects.get(slug="ciqikou")


def test_demo_statement_for_2024_alone(demo_centre):
    text = selectors.registration_statement(centre=demo_centre, year=2024)
    assert text == "2024年4月9日办理法人变更登记，开办资金由96.7万元变更为233.88万元。"


def test_demo_statement_for_2024_with_earlier_years(demo_centre):
    text = selectors.registration_statement(centre=demo_centre, year=2024, since_certificate=True)
    assert text == (
        "2022年2月7日办理法人变更登记，法定代表人由李洁变更为彭娅。"
        "2022年3月23日办理法人变更登记，住所由沙坪坝区磁器口正街48号变更为重庆市沙坪坝区金磁路4号附1-23号。"
        "2024年4月9日办理法人变更登记，开办资金由96.7万元变更为233.88万元。"
    )


def test_statement_is_none_without_changes(demo_centre):
    assert selectors.registration_statement(centre=demo_centre, year=2023) == "无"
    assert (
        selectors.registration_statement(centre=demo_centre, year=2021, since_certificate=True)
        == "无"
    )


def test_since_certificate_leaves_out_changes_before_it_was_issued(demo_centre):
    Centre.objects.filter(pk=demo_centre.pk).update(certificate_valid_from=dt.date(2022, 3, 1))
    demo_centre.refresh_from_db()
    text = selectors.registration_statement(centre=demo_centre, year=2024, since_certificate=True)
    assert "李洁" not in text and text.startswith("2022年3月23日")


def test_statement_page_follows_the_chosen_year_and_scope(client, demo_centre):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="reviewer"))
    url = reverse("centers:registration-statement", args=[demo_centre.slug])
    body = client.get(url, {"year": "2024", "scope": "since"}, **HX).content.decode()
    assert "法定代表人由李洁变更为彭娅" in body and "<html" not in body
    body = client.get(url, {"year": "abc", "scope": "??"}, **HX).content.decode()
    assert "报告年度" in body  # bad parameters fall back to last year, no 500


def _change_data(**overrides):
    data = {
        "item": "legal_representative",
        "old_value": "张三",
        "new_value": "王五",
        "effective_on": "2024-03-01",
        "registered_on": "2024-03-05",
        "note": "",
    }
    return {**data, **overrides}


def _post_change(client, centre, **overrides):
    return client.post(
        reverse("centers:change-add", args=[centre.slug]), _change_data(**overrides), **HX
    )


def test_recording_a_change_moves_the_item_and_audits_both(client, manager, centre):
    client.force_login(manager)
    response = _post_change(client, centre)
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        "2024年3月5日办理法人变更登记，法定代表人由张三变更为王五。" not in body
    )  # 2024 ≠ default year
    centre.refresh_from_db()
    assert centre.legal_representative == "王五"
    change = RegistrationChange.objects.get(centre=centre)
    assert (change.old_value, change.new_value) == ("张三", "王五")
    actions_written = set(AuditEntry.objects.values_list("action", flat=True))
    assert actions_written == {
        "centers.registrationchange.created",
        "centers.centre.registered_item_changed",
    }
    assert AuditEntry.objects.get(action="centers.centre.registered_item_changed").changes == {
        "legal_representative": ["张三", "王五"]
    }
    assert selectors.registration_statement(centre=centre, year=2024) == (
        "2024年3月5日办理法人变更登记，法定代表人由张三变更为王五。"
    )


def test_capital_change_is_stored_with_two_decimals_and_applied(client, manager, centre):
    client.force_login(manager)
    _post_change(
        client,
        centre,
        item="capital",
        old_value="90",
        new_value="100",
        effective_on="2024-01-02",
        registered_on="2024-01-02",
    )
    centre.refresh_from_db()
    assert centre.capital == Decimal("100.00")
    assert RegistrationChange.objects.get().new_value == "100.00"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"registered_on": "2024-02-20"}, "办理日期不能早于变更日期"),
        ({"registered_on": "2024-02-30"}, "输入一个有效的日期"),
        ({"item": "capital", "old_value": "96.7", "new_value": "233.885"}, "最多保留 2 位小数。"),
        ({"item": "capital", "old_value": "96.7", "new_value": "-5"}, "确保该值大于或等于0"),
        ({"new_value": "张三"}, "变更后的值与变更前相同"),
        ({"new_value": "王" * 200}, "最多 50 个字符（当前 200 个）"),
        ({"new_value": "王" * 10000}, "确保该变量包含不超过 5000 字符"),
        (
            {"item": "funding_source", "old_value": "", "new_value": "天上掉的"},
            "请填写系统中已有的经费来源名称",
        ),
        (
            {"item": "sponsor", "new_value": "不存在的卫健委"},
            "请填写系统中已有的卫生健康行政部门名称",
        ),
        ({"item": "nonsense"}, "选择一个有效的选项"),
        ({"registered_on": "2099-01-01", "effective_on": "2098-01-01"}, "办理日期不能晚于今天"),
    ],
)
def test_bad_change_input_keeps_values_and_says_why(client, manager, centre, overrides, message):
    client.force_login(manager)
    response = _post_change(client, centre, **overrides)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'id="registration-body"' in body
    assert "2024-03-01" in body or "effective_on" in overrides  # the dates typed are still there
    assert not RegistrationChange.objects.exists()
    centre.refresh_from_db()
    assert centre.legal_representative == "张三"


def test_a_new_domicile_may_be_registered_before_moving_in(client, manager, centre):
    client.force_login(manager)
    _post_change(
        client,
        centre,
        item="address",
        old_value=centre.address,
        new_value="新址1号",
        effective_on="2024-05-01",
        registered_on="2024-04-20",
    )
    row = selectors.registration_change_rows(centre=centre)[0]
    assert row.warnings == []


def test_registering_a_domicile_after_moving_in_is_flagged(centre, manager):
    actions.registration_change_record(
        centre=centre,
        actor=manager,
        data=dict(
            item="address",
            old_value=centre.address,
            new_value="新址1号",
            effective_on=dt.date(2024, 5, 1),
            registered_on=dt.date(2024, 5, 11),
            note="",
        ),
    )
    [row] = selectors.registration_change_rows(centre=centre)
    assert row.warnings == ["住所变更应在迁入新住所前办理登记，本次在迁入后第 10 天办理。"]


def _record_legal_rep(centre, manager, effective, registered):
    return actions.registration_change_record(
        centre=centre,
        actor=manager,
        data=dict(
            item="legal_representative",
            old_value="张三",
            new_value="王五",
            effective_on=effective,
            registered_on=registered,
            note="",
        ),
    )


def test_late_registration_counts_working_days(centre, manager):
    # 2024-03-01 is a Friday. Working days after it: March 4–8 (5), 11–15 (10), 18–22 (15),
    # 25–29 (20), April 1–5 (25), 8–12 (30): registering on Friday 12 April is day 30, in time.
    _record_legal_rep(centre, manager, dt.date(2024, 3, 1), dt.date(2024, 4, 12))
    assert selectors.registration_change_rows(centre=centre)[0].warnings == []
    # Monday 15 April is working day 31: late.
    RegistrationChange.objects.update(registered_on=dt.date(2024, 4, 15))
    [row] = selectors.registration_change_rows(centre=centre)
    assert row.warnings == [
        "变更发生后第 31 个工作日才办理登记，超过《实施细则》第四十五条规定的30个工作日。"
    ]


def test_holidays_and_swapped_workdays_change_the_count(centre, manager):
    _record_legal_rep(centre, manager, dt.date(2024, 3, 1), dt.date(2024, 4, 15))
    # 清明 4–5 April 2024 are holidays, Sunday 7 April was worked: 31 − 2 + 1 = 30, in time.
    CalendarDay.objects.create(date=dt.date(2024, 4, 4), is_workday=False, name="清明节")
    CalendarDay.objects.create(date=dt.date(2024, 4, 5), is_workday=False, name="清明节")
    CalendarDay.objects.create(date=dt.date(2024, 4, 7), is_workday=True, name="调休")
    assert selectors.registration_change_rows(centre=centre)[0].warnings == []


def test_capital_moving_more_than_20_percent_is_flagged(demo_centre):
    rows = selectors.registration_change_rows(centre=demo_centre)
    capital = next(r for r in rows if r.change.item == "capital")
    # (233.88 − 96.70) ÷ 96.70 = 1.41861… → 141.86%
    assert capital.warnings == ["开办资金变动 141.86%，超过20%，须办理变更登记并提交验资证明。"]
    others = [r for r in rows if r.change.item != "capital"]
    assert all(r.warnings == [] for r in others)


def test_capital_change_of_20_percent_exactly_is_not_flagged(centre, manager):
    actions.registration_change_record(
        centre=centre,
        actor=manager,
        data=dict(
            item="capital",
            old_value="100.00",
            new_value="120.00",
            effective_on=dt.date(2024, 1, 2),
            registered_on=dt.date(2024, 1, 2),
            note="",
        ),
    )
    assert selectors.registration_change_rows(centre=centre)[0].warnings == []


def test_an_old_value_that_breaks_the_chain_is_flagged(centre, manager):
    _record_legal_rep(centre, manager, dt.date(2022, 1, 3), dt.date(2022, 1, 3))
    actions.registration_change_record(
        centre=centre,
        actor=manager,
        data=dict(
            item="legal_representative",
            old_value="李四",
            new_value="赵六",
            effective_on=dt.date(2023, 1, 3),
            registered_on=dt.date(2023, 1, 3),
            note="",
        ),
    )
    rows = selectors.registration_change_rows(centre=centre)
    assert rows[1].warnings == ["变更前的值与上一次变更后的值（王五）不一致。"]


def test_a_historical_change_does_not_override_a_newer_one(centre, manager):
    _record_legal_rep(centre, manager, dt.date(2024, 3, 1), dt.date(2024, 3, 1))
    actions.registration_change_record(
        centre=centre,
        actor=manager,
        data=dict(
            item="legal_representative",
            old_value="李洁",
            new_value="张三",
            effective_on=dt.date(2019, 1, 2),
            registered_on=dt.date(2019, 1, 2),
            note="",
        ),
    )
    centre.refresh_from_db()
    assert centre.legal_representative == "王五"


def test_deleting_a_change_returns_the_item_to_its_old_value(client, manager, centre):
    change = _record_legal_rep(centre, manager, dt.date(2024, 3, 1), dt.date(2024, 3, 1))
    client.force_login(manager)
    client.post(reverse("centers:change-delete", args=[centre.slug, change.pk]), **HX)
    centre.refresh_from_db()
    assert centre.legal_representative == "张三"
    deleted = AuditEntry.objects.get(action="centers.registrationchange.deleted")
    assert deleted.changes["new_value"] == ["王五", None]


def test_correcting_a_change_keeps_its_item_and_is_audited(client, manager, centre):
    change = _record_legal_rep(centre, manager, dt.date(2024, 3, 1), dt.date(2024, 3, 1))
    client.force_login(manager)
    data = _change_data(item="capital", new_value="王六", registered_on="2024-03-04")
    data["based_on"] = stamp(change)
    client.post(reverse("centers:change-edit", args=[centre.slug, change.pk]), data, **HX)
    change.refresh_from_db()
    assert change.item == "legal_representative" and change.new_value == "王六"
    centre.refresh_from_db()
    assert centre.legal_representative == "王六"
    entry = AuditEntry.objects.get(action="centers.registrationchange.updated")
    assert entry.changes == {
        "new_value": ["王五", "王六"],
        "registered_on": ["2024-03-01", "2024-03-04"],
    }


def test_sponsor_change_is_recorded_but_not_applied(client, manager, centre, other_district):
    client.force_login(manager)
    response = _post_change(
        client, centre, item="sponsor", old_value=centre.sponsor.name, new_value=other_district.name
    )
    assert "须由系统管理员操作" in response.content.decode()
    centre.refresh_from_db()
    assert centre.sponsor.name == "重庆市沙坪坝区卫生健康委员会"
    assert RegistrationChange.objects.get().new_value == other_district.name


def test_choosing_an_item_prefills_its_current_value(client, clerk, centre):
    client.force_login(clerk)
    url = reverse("centers:change-add", args=[centre.slug])
    body = client.get(url, {"item": "address"}, **HX).content.decode()
    assert body.lstrip().startswith('<div id="change-form">')
    assert centre.address in body


def _choose_item(client, centre, **typed):
    """What the item list sends when changed: the whole form, as htmx posts it."""
    data = {"choosing_item": "1", "item": "", "old_value": "", "new_value": ""}
    data |= {"effective_on": "", "registered_on": "", "note": "", **typed}
    url = reverse("centers:change-add", args=[centre.slug])
    return client.post(url, data, **HX).content.decode()


def test_choosing_the_item_keeps_what_was_typed(client, manager, centre):
    client.force_login(manager)
    body = _choose_item(
        client,
        centre,
        item="address",
        new_value="重庆市沙坪坝区新地址1号",
        effective_on="2025-05-01",
        registered_on="2025-05-06",
        note="区民政局",
    )
    assert body.lstrip().startswith('<div id="change-form">')
    assert "重庆市沙坪坝区新地址1号</textarea>" in body
    assert 'value="2025-05-01"' in body and 'value="2025-05-06"' in body
    assert 'value="区民政局"' in body
    assert f"{centre.address}</textarea>" in body  # the empty old value is the item's own
    assert not RegistrationChange.objects.exists()  # choosing saves nothing, checks nothing
    assert 'class="error"' not in body


def test_choosing_another_item_refills_only_an_old_value_that_was_filled_in(
    client, manager, centre
):
    client.force_login(manager)
    # The legal representative's value was filled in for that item, then 住所 is chosen.
    body = _choose_item(client, centre, item="address", old_value="张三", new_value="新址")
    assert f"{centre.address}</textarea>" in body and "张三" not in body
    # An old value the user typed is theirs: it stays.
    body = _choose_item(client, centre, item="address", old_value="重庆市沙坪坝区旧址9号")
    assert "重庆市沙坪坝区旧址9号</textarea>" in body and centre.address not in body


def test_the_item_list_posts_the_form_it_is_in(client, manager, centre):
    """A GET would carry only the item; the form's long texts would not fit a query string."""
    client.force_login(manager)
    page = client.get(reverse("centers:registration", args=[centre.slug])).content.decode()
    select = page[page.index('<select name="item"') :].split(">", 1)[0]
    assert f'hx-post="{reverse("centers:change-add", args=[centre.slug])}"' in select
    assert "choosing_item" in select


@time_machine.travel(dt.datetime(2026, 11, 22, 10, 0))
def test_registration_page_query_count_is_bounded(
    client, manager, centre, django_assert_max_num_queries
):
    for year in range(2000, 2040):
        _record_legal_rep(centre, manager, dt.date(year, 1, 3), dt.date(year, 1, 3))
    client.force_login(manager)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("centers:registration", args=[centre.slug]))
    assert response.content.decode().count('<tr id="change-') == 40


def test_a_name_another_centre_uses_is_refused_not_a_500(client, manager, centre, other_centre):
    client.force_login(manager)
    response = _post_change(
        client, centre, item="name", old_value=centre.name, new_value=other_centre.name
    )
    assert response.status_code == 200
    assert "已有其他中心登记为该名称" in response.content.decode()
    assert not RegistrationChange.objects.exists()


def test_the_newest_change_must_start_from_the_registered_value(client, manager, centre):
    client.force_login(manager)
    response = _post_change(client, centre, old_value="完全不对的人")
    assert "变更前的值应为当前登记的值（张三）" in response.content.decode()
    assert not RegistrationChange.objects.exists()


def test_an_older_change_may_carry_an_earlier_value(client, manager, centre):
    _record_legal_rep(centre, manager, dt.date(2024, 3, 1), dt.date(2024, 3, 1))
    client.force_login(manager)
    _post_change(
        client,
        centre,
        old_value="李洁",
        new_value="张三",
        effective_on="2019-01-02",
        registered_on="2019-01-02",
    )
    assert RegistrationChange.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"effective_on": "0001-01-01"}, "请输入 1949-10-01 至 2100-12-31 之间的日期"),
        (
            {
                "item": "address",
                "old_value": "重庆市沙坪坝区某路1号",
                "new_value": "新址",
                "effective_on": "9999-12-31",
            },
            "请输入 1949-10-01 至 2100-12-31 之间的日期",
        ),
        (
            {
                "item": "address",
                "old_value": "重庆市沙坪坝区某路1号",
                "new_value": "新址",
                "effective_on": "2026-01-01",
                "registered_on": "2024-03-05",
            },
            "迁入日期晚于办理日期一年以上",
        ),
    ],
)
def test_implausible_dates_are_refused(client, manager, centre, overrides, message):
    client.force_login(manager)
    assert message in _post_change(client, centre, **overrides).content.decode()
    assert not RegistrationChange.objects.exists()


def test_statement_without_javascript_follows_the_chosen_year(client, manager, centre):
    _record_legal_rep(centre, manager, dt.date(2020, 3, 2), dt.date(2020, 3, 2))
    client.force_login(manager)
    url = reverse("centers:registration-statement", args=[centre.slug])
    response = client.get(url, {"year": "2020", "scope": "year"})
    assert "2020年3月2日办理法人变更登记，法定代表人由张三变更为王五。" in response.content.decode()


def test_capital_registered_from_zero_is_flagged(centre, manager):
    actions.registration_change_record(
        centre=centre,
        actor=manager,
        data=dict(
            item="capital",
            old_value="0.00",
            new_value="50.00",
            effective_on=dt.date(2024, 1, 2),
            registered_on=dt.date(2024, 1, 2),
            note="",
        ),
    )
    [row] = selectors.registration_change_rows(centre=centre)
    assert row.warnings and "超过20%" in row.warnings[0]


def test_a_withdrawn_funding_source_does_not_block_editing(client, clerk, centre):
    from centers.models import FundingSource

    source = FundingSource.objects.create(name="旧口径", is_active=False)
    Centre.objects.filter(pk=centre.pk).update(funding_source=source)
    centre.refresh_from_db()
    client.force_login(clerk)
    data = {
        "based_on": stamp(centre),
        "credit_code": "12500106450412352T",
        "online_name": "无",
        "funding_source": source.pk,
    }
    response = client.post(reverse("centers:registration-edit", args=[centre.slug]), data, **HX)
    assert "已保存" in response.content.decode()
    centre.refresh_from_db()
    assert centre.credit_code == "12500106450412352T"
