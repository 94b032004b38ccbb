"""Work done after commit: rendering a version's PDF, mailing the people a step concerns."""

from __future__ import annotations

import logging
import smtplib
import time

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import OperationalError
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scope

from .models import STORAGE_ERROR, FilingEvent, FilingVersion, ReportRun, stuck_after
from .reminders import reminders_send

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=True,
    retry_backoff_max=60,
    time_limit=120,
    soft_time_limit=100,
)
def filing_render_pdf_task(*, version_id: int) -> str:
    """Render (once) the PDF of a submitted version; a repeated or late call leaves it alone.

    The run is claimed with a conditional update, so two deliveries never render at once; a run
    stuck past PDF_STALL_SECONDS may be claimed again (its worker died, `report_runs_resume`).
    """
    version = FilingVersion.objects.select_related("filing__centre").get(pk=version_id)
    now = timezone.now()
    run, _created = ReportRun.objects.get_or_create(version=version, defaults={"started_at": now})
    claimed = (
        ReportRun.objects.filter(pk=run.pk)
        .filter(
            Q(status__in=CLAIMABLE) | Q(status=ReportRun.Status.RUNNING, started_at__lt=stale())
        )
        .update(
            status=ReportRun.Status.RUNNING, started_at=now, error="", attempts=F("attempts") + 1
        )
    )
    run.refresh_from_db()
    if not claimed:  # done already, or another worker is rendering it
        return run.status
    try:
        _render_into(run, version, claimed_at=now)
    except Exception as exc:  # record any failure for the user, then re-raise
        error = f"{STORAGE_ERROR}{exc}" if isinstance(exc, StorageFailure) else str(exc)
        ReportRun.objects.filter(pk=run.pk, started_at=now).update(
            status=ReportRun.Status.FAILED, error=error[:2000]
        )
        if isinstance(exc, StorageFailure):
            return ReportRun.Status.FAILED  # the page says so and offers a retry
        raise
    return ReportRun.Status.DONE


CLAIMABLE = (ReportRun.Status.QUEUED, ReportRun.Status.FAILED)


def stale():
    return timezone.now() - stuck_after()


class StorageFailure(Exception):
    """The file store refused the PDF (full, read-only, unreachable)."""


def _render_into(run: ReportRun, version: FilingVersion, *, claimed_at) -> None:
    """Render, store under a name of this attempt alone, and record; a failed write leaves no file.

    If the run was claimed again meanwhile (this worker was thought dead), the later claim wins
    and this attempt's file is removed.
    """
    from . import pdf

    filing = version.filing
    started = time.perf_counter()
    with scope(centre=filing.centre):
        content = pdf.report_pdf(
            content=version.content,
            centre=filing.centre,
            year=filing.year,
            opinion=version.opinion,
            approved_on=version.approved_on,
        )
    slug = f"{filing.centre.slug}-{filing.year}-v{version.number}"
    name = f"filings/{slug}-r{run.pk}a{run.attempts}.pdf"
    storage = run.file.storage
    old = run.file.name
    try:
        name = storage.save(name, ContentFile(content))
    except Exception as exc:
        _discard(storage, name)
        raise StorageFailure(str(exc) or exc.__class__.__name__) from exc
    recorded = ReportRun.objects.filter(pk=run.pk, started_at=claimed_at).update(
        file=name,
        status=ReportRun.Status.DONE,
        seconds=time.perf_counter() - started,
        finished_at=timezone.now(),
    )
    if not recorded:  # a later claim owns the run now
        _discard(storage, name)
    elif old and old != name:
        _discard(storage, old)


def _discard(storage, name: str) -> None:
    """Remove a partial or replaced file; a store that is away keeps it (logged)."""
    try:
        if storage.exists(name):
            storage.delete(name)
    except Exception:
        logger.warning("could not remove %s from storage", name, exc_info=True)


@shared_task(ignore_result=True)
def report_runs_resume_task() -> int:
    """Beat: queue again the PDF runs whose worker died, and the mails whose message was lost."""
    from .actions import filing_mails_resume, report_runs_resume

    return report_runs_resume() + filing_mails_resume()


# A mail server that is restarting or unreachable (OSError; SMTPException is one) is worth a retry.
MAIL_RETRY_FOR = (OperationalError, OSError, smtplib.SMTPException)


@shared_task(autoretry_for=MAIL_RETRY_FOR, max_retries=8, retry_backoff=True, retry_backoff_max=600)
def notify_filing_event_task(*, event_id: int) -> int:
    """Mail reviewers when a report is submitted, and the centre's managers when it is returned,
    approved or published; returns how many were written to."""
    from .notifications import send_event_mail

    # Claim the mail first: a second delivery of this task (outbox or broker) finds it claimed.
    if not FilingEvent.objects.filter(pk=event_id, mailed_at=None).update(mailed_at=timezone.now()):
        return 0
    event = FilingEvent.objects.select_related("filing__centre__sponsor", "actor").get(pk=event_id)
    try:
        return send_event_mail(event)
    except Exception:
        FilingEvent.objects.filter(pk=event_id).update(mailed_at=None)  # free for the retry
        raise


@shared_task(autoretry_for=MAIL_RETRY_FOR, max_retries=8, retry_backoff=True, retry_backoff_max=600)
def notifications_mail_task(*, ids: list[int]) -> int:
    """Mail notifications recorded by a step (once each: reminders' claim and record)."""
    from .reminders import mail_notifications

    return mail_notifications(ids)


@shared_task(time_limit=600, soft_time_limit=540)
def reminders_task() -> int:
    """Beat's daily run: today's reminders, each created and mailed once (reporting.reminders)."""
    return reminders_send()
