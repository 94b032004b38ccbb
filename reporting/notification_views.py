"""A person's own notifications: the list behind the header's bell, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from core.pagination import CountingPaginator

from . import actions, selectors

NOTIFICATIONS = "reporting/notifications.html"
PAGE_SIZE = 50


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


@login_required
@require_GET
def notification_list(request: HtmxRequest) -> HttpResponse:
    """Only the signed-in person's notifications, paged: no place to check, no one else's to see."""
    notes = selectors.notification_list(user=request.user)
    page = CountingPaginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    htmx = request.htmx and not request.htmx.boosted
    template = NOTIFICATIONS + "#notification-list" if htmx else NOTIFICATIONS
    return render(request, template, {"page": page})


@login_required
@require_GET
def notifications_unread(request: HttpRequest) -> HttpResponse:
    """The header's unread badge, fetched after the page (htmx) so pages keep their queries."""
    count = selectors.unread_count(user=request.user)
    return render(request, "reporting/partials/unread_badge.html", {"count": count})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one of your notifications read (another's is a 404, as if absent), or all of them."""
    raw = request.POST.get("pk", "")
    pk = None
    if raw:
        mine = selectors.notification_list(user=request.user)
        if not (raw.isdigit() and len(raw) < 19 and mine.filter(pk=raw).exists()):
            raise Http404
        pk = int(raw)
    actions.notifications_mark_read(user=request.user, pk=pk)
    url = reverse("reporting:notifications")
    back = request.POST.get("page", "")
    return redirect(f"{url}?page={back}" if back.isdigit() else url)
