"""Hand work to Celery through the database: a write never fails because the broker is down.

`enqueue()` records an `OutboxMessage` inside the caller's transaction and tries to publish it
right after commit. If the broker cannot be reached the row stays unsent and `flush()`, run by
beat every few seconds, publishes it when the broker is back. A message may be published more
than once (a crash between publishing and marking), so every task behind it must be idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# The hand-off after commit gets this long before the sweeper may publish the same row.
GRACE = dt.timedelta(seconds=10)
KEEP_SENT = dt.timedelta(days=7)


def enqueue(task: str, *, key: str = "", countdown: int = 0, **kwargs) -> None:
    """Record the task with the caller's change; publish it once that change commits, to run
    `countdown` seconds later (inline at once when there is no broker)."""
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs, key=key, countdown=countdown)
    transaction.on_commit(lambda: publish(message.pk))


def publish(message_id: int) -> bool:
    """Publish one message and mark it sent; a broker error leaves it for the sweeper."""
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return False
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    try:
        if eager:
            _run(message)
        else:
            current_app.send_task(
                message.task, kwargs=message.kwargs, countdown=message.countdown or None
            )
    except Exception as exc:
        logger.warning("outbox: %s not handed to the broker yet (%s)", message.task, exc)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=message.attempts + 1, last_error=str(exc)[:2000]
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), attempts=message.attempts + 1, last_error=""
    )
    return True


def _run(message: OutboxMessage) -> None:
    """Without a broker the task runs inline; its own failure is logged, not a failed hand-off.

    Task names are their dotted paths (shared_task's default), so the task is imported by name.
    """
    try:
        import_string(message.task).apply(kwargs=message.kwargs, throw=True)
    except Exception:
        logger.exception("outbox: %s failed inline (%s)", message.task, message.kwargs)


def flush(limit: int = 500) -> int:
    """Publish what the hand-off after commit could not; returns how many went out.

    Rows are taken with SKIP LOCKED, so two sweepers never publish the same row at once. Of the
    unsent rows that share a key only the newest goes out; it stands for the older ones, which
    committed before it was read here.
    """
    sent = 0
    cutoff = timezone.now() - GRACE
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, created_at__lte=cutoff)
            .order_by("pk")
            .values_list("pk", "key")[:limit]
        )
        newest = {key: pk for pk, key in due if key}
        for pk, key in due:
            if key and newest[key] != pk:
                continue
            if not publish(pk):
                break  # the broker is still away; the next sweep tries again
            sent += 1
            if key:
                twins = [p for p, k in due if k == key and p != pk]
                OutboxMessage.objects.filter(pk__in=twins).update(sent_at=timezone.now())
    OutboxMessage.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    return sent


def pending() -> int:
    """How many hand-offs wait for the broker (readiness and the drills read it)."""
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()
