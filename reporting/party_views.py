"""三会一课 compliance: a centre's month by month (also the fragment its 党支部 page loads), and a
commission's centre by centre."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from centers.access import AuthorityRequest, CentreRequest, authority_view, centre_view
from centers.models import Centre
from centers.permissions import VIEW_AUTHORITY, VIEW_CENTRE
from core.periods import PeriodForm

from . import party

PARTS = ("year", "h1", "h2", "q1", "q2", "q3", "q4")
CENTRE_PAGE = "reporting/party_compliance.html"
OVERVIEW_PAGE = "reporting/party_overview.html"
PAGE_ROWS = 50  # centres per page of the commission's overview


def _period(request):
    """The period picked, else this year: a year without meetings yet is shown and said so, not
    skipped for the last year that had some."""
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, parts=PARTS)
    period = form.period(today.year)
    form.initial = {"year": period.first.year, "part": "year"}
    return form, period, today


@centre_view(VIEW_CENTRE)
@require_GET
def centre_compliance(request: CentreRequest) -> HttpResponse:
    """The centre's 三会一课 for a year, half-year or quarter; htmx gets the section alone."""
    ids = [request.centre.pk]
    form, period, today = _period(request)
    result = party.compliance(centre_ids=ids, period=period, today=today)[request.centre.pk]
    context = {
        "form": form,
        "period": period,
        "c": result,
        # Said beside a period without meetings: when the latest was (a query only then).
        "last_meeting": None if result.held else party.last_meeting_on(centre_ids=ids),
        "months": period.months,
        "others": party.others(centre_ids=ids, period=period),
    }
    fragment = request.htmx and not request.htmx.boosted
    template = CENTRE_PAGE + "#party-compliance" if fragment else CENTRE_PAGE
    return render(request, template, context)


@authority_view(VIEW_AUTHORITY)
@require_GET
def authority_compliance(request: AuthorityRequest) -> HttpResponse:
    """Every centre of the commission's subtree: meetings due, held on time, and which missed."""
    centres = Centre.objects.filter(sponsor_id__in=request.authority_subtree).order_by("name")
    page = Paginator(centres.only("pk", "name", "slug", "sponsor_id"), PAGE_ROWS).get_page(
        request.GET.get("page")
    )
    ids = [c.pk for c in page.object_list]
    form, period, today = _period(request)
    result = party.compliance(centre_ids=ids, period=period, today=today)
    rows = [(c, request.authority_names.get(c.sponsor_id, ""), result[c.pk]) for c in page]
    quiet = bool(ids) and not any(c.held for c in result.values())
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "period": period,
        "rows": rows,
        "no_meetings": quiet,
        "last_meeting": party.last_meeting_on(centre_ids=ids) if quiet else None,
        "rules": party.RULES,
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, OVERVIEW_PAGE, context)
