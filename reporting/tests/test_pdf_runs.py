"""PDF runs: a run whose worker died (or that was never queued) can be tried again, a claimed run
is never rendered twice, and a file gone from disk gives a 404 and a new chance, not a 500."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from centers.access import Access
from centers.permissions import MANAGER
from reporting import actions
from reporting.models import ReportRun, stuck_after
from reporting.tasks import filing_render_pdf_task

pytestmark = pytest.mark.django_db
M = Access(frozenset({MANAGER}))
HX = {"HTTP_HX_REQUEST": "true"}
Q, RUNNING, DONE, FAILED = (
    ReportRun.Status.QUEUED,
    ReportRun.Status.RUNNING,
    ReportRun.Status.DONE,
    ReportRun.Status.FAILED,
)
FAKE_PDF = b"%PDF-1.4 fake"


@pytest.fixture
def version(ready, manager):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    return filing.versions.get()


@pytest.fixture
def fake_render():
    with mock.patch("reporting.pdf.report_pdf", return_value=FAKE_PDF) as render:
        yield render


def _url(version, name):
    return reverse(f"reporting:{name}", args=[version.filing.centre.slug, version.filing.year])


def _ago(delta: dt.timedelta) -> dt.datetime:
    return timezone.now() - delta


@pytest.mark.parametrize("status", [Q, RUNNING])
def test_a_run_stuck_past_the_time_limit_offers_a_retry_and_renders_again(
    client, manager, version, fake_render, status, django_capture_on_commit_callbacks
):
    stale = _ago(stuck_after() + dt.timedelta(minutes=1))
    run = ReportRun.objects.create(version=version, status=status, started_at=stale)
    client.force_login(manager)
    polled = client.get(_url(version, "pdf-status"), **HX)
    assert polled.status_code == 286  # htmx stops polling
    assert "重试" in polled.content.decode() and "hx-trigger" not in polled.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(version, "pdf-request"), **HX)
    run.refresh_from_db()
    assert run.status == DONE and fake_render.call_count == 1
    assert run.started_at > stale
    download = client.get(_url(version, "pdf-download"))
    assert download.status_code == 200 and b"".join(download.streaming_content) == FAKE_PDF


def test_a_run_without_started_at_counts_from_its_creation(version):
    run = ReportRun.objects.create(version=version, status=Q)
    assert not run.retryable
    ReportRun.objects.filter(pk=run.pk).update(created_at=_ago(stuck_after() * 2))
    run.refresh_from_db()
    assert run.stuck and run.retryable


def test_a_run_under_way_keeps_polling_and_is_not_queued_twice(client, manager, version):
    ReportRun.objects.create(version=version, status=RUNNING, started_at=timezone.now())
    client.force_login(manager)
    with mock.patch("reporting.tasks.filing_render_pdf_task.delay") as delay:
        response = client.post(_url(version, "pdf-request"), **HX)
    assert response.status_code == 200 and "hx-trigger" in response.content.decode()
    delay.assert_not_called()


def test_the_task_leaves_a_run_another_worker_has_claimed(version, fake_render):
    ReportRun.objects.create(version=version, status=RUNNING, started_at=timezone.now())
    assert filing_render_pdf_task.delay(version_id=version.pk).get() == RUNNING
    fake_render.assert_not_called()


def test_the_task_claims_a_queued_run_and_records_when(version, fake_render):
    assert filing_render_pdf_task.delay(version_id=version.pk).get() == DONE
    run = ReportRun.objects.get()
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert filing_render_pdf_task.delay(version_id=version.pk).get() == DONE  # idempotent
    assert fake_render.call_count == 1


def test_a_failed_hand_off_marks_the_run_failed_at_once(
    client, manager, version, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    broken = mock.patch(
        "reporting.tasks.filing_render_pdf_task.delay", side_effect=ConnectionError("no broker")
    )
    with broken, django_capture_on_commit_callbacks(execute=True):
        client.post(_url(version, "pdf-request"), **HX)
    assert ReportRun.objects.get().status == FAILED
    assert "重试" in client.get(_url(version, "pdf-status"), **HX).content.decode()


def test_a_download_whose_file_is_gone_is_404_and_offers_a_new_pdf(client, manager, version):
    run = ReportRun.objects.create(version=version, status=DONE, started_at=timezone.now())
    run.file.save("gone.pdf", ContentFile(FAKE_PDF))
    run.file.storage.delete(run.file.name)
    client.force_login(manager)
    assert client.get(_url(version, "pdf-download")).status_code == 404
    run.refresh_from_db()
    assert run.status == FAILED and not run.file
    assert "重试" in client.get(_url(version, "pdf-status"), **HX).content.decode()
