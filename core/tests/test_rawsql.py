"""Id lists sent as one array parameter: plain integers by the connection's own dumper, anything
else as psycopg dumps lists; the same rows either way."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from core.rawsql import IdArray, any_of, array_param, parallel_read

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="array parameters are PostgreSQL's"
)
planner_prices = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="planner prices are PostgreSQL's"
)


def test_only_plain_integers_become_an_id_array():
    assert type(array_param(iter([3, 1, 2]))) is IdArray
    assert array_param([3, 1, 2]) == [3, 1, 2]  # order kept
    assert type(array_param([])) is IdArray
    assert type(array_param([-(2**63), 2**63 - 1])) is IdArray
    for mixed in ([1, "2"], [1, None], [True, 2], [1.0], [2**63], [-(2**63) - 1]):
        assert type(array_param(mixed)) is list
        assert array_param(mixed) == mixed


@postgresql_only
@pytest.mark.django_db
def test_an_id_array_is_one_bigint_array_parameter():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_typeof(%s)::text, %s, cardinality(%s)",
            [IdArray([1, 2]), IdArray([7, 2**40]), IdArray([])],
        )
        assert cursor.fetchone() == ("bigint[]", [7, 2**40], 0)


@postgresql_only
@pytest.mark.django_db
def test_any_of_finds_the_same_rows_with_ids_and_with_other_values():
    users = get_user_model()
    a, b, _c = (users.objects.create_user(f"u{i}") for i in range(3))
    assert set(users.objects.filter(pk__any_of=[a.pk, b.pk])) == {a, b}
    assert set(users.objects.filter(username__any_of=["u0", "u1"])) == {a, b}
    assert not users.objects.filter(pk__any_of=[])
    assert not users.objects.filter(pk__any_of=[10**20])  # typed into a URL: no row
    where, params = any_of(connection, "id", [a.pk])
    assert where == "id = ANY(%s)" and type(params[0]) is IdArray


@pytest.mark.django_db
def test_elsewhere_a_list_is_a_plain_in():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's form")
    assert any_of(connection, "id", [1, 2]) == ("id IN (%s, %s)", [1, 2])
    assert any_of(connection, "id", []) == ("1 = 0", [])


PRICES = "SELECT current_setting('parallel_setup_cost'), current_setting('parallel_tuple_cost')"


def _prices() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(PRICES)
        return cursor.fetchone()


@planner_prices
@pytest.mark.django_db(transaction=True)
def test_a_parallel_read_lowers_the_planner_prices_for_its_statement_only():
    before = _prices()
    assert before != ("100", "0.01")
    assert parallel_read(PRICES, []) == [("100", "0.01")]
    assert _prices() == before  # its own transaction ended


@planner_prices
@pytest.mark.django_db
def test_inside_a_transaction_a_parallel_read_puts_the_prices_back():
    before = _prices()  # pytest-django's test case runs in a transaction
    assert parallel_read(PRICES, []) == [("100", "0.01")]
    assert _prices() == before
