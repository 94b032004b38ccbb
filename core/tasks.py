"""Scheduled upkeep that belongs to no app: publishing what the broker missed."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def outbox_flush_task() -> int:
    """Beat runs this every few seconds; it publishes every hand-off the broker missed."""
    from .outbox import flush

    return flush()
