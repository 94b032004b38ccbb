"""A filing's PDF rendered by a real Celery worker over the local Redis (eager mode hides retries,
ordering and the after-commit hand-over). Runs on PostgreSQL, as in CI; the worker uses the same
test database."""

from __future__ import annotations

import os
import time

import pytest

from config import celery_app
from reporting.models import AnnualFiling, FilingVersion, ReportRun
from reporting.tasks import filing_render_pdf_task

BROKER = os.environ.get("CHC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_real_worker_renders_the_pdf(worker, centre):
    queue, process, log = worker
    filing = AnnualFiling.objects.create(centre=centre, year=2024, status="submitted")
    version = FilingVersion.objects.create(
        filing=filing, number=1, content={"name": centre.name, "narrative": "测试"}
    )
    # Earlier tests ran the app eagerly on memory://; publish through a connection of our own.
    with celery_app.connection_for_write(BROKER) as broker:
        filing_render_pdf_task.apply_async(
            kwargs={"version_id": version.pk}, queue=queue, connection=broker
        )
    deadline = time.monotonic() + 90
    run = None
    while time.monotonic() < deadline:
        run = ReportRun.objects.filter(version=version).first()
        if run and run.status in (ReportRun.Status.DONE, ReportRun.Status.FAILED):
            break
        assert process.poll() is None, log.read_text()
        time.sleep(0.5)
    assert run is not None and run.status == ReportRun.Status.DONE, log.read_text()[-3000:]
    assert (
        "filing_render_pdf_task" in log.read_text() and "succeeded" in log.read_text()
    )  # it ran there
    with run.file.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert run.seconds is not None and run.seconds < 30
