"""What is waiting for whom: a reviewer's queue and a centre's to-do, with due dates.

Reads only; the home pages show them and the daily reminders (reporting/reminders.py) send them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from centers.access import review_refusal
from centers.models import Centre, Licence
from centers.selectors import Places
from core.periods import Period, add_months, month_start
from services import figures

from .models import AnnualFiling, Summary
from .selectors import due_date as filing_due_date

S = AnnualFiling.Status
# Licences and the legal-person certificate show up this many days before they expire.
EXPIRY_HORIZON_DAYS = 90
# Filings still with the centre: not yet handed in, or handed back.
OPEN_FILING = (S.DRAFT, S.RETURNED)


@dataclass
class QueueLine:
    label: str
    count: int
    url: str
    # Waiting for the centres' own commission below, not for this reviewer: shown, not counted
    # as their work (separation of duties).
    for_information: bool = False


def previous_month(today: dt.date) -> dt.date:
    return add_months(month_start(today), -1)


def overdue_months(
    *, centres: list[tuple[int, dt.date | None]], today: dt.date, first: dt.date
) -> list[tuple[int, dt.date]]:
    """(centre id, month) pairs from `first` to last month: owed, not reported, past the due day."""
    last = previous_month(today)
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    state = figures.reporting(centres=centres, months=months, today=today)
    return [
        (pk, m)
        for m in months
        for pk, _founded in centres
        if state.owes(pk, m)
        and (pk, m) not in state.submitted
        and today > figures.tally_due_date(m)
    ]


def _split(rows, key: Callable[[dict], object], mine: set[int]) -> dict[object, tuple[int, int]]:
    """Per key, in the rows' order: (items the reviewer may act on, items only their centre's
    own commission may); each row is a count of one centre's items."""
    out: dict[object, tuple[int, int]] = {}
    for row in rows:
        own, others = out.get(key(row), (0, 0))
        if row["centre_id"] in mine:
            own += row["n"]
        else:
            others += row["n"]
        out[key(row)] = (own, others)
    return out


def _lines(split: tuple[int, int], mine: str, others: str, url: str) -> list[QueueLine]:
    """The reviewer's own line and, apart, the line of what waits for the commissions below."""
    own, below = split
    lines = [QueueLine(mine, own, url)] if own else []
    if below:
        lines.append(QueueLine(others, below, url, for_information=True))
    return lines


def authority_queue(
    *, authority, subtree: set[int], places: Places, today: dt.date | None = None
) -> list:
    """The reviewer's work: reports to review, overdue months and open-month requests, linked.

    Reports, summaries and requests count as theirs only at centres they may act on (the
    centre's own commission: centers.access.review_refusal); those waiting for a commission
    below are listed apart, for information."""
    today = today or timezone.localdate()
    centres = list(
        Centre.objects.filter(sponsor_id__in=subtree)
        .select_related("sponsor")
        .only("pk", "sponsor__name", *Centre.OWES_FIELDS)
    )
    mine = {c.pk for c in centres if not review_refusal(places, c)}
    lines = []
    waiting = (
        AnnualFiling.objects.filter(status=S.SUBMITTED, centre__sponsor_id__in=subtree)
        .values("year", "centre_id")
        .annotate(n=Count("pk"))
        .order_by("-year")
    )
    for year, split in _split(waiting, lambda row: row["year"], mine).items():
        url = reverse("reporting:authority-filings", args=[authority.slug, year])
        words = {"year": year}
        lines += _lines(
            split,
            _("%(year)s annual reports awaiting review") % words,
            _("%(year)s annual reports awaiting review by their own commission (for information)")
            % words,
            f"{url}?state={S.SUBMITTED}",
        )
    lines += summary_lines(authority=authority, subtree=subtree, mine=mine)
    # Overdue tallies: this year and last, so an old gap does not pile up forever.
    owed = [(c.pk, c.owes_from) for c in centres]
    late = overdue_months(centres=owed, today=today, first=dt.date(today.year - 1, 1, 1))
    for year in sorted({m.year for _pk, m in late}, reverse=True):
        lines.append(
            QueueLine(
                _("%(year)s monthly tallies overdue (centre × month)") % {"year": year},
                sum(1 for _pk, m in late if m.year == year),
                reverse("services:completeness", args=[authority.slug, year]),
            )
        )
    # Requests to open a locked month (申请开放月份), read through the figures door.
    requests = figures.open_month_requests_by_centre(list(subtree))
    own = sum(n for pk, n in requests.items() if pk in mine)
    if requests:
        lines += _lines(
            (own, sum(requests.values()) - own),
            _("Requests to open months awaiting a decision"),
            _("Requests to open months awaiting their own commission (for information)"),
            reverse("services:open-month-requests", args=[authority.slug]),
        )
    return lines


def summary_lines(*, authority, subtree: set[int], mine: set[int]) -> list[QueueLine]:
    """Work summaries handed up and waiting for review, one line per period (and one apart for
    those only a commission below may review: `mine` are the centres this reviewer may act on),
    linked to the received list of that period. One query."""
    waiting = (
        Summary.objects.filter(
            status=Summary.Status.SUBMITTED,
            centre__sponsor_id__in=subtree,
            kind__in=(Summary.Kind.HALF, Summary.Kind.YEAR),
        )
        .values("kind", "first", "centre_id")
        .annotate(n=Count("pk"))
        .order_by("-first", "kind")
    )
    url = reverse("reporting:authority-summary-inbox", args=[authority.slug])
    lines = []
    for (kind, first), split in _split(waiting, lambda r: (r["kind"], r["first"]), mine).items():
        if kind == Summary.Kind.YEAR:
            period, part = Period.year(first.year), "year"
        else:
            half = 1 if first.month == 1 else 2
            period, part = Period.half(first.year, half), f"h{half}"
        words = {"period": period.label}
        lines += _lines(
            split,
            _("%(period)s work summaries awaiting review") % words,
            _("%(period)s work summaries awaiting review by their own commission (for information)")
            % words,
            f"{url}?year={first.year}&part={part}",
        )
    return lines


@dataclass
class TodoItem:
    label: str
    due: dt.date | None
    url: str
    overdue: bool = False


def centre_todo(*, centre: Centre, today: dt.date | None = None) -> list[TodoItem]:
    """The centre's to-do with due dates: last month's tallies, the annual report, expiries."""
    today = today or timezone.localdate()
    items = []
    month = previous_month(today)
    state = figures.reporting(centres=[(centre.pk, centre.owes_from)], months=[month], today=today)
    if state.owes(centre.pk, month) and (centre.pk, month) not in state.submitted:
        due = figures.tally_due_date(month)
        items.append(
            TodoItem(
                _("Tallies of %(year)s-%(month)02d") % {"year": month.year, "month": month.month},
                due,
                reverse("services:tally-home", args=[centre.slug]),
                today > due,
            )
        )
    year = today.year - 1
    filing = AnnualFiling.objects.filter(centre=centre, year=year).first()
    if filing is None or filing.centre_to_act:
        due = filing_due_date(year)
        label = _("Annual report %(year)s") % {"year": year}
        if filing is not None and filing.status == S.APPROVED:  # approved: file it online
            label = _("Annual report %(year)s: file it on 事业单位在线") % {"year": year}
        url = reverse("reporting:filing", args=[centre.slug, year])
        items.append(TodoItem(label, due, url, today > due))
    items += expiry_items(centre=centre, today=today)
    return items


@dataclass
class Expiry:
    name: str
    day: dt.date
    kind: str  # "certificate" or "licence"
    ref: str  # which record, for the reminders' sent-log


def expiring(*, centre: Centre, today: dt.date) -> list[Expiry]:
    """Licences and the certificate that expire within the horizon (or have expired)."""
    horizon = today + dt.timedelta(days=EXPIRY_HORIZON_DAYS)
    found = []
    cert = centre.certificate_valid_to
    if cert is not None and cert <= horizon:
        name = _("Legal-person certificate")
        found.append(Expiry(name, cert, "certificate", f"certificate:{centre.pk}"))
    for licence in Licence.objects.filter(centre=centre, valid_to__lte=horizon).order_by(
        "valid_to", "name"
    ):
        found.append(Expiry(licence.name, licence.valid_to, "licence", f"licence:{licence.pk}"))
    return found


def expiry_url(centre: Centre, kind: str) -> str:
    name = "centers:registration" if kind == "certificate" else "centers:licence-list"
    return reverse(name, args=[centre.slug])


def expiry_items(*, centre: Centre, today: dt.date) -> list[TodoItem]:
    """Renew what expires within 90 days (or has expired), linked to where it is recorded."""
    return [
        TodoItem(
            _("Renew: %(name)s") % {"name": e.name},
            e.day,
            expiry_url(centre, e.kind),
            e.day < today,
        )
        for e in expiring(centre=centre, today=today)
    ]
