"""Liveness (/healthz/) touches nothing; readiness (/readyz/) asks the database, broker, storage."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.utils import OperationalError
from django.test import override_settings

from core import views

pytestmark = pytest.mark.django_db

CLOSED_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def test_healthz_answers_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_stays_up_when_the_database_is_down(client):
    with mock.patch("core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz/")
    assert response.status_code == 200


def test_readyz_ok(client):
    response = client.get("/readyz/")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok", body
    assert set(body["checks"]) == {"database", "broker", "storage"}
    assert all(c["ok"] and isinstance(c["ms"], float) for c in body["checks"].values())
    assert body["checks"]["broker"]["mode"] == "eager"
    assert "no-store" in response["Cache-Control"]
    # The probe file is gone again.
    probe_dir = settings.MEDIA_ROOT / "healthz"
    assert not probe_dir.exists() or not any(probe_dir.iterdir())


def _failed(response) -> dict:
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    return {name: c for name, c in body["checks"].items() if not c["ok"]}


def test_readyz_reports_a_dead_database(client):
    error = OperationalError("could not connect to db.internal:5432 as chc")
    with mock.patch("core.views.connection.cursor", side_effect=error):
        response = client.get("/readyz/")
    assert _failed(response) == {
        "database": {"ok": False, "ms": mock.ANY, "error": "query failed (OperationalError)"}
    }
    assert b"db.internal" not in response.content


def test_readyz_reports_storage_that_cannot_be_written(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device", "/srv/media/healthz")

    monkeypatch.setattr(default_storage, "save", refuse)
    response = client.get("/readyz/")
    failed = _failed(response)
    assert list(failed) == ["storage"]
    assert failed["storage"]["error"] == "write failed (OSError)"
    assert b"/srv/media" not in response.content


def test_readyz_reports_storage_that_cannot_be_read_and_cleans_up(client, monkeypatch):
    saved = []
    real_save = default_storage.save

    def save(name, content, **kwargs):
        saved.append(real_save(name, content, **kwargs))
        return saved[-1]

    monkeypatch.setattr(default_storage, "save", save)
    monkeypatch.setattr(default_storage, "open", mock.Mock(side_effect=PermissionError))
    failed = _failed(client.get("/readyz/"))
    assert failed["storage"]["error"] == "read failed (PermissionError)"
    assert saved and not default_storage.exists(saved[0])


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=CLOSED_BROKER)
def test_readyz_reports_an_unreachable_broker_quickly(client):
    started = time.monotonic()
    response = client.get("/readyz/")
    assert time.monotonic() - started < 3
    failed = _failed(response)
    assert list(failed) == ["broker"]
    assert failed["broker"]["error"].startswith("unreachable (")
    assert b"127.0.0.1" not in response.content


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://")
def test_readyz_connects_to_a_real_broker_when_not_eager(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"ok": True, "ms": mock.ANY}


def test_readyz_never_answers_500(client, monkeypatch):
    def boom():
        raise RuntimeError("unexpected, with a secret inside")

    monkeypatch.setitem(views.READINESS_CHECKS, "database", boom)
    failed = _failed(client.get("/readyz/"))
    assert failed["database"]["error"] == "failed (RuntimeError)"
