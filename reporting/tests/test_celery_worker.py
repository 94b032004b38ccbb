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
def worker():
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database, which needs PostgreSQL (CI runs it)")
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    queue = f"chc-test-{uuid.uuid4().hex[:8]}"
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
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager, conf.broker_url = False, BROKER
    try:
        yield queue, process
    finally:
        conf.task_always_eager, conf.broker_url = saved
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_real_worker_renders_the_pdf(worker, centre):
    queue, process = worker
    filing = AnnualFiling.objects.create(centre=centre, year=2024, status="submitted")
    version = FilingVersion.objects.create(
        filing=filing, number=1, content={"name": centre.name, "narrative": "测试"}
    )
    filing_render_pdf_task.apply_async(kwargs={"version_id": version.pk}, queue=queue)
    deadline = time.monotonic() + 90
    run = None
    while time.monotonic() < deadline:
        run = ReportRun.objects.filter(version=version).first()
        if run and run.status in (ReportRun.Status.DONE, ReportRun.Status.FAILED):
            break
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.5)
    assert run is not None and run.status == ReportRun.Status.DONE, run and run.error
    with run.file.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert run.seconds is not None and run.seconds < 30
