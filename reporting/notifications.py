"""Who hears about a filing step, and what the mail says."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from centers.models import AuthorityMembership, CentreMembership
from centers.selectors import authority_ancestor_ids, authority_parent_map

from .models import AnnualFiling, FilingEvent, Notification, OnlineStep

S = AnnualFiling.Status


def _people(event: FilingEvent) -> list:
    """Who acts next: reviewers of the sponsor and above for a submission; the managers after a
    review; for a step on 事业单位在线, the sponsor's reviewers (a filing and a publication are
    theirs to follow) and, when the registration office returns it, the managers too."""
    centre = event.filing.centre
    if event.step:
        members = list(
            AuthorityMembership.objects.filter(authority_id=centre.sponsor_id).select_related(
                "user"
            )
        )
        if event.step != OnlineStep.FILED:
            members += CentreMembership.objects.filter(
                centre=centre, role=CentreMembership.Role.MANAGER
            ).select_related("user")
        users = [m.user for m in members]
        return list({u for u in users if u.is_active and u.pk != event.actor_id})
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
        "state": event.label,
    }
    if event.comment:
        title += " " + _comment(event)
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


def _comment(event: FilingEvent) -> str:
    """A return (by the commission or the registration office) gives a reason, not an opinion."""
    if (
        event.to_status == AnnualFiling.Status.RETURNED
        or event.step == OnlineStep.REGISTRY_RETURNED
    ):
        return _("Reason: %(text)s") % {"text": event.comment}
    return _("Comment: %(text)s") % {"text": event.comment}


def send_event_mail(event: FilingEvent) -> int:
    to = recipients(event)
    if not to:
        return 0
    filing = event.filing
    subject = _("%(centre)s, %(year)s annual report: %(state)s") % {
        "centre": filing.centre.name,
        "year": filing.year,
        "state": event.label,
    }
    path = reverse("reporting:filing", args=[filing.centre.slug, filing.year])
    lines = [subject, _("By %(who)s.") % {"who": event.who}]
    if event.comment:
        lines.append(_comment(event))
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
    return deliver(
        [
            Notification(recipient=u, kind=kind, key=key, title=title[:200], path=path)
            for u in users
            if u.is_active
        ]
    )


def deliver(notes: list[Notification]) -> list[int]:
    """Store notices (one per recipient and key: a step told twice is stored once) and queue
    their mails after commit; the ids of those with an address to mail."""
    from core import outbox

    if not notes:
        return []
    Notification.objects.bulk_create(notes, ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(
            kind__in={n.kind for n in notes}, key__in={n.key for n in notes}
        )
        .exclude(recipient__email="")
        .values_list("pk", flat=True)
    )
    if ids:
        mail_key = "mail:" + min(n.key for n in notes)
        outbox.enqueue("reporting.tasks.notifications_mail_task", key=mail_key, ids=ids)
    return ids


def summary_step_notices(event) -> list[int]:
    """Who acts next hears of a summary's step: its commission's reviewers when it is handed
    up, the centre's people (who write it) when it is returned or accepted. In the app at once,
    by mail from a task after commit."""

    from .models import Summary

    summary = event.summary
    centre = summary.centre
    if event.to_status == Summary.Status.SUBMITTED:
        members = AuthorityMembership.objects.filter(authority_id=centre.sponsor_id)
    else:
        members = CentreMembership.objects.filter(centre=centre)
    users = {m.user for m in members.select_related("user") if m.user.is_active}
    users.discard(event.actor)
    title = _("%(centre)s, %(title)s: %(state)s") % {
        "centre": centre.name,
        "title": summary.title,
        "state": Summary.Status(event.to_status).label,
    }
    if event.comment:
        title += " " + _("Comment: %(text)s") % {"text": event.comment}
    key = f"summary-event:{event.pk}"
    path = reverse("reporting:centre-summary", args=[centre.slug, summary.pk])
    kind = Notification.Kind.SUMMARY_STEP
    return deliver(
        [Notification(recipient=u, kind=kind, key=key, title=title[:200], path=path) for u in users]
    )


def _month_events() -> dict[str, str]:
    return {
        "approved": _("approved, to be confirmed"),
        "returned": _("returned"),
        "unapproved": _("approval withdrawn"),
        "unconfirmed": _("confirmation withdrawn"),
    }


def month_review_notify(*, centres, month, event: str, reason: str = "", **_kwargs) -> list[int]:
    """Who acts next hears of a monthly approval move: the centres' people when a month is
    returned or its approval withdrawn (they correct it), the commission above when a month is
    approved (it confirms), the approving commission when a confirmation is withdrawn; one notice
    a commission for a move over many centres. In the app at once, by mail after commit."""
    from django.utils import timezone

    if event not in _month_events():
        return []
    stamp = f"{timezone.now():%Y%m%d%H%M%S%f}"
    label = f"{month.year}年{month.month}月"
    notes = []
    for key, group, members, path in _month_audiences(centres, month, event):
        names = "、".join(c.name for c in group)
        if len(group) == 1:
            text = _("%(month)s of %(centre)s: %(event)s")
        else:
            text = _("%(month)s of %(n)s centres: %(event)s (%(centre)s)")
        text = text % {
            "month": label,
            "centre": names,
            "n": len(group),
            "event": _month_events()[event],
        }
        if reason:
            text += _("; reason: %(reason)s") % {"reason": reason}
        users = {m.user for m in members.select_related("user") if m.user.is_active}
        notes += [
            Notification(
                recipient=u,
                kind=Notification.Kind.MONTH_REVIEW,
                key=f"month:{key}:{month:%Y-%m}:{event}:{stamp}",
                title=text[:200],
                path=path,
            )
            for u in users
        ]
    return deliver(notes)


def _month_audiences(centres, month, event: str):
    """(key, centres, memberships, link) of each audience: a centre's people, one by one, for a
    return or a withdrawn approval; else the commission that acts next, once for its centres."""
    if event in ("returned", "unapproved"):
        for centre in centres:
            path = reverse("services:tally-home", args=[centre.slug])
            yield f"c{centre.pk}", [centre], CentreMembership.objects.filter(centre=centre), path
        return
    parents = authority_parent_map() if event == "approved" else {}
    groups: dict[int, list] = {}
    for centre in centres:
        target = parents.get(centre.sponsor_id) if event == "approved" else centre.sponsor_id
        if target is not None:  # approved under a commission with none above: nobody confirms
            groups.setdefault(target, []).append(centre)
    for target, group in groups.items():
        path = reverse(
            "services:month-review", args=[group[0].sponsor.slug, month.year, month.month]
        )
        members = AuthorityMembership.objects.filter(authority_id=target)
        yield f"a{target}", group, members, path
