"""The health check answers for the database and nothing else."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_ok(client):
    response = client.get("/healthz/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_healthz_reports_a_dead_database(client):
    with mock.patch("core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz/")
    assert response.status_code == 503 and response.json() == {"status": "unavailable"}
