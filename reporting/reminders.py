"""The daily reminders: tallies due and overdue, the annual report's deadline, expiries; and
the reviewers' digests: centres behind with last month's tallies, reports waiting for review.

Beat runs `reminders_send` once a day (reporting.tasks.reminders_task). Each reminder is a
Notification whose (recipient, kind, key) is unique, so a reminder is created once per person
and period however often, or however concurrently, the task runs; the windows below decide the
day it goes. Its mail is claimed before it is sent and recorded after, so two runs never mail
it twice; a mail whose worker died after the claim goes with the next run that still finds the
reminder due (after CLAIM_TIMEOUT), and a mail that was sent but whose worker died before
recording it may go twice: a second reminder rather than none.

A city of a thousand centres costs a fixed number of queries, plus four per MAIL_BATCH mails.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections import Counter, defaultdict

from django.core.mail import get_connection
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from centers.models import AuthorityMembership, Centre, CentreMembership, Licence
from centers.selectors import authority_ancestor_ids, authority_parent_map, authority_subtree_ids
from services import figures
from staff.licences import licence_expiries

from . import notifications, worklist
from .models import AnnualFiling, Notification
from .selectors import due_date as filing_due_date

logger = logging.getLogger(__name__)
K = Notification.Kind
# The tally reminder goes out this many days before the due day (and up to it).
TALLY_REMINDER_DAYS = 3
# A report submitted more than this many days ago and still undecided is put to the reviewers.
FILING_WAIT_DAYS = 7
# How many days late a waiting report's digest may still go (a run missed, a reviewer new);
# older waits are left to the work queue rather than piled on a reviewer at once.
FILING_CATCH_UP_DAYS = 7
# A claimed mail not recorded sent after this long lost its worker (the task is killed after
# ten minutes): the next run sends it.
CLAIM_TIMEOUT = dt.timedelta(hours=1)
# Mails claimed, sent and recorded together: a worker that dies strands at most this many.
MAIL_BATCH = 100
# What one address or one message is refused for; anything else (the server away) stops the run,
# and the next run sends what is left.
REFUSED = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    ValueError,
)


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
        centres=[(c.pk, c.owes_from) for c in centres], months=[month], today=today
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
    # The reminder goes while the next step is the centre's (AnnualFiling.centre_to_act): not
    # while the sponsor reviews it, nor once it is filed online (unless returned from there).
    waiting = (AnnualFiling.Status.SUBMITTED, AnnualFiling.Status.PUBLISHED)
    handed_in = set(
        AnnualFiling.objects.filter(year=year)
        .filter(Q(status__in=waiting) | Q(online=AnnualFiling.Online.FILED))
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


def _expiring(centres, today: dt.date) -> dict[int, list[worklist.Expiry]]:
    """Per centre, what expires from today to the horizon, with one query for all the licences.

    worklist.expiring answers for one centre (a query each); expired records are left out, as the
    overview and the to-do say so every day.
    """
    horizon = today + dt.timedelta(days=worklist.EXPIRY_HORIZON_DAYS)
    found = defaultdict(list)
    for c in centres:
        if c.certificate_valid_to is not None and today <= c.certificate_valid_to <= horizon:
            name, day = _("Legal-person certificate"), c.certificate_valid_to
            found[c.pk].append(worklist.Expiry(name, day, "certificate", f"certificate:{c.pk}"))
    licences = Licence.objects.filter(
        centre_id__in=[c.pk for c in centres], valid_to__range=(today, horizon)
    ).order_by("valid_to", "name")
    for lic in licences:
        found[lic.centre_id].append(
            worklist.Expiry(lic.name, lic.valid_to, "licence", f"licence:{lic.pk}")
        )
    return found


def _expiry_reminders(centres, today: dt.date, managers: dict) -> list[tuple]:
    centres = [c for c in centres if managers[c.pk]]
    expiring = _expiring(centres, today)
    out = []
    for centre in centres:
        for e in expiring[centre.pk]:
            days = (e.day - today).days
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


# A staff member's registration: 90 and 30 days ahead, and once it has run out (staff.licences).
PRACTISING_KINDS = {"90": K.EXPIRY_90, "30": K.EXPIRY_30, "expired": K.EXPIRED}


def _practising_reminders(centres, today: dt.date, managers: dict) -> list[tuple]:
    """To the managers: registrations of serving staff expiring within 90 or 30 days, or expired
    and not renewed (staff computes them; staff cannot import reporting, so it delivers here)."""
    by_pk = {c.pk: c for c in centres if managers[c.pk]}
    out = []
    for e in licence_expiries(centre_ids=list(by_pk), today=today):
        centre = by_pk[e.centre_id]
        words = {"centre": centre.name, "person": e.person, "name": e.kind, "day": e.valid_to}
        if e.urgency == "expired":
            title = _("%(centre)s: %(person)s's %(name)s expired on %(day)s.") % words
        else:
            title = _("%(centre)s: %(person)s's %(name)s expires on %(day)s.") % words
        key = f"practising:{e.licence_id}:{e.valid_to}"  # a corrected date is warned anew
        path = reverse("staff:person", args=[centre.slug, e.person_id])
        kind = PRACTISING_KINDS[e.urgency]
        out += [(u, kind, key, title[:200], path) for u in managers[centre.pk]]
    return out


def _review_roots() -> tuple[list[tuple], dict[int, set[int]]]:
    """Each active reviewer with the commissions whose work queue they hear about, and each such
    commission's subtree, scoped as the queue scopes it (the commission and all below it).

    A reviewer of a city and of a district under it hears once, from the city, whose subtree
    holds the district's.
    """
    parents = authority_parent_map()
    rows = list(
        AuthorityMembership.objects.filter(user__is_active=True).select_related("user", "authority")
    )
    held = defaultdict(set)
    for m in rows:
        held[m.user_id].add(m.authority_id)
    roots = [
        (m.user, m.authority)
        for m in rows
        if not held[m.user_id].intersection(authority_ancestor_ids(m.authority_id, parents)[1:])
    ]
    subtrees = {a.pk: authority_subtree_ids([a.pk], parents) for _user, a in roots}
    return roots, subtrees


def _review_tally_digests(centres, today: dt.date, roots: list, subtrees: dict) -> list[tuple]:
    """From the day after the due day: to each reviewer, the centres below them that have not
    reported last month, each with the months it owes; none when all are up to date."""
    month = worklist.previous_month(today)
    if not roots or today <= figures.tally_due_date(month):
        return []
    late = worklist.overdue_months(  # this year and last, as the work queue counts them
        centres=[(c.pk, c.owes_from) for c in centres],
        today=today,
        first=dt.date(today.year - 1, 1, 1),
    )
    owed = Counter(pk for pk, _m in late)
    last = {pk for pk, m in late if m == month}
    behind = defaultdict(list)  # sponsor → its centres that have not reported last month
    for c in centres:
        if c.pk in last:
            behind[c.sponsor_id].append(c)
    out = []
    for user, authority in roots:
        found = sorted(
            (c for a in subtrees[authority.pk] for c in behind[a]), key=lambda c: (c.name, c.pk)
        )
        if not found:
            continue
        title = _("%(authority)s: %(count)s centres have not reported the tallies of %(month)s.")
        title %= {"authority": authority.name, "count": len(found), "month": f"{month:%Y-%m}"}
        body = "\n".join(
            _("%(centre)s: %(months)s months not reported")
            % {"centre": c.name, "months": owed[c.pk]}
            for c in found
        )
        path = reverse("services:completeness", args=[authority.slug, month.year])
        key = f"{authority.pk}:{month:%Y-%m}"
        out.append((user, K.REVIEW_TALLIES, key, title[:200], path, body))
    return out


def _waiting_filings(centres, today: dt.date) -> dict[dt.date, dict[int, list]]:
    """Reports still awaiting review that have waited more than FILING_WAIT_DAYS, by the day
    they passed it (within the catch-up days) and by sponsor: (centre, year, submitted on)."""
    by_pk = {c.pk: c for c in centres}
    rows = (
        AnnualFiling.objects.filter(status=AnnualFiling.Status.SUBMITTED)
        .annotate(
            submitted_at=Max(
                "events__created_at", filter=Q(events__to_status=AnnualFiling.Status.SUBMITTED)
            )
        )
        .values_list("centre_id", "year", "submitted_at", "updated_at")
    )
    found = defaultdict(lambda: defaultdict(list))
    for centre_id, year, submitted_at, updated_at in rows:
        on = timezone.localdate(submitted_at or updated_at)
        passed = on + dt.timedelta(days=FILING_WAIT_DAYS + 1)
        if today - dt.timedelta(days=FILING_CATCH_UP_DAYS) < passed <= today:
            centre = by_pk[centre_id]
            found[passed][centre.sponsor_id].append((centre, year, on))
    return found


def _review_filing_digests(centres, today: dt.date, roots: list, subtrees: dict) -> list[tuple]:
    """To each reviewer, the reports below them waiting for a decision over FILING_WAIT_DAYS.

    A digest gathers the reports that passed the 7 days on one day, and is keyed by that day, so
    each report is in one digest per reviewer (a report returned and submitted again waits anew).
    """
    waiting = _waiting_filings(centres, today) if roots else {}
    out = []
    for user, authority in roots:
        for passed, by_sponsor in sorted(waiting.items()):
            found = sorted(
                (item for a in subtrees[authority.pk] for item in by_sponsor.get(a, ())),
                key=lambda item: (item[0].name, item[1]),
            )
            if not found:
                continue
            title = _(
                "%(authority)s: %(count)s annual reports have waited more than %(days)s days "
                "for review."
            ) % {"authority": authority.name, "count": len(found), "days": FILING_WAIT_DAYS}
            body = "\n".join(
                _("%(centre)s, %(year)s annual report, submitted on %(day)s")
                % {"centre": c.name, "year": year, "day": on}
                for c, year, on in found
            )
            years = {year for _c, year, _on in found}
            if len(years) == 1:
                path = reverse("reporting:authority-filings", args=[authority.slug, years.pop()])
                path += f"?state={AnnualFiling.Status.SUBMITTED}"
            else:
                path = reverse("centers:authority-centre-list", args=[authority.slug])
            key = f"{authority.pk}:{passed}"
            out.append((user, K.REVIEW_FILINGS, key, title[:200], path, body))
    return out


def reminders_send(*, today: dt.date | None = None) -> int:
    """Record today's reminders not recorded before and mail those not mailed; how many were new."""
    today = today or timezone.localdate()
    with scopes_disabled():  # every centre, on purpose: a daily cross-centre job
        centres = list(Centre.objects.order_by("pk"))
        everyone, managers = _members([c.pk for c in centres])
        roots, subtrees = _review_roots()
        due = (
            _tally_reminders(centres, today, everyone)
            + _filing_reminders(centres, today, managers)
            + _expiry_reminders(centres, today, managers)
            + _practising_reminders(centres, today, managers)
            + _review_tally_digests(centres, today, roots, subtrees)
            + _review_filing_digests(centres, today, roots, subtrees)
        )
    new = _record(due)
    _mail(due)
    return new


def _record(due: list[tuple]) -> int:
    """Create the reminders not yet recorded, in a few queries; how many were new.

    A concurrent run's rows are skipped by the unique constraint (ignore_conflicts), never doubled
    and never an error; both runs may then count them as new.
    """
    if not due:
        return 0
    seen = set(
        Notification.objects.filter(
            kind__in={d[1] for d in due}, key__in={d[2] for d in due}
        ).values_list("recipient_id", "kind", "key")
    )
    new = {}
    for user, kind, key, title, path, *body in due:  # a digest's lines come sixth
        if (user.pk, kind, key) not in seen:
            new[user.pk, kind, key] = Notification(
                recipient=user, kind=kind, key=key, title=title, path=path, body="".join(body)
            )
    Notification.objects.bulk_create(new.values(), batch_size=500, ignore_conflicts=True)
    return len(new)


def _claimable() -> Q:
    return Q(mailed_at=None) & (
        Q(claimed_at=None) | Q(claimed_at__lt=timezone.now() - CLAIM_TIMEOUT)
    )


def _mail(due: list[tuple]) -> int:
    """Mail today's reminders not yet mailed (nor being mailed) to those with an address."""
    wanted = {(user.pk, kind, key) for user, kind, key, *_rest in due}
    if not wanted:
        return 0
    rows = (
        Notification.objects.filter(_claimable(), recipient__is_active=True)
        .filter(kind__in={w[1] for w in wanted}, key__in={w[2] for w in wanted})
        .exclude(recipient__email="")
        .values_list("pk", "recipient_id", "kind", "key")
    )
    pks = [pk for pk, *triple in rows if tuple(triple) in wanted]
    return sum(_mail_batch(pks[i : i + MAIL_BATCH]) for i in range(0, len(pks), MAIL_BATCH))


def mail_notifications(pks: list[int]) -> int:
    """Mail these notifications not yet mailed nor being mailed, to those with an address."""
    return sum(_mail_batch(pks[i : i + MAIL_BATCH]) for i in range(0, len(pks), MAIL_BATCH))


def _mail_batch(pks: list[int]) -> int:
    """Claim, send and record one batch; the claim (its time, the token) keeps other runs off."""
    token = timezone.now()
    Notification.objects.filter(_claimable(), pk__in=pks).update(claimed_at=token)
    notes = list(
        # Not yet mailed, too: a run in the same instant as an earlier one has the same token.
        Notification.objects.filter(pk__in=pks, claimed_at=token, mailed_at=None).select_related(
            "recipient"
        )
    )
    if not notes:  # another run holds them all
        return 0
    sent: list[int] = []
    try:
        # One SMTP session a batch: not one per mail, nor one a server may cut off mid-run.
        with get_connection() as connection:
            for note in notes:
                try:
                    notifications.send_notification_mail(note, connection=connection)
                except REFUSED:  # this address or this message: the others still go
                    logger.exception("reminder %s to user %s refused", note.pk, note.recipient_id)
                else:
                    sent.append(note.pk)
    finally:  # also when the server goes away or the time limit strikes mid-batch
        Notification.objects.filter(pk__in=sent).update(mailed_at=timezone.now())
        unsent = [n.pk for n in notes if n.pk not in sent]
        Notification.objects.filter(pk__in=unsent, claimed_at=token).update(claimed_at=None)
    return len(sent)
