"""Work handed to Celery goes through the outbox: a broker that is down fails no step, and once it
is back every hand-off goes out (rollups refreshed, each mail sent once, the PDF made)."""

from __future__ import annotations

import datetime as dt
import smtplib
from unittest import mock

import pytest
from celery import current_app
from django.urls import reverse
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as BrokerDown

from centers.access import Access
from centers.permissions import MANAGER
from core import outbox
from core.models import OutboxMessage
from reporting import actions
from reporting.models import AnnualFiling, FilingEvent, ReportRun
from reporting.tasks import notify_filing_event_task

pytestmark = pytest.mark.django_db
M = Access(frozenset({MANAGER}))
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def broker(settings):
    """A real broker's behaviour: publishing raises while `down` is true, else runs the task."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    state = {"down": True, "published": []}

    def send_task(name, kwargs=None, **options):
        if state["down"]:
            raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        state["published"].append((name, kwargs))
        state.setdefault("countdowns", []).append(options.get("countdown"))
        import_string(name).apply(kwargs=kwargs, throw=True)

    with mock.patch.object(current_app, "send_task", side_effect=send_task):
        yield state


def _sweep_later(time_machine) -> int:
    time_machine.move_to(dt.datetime.now(tz=dt.UTC) + outbox.GRACE + dt.timedelta(seconds=1))
    return outbox.flush()


def test_a_submission_succeeds_with_the_broker_down_and_its_work_follows(
    client,
    ready,
    manager,
    reviewer,
    broker,
    mailoutbox,
    django_capture_on_commit_callbacks,
    time_machine,
    fake_pdf,
):
    reviewer.email = "reviewer@example.org"
    reviewer.save()
    client.force_login(manager)
    url = reverse("reporting:filing-submit", args=[ready.centre.slug, ready.year])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert AnnualFiling.objects.get().status == AnnualFiling.Status.SUBMITTED
    # Two hand-offs (mail and PDF) wait in the outbox; nothing was sent, nothing was lost.
    assert outbox.pending() == 2 and mailoutbox == []
    assert ReportRun.objects.count() == 0

    assert _sweep_later(time_machine) == 0  # still down: nothing lost, tried again later
    broker["down"] = False
    assert _sweep_later(time_machine) == 2
    assert outbox.pending() == 0 and len(mailoutbox) == 1
    assert ReportRun.objects.get().status == ReportRun.Status.DONE
    # A second delivery of the same messages (a redelivered task) mails nobody twice.
    for name, kwargs in broker["published"]:
        import_string(name).apply(kwargs=kwargs, throw=True)
    assert len(mailoutbox) == 1 and fake_pdf.call_count == 1


def test_a_hand_off_that_goes_through_is_marked_sent_at_once(
    ready, manager, broker, django_capture_on_commit_callbacks, fake_pdf
):
    broker["down"] = False
    with django_capture_on_commit_callbacks(execute=True):
        actions.filing_submit(filing=ready, actor=manager, access=M)
    assert outbox.pending() == 0
    assert sorted(n.rsplit(".", 1)[1] for n, _ in broker["published"]) == [
        "filing_render_pdf_task",
        "notify_filing_event_task",
    ]


def test_a_save_queues_one_refresh_that_waits_for_the_saves_after_it(
    broker, centre, manager, settings, time_machine, django_capture_on_commit_callbacks
):
    """The refresh is published with CHC_ROLLUP_REFRESH_DELAY; saves meanwhile queue nothing."""
    from services.actions import tally_save
    from services.models import Indicator

    settings.CHC_ROLLUP_REFRESH_DELAY = 2
    broker["down"] = False
    time_machine.move_to(dt.datetime(2024, 4, 10, 12, 0, tzinfo=dt.UTC))  # March is open
    opd = Indicator.objects.get(code="opd_visits")
    with mock.patch("services.rollups.refresh", return_value=0):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            for value in ("100", "200", "300"):
                tally_save(
                    centre=centre,
                    indicator=opd,
                    period=dt.date(2024, 3, 1),
                    raw=value,
                    actor=manager,
                )
        assert OutboxMessage.objects.filter(key=f"rollups:{centre.pk}").count() == 1
        for callback in callbacks:
            callback()
    assert broker["published"] == [
        ("services.tasks.refresh_rollups_task", {"centre_id": centre.pk})
    ]
    assert broker["countdowns"] == [2]


def test_the_sweeper_sends_one_message_per_key(broker, time_machine):
    from django.db import transaction

    with mock.patch("services.rollups.refresh", return_value=0) as refresh:
        for _ in range(5):
            with transaction.atomic():
                outbox.enqueue("services.tasks.refresh_rollups_task", key="rollups:7", centre_id=7)
        assert outbox.pending() == 5
        broker["down"] = False
        assert _sweep_later(time_machine) == 1
    assert outbox.pending() == 0 and refresh.call_count == 1
    assert OutboxMessage.objects.filter(sent_at__isnull=False).count() == 5


@pytest.mark.parametrize(
    "error", [smtplib.SMTPServerDisconnected("gone"), ConnectionRefusedError("refused")]
)
def test_mail_is_retried_when_the_server_is_briefly_away(ready, manager, reviewer, error):
    reviewer.email = "reviewer@example.org"
    reviewer.save()
    actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    event = FilingEvent.objects.get(to_status=AnnualFiling.Status.SUBMITTED)
    FilingEvent.objects.filter(pk=event.pk).update(mailed_at=None)  # as if not yet mailed
    with mock.patch("reporting.notifications.send_mail", side_effect=[error, 1]) as send:
        # Eager tasks raise Retry to their caller unless told not to; the retry then runs inline.
        result = notify_filing_event_task.apply(kwargs={"event_id": event.pk}, throw=False)
    assert send.call_count == 2 and result.successful() and result.get() == 1
    event.refresh_from_db()
    assert event.mailed_at is not None


def test_a_mail_whose_message_the_broker_lost_is_sent_once_by_the_sweeper(
    ready, manager, reviewer, mailoutbox, time_machine, django_capture_on_commit_callbacks
):
    reviewer.email = "reviewer@example.org"
    reviewer.save()
    # Published, then lost: the broker restarted before a worker took it.
    lost = mock.patch("reporting.tasks.notify_filing_event_task.apply", return_value=None)
    with lost, django_capture_on_commit_callbacks(execute=True):
        actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    assert mailoutbox == [] and outbox.pending() == 0
    assert actions.filing_mails_resume() == 0  # too early: its own message may still come
    time_machine.move_to(dt.datetime.now(tz=dt.UTC) + actions.LOST_MAIL * 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.filing_mails_resume() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.filing_mails_resume() == 0  # claimed now: never twice
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["reviewer@example.org"]


def test_a_centre_whose_refresh_was_lost_is_refreshed_by_the_sweeper(
    district_data, time_machine, django_capture_on_commit_callbacks
):
    from services.models import RollupState
    from services.rollups import (
        LOST_REFRESH,
        build,
        fresh_centres,
        mark_changed,
        queue_lost_refreshes,
    )

    a = district_data["a"]
    build([a.pk])
    with django_capture_on_commit_callbacks(execute=False):  # the refresh message is lost
        mark_changed(a.pk, [2024])
    assert a.pk not in fresh_centres([a.pk]) and queue_lost_refreshes() == 0
    time_machine.move_to(dt.datetime.now(tz=dt.UTC) + LOST_REFRESH * 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_lost_refreshes() == 1
    state = RollupState.objects.get(centre=a)
    assert state.built == state.changed and a.pk in fresh_centres([a.pk])
