"""Template context for the navigation: the places the user can switch between."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .access import request_places


def places(request: HttpRequest) -> dict:
    """Lazy, so that partial responses that never show the switcher run no query."""
    return {
        "nav_places": SimpleLazyObject(lambda: request_places(request)),
        # Annual reports are filed for the year before.
        "report_year": timezone.localdate().year - 1,
    }
