"""Reads about filings that other apps need."""

from __future__ import annotations

from centers.models import Centre

from .models import FROZEN_STATUSES, AnnualFiling


def approved_years(*, centre: Centre) -> set[int]:
    """Years whose annual filing is approved (or published): their data may no longer change."""
    return set(
        AnnualFiling.objects.filter(centre=centre, status__in=FROZEN_STATUSES).values_list(
            "year", flat=True
        )
    )
