"""With CHC_MEDIA_STORAGE=s3 the PDFs live in an S3-compatible object store (here moto's in-process
S3): a worker writes there, any app server reads from there, nothing touches the local
folder, and an object deleted behind the app's back gives a 404 and a new chance."""

from __future__ import annotations

import boto3
import pytest
from django.core.files.storage import storages
from django.urls import reverse

from centers.access import Access
from centers.permissions import MANAGER
from reporting import actions
from reporting.models import ReportRun
from reporting.tasks import filing_render_pdf_task

pytestmark = pytest.mark.django_db
M = Access(frozenset({MANAGER}))
BUCKET = "chc-media"


@pytest.fixture
def s3(settings, tmp_path):
    from moto import mock_aws

    with mock_aws():
        keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        client = boto3.client("s3", region_name="us-east-1", **keys)
        client.create_bucket(Bucket=BUCKET)
        settings.MEDIA_ROOT = tmp_path  # must stay empty
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": "us-east-1",
                    "access_key": "test",
                    "secret_key": "test",
                    "location": "chc",
                    "addressing_style": "path",
                    "default_acl": None,
                    "file_overwrite": False,
                },
            },
        }
        storages._storages.clear()  # the handler caches backends; settings changed under it
        yield client
        storages._storages.clear()


def test_a_pdf_goes_to_the_object_store_and_is_served_from_it(
    client, s3, ready, manager, fake_pdf, tmp_path
):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    version = filing.versions.get()
    assert filing_render_pdf_task.delay(version_id=version.pk).get() == ReportRun.Status.DONE
    run = ReportRun.objects.get()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [f"chc/{run.file.name}"] and list(tmp_path.iterdir()) == []
    client.force_login(manager)
    url = reverse("reporting:pdf-download", args=[ready.centre.slug, ready.year])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 fake"
    s3.delete_object(Bucket=BUCKET, Key=keys[0])
    assert client.get(url).status_code == 404
    run.refresh_from_db()
    assert run.retryable
