"""Who hears about a filing step, and what the mail says."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from centers.models import AuthorityMembership, CentreMembership
from centers.selectors import authority_ancestor_ids, authority_parent_map

from .models import AnnualFiling, FilingEvent, Notification

S = AnnualFiling.Status


def _people(event: FilingEvent) -> list:
    """Reviewers of the sponsor and the authorities above for a submission; else the managers."""
    centre = event.filing.centre
    if event.to_status == S.SUBMITTED:
        above = authority_ancestor_ids(centre.sponsor_id, authority_parent_map())
        members = AuthorityMembership.objects.filter(authority_id__in=above)
    elif event.to_status in (S.RETURNED, S.APPROVED, S.PUBLISHED):
        members = CentreMembership.objects.filter(centre=centre, role=CentreMembership.Role.MANAGER)
    else:
        return []
    return list({m.user for m in members.select_related("user") if m.user.is_active})


def recipients(event: FilingEvent) -> list[str]:
    """The addresses a filing step's mail goes to."""
    return sorted({user.email for user in _people(event) if user.email})


def filing_step_notices(event: FilingEvent) -> None:
    """The same people see the step in the app at once, with the reviewer's comment (the mail
    goes by notify_filing_event_task)."""
    people = _people(event)
    if not people:
        return
    filing = event.filing
    title = _("%(centre)s, %(year)s annual report: %(state)s") % {
        "centre": filing.centre.name,
        "year": filing.year,
        "state": S(event.to_status).label,
    }
    if event.comment:
        title += " " + _("Comment: %(text)s") % {"text": event.comment}
    path = reverse("reporting:filing", args=[filing.centre.slug, filing.year])
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind=Notification.Kind.FILING_STEP,
                key=f"filing-event:{event.pk}",
                title=title[:200],
                path=path,
            )
            for user in people
        ],
        ignore_conflicts=True,
    )


def send_event_mail(event: FilingEvent) -> int:
    to = recipients(event)
    if not to:
        return 0
    filing = event.filing
    subject = _("%(centre)s, %(year)s annual report: %(state)s") % {
        "centre": filing.centre.name,
        "year": filing.year,
        "state": S(event.to_status).label,
    }
    path = reverse("reporting:filing", args=[filing.centre.slug, filing.year])
    lines = [subject, _("By %(who)s.") % {"who": event.who}]
    if event.comment:
        lines.append(_("Comment: %(text)s") % {"text": event.comment})
    lines.append(site_url(path))
    send_mail(subject, "\n".join(lines), None, to)
    return len(to)


def site_url(path: str) -> str:
    """A link for a mail: the site's configured public address (CHC_SITE_URL) and the path."""
    return settings.SITE_URL.rstrip("/") + path


def send_notification_mail(note: Notification, *, connection=None) -> None:
    """A reminder's mail: its title, a digest's lines and the link; reminders.reminders_send
    claims and records it."""
    body = "\n".join([note.title, *([note.body] if note.body else []), site_url(note.path)])
    send_mail(note.title, body, None, [note.recipient.email], connection=connection)


def open_month_notify(*, request, event: str, **_kwargs) -> list[int]:
    """A request to open months reaches its commission's reviewers; their answer reaches the
    person who asked. In the app at once (in the step's transaction), by mail from a task."""
    from core import outbox

    centre = request.centre
    months = f"{request.first_month:%Y-%m}–{request.last_month:%Y-%m}"
    if event == "created":
        members = AuthorityMembership.objects.filter(authority_id=centre.sponsor_id)
        users = [m.user for m in members.select_related("user")]
        kind = Notification.Kind.OPEN_MONTH_ASKED
        title = _("%(centre)s asks to open %(months)s: %(reason)s") % {
            "centre": centre.name,
            "months": months,
            "reason": request.reason,
        }
        path = reverse("services:open-month-requests", args=[centre.sponsor.slug])
    else:
        users = [request.requested_by] if request.requested_by else []
        kind = Notification.Kind.OPEN_MONTH_DECIDED
        if event == "granted":
            title = _("%(months)s are open for %(centre)s.") % {
                "months": months,
                "centre": centre.name,
            }
        else:
            title = _("The request to open %(months)s was declined: %(reason)s") % {
                "months": months,
                "reason": request.decline_reason,
            }
        path = reverse("services:lock-exceptions", args=[centre.slug])
    key = f"open-month:{request.pk}:{event}"
    users = [u for u in users if u.is_active]
    Notification.objects.bulk_create(
        [
            Notification(recipient=u, kind=kind, key=key, title=title[:200], path=path)
            for u in users
        ],
        ignore_conflicts=True,
    )
    ids = list(
        Notification.objects.filter(kind=kind, key=key)
        .exclude(recipient__email="")
        .values_list("pk", flat=True)
    )
    if ids:
        outbox.enqueue("reporting.tasks.notifications_mail_task", key=f"mail:{key}", ids=ids)
    return ids
