"""A centre's work summary handed up to its commission, and the commission compiling from it.

草稿 → 已上报 (the centre's manager) → 已退回 (a reviewer, with a comment) → 已上报 … → 已接收
(a reviewer); a reviewer may reopen an accepted summary, with a reason. Handed up or accepted,
the summary is immutable for the centre (actions.summary_ensure_editable). Reviewing is for
reviewers of the centre's own commission who hold no role at the centre (centers.access), and
never for the person who handed it up. Every step is audited and keeps the version it moved.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from centers.access import Access, review_refusal
from centers.permissions import REVIEW_FILINGS, SUBMIT_FILINGS
from centers.selectors import user_places
from core import stale
from core.audit import audit
from core.errors import DomainError

from . import outline, outline_edit
from .actions import (
    TransitionNotAllowed,
    _outline_changes,
    _summary_version,
    outline_values,
    summary_ensure_editable,
)
from .models import Summary, SummaryEvent

SS = Summary.Status
HANDED_KINDS = (Summary.Kind.HALF, Summary.Kind.YEAR)


@dataclass(frozen=True)
class Step:
    starts: tuple[str, ...]
    to: str
    capability: str
    verb: object  # what the refusal says could not be done


STEPS = {
    "submit": Step((SS.DRAFT, SS.RETURNED), SS.SUBMITTED, SUBMIT_FILINGS, gettext_lazy("hand up")),
    "return": Step((SS.SUBMITTED,), SS.RETURNED, REVIEW_FILINGS, gettext_lazy("return")),
    "accept": Step((SS.SUBMITTED,), SS.ACCEPTED, REVIEW_FILINGS, gettext_lazy("accept")),
    "reopen": Step((SS.ACCEPTED,), SS.RETURNED, REVIEW_FILINGS, gettext_lazy("reopen")),
}


def _lock(summary_obj: Summary) -> Summary:
    """The summary's row, locked; its centre and sponsor are read along but not locked."""
    return (
        Summary.objects.select_for_update(of=("self",))
        .select_related("centre__sponsor")
        .get(pk=summary_obj.pk)
    )


def _check(locked: Summary, step: Step, *, actor, access: Access) -> None:
    """Refuse a step out of order, for the wrong role, or against separation of duties."""
    if locked.centre is None or locked.kind not in HANDED_KINDS:
        raise TransitionNotAllowed(_("Only a centre's half-year or year summary is handed up."))
    if locked.status not in step.starts:
        raise TransitionNotAllowed(
            _("The summary is %(state)s, so you cannot %(verb)s it.")
            % {"state": locked.get_status_display(), "verb": step.verb}
        )
    if not access.can(step.capability):
        raise TransitionNotAllowed(access.withheld_reason or _("Your role cannot do this."))
    if step.capability != REVIEW_FILINGS:
        return
    # Separation of duties, from the actor's memberships rather than the access the caller built.
    if refusal := review_refusal(user_places(actor), locked.centre):
        raise TransitionNotAllowed(refusal)
    if locked.submitted_by_id is not None and locked.submitted_by_id == actor.pk:
        raise TransitionNotAllowed(
            _("You handed this summary up, so another reviewer of its commission has to.")
        )


def _move(summary_obj: Summary, name: str, *, actor, access: Access, comment: str = "") -> Summary:
    """Check and record one step under a row lock; a hand-up keeps the text as a version."""
    step = STEPS[name]
    locked = _lock(summary_obj)
    _check(locked, step, actor=actor, access=access)
    fields = ["status", "version", "updated_at"]
    if name == "submit":
        _no_other_handed_up(locked)
        number = _summary_version(locked, actor=actor, note=_("handed up")).number
        locked.submitted_at, locked.submitted_by = timezone.now(), actor
        fields += ["submitted_at", "submitted_by"]
    else:
        number = locked.versions.values_list("number", flat=True).first()
    event = SummaryEvent.objects.create(
        summary=locked,
        from_status=locked.status,
        to_status=step.to,
        actor=actor,
        actor_name=actor.get_username(),
        comment=comment,
        version=number,
    )
    locked.status = step.to
    locked.version += 1
    locked.save(update_fields=fields)
    audit(
        actor=actor,
        action=f"reporting.summary.{name}",
        target=locked,
        centre=locked.centre,
        changes={"status": [event.from_status, step.to], "comment": comment, "version": number},
    )
    from .notifications import summary_step_notices

    summary_step_notices(event)
    return locked


def _no_other_handed_up(locked: Summary) -> None:
    other = (
        Summary.objects.filter(centre=locked.centre, first=locked.first, last=locked.last)
        .exclude(pk=locked.pk)
        .exclude(status=SS.DRAFT)
        .first()
    )
    if other is not None:
        raise TransitionNotAllowed(
            _("“%(title)s” of the same period is already %(state)s; hand up only one.")
            % {"title": other.title, "state": other.get_status_display()}
        )


@transaction.atomic
def summary_submit(*, summary_obj: Summary, actor, access: Access) -> Summary:
    """Hand the summary up (上报) to the centre's commission; from now on it is frozen."""
    return _move(summary_obj, "submit", actor=actor, access=access)


@transaction.atomic
def summary_return(*, summary_obj: Summary, comment: str, actor, access: Access) -> Summary:
    """Send a handed-up summary back to the centre, saying what to change."""
    if not comment.strip():
        raise DomainError(_("Say what the centre should change."))
    return _move(summary_obj, "return", actor=actor, access=access, comment=comment.strip())


@transaction.atomic
def summary_accept(*, summary_obj: Summary, actor, access: Access, comment: str = "") -> Summary:
    """Accept the handed-up version; its paragraphs can then be compiled above."""
    return _move(summary_obj, "accept", actor=actor, access=access, comment=comment.strip())


@transaction.atomic
def summary_reopen(*, summary_obj: Summary, reason: str, actor, access: Access) -> Summary:
    """Give an accepted summary back to the centre for changes, with the reason."""
    if not reason.strip():
        raise DomainError(_("Say why the summary is reopened."))
    return _move(summary_obj, "reopen", actor=actor, access=access, comment=reason.strip())


# --- compiling ------------------------------------------------------------------------------


def accepted_for(summary_obj: Summary, authority_ids) -> list[Summary]:
    """The accepted centre summaries of the same period below the authority, by centre name."""
    return list(
        Summary.objects.filter(
            status=SS.ACCEPTED,
            first=summary_obj.first,
            last=summary_obj.last,
            centre__sponsor_id__in=authority_ids,
        )
        .select_related("centre")
        .order_by("centre__name", "pk")
    )


def _picked(picks, accepted: dict[int, Summary]) -> list[tuple[Summary, str]]:
    """(source summary, paragraph as it printed there) for each pick; a stale pick is refused."""
    chosen = []
    for pk, block_id in picks:
        source = accepted.get(pk)
        found = {}
        if source is not None:
            for _heading, items in outline.paragraphs_of(
                source.texts, source.figures, source.sources
            ):
                found.update(items)
        if block_id not in found:
            raise DomainError(
                _("A chosen paragraph is no longer in an accepted summary; choose again.")
            )
        chosen.append((source, found[block_id]))
    return chosen


@transaction.atomic
def summary_compile(
    *, summary_obj: Summary, picks, target: str, authority_ids, based_on: str, actor
) -> Summary:
    """Copy chosen paragraphs of accepted centre summaries into the chosen section of the
    authority's summary, each with its source; an edit like any other (stale check, version).

    A paragraph's figure references are printed with the centre's own figures: the commission's
    would be other numbers."""
    stale.claim(summary_obj, based_on=based_on, values=outline_values)
    current = Summary.objects.select_for_update().get(pk=summary_obj.pk)
    summary_ensure_editable(current)
    if current.authority_id is None:
        raise DomainError(_("Only a commission's summary compiles from centre summaries."))
    if not picks:
        raise DomainError(_("Choose at least one paragraph."))
    accepted = {s.pk: s for s in accepted_for(current, authority_ids)}
    chosen = _picked(picks, accepted)
    texts = outline.load(current.texts, current.figures, current.sources)
    section, _siblings = outline_edit.find_section(texts, target)
    sources = list(current.sources)
    for source, text in chosen:
        origin = {
            "centre": source.centre.name,
            "centre_slug": source.centre.slug,
            "summary": source.pk,
            "title": source.title,
        }
        if not any(b.get("text") == text for b in section["blocks"]):
            section["blocks"].append(outline_edit.text_block(text, origin))
        entry = {"key": target, "text": text, **origin}
        if entry not in sources:
            sources.append(entry)
    cleaned = outline_edit.clean(texts)
    changes = _outline_changes(current, cleaned, current.figures)
    current.texts, current.sources = cleaned, sources
    current.version += 1
    current.save(update_fields=["texts", "sources", "version", "updated_at"])
    _summary_version(current, actor=actor, note=_("compiled from centre summaries"))
    audit(
        actor=actor,
        action="summary.compile",
        target=current,
        changes=changes | {"from": sorted({source.pk for source, _t in chosen})},
    )
    return current
