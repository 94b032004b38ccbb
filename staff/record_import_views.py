"""Upload, preview and confirm a training list or a file of practising registrations, through
the one import pipeline (core/imports.py; the kinds are in staff/record_imports.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centers.access import CentreRequest, centre_view
from centers.permissions import EDIT_RECORDS, VIEW_ID_NUMBERS
from core import imports
from core.models import ImportJob

from .licences import mask_licence_number
from .models import LicenceKind, TrainingKind
from .record_forms import RecordImportForm
from .record_imports import LICENCES, TRAINING

# (import kind, URL prefix, page title, the columns the page lists)
KINDS = {
    TRAINING: (
        "training",
        gettext_lazy("Import training from Excel"),
        "姓名、身份证号（同名时填写）、培训类型（进修、规培、继续教育、适宜技术培训、外出学习、其他）、"
        "培训地点、培训内容、开始日期、结束日期、学时、学分、院外（是/否）",
    ),
    LICENCES: (
        "licence",
        gettext_lazy("Import practising registrations from Excel"),
        "姓名、身份证号（同名时填写）、证书类型（执业医师、执业助理医师、全科、护士执业证书、执业药师、其他）、"
        "证书编号、执业类别、执业范围、执业地点（本中心可不填）、发证日期、有效期至",
    ),
}


def _describe(kind: str, values: dict, show_number: bool) -> str:
    """A planned row in words for the preview (numbers masked for those who may not see them)."""
    if kind == TRAINING:
        label = TrainingKind(values["kind"]).label
        return f"{label} · {values['place']} · {values['started_on']}–{values['ended_on']}"
    number = values["licence_number"]
    shown = number if show_number else mask_licence_number(number)
    until = values["valid_to"] or "—"
    return f"{LicenceKind(values['kind']).label} {shown} · {values['issued_on']}–{until}"


def upload_view(kind: str) -> Callable:
    prefix, title, columns = KINDS[kind]

    @centre_view(EDIT_RECORDS)
    @require_http_methods(["GET", "POST"])
    def view(request: CentreRequest) -> HttpResponse:
        form = RecordImportForm(request.POST or None, request.FILES or None)
        if job := imports.start_from_form(request, form, kind=kind):
            return redirect(f"staff:{prefix}-import-preview", request.centre.slug, job.pk)
        context = {
            "form": form,
            "title": title,
            "columns": columns,
            "jobs": imports.recent_jobs(centre=request.centre, kind=kind),
            "url_name": f"staff:{prefix}-import-preview",
        }
        return render(request, "staff/record_import_upload.html", context)

    view.__name__ = f"{prefix}_import_upload"
    return view


def preview_view(kind: str) -> Callable:
    prefix, title, _columns = KINDS[kind]

    @centre_view(EDIT_RECORDS)
    @require_GET
    def view(request: CentreRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(ImportJob, kind=kind, centre=request.centre, pk=pk)
        if (poll := imports.job_poll(request, job)) is not None:
            return poll
        show = request.access.can(VIEW_ID_NUMBERS)
        rows = [
            {**row, "what": _describe(kind, row["values"], show)}
            for row in job.plan.get("rows", [])
            if row["action"] != "unchanged"
        ]
        context = {
            "job": job,
            "title": title,
            "rows": rows[:1000],
            "summary": job.plan.get("summary", {}),
            "prefix": prefix,
        }
        return render(request, "staff/record_import_preview.html", context)

    view.__name__ = f"{prefix}_import_preview"
    return view


def confirm_view(kind: str) -> Callable:
    prefix = KINDS[kind][0]

    @centre_view(EDIT_RECORDS)
    @require_POST
    def view(request: CentreRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(ImportJob, kind=kind, centre=request.centre, pk=pk)
        try:
            imports.import_confirm(job=job, actor=request.user)
        except imports.Refused as exc:
            messages.error(request, _("Nothing was imported: %(why)s") % {"why": exc})
        return redirect(f"staff:{prefix}-import-preview", request.centre.slug, pk)

    view.__name__ = f"{prefix}_import_confirm"
    return view
