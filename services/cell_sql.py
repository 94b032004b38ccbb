"""The cell save's three statements under the centre's lock, as hand-written SQL (core.rawsql):
the lock, the values its checks read with the approvals, and the update of a stored value.

A clerk saves sixty cells a month and four clerks save at once: Django spent 2.5 ms of a save's
10 building these statements, which PostgreSQL answers in under 1 ms. Each text is built once
per process (per number of indicators read) from the models' metadata.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connection, connections

from centers.models import Centre
from core import rawsql

from .locking import APPROVED_STATES
from .models import FrozenYear, MonthReport, TallyValue

_column, _table = rawsql.column, rawsql.table


@functools.cache
def _lock_sql() -> str:
    sql = f"SELECT {_column(Centre, 'id')} FROM {_table(Centre)} WHERE {_column(Centre, 'id')} = %s"  # noqa: S608
    if connection.features.has_select_for_no_key_update:
        return sql + " FOR NO KEY UPDATE"
    return sql + " FOR UPDATE" if connection.features.has_select_for_update else sql


def lock_centre(centre_id: int) -> None:
    """Take the centre's row lock (NO KEY UPDATE, as approval takes it: it excludes every other
    writer of the centre but not the key-share lock of rows that merely refer to it); SQLite
    has no row locks, and its writing transaction holds the whole database already. Its row is
    not fetched: in a pipeline (core.rawsql.pipelined) the next statement runs once the lock
    is held, and the caller waits for that statement's answer."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(), [centre_id])


@functools.cache
def _values_sql(indicators: int) -> str:
    t = TallyValue
    ids = ", ".join(["%s"] * indicators)
    states = ", ".join(["%s"] * len(APPROVED_STATES))
    return (
        f"SELECT {_column(t, 'indicator')}, {_column(t, 'period')}, {_column(t, 'value')},"  # noqa: S608
        f" {_column(t, 'comment')},"
        f" EXISTS (SELECT 1 FROM {_table(FrozenYear)} WHERE {_column(FrozenYear, 'centre')} = %s"
        f" AND {_column(FrozenYear, 'year')} = %s),"
        f" EXISTS (SELECT 1 FROM {_table(MonthReport)} WHERE {_column(MonthReport, 'centre')} = %s"
        f" AND {_column(MonthReport, 'period')} = %s AND {_column(MonthReport, 'state')}"
        f" IN ({states}))"
        f" FROM {_table(t)} WHERE {_column(t, 'centre')} = %s"
        f" AND {_column(t, 'indicator')} IN ({ids})"
        f" AND {_column(t, 'period')} >= %s AND {_column(t, 'period')} <= %s"
    )


_VALUE_FIELDS = [
    None,  # indicator id: an integer as stored
    TallyValue._meta.get_field("period"),
    TallyValue._meta.get_field("value"),
    TallyValue._meta.get_field("comment"),
    None,
    None,
]


def year_values(
    centre_id: int, indicator_ids: list[int], period: dt.date
) -> tuple[list[tuple[int, dt.date, Decimal, str]], tuple[bool, bool] | None]:
    """The stored cells of these indicators in the period's year and the one before, and
    whether the year is frozen and the month approved (None when no cell was found: the
    flags ride on the rows)."""
    period_field = TallyValue._meta.get_field("period")
    params = [
        centre_id,
        period.year,
        centre_id,
        period_field.get_db_prep_value(period, connection),
        *APPROVED_STATES,
        centre_id,
        *indicator_ids,
        period_field.get_db_prep_value(dt.date(period.year - 1, 1, 1), connection),
        period_field.get_db_prep_value(dt.date(period.year, 12, 1), connection),
    ]
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the proxy: a cache key
    found = rawsql.converters(db, "cell-values", _VALUE_FIELDS)
    with db.cursor() as cursor:
        cursor.execute(_values_sql(len(indicator_ids)), params)
        rows = [rawsql.convert(row, found, db) for row in cursor.fetchall()]
    flags = (bool(rows[-1][4]), bool(rows[-1][5])) if rows else None
    return [(row[0], row[1], row[2], row[3]) for row in rows], flags


@functools.cache
def _update_sql() -> str:
    t = TallyValue
    return (
        f"UPDATE {_table(t)} SET {_column(t, 'value')} = %s, {_column(t, 'updated_by')} = %s,"  # noqa: S608
        f" {_column(t, 'updated_at')} = %s WHERE {_column(t, 'centre')} = %s"
        f" AND {_column(t, 'indicator')} = %s AND {_column(t, 'period')} = %s"
    )


def update_value(
    centre_id: int, indicator_id: int, period: dt.date, value: Decimal, actor_id, at: dt.datetime
) -> None:
    """Overwrite a stored cell's value (one UPDATE), with who and when."""
    meta = TallyValue._meta
    params = [
        meta.get_field("value").get_db_prep_save(value, connection),
        actor_id,
        meta.get_field("updated_at").get_db_prep_save(at, connection),
        centre_id,
        indicator_id,
        meta.get_field("period").get_db_prep_save(period, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(), params)
