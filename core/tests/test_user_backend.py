"""The per-request user read (core.auth.UserBackend) gives what ModelBackend gives, in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection

from core import rawsql
from core.auth import UserBackend

pytestmark = pytest.mark.django_db


def make_user(**fields):  # core may not import the apps' factories
    fields.setdefault("username", f"user{get_user_model().objects.count()}")
    return get_user_model().objects.create_user(**fields)


def test_the_user_read_by_hand_equals_the_orm_one(django_assert_num_queries):
    user = make_user(username="彭娅", first_name="娅", email="p@example.cn", is_staff=True)
    with django_assert_num_queries(1):
        mine = UserBackend().get_user(user.pk)
    theirs = ModelBackend().get_user(user.pk)
    fields = [f.attname for f in type(user)._meta.concrete_fields]
    assert [getattr(mine, f) for f in fields] == [getattr(theirs, f) for f in fields]
    assert mine.last_login == theirs.last_login and mine.date_joined.tzinfo is not None
    assert not mine._state.adding and mine._state.db == "default"
    mine.first_name = "改名"
    mine.save(update_fields=["first_name"])  # an instance like any other
    assert type(user).objects.get(pk=user.pk).first_name == "改名"


def test_a_deactivated_or_deleted_user_is_nobody():
    user = make_user(is_active=False)
    assert UserBackend().get_user(user.pk) is None
    assert UserBackend().get_user(user.pk + 1000) is None


def test_signing_in_names_the_new_backend_and_old_sessions_stay_signed_in(client):
    user = make_user(username="clerk2")
    user.set_password("chc-demo-pass")
    user.save()
    client.post("/accounts/login/", {"username": "clerk2", "password": "chc-demo-pass"})
    assert client.session[BACKEND_SESSION_KEY] == "core.auth.UserBackend"
    assert client.get("/").wsgi_request.user == user
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"  # before the change
    session.save()
    assert client.get("/").wsgi_request.user == user


def test_a_refused_sign_in_hashes_the_password_once(client):
    from unittest import mock

    from django.contrib.auth.hashers import make_password

    user = make_user(username="clerk3")
    user.set_password("right-pass-1")
    user.save()
    with (
        mock.patch("django.contrib.auth.base_user.make_password", wraps=make_password) as dummy,
        mock.patch.object(type(user), "check_password", autospec=True) as check,
    ):
        check.return_value = False
        client.post("/accounts/login/", {"username": "clerk3", "password": "wrong"})
        client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    # One check for the known user, one dummy hash for the unknown: not one per backend.
    assert check.call_count == 1 and dummy.call_count == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="round trips are PostgreSQL's")
def test_the_user_takes_one_round_trip():
    user = make_user()
    connection.ensure_connection()
    with rawsql.round_trips() as trips:
        assert UserBackend().get_user(user.pk) == user
    assert trips == [1]
