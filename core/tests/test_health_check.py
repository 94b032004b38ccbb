"""The per-request health check (core/postgresql): no `SELECT 1` on a connection used a moment
ago while the server is quiet; the real check on one idle for a while, and a new connection once
the server has ended the old one."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection, connections

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the backend is PostgreSQL's"
)


def _checked(monkeypatch) -> list[bool]:
    """Start a request's health check as Django does; record each real check's answer."""
    calls: list[bool] = []
    wrapper = connections["default"]
    real = type(wrapper).is_usable

    def is_usable(self):
        calls.append(real(self))
        return calls[-1]

    monkeypatch.setattr(type(wrapper), "is_usable", is_usable)
    monkeypatch.setattr(wrapper, "health_check_enabled", True)
    wrapper.health_check_done = False
    return calls


def _pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_quiet_connection_is_kept_without_a_round_trip(monkeypatch):
    before = _pid()
    calls = _checked(monkeypatch)
    assert _pid() == before
    assert calls == []
    assert connection.health_check_done


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_is_checked_and_replaced(monkeypatch):
    before = _pid()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [before])
        # Terminating only signals the backend: wait until it has said goodbye and gone.
        for _ in range(500):
            gone = admin.execute("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity"
                                 " WHERE pid = %s)", [before]).fetchone()[0]  # fmt: skip
            if gone:
                break
            time.sleep(0.01)
    calls = _checked(monkeypatch)
    try:
        after = _pid()  # no error: the check found the connection gone and opened another
    finally:
        if (
            connections["default"].connection is not None
            and connections["default"].connection.broken
        ):
            connections["default"].close()  # the tests after this one get a working connection
    assert after != before
    assert calls == [False]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_idle_for_a_while_gets_the_real_check(monkeypatch):
    before = _pid()
    monkeypatch.setattr(connections["default"], "_used_at", time.monotonic() - 60)
    calls = _checked(monkeypatch)
    assert _pid() == before
    assert calls == [True]


@postgresql_only
@pytest.mark.django_db
def test_inside_a_transaction_the_real_check_runs(monkeypatch):
    _pid()
    calls = _checked(monkeypatch)
    _pid()
    assert calls == [True]
