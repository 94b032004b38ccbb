"""Labels of the roster's choice codes, for pages that show figures keyed by code.

Load with {% load staff_labels %}; they live here, not in core's library, because core must not
import an app above it.
"""

from __future__ import annotations

from django import template

from staff.models import Establishment, LeaveReason, Position

register = template.Library()


def _choice_label(choices_class, key: str) -> str:
    try:
        return choices_class(key).label
    except ValueError:
        return key


@register.filter
def position_label(key: str) -> str:
    return _choice_label(Position, key)


@register.filter
def establishment_label(key: str) -> str:
    return _choice_label(Establishment, key)


@register.filter
def reason_label(key: str) -> str:
    return _choice_label(LeaveReason, key) if key else "—"
