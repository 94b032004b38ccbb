"""Settings per environment: production passes check --deploy and refuses to start unconfigured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "k" + "9f3Jq!x7Lm2#Vb8zR1pT6wYc4NhD0sEaUgKoIiPlQeWr5tMnBv",
    "DJANGO_ALLOWED_HOSTS": "chc.example.org",
}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_passes_check_deploy_without_warnings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize(
    ("broker", "eager", "expected"),
    [("", "True", "memory://"), ("redis://127.0.0.1:6379/0", "False", "redis://127.0.0.1:6379/0")],
)
def test_celery_is_eager_without_a_broker_and_uses_redis_with_one(broker, eager, expected):
    code = (
        "import django; django.setup(); from config import celery_app as a; "
        "print(a.conf.task_always_eager, a.conf.broker_url)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.local"}
    if broker:
        env["CELERY_BROKER_URL"] = broker
    result = _run(["-c", code], env)
    assert result.stdout.split() == [eager, expected], result.stderr


def test_database_url_selects_postgres_through_psycopg3():
    code = (
        "import django; django.setup(); from django.db import connection as c; "
        "import psycopg; print(c.vendor, c.settings_dict['NAME'], c.settings_dict['CONN_MAX_AGE'], "
        "c.settings_dict['CONN_HEALTH_CHECKS'], psycopg.__version__[0])"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/chc",
    }
    result = _run(["-c", code], env)
    assert result.stdout.split() == ["postgresql", "chc", "60", "True", "3"], result.stderr


def test_default_database_is_a_sqlite_file():
    code = (
        "import django; django.setup(); from django.db import connection as c; "
        "print(c.vendor, c.settings_dict['NAME'])"
    )
    result = _run(["-c", code], {"DJANGO_SETTINGS_MODULE": "config.settings.local"})
    vendor, name = result.stdout.split()
    assert vendor == "sqlite" and name.endswith("db.sqlite3")


@pytest.mark.parametrize(
    ("cache", "engine"),
    [
        ("", "django.contrib.sessions.backends.db"),
        ("locmemcache://", "django.contrib.sessions.backends.db"),
        ("redis://127.0.0.1:6379/1", "core.sessions"),  # cached_db, one read with the memos
    ],
)
def test_sessions_are_read_from_the_cache_only_when_every_process_shares_it(cache, engine):
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SESSION_ENGINE)"
    env = dict(PRODUCTION_ENV)
    if cache:
        env["DJANGO_CACHE_URL"] = cache
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == engine


def test_production_collects_static_files_without_a_mail_address(tmp_path):
    """A missing CHC_SITE_URL is a mail problem (core/checks.py), never a reason for the build
    step or the pages to fail."""
    env = {
        **PRODUCTION_ENV,
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "CHC_SITE_URL": "",
        "DJANGO_STATIC_ROOT": str(tmp_path),
    }
    result = _run(["manage.py", "collectstatic", "--noinput", "-v0"], env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()
    code = "from django.conf import settings; print(repr(settings.SITE_URL))"
    shown = _run(["manage.py", "shell", "-c", code], env)
    assert shown.stdout.strip().splitlines()[-1] == "''", shown.stderr
