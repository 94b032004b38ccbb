"""Labels of the roster's choice codes, for pages that show figures keyed by code.

Load with {% load staff_labels %}; they live here, not in core's library, because core must not
import an app above it.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

from staff.licences import Status, mask_licence_number
from staff.models import Establishment, LeaveReason, Position, Title, TitleLevel, TrainingKind

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


# --- training, registrations, promotions, 编制 (issue 18) -----------------------------------


@register.filter
def title_label(key: str) -> str:
    return _choice_label(Title, key) if key else "—"


@register.filter
def level_label(key: str) -> str:
    return _choice_label(TitleLevel, key)


@register.filter
def training_kind_label(key: str) -> str:
    return _choice_label(TrainingKind, key)


@register.filter
def licence_mask(number: str) -> str:
    """A certificate number as shown to those who may not see 身份证号 either."""
    return mask_licence_number(number or "")


@register.filter
def licence_status_label(status: str) -> str:
    labels = {
        Status.VALID: gettext("valid"),
        Status.EXPIRING: gettext("expires within 90 days"),
        Status.EXPIRED: gettext("expired"),
        Status.NOT_YET: gettext("not yet valid"),
    }
    return labels.get(status, status)
