"""A zip bomb and an honest roster handed to a real Celery worker over the local Redis: the bomb
is refused within seconds, the worker lives on, the honest file is checked after it and the site
answers meanwhile. PostgreSQL only (the worker shares the test database), as in CI."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from centers.models import Department
from config import celery_app
from core.models import ImportJob
from core.tasks import import_check_task
from core.tests.test_imports import bomb
from staff.tests.test_excel_import import GOOD, workbook

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_bomb_is_refused_in_seconds_by_a_real_worker_while_others_work(
    worker, centre, manager, client
):
    from conftest import BROKER

    queue, process, log = worker
    Department.objects.create(
        centre=centre, name="全科门诊", kind="clinical", opened_on=dt.date(2019, 1, 1)
    )
    jobs = [
        ImportJob.objects.create(
            kind="roster", centre=centre, filename=name, file=ContentFile(content, name=name)
        )
        for name, content in (("bomb.xlsx", bomb(megabytes=200)), ("花名册.xlsx", workbook(GOOD)))
    ]
    started = time.monotonic()
    with celery_app.connection_for_write(BROKER) as broker:
        for job in jobs:
            import_check_task.apply_async(kwargs={"job_id": job.pk}, queue=queue, connection=broker)
    client.force_login(manager)
    while time.monotonic() - started < 60:
        assert client.get(reverse("staff:roster", args=[centre.slug])).status_code == 200
        if not any(ImportJob.objects.get(pk=j.pk).busy for j in jobs):
            break
        assert process.poll() is None, log.read_text()[-3000:]
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    bad, good = (ImportJob.objects.get(pk=j.pk) for j in jobs)
    assert bad.status == ImportJob.Status.FAILED, (bad.status, bad.errors, log.read_text()[-3000:])
    assert "压缩炸弹" in bad.errors[0]
    assert good.status == ImportJob.Status.PREVIEW and good.plan["summary"]["new_person"] == 1
    assert elapsed < 15, elapsed
    assert process.poll() is None  # the worker lives on
