"""A centre asks to open locked months; a reviewer of its commission grants or declines."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from centers.models import CentreMembership
from centers.tests.factories import (
    AuthorityMembershipFactory,
    CentreFactory,
    CentreMembershipFactory,
    UserFactory,
)
from core.errors import DomainError
from core.models import AuditEntry
from services import actions
from services.locking import LockContext, lock_state, locked_spans
from services.models import FrozenYear, LockException, OpenMonthRequest
from services.selectors import open_month_requests_by_centre


def waiting(authority_ids: list[int]) -> int:
    return sum(open_month_requests_by_centre(authority_ids).values())


pytestmark = pytest.mark.django_db
D = dt.date
NOW = dt.datetime(2026, 3, 16, 10, 0)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def _ask(client, centre, **data):
    url = reverse("services:open-month-request", args=[centre.slug])
    return client.post(url, data)


def _grant_url(r):
    return reverse("services:open-month-request-grant", args=[r.centre.slug, r.pk])


def _decline_url(r):
    return reverse("services:open-month-request-decline", args=[r.centre.slug, r.pk])


def _waiting(centre, clerk):
    return OpenMonthRequest.objects.create(
        centre=centre,
        first_month=D(2025, 1, 1),
        last_month=D(2025, 3, 1),
        reason="补录开业前数据",
        requested_by=clerk,
    )


def test_the_grid_says_in_words_why_months_are_locked(client, clerk, centre):
    client.force_login(clerk)
    page = client.get(reverse("services:tally-grid", args=[centre.slug, 2025, "medical"]))
    text = page.content.decode()
    assert "2025年1月–12月已锁定：每月在月末后 30 天锁定，如需修改请申请开放。" in text
    ask = reverse("services:open-month-request", args=[centre.slug])
    assert f"{ask}?first_month=2025-01&amp;last_month=2025-12" in text
    assert "申请开放月份" in text


def test_locked_spans_run_together_and_stop_at_this_month(centre):
    ctx = LockContext.load(centre, D(2026, 3, 16))
    states = [(D(2026, m, 1), lock_state(D(2026, m, 1), ctx)) for m in range(1, 13)]
    # January closed on 3 March (31 Jan + 30 days); February is open until 30 March.
    spans = locked_spans(states, D(2026, 3, 16))
    assert [(s.label, s.reopenable) for s in spans] == [("2026年1月", True)]


def test_the_request_form_checks_the_months_and_the_reason(client, clerk, centre):
    client.force_login(clerk)
    # The factory's centre reports since January 2020; 12 months before: January 2019.
    response = _ask(client, centre, first_month="2018-12", last_month="2026-04", reason="")
    text = response.content.decode()
    assert response.status_code == 200
    assert "本中心的数据自2019年1月起；请选择此后的月份。" in text
    assert "尚未开始的月份不能申请开放。" in text
    assert "这个字段是必填项。" in text
    assert 'value="2018-12"' in text  # the form keeps what was typed
    response = _ask(client, centre, first_month="2025-05", last_month="2025-02", reason="更正")
    assert "截止月份早于起始月份。" in response.content.decode()
    assert not OpenMonthRequest.objects.exists()


def test_request_then_grant_opens_the_months(client, clerk, reviewer, centre):
    client.force_login(clerk)
    response = _ask(client, centre, first_month="2025-01", last_month="2025-03", reason="补录")
    assert response.status_code == 302
    r = OpenMonthRequest.objects.get()
    assert (r.status, r.requested_by, r.first_month, r.last_month) == (
        "pending",
        clerk,
        D(2025, 1, 1),
        D(2025, 3, 1),
    )
    assert lock_state(D(2025, 2, 1), LockContext.load(centre, D(2026, 3, 16))).locked
    assert waiting([centre.sponsor_id]) == 1
    page = client.get(reverse("services:lock-exceptions", args=[centre.slug]))
    assert "待审批" in page.content.decode()

    client.force_login(reviewer)
    queue = client.get(reverse("services:open-month-requests", args=[centre.sponsor.slug]))
    assert _grant_url(r) in queue.content.decode()
    response = client.post(_grant_url(r))
    assert response.status_code == 302

    r.refresh_from_db()
    assert (r.status, r.decided_by, r.decided_at) == ("granted", reviewer, dt.datetime.now(dt.UTC))
    exception = LockException.objects.get()
    assert r.exception == exception
    assert (exception.first_month, exception.last_month, exception.open_until) == (
        D(2025, 1, 1),
        D(2025, 3, 1),
        D(2026, 4, 15),  # 16 March + 30 days
    )
    ctx = LockContext.load(centre, D(2026, 3, 16))
    assert not lock_state(D(2025, 2, 1), ctx).locked
    assert lock_state(D(2025, 4, 1), ctx).locked
    actions_logged = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "services.open_month_request.created",
        "services.open_month_request.granted",
        "services.lock_exception.granted",
    } <= actions_logged
    assert waiting([centre.sponsor_id]) == 0

    client.force_login(clerk)  # the clerk now saves a value in February 2025
    saved = client.post(
        reverse("services:tally-cell", args=[centre.slug]),
        {"indicator": "opd_visits", "period": "2025-02-01", "value": "80", "base": ""},
    )
    assert "已锁定" not in saved.content.decode()
    page = client.get(reverse("services:lock-exceptions", args=[centre.slug]))
    assert "已开放" in page.content.decode()


def test_decline_needs_a_reason_and_the_centre_reads_it(client, clerk, reviewer, centre):
    r = _waiting(centre, clerk)
    client.force_login(reviewer)
    response = client.post(_decline_url(r), {"reason": ""})
    assert response.status_code == 200 and "这个字段是必填项。" in response.content.decode()
    r.refresh_from_db()
    assert r.status == "pending"
    response = client.post(_decline_url(r), {"reason": "请先核对原始台账"})
    assert response.status_code == 302
    r.refresh_from_db()
    assert (r.status, r.decline_reason, r.decided_by) == ("declined", "请先核对原始台账", reviewer)
    entry = AuditEntry.objects.get(action="services.open_month_request.declined")
    assert entry.changes["reason"] == "请先核对原始台账" and entry.centre == centre
    assert not LockException.objects.exists()
    client.force_login(clerk)
    page = client.get(reverse("services:lock-exceptions", args=[centre.slug]))
    assert "未予开放" in page.content.decode() and "请先核对原始台账" in page.content.decode()
    # A decided request is not decided again.
    client.force_login(reviewer)
    client.post(_grant_url(r))
    assert not LockException.objects.exists()


def test_another_commissions_reviewer_gets_404(client, clerk, centre, other_district):
    r = _waiting(centre, clerk)
    other = UserFactory(username="otherreviewer")
    AuthorityMembershipFactory(user=other, authority=other_district)
    client.force_login(other)
    assert client.post(_grant_url(r)).status_code == 404
    assert client.post(_decline_url(r), {"reason": "x"}).status_code == 404
    their_list = client.get(reverse("services:open-month-requests", args=[other_district.slug]))
    assert r.centre.name not in their_list.content.decode()
    assert (
        client.get(reverse("services:open-month-requests", args=[centre.sponsor.slug])).status_code
        == 404
    )
    # A request of a centre of theirs is not reachable under ours either.
    r.refresh_from_db()
    assert r.status == "pending"


def test_nobody_grants_their_own_request(client, centre, district):
    both = UserFactory(username="both")
    CentreMembershipFactory(user=both, centre=centre, role=CentreMembership.Role.CLERK)
    AuthorityMembershipFactory(user=both, authority=district)
    client.force_login(both)
    _ask(client, centre, first_month="2025-01", last_month="2025-01", reason="补录")
    r = OpenMonthRequest.objects.get()
    assert client.post(_grant_url(r)).status_code == 403
    queue = client.get(reverse("services:open-month-requests", args=[district.slug]))
    assert _grant_url(r) not in queue.content.decode()
    with pytest.raises(DomainError, match="不能审批自己提交的申请"):
        actions.open_month_request_grant(request=r, actor=both)
    r.refresh_from_db()
    assert r.status == "pending" and not LockException.objects.exists()


def test_waiting_requests_are_counted_per_commission(clerk, centre, district, other_district):
    _waiting(centre, clerk)
    other = CentreFactory(sponsor=other_district)
    OpenMonthRequest.objects.create(
        centre=other, first_month=D(2025, 1, 1), last_month=D(2025, 1, 1), reason="x"
    )
    OpenMonthRequest.objects.create(
        centre=other,
        first_month=D(2025, 2, 1),
        last_month=D(2025, 2, 1),
        reason="y",
        status=OpenMonthRequest.Status.DECLINED,
    )
    assert waiting([district.pk]) == 1
    assert waiting([other_district.pk]) == 1
    assert waiting([district.pk, other_district.pk]) == 2
    assert open_month_requests_by_centre([]) == {}


def test_a_second_request_for_the_same_months_waits_for_the_first(clerk, centre):
    _waiting(centre, clerk)
    with pytest.raises(DomainError, match="已有待处理的申请"):
        actions.open_month_request_create(
            centre=centre,
            first_month=D(2025, 3, 1),
            last_month=D(2025, 4, 1),
            reason="更正",
            actor=clerk,
        )


def test_asking_for_months_that_are_open_or_frozen_is_refused(client, clerk, centre):
    client.force_login(clerk)
    # February 2026 is still open (it locks on 30 March): nothing to ask for.
    response = _ask(client, centre, first_month="2026-02", last_month="2026-02", reason="补录")
    assert response.status_code == 200
    assert "这些月份目前可以填报，请直接录入，无需申请开放。" in response.content.decode()
    # An approved year: no exception reopens it, so asking would only mislead.
    FrozenYear.objects.create(centre=centre, year=2025)
    response = _ask(client, centre, first_month="2025-03", last_month="2025-04", reason="更正")
    assert "2025年度报告已审核通过，该年数据已锁定" in response.content.decode()
    assert 'value="2025-03"' in response.content.decode()
    assert not OpenMonthRequest.objects.exists()
    # A range reaching a locked month of an open year may be asked for.
    response = _ask(client, centre, first_month="2024-12", last_month="2025-01", reason="更正")
    assert response.status_code == 302


def test_a_request_whose_year_was_approved_meanwhile_is_not_granted(
    client, clerk, reviewer, centre
):
    r = _waiting(centre, clerk)
    FrozenYear.objects.create(centre=centre, year=2025)
    client.force_login(reviewer)
    response = client.post(_grant_url(r), follow=True)
    assert "2025年度报告已审核通过，该年数据已锁定" in response.content.decode()
    r.refresh_from_db()
    assert r.status == "pending" and not LockException.objects.exists()
    # The reviewer declines it instead.
    client.post(_decline_url(r), {"reason": "年报已审核通过"})
    r.refresh_from_db()
    assert r.status == "declined"


def test_a_request_whose_months_opened_meanwhile_is_still_granted(clerk, reviewer, centre):
    r = _waiting(centre, clerk)
    actions.lock_exception_grant(
        centre=centre,
        first_month=D(2025, 1, 1),
        last_month=D(2025, 3, 1),
        open_until=D(2026, 3, 20),
        reason="另行开放",
        actor=reviewer,
    )
    granted = actions.open_month_request_grant(request=r, actor=reviewer)
    assert granted.status == "granted" and granted.exception.open_until == D(2026, 4, 15)


def test_two_reviewers_deciding_at_once_decide_once(clerk, reviewer, centre, district):
    """Each view loaded the request while it waited; the action re-reads it under its row lock."""
    second = UserFactory(username="secondreviewer")
    AuthorityMembershipFactory(user=second, authority=district)
    r = _waiting(centre, clerk)
    seen_by_first, seen_by_second = (OpenMonthRequest.objects.get(pk=r.pk) for _ in range(2))
    actions.open_month_request_decline(request=seen_by_first, reason="请核对", actor=reviewer)
    with pytest.raises(DomainError, match="该申请已处理"):
        actions.open_month_request_grant(request=seen_by_second, actor=second)
    assert not LockException.objects.exists()
    r = _waiting(centre, clerk)
    seen_by_first, seen_by_second = (OpenMonthRequest.objects.get(pk=r.pk) for _ in range(2))
    actions.open_month_request_grant(request=seen_by_first, actor=reviewer)
    with pytest.raises(DomainError, match="该申请已处理"):
        actions.open_month_request_grant(request=seen_by_second, actor=second)
    with pytest.raises(DomainError, match="该申请已处理"):
        actions.open_month_request_decline(request=seen_by_second, reason="x", actor=second)
    assert LockException.objects.count() == 1
    r.refresh_from_db()
    assert (r.status, r.decided_by) == ("granted", reviewer)


def test_the_pages_say_how_long_a_grant_opens_the_months(
    client, clerk, reviewer, centre, monkeypatch
):
    monkeypatch.setattr("services.open_month_views.OPEN_REQUEST_DAYS", 14)
    client.force_login(clerk)
    page = client.get(reverse("services:open-month-request", args=[centre.slug]))
    assert "开放后的月份可修改 14 天。" in page.content.decode()
    client.force_login(reviewer)
    page = client.get(reverse("services:open-month-requests", args=[centre.sponsor.slug]))
    assert "同意后这些月份开放 14 天。" in page.content.decode()


def test_the_request_lists_name_people_not_logins(client, clerk, reviewer, centre):
    """申请人 and 审批人 read as people know each other (李录入, 区审核员), as the history does."""
    r = _waiting(centre, clerk)
    actions.open_month_request_decline(request=r, actor=reviewer, reason="已过期")
    client.force_login(reviewer)
    queue = client.get(reverse("services:open-month-requests", args=[centre.sponsor.slug]))
    client.force_login(clerk)
    own = client.get(reverse("services:lock-exceptions", args=[centre.slug]))
    for body in (queue.content.decode(), own.content.decode()):
        assert "李录入" in body and "区审核员" in body
        assert ">clerk<" not in body and "reviewer " not in body


def test_a_new_centre_may_ask_for_all_of_the_year_of_its_first_annual_report(client, district):
    """Started in this system in March 2026 with a 12-month window (April 2025 on opens by
    itself): it may still ask for January–March 2025, the rest of the year its first annual
    report is about; a centre founded in June 2025 may not ask for May."""
    new = CentreFactory(sponsor=district, slug="new", reporting_since=D(2026, 3, 1))
    user = UserFactory(username="newmanager")
    CentreMembershipFactory(user=user, centre=new, role=CentreMembership.Role.MANAGER)
    client.force_login(user)
    response = _ask(client, new, first_month="2025-01", last_month="2025-03", reason="补录")
    assert response.status_code == 302
    assert OpenMonthRequest.objects.get(centre=new).first_month == D(2025, 1, 1)
    founded = CentreFactory(
        sponsor=district, slug="founded", reporting_since=D(2026, 3, 1), founded_on=D(2025, 6, 9)
    )
    CentreMembershipFactory(user=user, centre=founded, role=CentreMembership.Role.MANAGER)
    response = _ask(client, founded, first_month="2025-05", last_month="2025-05", reason="补录")
    assert "本中心的数据自2025年6月起；请选择此后的月份。" in response.content.decode()
