"""A commission's catalogue: its administrators add and change its own indicators, rates, rules
and activity kinds; its reviewers and those above read them; nobody else reaches them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from centers.models import AuthorityMembership
from centers.tests.editing import opened, sessions
from centers.tests.factories import AuthorityMembershipFactory, CentreFactory, UserFactory
from core.models import AuditEntry
from services import catalogue_actions
from services.models import Activity, ActivityKind, Indicator, Rate, TallyValue, ValidationRule

pytestmark = pytest.mark.django_db
D = dt.date


def url(name: str, authority, *args) -> str:
    return reverse(f"services:{name}", args=[authority.slug, *args])


def indicator_data(**over) -> dict:
    data = {
        "code": "hpv_first_dose",
        "name": "HPV疫苗首针接种人数",
        "category": "vaccination",
        "unit": "人",
        "aggregation": "flow",
        "frequency": "monthly",
        "whole_numbers": "on",
        "max_value": "100000",
        "position": "90",
        "active_from": "2024-01",
        "active_to": "",
    }
    return data | over


def own_indicator(district, code="hpv_first_dose", **over) -> Indicator:
    fields = {"name": code, "category": "vaccination", "unit": "人", "owner": district}
    return Indicator.objects.create(code=code, **(fields | over))


@pytest.fixture
def admin_client(client, district_admin):
    client.force_login(district_admin)
    return client


def test_admin_adds_an_indicator_a_rate_and_a_rule_all_audited(admin_client, district):
    first = admin_client.post(url("catalogue-create", district, "indicators"), indicator_data())
    assert first.status_code == 302
    second = indicator_data(code="hpv_second_dose", name="HPV疫苗第二针接种人数")
    assert admin_client.post(url("catalogue-create", district, "indicators"), second).status_code
    one, two = (
        Indicator.objects.get(code="hpv_first_dose"),
        Indicator.objects.get(code="hpv_second_dose"),
    )
    rate = {
        "code": "hpv_completion",
        "name": "HPV疫苗第二针完成率",
        "category": "vaccination",
        "numerator": two.pk,
        "denominator": one.pk,
        "scale": "100",
        "position": "0",
        "active_from": "2024-01",
    }
    assert admin_client.post(url("catalogue-create", district, "rates"), rate).status_code == 302
    rule = {
        "left": two.pk,
        "operator": "<=",
        "right": one.pk,
        "severity": "warning",
        "active_from": "2024-03",
    }
    assert admin_client.post(url("catalogue-create", district, "rules"), rule).status_code == 302

    assert one.owner == district and one.active_from == D(2024, 1, 1) and one.active_to is None
    saved_rate = Rate.objects.get(code="hpv_completion")
    assert (saved_rate.owner, saved_rate.numerator, saved_rate.denominator) == (district, two, one)
    saved_rule = ValidationRule.objects.get(left=two)
    assert (saved_rule.owner, saved_rule.active_from) == (district, D(2024, 3, 1))
    entries = AuditEntry.objects.filter(actor__username="districtadmin")
    assert sorted(entries.values_list("action", flat=True)) == [
        "services.indicator.created",
        "services.indicator.created",
        "services.rate.created",
        "services.validationrule.created",
    ]
    created = entries.get(action="services.rate.created").changes
    assert created["code"] == [None, "hpv_completion"] and created["owner"][1] == district.name


def test_the_page_shows_own_definitions_apart_from_those_above(admin_client, district, city):
    own_indicator(district)
    own_indicator(city, code="city_kpi", name="市级赛马指标")
    body = admin_client.get(url("catalogue", district)).content.decode()
    own, above = body.split("indicators-above")[0], body.split("indicators-above")[1]
    assert "hpv_first_dose" in own and "city_kpi" not in own
    assert "city_kpi" in above and "opd_visits" in above  # the city's and the system's
    assert city.name in above  # who defined it
    assert url("catalogue-create", district, "indicators") in body


def test_a_reviewer_reads_but_cannot_change(client, reviewer, district):
    own_indicator(district)
    client.force_login(reviewer)
    page = client.get(url("catalogue", district))
    assert page.status_code == 200 and "hpv_first_dose" in page.content.decode()
    assert url("catalogue-create", district, "indicators") not in page.content.decode()
    created = client.post(url("catalogue-create", district, "indicators"), indicator_data())
    assert created.status_code == 403
    assert not Indicator.objects.filter(code="hpv_first_dose", name="HPV疫苗首针接种人数").exists()


def test_the_city_reads_the_district_catalogue_but_does_not_configure_it(
    client, city_reviewer, district
):
    client.force_login(city_reviewer)
    assert client.get(url("catalogue", district)).status_code == 200
    assert client.get(url("catalogue-create", district, "rates")).status_code == 403


def test_an_admin_of_another_district_does_not_reach_it(client, district, other_district):
    stranger = UserFactory(username="otheradmin")
    AuthorityMembershipFactory(
        user=stranger, authority=other_district, role=AuthorityMembership.Role.ADMIN
    )
    indicator = own_indicator(district)
    client.force_login(stranger)
    assert client.get(url("catalogue", district)).status_code == 404
    assert client.post(url("catalogue-create", district, "indicators")).status_code == 404
    # Under its own commission, another's definition is not there either.
    edit = url("catalogue-edit", other_district, "indicators", indicator.pk)
    assert client.get(edit).status_code == 404
    delete = url("catalogue-delete", other_district, "indicators", indicator.pk)
    assert client.post(delete).status_code == 404
    assert Indicator.objects.filter(pk=indicator.pk).exists()


def test_a_system_definition_is_not_editable_by_a_commission(admin_client, district):
    system = Indicator.objects.get(code="opd_visits")
    edit = url("catalogue-edit", district, "indicators", system.pk)
    assert admin_client.get(edit).status_code == 404


@pytest.mark.parametrize("code", ["opd_visits", "fd_rate"])  # an indicator's, a rate's
def test_a_code_used_anywhere_is_refused_and_the_form_keeps_the_values(
    admin_client, district, code
):
    response = admin_client.post(
        url("catalogue-create", district, "indicators"), indicator_data(code=code)
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f"代码 {code} 已被使用" in body
    assert "HPV疫苗首针接种人数" in body  # what was typed stays
    assert not Indicator.objects.filter(name="HPV疫苗首针接种人数").exists()


def test_a_rate_referring_to_itself_is_refused(admin_client, district):
    one = own_indicator(district)
    data = {
        "code": "hpv_self",
        "name": "自比率",
        "category": "vaccination",
        "numerator": one.pk,
        "denominator": one.pk,
        "scale": "100",
        "position": "0",
    }
    response = admin_client.post(url("catalogue-create", district, "rates"), data)
    assert response.status_code == 200
    assert "分子和分母不能是同一个指标。" in response.content.decode()
    assert not Rate.objects.filter(code="hpv_self").exists()


def test_a_rule_with_the_same_indicator_on_both_sides_is_refused(admin_client, district):
    one = own_indicator(district)
    data = {"left": one.pk, "operator": "<=", "right": one.pk, "severity": "warning"}
    response = admin_client.post(url("catalogue-create", district, "rules"), data)
    assert response.status_code == 200
    assert "左右两侧是同一个指标" in response.content.decode()
    assert not ValidationRule.objects.filter(left=one).exists()


def test_an_operand_not_in_force_for_the_whole_span_is_refused(admin_client, district):
    # In force January–June 2024; a rate open from January on would use it in July too.
    short = own_indicator(district, active_from=D(2024, 1, 1), active_to=D(2024, 6, 1))
    base = Indicator.objects.get(code="res_pop")
    data = {
        "code": "short_rate",
        "name": "短期比率",
        "category": "vaccination",
        "numerator": short.pk,
        "denominator": base.pk,
        "scale": "100",
        "position": "0",
        "active_from": "2024-01",
    }
    response = admin_client.post(url("catalogue-create", district, "rates"), data)
    assert "“hpv_first_dose”是一个未在本定义所有月份生效的指标" in response.content.decode()
    # Ending the rate with the indicator makes it acceptable.
    data["active_to"] = "2024-06"
    assert admin_client.post(url("catalogue-create", district, "rates"), data).status_code == 302


def test_an_operand_of_another_district_is_refused(admin_client, district, other_district):
    theirs = own_indicator(other_district, code="theirs")
    data = {
        "left": theirs.pk,
        "operator": "<=",
        "right": Indicator.objects.get(code="opd_visits").pk,
        "severity": "warning",
    }
    response = admin_client.post(url("catalogue-create", district, "rules"), data)
    assert response.status_code == 200
    assert not ValidationRule.objects.filter(left=theirs).exists()


def test_until_before_from_is_refused(admin_client, district):
    data = indicator_data(active_from="2024-05", active_to="2024-03")
    response = admin_client.post(url("catalogue-create", district, "indicators"), data)
    assert "截止月份早于起始月份" in response.content.decode()
    assert not Indicator.objects.filter(code="hpv_first_dose").exists()


def test_an_indicator_with_data_can_only_be_retired(admin_client, district, centre):
    indicator = own_indicator(district)
    TallyValue.objects.create(centre=centre, indicator=indicator, period=D(2024, 3, 1), value=7)
    delete = url("catalogue-delete", district, "indicators", indicator.pk)
    refused = admin_client.post(delete, follow=True)
    assert "已有中心填报此指标，只能停用，不能删除" in refused.content.decode()
    assert Indicator.objects.filter(pk=indicator.pk).exists()

    retire = url("catalogue-retire", district, "indicators", indicator.pk)
    assert admin_client.post(retire, {"until": "2024-06"}).status_code == 302
    indicator.refresh_from_db()
    assert indicator.active_to == D(2024, 6, 1)
    assert TallyValue.objects.get(indicator=indicator).value == Decimal(7)  # data kept
    entry = AuditEntry.objects.get(action="services.indicator.retired")
    assert entry.changes == {"active_to": [None, "2024-06-01"]}


def test_an_indicator_without_data_is_deleted_and_audited(admin_client, district):
    indicator = own_indicator(district)
    assert admin_client.post(url("catalogue-delete", district, "indicators", indicator.pk))
    assert not Indicator.objects.filter(pk=indicator.pk).exists()
    entry = AuditEntry.objects.get(action="services.indicator.deleted")
    assert entry.changes["code"] == ["hpv_first_dose", None]


def test_an_indicator_a_rate_uses_is_not_deleted(admin_client, district):
    one, two = own_indicator(district), own_indicator(district, code="hpv_second_dose")
    Rate.objects.create(
        code="hpv_completion", name="完成率", category="vaccination", numerator=two, denominator=one
    )
    response = admin_client.post(
        url("catalogue-delete", district, "indicators", one.pk), follow=True
    )
    assert "仍被完成率使用" in response.content.decode()
    assert Indicator.objects.filter(pk=one.pk).exists()


def test_a_kind_with_activities_is_retired_not_deleted(admin_client, district, centre):
    kind = ActivityKind.objects.create(name="区级义诊周", owner=district)
    Activity.objects.create(centre=centre, date=D(2024, 4, 9), kind=kind, people=12)
    response = admin_client.post(url("catalogue-delete", district, "kinds", kind.pk), follow=True)
    assert "已有此类型的活动记录" in response.content.decode()
    assert ActivityKind.objects.filter(pk=kind.pk).exists()
    unused = ActivityKind.objects.create(name="区级健康讲座月", owner=district)
    admin_client.post(url("catalogue-delete", district, "kinds", unused.pk))
    assert not ActivityKind.objects.filter(pk=unused.pk).exists()


def test_changing_what_is_counted_shows_the_centres_and_years_first(admin_client, district, centre):
    indicator = own_indicator(district)
    quiet = CentreFactory(name="井口社区卫生服务中心", sponsor=district)  # no data: not listed
    for period in (D(2023, 11, 1), D(2024, 2, 1)):
        TallyValue.objects.create(centre=centre, indicator=indicator, period=period, value=3)
    edit = url("catalogue-edit", district, "indicators", indicator.pk)
    data = opened(admin_client, edit) | {"aggregation": "stock"}

    preview = admin_client.post(edit, data)
    body = preview.content.decode()
    assert preview.status_code == 200 and 'id="change-reach"' in body
    assert "1 个中心" in body and centre.name in body and quiet.name not in body
    assert "2023、2024" in body
    indicator.refresh_from_db()
    assert indicator.aggregation == "flow"  # nothing saved before confirming

    assert admin_client.post(edit, data | {"confirm": "1"}).status_code == 302
    indicator.refresh_from_db()
    assert indicator.aggregation == "stock"
    entry = AuditEntry.objects.get(action="services.indicator.updated")
    assert entry.changes == {"aggregation": ["flow", "stock"]}


def test_a_name_change_saves_without_confirming(admin_client, district, centre):
    indicator = own_indicator(district)
    TallyValue.objects.create(centre=centre, indicator=indicator, period=D(2024, 2, 1), value=3)
    edit = url("catalogue-edit", district, "indicators", indicator.pk)
    data = opened(admin_client, edit) | {"name": "HPV首针"}
    assert admin_client.post(edit, data).status_code == 302
    indicator.refresh_from_db()
    assert indicator.name == "HPV首针"


def test_a_stale_edit_is_refused(district, district_admin):
    indicator = own_indicator(district)
    second_admin = UserFactory(username="secondadmin", first_name="第二管理员")
    AuthorityMembershipFactory(
        user=second_admin, authority=district, role=AuthorityMembership.Role.ADMIN
    )
    first, second = sessions(district_admin, second_admin)
    edit = url("catalogue-edit", district, "indicators", indicator.pk)
    mine, theirs = opened(first, edit), opened(second, edit)

    assert first.post(edit, mine | {"name": "首针A"}).status_code == 302
    refused = second.post(edit, theirs | {"name": "首针B"})
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "在您编辑期间，其他人" in body and "首针B" in body and "首针A" in body
    indicator.refresh_from_db()
    assert indicator.name == "首针A"


def test_the_action_refuses_a_missing_stamp(district, district_admin):
    from core.stale import StaleEdit

    indicator = own_indicator(district)
    with pytest.raises(StaleEdit):
        catalogue_actions.definition_update(
            definition=indicator, data={"name": "x"}, based_on="", actor=district_admin
        )


def _fill(district, count: int) -> None:
    for n in range(count):
        one = own_indicator(district, code=f"own_{n}_a")
        two = own_indicator(district, code=f"own_{n}_b")
        Rate.objects.create(
            code=f"own_{n}_r", name="r", category="other", numerator=one, denominator=two
        )
        ValidationRule.objects.create(left=one, right=two, owner=district)
        ActivityKind.objects.create(name=f"活动{n}", owner=district)


@pytest.mark.parametrize("count", [1, 30])
def test_the_page_reads_a_fixed_number_of_queries(
    admin_client, district, count, django_assert_max_num_queries
):
    _fill(district, count)
    with django_assert_max_num_queries(8):
        response = admin_client.get(url("catalogue", district))
    assert response.status_code == 200
    assert f"own_{count - 1}_r" in response.content.decode()


def test_the_preview_reads_a_fixed_number_of_queries(
    admin_client, district, django_assert_max_num_queries
):
    indicator = own_indicator(district)
    for n in range(25):
        centre = CentreFactory(sponsor=district)
        TallyValue.objects.create(centre=centre, indicator=indicator, period=D(2024, 1, 1), value=n)
    edit = url("catalogue-edit", district, "indicators", indicator.pk)
    data = opened(admin_client, edit) | {"frequency": "yearly"}
    with django_assert_max_num_queries(10):
        body = admin_client.post(edit, data).content.decode()
    assert "25 个中心" in body and " …" in body  # 20 named, the rest counted


def test_a_rate_formula_change_lists_the_centres_of_old_and_new_indicators(
    admin_client, district, centre
):
    one, two = own_indicator(district), own_indicator(district, code="hpv_second_dose")
    third = own_indicator(district, code="hpv_third_dose")
    other = CentreFactory(name="童家桥社区卫生服务中心", sponsor=district)
    TallyValue.objects.create(centre=centre, indicator=two, period=D(2024, 5, 1), value=2)
    TallyValue.objects.create(centre=other, indicator=third, period=D(2022, 5, 1), value=1)
    rate = Rate.objects.create(
        code="hpv_completion",
        name="完成率",
        category="vaccination",
        numerator=two,
        denominator=one,
        owner=district,
    )
    edit = url("catalogue-edit", district, "rates", rate.pk)
    data = opened(admin_client, edit) | {"numerator": third.pk, "formula_from": "2025-01"}
    response = admin_client.post(edit, data)
    body = response.content.decode()
    # The old numerator's centre and the new one's: 2 centres, 2022 and 2024.
    assert "2 个中心" in body and centre.name in body and other.name in body
    assert "2022、2024" in body
    rate.refresh_from_db()
    assert rate.numerator == two


def test_an_indicator_a_rate_still_uses_is_not_retired_before_it(admin_client, district):
    one, two = own_indicator(district), own_indicator(district, code="hpv_second_dose")
    Rate.objects.create(
        code="hpv_completion",
        name="完成率",
        category="vaccination",
        numerator=two,
        denominator=one,
        owner=district,
        active_to=D(2024, 12, 1),
    )
    retire = url("catalogue-retire", district, "indicators", one.pk)
    refused = admin_client.post(retire, {"until": "2024-06"})
    assert "该月之后仍被完成率使用" in refused.content.decode()
    one.refresh_from_db()
    assert one.active_to is None
    assert admin_client.post(retire, {"until": "2024-12"}).status_code == 302


def test_a_formula_change_leaves_the_figures_of_earlier_years_as_they_were(
    admin_client, district, centre
):
    """签约完成率 counted as 第二针 ÷ 首针 in 2024 (8 ÷ 10 = 80.00%); from January 2025 the district
    counts 第三针 ÷ 首针. 2024 keeps 80.00, and 2025 H1 (3 ÷ 12 = 25.00%) compares with it."""
    from core.periods import Period
    from services import figures

    one, two = own_indicator(district), own_indicator(district, code="hpv_second_dose")
    third = own_indicator(district, code="hpv_third_dose")
    for indicator, month, value in (
        (one, D(2024, 3, 1), 10),
        (two, D(2024, 3, 1), 8),
        (third, D(2024, 3, 1), 1),
        (one, D(2025, 3, 1), 12),
        (two, D(2025, 3, 1), 9),
        (third, D(2025, 3, 1), 3),
    ):
        TallyValue.objects.create(centre=centre, indicator=indicator, period=month, value=value)
    rate = Rate.objects.create(
        code="hpv_completion",
        name="完成率",
        category="vaccination",
        numerator=two,
        denominator=one,
        owner=district,
    )
    h1_2024, h1_2025 = Period.half(2024, 1), Period.half(2025, 1)
    before = figures.totals(centre_ids=[centre.pk], period=h1_2024)["hpv_completion"]
    assert before.value == Decimal("80.00")
    edit = url("catalogue-edit", district, "rates", rate.pk)
    data = opened(admin_client, edit) | {"numerator": third.pk}
    assert "从哪个月起" in admin_client.post(edit, data).content.decode()  # the month is asked
    data["formula_from"] = "2025-01"
    assert admin_client.post(edit, data | {"confirm": "1"}).status_code == 302
    versions = list(Rate.objects.filter(code="hpv_completion").order_by("pk"))
    assert [(v.numerator_id, v.active_from, v.active_to) for v in versions] == [
        (two.pk, None, D(2024, 12, 1)),
        (third.pk, D(2025, 1, 1), None),
    ]
    after = figures.totals(centre_ids=[centre.pk], period=h1_2024)["hpv_completion"]
    assert after.value == Decimal("80.00")  # the year counted before the change does not move
    now = figures.totals(centre_ids=[centre.pk], period=h1_2025)["hpv_completion"]
    assert (now.value, now.previous) == (Decimal("25.00"), Decimal("80.00"))
    from services.rollups import build

    build([centre.pk])  # the same from rollups, span by span
    assert figures.totals(centre_ids=[centre.pk], period=h1_2024)["hpv_completion"].value == 80
    rolled = figures.totals(centre_ids=[centre.pk], period=h1_2025)["hpv_completion"]
    assert (rolled.value, rolled.previous) == (Decimal("25.00"), Decimal("80.00"))
    assert AuditEntry.objects.filter(action="services.rate.created").exists()


# --- duplicates, wording, menus (a tester's round) ------------------------------------------


def rate_data(numerator, denominator, **over) -> dict:
    data = {
        "code": "hpv_completion",
        "name": "HPV疫苗第二针完成率",
        "category": "vaccination",
        "numerator": numerator.pk,
        "denominator": denominator.pk,
        "scale": "100",
        "position": "0",
    }
    return data | over


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("indicators", "门急诊人次"),  # the system's indicator
        ("indicators", "全人群签约率"),  # the system's rate: indicators and rates share names
        ("indicators", "市级赛马指标"),  # the city's, above the district
        ("rates", "门急诊人次"),
        ("rates", " 市级赛马指标 "),  # the same name, typed with spaces
    ],
)
def test_a_name_the_commission_sees_already_is_refused(admin_client, district, city, kind, name):
    own_indicator(city, code="city_kpi", name="市级赛马指标")
    one, two = own_indicator(district), own_indicator(district, code="hpv_second_dose")
    data = indicator_data(code="new_one", name=name)
    if kind == "rates":
        data = rate_data(two, one, code="new_one", name=name)
    response = admin_client.post(url("catalogue-create", district, kind), data)
    assert response.status_code == 200
    body = response.content.decode()
    field = body.split('id="id_name"')[1].split("</div>")[0]  # beside the name field
    assert f"名称“{name.strip()}”已被其他指标或比率使用" in field
    assert not Indicator.objects.filter(code="new_one").exists()
    assert not Rate.objects.filter(code="new_one").exists()


def test_a_name_only_another_district_uses_is_accepted(admin_client, district, other_district):
    own_indicator(other_district, code="theirs", name="HPV疫苗首针接种人数")
    response = admin_client.post(url("catalogue-create", district, "indicators"), indicator_data())
    assert response.status_code == 302
    assert Indicator.objects.filter(owner=district, name="HPV疫苗首针接种人数").exists()


def test_a_rate_keeps_its_name_and_cannot_take_an_indicators(admin_client, district):
    one, two = own_indicator(district), own_indicator(district, code="hpv_second_dose")
    rate = Rate.objects.create(
        code="hpv_completion",
        name="完成率",
        category="vaccination",
        numerator=two,
        denominator=one,
        owner=district,
    )
    edit = url("catalogue-edit", district, "rates", rate.pk)
    kept = opened(admin_client, edit) | {"position": "3"}
    assert admin_client.post(edit, kept).status_code == 302  # its own name is no duplicate
    taken = opened(admin_client, edit) | {"name": "hpv_first_dose"}
    refused = admin_client.post(edit, taken)
    assert "名称“hpv_first_dose”已被其他指标或比率使用" in refused.content.decode()
    rate.refresh_from_db()
    assert (rate.name, rate.position) == ("完成率", 3)


def test_codes_differing_only_in_case_are_the_same_code(admin_client, district):
    own_indicator(district, code="HPV_First_Dose", name="旧指标")  # written before the check
    same = admin_client.post(url("catalogue-create", district, "indicators"), indicator_data())
    assert "代码 hpv_first_dose 已被使用" in same.content.decode()
    upper = indicator_data(code="HPV_Second_Dose", name="HPV疫苗第二针接种人数")
    refused = admin_client.post(url("catalogue-create", district, "indicators"), upper)
    assert "代码请用小写字母、数字和下划线。" in refused.content.decode()
    assert Indicator.objects.filter(owner=district).count() == 1


@pytest.mark.parametrize(
    ("stored", "posted"),
    [(">=", "<="), ("<=", ">="), (">", "<"), ("<", ">"), ("==", "==")],
)
def test_a_rule_read_from_the_other_side_is_the_same_rule(admin_client, district, stored, posted):
    one, two = own_indicator(district), own_indicator(district, code="hpv_second_dose")
    ValidationRule.objects.create(left=one, operator=stored, right=two, owner=district)
    data = {"left": two.pk, "operator": posted, "right": one.pk, "severity": "warning"}
    response = admin_client.post(url("catalogue-create", district, "rules"), data)
    assert "这条规则已经存在。" in response.content.decode()
    assert ValidationRule.objects.filter(owner=district).count() == 1


def test_a_rule_of_the_other_direction_is_a_new_rule(admin_client, district):
    one, two = own_indicator(district), own_indicator(district, code="hpv_second_dose")
    ValidationRule.objects.create(left=one, operator="<=", right=two, owner=district)
    data = {"left": two.pk, "operator": "<=", "right": one.pk, "severity": "warning"}
    assert admin_client.post(url("catalogue-create", district, "rules"), data).status_code == 302
    assert ValidationRule.objects.filter(owner=district).count() == 2


def test_after_a_change_the_page_opens_at_its_message(admin_client, district):
    created = admin_client.post(url("catalogue-create", district, "indicators"), indicator_data())
    assert created["Location"] == url("catalogue", district)  # no #indicators: the top
    indicator = Indicator.objects.get(code="hpv_first_dose")
    retire = url("catalogue-retire", district, "indicators", indicator.pk)
    assert admin_client.post(retire, {"until": "2024-06"})["Location"] == url("catalogue", district)
    deleted = admin_client.post(url("catalogue-delete", district, "indicators", indicator.pk))
    assert deleted["Location"] == url("catalogue", district)
    htmx = admin_client.post(
        url("catalogue-create", district, "kinds"),
        {"name": "区级义诊周", "counts_label": "人次", "position": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert htmx["HX-Redirect"] == url("catalogue", district)


def test_delete_is_offered_only_for_what_has_no_data_and_asks_first(admin_client, district, centre):
    used = own_indicator(district)  # reported
    TallyValue.objects.create(centre=centre, indicator=used, period=D(2024, 3, 1), value=7)
    referred = own_indicator(district, code="hpv_second_dose")  # a rate's denominator
    free = own_indicator(district, code="hpv_third_dose")
    counted = Rate.objects.create(
        code="hpv_done",
        name="完成率",
        category="vaccination",
        numerator=used,
        denominator=referred,
        owner=district,
    )  # its numerator has data
    kind = ActivityKind.objects.create(name="区级义诊周", owner=district)
    Activity.objects.create(centre=centre, date=D(2024, 4, 9), kind=kind, people=12)
    idle = ActivityKind.objects.create(name="区级健康讲座月", owner=district)
    body = admin_client.get(url("catalogue", district)).content.decode()
    offered = {
        name: url("catalogue-delete", district, kind_, d.pk) in body
        for name, kind_, d in (
            ("used", "indicators", used),
            ("referred", "indicators", referred),
            ("free", "indicators", free),
            ("counted", "rates", counted),
            ("kind", "kinds", kind),
            ("idle", "kinds", idle),
        )
    }
    assert offered == {
        "used": False,
        "referred": False,
        "free": True,
        "counted": False,
        "kind": False,
        "idle": True,
    }
    delete = url("catalogue-delete", district, "indicators", free.pk)
    form = next(f.split(">")[0] for f in body.split("<form") if f'action="{delete}"' in f)
    assert 'hx-confirm="确定删除“hpv_third_dose”吗？删除后无法恢复。"' in form
    # Posted anyway (an old page), the refusal still says why.
    refused = admin_client.post(
        url("catalogue-delete", district, "indicators", used.pk), follow=True
    )
    assert "已有中心填报此指标，只能停用，不能删除" in refused.content.decode()


@pytest.mark.parametrize(
    ("kind", "heading"),
    [
        ("indicators", "新建指标"),
        ("rates", "新建比率"),
        ("rules", "新建校验规则"),
        ("kinds", "新建活动类型"),
    ],
)
def test_the_form_says_what_it_makes(admin_client, district, kind, heading):
    body = admin_client.get(url("catalogue-create", district, kind)).content.decode()
    assert f"<h1>{heading}</h1>" in body and "新建定义" not in body


def test_edit_and_retire_headings_use_the_full_width_colon(admin_client, district):
    indicator = own_indicator(district, name="HPV首针")
    edit = admin_client.get(url("catalogue-edit", district, "indicators", indicator.pk))
    assert "<h1>编辑指标：HPV首针</h1>" in edit.content.decode()
    retire = admin_client.get(url("catalogue-retire", district, "indicators", indicator.pk))
    assert "<h1>停用：HPV首针</h1>" in retire.content.decode()


def test_the_months_in_force_read_as_words(admin_client, district):
    for code, first, last in (
        ("open_both", None, None),
        ("open_end", D(2025, 1, 1), None),
        ("open_start", None, D(2024, 12, 1)),
        ("closed", D(2024, 1, 1), D(2024, 12, 1)),
    ):
        own_indicator(district, code=code, active_from=first, active_to=last)
    body = admin_client.get(url("catalogue", district)).content.decode()
    own = body.split('id="indicators-own"')[1].split("</table>")[0]
    rows = {
        code: own.split(f"<code>{code}</code>")[1].split("</tr>")[0]
        for code in ("open_both", "open_end", "open_start", "closed")
    }
    assert "<td>长期有效</td>" in rows["open_both"]
    assert "<td>2025-01 起</td>" in rows["open_end"]
    assert "<td>至 2024-12</td>" in rows["open_start"]
    assert "<td>2024-01 – 2024-12</td>" in rows["closed"]
    assert "…" not in own


def test_a_new_rule_asks_for_an_explanation_by_default(admin_client, district):
    body = admin_client.get(url("catalogue-create", district, "rules")).content.decode()
    severity = body.split('name="severity"')[1].split("</select>")[0]
    assert '<option value="warning" selected>警告：需填写说明</option>' in severity
    assert severity.index('value="warning"') < severity.index('value="error"')


def test_indicator_menus_are_grouped_by_category(admin_client, district, other_district):
    own_indicator(district, name="HPV首针")  # vaccination
    own_indicator(other_district, code="theirs", name="外区指标")
    for kind, field in (("rates", "numerator"), ("rates", "denominator"), ("rules", "left")):
        body = admin_client.get(url("catalogue-create", district, kind)).content.decode()
        select = body.split(f'name="{field}"')[1].split("</select>")[0]
        groups = select.split("<optgroup")[1:]
        labels = [g.split('label="')[1].split('"')[0] for g in groups]
        assert labels[0] == "居民健康档案管理" and "预防接种" in labels and "医疗服务" in labels
        assert len(labels) == len(set(labels))  # each category once
        vaccination = groups[labels.index("预防接种")]
        assert ">HPV首针</option>" in vaccination
        assert "外区指标" not in select


def test_a_formula_change_starts_in_january_after_the_approved_years(
    admin_client, district, centre
):
    from services.models import FrozenYear

    one, two = own_indicator(district), own_indicator(district, code="hpv_second_dose")
    third = own_indicator(district, code="hpv_third_dose")
    rate = Rate.objects.create(
        code="hpv_completion",
        name="完成率",
        category="vaccination",
        numerator=two,
        denominator=one,
        owner=district,
    )
    FrozenYear.objects.create(centre=centre, year=2024)
    edit = url("catalogue-edit", district, "rates", rate.pk)
    data = opened(admin_client, edit) | {"numerator": third.pk}
    mid_year = admin_client.post(edit, data | {"formula_from": "2025-07", "confirm": "1"})
    assert "新公式须从某年的1月起用" in mid_year.content.decode()
    approved = admin_client.post(edit, data | {"formula_from": "2024-01", "confirm": "1"})
    assert "已有中心的2024年度数据审核通过" in approved.content.decode()
    assert Rate.objects.filter(code="hpv_completion").count() == 1  # nothing saved
    later = admin_client.post(edit, data | {"formula_from": "2025-01", "confirm": "1"})
    assert later.status_code == 302 and Rate.objects.filter(code="hpv_completion").count() == 2


def test_an_edit_cannot_narrow_an_indicator_a_rate_still_uses(admin_client, district):
    one, two = own_indicator(district), own_indicator(district, code="hpv_second_dose")
    Rate.objects.create(
        code="hpv_completion",
        name="完成率",
        category="vaccination",
        numerator=two,
        denominator=one,
        owner=district,
    )
    edit = url("catalogue-edit", district, "indicators", one.pk)
    data = opened(admin_client, edit)
    body = admin_client.post(edit, data | {"active_to": "2024-06", "confirm": "1"}).content.decode()
    assert "这些月份里仍被完成率使用" in body
    body = admin_client.post(
        edit, data | {"active_from": "2025-01", "confirm": "1"}
    ).content.decode()
    assert "这些月份里仍被完成率使用" in body
    one.refresh_from_db()
    assert (one.active_from, one.active_to) == (None, None)


# --- rollups go stale only where a change reaches (issue 14) ----------------------------------


@pytest.fixture
def three_centres(centre, other_centre, city):
    """磁器口 (沙坪坝), 杨家坪 (九龙坡) and one the city sponsors directly, each with six months
    of 2024: 门急诊 1,000, 2,000 and 3,000 a month; 出院 100 a month at the two district ones."""
    from centers.tests.factories import CentreFactory

    direct = CentreFactory(name="市直属社区卫生服务中心", slug="shizhi", sponsor=city)
    opd, discharges = (
        Indicator.objects.get(code="opd_visits"),
        Indicator.objects.get(code="discharges"),
    )
    rows = []
    for month in range(1, 7):
        for where, visits in ((centre, 1000), (other_centre, 2000), (direct, 3000)):
            rows.append(
                TallyValue(centre=where, indicator=opd, period=D(2024, month, 1), value=visits)
            )
        for where in (centre, other_centre):
            rows.append(
                TallyValue(centre=where, indicator=discharges, period=D(2024, month, 1), value=100)
            )
    TallyValue.objects.bulk_create(rows)
    return centre, other_centre, direct


def _sweep(capture, monkeypatch) -> list[int]:
    """Run the sweeper (its refreshes inline); the centres it queued."""
    from services import rollups

    queued, enqueue = [], rollups._enqueue
    monkeypatch.setattr(rollups, "_enqueue", lambda pk: (queued.append(pk), enqueue(pk)))
    with capture(execute=True):
        count = rollups.queue_lost_refreshes()
    assert count == len(queued)
    return sorted(queued)


def _rows(centre_ids) -> set[int]:
    from services.models import FigureRollup

    return set(FigureRollup.objects.filter(centre_id__in=centre_ids).values_list("pk", flat=True))


def test_a_district_indicator_leaves_other_centres_rollups_fresh(
    three_centres,
    district,
    district_admin,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    monkeypatch,
):
    """沙坪坝 adds HPV疫苗首针接种人数: only 磁器口 goes live and is rebuilt; 杨家坪 and the city's own
    centre keep their rollups and are served from them."""
    from core import memo
    from core.periods import Period
    from services import figures
    from services.definitions import AUTHORITIES
    from services.rollups import build, fresh_centres

    a, b, direct = three_centres
    ids = [a.pk, b.pk, direct.pk]
    build(ids)
    assert fresh_centres(ids) == set(ids)
    with django_capture_on_commit_callbacks(execute=True):
        memo.changed(AUTHORITIES)  # the fixtures' tree as committed: kept from here on
        catalogue_actions.definition_create(
            model=Indicator,
            authority=district,
            data={
                "code": "hpv_first_dose",
                "name": "HPV疫苗首针接种人数",
                "category": "vaccination",
                "unit": "人",
                "active_from": D(2024, 1, 1),
            },
            actor=district_admin,
        )
    assert fresh_centres(ids) == {b.pk, direct.pk}
    h1 = Period.half(2024, 1)
    figures.catalogue()  # the new catalogue, read once
    # From rollups: the freshness (with sponsors) and the rollup sums; nothing live.
    with django_assert_num_queries(2):
        served = figures.totals(centre_ids=[b.pk, direct.pk], period=h1)
    assert served["opd_visits"].value == 6 * 2000 + 6 * 3000  # 30,000
    # 磁器口 live meanwhile: 6,000 more, the same as ever.
    assert figures.totals(centre_ids=ids, period=h1)["opd_visits"].value == 36000
    untouched = _rows([b.pk, direct.pk])
    assert _sweep(django_capture_on_commit_callbacks, monkeypatch) == [a.pk]
    assert fresh_centres(ids) == set(ids)
    assert _rows([b.pk, direct.pk]) == untouched  # not rebuilt
    assert _sweep(django_capture_on_commit_callbacks, monkeypatch) == []


def test_a_city_indicator_makes_every_centre_below_it_stale(
    three_centres, city, django_capture_on_commit_callbacks, monkeypatch
):
    from services.rollups import build, fresh_centres

    a, b, direct = three_centres
    ids = [a.pk, b.pk, direct.pk]
    build(ids)
    city_admin = UserFactory(username="cityadmin")
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_actions.definition_create(
            model=Indicator,
            authority=city,
            data={
                "code": "city_kpi",
                "name": "市级赛马指标",
                "category": "vaccination",
                "unit": "人",
            },
            actor=city_admin,
        )
    assert fresh_centres(ids) == set()
    assert _sweep(django_capture_on_commit_callbacks, monkeypatch) == sorted(ids)
    assert fresh_centres(ids) == set(ids)


def test_a_district_rate_version_reaches_only_its_centres_and_counts_only_there(
    three_centres,
    district,
    district_admin,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    """沙坪坝's 出院占门急诊比 (出院 ÷ 门急诊, %) over system indicators that 杨家坪 enters too: it
    counts at 沙坪坝's centres only, from rollups and live alike: 600 ÷ 6,000 = 10.00% (with 杨家坪
    it would be 1,200 ÷ 18,000 = 6.67%). A new formula from 2025 makes only 磁器口 stale."""
    from core import stale
    from core.periods import Period
    from services.models import RollupState
    from services.rollups import build, fresh_centres, span_figures

    a, b, direct = three_centres
    opd, discharges = (
        Indicator.objects.get(code="opd_visits"),
        Indicator.objects.get(code="discharges"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        rate = Rate.objects.create(
            code="discharge_share",
            name="出院占门急诊比",
            category="medical",
            numerator=discharges,
            denominator=opd,
            owner=district,
        )
    ids = [a.pk, b.pk, direct.pk]
    h1 = Period.half(2024, 1)
    live = span_figures(centre_ids=ids, period=h1)["discharge_share"].value
    build(ids)
    assert fresh_centres(ids) == set(ids)
    rolled = span_figures(centre_ids=ids, period=h1)["discharge_share"].value
    assert live == rolled == Decimal("10.00")
    held = RollupState.objects.get(centre=b).catalogue
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_actions.rate_new_version(
            rate=rate,
            data={
                "name": "出院占门急诊比",
                "numerator": discharges,
                "denominator": opd,
                "scale": 1000,
            },
            starts=D(2025, 1, 1),
            based_on=stale.stamp(rate),
            actor=district_admin,
        )
    assert fresh_centres(ids) == {b.pk, direct.pk}
    assert span_figures(centre_ids=ids, period=h1)["discharge_share"].value == Decimal("10.00")
    assert _sweep(django_capture_on_commit_callbacks, monkeypatch) == [a.pk]
    assert fresh_centres(ids) == set(ids)
    assert RollupState.objects.get(centre=b).catalogue == held
    assert span_figures(centre_ids=ids, period=h1)["discharge_share"].value == Decimal("10.00")
    # Each centre saved a 出院 cell: the rate is live at all three, and still counts at 沙坪坝's
    # only (with 杨家坪's it would be 6.67%).
    from services.rollups import mark_changed

    for centre_id in ids:
        mark_changed(centre_id, [2024], [discharges.pk])
    assert fresh_centres(ids) == set()
    assert span_figures(centre_ids=ids, period=h1)["discharge_share"].value == Decimal("10.00")
