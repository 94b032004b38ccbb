"""One way in for every spreadsheet: upload → stored file → checked in a task → preview →
confirmed → applied in a task.

A kind of import (the roster, a year of tallies …) registers a `Kind`: how to check a file into a
plan, and how to apply that plan. Everything else lives here once: the stored file, the archive
inspection that refuses zip bombs before any parsing, the time and memory limits, progress, the
status moves, and recovery when a worker dies. Nothing is written to official data until the
whole preview is confirmed, and a refused file writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .models import BUSY_STATUSES, ImportJob
from .outbox import enqueue

logger = logging.getLogger(__name__)

# An office's largest honest workbook (10,000 roster rows) is about 1 MB zipped, 15 MB unpacked.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_MEMBERS = 300
MAX_UNPACKED_BYTES = 30 * 1024 * 1024  # 10,000 rows of our roster: ~10 MB
# Spreadsheet XML compresses well (20–60×); bombs reach thousands.
MAX_RATIO = 150
RATIO_FLOOR_BYTES = 2 * 1024 * 1024  # small members may compress as they like
# A step that ran this long without finishing lost its worker (Celery's hard limit is shorter).
STALL = dt.timedelta(minutes=6)
MAX_ATTEMPTS = 3
# Jobs nobody confirmed are dropped after this long, with their file and rows (身份证号 …).
KEEP = dt.timedelta(hours=24)
# One person checks at most this many files at a time; more wait for these to finish.
MAX_BUSY_PER_USER = 2
CHECK_TASK = "core.tasks.import_check_task"
# The formats a kind may take: XLSX workbooks always; CSV text only where the kind reads it
# (exports of other systems). A CSV is never inflated, so the size limit bounds it.
XLSX, CSV = "xlsx", "csv"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls), still what many HIS systems export
APPLY_TASK = "core.tasks.import_apply_task"


UNEXPECTED = _lazy(
    "Something went wrong on our side and nothing was imported; try again, and tell the "
    "administrator if it happens again."
)


EXPIRED = _lazy(
    "This preview was not confirmed within 24 hours and has been discarded with its file; "
    "upload the file again."
)


class Refused(Exception):
    """The file or the plan cannot go in; the message tells the user why. Nothing was written."""


Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Kind:
    """What one kind of import knows; the pipeline does the rest.

    check(job, content, progress) fills job.plan, job.errors and job.fingerprint, or raises Refused.
    apply(job, actor, progress) writes the plan inside the pipeline's transaction and returns the
    counts to show, or raises Refused (e.g. the data moved since the preview).
    formats: what files it takes (XLSX, and CSV for kinds that decode text themselves).
    """

    name: str
    check: Callable[[ImportJob, bytes, Progress], None]
    apply: Callable[[ImportJob, object, Progress], dict]
    formats: tuple[str, ...] = (XLSX,)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    """Apps register their kinds at start-up (AppConfig.ready)."""
    KINDS[kind.name] = kind


# --- the file ------------------------------------------------------------------------------


class SpreadsheetField(forms.FileField):
    """The upload field of every import: a named .xlsx (or, where the kind reads text, .csv) of
    sane size, refused with the reason."""

    def __init__(self, *, formats: tuple[str, ...] = (XLSX,), **kwargs):
        kwargs.setdefault("max_length", 200)  # the file's name; longer ones are refused, not cut
        super().__init__(**kwargs)
        self.formats = formats
        accept = ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if CSV in formats:
            accept += ",.csv,text/csv"
        self.widget.attrs.setdefault("accept", accept)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and (why := refuse_upload(upload, self.formats)):
            raise forms.ValidationError(why)
        return upload


def refuse_upload(upload: UploadedFile, formats: tuple[str, ...] = (XLSX,)) -> str:
    """Why an upload cannot even be stored ("" when it can): too big, or not a workbook (nor,
    where the kind takes it, text)."""
    if upload.size > MAX_UPLOAD_BYTES:
        return _("The file is %(size)s MB; the limit is 5 MB.") % {
            "size": f"{upload.size / 1024 / 1024:.1f}"
        }
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head == ZIP_MAGIC:
        return ""
    if head == OLE_MAGIC:
        return _(
            "This is an old Excel file (.xls), which cannot be read: open it in Excel or WPS and "
            "save it as an Excel workbook (.xlsx)."
        )
    if CSV in formats:
        return ""  # text: decoded, and refused with the encodings tried, by the kind's check
    return _("This file cannot be read: upload an Excel workbook (.xlsx).")


def inspect_archive(content: bytes) -> None:
    """Refuse what would explode when unpacked, from the zip's directory alone (nothing inflated).

    Python's zipfile never inflates a member past the size its directory declares, so the
    declared sizes bound what openpyxl can be made to read.
    """
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Refused(_("This file cannot be read: upload an Excel workbook (.xlsx).")) from exc
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise Refused(
            _("The workbook holds %(n)s parts; a spreadsheet has at most %(max)s.")
            % {"n": len(members), "max": MAX_MEMBERS}
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise Refused(
                _(
                    "The workbook looks like a compression bomb (a part grows %(ratio)s times "
                    "when unpacked) and was not opened."
                )
                % {"ratio": int(ratio)}
            )
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise Refused(
            _(
                "The workbook unpacks to %(size)s MB, more than the %(max)s MB allowed: "
                "save it again in Excel, or split it into smaller files."
            )
            % {"size": unpacked // 1024 // 1024, "max": MAX_UNPACKED_BYTES // 1024 // 1024}
        )


@contextlib.contextmanager
def memory_limit(megabytes: int) -> Iterator[None]:
    """Cap this process's address space for a step, so a hostile file is a MemoryError.

    Used in workers only: a web process (eager mode) has other threads to think of.
    """
    try:
        import resource
    except ImportError:  # not on this platform
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    cap = current + megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# --- progress ------------------------------------------------------------------------------


def progress_reporter(job_id: int) -> Progress:
    """A callback for a kind's check: the job row says how far it got (no transaction is open)."""

    def report(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(progress=[done, total])

    return report


def _no_progress(done: int, total: int) -> None:
    """Applying is one transaction, invisible until it commits: the page shows it as under way."""


# --- the steps -----------------------------------------------------------------------------


def import_start(
    *, kind: str, params: dict, upload: UploadedFile, actor, centre=None, authority=None
) -> ImportJob:
    """Store the file and queue its check; the user watches the job page meanwhile. A job
    writes a centre's data or a commission's (its centres' targets): exactly one is given."""
    if kind not in KINDS:
        raise ValueError(kind)
    busy = ImportJob.objects.filter(created_by=actor, status__in=BUSY_STATUSES).count()
    if busy >= MAX_BUSY_PER_USER:
        raise Refused(
            _("You have %(n)s files being checked or imported; wait until they are done.")
            % {"n": busy}
        )
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            centre=centre,
            authority=authority,
            params=params,
            created_by=actor,
            filename=upload.name,
        )
        # Stored under a name of ours: the user's may be too long for the disk, or hostile.
        upload.seek(0)
        ext = XLSX if upload.read(4) == ZIP_MAGIC else CSV
        upload.seek(0)
        job.file.save(f"{uuid.uuid4().hex}.{ext}", upload, save=False)
        job.save()
        enqueue(CHECK_TASK, key=f"import:{job.pk}:check", job_id=job.pk)
    return job


def start_from_form(request, form, *, kind: str, params: tuple[str, ...] = ()) -> ImportJob | None:
    """An upload page's POST: a valid form (its `file` and the `params` fields) starts the job;
    a refusal (too many checks running) goes beside the file field and None is returned."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return import_start(
            kind=kind,
            centre=request.centre,
            params={name: form.cleaned_data[name] for name in params},
            upload=form.cleaned_data["file"],
            actor=request.user,
        )
    except Refused as exc:
        form.add_error("file", str(exc))
        return None


def _claim(job_id: int, expected: str, running: str) -> ImportJob | None:
    """Move the job into its running step, once; a redelivered or repeated task finds it taken.

    A job found already running past STALL lost its worker: it is taken again, MAX_ATTEMPTS times.
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        now = timezone.now()
        stalled = job.status == running and (
            job.step_started_at is None or job.step_started_at < now - STALL
        )
        if job.status != expected and not stalled:
            return None
        if job.attempts >= MAX_ATTEMPTS:
            _fail(job, _("Reading this file was interrupted several times; it was refused."))
            return None
        job.status, job.step_started_at = running, now
        job.attempts += 1
        job.save(update_fields=["status", "step_started_at", "attempts", "updated_at"])
        return job


def _fail(job: ImportJob, message: str) -> None:
    plan = ImportJob.objects.filter(pk=job.pk).values_list("plan", flat=True).first() or {}
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        errors=[str(message)],
        plan=_counts_only(plan),
        updated_at=timezone.now(),
    )
    _discard_file(job)


def _counts_only(plan: dict) -> dict:
    """A finished job's plan without its rows (they hold 身份证号 and the like)."""
    return {k: v for k, v in plan.items() if not isinstance(v, list)}


def _discard_file(job: ImportJob) -> None:
    """A finished job keeps no copy of the file (it holds 身份证号 and the like)."""
    if job.file:
        try:
            job.file.storage.delete(job.file.name)
        except Exception:  # a missing or unreachable object: nothing more to protect
            logger.warning("import %s: could not delete %s", job.pk, job.file.name)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def run_check(job_id: int, *, in_worker: bool) -> None:
    """The check step: inspect, parse and plan the stored file (a Celery task runs this)."""
    job = _claim(job_id, ImportJob.Status.QUEUED, ImportJob.Status.CHECKING)
    if job is None:
        return
    try:
        with job.file.open("rb") as handle:
            content = handle.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise Refused(_("This file cannot be read: upload an Excel workbook (.xlsx)."))
        if content[:4] == ZIP_MAGIC or CSV not in KINDS[job.kind].formats:
            inspect_archive(content)  # a zip directory, or the refusal of what is not one
        limit = (
            memory_limit(settings.CHC_IMPORT_MEMORY_MB) if in_worker else contextlib.nullcontext()
        )
        with limit:
            KINDS[job.kind].check(job, content, progress_reporter(job.pk))
    except Refused as exc:
        _fail(job, str(exc))
        return
    except MemoryError:
        _fail(job, _("The file needs too much memory to read; split it into smaller files."))
        return
    except _time_limit_errors():
        _fail(job, _("Reading the file took too long; split it into smaller files."))
        return
    except Exception:  # a bug or an outage must end the job, never leave it checking forever
        logger.exception("import %s: the check failed", job.pk)
        _fail(job, UNEXPECTED)
        return
    job.status = ImportJob.Status.PREVIEW
    job.save(update_fields=["status", "plan", "errors", "fingerprint", "updated_at"])


def import_confirm(*, job: ImportJob, actor, options: dict | None = None) -> ImportJob:
    """Queue the apply step of a clean preview; refused if it has errors or is not a preview.
    `options` (JSON) are what the person chose on confirming; the apply step reads them from
    job.result."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (ImportJob.Status.APPLYING, ImportJob.Status.APPLIED):
            raise Refused(_("This file has been imported already."))
        if locked.status != ImportJob.Status.PREVIEW:
            raise Refused(_("This file is not awaiting confirmation."))
        if locked.errors or locked.plan.get("bad_rows"):
            raise Refused(_("Some rows have errors."))
        locked.status, locked.attempts = ImportJob.Status.APPLYING, 0
        locked.step_started_at = timezone.now()
        locked.result = {**(options or {}), "confirmed_by": actor.pk}
        locked.save(update_fields=["status", "attempts", "step_started_at", "result", "updated_at"])
        enqueue(APPLY_TASK, key=f"import:{locked.pk}:apply", job_id=locked.pk)
    return locked


def run_apply(job_id: int) -> None:
    """The apply step: all of the plan in one transaction, or nothing (a Celery task runs this)."""
    from django.contrib.auth import get_user_model

    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.APPLYING).first()
    if job is None:
        return
    actor = get_user_model().objects.filter(pk=job.result.get("confirmed_by")).first()
    try:
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job_id)
            if locked.status != ImportJob.Status.APPLYING:
                return  # another delivery did it
            counts = KINDS[locked.kind].apply(locked, actor, _no_progress)
            locked.status = ImportJob.Status.APPLIED
            locked.result = {**locked.result, **counts}
            # The rows now live in the tables they were imported into; keep only the counts.
            locked.plan = _counts_only(locked.plan)
            locked.save(update_fields=["status", "result", "plan", "updated_at"])
    except Refused as exc:
        _fail(job, str(exc))
        return
    except _time_limit_errors():
        _fail(job, _("Importing took too long and was undone; try again, or split the file."))
        return
    except Exception:
        logger.exception("import %s: the apply failed and was rolled back", job.pk)
        _fail(job, UNEXPECTED)
        return
    _discard_file(job)


def imports_expire() -> int:
    """Drop what nobody confirmed within KEEP (beat runs this): no file or rows stay behind."""
    cutoff = timezone.now() - KEEP
    stale = ImportJob.objects.filter(
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.PREVIEW], created_at__lt=cutoff
    )
    n = 0
    for job in stale:
        _fail(job, EXPIRED)
        n += 1
    for job in ImportJob.objects.filter(
        status__in=[ImportJob.Status.APPLIED, ImportJob.Status.FAILED], created_at__lt=cutoff
    ).exclude(file=""):
        _discard_file(job)
    return n


def imports_resume() -> int:
    """Queue again every step whose worker died (beat runs this); returns how many."""
    cutoff = timezone.now() - STALL
    stalled = ImportJob.objects.filter(
        status__in=[ImportJob.Status.CHECKING, ImportJob.Status.APPLYING],
        step_started_at__lt=cutoff,
    )
    n = 0
    for job in stalled:
        task = CHECK_TASK if job.status == ImportJob.Status.CHECKING else APPLY_TASK
        with transaction.atomic():
            if job.status == ImportJob.Status.APPLYING:
                # The apply step claims by status alone; restart its clock so it is not re-sent.
                if job.attempts >= MAX_ATTEMPTS:
                    _fail(job, _("Importing was interrupted several times; nothing was imported."))
                    continue
                ImportJob.objects.filter(pk=job.pk).update(
                    step_started_at=timezone.now(), attempts=job.attempts + 1
                )
            enqueue(task, key=f"import:{job.pk}:resume", job_id=job.pk)
        n += 1
    return n


def _time_limit_errors() -> tuple[type[BaseException], ...]:
    from celery.exceptions import SoftTimeLimitExceeded

    return (SoftTimeLimitExceeded,)


def recent_jobs(*, centre, kind: str, n: int = 5):
    """The centre's last imports of a kind, for the upload page (one query)."""
    return ImportJob.objects.filter(centre=centre, kind=kind).select_related("created_by")[:n]


def job_poll(request, job: ImportJob):
    """The job page's poll: its status while a step runs, a page reload once it is done."""
    from django.shortcuts import render
    from django_htmx.http import HttpResponseClientRefresh

    if not getattr(request, "htmx", False):
        return None
    if job.busy:
        return render(request, "imports/_status.html", {"job": job})
    return HttpResponseClientRefresh()
