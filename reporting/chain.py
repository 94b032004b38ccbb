"""The annual report after the 举办单位 approves it: the opinion box, the attachments, the filing
on 事业单位在线 and the 登记管理机关's outcome (here, beside actions.py, which passed 600 lines).

The real chain: the sponsor approves and its opinion is printed (its commission's wording, by
default “该年度报告书情况属实，并经保密审查，可以向社会公示”); the centre attaches the signed and
sealed scan and files the report online, recording the day (报送日期); the registration office
returns it with a reason (the centre corrects it and files again) or publishes it (公示日期),
which makes the report public here too. Each recorded step is a FilingEvent, audited, and
notifies the people who act next.

Attachments change only while the report is with the centre (draft or returned); after approval
only the signed scan may be added or replaced, since it exists only once the sponsor has signed,
until the report is filed online (and again if the registration office returns it).
"""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from centers.access import Access
from centers.models import Authority
from centers.permissions import EDIT_RECORDS, SUBMIT_FILINGS
from core.audit import audit, diff, snapshot
from core.errors import DomainError

from .actions import TransitionNotAllowed, _after_commit, _lock
from .attachments import Checked, clean_name
from .models import (
    DEFAULT_OPINION,
    AnnualFiling,
    FilingAttachment,
    FilingEvent,
    FilingVersion,
    OnlineStep,
    OpinionTemplate,
    ReportRun,
)

S = AnnualFiling.Status
O = AnnualFiling.Online  # noqa: E741
K = FilingAttachment.Kind
# step → (online states it may follow, the state it leaves)
ONLINE_STEPS = {
    OnlineStep.FILED: ((O.NOT_FILED, O.RETURNED), O.FILED),
    OnlineStep.REGISTRY_RETURNED: ((O.FILED,), O.RETURNED),
    OnlineStep.PUBLICISED: ((O.FILED,), O.PUBLICISED),
}
NAME_LIMIT = 150


# --- the opinion box --------------------------------------------------------------------------


def opinion_text(authority_id: int) -> str:
    """The commission's wording for its opinion box, else the standard one."""
    found = OpinionTemplate.objects.filter(authority_id=authority_id).first()
    return found.text if found else DEFAULT_OPINION


@transaction.atomic
def opinion_template_save(*, authority: Authority, text: str, actor) -> OpinionTemplate:
    """Set a commission's opinion wording; reports it approved before keep the wording they had."""
    template, created = OpinionTemplate.objects.select_for_update().get_or_create(
        authority=authority
    )
    before = {} if created else snapshot(template, ("text",))
    template.text, template.updated_by = text.strip(), actor
    template.save()
    audit(
        actor=actor,
        action="reporting.opinion_template.changed",
        target=template,
        changes=diff(before, snapshot(template, ("text",))),
    )
    return template


def version_sign(*, filing: AnnualFiling, version: FilingVersion) -> None:
    """Print the sponsor's opinion and the day on the approved version; its PDF is made again."""
    version.opinion = opinion_text(filing.centre.sponsor_id)
    version.approved_on = timezone.localdate()
    version.save(update_fields=["opinion", "approved_on"])
    again = ReportRun.objects.filter(version=version).update(
        status=ReportRun.Status.QUEUED, error="", started_at=timezone.now(), attempts=0
    )
    if again:  # rendered before approval, without the opinion; a late render of it is discarded
        from .tasks import filing_render_pdf_task

        _after_commit(filing_render_pdf_task, version_id=version.pk)


# --- attachments ------------------------------------------------------------------------------


def attachments_refusal(filing: AnnualFiling, kind: str) -> str:
    """Why an attachment of this kind cannot be added or removed now; "" when it can."""
    if filing.editable:
        return ""
    if filing.status == S.APPROVED and filing.online in (O.NOT_FILED, O.RETURNED):
        if kind == K.SIGNED_SCAN:
            return ""
        return _(
            "After approval only the scan of the signed and sealed report can be attached or "
            "removed; the other attachments are as approved."
        )
    return _("The report is %(state)s: its attachments can no longer change.") % {
        "state": state_label(filing)
    }


def state_label(filing: AnnualFiling) -> str:
    """The status, with where it stands online once approved."""
    if filing.status == S.APPROVED:
        return f"{filing.get_status_display()}（{filing.get_online_display()}）"
    return filing.get_status_display()


def attachment_listing(filing: AnnualFiling) -> list[dict]:
    """The current attachments as a version keeps them."""
    return [a.listing() for a in filing.attachments.filter(removed_at=None)]


@transaction.atomic
def attachment_add(
    *, filing: AnnualFiling, kind: str, checked: Checked, name: str, actor, access: Access
) -> FilingAttachment:
    """Keep a checked file with the filing, while attachments of its kind may change."""
    if not access.can(EDIT_RECORDS):
        raise TransitionNotAllowed(_("Your role cannot do this."))
    locked = _lock(filing)
    if refusal := attachments_refusal(locked, kind):
        raise DomainError(refusal)
    attachment = FilingAttachment(
        filing=locked,
        kind=kind,
        name=clean_name(name, checked.content_type, NAME_LIMIT),
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        compressed=checked.compressed,
        uploaded_by=actor,
    )
    # Stored before the row: a failed write leaves no row; a rolled-back row leaves a stray file.
    attachment.file.save("upload", ContentFile(checked.content), save=False)
    attachment.save()
    audit(
        actor=actor,
        action="reporting.attachment.create",
        target=attachment,
        centre=locked.centre,
        changes={"kind": attachment.get_kind_display(), "size": attachment.size},
    )
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: FilingAttachment, actor, access: Access) -> None:
    """Take an attachment off the filing; the row and file stay for the versions that list it."""
    if not access.can(EDIT_RECORDS):
        raise TransitionNotAllowed(_("Your role cannot do this."))
    locked = _lock(attachment.filing)
    if refusal := attachments_refusal(locked, attachment.kind):
        raise DomainError(refusal)
    _take_off(attachment, locked, actor)


def _take_off(attachment: FilingAttachment, filing: AnnualFiling, actor, why: str = "") -> None:
    if FilingAttachment.objects.filter(pk=attachment.pk, removed_at=None).update(
        removed_at=timezone.now()
    ):
        changes = {"kind": attachment.get_kind_display()}
        if why:
            changes["reason"] = why
        audit(
            actor=actor,
            action="reporting.attachment.deleted",
            target=attachment,
            centre=filing.centre,
            changes=changes,
        )


# --- 事业单位在线 and the registration office -------------------------------------------------


def _check_day(day: dt.date, *, after: dt.date | None, after_what: str) -> None:
    if day > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."))
    if after is not None and day < after:
        raise DomainError(
            _("The date cannot be before %(what)s (%(day)s).") % {"what": after_what, "day": after}
        )


def _online_step(
    filing: AnnualFiling,
    step: str,
    *,
    actor,
    access: Access,
    values: dict,
    comment: str = "",
    data: dict | None = None,
) -> AnnualFiling:
    """Record one step from 事业单位在线 under the filing's row lock, as _move records its own."""
    locked = _lock(filing)
    starts, leaves = ONLINE_STEPS[OnlineStep(step)]
    if locked.status != S.APPROVED or locked.online not in starts:
        raise TransitionNotAllowed(
            _("The report is %(state)s, so “%(step)s” cannot be recorded now.")
            % {"state": state_label(locked), "step": OnlineStep(step).label}
        )
    if not access.can(SUBMIT_FILINGS):
        raise TransitionNotAllowed(access.withheld_reason or _("Your role cannot do this."))
    fields = ("online", *values)
    before = snapshot(locked, fields)
    to_status = S.PUBLISHED if step == OnlineStep.PUBLICISED else locked.status
    event = FilingEvent.objects.create(
        filing=locked,
        from_status=locked.status,
        to_status=to_status,
        step=step,
        actor=actor,
        actor_name=actor.get_username(),
        comment=comment,
        data=data or {},
    )
    for name, value in values.items():
        setattr(locked, name, value)
    locked.online, locked.status = leaves, to_status
    locked.version = F("version") + 1
    locked.save(update_fields=[*fields, "status", "version", "updated_at"])
    locked.refresh_from_db()
    changes = diff(before, snapshot(locked, fields))
    if to_status != event.from_status:
        changes["status"] = [event.from_status, to_status]
    verb = "published" if to_status == S.PUBLISHED else "changed"
    audit(
        actor=actor,
        action=f"reporting.filing.{verb}",
        target=locked,
        centre=locked.centre,
        changes=changes,
    )
    from .notifications import filing_step_notices
    from .tasks import notify_filing_event_task

    filing_step_notices(event)
    _after_commit(notify_filing_event_task, event_id=event.pk)
    return locked


@transaction.atomic
def filing_record_filed(
    *, filing: AnnualFiling, filed_on: dt.date, actor, access: Access
) -> AnnualFiling:
    """The centre filed the approved report on 事业单位在线 on this day, with these attachments."""
    locked = _lock(filing)
    version = locked.versions.order_by("-number").first()
    _check_day(filed_on, after=version.approved_on if version else None, after_what=_("approval"))
    listing = attachment_listing(locked)
    if locked.status == S.APPROVED and not any(a["kind"] == K.SIGNED_SCAN for a in listing):
        raise DomainError(
            _("Attach the scan of the signed and sealed report first: it is filed with the report.")
        )
    moved = _online_step(
        locked,
        OnlineStep.FILED,
        actor=actor,
        access=access,
        values={"filed_online_on": filed_on, "registry_reason": ""},
        data={"filed_on": filed_on.isoformat(), "attachments": listing},
    )
    if version is not None:
        FilingVersion.objects.filter(pk=version.pk).update(filed_attachments=listing)
    return moved


@transaction.atomic
def filing_record_registry_return(
    *, filing: AnnualFiling, reason: str, actor, access: Access
) -> AnnualFiling:
    """The registration office returned the filed report; the centre corrects and files again."""
    if not reason.strip():
        raise DomainError(_("Say why the registration office returned the report."))
    return _online_step(
        filing,
        OnlineStep.REGISTRY_RETURNED,
        actor=actor,
        access=access,
        values={"registry_reason": reason.strip()},
        comment=reason.strip(),
    )


@transaction.atomic
def filing_record_publicised(
    *, filing: AnnualFiling, publicised_on: dt.date, actor, access: Access
) -> AnnualFiling:
    """The registration office published (公示) the report on this day: it is public here too."""
    locked = _lock(filing)
    _check_day(publicised_on, after=locked.filed_online_on, after_what=_("the online filing"))
    return _online_step(
        locked,
        OnlineStep.PUBLICISED,
        actor=actor,
        access=access,
        values={"publicised_on": publicised_on},
        data={"publicised_on": publicised_on.isoformat()},
    )


def reopen_refusal(filing: AnnualFiling) -> str:
    """A report filed online waits for the registration office before it is reopened."""
    if filing.status == S.APPROVED and filing.online == O.FILED:
        return _(
            "The report is filed on 事业单位在线 and waits for the registration office; record "
            "its outcome before reopening it."
        )
    return ""


def online_reset(filing: AnnualFiling, actor) -> None:
    """A reopened report goes through approval again, and is filed online afresh; the signed
    scan was of the report as it was, so the next approval needs a new one."""
    cleared = {"online": O.NOT_FILED, "filed_online_on": None, "registry_reason": ""}
    AnnualFiling.objects.filter(pk=filing.pk).update(**cleared, publicised_on=None)
    for name, value in cleared.items():
        setattr(filing, name, value)
    for scan in filing.attachments.filter(kind=K.SIGNED_SCAN, removed_at=None):
        _take_off(scan, filing, actor, _("It was signed before the report was reopened."))
