"""Pages of the annual report after approval: attachments, the copy page for 事业单位在线, the
steps recorded from there, and the commission's opinion wording."""

from __future__ import annotations

from django.contrib import messages
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centers.access import AuthorityRequest, CentreRequest, authority_view, centre_view
from centers.permissions import CONFIGURE_COMMISSION, EDIT_RECORDS, SUBMIT_FILINGS, VIEW_CENTRE
from core.errors import DomainError

from . import actions, chain
from .chain_forms import (
    AttachmentForm,
    FiledForm,
    OpinionForm,
    PublicisedForm,
    RegistryReturnForm,
)
from .forms import first_error
from .models import (
    DEFAULT_OPINION,
    FROZEN_STATUSES,
    AnnualFiling,
    FilingAttachment,
    FilingVersion,
    OpinionTemplate,
)
from .sections import SECTIONS

S = AnnualFiling.Status


def chain_context(
    request: CentreRequest, filing: AnnualFiling, latest: FilingVersion | None, **forms
) -> dict:
    """What the filing page shows of the chain: opinion, attachments, where it stands online."""
    current = list(filing.attachments.filter(removed_at=None).select_related("uploaded_by"))
    signed = latest is not None and filing.status in FROZEN_STATUSES and bool(latest.opinion)
    scan_only = not filing.editable and not chain.attachments_refusal(filing, "signed_scan")
    return {
        "signed": signed,
        "attachments": current,
        "attachments_open": filing.editable or scan_only,
        "scan_only": scan_only,
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "filed_form": forms.get("filed_form") or FiledForm(),
        "publicised_form": forms.get("publicised_form") or PublicisedForm(),
        "online_state": chain.state_label(filing),
        "registry_step": _last_step(filing, "registry_returned"),
    }


def _last_step(filing: AnnualFiling, step: str):
    """The latest event of a step, for its reason (the history is short: one query)."""
    return filing.events.filter(step=step).order_by("-created_at", "-id").first()


def _filing(request: CentreRequest, year: int) -> AnnualFiling:
    if not 2000 <= year <= 2100:
        raise Http404("no such year")
    return get_object_or_404(AnnualFiling, centre=request.centre, year=year)


def _back(request: CentreRequest, year: int, anchor: str = "") -> HttpResponse:
    response = redirect("reporting:filing", request.centre.slug, year)
    response["Location"] += anchor
    return response


def _refused_page(request: CentreRequest, year: int, **forms) -> HttpResponse:
    """The filing page again with the refused form and its error beside the field (200)."""
    from .views import filing_context

    return render(request, "reporting/filing_page.html", filing_context(request, year, **forms))


@centre_view(EDIT_RECORDS)
@require_POST
def attachment_add(request: CentreRequest, year: int) -> HttpResponse:
    """Attach a checked file; a refused one is explained beside the field, nothing stored."""
    filing = _filing(request, year)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused_page(request, year, attachment_form=form)
    try:
        chain.attachment_add(
            filing=filing,
            kind=form.cleaned_data["kind"],
            checked=form.cleaned_data["checked"],
            name=form.cleaned_data["file"].name,
            actor=request.user,
            access=request.access,
        )
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _refused_page(request, year, attachment_form=form)
    messages.success(request, _("The file is attached."))
    return _back(request, year, "#attachments")


@centre_view(EDIT_RECORDS)
@require_POST
def attachment_remove(request: CentreRequest, year: int, pk: int) -> HttpResponse:
    filing = _filing(request, year)
    attachment = get_object_or_404(FilingAttachment, filing=filing, pk=pk, removed_at=None)
    try:
        chain.attachment_remove(attachment=attachment, actor=request.user, access=request.access)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The attachment is removed."))
    return _back(request, year, "#attachments")


@centre_view(VIEW_CENTRE)
@require_GET
def attachment_download(request: CentreRequest, year: int, pk: int) -> HttpResponse:
    """An attachment, to the centre's people and the reviewers above it (others get 404)."""
    attachment = get_object_or_404(FilingAttachment, filing=_filing(request, year), pk=pk)
    try:
        handle = attachment.file.open("rb")
    except OSError:
        raise Http404("the file is gone from storage") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@centre_view(VIEW_CENTRE)
@require_GET
def filing_copy(request: CentreRequest, year: int) -> HttpResponse:
    """Each field of the report in the order of the online form, with a button to copy it."""
    filing = _filing(request, year)
    latest = filing.versions.order_by("-number").first()
    # What is filed online is what the sponsor approved; before that, the current draft.
    if latest is not None and not filing.editable:
        content, source = latest.content, latest
    else:
        content, source = actions.content_of(filing), None
    fields = [(s, str(content.get(s.key) or "")) for s in SECTIONS]
    context = {"filing": filing, "year": year, "fields": fields, "source": source}
    return render(request, "reporting/filing_copy.html", context)


def _step(request: CentreRequest, year: int, form_class: type[Form], act, done: str, name: str):
    """Record one step from 事业单位在线; a bad date shows beside its field on the page."""
    filing = _filing(request, year)
    form = form_class(request.POST)
    if not form.is_valid():
        if name:
            return _refused_page(request, year, **{name: form})
        messages.error(request, first_error(form))
        return _back(request, year, "#online")
    try:
        act(filing=filing, actor=request.user, access=request.access, **form.cleaned_data)
    except DomainError as exc:
        # At the top as well: the step's form is not drawn when the report moved on meanwhile
        # (another tab recorded it), and the refusal must still be seen.
        messages.error(request, str(exc))
        if name:
            form.add_error(None, str(exc))
            return _refused_page(request, year, **{name: form})
    else:
        messages.success(request, done)
    return _back(request, year, "#online")


@centre_view(SUBMIT_FILINGS)
@require_POST
def filing_filed(request: CentreRequest, year: int) -> HttpResponse:
    done = _("The filing on 事业单位在线 is recorded.")
    return _step(request, year, FiledForm, chain.filing_record_filed, done, "filed_form")


@centre_view(SUBMIT_FILINGS)
@require_POST
def filing_registry_return(request: CentreRequest, year: int) -> HttpResponse:
    done = _(
        "The registration office's return is recorded. If only the signed scan needs replacing, "
        "replace it and file again; to change the report itself, its commission reopens it."
    )
    act = chain.filing_record_registry_return
    return _step(request, year, RegistryReturnForm, act, done, "")


@centre_view(SUBMIT_FILINGS)
@require_POST
def filing_publicised(request: CentreRequest, year: int) -> HttpResponse:
    done = _("The publication is recorded; the report is on the public page.")
    act = chain.filing_record_publicised
    return _step(request, year, PublicisedForm, act, done, "publicised_form")


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def opinion_template(request: AuthorityRequest) -> HttpResponse:
    """The commission's wording for the 举办单位意见 box (the standard one until changed)."""
    instance = OpinionTemplate.objects.filter(authority=request.authority).first()
    initial = {} if instance else {"text": DEFAULT_OPINION}
    form = OpinionForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        chain.opinion_template_save(
            authority=request.authority, text=form.cleaned_data["text"], actor=request.user
        )
        messages.success(request, _("The opinion wording is saved."))
        return redirect("reporting:opinion-template", request.authority.slug)
    context = {"form": form, "default": DEFAULT_OPINION}
    return render(request, "reporting/opinion_template.html", context)
