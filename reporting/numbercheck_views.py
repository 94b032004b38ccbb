"""The number check beside a text: the annual report's narrative and a summary, as an htmx
partial the pages load after they show (reporting/numbercheck.py says what is checked).

Whoever can read the document can read its check: the centre sees its working copy checked,
a reviewer the version that was submitted (as the filing page shows them).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from centers.access import CentreRequest, authority_view, centre_view
from centers.permissions import VIEW_AUTHORITY, VIEW_CENTRE

from . import numbercheck
from .models import AnnualFiling, Summary
from .numbercheck_books import filing_book, summary_book
from .views import _reader_content

PARTIAL = "reporting/partials/number_check.html"


def check_context(ties: list[numbercheck.Tie], scope: numbercheck.Scope) -> dict:
    """What the partial shows: the mismatches, and how many numbers were tied at all."""
    return {
        "check": {
            "flags": numbercheck.mismatches(ties),
            "checked": len(ties),
            "agreed": sum(t.agrees for t in ties),
            "owner": scope.owner,
            "period": scope.period.label,
        }
    }


@centre_view(VIEW_CENTRE)
@require_GET
def filing_number_check(request: CentreRequest, year: int) -> HttpResponse:
    """开展业务活动情况 against the centre's figures for the report year."""
    if not 2000 <= year <= 2100:
        raise Http404("no such year")
    filing = get_object_or_404(AnnualFiling, centre=request.centre, year=year)
    filing.centre = request.centre
    content, _latest = _reader_content(request, filing)
    book, scope = filing_book(filing)
    ties = numbercheck.check_narrative(str(content.get("narrative") or ""), book, scope)
    return render(request, PARTIAL, check_context(ties, scope) | {"filing": filing})


def _summary(request: HttpRequest, pk: int) -> Summary:
    centre = getattr(request, "centre", None)
    if centre is not None:
        found = get_object_or_404(Summary.objects.filter(centre=centre), pk=pk)
        found.centre = centre
        return found
    authority = request.authority  # type: ignore[attr-defined]
    found = get_object_or_404(Summary.objects.filter(authority=authority), pk=pk)
    found.authority = authority
    return found


@require_GET
def summary_number_check(request: HttpRequest, pk: int) -> HttpResponse:
    """What the author wrote in the summary against its owner's figures for its period."""
    summary = _summary(request, pk)
    book, scope = summary_book(summary)
    ties = numbercheck.check_summary_texts(summary.texts, summary.figures, book, scope)
    return render(request, PARTIAL, check_context(ties, scope) | {"summary": summary})


def routes() -> list[tuple[str, str, object]]:
    """(route, name, view) of the summary check, under a centre and under an authority."""
    tail = "summaries/<int:pk>/number-check/"
    return [
        (
            f"centres/<slug:centre_slug>/{tail}",
            "centre-summary-number-check",
            centre_view(VIEW_CENTRE)(summary_number_check),
        ),
        (
            f"authorities/<slug:authority_slug>/{tail}",
            "authority-summary-number-check",
            authority_view(VIEW_AUTHORITY)(summary_number_check),
        ),
    ]
