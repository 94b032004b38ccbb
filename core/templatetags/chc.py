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
