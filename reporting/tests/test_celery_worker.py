"""A filing's PDF rendered by a real Celery worker over the local Redis (eager mode hides retries,
ordering and the after-commit hand-over). Runs on PostgreSQL, as in CI; the worker uses the same
test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from config import celery_app
from reporting.models import AnnualFiling, FilingVersion, ReportRun
from reporting.tasks import filing_render_pdf_task

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CHC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database, which needs PostgreSQL (CI runs it)")
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    queue = f"chc-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CHC_CELERY_EAGER": "0",
        "CELERY_BROKER_URL": BROKER,
        "DATABASE_URL": _database_url(),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),  # a file, not a pipe: a full pipe would stall the worker
        stderr=subprocess.STDOUT,
    )
    conf = celery_app.conf
    eager = conf.task_always_eager
    conf.task_always_eager = False  # send to the broker instead of running in this process
    try:
        yield queue, process, log
    finally:
        conf.task_always_eager = eager
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


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
