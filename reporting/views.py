"""Filing pages: the centre's report with its workflow, the reviewer's list, the PDF, 公示."""

from __future__ import annotations

from django.contrib import messages
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling
from django_scopes import scopes_disabled

from centers import selectors as centre_selectors
from centers.access import AuthorityRequest, CentreRequest, authority_view, centre_view
from centers.models import Authority
from centers.permissions import (
    EDIT_RECORDS,
    REVIEW_FILINGS,
    SUBMIT_FILINGS,
    VIEW_AUTHORITY,
    VIEW_CENTRE,
)
from core.downloads import download_name
from core.errors import DomainError
from core.stale import StaleEdit, conflict_status, stamp

from . import actions, selectors
from .forms import CommentForm, NarrativeForm, ReasonForm, first_error
from .models import FROZEN_STATUSES, AnnualFiling, FilingVersion, ReportRun
from .narrative_views import import_context
from .pdf import report_context
from .sections import SECTIONS


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise Http404("no such year")
    return year


def _filing(request: CentreRequest, year: int) -> AnnualFiling | None:
    return AnnualFiling.objects.filter(centre=request.centre, year=_year(year)).first()


def _reader_content(
    request: CentreRequest, filing: AnnualFiling
) -> tuple[dict, FilingVersion | None]:
    """Reviewers read exactly what was submitted; the centre sees its working copy."""
    latest = filing.versions.order_by("-number").first()
    centre_side = request.access.can(EDIT_RECORDS)
    if not centre_side:
        return (latest.content if latest else {}), latest
    return actions.content_of(filing), latest


def _diff_for(filing: AnnualFiling, latest: FilingVersion | None) -> list:
    """Against the version that was returned: what changed in the resubmission."""
    if latest is None or latest.number < 2:
        return []
    previous = filing.versions.get(number=latest.number - 1)
    return selectors.version_diff(previous.content, latest.content)


@centre_view(VIEW_CENTRE)
@require_GET
def filing_page(request: CentreRequest, year: int) -> HttpResponse:
    """The year's report: content, what is missing, the timeline, and the actions open to you."""
    return render(request, "reporting/filing_page.html", filing_context(request, year))


def filing_context(request: CentreRequest, year: int, **forms) -> dict:
    """The filing page's context; a refused form (an upload, a date) is passed in `forms`."""
    from .chain_views import chain_context

    filing = _filing(request, year)
    context = {
        "year": year,
        "filing": filing,
        "sections": SECTIONS,
        "access": request.access,
        "begun": selectors.year_begun(year),
    }
    if filing is not None:
        content, latest = _reader_content(request, filing)
        events = list(filing.events.select_related("actor"))
        context.update(
            content=content,
            latest=latest,
            diff=_diff_for(filing, latest),
            events=events,
            history=selectors.filing_history(filing, events),
            returned=selectors.return_step(filing, events),
            missing=actions.missing_sections(filing) if filing.editable else [],
            narrative_form=NarrativeForm(
                initial={"narrative": filing.narrative, "based_on": stamp(filing)}
            ),
            run=getattr(latest, "pdf", None) if latest else None,
        )
        if filing.editable and request.access.can(EDIT_RECORDS):
            context.update(import_context(filing))  # the narrative from the year summary
        context.update(chain_context(request, filing, latest, **forms))
    return context


@centre_view(EDIT_RECORDS)
@require_POST
def filing_open(request: CentreRequest, year: int) -> HttpResponse:
    try:
        actions.filing_open(centre=request.centre, year=_year(year), actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("reporting:filing", request.centre.slug, year)


@centre_view(EDIT_RECORDS)
@require_POST
def filing_refresh(request: CentreRequest, year: int) -> HttpResponse:
    filing = get_object_or_404(AnnualFiling, centre=request.centre, year=_year(year))
    try:
        actions.filing_refresh(filing=filing, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The prefilled sections now show the current data."))
    return redirect("reporting:filing", request.centre.slug, year)


@centre_view(EDIT_RECORDS)
@require_POST
def filing_narrative(request: CentreRequest, year: int) -> HttpResponse:
    """Save 开展业务活动情况; a stale or invalid form is refused and its text kept on the page."""
    filing = get_object_or_404(AnnualFiling, centre=request.centre, year=_year(year))
    form = NarrativeForm(request.POST)
    if not form.is_valid():
        typed = request.POST.get("narrative", "").replace("\x00", "")
        return _narrative_refused(request, filing, first_error(form), typed)
    text = form.cleaned_data["narrative"]
    try:
        actions.filing_save_narrative(
            filing=filing,
            narrative=text,
            based_on=form.cleaned_data["based_on"],
            actor=request.user,
            access=request.access,
        )
    except StaleEdit as exc:
        form.refuse(exc)
        filing.refresh_from_db()
        return _narrative_refused(request, filing, str(exc), text, form, conflict_status(request))
    except DomainError as exc:
        return _narrative_refused(request, filing, str(exc), text)
    messages.success(request, _("Saved."))
    return redirect("reporting:filing", request.centre.slug, year)


def _narrative_refused(
    request: CentreRequest,
    filing: AnnualFiling,
    error: str,
    typed: str,
    form: NarrativeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Both texts side by side, so nothing typed is lost; after a stale save, a form to resave."""
    context = {
        "year": filing.year,
        "filing": filing,
        "error": error,
        "typed": typed,
        "form": form if form is not None and form.stale and filing.editable else None,
    }
    return render(request, "reporting/narrative_conflict.html", context, status=status)


def _transition(
    request: CentreRequest, year: int, act, success: str, form_class: type[Form] | None = None
) -> HttpResponse:
    """Run one workflow step; a note, if any, passes its form first (no NUL, not too long).

    A refused step with a note comes back as the page with the note as typed and the reason
    beside it (409 when someone moved the report since the page was shown)."""
    filing = get_object_or_404(AnnualFiling, centre=request.centre, year=_year(year))
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        return _step_refused(request, year, form, first_error(form))
    kwargs = form.cleaned_data if form is not None else {}
    try:
        act(filing=filing, actor=request.user, access=request.access, **kwargs)
    except DomainError as exc:
        if form is None:
            messages.error(request, str(exc))
            return redirect("reporting:filing", request.centre.slug, year)
        overtaken = isinstance(exc, actions.StepOvertaken)
        return _step_refused(request, year, form, str(exc), overtaken)
    messages.success(request, success)
    return redirect("reporting:filing", request.centre.slug, year)


# The forms of the filing page by status, by the note they take.
STEP_FORMS = {
    "submitted": {"comment": "approve", "reason": "return"},
    "approved": {"reason": "reopen"},
}


def _step_refused(
    request: CentreRequest, year: int, form, error: str, overtaken: bool = False
) -> HttpResponse:
    """The filing page as it is now, with the refused step's note kept and its reason beside it."""
    context = filing_context(request, year)
    # Which form of the page as it is now takes the note back (a return overtaken by an approval
    # keeps its reason in the reopen form); none: the reason shows above the steps.
    at = STEP_FORMS.get(context["filing"].status, {}).get(form.note_field, "")
    context.update(
        step_note=form.data.get(form.note_field, ""),
        step_error=error,
        step_at=at if request.access.can(REVIEW_FILINGS) else "",
    )
    status = conflict_status(request) if overtaken else 200
    return render(request, "reporting/filing_page.html", context, status=status)


@centre_view(SUBMIT_FILINGS)
@require_POST
def filing_submit(request: CentreRequest, year: int) -> HttpResponse:
    return _transition(
        request, year, actions.filing_submit, _("The report is submitted for review.")
    )


@centre_view(REVIEW_FILINGS)
@require_POST
def filing_return(request: CentreRequest, year: int) -> HttpResponse:
    return _transition(
        request, year, actions.filing_return, _("The report is returned."), ReasonForm
    )


@centre_view(REVIEW_FILINGS)
@require_POST
def filing_approve(request: CentreRequest, year: int) -> HttpResponse:
    return _transition(
        request, year, actions.filing_approve, _("The report is approved."), CommentForm
    )


@centre_view(REVIEW_FILINGS)
@require_POST
def filing_publish(request: CentreRequest, year: int) -> HttpResponse:
    """Retired: the registration office publishes (公示) a report after it is filed on 事业单位在线,
    and the centre records that (reporting.chain); a commission no longer publishes by itself."""
    messages.error(
        request,
        _(
            "The registration office publishes the report after it is filed on 事业单位在线; "
            "the centre records the 公示 date here."
        ),
    )
    return redirect("reporting:filing", request.centre.slug, year)


@centre_view(REVIEW_FILINGS)
@require_POST
def filing_reopen(request: CentreRequest, year: int) -> HttpResponse:
    return _transition(
        request, year, actions.filing_reopen, _("The report is reopened."), ReasonForm
    )


@centre_view(VIEW_CENTRE)
@require_GET
def filing_report(request: CentreRequest, year: int) -> HttpResponse:
    """The report in the official layout, to read and print (A4)."""
    filing = get_object_or_404(AnnualFiling, centre=request.centre, year=_year(year))
    content, latest = _reader_content(request, filing)
    context = report_context(
        content=content,
        centre=request.centre,
        year=year,
        status_label=filing.get_status_display(),
        **_signed(filing, latest),
    )
    return render(request, "reporting/report_document.html", context)


def _signed(filing: AnnualFiling, latest: FilingVersion | None) -> dict:
    """The opinion box's wording and day, once the sponsor has approved (not after a reopen)."""
    if latest is None or filing.status not in FROZEN_STATUSES:
        return {}
    return {"opinion": latest.opinion, "approved_on": latest.approved_on}


def _latest_version(request: CentreRequest, year: int) -> FilingVersion:
    filing = get_object_or_404(AnnualFiling, centre=request.centre, year=_year(year))
    version = filing.versions.order_by("-number").first()
    if version is None:
        raise Http404("nothing submitted yet")
    return version


@centre_view(VIEW_CENTRE)
@require_POST
def pdf_request(request: CentreRequest, year: int) -> HttpResponse:
    """Ask for the PDF of the latest submitted version; a finished one is reused."""
    actions.report_run_request(version=_latest_version(request, year))
    return _pdf_status(request, year)


@centre_view(VIEW_CENTRE)
@require_GET
def pdf_status(request: CentreRequest, year: int) -> HttpResponse:
    """The PDF's progress; htmx polls until it is ready, then stops."""
    return _pdf_status(request, year)


def _pdf_status(request: CentreRequest, year: int) -> HttpResponse:
    version = _latest_version(request, year)
    run = ReportRun.objects.filter(version=version).first()
    response = render(
        request,
        "reporting/partials/pdf_status.html",
        {"run": run, "year": year, "version": version},
    )
    if request.htmx and (run is None or not run.in_progress):
        return HttpResponseStopPolling(response.content)
    return response


@centre_view(VIEW_CENTRE)
@require_GET
def pdf_download(request: CentreRequest, year: int) -> HttpResponse:
    version = _latest_version(request, year)
    run = ReportRun.objects.filter(version=version, status=ReportRun.Status.DONE).first()
    if run is None or not run.file:
        raise Http404("not rendered yet")
    try:
        if not run.file.storage.exists(run.file.name):
            raise FileNotFoundError(run.file.name)
        handle = run.file.open("rb")
    except OSError:  # deleted from storage since: offer to make it again
        actions.report_run_lost(run=run)
        raise Http404("the PDF is gone; make it again") from None
    name = download_name(
        request.centre.name,
        _("%(year)s annual report") % {"year": year},
        _("version %(n)s") % {"n": version.number},
        ext="pdf",
    )
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/pdf")


@authority_view(VIEW_AUTHORITY)
@require_GET
def authority_filings(request: AuthorityRequest, year: int) -> HttpResponse:
    """Every centre of the subtree with its filing state for the year; counts, overdue, filter."""
    centres = centre_selectors.centre_list(authority_ids=request.authority_subtree)
    rows = selectors.subtree_filings(centres=centres, year=_year(year), today=timezone.localdate())
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    state = request.GET.get("state", "")
    if state == "overdue":
        rows = [r for r in rows if r.overdue]
    elif state:
        rows = [r for r in rows if r.state == state]
    choices = [(selectors.STATE_NOT_STARTED, _("not started")), *AnnualFiling.Status.choices]
    states = [(value, label, counts.get(value, 0)) for value, label in choices]
    context = {
        "rows": rows,
        "year": year,
        "counts": counts,
        "states": states,
        "state": state,
        "due": selectors.due_date(year),
    }
    return render(request, "reporting/authority_filings.html", context)


# --- 公示: public, without login ---------------------------------------------------------


@require_GET
def public_filing(request: HttpRequest, pk: int) -> HttpResponse:
    """A published report, as approved; nothing unpublished is ever shown here."""
    with scopes_disabled():  # public reads are limited to published filings instead
        found = selectors.published_filing(pk)
        if found is None:
            raise Http404("not published")
        filing, version = found
        context = report_context(
            content=version.content,
            centre=filing.centre,
            year=filing.year,
            status_label=filing.get_status_display(),
            opinion=version.opinion,
            approved_on=version.approved_on,
        )
        context.update(
            public=True,
            filed_online_on=filing.filed_online_on,
            publicised_on=filing.publicised_on,
        )
        return render(request, "reporting/report_document.html", context)


@require_GET
def public_list(request: HttpRequest, authority_slug: str, year: int) -> HttpResponse:
    """The published reports of an authority's subtree for a year."""
    authority = get_object_or_404(Authority, slug=authority_slug)
    subtree = centre_selectors.authority_subtree_ids([authority.pk])
    with scopes_disabled():
        filings = list(
            AnnualFiling.objects.filter(
                centre__sponsor_id__in=subtree,
                year=_year(year),
                status=AnnualFiling.Status.PUBLISHED,
            )
            .select_related("centre")
            .order_by("centre__name")
        )
    return render(
        request,
        "reporting/public_list.html",
        {"authority": authority, "year": year, "filings": filings},
    )
