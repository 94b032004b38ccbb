"""A process memo is rebuilt exactly when its version moves, and never keeps uncommitted data."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache
from django.db import transaction

from core import memo

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(settings):
    settings.CHC_PROCESS_MEMO = True
    cache.delete("memo-version:test")
    built = []
    value = memo.Versioned("test", lambda: built.append(1) or len(built))
    yield value, built
    memo._ALL.remove(value)


def test_built_once_then_kept_until_a_committed_change(counted, django_capture_on_commit_callbacks):
    value, built = counted
    assert (value.get(), value.get(), value.get()) == (1, 1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        memo.changed("test")
    assert (value.get(), value.get()) == (2, 2) and len(built) == 2


def test_another_process_bump_is_seen_through_the_cache(counted):
    value, _built = counted
    assert value.get() == 1
    cache.set("memo-version:test", "moved by another process", timeout=None)
    assert (value.get(), value.get()) == (2, 2)


def test_inside_the_writing_transaction_nothing_is_kept(counted):
    value, _built = counted
    assert value.get() == 1
    with transaction.atomic():
        memo.changed("test")  # not committed: reads here may see the writer's own rows
        assert (value.get(), value.get()) == (2, 3)
        transaction.set_rollback(True)
    # Rolled back: the version did not move, and nothing of the transaction was kept.
    assert value._value is None


def test_a_failing_cache_builds_afresh_every_time(counted):
    value, _built = counted
    with mock.patch.object(cache, "get", side_effect=ConnectionError("redis is down")):
        assert (value.get(), value.get()) == (1, 2)


def test_values_older_than_max_age_are_rebuilt(counted):
    value, _built = counted
    value.max_age = 10
    with mock.patch("core.memo.time.monotonic", side_effect=[100.0, 105.0, 111.0, 112.0]):
        assert [value.get() for _ in range(4)] == [1, 1, 2, 2]


def test_without_a_shared_cache_every_read_builds(counted, settings):
    value, _built = counted
    settings.CHC_PROCESS_MEMO = False
    assert (value.get(), value.get()) == (1, 2)


def test_a_request_reads_every_version_once_in_one_round_trip(counted, settings):
    value, built = counted
    other = memo.Versioned("test-other", lambda: "other")
    try:
        cache.set_many({"memo-version:test": "v1", "memo-version:test-other": "w1"}, timeout=None)
        known = cache.get_many([f"memo-version:{m.name}" for m in memo._ALL])
        memo.request_started()
        with (
            mock.patch.object(cache, "get_many", return_value=known) as get_many,
            mock.patch.object(cache, "get", side_effect=AssertionError("one GET per read")),
        ):
            assert (value.get(), other.get(), value.get(), other.get()) == (1, "other", 1, "other")
        assert get_many.call_count == 1
        # Another process's bump is seen by the next request, not halfway through this one.
        cache.set("memo-version:test", "moved by another process", timeout=None)
        assert value.get() == 1
        memo.request_finished()
        memo.request_started()
        assert value.get() == 2 and len(built) == 2
    finally:
        memo.request_finished()
        memo._ALL.remove(other)


def test_a_change_committed_in_the_request_is_read_in_it(
    counted, django_capture_on_commit_callbacks
):
    value, _built = counted
    memo.request_started()
    try:
        assert value.get() == 1
        with django_capture_on_commit_callbacks(execute=True):
            memo.changed("test")
        assert (value.get(), value.get()) == (2, 2)
    finally:
        memo.request_finished()


def test_requests_through_the_client_start_and_end_a_snapshot(client):
    client.get("/healthz/")
    assert getattr(memo._REQUEST, "versions", None) is None


def test_the_session_and_the_versions_come_in_one_cache_read(counted):
    """core.sessions: the session's read brings the versions; the memo reads no more."""
    from django.core.cache import caches

    from core.sessions import SessionStore

    value, built = counted
    stored = SessionStore()
    stored["who"] = "clerk"
    stored.save()  # into the database and the cache
    cache.set("memo-version:test", "v1", timeout=None)
    default = caches["default"]
    real_many, real_get, inside = default.get_many, default.get, []

    def many(keys, *args, **kwargs):  # a local cache reads each key of a GET MANY with get()
        inside.append(keys)
        try:
            return real_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    def single(key, *args, **kwargs):
        assert inside, f"a read of its own: {key}"
        return real_get(key, *args, **kwargs)

    memo.request_started()
    try:
        with (
            mock.patch.object(default, "get_many", side_effect=many) as get_many,
            mock.patch.object(default, "get", side_effect=single),
        ):
            session = SessionStore(stored.session_key)
            assert session["who"] == "clerk"
            assert value.get() == 1 and built == [1]
        assert get_many.call_count == 1, get_many.call_args_list
        assert {session.cache_key, "memo-version:test"} <= set(get_many.call_args.args[0])
    finally:
        memo.request_finished()


def test_a_session_the_cache_lost_is_read_from_the_database():
    from core.sessions import SessionStore

    stored = SessionStore()
    stored["who"] = "clerk"
    stored.save()
    cache.delete(stored.cache_key)
    memo.request_started()
    try:
        assert SessionStore(stored.session_key)["who"] == "clerk"
    finally:
        memo.request_finished()
    assert cache.get(stored.cache_key) == {"who": "clerk"}  # refilled, as cached_db does
