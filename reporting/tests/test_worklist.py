"""Finding the work: the reviewer's queue and the centre's to-do on their home pages."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from centers.models import CentreMembership, Licence
from centers.tests.factories import CentreFactory, CentreMembershipFactory
from reporting.models import AnnualFiling, Summary
from services.models import MonthReport

pytestmark = pytest.mark.django_db
S = AnnualFiling.Status
# 15 February 2025, Chongqing: January's tallies were due on the 10th.
TODAY = dt.datetime(2025, 2, 15, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def subtree(centre, district, other_centre):
    """Two centres under the district (one new in December 2024), one under the other district."""
    centre.founded_on = dt.date(2024, 1, 1)
    centre.save()
    newcomer = CentreFactory(name="新中心", sponsor=district, founded_on=dt.date(2024, 12, 15))
    other_centre.founded_on = dt.date(2024, 1, 1)
    other_centre.save()
    for m in range(1, 11):  # January–October 2024 reported; November on is not
        MonthReport.objects.create(centre=centre, period=dt.date(2024, m, 1))
    AnnualFiling.objects.create(centre=centre, year=2024, status=S.SUBMITTED)
    AnnualFiling.objects.create(centre=newcomer, year=2024, status=S.SUBMITTED)
    AnnualFiling.objects.create(centre=centre, year=2023, status=S.APPROVED)
    AnnualFiling.objects.create(centre=other_centre, year=2024, status=S.SUBMITTED)
    return newcomer


def _queue(client, user, authority, when=TODAY) -> str:
    """The commission's centre list, and the queue it loads after the page."""
    client.force_login(user)
    with time_machine.travel(when, tick=False):
        page = client.get(reverse("centers:authority-centre-list", args=[authority.slug]))
        queue_url = reverse("reporting:authority-queue", args=[authority.slug])
        queue = client.get(queue_url, HTTP_HX_REQUEST="true")
    assert page.status_code == queue.status_code == 200
    assert f'hx-get="{queue_url}"' in page.content.decode()
    return page.content.decode() + queue.content.decode()


def test_reviewer_queue_counts_their_subtree(client, reviewer, district, subtree):
    html = _queue(client, reviewer, district)
    filings = reverse("reporting:authority-filings", args=[district.slug, 2024])
    # 2024 submitted: 磁器口 and 新中心 (杨家坪 is another district's; 2023 is approved).
    assert f'<a href="{filings}?state=submitted">2024年度报告待审核</a>: <strong>2</strong>' in html
    assert "2023年度报告待审核" not in html
    # Overdue: 磁器口 Nov + Dec 2024 and 新中心 Dec 2024 → 3; January 2025 (due 10 Feb) both → 2.
    late_2024 = reverse("services:completeness", args=[district.slug, 2024])
    late_2025 = reverse("services:completeness", args=[district.slug, 2025])
    assert f'<a href="{late_2024}">2024年月报逾期未报（中心×月）</a>: <strong>3</strong>' in html
    assert f'<a href="{late_2025}">2025年月报逾期未报（中心×月）</a>: <strong>2</strong>' in html


def test_city_reviewer_queue_adds_the_other_district(client, city_reviewer, city, subtree):
    html = _queue(client, city_reviewer, city)
    # The districts review their own centres' reports: the city reads them, apart.
    assert "2024年度报告待审核</a>" not in html
    assert "2024年度报告待所属卫健委审核（仅供查看）</a>: <strong>3</strong>" in html
    # 杨家坪 reported nothing: 12 months of 2024 more, and January 2025.
    assert "2024年月报逾期未报（中心×月）</a>: <strong>15</strong>" in html
    assert "2025年月报逾期未报（中心×月）</a>: <strong>3</strong>" in html


def test_before_the_due_day_last_month_is_not_overdue(client, reviewer, district, subtree):
    html = _queue(client, reviewer, district, TODAY.replace(day=10))
    assert "2025年月报逾期未报" not in html


def test_reviewer_nav_links_the_annual_reports_list(client, reviewer, district, subtree):
    html = _queue(client, reviewer, district)
    # Annual reports are filed for the year before: in 2025, the 2024 list.
    url = reverse("reporting:authority-filings", args=[district.slug, 2024])
    assert f'href="{url}">年度报告</a>' in html


def _todo(client, user, centre, when=TODAY) -> str:
    client.force_login(user)
    with time_machine.travel(when, tick=False):
        page = client.get(reverse("centers:centre-detail", args=[centre.slug]))
        todo_url = reverse("reporting:centre-todo", args=[centre.slug])
        response = client.get(todo_url, HTTP_HX_REQUEST="true")
    assert page.status_code == response.status_code == 200
    assert f'hx-get="{todo_url}"' in page.content.decode()  # the overview loads it
    html = response.content.decode()
    return html[html.index('id="todo"') : html.index("</section>", html.index('id="todo"'))]


def test_centre_todo_lists_tallies_report_and_expiries(client, clerk, centre):
    centre.founded_on = dt.date(2020, 1, 1)
    centre.certificate_valid_from = dt.date(2020, 5, 1)
    centre.certificate_valid_to = dt.date(2025, 5, 1)  # 75 days ahead: within 90
    centre.save()
    Licence.objects.create(
        centre=centre, name="医疗机构执业许可证", valid_from=dt.date(2020, 4, 1),
        valid_to=dt.date(2025, 4, 1),
    )  # fmt: skip
    Licence.objects.create(
        centre=centre, name="放射诊疗许可证", valid_from=dt.date(2020, 4, 1),
        valid_to=dt.date(2025, 12, 31),
    )  # fmt: skip
    html = _todo(client, clerk, centre, TODAY.replace(day=5))
    slug = centre.slug
    assert f'<a href="{reverse("services:tally-home", args=[slug])}">2025年01月月报</a>' in html
    assert "截止 2025-02-10" in html
    assert f'<a href="{reverse("reporting:filing", args=[slug, 2024])}">2024年度报告</a>' in html
    assert "截止 2025-03-31" in html
    assert f'href="{reverse("centers:licence-list", args=[slug])}">续办：医疗机构执业许可证' in html
    assert "截止 2025-04-01" in html
    assert f'href="{reverse("centers:registration", args=[slug])}">续办：法人证书' in html
    assert "放射诊疗许可证" not in html  # expires in 10 months
    assert "逾期" not in html  # on the 5th nothing is late yet


def test_centre_todo_marks_late_and_drops_done(client, clerk, centre):
    centre.founded_on = dt.date(2020, 1, 1)
    centre.save()
    html = _todo(client, clerk, centre)
    assert "2025年01月月报" in html and "逾期" in html  # due the 10th, today the 15th
    MonthReport.objects.create(centre=centre, period=dt.date(2025, 1, 1))
    AnnualFiling.objects.create(centre=centre, year=2024, status=S.SUBMITTED)
    html = _todo(client, clerk, centre)
    assert "2025年01月月报" not in html and "2024年度报告" not in html
    assert "无待办事项" in html


def test_reviewer_queue_counts_open_month_requests(client, reviewer, district, subtree):
    from services.models import OpenMonthRequest

    other = CentreFactory(name="别区中心", sponsor=CentreFactory().sponsor)
    for c, status in (
        (subtree, OpenMonthRequest.Status.PENDING),
        (subtree, OpenMonthRequest.Status.DECLINED),  # decided: not waiting
        (other, OpenMonthRequest.Status.PENDING),  # another commission's centre
    ):
        OpenMonthRequest.objects.create(
            centre=c, first_month=dt.date(2024, 3, 1), last_month=dt.date(2024, 3, 1),
            reason="补录", status=status,
        )  # fmt: skip
    html = _queue(client, reviewer, district)
    url = reverse("services:open-month-requests", args=[district.slug])
    assert f'<a href="{url}">申请开放月份待处理</a>: <strong>1</strong>' in html


def test_the_queue_and_the_todo_take_a_fixed_number_of_queries(
    client, city_reviewer, clerk, city, centre, subtree, django_assert_max_num_queries
):
    """Loaded after the page, each in a handful of queries whatever the number of centres:
    3 for the login and the access check, then the reports to review, the summaries to review,
    the centres, their month reports and the open-month requests (the to-do: last month's
    report, the annual report and the licences)."""
    client.force_login(city_reviewer)
    with time_machine.travel(TODAY, tick=False), django_assert_max_num_queries(8):
        client.get(reverse("reporting:authority-queue", args=[city.slug]))
    client.force_login(clerk)
    with time_machine.travel(TODAY, tick=False), django_assert_max_num_queries(6):
        client.get(reverse("reporting:centre-todo", args=[centre.slug]))


def test_the_queue_counts_as_theirs_only_what_the_reviewer_may_act_on(
    client, city_reviewer, city, reviewer, district, centre, subtree
):
    from services.models import OpenMonthRequest

    own = CentreFactory(name="市直中心", slug="shizhi", sponsor=city)  # the city's own centre
    AnnualFiling.objects.create(centre=own, year=2024, status=S.SUBMITTED)
    for c in (own, centre):
        Summary.objects.create(
            centre=c, kind="year", first=dt.date(2024, 1, 1), last=dt.date(2024, 12, 1),
            title="2024年工作总结", status=Summary.Status.SUBMITTED,
        )  # fmt: skip
        OpenMonthRequest.objects.create(
            centre=c, first_month=dt.date(2024, 3, 1), last_month=dt.date(2024, 3, 1),
            reason="补录",
        )  # fmt: skip
    html = _queue(client, city_reviewer, city)
    filings = reverse("reporting:authority-filings", args=[city.slug, 2024]) + "?state=submitted"
    summaries = reverse("reporting:authority-summary-inbox", args=[city.slug])
    summaries += "?year=2024&amp;part=year"
    requests = reverse("services:open-month-requests", args=[city.slug])
    # Theirs: the city's own centre. The rest waits for the districts (centers.access's rule).
    for url, label, count in (
        (filings, "2024年度报告待审核", 1),
        (filings, "2024年度报告待所属卫健委审核（仅供查看）", 3),
        (summaries, "2024年工作总结待审核", 1),
        (summaries, "2024年工作总结待所属卫健委审核（仅供查看）", 1),
        (requests, "申请开放月份待处理", 1),
        (requests, "申请开放月份待所属卫健委处理（仅供查看）", 1),
    ):
        item = f'<a href="{url}">{label}</a>: <strong>{count}</strong></li>'
        assert (f'<li class="meta">{item}' if "仅供查看" in label else f"<li>{item}") in html
    # The district's reviewer acts on all of its centres: nothing is only to read.
    html = _queue(client, reviewer, district)
    assert "2024年度报告待审核</a>: <strong>2</strong>" in html and "仅供查看" not in html
    # Unless they hold a role at one: another reviewer of the district acts on that one.
    CentreMembershipFactory(user=reviewer, centre=centre, role=CentreMembership.Role.MANAGER)
    html = _queue(client, reviewer, district)
    assert "2024年度报告待审核</a>: <strong>1</strong>" in html
    assert "2024年度报告待所属卫健委审核（仅供查看）</a>: <strong>1</strong>" in html
    assert "2024年工作总结待所属卫健委审核（仅供查看）</a>: <strong>1</strong>" in html
