"""A request to open months reaches its commission's reviewers, and its answer the person who
asked: in the app at once, by mail once (reporting.notifications.open_month_notify)."""

from __future__ import annotations

from django.urls import reverse

from reporting.models import Notification
from reporting.tasks import notifications_mail_task
from services import actions
from services.models import OpenMonthRequest
from services.tests.test_open_month_requests import (  # noqa: F401 (_today: the fixed day)
    _ask,
    _grant_url,
    _today,
    _waiting,
    pytestmark,
)


def test_the_reviewers_hear_of_a_request_and_the_asker_of_the_answer(
    client, clerk, reviewer, centre, mailoutbox, django_capture_on_commit_callbacks
):
    """In the app at once, by mail once: the commission's reviewer when 李录入 asks, 李录入
    when it is granted; a second delivery of the mail task sends nothing more."""
    clerk.email, reviewer.email = "clerk@example.org", "reviewer@example.org"
    clerk.save(), reviewer.save()
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, centre, first_month="2025-01", last_month="2025-03", reason="补录开业前数据")
    asked = Notification.objects.get(kind="open_month_asked")
    assert asked.recipient == reviewer and asked.read_at is None
    assert asked.title == "磁器口社区卫生服务中心申请开放2025-01–2025-03：补录开业前数据"
    assert [m.to for m in mailoutbox] == [["reviewer@example.org"]]
    assert mailoutbox[0].subject == asked.title
    client.force_login(reviewer)
    page = client.get(reverse("reporting:notifications")).content.decode()
    assert asked.title in page

    r = OpenMonthRequest.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_grant_url(r))
    answer = Notification.objects.get(kind="open_month_decided")
    assert answer.recipient == clerk
    assert answer.title == "磁器口社区卫生服务中心的2025-01–2025-03已开放。"
    assert answer.path == reverse("services:lock-exceptions", args=[centre.slug])
    assert [m.to for m in mailoutbox][-1] == ["clerk@example.org"] and len(mailoutbox) == 2
    assert notifications_mail_task(ids=[asked.pk, answer.pk]) == 0  # a second delivery
    assert len(mailoutbox) == 2


def test_a_declined_request_tells_the_asker_why(clerk, reviewer, centre):
    r = _waiting(centre, clerk)
    actions.open_month_request_decline(request=r, actor=reviewer, reason="已过补录期限")
    answer = Notification.objects.get(kind="open_month_decided", recipient=clerk)
    assert answer.title == "开放2025-01–2025-03的申请未获同意：已过补录期限"
