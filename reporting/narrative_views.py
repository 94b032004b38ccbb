"""The filing page's import of 开展业务活动情况 from the centre's accepted year summary.

Two steps: the import button sits in the narrative's own form, so it carries the box's text as
typed (saved or not) to a confirmation that shows what would replace what and offers to
replace or to append; only the confirmation writes.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from centers.access import CentreRequest, centre_view
from centers.permissions import EDIT_RECORDS
from core.errors import DomainError
from core.stale import StaleEdit, conflict_status, stamp

from . import narrative_actions
from .forms import NarrativeForm, first_error
from .models import AnnualFiling


class ImportForm(NarrativeForm):
    """The narrative form's fields (the stamp, the box's text) and, once confirmed, the mode."""

    # The buttons' values, never shown as labels.
    mode = forms.ChoiceField(
        required=False,
        choices=[(m, m) for m in (narrative_actions.REPLACE, narrative_actions.APPEND)],
    )


def import_context(filing: AnnualFiling) -> dict:
    """What the filing page shows beside the narrative: the summary an import would take, or
    why there is none to take (not accepted yet, or too long for the box). One query."""
    summary = narrative_actions.year_summary(filing.centre, filing.year)
    refusal = narrative_actions.import_refusal(summary, filing.year)
    if not refusal:
        try:
            narrative_actions.narrative_from_summary(summary, filing.year)
        except DomainError as exc:
            refusal = str(exc)
    return {"import": {"summary": summary, "refusal": refusal, "based_on": stamp(filing)}}


@centre_view(EDIT_RECORDS)
@require_POST
def filing_narrative_import(request: CentreRequest, year: int) -> HttpResponse:
    """Without a mode: the confirmation (what replaces what, replace or append). With one: the
    import, refused with the reason and the typed text kept (no summary to take, too long, or
    the report changed since the page was opened)."""
    from .views import _narrative_refused

    if not 2000 <= year <= 2100:
        raise Http404("no such year")
    filing = get_object_or_404(AnnualFiling, centre=request.centre, year=year)
    filing.centre = request.centre
    form = ImportForm(request.POST)
    carried = "narrative" in request.POST
    typed = request.POST.get("narrative", "").replace("\x00", "") if carried else filing.narrative
    if not form.is_valid():
        return _narrative_refused(request, filing, first_error(form), typed)
    if carried:
        typed = form.cleaned_data["narrative"]
    mode = form.cleaned_data["mode"]
    if not mode:
        return _confirmation(request, filing, form, typed if carried else None)
    try:
        narrative_actions.filing_import_summary(
            filing=filing,
            based_on=form.cleaned_data["based_on"],
            actor=request.user,
            access=request.access,
            mode=mode,
            typed=typed if carried else None,
        )
    except StaleEdit as exc:  # the page then shows what was saved meanwhile, beside the typing
        form.refuse(exc)
        filing.refresh_from_db()
        return _narrative_refused(request, filing, str(exc), typed, form, conflict_status(request))
    except DomainError as exc:
        return _narrative_refused(request, filing, str(exc), typed)
    messages.success(request, _done(mode))
    return redirect("reporting:filing", request.centre.slug, year)


def _done(mode: str) -> str:
    if mode == narrative_actions.APPEND:
        return _(
            "The accepted year summary was added after the text of 开展业务活动情况; the text "
            "before the import is kept in the history."
        )
    return _(
        "开展业务活动情况 now holds the accepted year summary; the text it replaced is kept in "
        "the history."
    )


def _confirmation(
    request: CentreRequest, filing: AnnualFiling, form: ImportForm, typed: str | None
) -> HttpResponse:
    """Both texts side by side before anything is written; a refusal says why instead."""
    from .views import _narrative_refused

    current = filing.narrative if typed is None else typed
    summary = narrative_actions.year_summary(filing.centre, filing.year)
    try:
        if refusal := narrative_actions.import_refusal(summary, filing.year):
            raise DomainError(refusal)
        imported = narrative_actions.narrative_from_summary(summary, filing.year)
    except DomainError as exc:
        return _narrative_refused(request, filing, str(exc), current)
    appended = narrative_actions.imported_text(
        current=current, imported=imported, mode=narrative_actions.APPEND
    )
    context = {
        "year": filing.year,
        "filing": filing,
        "summary": summary,
        "current": current,
        "unsaved": typed is not None and typed != filing.narrative,
        "imported": imported,
        "can_append": len(appended) <= narrative_actions.NARRATIVE_LIMIT,
        "based_on": form.cleaned_data["based_on"],
        "carried": typed is not None,
    }
    return render(request, "reporting/narrative_import.html", context)
