"""Work handed to Celery after commit: a committed step stands when the hand-off fails, and mail
is retried when the mail server is briefly unreachable."""

from __future__ import annotations

import logging
import smtplib
from unittest import mock

import pytest
from django.urls import reverse

from centers.access import Access
from centers.permissions import MANAGER
from reporting import actions
from reporting.models import AnnualFiling, FilingEvent
from reporting.tasks import notify_filing_event_task

pytestmark = pytest.mark.django_db
M = Access(frozenset({MANAGER}))


@pytest.mark.parametrize("task", ["notify_filing_event_task", "filing_render_pdf_task"])
def test_a_submission_stands_when_its_hand_off_fails(
    client, ready, manager, task, django_capture_on_commit_callbacks, caplog
):
    client.force_login(manager)
    url = reverse("reporting:filing-submit", args=[ready.centre.slug, ready.year])
    broken = mock.patch(f"reporting.tasks.{task}.delay", side_effect=ConnectionError("no broker"))
    with broken, django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url)
    assert response.status_code == 302 and len(callbacks) >= 2
    assert AnnualFiling.objects.get().status == AnnualFiling.Status.SUBMITTED
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and task in r.getMessage()]
    assert failures and failures[0].exc_info


@pytest.mark.parametrize(
    "error", [smtplib.SMTPServerDisconnected("gone"), ConnectionRefusedError("refused")]
)
def test_mail_is_retried_when_the_server_is_briefly_away(ready, manager, reviewer, error):
    reviewer.email = "reviewer@example.org"
    reviewer.save()
    actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    event = FilingEvent.objects.get(to_status=AnnualFiling.Status.SUBMITTED)
    with mock.patch("reporting.notifications.send_mail", side_effect=[error, 1]) as send:
        # Eager tasks raise Retry to their caller unless told not to; the retry then runs inline.
        result = notify_filing_event_task.apply(kwargs={"event_id": event.pk}, throw=False)
    assert send.call_count == 2 and result.successful() and result.get() == 1
