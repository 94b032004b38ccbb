"""Daily reminders: each sent once, on the right side of the due day, linked to the site's address."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from centers.models import CentreMembership, Licence
from centers.tests.factories import CentreFactory, CentreMembershipFactory, UserFactory
from core.tests.test_settings import PRODUCTION_ENV, _run
from reporting import notifications, reminders
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


# --- Cost, races, dead workers and missing addresses ------------------------------------------


def _city(sponsor, n: int) -> None:
    """n more centres, each with a manager and a clerk (with mail) and a licence near its end."""
    for _i in range(n):
        c = CentreFactory(sponsor=sponsor, founded_on=dt.date(2020, 1, 1))
        for role in (CentreMembership.Role.MANAGER, CentreMembership.Role.CLERK):
            user = UserFactory(email=f"u{c.pk}{role}@example.org")
            CentreMembershipFactory(user=user, centre=c, role=role)
        Licence.objects.create(
            centre=c,
            name="执业许可证",
            valid_from=dt.date(2020, 1, 1),
            valid_to=dt.date(2025, 4, 1),
        )


def _queries(today: dt.date) -> int:
    with CaptureQueriesContext(connection) as ctx:
        reminders.reminders_send(today=today)
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_centres_or_people(staffed, district, mailoutbox):
    # 8 February: January's tallies (everyone) and April's licences (managers) are due.
    _city(district, 2)
    few = _queries(dt.date(2025, 2, 8))
    assert len(mailoutbox) == 2 + 2 * 3
    _city(district, 6)
    Notification.objects.all().delete()
    mailoutbox.clear()
    assert _queries(dt.date(2025, 2, 8)) == few
    assert len(mailoutbox) == 2 + 8 * 3


def test_a_concurrent_run_that_recorded_them_first_is_neither_doubled_nor_an_error(
    staffed, mailoutbox, monkeypatch
):
    real = Notification.objects.bulk_create

    def other_run_first(objs, **kwargs):
        objs = list(objs)
        for o in objs:  # the other worker inserts between this run's look and its insert
            Notification.objects.create(
                recipient=o.recipient, kind=o.kind, key=o.key, title=o.title, path=o.path
            )
        return real(objs, **kwargs)

    monkeypatch.setattr(Notification.objects, "bulk_create", other_run_first)
    reminders.reminders_send(today=dt.date(2025, 2, 8))
    assert Notification.objects.count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["clerk@example.org", "manager@example.org"]
    monkeypatch.undo()
    assert reminders.reminders_send(today=dt.date(2025, 2, 8)) == 0
    assert len(mailoutbox) == 2


def test_a_claim_held_by_a_live_run_is_left_and_a_dead_workers_claim_is_mailed(
    staffed, manager, clerk, mailoutbox
):
    key = f"{staffed.pk}:2025-01"
    now = timezone.now()
    for user, claimed in ((manager, now), (clerk, now - reminders.CLAIM_TIMEOUT * 2)):
        Notification.objects.create(
            recipient=user, kind=K.TALLY_DUE, key=key, title="t", path="/", claimed_at=claimed
        )
    assert reminders.reminders_send(today=dt.date(2025, 2, 8)) == 0
    assert [m.to for m in mailoutbox] == [["clerk@example.org"]]  # the one whose worker died
    dead = Notification.objects.get(recipient=clerk)
    assert dead.mailed_at is not None
    assert Notification.objects.get(recipient=manager).mailed_at is None  # still the live run's


def test_a_refused_address_does_not_stop_the_others_and_is_tried_again(
    staffed, clerk, mailoutbox, monkeypatch
):
    real = notifications.send_notification_mail

    def refuse_clerk(note, **kwargs):
        if note.recipient == clerk:
            raise smtplib.SMTPRecipientsRefused({clerk.email: (550, b"no such user")})
        return real(note, **kwargs)

    monkeypatch.setattr(notifications, "send_notification_mail", refuse_clerk)
    assert reminders.reminders_send(today=dt.date(2025, 2, 8)) == 2
    assert [m.to for m in mailoutbox] == [["manager@example.org"]]
    refused = Notification.objects.get(recipient=clerk)
    assert (refused.claimed_at, refused.mailed_at) == (None, None)
    monkeypatch.undo()
    reminders.reminders_send(today=dt.date(2025, 2, 9))
    assert sorted(m.to[0] for m in mailoutbox) == ["clerk@example.org", "manager@example.org"]


def test_a_mail_server_that_is_away_stops_the_run_and_the_next_run_mails(
    staffed, mailoutbox, monkeypatch
):
    def away(note, **kwargs):
        raise ConnectionRefusedError("mail server away")

    monkeypatch.setattr(notifications, "send_notification_mail", away)
    with pytest.raises(ConnectionRefusedError):
        reminders.reminders_send(today=dt.date(2025, 2, 8))
    assert Notification.objects.filter(claimed_at=None, mailed_at=None).count() == 2  # released
    monkeypatch.undo()
    assert reminders.reminders_send(today=dt.date(2025, 2, 9)) == 0
    assert len(mailoutbox) == 2


def test_people_without_an_address_see_it_in_the_app_and_are_not_retried(
    staffed, clerk, mailoutbox
):
    clerk.email = ""
    clerk.save()
    assert reminders.reminders_send(today=dt.date(2025, 2, 8)) == 2
    assert [m.to for m in mailoutbox] == [["manager@example.org"]]
    unmailed = Notification.objects.get(recipient=clerk)
    assert (unmailed.claimed_at, unmailed.mailed_at) == (None, None)


# --- The notifications page and the badge -----------------------------------------------------


def _notes(user, n: int) -> list[Notification]:
    return Notification.objects.bulk_create(
        Notification(recipient=user, kind=K.TALLY_DUE, key=f"k{i}", title=f"第{i}条", path="/")
        for i in range(n)
    )


def test_notifications_page_is_paged_and_htmx_gets_the_list_alone(
    client, clerk, django_assert_max_num_queries
):
    _notes(clerk, 60)
    client.force_login(clerk)
    url = reverse("reporting:notifications")
    with django_assert_max_num_queries(8):
        first = client.get(url).content.decode()
    assert first.count('name="pk"') == 50 and "?page=2" in first
    second = client.get(url, {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert second.count('name="pk"') == 10 and "<html" not in second
    assert 'id="notification-list"' in second


def test_marking_another_persons_notification_is_a_404(client, clerk, manager):
    (theirs,) = _notes(manager, 1)
    client.force_login(clerk)
    url = reverse("reporting:notifications-read")
    assert client.post(url, {"pk": theirs.pk}).status_code == 404
    assert client.post(url, {"pk": "abc"}).status_code == 404
    assert client.post(url, {"pk": "9" * 40}).status_code == 404
    assert client.get(url).status_code == 405
    theirs.refresh_from_db()
    assert theirs.read_at is None
    (mine,) = _notes(clerk, 1)
    response = client.post(url, {"pk": mine.pk, "page": "3"})
    assert response.status_code == 302 and response.url.endswith("?page=3")
    # Twice (a double click) is still one's own: no 404.
    assert client.post(url, {"pk": mine.pk}).status_code == 302


def test_marking_read_needs_the_csrf_token(clerk):
    (mine,) = _notes(clerk, 1)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clerk)
    assert browser.post(reverse("reporting:notifications-read"), {"pk": mine.pk}).status_code == 403
    mine.refresh_from_db()
    assert mine.read_at is None


def test_the_unread_badge_costs_one_query_beyond_the_login(
    client, clerk, django_assert_num_queries
):
    _notes(clerk, 3)
    client.force_login(clerk)
    badge = reverse("reporting:notifications-unread")
    with django_assert_num_queries(3):  # the session, the user, the count
        assert ">3<" in client.get(badge).content.decode()
    client.logout()
    assert client.get(badge).status_code == 302
    assert "notifications-link" not in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize(
    ("hosts", "site", "says"),
    [
        ("*", "", "DJANGO_ALLOWED_HOSTS names no host to use"),
        ("localhost,127.0.0.1", "", "DJANGO_ALLOWED_HOSTS names no host to use"),
        ("chc.example.org", "chc.example.org", "it is 'chc.example.org'"),
    ],
)
def test_production_refuses_to_start_without_a_usable_site_address(hosts, site, says):
    env = {**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": hosts, "CHC_SITE_URL": site}
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "CHC_SITE_URL must be set in production" in result.stderr and says in result.stderr


def test_production_site_address_skips_loopback_hosts():
    env = {
        **PRODUCTION_ENV,
        "DJANGO_ALLOWED_HOSTS": "localhost,chc.example.org",
        "CHC_SITE_URL": "",
    }
    code = "from django.conf import settings; print(settings.SITE_URL)"
    result = _run(["manage.py", "shell", "-c", code], env)
    assert result.stdout.strip().splitlines()[-1] == "https://chc.example.org", result.stderr
