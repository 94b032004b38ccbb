"""Work after commit for tallies: keep a centre's figure rollups current."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError


@shared_task(autoretry_for=(DatabaseError,), max_retries=3, retry_backoff=True)
def refresh_rollups_task(*, centre_id: int) -> int:
    """Rebuild the years a centre's saves touched; until it has run, readers compute it live."""
    from django_scopes import scopes_disabled

    from .rollups import refresh

    with scopes_disabled():  # a worker acts for no centre in particular
        return refresh(centre_id)


@shared_task(ignore_result=True)
def rollups_sweep_task() -> int:
    """Beat: refresh the centres whose refresh message was lost."""
    from .rollups import queue_lost_refreshes

    return queue_lost_refreshes()
