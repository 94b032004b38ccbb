"""Small template helpers shared by every app."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """Whole minutes in a duration, rounded up, for messages such as lockout time left."""
    if not value:
        return 0
    return -(-int(value.total_seconds()) // 60)


@register.filter
def get_item(mapping: dict, key):
    """mapping[key] in a template, or the key itself when it is missing."""
    return mapping.get(key, key)


@register.filter
def age_on(person, day: dt.date):
    """A person's completed years on a day."""
    return person.age_on(day)


@register.filter
def plain(value):
    """A decimal without trailing zeros (120.00 → 120, 12.50 → 12.5); None stays None."""
    if value is None or value == "":
        return value
    text = f"{value:f}" if hasattr(value, "as_tuple") else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def index_month(columns, index: int) -> str:
    """The YYYY-MM of the grid's index-th month column (for stable element ids)."""
    return f"{columns[index].month:%Y-%m}"


@register.filter
def can(access, capability: str) -> bool:
    """Whether the request's access allows a capability (templates cannot call methods)."""
    return bool(access) and access.can(capability)
