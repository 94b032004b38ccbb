"""Reads about filings: what a reviewer sees, how versions differ, where a subtree stands."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from centers.models import Centre

from .models import AnnualFiling, FilingEvent, FilingVersion, Notification
from .sections import SECTIONS


def year_begun(year: int) -> bool:
    """A year's report can be started from 1 January of that year, never for a later year."""
    return year <= timezone.localdate().year


def due_date(year: int) -> dt.date:
    month, day = settings.FILING_DUE_MONTH_DAY
    return dt.date(year + 1, month, day)


@dataclass
class Difference:
    key: str
    label: str
    old: str
    new: str
    pieces: list[tuple[str, str]]  # ("equal" | "delete" | "insert", text) for a long text


def _pieces(old: str, new: str) -> list[tuple[str, str]]:
    """A character-level difference (Chinese has no spaces to split words on)."""
    out = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("equal", old[a1:a2]))
        if op in ("delete", "replace"):
            out.append(("delete", old[a1:a2]))
        if op in ("insert", "replace"):
            out.append(("insert", new[b1:b2]))
    return out


def version_diff(old: dict, new: dict) -> list[Difference]:
    """Field by field, in the form's order, what changed between two submitted versions."""
    changes = []
    for section in SECTIONS:
        before, after = str(old.get(section.key) or ""), str(new.get(section.key) or "")
        if before != after:
            prose = section.key == "narrative" or len(before) + len(after) > 80
            pieces = _pieces(before, after) if prose else []
            changes.append(Difference(section.key, section.label, before, after, pieces))
    return changes


def return_step(filing: AnnualFiling, events: list[FilingEvent]) -> FilingEvent | None:
    """The step that handed a returned filing back, so its reason can lead the page."""
    if filing.status != AnnualFiling.Status.RETURNED:
        return None
    returns = [e for e in events if e.to_status == AnnualFiling.Status.RETURNED]
    return returns[-1] if returns else None


def filing_versions(filing: AnnualFiling) -> list[FilingVersion]:
    return list(filing.versions.select_related("pdf").order_by("number"))


STATE_NOT_STARTED = "not_started"


@dataclass
class FilingRow:
    centre: Centre
    filing: AnnualFiling | None
    overdue: bool

    @property
    def state(self) -> str:
        return self.filing.status if self.filing else STATE_NOT_STARTED


def subtree_filings(*, centres, year: int, today: dt.date) -> list[FilingRow]:
    """Every centre of a subtree with its filing for the year (2 queries) and whether it is late."""
    late = today > due_date(year)
    filings = AnnualFiling.objects.filter(year=year)
    rows = []
    for centre in centres.prefetch_related(
        Prefetch("filings", queryset=filings, to_attr="year_filings")
    ):
        filing = centre.year_filings[0] if centre.year_filings else None
        waiting = filing is None or filing.status in (
            AnnualFiling.Status.DRAFT,
            AnnualFiling.Status.RETURNED,
        )
        rows.append(FilingRow(centre, filing, late and waiting))
    return rows


def published_filing(pk: int) -> tuple[AnnualFiling, FilingVersion] | None:
    """A published filing and the version it was approved in; nothing else is public."""
    filing = (
        AnnualFiling.objects.filter(pk=pk, status=AnnualFiling.Status.PUBLISHED)
        .select_related("centre__sponsor")
        .first()
    )
    if filing is None:
        return None
    version = filing.versions.order_by("-number").first()
    return (filing, version) if version else None


def notification_list(*, user):
    """A person's own notifications, newest first (never anyone else's), for paging."""
    return Notification.objects.filter(recipient=user)


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
