"""Hand-written SQL for the few statements on the hottest paths (every page's memberships, the
cell save): Django spends ~1.5 ms building a statement that PostgreSQL answers in 0.3 ms.

The text is built once per process from the models' metadata (quoted identifiers only, never
data; values are always parameters), and each row is converted by the fields' own converters,
as a queryset's compiler would convert it, so SQLite and PostgreSQL give the same Python values.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from psycopg import Pipeline
from psycopg.adapt import Dumper
from psycopg.postgres import types as pg_types

# {connection: {key: [(position, converters, column)]}}: functions only, no data.
_CONVERTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def converters(connection, key: str, fields: Sequence) -> list[tuple[int, list, object]]:
    """The backend's and each field's converters for the columns of a statement (a field per
    column, None where the value needs none), found once per connection and statement `key`."""
    by_key = _CONVERTERS.setdefault(connection, {})
    if (found := by_key.get(key)) is None:
        found = []
        for pos, model_field in enumerate(fields):
            if model_field is not None:
                col = model_field.get_col("x")
                convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if convs:
                    found.append((pos, convs, col))
        by_key[key] = found
    return found


def convert(row: Sequence, found: list, connection) -> list:
    """One fetched row with `converters`' functions applied, as the ORM returns it."""
    row = list(row)
    for pos, convs, col in found:
        value = row[pos]
        for convert_one in convs:
            value = convert_one(value, col, connection)
        row[pos] = value
    return row


class IdArray(list):
    """Integers (ids) passed to PostgreSQL as one bigint[] parameter (`array_param`)."""


class _IdArrayDumper(Dumper):
    """An IdArray as PostgreSQL's array literal in one join: psycopg's own list dumper checks
    every element's type, size and quoting (0.9 ms for a city's thousand centres, and a city
    summary sends sixteen such lists)."""

    oid = pg_types["int8"].array_oid

    def dump(self, obj: list) -> bytes:
        return ("{" + ",".join(map(str, obj)) + "}").encode()


_BIGINT = range(-(2**63), 2**63)


def array_param(values: Iterable) -> list:
    """`values` as one array parameter on PostgreSQL: plain integers a bigint holds as an
    IdArray, anything else (a larger number typed into a query string among them: no row, not
    an error) as a list for psycopg to dump."""
    values = list(values)
    if all(type(v) is int for v in values) and (
        not values or (min(values) in _BIGINT and max(values) in _BIGINT)
    ):
        return IdArray(values)
    return values


def register_dumpers(sender, connection, **kwargs) -> None:
    """`connection_created`: each new PostgreSQL connection dumps IdArrays with `_IdArrayDumper`
    (registered per connection: Django's connections copy psycopg's adapters when it loads)."""
    if connection.vendor == "postgresql":
        connection.connection.adapters.register_dumper(IdArray, _IdArrayDumper)


def any_of(connection, column: str, values: Sequence) -> tuple[str, list]:
    """`column` in `values`, as core.lookups' `__any_of` writes it: one array parameter on
    PostgreSQL (psycopg took ~15 ms to quote a thousand placeholders), a plain IN elsewhere."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [array_param(values)]
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


# The planner's price of starting workers and of handing them rows, lowered for `parallel_read`
# (PostgreSQL's defaults: 1000 and 0.1), and the table size from which it considers them at all
# (8 MB: a city's 60,000 staff spells are less).
_PARALLEL = {
    "parallel_setup_cost": "100",
    "parallel_tuple_cost": "0.01",
    "min_parallel_table_scan_size": "0",
}
# Centres from which a read over them is worth parallel workers: a district's 25 take ~10 ms in
# one process, less than starting workers would save.
PARALLEL_FROM = 200
_SETTINGS_NOW = "SELECT " + ", ".join("current_setting(%s)" for _name in _PARALLEL)
_SET_LOCAL = "SELECT " + ", ".join("set_config(%s, %s, true)" for _name in _PARALLEL)


def parallel_read(sql: str, params) -> list[tuple]:
    """The rows of one large read on PostgreSQL whose branches its workers should share.

    At its default prices the planner ran a city's live figures (three aggregates over 216,000
    index entries) in one process once an index made each branch cheap, and its roster counts
    (60,000 spells) too: two workers and the leader took 0.71–0.77 and 0.62–0.70 of the time
    (bench/city.py's city, every centre live, 25 pairs interleaved). The prices are lowered for
    this statement only: in a transaction of its own, or, inside the caller's, put back after
    it."""
    names = list(_PARALLEL)
    nested = connection.in_atomic_block  # then SET LOCAL would outlast this statement
    with transaction.atomic(), connection.cursor() as cursor:
        if nested:
            cursor.execute(_SETTINGS_NOW, names)
            before = cursor.fetchone()
        cursor.execute(_SET_LOCAL, [v for name in names for v in (name, _PARALLEL[name])])
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if nested:
            cursor.execute(
                _SET_LOCAL, [v for pair in zip(names, before, strict=True) for v in pair]
            )
    return rows


@contextlib.contextmanager
def pipelined():
    """Statements sent one after the other without waiting for each answer (PostgreSQL's
    pipeline mode; elsewhere, or with a libpq too old for it, as they come): a statement whose
    rows are fetched waits for its answer and those before it, the rest travel together and are
    answered by the next fetch or at the block's end. The server still runs them in order, each
    seeing what the ones before it did. Under load each round trip costs the writer a wait for a
    core (the cell save). Inside, a count of rows updated or deleted is not known yet: read none.
    """
    if connection.vendor != "postgresql" or not Pipeline.is_supported():
        yield
        return
    connection.ensure_connection()
    # An error the server reports only at the block's end comes out as Django's, like the rest.
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


@contextlib.contextmanager
def round_trips():
    """Count the times PostgreSQL connections waited for the server's answer (psycopg's I/O
    generators yield Wait.R where they need the server's bytes): a block's round trips, for
    bench/profile_save.py and the tests that keep them few. Yields a one-item list."""
    import psycopg
    from psycopg.waiting import Wait

    count = [0]
    real = psycopg.Connection.wait

    def counted(gen):
        try:
            waiting = next(gen)
            while True:
                count[0] += waiting == Wait.R
                waiting = gen.send((yield waiting))
        except StopIteration as done:
            return done.value

    def wait(self, gen, *args, **kwargs):
        return real(self, counted(gen), *args, **kwargs)

    psycopg.Connection.wait = wait
    try:
        yield count
    finally:
        psycopg.Connection.wait = real


def table(model) -> str:
    """The model's table, quoted for the default connection."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model, name: str) -> str:
    """A field's column, quoted for the default connection."""
    return connection.ops.quote_name(model._meta.get_field(name).column)
