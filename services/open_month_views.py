"""Requests to open locked months: a centre asks, a reviewer of its commission decides."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centers.access import (
    AuthorityRequest,
    CentreRequest,
    authority_view,
    centre_view,
    review_refusal,
)
from centers.permissions import EDIT_RECORDS, REVIEW_FILINGS, VIEW_AUTHORITY
from core.errors import DomainError

from . import actions, selectors
from .forms import DeclineForm, OpenMonthRequestForm
from .locking import still_locked
from .models import OPEN_REQUEST_DAYS, OpenMonthRequest


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def open_month_request(request: CentreRequest) -> HttpResponse:
    """The centre asks for a range of months, with a reason (the grid's locked line links here)."""
    initial = {k: request.GET[k] for k in ("first_month", "last_month") if k in request.GET}
    form = OpenMonthRequestForm(request.POST or None, initial=initial, centre=request.centre)
    if request.method == "POST" and form.is_valid():
        try:
            actions.open_month_request_create(
                centre=request.centre, actor=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your request is sent to the commission."))
            return redirect("services:lock-exceptions", request.centre.slug)
    context = {"form": form, "open_days": OPEN_REQUEST_DAYS}
    return render(request, "services/open_month_request.html", context)


def _centre_request(request: CentreRequest, pk: int) -> OpenMonthRequest:
    return get_object_or_404(
        OpenMonthRequest.objects.filter(centre=request.centre).select_related("requested_by"),
        pk=pk,
    )


def _back_to_list(request: CentreRequest) -> HttpResponse:
    return redirect("services:open-month-requests", request.centre.sponsor.slug)


@centre_view(REVIEW_FILINGS)
@require_POST
def open_month_request_grant(request: CentreRequest, pk: int) -> HttpResponse:
    """One click: the months reopen (a lock exception) and the request is marked granted."""
    open_request = _centre_request(request, pk)
    try:
        actions.open_month_request_grant(request=open_request, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The months are reopened."))
        warn_still_locked(
            request, request.centre, open_request.first_month, open_request.last_month
        )
    return _back_to_list(request)


@centre_view(REVIEW_FILINGS)
@require_http_methods(["GET", "POST"])
def open_month_request_decline(request: CentreRequest, pk: int) -> HttpResponse:
    """Decline with a reason the centre reads."""
    open_request = _centre_request(request, pk)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.open_month_request_decline(
                request=open_request, reason=form.cleaned_data["reason"], actor=request.user
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The request is declined."))
            return _back_to_list(request)
    context = {"form": form, "open_request": open_request}
    return render(request, "services/open_month_decline.html", context)


@authority_view(VIEW_AUTHORITY)
@require_GET
def open_month_requests(request: AuthorityRequest) -> HttpResponse:
    """Requests of the centres below the commission; its own reviewers decide them here."""
    rows = [
        (r, not review_refusal(request.places, r.centre) and r.requested_by_id != request.user.pk)
        for r in selectors.open_month_request_list(authority_ids=request.authority_subtree)
    ]
    context = {"rows": rows, "open_days": OPEN_REQUEST_DAYS}
    return render(request, "services/open_month_requests.html", context)


def warn_still_locked(request, centre, first, last) -> None:
    """Months an exception cannot open (approved) are named, not passed over in silence."""
    for span in still_locked(centre, first, last, timezone.localdate()):
        messages.warning(
            request,
            _("%(months)s stay locked: %(reason)s") % {"months": span.label, "reason": span.reason},
        )
