"""A person's own notifications: the list behind the header's bell, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import actions, selectors


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """Only the signed-in person's notifications: no place to check, no one else's to see."""
    notes = selectors.notification_list(user=request.user)
    return render(request, "reporting/notifications.html", {"notes": notes})


@require_GET
@login_required
def notifications_unread(request: HttpRequest) -> HttpResponse:
    """The header's unread badge, fetched after the page (htmx) so pages keep their queries."""
    count = selectors.unread_count(user=request.user)
    return render(request, "reporting/partials/unread_badge.html", {"count": count})


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one (pk) or every notification read; a pk that is not yours changes nothing."""
    raw = request.POST.get("pk", "")
    pk = int(raw) if raw.isdigit() and len(raw) < 10 else None
    if raw and pk is None:
        return redirect("reporting:notifications")  # nonsense marks nothing, rather than all
    actions.notifications_mark_read(user=request.user, pk=pk)
    return redirect("reporting:notifications")
