"""Annual targets (年度任务): a commission's grid of its centres × the indicators it targets, each
cell saved on its own; its XLSX export and import."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centers import selectors as centre_selectors
from centers.access import AuthorityRequest, authority_view
from centers.models import Centre
from centers.permissions import CONFIGURE_COMMISSION, VIEW_AUTHORITY
from core import imports
from core.downloads import XLSX, attachment, download_name
from core.errors import DomainError
from core.models import ImportJob
from core.stale import StaleEdit

from . import figures as door
from . import target_excel, targets
from .forms import TargetImportForm

PAGE = "services/targets.html"


def _year(value: int) -> int:
    if not 2000 <= value <= 2100:
        raise Http404("no such year")
    return value


def _centres(request: AuthorityRequest) -> list[Centre]:
    """The centres the commission sponsors itself: the ones whose targets it sets."""
    return list(centre_selectors.centre_list(authority_ids=[request.authority.pk]))


@authority_view(VIEW_AUTHORITY)
@require_GET
def target_grid(request: AuthorityRequest, year: int) -> HttpResponse:
    """Centres × targeted indicators for a year: the target, done so far, completion, behind."""
    year = _year(year)
    centres = _centres(request)
    progress = door.target_progress(centre_ids=[c.pk for c in centres], year=year)
    # The commission's administrators set targets (CONFIGURE_COMMISSION), never of a centre where
    # they also hold a role; everyone else reads.
    configures = request.access.can(CONFIGURE_COMMISSION)
    editable = {
        c.pk for c in centres if configures and not targets.target_refusal(request.places, c)
    }
    add = request.GET.get("add", "")[:40]
    grid = targets.target_grid(
        authority_id=request.authority.pk,
        centres=centres,
        year=year,
        progress=progress,
        editable=editable,
        add=add,
    )
    context = {"grid": grid, "time_share": door.time_share(year=year), "can_edit": bool(editable)}
    return render(request, PAGE, context)


def _cell_request(request: AuthorityRequest, year: int):
    """The centre (of this commission) and targetable indicator a request names, else 404."""
    code = request.POST.get("indicator", "")[:40]
    targetable = targets.targetable_indicators(request.authority.pk, year)
    indicator = next((i for i in targetable if i.code == code), None)
    centre_id = request.POST.get("centre", "")
    centre = (
        centre_selectors.centre_list(authority_ids=[request.authority.pk])
        .filter(pk=int(centre_id))
        .first()
        if centre_id.isdigit() and len(centre_id) < 12
        else None
    )
    if indicator is None or centre is None:
        raise Http404("no such cell")
    return centre, indicator


@authority_view(CONFIGURE_COMMISSION)
@require_POST
def target_cell(request: AuthorityRequest, year: int) -> HttpResponse:
    """Save one target; answer with the cell (saved, error or someone else's newer value)."""
    year = _year(year)
    centre, indicator = _cell_request(request, year)
    if targets.target_refusal(request.places, centre):
        raise PermissionDenied
    raw = request.POST.get("value", "")
    context = {"year": year, "editable": True, "typed": None}
    try:
        result = targets.target_set(
            centre=centre,
            indicator=indicator,
            year=year,
            raw=raw,
            actor=request.user,
            base=request.POST.get("base", "")[:40] if "base" in request.POST else None,
        )
    except StaleEdit as exc:
        context.update(conflict=exc, typed=raw)
    except DomainError as exc:
        context.update(error=str(exc), typed=raw)
    else:
        context.update(error=result.error, saved=not result.error)
        if result.error:
            context["typed"] = raw  # what was typed stays beside its error
    progress = door.target_progress(centre_ids=[centre.pk], year=year, codes=[indicator.code])
    context["cell"] = targets.TargetCell(
        centre, indicator, progress.get((centre.pk, indicator.code))
    )
    return render(request, "services/partials/target_cell.html", context)


@authority_view(VIEW_AUTHORITY)
@require_GET
def target_export(request: AuthorityRequest, year: int) -> HttpResponse:
    """The year's targets with their progress as XLSX, in the layout the import reads."""
    year = _year(year)
    centres = _centres(request)
    progress = door.target_progress(centre_ids=[c.pk for c in centres], year=year)
    content = target_excel.write_targets(
        authority_id=request.authority.pk, centres=centres, year=year, progress=progress
    )
    name = download_name(
        request.authority.name, _("%(year)s annual targets") % {"year": year}, ext="xlsx"
    )
    return attachment(content, content_type=XLSX, filename=name)


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def target_import_upload(request: AuthorityRequest) -> HttpResponse:
    """Upload a year of targets; it is checked in the background, the next page previews it."""
    form = TargetImportForm(request.POST or None, request.FILES or None)
    job = None
    if request.method == "POST" and form.is_valid():
        try:
            job = target_excel.import_start(
                authority=request.authority,
                year=form.cleaned_data["year"],
                upload=form.cleaned_data["file"],
                actor=request.user,
            )
        except imports.Refused as exc:
            form.add_error("file", str(exc))
    if job is not None:
        return redirect("services:target-import-preview", request.authority.slug, job.pk)
    jobs = target_excel.recent_jobs(authority=request.authority)
    context = {"form": form, "jobs": jobs}
    return render(request, "services/target_import.html", context)


def _job(request: AuthorityRequest, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob, kind=target_excel.KIND, authority=request.authority, pk=pk)


@authority_view(CONFIGURE_COMMISSION)
@require_GET
def target_import_preview(request: AuthorityRequest, pk: int) -> HttpResponse:
    """The job: its progress, then every problem by row and every changed target."""
    job = _job(request, pk)
    if (poll := imports.job_poll(request, job)) is not None:
        return poll
    return render(request, "services/target_import_preview.html", {"job": job})


@authority_view(CONFIGURE_COMMISSION)
@require_POST
def target_import_confirm(request: AuthorityRequest, pk: int) -> HttpResponse:
    """Save the previewed targets in the background, all or none."""
    job = _job(request, pk)
    try:
        imports.import_confirm(job=job, actor=request.user)
    except imports.Refused as exc:
        messages.error(request, _("Nothing was imported: %(why)s") % {"why": exc})
    return redirect("services:target-import-preview", request.authority.slug, pk)
