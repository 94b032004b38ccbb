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
from centers.tests.factories import (
    AuthorityMembershipFactory,
    CentreFactory,
    CentreMembershipFactory,
    UserFactory,
)
from core.periods import add_months
from core.tests.test_settings import PRODUCTION_ENV, _run
from reporting import notifications, reminders
from reporting.models import AnnualFiling, FilingEvent, Notification
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
def test_production_deploy_check_refuses_a_site_without_a_usable_address(hosts, site, says):
    env = {**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": hosts, "CHC_SITE_URL": site}
    result = _run(["manage.py", "check", "--deploy"], env)
    assert result.returncode != 0
    assert "CHC_SITE_URL must be set in production" in result.stderr and says in result.stderr
    # Everything else still works: the plain checks warn, static files collect, pages serve.
    plain = _run(["manage.py", "check"], env)
    assert plain.returncode == 0 and "chc.W001" in plain.stderr + plain.stdout


def test_production_site_address_skips_loopback_hosts():
    env = {
        **PRODUCTION_ENV,
        "DJANGO_ALLOWED_HOSTS": "localhost,chc.example.org",
        "CHC_SITE_URL": "",
    }
    code = "from django.conf import settings; print(settings.SITE_URL)"
    result = _run(["manage.py", "shell", "-c", code], env)
    assert result.stdout.strip().splitlines()[-1] == "https://chc.example.org", result.stderr


# --- The reviewers' digests: centres behind with their tallies, reports waiting for review -----


def _mailed(user) -> None:
    user.email = f"{user.username}@example.org"
    user.save()


@pytest.fixture
def behind(centre, district, other_centre, other_district, reviewer, city_reviewer):
    """磁器口 reported to November 2024 (owes December and January), 甲中心 is up to date (January
    reported late, on 11 February), 杨家坪 (the other district, founded June 2024) reported
    nothing: it owes June 2024 to January 2025, 8 months. No centre has people: only reviewers
    hear. The other district's reviewer is `other_reviewer`."""
    up_to_date = CentreFactory(name="甲中心", sponsor=district, founded_on=dt.date(2024, 1, 1))
    centre.founded_on = up_to_date.founded_on
    centre.save()
    other_centre.founded_on = dt.date(2024, 6, 15)
    other_centre.save()
    for m in range(1, 12):
        MonthReport.objects.create(centre=centre, period=dt.date(2024, m, 1))
    for m in range(1, 14):  # to January 2025
        MonthReport.objects.create(centre=up_to_date, period=add_months(dt.date(2024, 1, 1), m - 1))
    other = UserFactory(username="otherreviewer")
    AuthorityMembershipFactory(user=other, authority=other_district)
    for user in (reviewer, city_reviewer, other):
        _mailed(user)
    return {"up_to_date": up_to_date, "other_reviewer": other}


def test_digests_cost_the_same_queries_for_more_centres(staffed, district, behind, mailoutbox):
    # 11 February: January overdue (everyone), April's licences (managers), three digests.
    _city(district, 2)
    few = _queries(dt.date(2025, 2, 11))
    assert len(mailoutbox) == 2 + 2 * 3 + 3
    _city(district, 6)
    Notification.objects.all().delete()
    mailoutbox.clear()
    assert _queries(dt.date(2025, 2, 11)) == few
    assert len(mailoutbox) == 2 + 8 * 3 + 3


def _digests(user, kind=K.REVIEW_TALLIES) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("key"))


def test_reviewer_digest_names_the_centres_behind_and_the_months_owed(
    behind, reviewer, district, mailoutbox
):
    assert reminders.reminders_send(today=dt.date(2025, 2, 10)) == 0  # the due day: not yet
    assert reminders.reminders_send(today=dt.date(2025, 2, 11)) == 3  # district, city, other
    assert reminders.reminders_send(today=dt.date(2025, 2, 11)) == 0
    assert reminders.reminders_send(today=dt.date(2025, 2, 12)) == 0  # once a month
    (note,) = _digests(reviewer)
    assert note.key == f"{district.pk}:2025-01"
    assert note.title == "重庆市沙坪坝区卫生健康委员会：辖区内1个中心2025-01月报逾期未报。"
    assert note.body == "磁器口社区卫生服务中心：未报2个月"  # not 甲中心, nor 杨家坪
    (mail,) = [m for m in mailoutbox if m.to == ["reviewer@example.org"]]
    assert mail.subject == note.title
    link = "http://127.0.0.1:8000" + reverse("services:completeness", args=[district.slug, 2025])
    assert mail.body.splitlines() == [note.title, note.body, link]
    assert len(mailoutbox) == 3


def test_city_reviewer_digest_covers_every_district_below(behind, city_reviewer, city):
    reminders.reminders_send(today=dt.date(2025, 2, 11))
    (note,) = _digests(city_reviewer)
    assert note.title == "重庆市卫生健康委员会：辖区内2个中心2025-01月报逾期未报。"
    # In name order; 杨家坪 owes June 2024 to January 2025.
    assert note.body.splitlines() == [
        "杨家坪社区卫生服务中心：未报8个月",
        "磁器口社区卫生服务中心：未报2个月",
    ]
    assert note.path == reverse("services:completeness", args=[city.slug, 2025])


def test_reviewer_whose_centres_are_up_to_date_gets_nothing(
    behind, reviewer, other_centre, mailoutbox
):
    for m in range(6, 14):  # 杨家坪 catches up, June 2024 to January 2025
        MonthReport.objects.create(
            centre=other_centre, period=add_months(dt.date(2024, 1, 1), m - 1)
        )
    assert reminders.reminders_send(today=dt.date(2025, 2, 11)) == 2  # district and city
    assert _digests(behind["other_reviewer"]) == []
    assert "otherreviewer@example.org" not in [m.to[0] for m in mailoutbox]
    assert [n.body for n in _digests(reviewer)] == ["磁器口社区卫生服务中心：未报2个月"]


def test_no_digest_when_nothing_is_overdue(behind, centre, other_centre, mailoutbox):
    MonthReport.objects.create(centre=centre, period=dt.date(2024, 12, 1))
    MonthReport.objects.create(centre=centre, period=dt.date(2025, 1, 1))
    for m in range(6, 14):
        MonthReport.objects.create(
            centre=other_centre, period=add_months(dt.date(2024, 1, 1), m - 1)
        )
    assert reminders.reminders_send(today=dt.date(2025, 2, 11)) == 0
    assert mailoutbox == []


def test_a_centre_behind_only_on_older_months_is_not_in_the_digest(
    behind, reviewer, centre, mailoutbox
):
    # 磁器口 marks January but not December: last month is reported, so it is not listed.
    MonthReport.objects.create(centre=centre, period=dt.date(2025, 1, 1))
    reminders.reminders_send(today=dt.date(2025, 2, 11))
    assert _digests(reviewer) == []


def test_next_month_brings_a_new_digest(behind, reviewer, district):
    reminders.reminders_send(today=dt.date(2025, 2, 11))
    assert reminders.reminders_send(today=dt.date(2025, 3, 10)) == 0  # February due today
    reminders.reminders_send(today=dt.date(2025, 3, 11))
    first, second = _digests(reviewer)
    assert (first.key, second.key) == (f"{district.pk}:2025-01", f"{district.pk}:2025-02")
    # 磁器口 now owes December, January and February; 甲中心 has not reported February either.
    assert second.body.splitlines() == ["甲中心：未报1个月", "磁器口社区卫生服务中心：未报3个月"]


def test_a_reviewer_of_a_city_and_a_district_below_it_hears_once(behind, reviewer, city):
    AuthorityMembershipFactory(user=reviewer, authority=city)
    reminders.reminders_send(today=dt.date(2025, 2, 11))
    (note,) = _digests(reviewer)
    assert note.key == f"{city.pk}:2025-01"


def test_digests_appear_on_the_reviewers_notifications_page(client, behind, reviewer):
    reminders.reminders_send(today=dt.date(2025, 2, 11))
    client.force_login(reviewer)
    html = client.get(reverse("reporting:notifications")).content.decode()
    assert "辖区内1个中心2025-01月报逾期未报。" in html
    assert "磁器口社区卫生服务中心：未报2个月" in html


def _submitted(centre, year: int, *steps: tuple[str, dt.datetime]) -> AnnualFiling:
    """A report whose steps (status, when) happened at those times; it ends in the last one."""
    filing = AnnualFiling.objects.create(centre=centre, year=year, status=steps[-1][0])
    for status, when in steps:
        event = FilingEvent.objects.create(filing=filing, to_status=status)
        FilingEvent.objects.filter(pk=event.pk).update(created_at=when)
    return filing


@pytest.fixture
def waiting(centre, district, other_centre, reviewer, city_reviewer):
    """Reports of 2024: 磁器口's returned once, submitted again at 00:30 on 1 April (31 March in
    UTC); 乙中心's submitted on 2 April; 丙中心's submitted and approved; 杨家坪 (the other
    district) submitted on 1 April."""
    S = AnnualFiling.Status
    yi = CentreFactory(name="乙中心", sponsor=district)
    bing = CentreFactory(name="丙中心", sponsor=district)
    _submitted(
        centre, 2024, (S.SUBMITTED, at(3, 20)), (S.RETURNED, at(3, 25)),
        (S.SUBMITTED, dt.datetime(2025, 4, 1, 0, 30, tzinfo=CQ)),
    )  # fmt: skip
    _submitted(yi, 2024, (S.SUBMITTED, at(4, 2)))
    _submitted(bing, 2024, (S.SUBMITTED, at(4, 1)), (S.APPROVED, at(4, 3)))
    _submitted(other_centre, 2024, (S.SUBMITTED, at(4, 1)))
    for m in (1, 2, 3):  # tallies done everywhere: only the reports are late
        for c in (centre, yi, bing, other_centre):
            MonthReport.objects.create(centre=c, period=dt.date(2025, m, 1))
    _mailed(reviewer)
    _mailed(city_reviewer)
    return yi


def test_reports_waiting_more_than_7_days_reach_the_reviewers_once(
    waiting, reviewer, district, mailoutbox
):
    assert reminders.reminders_send(today=dt.date(2025, 4, 8)) == 0  # 7 days: not more
    assert reminders.reminders_send(today=dt.date(2025, 4, 9)) == 2  # district and city
    assert reminders.reminders_send(today=dt.date(2025, 4, 9)) == 0
    assert reminders.reminders_send(today=dt.date(2025, 4, 10)) == 2  # 乙中心, submitted 2 April
    assert reminders.reminders_send(today=dt.date(2025, 4, 11)) == 0
    first, second = _digests(reviewer, K.REVIEW_FILINGS)
    assert first.key == f"{district.pk}:2025-04-09"
    assert first.title == "重庆市沙坪坝区卫生健康委员会：1份年度报告已提交超过7天，尚待审核。"
    assert first.body == "磁器口社区卫生服务中心：2024年度报告，2025-04-01提交"
    assert second.body == "乙中心：2024年度报告，2025-04-02提交"
    filings = reverse("reporting:authority-filings", args=[district.slug, 2024])
    assert first.path == f"{filings}?state=submitted"
    mine = [m for m in mailoutbox if m.to == ["reviewer@example.org"]]
    assert [m.subject for m in mine] == [first.title, second.title]
    assert mine[0].body.splitlines()[-1] == "http://127.0.0.1:8000" + first.path


def test_city_reviewer_hears_of_reports_of_every_district(waiting, city_reviewer):
    reminders.reminders_send(today=dt.date(2025, 4, 9))
    (note,) = _digests(city_reviewer, K.REVIEW_FILINGS)
    assert note.title == "重庆市卫生健康委员会：2份年度报告已提交超过7天，尚待审核。"
    assert note.body.splitlines() == [
        "杨家坪社区卫生服务中心：2024年度报告，2025-04-01提交",
        "磁器口社区卫生服务中心：2024年度报告，2025-04-01提交",
    ]


def test_a_decided_report_is_not_put_to_the_reviewers(waiting, reviewer):
    AnnualFiling.objects.filter(centre=waiting).update(status=AnnualFiling.Status.RETURNED)
    reminders.reminders_send(today=dt.date(2025, 4, 10))
    assert [n.body for n in _digests(reviewer, K.REVIEW_FILINGS)] == [
        "磁器口社区卫生服务中心：2024年度报告，2025-04-01提交"  # missed on the 9th, still goes
    ]


def test_a_missed_run_catches_up_for_7_days_only(waiting, reviewer):
    # 磁器口's report passed 7 days on 9 April, 乙中心's on the 10th; the first run is on the 16th,
    # the 10th's seventh day, the 9th's eighth: 乙中心 alone, to the district and the city.
    assert reminders.reminders_send(today=dt.date(2025, 4, 16)) == 2
    assert [n.key.split(":")[1] for n in _digests(reviewer, K.REVIEW_FILINGS)] == ["2025-04-10"]
    assert _digests(reviewer, K.REVIEW_FILINGS)[0].body == "乙中心：2024年度报告，2025-04-02提交"
    assert reminders.reminders_send(today=dt.date(2025, 4, 17)) == 0
