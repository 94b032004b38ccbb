"""Entering tallies: lock order, hard errors, every default rule, outliers, explain-to-complete."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from core import rawsql
from core.models import AuditEntry
from services import actions
from services.locking import LockContext, lock_state, year_lock_state
from services.models import Indicator, LockException, MonthReport, TallyValue, ValidationRule
from services.selectors import (
    ReportStatus,
    catalogue_changed,
    completeness,
    empty_categories,
    empty_category_codes,
    load_year,
    report_status,
    tally_grid,
)
from services.validation import outlier_warning, parse_value, rule_warnings

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = dt.datetime(2024, 5, 20, 10, 0)  # April is open until 30 May; March closed on 30 April


def ind(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


def save(centre, code, period, raw, actor=None):
    return actions.tally_save(
        centre=centre, indicator=ind(code), period=period, raw=str(raw), actor=actor
    )


# --- locks --------------------------------------------------------------------------------


def _ctx(centre, today):
    return LockContext.load(centre, today)


def test_a_month_locks_thirty_days_after_it_ends(centre):
    assert not lock_state(D(2024, 3, 1), _ctx(centre, D(2024, 4, 30))).locked  # 31 Mar + 30 days
    closed = lock_state(D(2024, 3, 1), _ctx(centre, D(2024, 5, 1)))
    assert closed.locked and "2024年5月1日" in closed.reason and "30" in closed.reason
    assert lock_state(D(2024, 6, 1), _ctx(centre, D(2024, 5, 20))).reason == "该月尚未开始。"


def test_an_exception_reopens_and_an_approved_year_beats_it(centre, reviewer):
    today = D(2024, 9, 1)
    LockException.objects.create(
        centre=centre,
        first_month=D(2024, 1, 1),
        last_month=D(2024, 3, 1),
        open_until=D(2024, 9, 30),
        reason="补录",
        granted_by=reviewer,
    )
    assert not lock_state(D(2024, 2, 1), _ctx(centre, today)).locked  # reopened
    assert lock_state(D(2024, 4, 1), _ctx(centre, today)).locked  # outside the exception
    assert lock_state(D(2024, 2, 1), _ctx(centre, D(2024, 10, 1))).locked  # the exception expired
    actions.year_freeze(centre=centre, year=2024, actor=reviewer)  # as approving the filing does
    frozen = lock_state(D(2024, 2, 1), _ctx(centre, today))
    assert frozen.locked and "年度报告已审核通过" in frozen.reason
    assert year_lock_state(2024, _ctx(centre, today)).locked


@time_machine.travel(TODAY)
def test_a_locked_cell_is_refused_with_the_reason(centre, clerk):
    result = save(centre, "opd_visits", D(2024, 3, 1), 10, clerk)
    assert result.error.startswith("已于2024年5月1日锁定")
    assert not TallyValue.objects.exists()


# --- hard errors and rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "raw", "message"),
    [
        ("opd_visits", "-3", "数值不能为负数"),
        ("opd_visits", "2.5", "以“人次”计的数值必须是整数"),
        ("opd_visits", "99999999999", "过大，不合常理"),
        ("opd_visits", "abc", "请输入数字"),
        ("opd_visits", "NaN", "请输入数字"),
        ("medical_income", "12.345", "最多两位小数"),
    ],
)
def test_hard_errors_refuse_the_value(code, raw, message):
    value, error = parse_value(ind(code), raw)
    assert value is None and message in error


def test_money_takes_two_decimals_and_counts_take_thousands_separators():
    assert parse_value(ind("medical_income"), "120.55") == (Decimal("120.55"), "")
    assert parse_value(ind("opd_visits"), "5,241") == (Decimal("5241"), "")
    assert parse_value(ind("opd_visits"), "  ") == (None, "")


@time_machine.travel(TODAY)
def test_minus_zero_is_saved_and_audited_as_zero(centre, clerk):
    value, error = parse_value(ind("opd_visits"), "-0")
    assert (str(value), error) == ("0", "") and not value.is_signed()
    save(centre, "opd_visits", D(2024, 4, 1), 12, clerk)
    assert save(centre, "opd_visits", D(2024, 4, 1), "-0", clerk).error == ""
    assert AuditEntry.objects.latest("pk").changes == {"value": ["12", "0"]}


def test_every_default_rule_warns_when_broken_and_not_when_kept(centre):
    rules = list(ValidationRule.objects.select_related("left", "right"))
    assert len(rules) >= 35
    month = D(2024, 3, 1)
    for rule in rules:
        TallyValue.objects.all().delete()
        for indicator, value in ((rule.left, 200), (rule.right, 100)):
            period = D(2024, 1, 1) if indicator.frequency == "yearly" else month
            TallyValue.objects.create(
                centre=centre, indicator=indicator, period=period, value=value
            )
        values, _c, _all = load_year(centre=centre, year=2024)
        broken = rule_warnings(rule.left, month, values, [rule])
        assert broken and rule.left.name in broken[0], rule
        TallyValue.objects.filter(indicator=rule.left).update(value=50)
        values, _c, _r = load_year(centre=centre, year=2024)
        assert rule_warnings(rule.left, month, values, [rule]) == [], rule


def test_flows_are_compared_year_to_date(centre):
    # Early registrations: 12 in January, 0 in February; births 10 and 5 → YTD 12 ≤ 15 in February.
    for code, jan, feb in (("early_registered", 12, 0), ("live_births", 10, 5)):
        TallyValue.objects.create(
            centre=centre, indicator=ind(code), period=D(2024, 1, 1), value=jan
        )
        TallyValue.objects.create(
            centre=centre, indicator=ind(code), period=D(2024, 2, 1), value=feb
        )
    values, _c, rules = load_year(centre=centre, year=2024)
    assert rule_warnings(ind("early_registered"), D(2024, 1, 1), values, rules)  # 12 > 10
    assert rule_warnings(ind("early_registered"), D(2024, 2, 1), values, rules) == []


def test_a_warning_names_the_period_whose_numbers_it_quotes(centre):
    # January 1094 and 308 visits, February 2048 and 434: February compares the totals since
    # January, 1094 + 2048 = 3142 and 308 + 434 = 742, and says so; January is its own month.
    for code, jan, feb in (("opd_visits", 1094, 2048), ("total_visits", 308, 434)):
        for month, value in ((1, jan), (2, feb)):
            TallyValue.objects.create(
                centre=centre, indicator=ind(code), period=D(2025, month, 1), value=value
            )
    values, _c, rules = load_year(centre=centre, year=2025)
    february = rule_warnings(ind("opd_visits"), D(2025, 2, 1), values, rules)
    assert "2025年1–2月累计门急诊人次（3142）应 ≤ 总诊疗人次（742）。" in february
    january = rule_warnings(ind("opd_visits"), D(2025, 1, 1), values, rules)
    assert "2025年1月门急诊人次（1094）应 ≤ 总诊疗人次（308）。" in january


def test_a_warning_names_each_side_when_their_periods_differ(centre):
    # A flow (门急诊, total since January: 30 + 40 = 70) against a stock read in March (50).
    flow, stock = ind("opd_visits"), ind("total_visits")
    stock.aggregation = Indicator.Aggregation.STOCK
    for month, value in ((1, 30), (3, 40)):
        TallyValue.objects.create(
            centre=centre, indicator=flow, period=D(2025, month, 1), value=value
        )
    TallyValue.objects.create(centre=centre, indicator=stock, period=D(2025, 3, 1), value=50)
    values, _c, rules = load_year(centre=centre, year=2025)
    values.indicators[stock.pk] = stock
    rule = next(r for r in rules if (r.left_id, r.right_id) == (flow.pk, stock.pk))
    assert rule_warnings(flow, D(2025, 3, 1), values, [rule]) == [
        "2025年1–3月累计门急诊人次（70）应 ≤ 2025年3月总诊疗人次（50）。"
    ]


def test_outliers_against_the_centres_own_history():
    history = [Decimal(v) for v in (100, 110, 90, 105)]  # median 102.5
    assert outlier_warning(Decimal(300), history) == ""  # 300 ≤ 307.5
    assert "102.5" in outlier_warning(Decimal(308), history)
    assert "102.5" in outlier_warning(Decimal(34), history)  # 34 × 3 = 102 < 102.5
    assert outlier_warning(Decimal(35), history) == ""  # 35 × 3 = 105
    assert outlier_warning(Decimal(34), history[:2]) == ""  # too little history


# --- saving cells, explaining, completing ------------------------------------------------------


@time_machine.travel(TODAY)
def test_saving_a_cell_is_audited_and_a_warning_must_be_explained_to_complete(
    client, clerk, reviewer, centre
):
    april = D(2024, 4, 1)
    assert save(centre, "total_visits", april, 100, clerk).error == ""
    result = save(centre, "opd_visits", april, 150, clerk)  # 门急诊 150 > 总诊疗 100
    assert result.value == 150 and result.warnings
    entry = AuditEntry.objects.filter(action="services.tally.changed").latest("id")
    assert entry.changes == {"value": [None, "150"]} and entry.target_id == "opd_visits@2024-04"
    with pytest.raises(Exception, match="门急诊人次"):
        actions.month_submit(centre=centre, month=april, actor=clerk)
    actions.tally_comment(
        centre=centre,
        indicator=ind("opd_visits"),
        period=april,
        comment="含核酸采样人次",
        actor=clerk,
    )
    with pytest.raises(
        actions.EmptyCategories, match="以下类别本月没有任何数据：居民健康档案"
    ) as asked:
        actions.month_submit(centre=centre, month=april, actor=clerk)  # only 门急诊 has a value
    assert not MonthReport.objects.exists()
    confirmed = asked.value.categories
    actions.month_submit(centre=centre, month=april, actor=clerk, empty_confirmed=confirmed)
    assert MonthReport.objects.filter(centre=centre, period=april).exists()
    statuses = [s for s, _approval in dict(completeness(centres=[centre], year=2024))[centre]]
    # April was due by 10 May and marked on 20 May: reported late. March was never marked and
    # its due day (10 April) has passed: not reported. May is not yet due; June is to come.
    assert statuses[3] == ReportStatus.LATE and statuses[2] == ReportStatus.MISSING
    assert statuses[4] == ReportStatus.PENDING and statuses[5] == ""


@time_machine.travel(TODAY)
def test_submitting_a_month_asks_first_which_categories_are_empty(client, clerk, centre):
    # April has 门急诊 (medical services) and 健康档案 (records): the other 13 categories with
    # monthly indicators are empty, and the page lists them before anything is marked.
    save(centre, "opd_visits", D(2024, 4, 1), 90, clerk)
    save(centre, "total_visits", D(2024, 4, 1), 100, clerk)
    records = Indicator.objects.filter(category="records", frequency="monthly").first()
    TallyValue.objects.create(centre=centre, indicator=records, period=D(2024, 4, 1), value=5)
    values, _c, _r = load_year(centre=centre, year=2024)
    empty = empty_categories(values, D(2024, 4, 1))
    assert "医疗服务" not in empty and "居民健康档案" not in empty and "健康教育" in empty
    monthly = set(
        Indicator.objects.filter(is_active=True, frequency="monthly").values_list(
            "category", flat=True
        )
    )
    assert len(empty) == len(monthly) - 2
    client.force_login(clerk)
    url = reverse("services:month-submit", args=[centre.slug, 2024, 4])
    asked = client.post(url, {"category": "medical"})
    text = asked.content.decode()
    assert asked.status_code == 200 and "以下类别本月没有任何数据：" + "、".join(empty) in text
    assert not MonthReport.objects.exists()
    codes = empty_category_codes(values, D(2024, 4, 1))  # what the page sends back
    assert f'name="empty_confirmed" value="{codes[0]}"' in text
    done = client.post(url, {"category": "medical", "empty_confirmed": codes})
    assert done.status_code == 302 and MonthReport.objects.filter(period=D(2024, 4, 1)).exists()
    entry = AuditEntry.objects.get(action="services.month.submitted")
    assert entry.changes == {"month": "2024-04", "empty_categories": empty}
    grid = client.get(reverse("services:tally-grid", args=[centre.slug, 2024, "medical"]))
    assert f"{len(empty)}类无数据" in grid.content.decode()


def test_the_completeness_page_tells_late_from_missing(client, reviewer, centre, clerk):
    # Due day 10 (settings): March marked on 15 April → 逾期已报; February never marked → 未报;
    # April marked on 5 May → 已报; today 20 May, May not yet due → 待报.
    for month, day in ((3, dt.datetime(2024, 4, 15, 12)), (4, dt.datetime(2024, 5, 5, 12))):
        with time_machine.travel(day):
            MonthReport.objects.create(centre=centre, period=D(2024, month, 1), submitted_by=clerk)
    # April holds one 门急诊 value: only 医疗服务 is filled; March holds none at all.
    TallyValue.objects.create(
        centre=centre, indicator=ind("opd_visits"), period=D(2024, 4, 1), value=10
    )
    with time_machine.travel(TODAY):
        statuses = [s for s, _approval in dict(completeness(centres=[centre], year=2024))[centre]]
        assert statuses[1:5] == ["missing", "late", "reported", "pending"]
        client.force_login(reviewer)
        page = client.get(reverse("services:completeness", args=[centre.sponsor.slug, 2024]))
    text = page.content.decode()
    monthly = Indicator.objects.filter(is_active=True, frequency="monthly")
    categories = len(set(monthly.values_list("category", flat=True)))
    assert '<td class="status-late">逾期已报<br><small class="empty-categories"' in text
    assert f">{categories}类无数据</small>" in text  # March: every category empty
    assert '<td class="status-reported">已报<br><small class="empty-categories"' in text
    assert f">{categories - 1}类无数据</small>" in text  # April: all but 医疗服务
    assert '<td class="status-missing">未报</td>' in text
    assert '<td class="status-pending">待报</td>' in text
    assert "已过截止日仍未标记报送" in text  # the legend


@time_machine.travel(TODAY)
def test_changing_a_value_records_old_and_new(centre, clerk):
    save(centre, "discharges", D(2024, 4, 1), 20, clerk)
    save(centre, "discharges", D(2024, 4, 1), 22, clerk)
    save(centre, "discharges", D(2024, 4, 1), "", clerk)  # cleared
    changes = [
        e.changes["value"]
        for e in AuditEntry.objects.filter(action="services.tally.changed").order_by("id")
    ]
    assert changes == [[None, "20"], ["20", "22"], ["22", None]]
    assert not TallyValue.objects.exists()


def test_report_status_on_time_late_missing_and_pending():
    march = D(2024, 3, 1)
    assert (
        report_status(march, D(2024, 4, 10), D(2024, 5, 1)) == ReportStatus.REPORTED
    )  # by the 10th
    assert report_status(march, D(2024, 4, 11), D(2024, 5, 1)) == ReportStatus.LATE
    assert report_status(march, None, D(2024, 4, 10)) == ReportStatus.PENDING
    assert report_status(march, None, D(2024, 4, 11)) == ReportStatus.MISSING


@time_machine.travel(TODAY)
def test_cell_view_answers_with_the_cell_and_the_months_rates(client, clerk, centre):
    client.force_login(clerk)
    url = reverse("services:tally-cell", args=[centre.slug])
    TallyValue.objects.create(
        centre=centre, indicator=ind("total_visits"), period=D(2024, 4, 1), value=400
    )
    response = client.post(
        url,
        {"indicator": "tcm_visits", "period": "2024-04-01", "value": "100", "base": ""},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'id="cell-tcm_visits-2024-04"' in body and "is-saved" in body and "已保存" in body
    assert 'id="rate-tcm_visit_share-2024-04" hx-swap-oob="true"' in body and "25.00%" in body
    bad = client.post(
        url,
        {"indicator": "tcm_visits", "period": "2024-04-01", "value": "-1", "base": "100"},
        HTTP_HX_REQUEST="true",
    )
    assert "数值不能为负数" in bad.content.decode() and 'value="-1"' in bad.content.decode()
    assert TallyValue.objects.get(indicator__code="tcm_visits").value == 100


@time_machine.travel(TODAY)
def test_a_saved_cell_updates_only_the_rates_on_its_own_page(client, clerk, centre):
    # 活产数 (children) is the denominator of 新生儿访视率 (children) and of 早孕建册率 and
    # 产后访视率 (maternal): the maternal rates are not on the children page, and an out-of-band
    # fragment without a target is an error in the browser's console.
    client.force_login(clerk)
    body = client.post(
        reverse("services:tally-cell", args=[centre.slug]),
        {"indicator": "live_births", "period": "2024-04-01", "value": "10", "base": ""},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "is-saved" in body
    assert 'id="rate-newborn_visit_rate-2024-04" hx-swap-oob="true"' in body
    assert "early_reg_rate" not in body and "postpartum_rate" not in body


@pytest.mark.parametrize(
    "params",
    [
        {"indicator": "nope", "period": "2024-04-01"},
        {"indicator": "opd_visits", "period": "2024-04-15"},
        {"indicator": "opd_visits", "period": "junk"},
        {"indicator": "res_pop", "period": "2024-04-01"},
        {},
    ],
)
def test_odd_cell_requests_are_404_not_500(client, clerk, centre, params):
    client.force_login(clerk)
    assert (
        client.post(reverse("services:tally-cell", args=[centre.slug]), params).status_code == 404
    )
    assert (
        client.get(reverse("services:tally-cell-detail", args=[centre.slug]), params).status_code
        == 404
    )


@time_machine.travel(TODAY)
def test_the_grid_for_a_whole_category_is_bounded(
    client, clerk, centre, django_assert_max_num_queries
):
    codes = list(Indicator.objects.filter(category="medical").values_list("code", flat=True))
    TallyValue.objects.bulk_create(
        [
            TallyValue(centre=centre, indicator=ind(c), period=D(y, m, 1), value=100 + m)
            for c in codes
            for y in (2023, 2024)
            for m in range(1, 13)
        ]
    )
    client.force_login(clerk)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("services:tally-grid", args=[centre.slug, 2024, "medical"]))
    assert response.content.decode().count('<td id="cell-') == len(codes) * 12
    grid = tally_grid(centre=centre, year=2024, category="medical", today=D(2024, 5, 20))
    assert [c.lock.locked for c in grid.months][:6] == [True, True, True, False, False, True]


@time_machine.travel(TODAY)
def test_a_rule_made_an_error_refuses_the_value_on_either_side(centre, clerk):
    rule = ValidationRule.objects.get(left__code="opd_visits", right__code="total_visits")
    rule.severity = ValidationRule.Severity.ERROR
    rule.save()
    april = D(2024, 4, 1)
    assert save(centre, "total_visits", april, 100, clerk).error == ""
    refused = save(centre, "opd_visits", april, 150, clerk)
    assert "门急诊人次（150）应 ≤ 总诊疗人次（100）" in refused.error
    assert save(centre, "opd_visits", april, 90, clerk).error == ""
    assert "应 ≤" in save(centre, "total_visits", april, 80, clerk).error  # lowering the right side
    assert TallyValue.objects.get(indicator__code="total_visits").value == 100


def test_an_exception_never_opens_a_month_that_has_not_begun(centre, reviewer):
    LockException.objects.create(
        centre=centre,
        first_month=D(2024, 1, 1),
        last_month=D(2024, 12, 1),
        open_until=D(2024, 12, 31),
        reason="全年补录",
        granted_by=reviewer,
    )
    ctx = _ctx(centre, D(2024, 5, 20))
    assert not lock_state(D(2024, 2, 1), ctx).locked
    assert lock_state(D(2024, 11, 1), ctx).reason == "该月尚未开始。"


@time_machine.travel(
    dt.datetime(2024, 4, 10, 17, 30, tzinfo=dt.UTC)
)  # 01:30 on 11 April in Beijing
def test_the_due_day_is_counted_in_local_time(centre, clerk):
    MonthReport.objects.create(centre=centre, period=D(2024, 3, 1), submitted_by=clerk)
    statuses = [s for s, _approval in dict(completeness(centres=[centre], year=2024))[centre]]
    assert statuses[2] == ReportStatus.LATE


@time_machine.travel(TODAY)
def test_clearing_a_value_records_its_dropped_explanation(centre, clerk):
    save(centre, "discharges", D(2024, 4, 1), 20, clerk)
    actions.tally_comment(
        centre=centre,
        indicator=ind("discharges"),
        period=D(2024, 4, 1),
        comment="含转院",
        actor=clerk,
    )
    save(centre, "discharges", D(2024, 4, 1), "", clerk)
    last = AuditEntry.objects.filter(action="services.tally.changed").latest("id")
    assert last.changes == {"value": ["20", None], "comment": ["含转院", None]}


@time_machine.travel(TODAY)
def test_an_error_rule_on_a_flow_checks_the_later_months_too(centre, clerk):
    rule = ValidationRule.objects.get(left__code="opd_visits", right__code="total_visits")
    rule.severity = ValidationRule.Severity.ERROR
    rule.save()
    for month, total, opd in ((1, 100, 90), (2, 100, 90)):
        TallyValue.objects.create(
            centre=centre, indicator=ind("total_visits"), period=D(2024, month, 1), value=total
        )
        TallyValue.objects.create(
            centre=centre, indicator=ind("opd_visits"), period=D(2024, month, 1), value=opd
        )
    # Lowering April's total can't break anything here, but raising April's 门急诊 to 30 more than
    # the total breaks year-to-date April (180 + 130 > 200 + 100).
    TallyValue.objects.create(
        centre=centre, indicator=ind("total_visits"), period=D(2024, 4, 1), value=100
    )
    assert "应 ≤" in save(centre, "opd_visits", D(2024, 4, 1), 130, clerk).error
    assert save(centre, "opd_visits", D(2024, 4, 1), 110, clerk).error == ""  # 290 ≤ 300


def test_a_period_outside_2000_2100_falls_back_rather_than_failing(client, clerk, centre):
    client.force_login(clerk)
    for params in (
        {"part": "range", "first": "0001-01", "last": "0001-12"},
        {"part": "range", "first": "9999-12", "last": "9999-12"},
    ):
        assert (
            client.get(reverse("services:centre-figures", args=[centre.slug]), params).status_code
            == 200
        )
        assert (
            client.get(reverse("services:activity-list", args=[centre.slug]), params).status_code
            == 200
        )


@time_machine.travel(TODAY)
def test_a_save_reads_only_its_cell_s_partners_and_warns_as_the_whole_year_would(centre, clerk):
    """The save loads the values its checks read (its indicator, the other side of its rules and
    rates), not the year: its warnings and rates are those of the whole year all the same."""
    from services.selectors import _month_rate, cell_warnings

    for month in (1, 2, 3, 4):
        for code, value in (("total_visits", 400), ("opd_income", 50000), ("tcm_visits", 7)):
            TallyValue.objects.create(
                centre=centre, indicator=ind(code), period=D(2024, month, 1), value=value
            )
        if month < 4:
            TallyValue.objects.create(
                centre=centre, indicator=ind("opd_visits"), period=D(2024, month, 1), value=300
            )
    april = D(2024, 4, 1)
    result = save(centre, "opd_visits", april, 1200, clerk)  # above 总诊疗 to date, 4× its median
    values, _comments, rules = load_year(centre=centre, year=2024)
    assert len(result.warnings) == 2
    assert result.warnings == cell_warnings(ind("opd_visits"), april, values, rules)
    assert [r.code for r in result.rates] == ["opd_cost"]
    assert _month_rate(result.rates[0], april, result.loaded[0]) == _month_rate(
        result.rates[0], april, values
    )
    assert {i.code for i in result.loaded[0].indicators.values()} == {
        "opd_visits",
        "total_visits",
        "opd_income",
    }


@pytest.mark.parametrize("error_rule", [False, True])
@time_machine.travel(TODAY)
def test_a_cell_save_is_a_bounded_handful_of_queries(
    client,
    clerk,
    centre,
    error_rule,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    """31 queries before (34 with an error rule: the year was loaded up to three times), then 24;
    18 now: 4 the login and the centre's access, 4 the catalogue and the commission tree (once
    per process, then kept until they change), then under the centre's lock the values its
    checks read with its year's approval (one statement), the insert, the rollup stamp, the
    outbox row and the audit row, and 4 savepoints (the test's transaction, and SQLite's guard
    around an insert, which PostgreSQL's row lock makes needless)."""
    from services.rollups import build

    if error_rule:  # the rule's check needs the year too: it must reuse the same load
        with django_capture_on_commit_callbacks(execute=True):  # as committed by its editor
            ValidationRule.objects.filter(
                left__code="opd_visits", right__code="total_visits"
            ).update(severity=ValidationRule.Severity.ERROR)
            catalogue_changed()
    TallyValue.objects.create(
        centre=centre, indicator=ind("total_visits"), period=D(2024, 4, 1), value=400
    )
    build([centre.pk])
    client.force_login(clerk)
    url = reverse("services:tally-cell", args=[centre.slug])
    params = {"indicator": "opd_visits", "period": "2024-04-01", "value": "100", "base": ""}
    with django_assert_max_num_queries(18):
        response = client.post(url, params, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "is-saved" in body and 'value="100"' in body
    # The next save finds the catalogue read and the refresh queued: no second message; an
    # update, no savepoint. (One more here than in production: this test's open transaction
    # created the commission tree, and a process reads its own uncommitted tree afresh.)
    with django_assert_max_num_queries(12), rawsql.round_trips() as trips:
        client.post(url, params | {"value": "120", "base": "100"}, HTTP_HX_REQUEST="true")
    assert TallyValue.objects.get(indicator__code="opd_visits").value == 120
    if connection.vendor == "postgresql":
        # Eight round trips to PostgreSQL here, the session's, the user's and their places'
        # among them (this test's transaction turns the save's BEGIN and COMMIT into savepoints
        # that travel on their own); eleven with the pipelines turned off (psycopg's Pipeline
        # unsupported).
        assert trips[0] <= 8


@time_machine.travel(dt.datetime(2027, 1, 5, 10, 0))
def test_the_entry_pages_open_on_the_year_of_the_month_due(client, clerk, centre):
    """On 5 January 2027 December 2026 is due: the grid opens on 2026, not the last year typed."""
    TallyValue.objects.create(
        centre=centre,
        indicator=Indicator.objects.get(code="opd_visits"),
        period=dt.date(2024, 3, 1),
        value=1,
    )
    client.force_login(clerk)
    response = client.get(reverse("services:tally-home", args=[centre.slug]))
    assert response.url == reverse("services:tally-grid", args=[centre.slug, 2026, "records"])


# --- the hand-written statements of a save (services/cell_sql.py) ---------------------------


@time_machine.travel(TODAY, tick=False)
def test_a_script_overwrites_a_value_without_an_actor_and_it_is_audited(centre, manager):
    assert save(centre, "opd_visits", D(2024, 4, 1), "1200", actor=manager).error == ""
    assert save(centre, "opd_visits", D(2024, 4, 1), "1350").error == ""  # no actor: a script
    cell = TallyValue.objects.get(centre=centre, indicator__code="opd_visits", period=D(2024, 4, 1))
    assert cell.value == Decimal("1350") and cell.updated_by is None
    entry = AuditEntry.objects.filter(target_id="opd_visits@2024-04").order_by("-id").first()
    assert entry.actor is None and entry.changes == {"value": ["1200", "1350"]}
    assert entry.centre_id == centre.pk and entry.created_at is not None
