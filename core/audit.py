"""Writing audit entries; actions call these inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models

from .models import AuditEntry


def _plain(value: Any) -> Any:
    """Turn a field value into something JSON can hold and a person can read."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, decimal.Decimal)):
        return str(value)
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Read the given fields of an instance as plain values, for an old/new comparison."""
    return {name: _plain(getattr(instance, name)) for name in fields}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Keep only the fields whose value changed, as {field: [old, new]}."""
    return {k: [old.get(k), new[k]] for k in new if old.get(k) != new[k]}


def audit(
    *,
    actor,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    centre=None,
) -> AuditEntry:
    """Record one change to official data; call inside the transaction that made it."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        centre=centre,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        changes=changes or {},
    )
