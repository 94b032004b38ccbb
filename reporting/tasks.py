"""Work done after commit: rendering a version's PDF, mailing the people a step concerns."""

from __future__ import annotations

import smtplib
import time

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import OperationalError
from django.utils import timezone
from django_scopes import scope

from .models import FilingEvent, FilingVersion, ReportRun


@shared_task(
    autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True, retry_backoff_max=60
)
def filing_render_pdf_task(*, version_id: int) -> str:
    """Render (once) the PDF of a submitted version; a repeated or late call leaves it alone.

    The run is claimed with a conditional update, so two deliveries never render at once. Its
    hard limit is CELERY_TASK_TIME_LIMIT, after which the page calls a run stuck (models).
    """
    from . import pdf

    version = FilingVersion.objects.select_related("filing__centre").get(pk=version_id)
    now = timezone.now()
    run, _created = ReportRun.objects.get_or_create(version=version, defaults={"started_at": now})
    claimed = ReportRun.objects.filter(
        pk=run.pk, status__in=[ReportRun.Status.QUEUED, ReportRun.Status.FAILED]
    ).update(status=ReportRun.Status.RUNNING, started_at=now, error="")
    run.refresh_from_db()
    if not claimed:  # done already, or another worker is rendering it
        return run.status
    filing = version.filing
    started = time.perf_counter()
    try:
        with scope(centre=filing.centre):
            content = pdf.report_pdf(
                content=version.content, centre=filing.centre, year=filing.year
            )
        run.file.save(
            f"{filing.centre.slug}-{filing.year}-v{version.number}.pdf",
            ContentFile(content),
            save=False,
        )
        run.status, run.seconds, run.finished_at = (
            ReportRun.Status.DONE,
            time.perf_counter() - started,
            timezone.now(),
        )
        run.save(update_fields=["file", "status", "seconds", "finished_at"])
    except Exception as exc:  # record any failure for the user, then re-raise
        ReportRun.objects.filter(pk=run.pk).update(
            status=ReportRun.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    return run.status


# A mail server that is restarting or unreachable (OSError; SMTPException is one) is worth a retry.
MAIL_RETRY_FOR = (OperationalError, OSError, smtplib.SMTPException)


@shared_task(autoretry_for=MAIL_RETRY_FOR, max_retries=3, retry_backoff=True)
def notify_filing_event_task(*, event_id: int) -> int:
    """Mail reviewers when a report is submitted, and the centre's managers when it is returned,
    approved or published; returns how many were written to."""
    from .notifications import send_event_mail

    event = FilingEvent.objects.select_related("filing__centre__sponsor").get(pk=event_id)
    return send_event_mail(event)
