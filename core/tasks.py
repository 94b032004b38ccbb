"""Scheduled upkeep that belongs to no app: publishing what the broker missed."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled


@shared_task(ignore_result=True)
def outbox_flush_task() -> int:
    """Beat runs this every few seconds; it publishes every hand-off the broker missed."""
    from .outbox import flush

    return flush()


# A 10,000-row workbook is checked in a few seconds; a hostile one is stopped long before these.
@shared_task(ignore_result=True, bind=True, soft_time_limit=90, time_limit=120)
def import_check_task(self, job_id: int) -> None:
    """Check an uploaded spreadsheet into a preview, under a time and a memory limit."""
    from .imports import run_check

    with scopes_disabled():  # a job names its centre; the task acts for that centre only
        run_check(job_id, in_worker=not self.request.is_eager)


@shared_task(ignore_result=True, soft_time_limit=180, time_limit=210)
def import_apply_task(job_id: int) -> None:
    """Apply a confirmed preview in one transaction."""
    from .imports import run_apply

    with scopes_disabled():
        run_apply(job_id)


@shared_task(ignore_result=True)
def imports_resume_task() -> int:
    """Beat: imports whose worker died are queued again; unconfirmed ones expire."""
    from .imports import imports_expire, imports_resume

    with scopes_disabled():
        imports_expire()
        return imports_resume()
