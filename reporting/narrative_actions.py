"""The annual report's narrative taken from the centre's accepted year summary: the same guard as
typing it (a draft or returned report, no one saved since the page was opened) and an audit row
that keeps the text it replaced."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from centers.access import Access
from centers.models import Centre
from centers.permissions import EDIT_RECORDS
from core import stale
from core.audit import audit
from core.errors import DomainError

from . import annual_narrative
from .actions import TransitionNotAllowed
from .forms import NARRATIVE_LIMIT
from .models import AnnualFiling, Summary


def year_summary(centre: Centre, year: int) -> Summary | None:
    """The centre's summary of the whole year: the accepted one, else the one handed up or
    returned, else its latest draft (to say why it cannot be imported yet)."""
    found = list(
        Summary.objects.filter(
            centre=centre, kind=Summary.Kind.YEAR, first__year=year, last__year=year
        ).order_by("-updated_at", "-pk")
    )
    order = [Summary.Status.ACCEPTED, Summary.Status.SUBMITTED, Summary.Status.RETURNED]
    for status in order:
        if chosen := [s for s in found if s.status == status]:
            return chosen[0]
    return found[0] if found else None


def import_refusal(summary: Summary | None, year: int) -> str:
    """Why the year summary cannot be imported (empty when it can): only an accepted one is."""
    if summary is None:
        return _(
            "There is no %(year)s year summary to import: write it under 工作总结, hand it up, "
            "and import it once the commission has accepted it."
        ) % {"year": year}
    if summary.status != Summary.Status.ACCEPTED:
        return _(
            "The %(year)s year summary is %(state)s; only a summary the commission has accepted "
            "can be imported."
        ) % {"year": year, "state": summary.get_status_display()}
    return ""


def narrative_from_summary(summary: Summary, year: int) -> str:
    """The narrative the import would write; refused when it is longer than the box holds."""
    text = annual_narrative.from_summary(summary, year)
    if len(text) > NARRATIVE_LIMIT:
        raise DomainError(
            _(
                "The year summary comes to %(n)s characters, more than the %(limit)s this box "
                "holds; nothing was imported. Shorten the summary, or copy the parts you need."
            )
            % {"n": len(text), "limit": NARRATIVE_LIMIT}
        )
    return text


REPLACE, APPEND = "replace", "append"


def imported_text(*, current: str, imported: str, mode: str) -> str:
    """What the box holds after the import: the summary's text alone, or after the current text."""
    if mode == APPEND and current.strip():
        return current.rstrip() + "\n" + imported
    return imported


def filing_import_summary(
    *,
    filing: AnnualFiling,
    based_on: str,
    actor,
    access: Access,
    mode: str = REPLACE,
    typed: str | None = None,
) -> AnnualFiling:
    """Replace 开展业务活动情况 with the accepted year summary, or append it (`mode`), unless
    someone saved since the page was opened. `typed` is what the box held when the import was
    asked for: saved first (its own history row) so that unsaved typing is never lost; the
    replaced text stays in the audit row."""
    if not access.can(EDIT_RECORDS):
        raise TransitionNotAllowed(_("Your role cannot do this."))
    summary = year_summary(filing.centre, filing.year)
    if refusal := import_refusal(summary, filing.year):
        raise DomainError(refusal)
    text = narrative_from_summary(summary, filing.year)
    locked_out = TransitionNotAllowed(_("A report under review or approved cannot be changed."))
    with transaction.atomic():
        try:
            stale.claim(filing, based_on=based_on, fields=("narrative",))
        except stale.StaleEdit:
            if not AnnualFiling.objects.get(pk=filing.pk).editable:
                raise locked_out from None
            raise
        current = AnnualFiling.objects.get(pk=filing.pk)
        if not current.editable:
            raise locked_out
        before = current.narrative
        if typed is not None and typed != before:  # the box's unsaved text, kept in the history
            audit(
                actor=actor,
                action="reporting.filing.narrative_saved",
                target=current,
                centre=current.centre,
                changes={"narrative": [before, typed]},
            )
            before = typed
        after = imported_text(current=before, imported=text, mode=mode)
        _check_length(after)
        AnnualFiling.objects.filter(pk=filing.pk).update(
            narrative=after, version=F("version") + 1, updated_at=timezone.now()
        )
        fresh = AnnualFiling.objects.get(pk=filing.pk)
        audit(
            actor=actor,
            action="reporting.filing.narrative_imported",
            target=fresh,
            centre=fresh.centre,
            changes={
                "narrative": [before, after],
                "summary": [None, f"{summary.title}（#{summary.pk}）"],
            },
        )
    return fresh


def _check_length(text: str) -> None:
    if len(text) > NARRATIVE_LIMIT:
        raise DomainError(
            _(
                "With the year summary added the text comes to %(n)s characters, more than the "
                "%(limit)s this box holds; nothing was imported. Replace the text instead, or "
                "shorten it first."
            )
            % {"n": len(text), "limit": NARRATIVE_LIMIT}
        )
