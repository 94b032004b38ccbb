"""PDF runs: a run whose worker died (or that was never queued) is queued again by beat and can be
tried again by hand after a short stall, a claimed run is never rendered twice, a file store that
refuses the file says so and keeps nothing, and a file gone from storage gives a 404 and a new
chance, not a 500."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from centers.access import Access
from centers.permissions import MANAGER
from core.models import OutboxMessage
from reporting import actions
from reporting.models import FilingVersion, ReportRun, stuck_after
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
def test_a_stuck_run_offers_a_retry_within_seconds_and_renders_again(
    client, manager, version, fake_render, status, django_capture_on_commit_callbacks, settings
):
    assert (
        stuck_after()
        == dt.timedelta(seconds=settings.PDF_STALL_SECONDS)
        <= dt.timedelta(seconds=30)
    )
    stale = _ago(stuck_after() + dt.timedelta(seconds=1))
    run = ReportRun.objects.create(version=version, status=status, started_at=stale)
    client.force_login(manager)
    polled = client.get(_url(version, "pdf-status"), **HX)
    body = polled.content.decode()
    # It keeps asking, more slowly, since beat will queue it again by itself.
    assert polled.status_code == 200 and "every 5s" in body
    assert "重试" in body and "比平常长" in body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(version, "pdf-request"), **HX)
    run.refresh_from_db()
    assert run.status == DONE and fake_render.call_count == 1
    assert run.started_at > stale
    download = client.get(_url(version, "pdf-download"))
    assert download.status_code == 200 and b"".join(download.streaming_content) == FAKE_PDF


def test_beat_requeues_a_run_whose_worker_died_and_gives_up_after_the_limit(
    version, fake_render, django_capture_on_commit_callbacks, settings
):
    settings.PDF_MAX_ATTEMPTS = 2
    # A worker claimed it (attempt 1) and was killed mid-render.
    run = ReportRun.objects.create(
        version=version, status=RUNNING, started_at=_ago(stuck_after() * 2), attempts=1
    )
    fresh = ReportRun.objects.create(
        version=FilingVersion.objects.create(filing=version.filing, number=2, content={}),
        status=RUNNING,
        started_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.report_runs_resume() == 1  # the fresh one is left alone
    run.refresh_from_db()
    assert (run.status, run.attempts, fake_render.call_count) == (DONE, 2, 1)
    fresh.refresh_from_db()
    assert fresh.status == RUNNING
    # A run whose renders died PDF_MAX_ATTEMPTS times fails, so the page stops asking.
    ReportRun.objects.filter(pk=run.pk).update(status=RUNNING, started_at=_ago(stuck_after() * 2))
    assert actions.report_runs_resume() == 0
    run.refresh_from_db()
    assert run.status == FAILED and not run.in_progress


def test_a_late_worker_cannot_overwrite_a_newer_claim(version, fake_render):
    run = ReportRun.objects.create(
        version=version, status=RUNNING, started_at=_ago(stuck_after() * 2)
    )
    assert filing_render_pdf_task.delay(version_id=version.pk).get() == DONE
    run.refresh_from_db()
    assert run.status == DONE and run.attempts == 1 and run.file.storage.exists(run.file.name)


def test_an_unwritable_store_says_so_keeps_no_file_and_can_be_retried(
    client, manager, version, fake_render, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(manager)
    full = mock.patch(
        "django.core.files.storage.FileSystemStorage._save",
        side_effect=OSError(28, "No space left on device"),
    )
    with full, django_capture_on_commit_callbacks(execute=True):
        client.post(_url(version, "pdf-request"), **HX)
    response = client.get(_url(version, "pdf-status"), **HX)
    run = ReportRun.objects.get()
    assert run.status == FAILED and run.storage_error and not run.file
    body = response.content.decode()
    assert response.status_code == 286 and "文件存储" in body and "重试" in body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(version, "pdf-request"), **HX)
    run.refresh_from_db()
    assert run.status == DONE
    # Exactly one file, the run's: the failed attempt left nothing behind.
    assert [p.name for p in (tmp_path / "filings").iterdir()] == [run.file.name.split("/")[-1]]


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


def test_a_request_while_the_broker_is_down_waits_in_the_outbox(
    client, manager, version, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    client.force_login(manager)
    down = mock.patch("celery.current_app.send_task", side_effect=ConnectionError("no broker"))
    with down, django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(version, "pdf-request"), **HX)
    assert response.status_code == 200 and ReportRun.objects.get().status == Q
    waiting = OutboxMessage.objects.filter(sent_at=None, task__endswith="render_pdf_task")
    assert waiting.count() == 1 and "no broker" in waiting.get().last_error


def test_a_download_whose_file_is_gone_is_404_and_offers_a_new_pdf(client, manager, version):
    run = ReportRun.objects.create(version=version, status=DONE, started_at=timezone.now())
    run.file.save("gone.pdf", ContentFile(FAKE_PDF))
    run.file.storage.delete(run.file.name)
    client.force_login(manager)
    assert client.get(_url(version, "pdf-download")).status_code == 404
    run.refresh_from_db()
    assert run.status == FAILED and not run.file
    assert "重试" in client.get(_url(version, "pdf-status"), **HX).content.decode()
