"""Daily reminders: each sent once, on the right side of the due day, linked to the site's address."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from centers.models import Licence
from core.tests.test_settings import PRODUCTION_ENV, _run
from reporting import reminders
from reporting.models import AnnualFiling, Notification
from reporting.tasks import reminders_task
from services.models import MonthReport

pytestmark = pytest.mark.django_db
K = Notification.Kind
CQ = dt.timezone(dt.timedelta(hours=8))


def at(month: int, day: int, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, 8, 0, tzinfo=CQ)


@pytest.fixture
def staffed(centre, manager, clerk):
    """磁器口 (founded 2020) with a manager and a clerk who both have mail."""
    centre.founded_on = dt.date(2020, 1, 1)
    centre.save()
    manager.email, clerk.email = "manager@example.org", "clerk@example.org"
    manager.save()
    clerk.save()
    return centre


def _kinds() -> list[tuple[str, str, str]]:
    return sorted(Notification.objects.values_list("recipient__username", "kind", "key"))


def test_run_twice_on_one_day_sends_once(staffed, mailoutbox):
    # 8 February: January's tallies are due on the 10th; the reminder opens on the 7th.
    assert reminders.reminders_send(today=dt.date(2025, 2, 8)) == 2
    assert reminders.reminders_send(today=dt.date(2025, 2, 8)) == 0
    assert sorted(m.to[0] for m in mailoutbox) == ["clerk@example.org", "manager@example.org"]
    key = f"{staffed.pk}:2025-01"
    assert _kinds() == [("clerk", K.TALLY_DUE, key), ("manager", K.TALLY_DUE, key)]
    assert mailoutbox[0].subject == "磁器口社区卫生服务中心：2025-01月报请于2025-02-10前报送。"


def test_across_the_due_day_reminder_before_and_notice_after(staffed, mailoutbox):
    with time_machine.travel(at(2, 6), tick=False):
        assert reminders_task.delay().get() == 0  # 4 days early: nothing yet
    with time_machine.travel(at(2, 9), tick=False):
        assert reminders_task.delay().get() == 2
    with time_machine.travel(at(2, 10), tick=False):
        assert reminders_task.delay().get() == 0  # the due day itself: reminded already
    with time_machine.travel(at(2, 11), tick=False):
        assert reminders_task.delay().get() == 2
    with time_machine.travel(at(2, 12), tick=False):
        assert reminders_task.delay().get() == 0
    subjects = [m.subject for m in mailoutbox if m.to == ["manager@example.org"]]
    assert subjects == [
        "磁器口社区卫生服务中心：2025-01月报请于2025-02-10前报送。",
        "磁器口社区卫生服务中心：2025-01月报应于2025-02-10前报送，现已逾期。",
    ]


def test_a_reported_month_gets_no_reminder(staffed, mailoutbox):
    MonthReport.objects.create(centre=staffed, period=dt.date(2025, 1, 1))
    assert reminders.reminders_send(today=dt.date(2025, 2, 11)) == 0
    assert mailoutbox == []


def test_annual_report_30_and_7_days_before_31_march(staffed, manager, mailoutbox):
    for m in (1, 2):  # tallies done
        MonthReport.objects.create(centre=staffed, period=dt.date(2025, m, 1))
    assert reminders.reminders_send(today=dt.date(2025, 2, 28)) == 0  # 31 days before
    assert reminders.reminders_send(today=dt.date(2025, 3, 1)) == 1  # 30 days: managers only
    assert reminders.reminders_send(today=dt.date(2025, 3, 20)) == 0
    assert reminders.reminders_send(today=dt.date(2025, 3, 24)) == 1  # 7 days
    assert reminders.reminders_send(today=dt.date(2025, 3, 31)) == 0
    key = f"{staffed.pk}:2024"
    assert _kinds() == [("manager", K.FILING_DUE_30, key), ("manager", K.FILING_DUE_7, key)]
    assert mailoutbox[0].subject == "磁器口社区卫生服务中心：2024年度报告请于2025-03-31前提交。"


def test_a_submitted_report_gets_no_deadline_reminder(staffed, mailoutbox):
    MonthReport.objects.create(centre=staffed, period=dt.date(2025, 2, 1))
    AnnualFiling.objects.create(centre=staffed, year=2024, status=AnnualFiling.Status.SUBMITTED)
    assert reminders.reminders_send(today=dt.date(2025, 3, 24)) == 0


def test_expiry_warnings_at_90_and_30_days(staffed, mailoutbox):
    for m in (5, 6, 7):  # tallies done
        MonthReport.objects.create(centre=staffed, period=dt.date(2025, m, 1))
    licence = Licence.objects.create(
        centre=staffed, name="医疗机构执业许可证", valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2025, 9, 1),
    )  # fmt: skip
    assert reminders.reminders_send(today=dt.date(2025, 6, 2)) == 0  # 91 days
    assert reminders.reminders_send(today=dt.date(2025, 6, 3)) == 1  # 90 days
    assert reminders.reminders_send(today=dt.date(2025, 7, 1)) == 0
    assert reminders.reminders_send(today=dt.date(2025, 8, 2)) == 1  # 30 days
    assert reminders.reminders_send(today=dt.date(2025, 8, 20)) == 0
    key = f"licence:{licence.pk}:2025-09-01"
    assert _kinds() == [("manager", K.EXPIRY_30, key), ("manager", K.EXPIRY_90, key)]
    assert mailoutbox[0].subject == "磁器口社区卫生服务中心：医疗机构执业许可证将于2025-09-01到期。"
    assert reverse("centers:licence-list", args=[staffed.slug]) in mailoutbox[0].body


@override_settings(SITE_URL="https://chc.example.gov.cn/")
def test_mail_links_use_the_site_address(staffed, mailoutbox):
    reminders.reminders_send(today=dt.date(2025, 2, 8))
    link = "https://chc.example.gov.cn" + reverse("services:tally-home", args=[staffed.slug])
    assert mailoutbox[0].body.splitlines()[-1] == link


def test_production_links_follow_the_site_not_port_8000():
    env = {**PRODUCTION_ENV, "CHC_SITE_URL": ""}
    code = "from django.conf import settings; print(settings.SITE_URL)"
    result = _run(["manage.py", "shell", "-c", code], {**env})
    assert result.stdout.strip().splitlines()[-1] == "https://chc.example.org", result.stderr


def test_notifications_page_is_the_users_own(client, staffed, manager, clerk):
    reminders.reminders_send(today=dt.date(2025, 2, 8))
    mine = Notification.objects.get(recipient=clerk)
    theirs = Notification.objects.get(recipient=manager)
    theirs.title = "只给管理员看的通知"
    theirs.save()
    client.force_login(clerk)
    html = client.get(reverse("reporting:notifications")).content.decode()
    assert mine.title in html and "只给管理员看的通知" not in html
    # The header's badge (fetched after the page) counts one unread.
    badge = reverse("reporting:notifications-unread")
    assert f'id="notifications-link">通知<span hx-get="{badge}"' in html
    assert client.get(badge).content.decode().strip() == (
        '<span class="badge badge-expiring" id="unread-count">1</span>'
    )
    # Marking the manager's notification from the clerk's session changes nothing.
    client.post(reverse("reporting:notifications-read"), {"pk": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("reporting:notifications-read"), {"pk": mine.pk})
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get(badge).content.decode().strip() == ""  # none unread
    client.post(reverse("reporting:notifications-read"), {"pk": "abc"})  # nonsense: no 500
    client.force_login(manager)
    client.post(reverse("reporting:notifications-read"))
    theirs.refresh_from_db()
    assert theirs.read_at is not None
