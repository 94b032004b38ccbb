"""Who hears about a filing step, and what the mail says."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from centers.models import AuthorityMembership, CentreMembership
from centers.selectors import authority_ancestor_ids, authority_parent_map

from .models import AnnualFiling, FilingEvent, Notification

S = AnnualFiling.Status


def recipients(event: FilingEvent) -> list[str]:
    """Reviewers of the sponsor and the authorities above for a submission; else the managers."""
    centre = event.filing.centre
    if event.to_status == S.SUBMITTED:
        above = authority_ancestor_ids(centre.sponsor_id, authority_parent_map())
        members = AuthorityMembership.objects.filter(authority_id__in=above)
    elif event.to_status in (S.RETURNED, S.APPROVED, S.PUBLISHED):
        members = CentreMembership.objects.filter(centre=centre, role=CentreMembership.Role.MANAGER)
    else:
        return []
    return sorted(
        {m.user.email for m in members.select_related("user") if m.user.email and m.user.is_active}
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
    lines = [subject, _("By %(who)s.") % {"who": event.actor_name}]
    if event.comment:
        lines.append(_("Comment: %(text)s") % {"text": event.comment})
    lines.append(site_url(path))
    send_mail(subject, "\n".join(lines), None, to)
    return len(to)


def site_url(path: str) -> str:
    """A link for a mail: the site's configured public address (CHC_SITE_URL) and the path."""
    return settings.SITE_URL.rstrip("/") + path


def send_notification_mail(note: Notification) -> int:
    """Mail a reminder to its recipient once: claimed first, released again if sending fails."""
    user = note.recipient
    if not user.email or not user.is_active:
        return 0
    claimed = Notification.objects.filter(pk=note.pk, mailed_at__isnull=True).update(
        mailed_at=timezone.now()
    )
    if not claimed:
        return 0
    body = "\n".join([note.title, site_url(note.path)])
    try:
        send_mail(note.title, body, None, [user.email])
    except Exception:
        Notification.objects.filter(pk=note.pk).update(mailed_at=None)
        raise
    return 1
