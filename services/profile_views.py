"""Import profiles: listed, made from a sample file (every column proposed, the person confirms),
edited, copied and deleted, at a centre (its editors) or a commission (its administrators); and a
file imported through one at a centre, via the one import pipeline."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from centers.access import AuthorityRequest, CentreRequest, authority_view, centre_view
from centers.permissions import CONFIGURE_COMMISSION, EDIT_RECORDS, VIEW_AUTHORITY
from centers.selectors import authority_ancestor_ids
from core import imports
from core.errors import DomainError
from core.models import ImportJob
from core.stale import StaleEdit, conflict_status

from . import profile_actions as actions
from . import profile_import
from . import profile_selectors as selectors
from .definitions import centre_path
from .models import Indicator
from .profile_files import Spec, read_sample
from .profile_forms import (
    ColumnFormSet,
    ProfileForm,
    ProfileImportForm,
    SampleForm,
    column_rows,
    role_choices,
)
from .profile_proposals import propose

EDITOR = "services/profiles/editor.html"
BLANK_ROWS = 3  # empty rows under a profile's columns, for columns to add
SAMPLE_STEP = "read_sample"  # posted by the sample form, with or without a file


def _to(request, url: str) -> HttpResponse:
    """Back to a list: a whole page for htmx (the message shows at its top), else a redirect."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- the editor, shared by centres and commissions ---------------------------------------------


def _names(indicators: list[Indicator]) -> dict[str, str]:
    return {i.code: i.name for i in indicators}


def _editor_page(request, context: dict, status: int = 200) -> HttpResponse:
    template = EDITOR + "#profile-editor" if request.htmx else EDITOR
    return render(request, template, context, status=status)


def _sample_rows(request, sample_form, indicators) -> tuple[list[dict], dict] | None:
    """The rows proposed for an uploaded sample, with the profile's type and encoding; None
    (and the reason beside the file field) when it cannot be read."""
    if not sample_form.is_valid():
        return None
    upload = sample_form.cleaned_data["file"]
    upload.seek(0)
    try:
        sample = read_sample(upload.read())
    except imports.Refused as exc:
        sample_form.add_error("file", str(exc))
        return None
    rows = []
    for proposal, example in zip(
        propose(sample.header.columns, indicators), sample.examples, strict=True
    ):
        column = proposal.column
        header = "" if column.key.startswith("\x00") else column.label
        rows.append(
            {
                "header": header,
                "role": proposal.role,
                "scale": proposal.scale,
                "missing": "skip",
                "example": example,
                "reason": proposal.reason,
            }
        )
    stem = upload.name.rsplit(".", 1)[0][:100]
    return rows, {"name": stem, "file_type": sample.file_type, "encoding": sample.encoding}


def _blank_rows(rows: list[dict]) -> list[dict]:
    return rows + [{"missing": "skip"} for _ in range(BLANK_ROWS)]


def _editor(request, *, indicators, profile=None, save: Callable, context: dict) -> HttpResponse:
    """GET: the sample upload (new) or the profile's columns (edit); POST with a file: the
    proposal for each of its columns; POST of the editor: save, or show what to correct."""
    roles = role_choices(indicators)
    sample_form = SampleForm()
    # The sample form says so (pressed without a file it has none to show); older pages
    # posted the file alone.
    if request.method == "POST" and (SAMPLE_STEP in request.POST or "file" in request.FILES):
        sample_form = SampleForm(request.POST, request.FILES)
        proposed = _sample_rows(request, sample_form, indicators)
        if proposed is not None:
            rows, initial = proposed
            form = ProfileForm(instance=profile, initial=None if profile else initial)
            formset = ColumnFormSet(initial=_blank_rows(rows), roles=roles, prefix="columns")
            return _editor_page(request, context | _forms(form, formset, sample_form, True))
        # Only the file field speaks: the profile's own columns (if any) stay as saved.
        form = ProfileForm(instance=profile)
        formset = _saved_columns(profile, roles)
        show = profile is not None
        return _editor_page(request, context | _forms(form, formset, sample_form, show))
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=profile)
        formset = ColumnFormSet(request.POST, roles=roles, prefix="columns")
        if form.is_valid() and formset.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "based_on"}
            data |= formset.profile_data()
            try:
                return save(form, data)
            except StaleEdit as exc:
                form.refuse(exc)
                status = conflict_status(request)
                return _editor_page(request, context | _forms(form, formset, sample_form), status)
            except DomainError as exc:
                form.add_error("name", str(exc))
        return _editor_page(request, context | _forms(form, formset, sample_form, True))
    form = ProfileForm(instance=profile)
    formset = _saved_columns(profile, roles) if profile else None
    return _editor_page(request, context | _forms(form, formset, sample_form, profile is not None))


def _saved_columns(profile, roles) -> ColumnFormSet | None:
    if profile is None:
        return None
    return ColumnFormSet(initial=_blank_rows(column_rows(profile)), roles=roles, prefix="columns")


def _forms(form, formset, sample_form, show: bool = True) -> dict:
    return {"form": form, "formset": formset if show else None, "sample_form": sample_form}


# --- at a centre -------------------------------------------------------------------------------


def _centre_context(request: CentreRequest, profile=None) -> dict:
    slug = request.centre.slug
    action = (
        reverse("services:profile-edit", args=[slug, profile.pk])
        if profile
        else reverse("services:profile-create", args=[slug])
    )
    return {
        "profile": profile,
        "action": action,
        "back": reverse("services:profile-list", args=[slug]),
    }


@centre_view(EDIT_RECORDS)
@require_GET
def profile_list(request: CentreRequest) -> HttpResponse:
    """The centre's profiles, its commissions' and the shipped ones, with their columns."""
    indicators = selectors.centre_mapping_indicators(centre=request.centre)
    context = {
        "lists": selectors.centre_profiles(centre=request.centre),
        "names": _names(indicators),
        "can_edit": True,
    }
    return render(request, "services/profiles/list.html", context)


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def profile_create(request: CentreRequest) -> HttpResponse:
    """A new profile of the centre, from a sample file's columns."""

    def save(form, data):
        actions.profile_create(data=data, actor=request.user, centre=request.centre)
        messages.success(request, _("The import profile was saved."))
        return redirect("services:profile-list", request.centre.slug)

    indicators = selectors.centre_mapping_indicators(centre=request.centre)
    return _editor(request, indicators=indicators, save=save, context=_centre_context(request))


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def profile_edit(request: CentreRequest, pk: int) -> HttpResponse:
    """Change one of the centre's own profiles (stale edits refused)."""
    profile = selectors.own_centre_profile(centre=request.centre, pk=pk)

    def save(form, data):
        actions.profile_update(
            profile=profile, data=data, based_on=form.cleaned_data["based_on"], actor=request.user
        )
        messages.success(request, _("The import profile was saved."))
        return redirect("services:profile-list", request.centre.slug)

    indicators = selectors.centre_mapping_indicators(centre=request.centre)
    context = _centre_context(request, profile)
    return _editor(request, indicators=indicators, profile=profile, save=save, context=context)


@centre_view(EDIT_RECORDS)
@require_POST
def profile_delete(request: CentreRequest, pk: int) -> HttpResponse:
    profile = selectors.own_centre_profile(centre=request.centre, pk=pk)
    actions.profile_delete(profile=profile, actor=request.user)
    messages.success(request, _("The import profile was deleted."))
    return _to(request, reverse("services:profile-list", args=[request.centre.slug]))


@centre_view(EDIT_RECORDS)
@require_POST
def profile_copy(request: CentreRequest) -> HttpResponse:
    """A commission's or a shipped profile copied to the centre, to be changed there."""
    ref = request.POST.get("source", "")[:40]
    source = selectors.copyable_profile(path=centre_path(request.centre), ref=ref)
    if source is None:
        raise Http404("no such profile")
    copy = actions.profile_copy(source=source, actor=request.user, centre=request.centre)
    messages.success(request, _("The profile was copied; change it here as the centre's own."))
    return redirect("services:profile-edit", request.centre.slug, copy.pk)


# --- at a commission ---------------------------------------------------------------------------


def _path(request: AuthorityRequest) -> frozenset[int]:
    parents = {node.pk: node.parent_id for node in request.authority_tree}
    return frozenset(authority_ancestor_ids(request.authority.pk, parents))


def _authority_context(request: AuthorityRequest, profile=None) -> dict:
    slug = request.authority.slug
    action = (
        reverse("services:authority-profile-edit", args=[slug, profile.pk])
        if profile
        else reverse("services:authority-profile-create", args=[slug])
    )
    back = reverse("services:authority-profile-list", args=[slug])
    return {"profile": profile, "action": action, "back": back}


@authority_view(VIEW_AUTHORITY)
@require_GET
def authority_profile_list(request: AuthorityRequest) -> HttpResponse:
    """The commission's profiles (for all its centres), those above it, and the shipped ones."""
    indicators = selectors.authority_mapping_indicators(authority=request.authority)
    context = {
        "lists": selectors.authority_profiles(authority=request.authority, path=_path(request)),
        "names": _names(indicators),
        "can_edit": request.access.can(CONFIGURE_COMMISSION),
    }
    return render(request, "services/profiles/list.html", context)


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def authority_profile_create(request: AuthorityRequest) -> HttpResponse:
    def save(form, data):
        actions.profile_create(data=data, actor=request.user, authority=request.authority)
        messages.success(request, _("The import profile was saved."))
        return redirect("services:authority-profile-list", request.authority.slug)

    indicators = selectors.authority_mapping_indicators(authority=request.authority)
    context = _authority_context(request)
    return _editor(request, indicators=indicators, save=save, context=context)


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def authority_profile_edit(request: AuthorityRequest, pk: int) -> HttpResponse:
    profile = selectors.own_authority_profile(authority=request.authority, pk=pk)

    def save(form, data):
        actions.profile_update(
            profile=profile, data=data, based_on=form.cleaned_data["based_on"], actor=request.user
        )
        messages.success(request, _("The import profile was saved."))
        return redirect("services:authority-profile-list", request.authority.slug)

    indicators = selectors.authority_mapping_indicators(authority=request.authority)
    context = _authority_context(request, profile)
    return _editor(request, indicators=indicators, profile=profile, save=save, context=context)


@authority_view(CONFIGURE_COMMISSION)
@require_POST
def authority_profile_delete(request: AuthorityRequest, pk: int) -> HttpResponse:
    profile = selectors.own_authority_profile(authority=request.authority, pk=pk)
    actions.profile_delete(profile=profile, actor=request.user)
    messages.success(request, _("The import profile was deleted."))
    return _to(request, reverse("services:authority-profile-list", args=[request.authority.slug]))


@authority_view(CONFIGURE_COMMISSION)
@require_POST
def authority_profile_copy(request: AuthorityRequest) -> HttpResponse:
    """A shipped profile, or one of a commission above, copied to this commission."""
    ref = request.POST.get("source", "")[:40]
    path = _path(request) - {request.authority.pk}
    source = selectors.copyable_profile(path=path, ref=ref)
    if source is None:
        raise Http404("no such profile")
    copy = actions.profile_copy(source=source, actor=request.user, authority=request.authority)
    messages.success(request, _("The profile was copied; change it here as the commission's own."))
    return redirect("services:authority-profile-edit", request.authority.slug, copy.pk)


# --- importing a file through a profile --------------------------------------------------------


def _import_choices(lists) -> tuple[list, list[str]]:
    """The profile select's groups, and the refs of profiles that read no month column."""
    own = [(selectors.profile_ref(p), p.name) for p in lists.own]
    above = [(selectors.profile_ref(p), f"{p.name}（{p.authority.name}）") for p in lists.above]
    shipped = [(selectors.profile_ref(p), p.name) for p in lists.shipped]
    groups = [
        (_("the centre's profiles"), own),
        (_("the commissions' profiles"), above),
        (_("shipped with the app"), shipped),
    ]
    every = [*lists.own, *lists.above, *lists.shipped]
    needs_month = [selectors.profile_ref(p) for p in every if not p.period_column]
    return [g for g in groups if g[1]], needs_month


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def profile_import_upload(request: CentreRequest) -> HttpResponse:
    """Upload a file to import through a profile; it is checked in the background."""
    lists = selectors.centre_profiles(centre=request.centre)
    choices, needs_month = _import_choices(lists)
    initial = {"profile": request.GET.get("profile", "")[:40]}
    form = ProfileImportForm(
        request.POST or None,
        request.FILES or None,
        choices=choices,
        needs_month=needs_month,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        ref = form.cleaned_data["profile"]
        profile = selectors.usable_profile(centre=request.centre, ref=ref)
        if profile is None:
            raise Http404("no such profile")
        month = form.cleaned_data["month"] if not profile.period_column else None
        try:
            job = profile_import.import_start(
                centre=request.centre,
                actor=request.user,
                profile=profile,
                ref=ref,
                month=month,
                upload=form.cleaned_data["file"],
            )
        except imports.Refused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("services:profile-import-preview", request.centre.slug, job.pk)
    context = {
        "form": form,
        "jobs": profile_import.recent_jobs(centre=request.centre),
        "url_name": "services:profile-import-preview",
    }
    return render(request, "services/profiles/import.html", context)


def _job(request: CentreRequest, pk: int) -> ImportJob:
    """The centre's profile import; one whose profile reads several centres is its uploader's
    alone (it may hold other centres' figures)."""
    job = get_object_or_404(ImportJob, kind=profile_import.KIND, centre=request.centre, pk=pk)
    multi = Spec.from_json(job.params.get("profile", {"name": ""})).multi_centre
    if multi and job.created_by_id != request.user.pk:
        raise Http404("no such import")
    return job


@centre_view(EDIT_RECORDS)
@require_GET
def profile_import_preview(request: CentreRequest, pk: int) -> HttpResponse:
    """The job: its progress, then what the file would do, every problem named."""
    job = _job(request, pk)
    if (poll := imports.job_poll(request, job)) is not None:
        return poll
    context = {"job": job, "plan": job.plan, "problems": profile_import.problems(job)}
    return render(request, "services/profiles/preview.html", context)


@centre_view(EDIT_RECORDS)
@require_POST
def profile_import_confirm(request: CentreRequest, pk: int) -> HttpResponse:
    """Apply the previewed rows: all or nothing, or (if chosen) those without problems."""
    job = _job(request, pk)
    partial = request.POST.get("mode") == "partial"
    if profile_import.problems(job) and not partial:
        messages.error(
            request,
            _(
                "Nothing was imported: some rows have problems. Correct the file and upload it "
                "again, or choose to import the rows without problems."
            ),
        )
        return redirect("services:profile-import-preview", request.centre.slug, pk)
    try:
        imports.import_confirm(job=job, actor=request.user, options={"partial": partial})
    except imports.Refused as exc:
        messages.error(request, _("Nothing was imported: %(why)s") % {"why": exc})
    return redirect("services:profile-import-preview", request.centre.slug, pk)
