"""Hostile input on every URL: NUL bytes, overlong and malformed values, in the query string of
every page and in the body of every form, sent by a user allowed to use it. Each answer is a
page, a message or a 4xx; never a 500.

The tests run on SQLite, which stores NUL; PostgreSQL refuses it with an error. So a query that
carries a NUL to the database fails here as it would there (`postgres_nul_check`).
"""

from __future__ import annotations

import re

import pytest
from django.db import DataError, connection
from django.urls import reverse

from core.tests.test_permission_matrix import MATRIX, Route, records  # noqa: F401

pytestmark = pytest.mark.django_db

NUL = "\x00"
# The values sent: NUL alone and inside text, far too long (text and digits), and malformed.
HOSTILE = [
    NUL,
    f"2024{NUL}",
    "x" * 10_000,
    "9" * 10_000,
    "abc",
    "-1",
    "13",
    "2024-13-01",
    "9999-12-31",
    "%00",
]
# Query parameters the pages read (forms and by hand), sent to every page whatever it reads.
QUERY_PARAMS = [
    "year",
    "month",
    "part",
    "page",
    "sort",
    "trend",
    "state",
    "type",
    "id",
    "before",
    "version",
    "item",
    "q",
    "sponsor",
    "status",
    "on",
    "department",
    "category",
    "title",
    "establishment",
    "indicator",
    "period",
    "kind",
    "first",
    "last",
    "next",
]
# Form fields read by hand in views, posted to every form besides the fields it shows.
FORM_FIELDS = [
    "value",
    "base",
    "comment",
    "reason",
    "narrative",
    "version",
    "based_on",
    "indicator",
    "period",
    "category",
    "year",
    "role",
]
FIELD_NAME = re.compile(r'\bname="([^"]+)"')
# Who sends the requests: someone the route lets in (anonymous for the login page).
PREFERENCE = ["manager", "reviewer", "clerk", "city_reviewer", "outsider", "district_admin"]


def _as_user(client, route: Route, users: dict) -> None:
    if route.name in ("login", "logout"):
        return
    role = next(r for r in PREFERENCE if r in route.allowed)
    client.force_login(users[role])


def _nul_refused(execute, sql, params, many, context):
    """Refuse a NUL in any query parameter, as PostgreSQL does."""
    rows = params if many else [params]
    for row in rows or []:
        values = row.values() if isinstance(row, dict) else row or []
        if any(isinstance(v, str) and NUL in v for v in values):
            raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return execute(sql, params, many, context)


@pytest.fixture
def postgres_nul_check():
    with connection.execute_wrapper(_nul_refused):
        yield


@pytest.fixture
def ctx(users, centre, district, records):  # noqa: F811 (the matrix's fixture)
    return {**users, "centre": centre, "district": district, "records": records}


def _check(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"


GET_ROUTES = [r for r in MATRIX if r.method == "GET" or r.form_page]
POST_ROUTES = [r for r in MATRIX if r.method == "POST"]


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda r: r.name)
def test_every_page_answers_hostile_query_parameters(client, route, ctx, postgres_nul_check):
    _as_user(client, route, ctx)
    url = reverse(route.name, kwargs=route.kwargs(ctx))
    good = route.data(ctx) if route.method == "GET" else {}
    for value in HOSTILE:
        everything = {**good, **dict.fromkeys(QUERY_PARAMS, value)}
        _check(client.get(url, everything), f"GET {url} all={value[:20]!r}")
        _check(client.get(url, everything, HTTP_HX_REQUEST="true"), f"htmx GET {url}")
        for name in good:  # one bad value among good ones reaches further into the view
            _check(client.get(url, {**good, name: value}), f"GET {url} {name}={value[:20]!r}")
    _check(client.get(url + "?" + "x" * 10_000), f"GET {url} long query")
    _check(client.get(url + "?a=%ZZ&b=%E4%B8&c=%00"), f"GET {url} malformed escapes")


@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda r: r.name)
def test_every_form_answers_hostile_values(client, route, ctx, postgres_nul_check):
    _as_user(client, route, ctx)
    url = reverse(route.name, kwargs=route.kwargs(ctx))
    good = route.data(ctx)
    shown = set()
    if route.form_page:
        shown = set(FIELD_NAME.findall(client.get(url).content.decode()))
    names = (shown | set(good) | set(FORM_FIELDS)) - {"csrfmiddlewaretoken"}
    for value in HOSTILE:
        _check(client.post(url, dict.fromkeys(names, value)), f"POST {url} all={value[:20]!r}")
        for name in good:
            data = {**good, name: value}
            _check(client.post(url, data), f"POST {url} {name}={value[:20]!r}")
            _check(client.post(url, data, HTTP_HX_REQUEST="true"), f"htmx POST {url} {name}")
