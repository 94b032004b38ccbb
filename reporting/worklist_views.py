"""The home pages' work lists, fetched after the page so that the pages themselves stay cheap
(and `centers`, which owns the pages, never imports `reporting`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from centers.access import AuthorityRequest, CentreRequest, authority_view, centre_view
from centers.permissions import VIEW_AUTHORITY, VIEW_CENTRE

from . import worklist


@authority_view(VIEW_AUTHORITY)
@require_GET
def authority_queue(request: AuthorityRequest) -> HttpResponse:
    """What waits for this reviewer over the commission's subtree, and apart what waits for the
    commissions below it."""
    lines = worklist.authority_queue(
        authority=request.authority, subtree=request.authority_subtree, places=request.places
    )
    return render(request, "reporting/partials/authority_queue.html", {"lines": lines})


@centre_view(VIEW_CENTRE)
@require_GET
def centre_todo(request: CentreRequest) -> HttpResponse:
    """The centre's to-do with due dates."""
    items = worklist.centre_todo(centre=request.centre)
    return render(request, "reporting/partials/centre_todo.html", {"items": items})
