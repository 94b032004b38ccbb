"""Writing audit entries; actions call these inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
from collections.abc import Iterable
from typing import Any

from django.db import connection, models

from .models import AuditEntry

SECRET_FIELDS = frozenset({"password"})


def _plain(value: Any) -> Any:
    """Turn a field value into something JSON can hold and a person can read."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, decimal.Decimal)):
        return str(value)
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Read fields of an instance as plain values (all concrete ones by default).

    Foreign keys read as the related object's name, and secrets only as a fingerprint
    that shows they changed.
    """
    if fields is None:
        fields = [
            f.name
            for f in instance._meta.concrete_fields
            if f.name not in {"id", "updated_at", "version"}
        ]
    values = {}
    for name in fields:
        value = getattr(instance, name)
        if name in SECRET_FIELDS:
            value = "******" + hashlib.sha256(value.encode()).hexdigest()[:6] if value else ""
        values[name] = _plain(value)
    return values


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Keep only the fields whose value changed, as {field: [old, new]}; gone fields go to None."""
    keys = list(new) + [k for k in old if k not in new]
    return {k: [old.get(k), new.get(k)] for k in keys if old.get(k) != new.get(k)}


def audit(
    *,
    actor,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    centre=None,
) -> AuditEntry:
    """Record one change to official data; call inside the transaction that made it.

    One INSERT written by hand (core.rawsql: every audited save pays for it, and Model.save took
    three times as long as the database); the entry comes back without its id, which no caller
    reads."""
    entry = audit_entry(actor=actor, action=action, target=target, changes=changes, centre=centre)
    fields = _insert_fields()
    values = [f.get_db_prep_save(f.pre_save(entry, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(), values)
    return entry


@functools.cache
def _insert_fields() -> list:
    return [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]


@functools.cache
def _insert_sql() -> str:
    q = connection.ops.quote_name
    fields = _insert_fields()
    columns = ", ".join(q(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {q(AuditEntry._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608


def audit_entry(
    *,
    actor,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    centre=None,
) -> AuditEntry:
    """An unsaved audit row, for bulk writers that store thousands at once (audit_bulk)."""
    known = getattr(actor, "pk", None) is not None
    return AuditEntry(
        actor=actor if known else None,
        actor_name=actor.get_username() if known else "",
        centre=centre,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        changes=changes or {},
    )


def audit_bulk(entries: list[AuditEntry]) -> None:
    """Store many audit rows in a few queries; same transaction rule as audit()."""
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
