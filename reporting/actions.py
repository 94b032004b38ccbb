"""The filing workflow: every transition checks its role and its starting state, is recorded with
who, when and why, and sends its mail after commit.

草稿 → 待审核 (manager) → 已退回 (reviewer, reason required) → 待审核 … → 审核通过 (reviewer) →
已公示 (reviewer); a reviewer may reopen an approved filing, with a reason. Publishing is final:
a published report has been shown to the public and is not taken back. Every reviewer's move is
for reviewers of the centre's own commission who hold no role at the centre (centers.access),
and an approval never by whoever submitted the report. What follows approval (the opinion box,
attachments, the filing on 事业单位在线 and the registration office's outcome) is in chain.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from centers.access import Access, review_refusal
from centers.models import Centre
from centers.permissions import EDIT_RECORDS, REVIEW_FILINGS, SUBMIT_FILINGS
from centers.selectors import user_places
from core import outbox, stale
from core.audit import audit, diff, snapshot
from core.errors import DomainError
from core.periods import Period

from . import assessment, outline, outline_edit, summary
from .annual_narrative import TO_WRITE
from .models import (
    AnnualFiling,
    FilingEvent,
    FilingVersion,
    Notification,
    Ranking,
    RankingRow,
    ReportRun,
    Scheme,
    SchemeItem,
    Summary,
    SummaryVersion,
    stuck_after,
)
from .prefill import narrative_draft, prefill
from .sections import LABELS, SECTIONS
from .selectors import ranking_live, year_begun

S = AnnualFiling.Status
logger = logging.getLogger(__name__)

# (from, to) → the capability the move needs.
TRANSITIONS = {
    (S.DRAFT, S.SUBMITTED): SUBMIT_FILINGS,
    (S.RETURNED, S.SUBMITTED): SUBMIT_FILINGS,
    (S.SUBMITTED, S.RETURNED): REVIEW_FILINGS,
    (S.SUBMITTED, S.APPROVED): REVIEW_FILINGS,
    (S.APPROVED, S.PUBLISHED): REVIEW_FILINGS,
    (S.APPROVED, S.RETURNED): REVIEW_FILINGS,  # reopen
}


class TransitionNotAllowed(DomainError):
    """The move is not possible from this state or for this role."""


def _after_commit(task, **kwargs) -> None:
    """Hand a task to Celery through the outbox: the step stands even if the broker is down."""
    outbox.enqueue(task.name, **kwargs)


def _lock(filing: AnnualFiling) -> AnnualFiling:
    """The filing's row, locked; its centre and sponsor are read along but not locked."""
    return (
        AnnualFiling.objects.select_for_update(of=("self",))
        .select_related("centre__sponsor")
        .get(pk=filing.pk)
    )


class StepOvertaken(TransitionNotAllowed):
    """The page showed the report as it was before a later step or edit (a colleague's, or the
    same reviewer's in a second tab), so a step chosen on that page is not taken."""


def _lock_as_shown(filing: AnnualFiling, shown: str) -> AnnualFiling:
    """The filing under its row lock, refused if it moved since the page showed it (`shown`:
    the filing's `version` the form carried, which every step and edit raises, so a report
    returned and submitted again is not the one the page showed; empty for callers that show
    no page)."""
    locked = _lock(filing)
    if shown and str(locked.version) != shown:
        raise StepOvertaken(
            _(
                "While this page was open the report changed (it is now %(now)s): nothing was "
                "done. Check it as it is now, then act again."
            )
            % {"now": locked.get_status_display()}
        )
    return locked


def _move(
    filing: AnnualFiling, to: str, *, actor, access: Access, comment: str = "", shown: str = ""
) -> AnnualFiling:
    """Check and record one transition under a row lock."""
    locked = _lock_as_shown(filing, shown)
    needed = TRANSITIONS.get((locked.status, to))
    if needed is None:
        raise TransitionNotAllowed(
            _("A report that is %(now)s cannot become %(to)s.")
            % {"now": locked.get_status_display(), "to": S(to).label}
        )
    if not access.can(needed):
        raise TransitionNotAllowed(access.withheld_reason or _("Your role cannot do this."))
    # Separation of duties, from the actor's memberships rather than the access the caller built.
    if needed == REVIEW_FILINGS and (refusal := review_refusal(user_places(actor), locked.centre)):
        raise TransitionNotAllowed(refusal)
    # Nor does whoever submitted the version approve it, whatever roles they hold now (a manager
    # who has since left the centre and become a reviewer of its commission, say).
    if to == S.APPROVED and locked.versions.filter(submitted_by=actor).exists():
        raise TransitionNotAllowed(
            _("You submitted this report, so you cannot approve it; another reviewer has to.")
        )
    event = FilingEvent.objects.create(
        filing=locked,
        from_status=locked.status,
        to_status=to,
        actor=actor,
        actor_name=actor.get_username(),
        comment=comment,
    )
    locked.status = to
    locked.version = F("version") + 1
    locked.save(update_fields=["status", "version", "updated_at"])
    locked.refresh_from_db()
    audit(
        actor=actor,
        action=f"reporting.filing.{to}",
        target=locked,
        centre=locked.centre,
        changes={"status": [event.from_status, to], "comment": comment},
    )
    from .notifications import filing_step_notices
    from .tasks import notify_filing_event_task

    filing_step_notices(event)
    _after_commit(notify_filing_event_task, event_id=event.pk)
    return locked


@transaction.atomic
def filing_open(*, centre: Centre, year: int, actor) -> AnnualFiling:
    """The year's filing, created as a draft filled from stored data on first opening."""
    if not year_begun(year):
        raise DomainError(
            _("The %(year)s report can be started once that year has begun.") % {"year": year}
        )
    filing, created = AnnualFiling.objects.get_or_create(centre=centre, year=year)
    if created:
        filing.data = prefill(centre, year)
        filing.narrative = narrative_draft(centre, year)
        filing.refreshed_at = timezone.now()
        filing.save(update_fields=["data", "narrative", "refreshed_at", "updated_at"])
        FilingEvent.objects.create(
            filing=filing, to_status=S.DRAFT, actor=actor, actor_name=actor.get_username()
        )
        audit(actor=actor, action="reporting.filing.opened", target=filing, centre=centre)
    return filing


@transaction.atomic
def filing_refresh(*, filing: AnnualFiling, actor) -> AnnualFiling:
    """Fill the prefilled sections again from current data; the narrative stays as written."""
    locked = _lock(filing)
    if not locked.editable:
        raise TransitionNotAllowed(_("Only a draft or a returned report can be refreshed."))
    before = dict(locked.data)
    locked.data = prefill(locked.centre, locked.year)
    locked.refreshed_at = timezone.now()
    locked.version = F("version") + 1
    locked.save(update_fields=["data", "refreshed_at", "version", "updated_at"])
    locked.refresh_from_db()
    changed = {k: [before.get(k), v] for k, v in locked.data.items() if before.get(k) != v}
    if changed:
        audit(
            actor=actor,
            action="reporting.filing.refreshed",
            target=locked,
            centre=locked.centre,
            changes=changed,
        )
    return locked


def filing_save_narrative(
    *, filing: AnnualFiling, narrative: str, based_on: str, actor, access: Access
) -> AnnualFiling:
    """Save the narrative unless someone saved since this form was opened (no lost update)."""
    if not access.can(EDIT_RECORDS):
        raise TransitionNotAllowed(_("Your role cannot do this."))
    locked_out = TransitionNotAllowed(_("A report under review or approved cannot be changed."))
    with transaction.atomic():
        try:
            stale.claim(filing, based_on=based_on, fields=("narrative",))
        except stale.StaleEdit:
            if not AnnualFiling.objects.get(pk=filing.pk).editable:
                raise locked_out from None  # the clearer reason when both apply
            raise
        current = AnnualFiling.objects.get(pk=filing.pk)
        if not current.editable:
            raise locked_out
        AnnualFiling.objects.filter(pk=filing.pk).update(
            narrative=narrative, version=F("version") + 1, updated_at=timezone.now()
        )
        fresh = AnnualFiling.objects.get(pk=filing.pk)
        if current.narrative != narrative:
            audit(
                actor=actor,
                action="reporting.filing.narrative_saved",
                target=fresh,
                centre=fresh.centre,
                changes={"narrative": [current.narrative, narrative]},
            )
    return fresh


def missing_sections(filing: AnnualFiling) -> list[str]:
    """Labels of required sections that are still empty, or that still hold the draft's marker
    of a part only the centre can write (TO_WRITE: 存在的问题, 工作思路)."""
    content = {**filing.data, "narrative": filing.narrative}
    missing = []
    for section in SECTIONS:
        text = str(content.get(section.key) or "").strip()
        if section.required and not text:
            missing.append(str(section.label))
        elif TO_WRITE in text:
            missing.append(
                _("%(section)s (the parts marked %(marker)s)")
                % {"section": section.label, "marker": TO_WRITE}
            )
    return missing


def content_of(filing: AnnualFiling) -> dict:
    """What a submitted version freezes."""
    return {**filing.data, "narrative": filing.narrative, "year": filing.year}


@transaction.atomic
def filing_submit(
    *, filing: AnnualFiling, actor, access: Access, render_pdf: bool = True
) -> AnnualFiling:
    """Send the report for review: it must be complete; the submitted text is frozen."""
    current = _lock(filing)
    if current.editable and (missing := missing_sections(current)):
        raise DomainError(
            _("Fill in before submitting: %(names)s.") % {"names": "、".join(missing)}
        )
    moved = _move(current, S.SUBMITTED, actor=actor, access=access)
    number = FilingVersion.objects.filter(filing=moved).count() + 1
    from .chain import attachment_listing

    version = FilingVersion.objects.create(
        filing=moved,
        number=number,
        content=content_of(moved),
        submitted_by=actor,
        attachments=attachment_listing(moved),
    )
    if render_pdf:  # the demo loader skips it; the PDF is made on first request instead
        from .tasks import filing_render_pdf_task

        _after_commit(filing_render_pdf_task, version_id=version.pk)
    return moved


@transaction.atomic
def filing_return(
    *, filing: AnnualFiling, reason: str, actor, access: Access, shown: str = ""
) -> AnnualFiling:
    if not reason.strip():
        raise DomainError(_("Say why the report is returned."))
    from .chain import online_reset, reopen_refusal

    if refusal := reopen_refusal(_lock_as_shown(filing, shown)):
        raise TransitionNotAllowed(refusal)
    moved = _move(filing, S.RETURNED, actor=actor, access=access, comment=reason.strip())
    # TRANSITIONS lets a reviewer return an approved report too (a page that shows it approved
    # offers reopen; a caller without a page may return it): that is a reopen, so its year
    # unfreezes; otherwise there is no freeze to lift.
    from services.actions import year_unfreeze

    year_unfreeze(centre=moved.centre, year=moved.year, actor=actor)
    online_reset(moved, actor)
    return moved


@transaction.atomic
def filing_approve(
    *, filing: AnnualFiling, comment: str, actor, access: Access, shown: str = ""
) -> AnnualFiling:
    """Approve the submitted version; the year's tallies are frozen from now on."""
    # Tally writers check the freeze while holding the centre's row lock; taking it here too
    # means a save either commits before this approval or sees the year frozen. The filing comes
    # first, as in every other step; NO KEY UPDATE still lets rows that point at the centre (audit
    # entries of a step waiting on this filing) be written, so the two cannot deadlock.
    locked = _lock_as_shown(filing, shown)
    Centre.objects.select_for_update(no_key=True).filter(pk=locked.centre_id).first()
    latest = locked.versions.order_by("-number").first()
    moved = _move(locked, S.APPROVED, actor=actor, access=access, comment=comment.strip())
    # The freeze is recorded in services, which owns the tally lock, under the same two locks.
    from services.actions import year_freeze

    year_freeze(centre=moved.centre, year=moved.year, actor=actor)
    if latest is not None:
        from .chain import version_sign

        version_sign(filing=moved, version=latest)
    return moved


@transaction.atomic
def filing_publish(*, filing: AnnualFiling, actor, access: Access) -> AnnualFiling:
    return _move(filing, S.PUBLISHED, actor=actor, access=access)


@transaction.atomic
def filing_reopen(
    *, filing: AnnualFiling, reason: str, actor, access: Access, shown: str = ""
) -> AnnualFiling:
    """Send an approved, not yet published report back for changes; its year unfreezes."""
    if not reason.strip():
        raise DomainError(_("Say why the report is reopened."))
    locked = _lock_as_shown(filing, shown)
    if locked.status != S.APPROVED:
        raise TransitionNotAllowed(_("Only an approved report can be reopened."))
    from .chain import online_reset, reopen_refusal

    if refusal := reopen_refusal(locked):
        raise TransitionNotAllowed(refusal)
    moved = _move(filing, S.RETURNED, actor=actor, access=access, comment=reason.strip())
    from services.actions import year_unfreeze

    year_unfreeze(centre=moved.centre, year=moved.year, actor=actor)
    online_reset(moved, actor)
    return moved


# --- PDF runs --------------------------------------------------------------------------------


@transaction.atomic
def report_run_request(*, version: FilingVersion) -> ReportRun:
    """Queue the version's PDF unless it is ready or under way; a failed or stuck run goes again.

    A stuck first attempt that wakes up late finds the run claimed and leaves it (the task's claim
    is a conditional update), so a PDF is never rendered twice at once.
    """
    from .tasks import filing_render_pdf_task

    now = timezone.now()
    run, created = ReportRun.objects.get_or_create(version=version, defaults={"started_at": now})
    if not created:
        run = ReportRun.objects.select_for_update().get(pk=run.pk)
        if not run.retryable:
            return run
        # A person asking again starts afresh: earlier deaths no longer count against the run.
        run.status, run.error, run.started_at, run.attempts = ReportRun.Status.QUEUED, "", now, 0
        run.save(update_fields=["status", "error", "started_at", "attempts"])
    _after_commit(filing_render_pdf_task, version_id=version.pk)
    return run


def report_runs_resume() -> int:
    """Queue again every run stuck past PDF_STALL_SECONDS; one whose renders keep dying fails.

    Runs are taken with SKIP LOCKED so that two sweepers, or a sweeper and a user's retry, never
    queue the same run twice at once. Returns how many were queued again.
    """
    from .tasks import filing_render_pdf_task

    now = timezone.now()
    stale = now - stuck_after()
    requeued = 0
    with transaction.atomic():
        stuck = ReportRun.objects.select_for_update(skip_locked=True).filter(
            status__in=[ReportRun.Status.QUEUED, ReportRun.Status.RUNNING], started_at__lt=stale
        )
        for run in stuck:
            if run.attempts >= settings.PDF_MAX_ATTEMPTS:
                run.status, run.error = ReportRun.Status.FAILED, "the render kept stopping"
                run.save(update_fields=["status", "error"])
                continue
            run.status, run.started_at = ReportRun.Status.QUEUED, now
            run.save(update_fields=["status", "started_at"])
            _after_commit(filing_render_pdf_task, version_id=run.version_id)
            requeued += 1
    return requeued


# A step's mail not claimed this long after the step lost its message (broker restarted).
LOST_MAIL = dt.timedelta(seconds=60)
MAIL_WINDOW = dt.timedelta(days=2)  # older unsent mails are no longer news
MAILED_STEPS = (S.SUBMITTED, S.RETURNED, S.APPROVED, S.PUBLISHED)  # notifications.recipients


def filing_mails_resume() -> int:
    """Queue again the mails of recent steps that no task has claimed; returns how many."""
    from .tasks import notify_filing_event_task

    now = timezone.now()
    lost = list(
        FilingEvent.objects.filter(
            mailed_at=None, created_at__lt=now - LOST_MAIL, created_at__gt=now - MAIL_WINDOW
        )
        .filter(to_status__in=MAILED_STEPS)
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        for event_id in lost:
            outbox.enqueue(notify_filing_event_task.name, key=f"mail:{event_id}", event_id=event_id)
    return len(lost)


def report_run_lost(*, run: ReportRun) -> None:
    """A finished run whose file is gone from storage: failed, so it can be made again."""
    ReportRun.objects.filter(pk=run.pk).update(
        status=ReportRun.Status.FAILED, file="", error="the file is missing from storage"
    )


def label(key: str) -> str:
    return LABELS.get(key, key)


# --- Work summaries ---------------------------------------------------------------------------


def _summary_version(summary: Summary, *, actor, note: str) -> SummaryVersion:
    number = (summary.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    known = getattr(actor, "pk", None) is not None
    return SummaryVersion.objects.create(
        summary=summary,
        number=number,
        texts=summary.texts,
        figures=summary.figures,
        note=note,
        saved_by=actor if known else None,
        saved_by_name=(actor.get_full_name() or actor.get_username()) if known else "",
    )


@transaction.atomic
def summary_create(*, owner: summary.Owner, period: Period, kind: str, actor) -> Summary:
    """A new summary with freshly generated figures, laid out as the seeds are
    (outline_edit.default_outline); the problems the figures suggest wait for the author."""
    figures = summary.generate(owner=owner, period=period)
    title = f"{owner.name}{period.label}工作总结"
    texts = outline_edit.clean(outline_edit.default_outline(figures))
    created = Summary.objects.create(
        centre=owner.centre,
        authority=owner.authority,
        kind=kind,
        first=period.first,
        last=period.last,
        title=title,
        figures=figures,
        texts=texts,
        generated_at=timezone.now(),
        created_by=actor,
    )
    _summary_version(created, actor=actor, note=_("created"))
    audit(actor=actor, action="summary.create", target=created, centre=owner.centre)
    return created


def _locked_summary(pk: int) -> Summary:
    """The summary's row, locked; one handed up or accepted is refused (it is immutable)."""
    current = Summary.objects.select_for_update().get(pk=pk)
    summary_ensure_editable(current)
    return current


def summary_ensure_editable(summary_obj: Summary) -> None:
    """A summary handed up or accepted waits for its commission to return or reopen it."""
    if summary_obj.locked:
        raise TransitionNotAllowed(
            _(
                "The summary is %(state)s: it cannot be changed until the commission returns "
                "or reopens it."
            )
            % {"state": summary_obj.get_status_display()}
        )


def outline_values(row: Summary) -> dict:
    """A summary's outline field by field, as a stale-edit refusal shows "their" version."""
    return outline_edit.field_values(row.texts, row.figures)


def summary_refusal(summary_obj: Summary) -> stale.StaleEdit:
    """The refusal of a form built on an older outline, before its fields are even read."""
    return stale.refusal(summary_obj, values=outline_values)


def _outline_changes(old: Summary | SummaryVersion, texts: dict, figures: dict) -> dict:
    """What an outline save changed, field by field, and the headings' order when it moved."""
    changes = diff(
        outline_edit.field_values(old.texts, old.figures), outline_edit.field_values(texts, figures)
    )
    before, after = outline_edit.order(old.texts, old.figures), outline_edit.order(texts, figures)
    if before != after:
        changes["order"] = [before, after]
    return changes


@transaction.atomic
def summary_save_texts(
    *, summary_obj: Summary, texts: dict, based_on: str, actor, note: str = ""
) -> Summary:
    """The author's outline, unless someone saved since the form was opened; each save that
    changes it a version (one that changes nothing writes nothing).

    `texts` is an outline (reporting/outline.py); the old fixed keys are still read."""
    try:
        stale.claim(summary_obj, based_on=based_on, values=outline_values)
    except stale.StaleEdit:
        summary_ensure_editable(Summary.objects.get(pk=summary_obj.pk))  # the clearer reason
        raise
    current = _locked_summary(summary_obj.pk)
    cleaned = outline_edit.clean(outline.load(texts, current.figures, current.sources))
    if cleaned == current.texts:  # nothing changed (a repeated click): no empty version
        return current
    changes = _outline_changes(current, cleaned, current.figures)
    current.texts = cleaned
    current.version += 1
    current.save(update_fields=["texts", "version", "updated_at"])
    _summary_version(current, actor=actor, note=note or _("texts saved"))
    audit(
        actor=actor, action="summary.texts", target=current, changes=changes, centre=current.centre
    )
    return current


@transaction.atomic
def summary_regenerate(*, summary_obj: Summary, owner: summary.Owner, actor) -> Summary:
    """New figures from the data as it stands now; the author's texts are kept as they are."""
    current = _locked_summary(summary_obj.pk)
    period = Period(current.first, current.last, current.figures.get("period", ""))
    current.figures = summary.generate(owner=owner, period=period)
    current.generated_at = timezone.now()
    current.version += 1
    current.save(update_fields=["figures", "generated_at", "version", "updated_at"])
    _summary_version(current, actor=actor, note=_("figures regenerated"))
    audit(actor=actor, action="summary.regenerate", target=current, centre=current.centre)
    return current


@transaction.atomic
def summary_restore(*, summary_obj: Summary, number: int, actor) -> Summary:
    """An earlier version's texts back in place (the current figures stay); itself a new version."""
    current = _locked_summary(summary_obj.pk)
    old = current.versions.get(number=number)
    texts = outline.load(old.texts, old.figures, current.sources)
    changes = _outline_changes(current, texts, current.figures)
    current.texts = texts
    current.version += 1
    current.save(update_fields=["texts", "version", "updated_at"])
    _summary_version(current, actor=actor, note=_("restored from version %(n)s") % {"n": number})
    audit(
        actor=actor,
        action="summary.restore",
        target=current,
        changes=changes,
        centre=current.centre,
    )
    return current


def notifications_mark_read(*, user, pk: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; others' are never touched."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())


# --- assessment schemes -------------------------------------------------------------------

SCHEME_FIELDS = ("name", "period_kind", "is_active", "is_default")
ITEM_FIELDS = ("code", "measure", "weight", "rule", "params")


@transaction.atomic
def scheme_save(
    *,
    authority,
    data: dict,
    actor,
    scheme: Scheme | None = None,
    start_from: tuple[assessment.ItemSpec, ...] = (),
    based_on: str = "",
) -> Scheme:
    """Create or change a commission's scheme (a new one may start with `start_from`'s items),
    a change only if nobody saved it since the form was opened (core.stale); a commission has
    one default scheme, so marking one moves the mark."""
    created, before = scheme is None, {}
    if scheme is not None:
        stale.claim(scheme, based_on=based_on, fields=SCHEME_FIELDS)
        # Re-read: a bound ModelForm has already written the new values onto the instance.
        before = snapshot(Scheme.objects.get(pk=scheme.pk), SCHEME_FIELDS)
    if data.get("is_default"):
        others = Scheme.objects.filter(authority=authority, is_default=True)
        if scheme is not None:
            others = others.exclude(pk=scheme.pk)
        # A moved mark is a change of those schemes too: their open forms turn stale.
        others.update(is_default=False, updated_at=timezone.now())
    scheme = Scheme(authority=authority) if scheme is None else scheme
    for name in SCHEME_FIELDS:
        setattr(scheme, name, data[name])
    scheme.save()
    if created and start_from:
        SchemeItem.objects.bulk_create(
            SchemeItem(
                scheme=scheme,
                position=n,
                code=s.code,
                measure=s.measure,
                weight=s.weight,
                rule=s.rule,
                params=dict(s.params),
            )
            for n, s in enumerate(start_from, 1)
        )
    verb = "created" if created else "changed"
    changes = diff(before, snapshot(scheme, SCHEME_FIELDS))
    audit(actor=actor, action=f"reporting.scheme.{verb}", target=scheme, changes=changes)
    return scheme


@transaction.atomic
def scheme_item_save(
    *,
    scheme: Scheme,
    data: dict,
    actor,
    item: SchemeItem | None = None,
    based_on: str = "",
    shown: Callable[[SchemeItem], dict] | None = None,
) -> SchemeItem:
    """Add an item to a scheme (last) or change one if nobody saved it since the form was
    opened (core.stale; `shown` gives a refused form the newer item as it shows it); the form
    has checked code and params."""
    created = item is None
    if item is None:
        last = scheme.items.aggregate(last=Max("position"))["last"] or 0
        item = SchemeItem(scheme=scheme, position=last + 1)
    else:
        stale.claim(item, based_on=based_on, fields=ITEM_FIELDS, values=shown)
    before = {} if created else snapshot(item, ITEM_FIELDS)
    for name in ITEM_FIELDS:
        setattr(item, name, data[name])
    item.save()
    verb = "created" if created else "changed"
    changes = diff(before, snapshot(item, ITEM_FIELDS))
    audit(actor=actor, action=f"reporting.scheme_item.{verb}", target=item, changes=changes)
    return item


@transaction.atomic
def scheme_item_delete(*, item: SchemeItem, actor) -> None:
    """Take an item out of its scheme; rankings already kept keep their breakdown."""
    audit(
        actor=actor,
        action="reporting.scheme_item.deleted",
        target=item,
        changes=diff(snapshot(item, ITEM_FIELDS), {}),
    )
    item.delete()


@transaction.atomic
def ranking_compute(
    *, scheme: Scheme, authority_ids, period: Period, actor, today: dt.date | None = None
) -> Ranking:
    """Score and rank the subtree's centres on the scheme for the period and keep the result,
    replacing that period's earlier one (other periods' rankings stay as they were)."""
    # One computation per scheme at a time: two clicks cannot interleave their rows.
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    columns, rows = ranking_live(
        scheme=scheme, authority_ids=authority_ids, period=period, today=today
    )
    ranking, _created = Ranking.objects.get_or_create(
        scheme=scheme, first=period.first, last=period.last, defaults={"label": period.label}
    )
    ranking.rows.all().delete()
    RankingRow.objects.bulk_create(
        RankingRow(
            ranking=ranking,
            centre=row.centre,
            score=row.score,
            rank=row.rank,
            breakdown={
                column["key"]: {"value": value, "points": points, "completion": completion}
                for column, (value, points, completion) in zip(columns, row.cells, strict=True)
            },
        )
        for row in rows
    )
    ranking.label, ranking.items = period.label, columns
    ranking.computed_at, ranking.computed_by = timezone.now(), actor
    ranking.save()
    audit(
        actor=actor,
        action="reporting.ranking.computed",
        target=ranking,
        changes={"centres": len(rows), "period": period.label},
    )
    return ranking
