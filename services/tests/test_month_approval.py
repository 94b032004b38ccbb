"""Monthly data approval: every move at each level, every forbidden one, the lock it sets."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from centers.models import AuthorityMembership
from centers.selectors import user_places
from centers.tests.factories import AuthorityMembershipFactory, CentreFactory, UserFactory
from core.errors import DomainError
from core.models import AuditEntry
from services.actions import tally_save
from services.approval_actions import month_move
from services.models import Indicator, MonthReport, TallyValue

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2024, 5, 20, 10, 0)
APRIL = dt.date(2024, 4, 1)
State = MonthReport.State


def _move(move, centres, user, reason=""):
    return month_move(
        move=move, centres=centres, month=APRIL, actor=user, places=user_places(user), reason=reason
    )


def _state(centre) -> str:
    report = MonthReport.objects.filter(centre=centre, period=APRIL).first()
    return report.state if report else "none"


@pytest.fixture
def marked(centre, manager):
    return MonthReport.objects.create(centre=centre, period=APRIL, submitted_by=manager)


@time_machine.travel(NOW)
def test_the_whole_chain_up_and_down(centre, marked, reviewer, city_reviewer, manager):
    assert _move("approve", [centre], reviewer).done == [centre]
    marked.refresh_from_db()
    assert (marked.state, marked.approved_by) == (State.APPROVED, reviewer)
    assert _move("confirm", [centre], city_reviewer).done == [centre]
    assert _state(centre) == State.CONFIRMED
    assert _move("unconfirm", [centre], city_reviewer, "数据需复核").done == [centre]
    assert _state(centre) == State.APPROVED
    assert _move("unapprove", [centre], reviewer, "门诊人次有误").done == [centre]
    marked.refresh_from_db()
    assert (marked.state, marked.approved_by, marked.approved_at) == (State.SUBMITTED, None, None)
    assert _move("return", [centre], reviewer, "请补录4月门诊").done == [centre]
    assert _state(centre) == "none"  # back to 未报送, for the centre to correct and mark again
    actions = list(
        AuditEntry.objects.filter(action__startswith="services.month.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "services.month.approved",
        "services.month.confirmed",
        "services.month.unconfirmed",
        "services.month.unapproved",
        "services.month.returned",
    ]
    returned = AuditEntry.objects.get(action="services.month.returned")
    assert returned.changes["reason"] == "请补录4月门诊"
    assert returned.changes["state"] == ["已报送", "未报送"]


@time_machine.travel(NOW)
def test_out_of_order_moves_name_the_blocking_state(centre, marked, reviewer, city_reviewer):
    # No confirmation before approval.
    refused = _move("confirm", [centre], city_reviewer).refused
    assert refused == [(centre, "该月尚未审核：须先由其举办单位卫健委审核。")]
    _move("approve", [centre], reviewer)
    assert _move("approve", [centre], reviewer).refused == [(centre, "该月当前为“已审核”状态。")]
    # A return of an approved month must first withdraw the approval.
    assert _move("return", [centre], reviewer, "x").refused[0][1] == "该月已审核：请先撤销审核。"
    _move("confirm", [centre], city_reviewer)
    # No unapprove under a confirmation.
    why = _move("unapprove", [centre], reviewer, "x").refused[0][1]
    assert why == "上级卫健委已确认该月：须先由上级撤销确认。"
    assert _state(centre) == State.CONFIRMED


@time_machine.travel(NOW)
def test_each_level_acts_only_on_its_own_step(centre, marked, reviewer, city_reviewer):
    # The city cannot approve for the district, nor the district confirm its own approval.
    assert _move("approve", [centre], city_reviewer).refused[0][1].startswith("只有")
    _move("approve", [centre], reviewer)
    assert "上级卫健委审核员" in _move("confirm", [centre], reviewer).refused[0][1]
    # Only the level that approved withdraws it.
    assert _move("unapprove", [centre], city_reviewer, "x").refused
    assert _state(centre) == State.APPROVED


@time_machine.travel(NOW)
def test_no_one_reviews_a_centre_where_they_hold_a_role(centre, marked, reviewer, city_reviewer):
    both = UserFactory(username="both")
    AuthorityMembershipFactory(user=both, authority=centre.sponsor)
    from centers.tests.factories import CentreMembershipFactory

    CentreMembershipFactory(user=both, centre=centre)
    assert "您在本中心担任角色" in _move("approve", [centre], both).refused[0][1]
    assert _state(centre) == State.SUBMITTED


@time_machine.travel(NOW)
def test_a_centre_right_under_the_city_needs_no_confirmation(city, city_reviewer, manager):
    direct = CentreFactory(name="市直属中心", slug="direct", sponsor=city)
    MonthReport.objects.create(centre=direct, period=APRIL)
    assert _move("approve", [direct], city_reviewer).done == [direct]
    why = _move("confirm", [direct], city_reviewer).refused[0][1]
    assert "没有上级卫健委" in why


@time_machine.travel(NOW)
def test_returning_and_withdrawing_need_a_reason(centre, marked, reviewer):
    for move in ("return", "unapprove"):
        with pytest.raises(DomainError, match="请填写原因"):
            _move(move, [centre], reviewer, "   ")
    assert _state(centre) == State.SUBMITTED


@time_machine.travel(NOW)
def test_bulk_approval_of_a_month_across_the_district(district, centre, marked, reviewer):
    second = CentreFactory(name="小龙坎社区卫生服务中心", slug="xiaolongkan", sponsor=district)
    third = CentreFactory(name="双碑社区卫生服务中心", slug="shuangbei", sponsor=district)
    MonthReport.objects.create(centre=second, period=APRIL)
    outcome = _move("approve", [centre, second, third], reviewer)
    assert outcome.done == [centre, second]
    assert outcome.refused == [(third, "该月当前为“未报送”状态。")]  # 双碑 never marked April
    assert MonthReport.objects.filter(period=APRIL, state=State.APPROVED).count() == 2


@time_machine.travel(NOW)
def test_an_approved_month_is_locked_for_the_centre(centre, marked, reviewer, clerk):
    opd = Indicator.objects.get(code="opd_visits")
    assert (
        tally_save(centre=centre, indicator=opd, period=APRIL, raw="100", actor=clerk).error == ""
    )
    _move("approve", [centre], reviewer)
    refused = tally_save(centre=centre, indicator=opd, period=APRIL, raw="120", actor=clerk)
    assert "卫健委已审核" in refused.error
    assert TallyValue.objects.get(indicator=opd, period=APRIL).value == 100
    # An empty cell of the approved month is locked too (the lock is read without values).
    total = Indicator.objects.get(code="total_visits")
    assert (
        "卫健委已审核"
        in tally_save(centre=centre, indicator=total, period=APRIL, raw="5", actor=clerk).error
    )
    # May, not approved, stays open; withdrawing the approval reopens April.
    assert (
        tally_save(
            centre=centre, indicator=opd, period=dt.date(2024, 5, 1), raw="9", actor=clerk
        ).error
        == ""
    )
    _move("unapprove", [centre], reviewer, "需更正")
    assert (
        tally_save(centre=centre, indicator=opd, period=APRIL, raw="120", actor=clerk).error == ""
    )


@time_machine.travel(NOW)
def test_the_month_review_page(
    client, district, centre, marked, reviewer, manager, django_assert_max_num_queries
):
    second = CentreFactory(name="小龙坎社区卫生服务中心", slug="xiaolongkan", sponsor=district)
    MonthReport.objects.create(centre=second, period=APRIL)
    client.force_login(reviewer)
    url = reverse("services:month-review", args=[district.slug, 2024, 4])
    with django_assert_max_num_queries(10):
        page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "2024年4月数据审核" in body
    assert body.count('name="centres"') == 2
    # Each marked month says which categories hold no value, and links to the month's data.
    row = body[body.index(f'id="month-row-{second.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "居民健康档案管理" in row and "#month-2024-04" in row
    # A return without a reason comes back with the ticked centres and the message.
    response = client.post(url, {"move": "return", "centres": [centre.pk], "reason": ""})
    assert response.status_code == 200
    assert "请填写原因" in response.content.decode()
    assert f'value="{centre.pk}" aria-label="{centre.name}" checked' in response.content.decode()
    response = client.post(url, {"move": "approve", "centres": [centre.pk, second.pk]})
    assert response.status_code == 302
    assert MonthReport.objects.filter(state=State.APPROVED).count() == 2
    # The completeness page marks them, and links each month to its review.
    page = client.get(reverse("services:completeness", args=[district.slug, 2024]))
    assert page.content.decode().count("month-approved") >= 2
    assert url in page.content.decode()
    # A centre user cannot reach the page at all.
    client.force_login(manager)
    assert client.get(url).status_code == 404
    assert AuthorityMembership.objects.filter(user=manager).count() == 0


@time_machine.travel(NOW)
def test_a_foreign_centre_ticked_by_hand_is_refused(
    client, district, centre, marked, reviewer, other_centre
):
    MonthReport.objects.create(centre=other_centre, period=APRIL)
    client.force_login(reviewer)
    url = reverse("services:month-review", args=[district.slug, 2024, 4])
    response = client.post(url, {"move": "approve", "centres": [other_centre.pk]})
    assert response.status_code == 200  # not a choice of this page: the form says so
    assert MonthReport.objects.get(centre=other_centre).state == State.SUBMITTED


@time_machine.travel(NOW)
def test_the_cell_history_shows_its_months_steps(client, centre, marked, reviewer, clerk):
    _move("approve", [centre], reviewer)
    _move("unapprove", [centre], reviewer, "门诊人次有误")
    client.force_login(clerk)
    url = reverse("services:tally-cell-detail", args=[centre.slug])
    body = client.get(url, {"indicator": "opd_visits", "period": "2024-04-01"}).content.decode()
    assert "状态：<del>已报送</del> → 已审核" in body
    assert "状态：<del>已审核</del> → 已报送" in body and "门诊人次有误" in body
    # Another month's cell does not list April's steps.
    body = client.get(url, {"indicator": "opd_visits", "period": "2024-03-01"}).content.decode()
    assert "已审核" not in body


@time_machine.travel(NOW)
def test_figures_can_count_approved_months_only(client, centre, reviewer, manager):
    opd = Indicator.objects.get(code="opd_visits")
    for month, value in ((1, 100), (2, 200), (3, 300)):
        TallyValue.objects.create(
            centre=centre, indicator=opd, period=dt.date(2024, month, 1), value=value
        )
        MonthReport.objects.create(centre=centre, period=dt.date(2024, month, 1))
    for month in (1, 2):  # March stays 已报送, not approved
        month_move(
            move="approve",
            centres=[centre],
            month=dt.date(2024, month, 1),
            actor=reviewer,
            places=user_places(reviewer),
        )
    client.force_login(manager)
    url = reverse("services:centre-figures", args=[centre.slug])
    every = client.get(url, {"year": 2024, "part": "q1"})
    approved = client.get(url, {"year": 2024, "part": "q1", "approved": "on"})
    assert every.context["groups"] and approved.context["approved"] == ((2, 3), (0, 3))

    def opd_of(response):
        return next(
            f.value
            for _l, counts, _r in response.context["groups"]
            for f in counts
            if f.code == "opd_visits"
        )

    assert (opd_of(every), opd_of(approved)) == (600, 300)  # 100 + 200 + 300; 100 + 200
    body = approved.content.decode()
    assert "本期3个“中心·月”中的2个，上年同期3个中的0个" in body  # 2023 Q1: none approved
    assert "同比不具可比性" in body and 'id="targets"' not in body
    assert "仅含已审核数据" not in every.content.decode()


@time_machine.travel(NOW)
def test_no_one_approves_what_they_marked_nor_confirms_what_they_approved(
    centre, reviewer, city_reviewer
):
    MonthReport.objects.create(centre=centre, period=APRIL, submitted_by=reviewer)
    # (a reviewer who marked it while still a member of the centre, say)
    assert (
        _move("approve", [centre], reviewer).refused[0][1]
        == "该月由您标记报送，须由其他审核员审核。"
    )
    both = UserFactory(username="both-levels")
    AuthorityMembershipFactory(user=both, authority=centre.sponsor)
    AuthorityMembershipFactory(user=both, authority=centre.sponsor.parent)
    _move("approve", [centre], both)
    assert _move("confirm", [centre], both).refused[0][1] == "该月由您审核，须由其他审核员确认。"
    assert _move("confirm", [centre], city_reviewer).done == [centre]


@time_machine.travel(NOW)
def test_a_returned_month_opens_for_the_centre_to_correct(centre, reviewer, clerk):
    january = dt.date(2024, 1, 1)  # long past its lock day
    MonthReport.objects.create(centre=centre, period=january)
    opd = Indicator.objects.get(code="opd_visits")
    assert tally_save(centre=centre, indicator=opd, period=january, raw="5", actor=clerk).error
    month_move(
        move="return",
        centres=[centre],
        month=january,
        actor=reviewer,
        places=user_places(reviewer),
        reason="请补录1月门诊",
    )
    assert (
        tally_save(centre=centre, indicator=opd, period=january, raw="5", actor=clerk).error == ""
    )
    # The opening the return made is audited as an opening, with the return's reason.
    opening = AuditEntry.objects.get(action="services.lock_exception.granted")
    assert (
        opening.changes["months"] == "2024-01–2024-01"
        and opening.changes["reason"] == "请补录1月门诊"
    )


@time_machine.travel(NOW)
def test_months_of_an_approved_annual_report_cannot_be_returned(centre, marked, reviewer):
    from services.models import FrozenYear

    _move("approve", [centre], reviewer)
    FrozenYear.objects.create(centre=centre, year=2024)
    for move in ("unapprove", "return"):
        why = _move(move, [centre], reviewer, "x").refused
        assert why and (why[0][1].startswith("2024年度报告已审核通过") or "撤销审核" in why[0][1])
    assert _state(centre) == State.APPROVED


@time_machine.travel(NOW)
def test_a_marked_month_of_an_approved_annual_report_offers_no_move(
    client, district, centre, marked, reviewer
):
    """Approving it could not be undone (the year is frozen), so it is not offered at all."""
    from services.models import FrozenYear

    FrozenYear.objects.create(centre=centre, year=2024)
    assert _move("approve", [centre], reviewer).refused[0][1].startswith("2024年度报告已审核通过")
    client.force_login(reviewer)
    page = client.get(reverse("services:month-review", args=[district.slug, 2024, 4]))
    row = _row(page, centre)
    assert 'name="centres"' not in row and "2024年度报告已审核通过" in row


@time_machine.travel(NOW)
def test_the_review_page_says_a_month_went_back_and_why(client, district, centre, marked, reviewer):
    _move("return", [centre], reviewer, "4月出院人次与HIS不一致，请核对。")
    client.force_login(reviewer)
    page = client.get(reverse("services:month-review", args=[district.slug, 2024, 4]))
    row = _row(page, centre)
    assert "未报送" in row and "已退回" in row
    assert "区审核员于2024-05-20 18:00退回：4月出院人次与HIS不一致，请核对。" in row
    # Marked again, the old return is history (the cell's), not the month's state.
    MonthReport.objects.create(centre=centre, period=APRIL)
    page = client.get(reverse("services:month-review", args=[district.slug, 2024, 4]))
    assert "已退回" not in _row(page, centre)


def _row(page, centre) -> str:
    body = page.content.decode()
    row = body[body.index(f'id="month-row-{centre.pk}"') :]
    return row[: row.index("</tr>")]


@time_machine.travel(NOW)
def test_reopening_approved_months_says_they_stay_locked(client, centre, marked, reviewer):
    _move("approve", [centre], reviewer)
    other = UserFactory(username="other-reviewer")
    AuthorityMembershipFactory(user=other, authority=centre.sponsor)
    client.force_login(other)
    url = reverse("services:lock-exception-grant", args=[centre.slug])
    response = client.post(
        url,
        {
            "first_month": "2024-03",
            "last_month": "2024-04",
            "open_until": "2024-06-30",
            "reason": "更正",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "2024年4月仍锁定" in body  # March opens; April is approved


@time_machine.travel(NOW)
def test_the_grid_marks_approved_months(client, centre, marked, reviewer, clerk):
    _move("approve", [centre], reviewer)
    client.force_login(clerk)
    body = client.get(
        reverse("services:tally-grid", args=[centre.slug, 2024, "medical"])
    ).content.decode()
    assert body.count('class="badge month-approved"') == 1  # April only
    assert "卫健委已审核的月份已锁定" in body or "卫健委已审核" in body
