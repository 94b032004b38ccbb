"""The daily reminders: tallies due and overdue, the annual report's deadline, expiries.

Beat runs `reminders_send` once a day (reporting.tasks.reminders_task). Each reminder is a
Notification whose (recipient, kind, key) is unique, so a reminder is created and mailed once
per person and period however often the task runs; the windows below decide the day it goes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from centers.models import Centre, CentreMembership
from services import figures

from . import notifications, worklist
from .models import AnnualFiling, Notification
from .selectors import due_date as filing_due_date

logger = logging.getLogger(__name__)
K = Notification.Kind
# The tally reminder goes out this many days before the due day (and up to it).
TALLY_REMINDER_DAYS = 3


def notify(*, user, kind: str, key: str, title: str, path: str) -> Notification | None:
    """Record a notification once per (user, kind, key) and mail it; None when it existed."""
    try:
        with transaction.atomic():
            note, created = Notification.objects.get_or_create(
                recipient=user, kind=kind, key=key, defaults={"title": title, "path": path}
            )
    except IntegrityError:  # a concurrent run created it first
        return None
    if note.mailed_at is None:  # new, or its mail failed on an earlier run
        notifications.send_notification_mail(note)
    return note if created else None


def _members(centre_ids: list[int]) -> tuple[dict, dict]:
    """Per centre: every active member, and the managers alone."""
    everyone, managers = defaultdict(list), defaultdict(list)
    rows = CentreMembership.objects.filter(
        centre_id__in=centre_ids, user__is_active=True
    ).select_related("user")
    for m in rows:
        everyone[m.centre_id].append(m.user)
        if m.role == CentreMembership.Role.MANAGER:
            managers[m.centre_id].append(m.user)
    return everyone, managers


def _tally_reminders(centres, today: dt.date, everyone: dict) -> list[tuple]:
    month = worklist.previous_month(today)
    due = figures.tally_due_date(month)
    if today < due - dt.timedelta(days=TALLY_REMINDER_DAYS):
        return []
    state = figures.reporting(
        centres=[(c.pk, c.founded_on) for c in centres], months=[month], today=today
    )
    kind = K.TALLY_DUE if today <= due else K.TALLY_OVERDUE
    text = (
        _("%(centre)s: the tallies of %(month)s are due by %(day)s.")
        if kind == K.TALLY_DUE
        else _("%(centre)s: the tallies of %(month)s were due on %(day)s and are overdue.")
    )
    out = []
    for centre in centres:
        if not state.owes(centre.pk, month) or (centre.pk, month) in state.submitted:
            continue
        title = text % {"centre": centre.name, "month": f"{month:%Y-%m}", "day": due}
        path = reverse("services:tally-home", args=[centre.slug])
        key = f"{centre.pk}:{month:%Y-%m}"
        out += [(u, kind, key, title, path) for u in everyone[centre.pk]]
    return out


def _filing_reminders(centres, today: dt.date, managers: dict) -> list[tuple]:
    year = today.year - 1
    due = filing_due_date(year)
    days = (due - today).days
    if not 0 <= days <= 30:
        return []
    kind = K.FILING_DUE_7 if days <= 7 else K.FILING_DUE_30
    handed_in = set(
        AnnualFiling.objects.filter(year=year)
        .exclude(status__in=worklist.OPEN_FILING)
        .values_list("centre_id", flat=True)
    )
    out = []
    for centre in centres:
        if centre.pk in handed_in:
            continue
        title = _("%(centre)s: the %(year)s annual report is due by %(day)s.") % {
            "centre": centre.name,
            "year": year,
            "day": due,
        }
        path = reverse("reporting:filing", args=[centre.slug, year])
        out += [(u, kind, f"{centre.pk}:{year}", title, path) for u in managers[centre.pk]]
    return out


def _expiry_reminders(centres, today: dt.date, managers: dict) -> list[tuple]:
    out = []
    for centre in centres:
        if not managers[centre.pk]:
            continue
        for e in worklist.expiring(centre=centre, today=today):
            days = (e.day - today).days
            if days < 0:
                continue  # expired: the overview and the to-do say so every day
            kind = K.EXPIRY_30 if days <= 30 else K.EXPIRY_90
            title = _("%(centre)s: %(name)s expires on %(day)s.") % {
                "centre": centre.name,
                "name": e.name,
                "day": e.day,
            }
            key = f"{e.ref}:{e.day}"  # a renewed record with a new date is warned anew
            path = worklist.expiry_url(centre, e.kind)
            out += [(u, kind, key, title, path) for u in managers[centre.pk]]
    return out


def reminders_send(*, today: dt.date | None = None) -> int:
    """Create and mail today's reminders that were not sent before; how many were new."""
    today = today or timezone.localdate()
    with scopes_disabled():  # every centre, on purpose: a daily cross-centre job
        centres = list(Centre.objects.order_by("pk"))
        everyone, managers = _members([c.pk for c in centres])
        due = (
            _tally_reminders(centres, today, everyone)
            + _filing_reminders(centres, today, managers)
            + _expiry_reminders(centres, today, managers)
        )
        sent = 0
        for user, kind, key, title, path in due:
            try:
                if notify(user=user, kind=kind, key=key, title=title, path=path):
                    sent += 1
            except Exception:  # one bad mail must not stop the others
                logger.exception("reminder %s %s for user %s failed", kind, key, user.pk)
    return sent
