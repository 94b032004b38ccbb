"""Monthly data approval, up the commission tree.

A month a centre marked 已报送 is approved (已审核) by a reviewer of its sponsoring commission and
then confirmed (已确认) by a reviewer of the commission above, when there is one. Each level undoes
only its own step, and only while the level above has not acted on it; a return (退回) needs a
reason and sends the month back to 未报送 for the centre to correct. An approved month is locked
for the centre (services.locking). Every move takes the centre's row lock, as a cell save does,
is audited, and is announced (services.signals.month_review_changed) to whoever acts next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from centers.access import confirm_refusal, review_refusal
from centers.models import Centre
from centers.selectors import Places
from core.audit import audit
from core.errors import DomainError

from .actions import month_target, open_months
from .models import OPEN_REQUEST_DAYS, FrozenYear, MonthReport
from .signals import month_review_changed

State = MonthReport.State
NOT_SUBMITTED = "not_submitted"  # no MonthReport: 未报送


@dataclass
class Outcome:
    """What a move over several centres did: the centres moved, and each refusal's reason."""

    done: list[Centre] = field(default_factory=list)
    refused: list[tuple[Centre, str]] = field(default_factory=list)


def state_label(state: str) -> str:
    """The state's name as the pages say it (未报送 has no MonthReport row)."""
    if state == NOT_SUBMITTED:
        return pgettext("month state", "not submitted")
    return str(State(state).label)


def _blocked(state: str) -> str:
    return _("The month is %(state)s.") % {"state": state_label(state)}


# What each move needs: the state it starts from, where it goes, who may make it.
@dataclass(frozen=True)
class Move:
    name: str
    source: str
    target: str
    refusal: Callable[[Places, Centre], str]
    needs_reason: bool
    # Why the move cannot start from a given other state (the blocking state named).
    wrong_state: dict[str, str] = field(default_factory=dict)


def _moves() -> dict[str, Move]:
    return {
        "approve": Move("approved", State.SUBMITTED, State.APPROVED, review_refusal, False),
        "return": Move(
            "returned",
            State.SUBMITTED,
            NOT_SUBMITTED,
            review_refusal,
            True,
            {
                State.APPROVED: _("The month is approved: withdraw the approval first."),
                State.CONFIRMED: _(
                    "The month is confirmed by the commission above: it has to withdraw its "
                    "confirmation, then the approval can be withdrawn."
                ),
            },
        ),
        "unapprove": Move(
            "unapproved",
            State.APPROVED,
            State.SUBMITTED,
            review_refusal,
            True,
            {
                State.CONFIRMED: _(
                    "The commission above has confirmed this month: it has to withdraw its "
                    "confirmation first."
                ),
            },
        ),
        "confirm": Move(
            "confirmed",
            State.APPROVED,
            State.CONFIRMED,
            confirm_refusal,
            False,
            {State.SUBMITTED: _("The month is not approved yet: its commission approves first.")},
        ),
        "unconfirm": Move("unconfirmed", State.CONFIRMED, State.APPROVED, confirm_refusal, True),
    }


MOVES = ("approve", "return", "unapprove", "confirm", "unconfirm")


def month_move(
    *,
    move: str,
    centres: Iterable[Centre],
    month: dt.date,
    actor,
    places: Places,
    reason: str = "",
    announce: bool = True,
) -> Outcome:
    """Make one move for a month at several centres (one is a list of one): each centre is
    moved or refused with the reason naming what blocks it; the moved ones are announced
    together (not by the demo, which writes months of history at once for nobody waiting)."""
    spec = _moves()[move]
    reason = reason.strip()
    if spec.needs_reason and not reason:
        raise DomainError(_("Give the reason: the centre sees it."))
    outcome = Outcome()
    with transaction.atomic():
        # Centres in id order: two reviewers moving overlapping sets never wait on each other
        # in a circle.
        for centre in sorted(centres, key=lambda c: c.pk):
            if why := spec.refusal(places, centre):
                outcome.refused.append((centre, why))
                continue
            if why := _move_one(spec, centre, month, actor, reason):
                outcome.refused.append((centre, why))
            else:
                outcome.done.append(centre)
        if outcome.done and announce:
            month_review_changed.send(
                sender=MonthReport,
                centres=outcome.done,
                month=month,
                event=spec.name,
                actor=actor,
                reason=reason,
            )
    return outcome


def _move_one(spec: Move, centre: Centre, month: dt.date, actor, reason: str) -> str:
    """Move one centre's month under its row lock; the refusal's reason, or "" when moved."""
    Centre.objects.select_for_update(no_key=True).filter(pk=centre.pk).order_by().first()
    report = MonthReport.objects.filter(centre=centre, period=month).first()
    state = report.state if report else NOT_SUBMITTED
    if state != spec.source:
        return spec.wrong_state.get(state) or _blocked(state)
    if why := _own_work(spec, report, actor):
        return why
    if FrozenYear.objects.filter(centre=centre, year=month.year).exists():
        # The year's approved annual report holds its months: a move now could not be undone.
        return frozen_refusal(month.year)
    # The target is the month (services.actions.month_target): the change is its state.
    changes = {"state": [state_label(state), state_label(spec.target)]}
    if reason:
        changes["reason"] = reason
    audit(
        actor=actor,
        action=f"services.month.{spec.name}",
        target=month_target(centre, month),
        centre=centre,
        changes=changes,
    )
    if spec.target == NOT_SUBMITTED:
        report.delete()
        _open_for_correction(centre, month, reason, actor)
        return ""
    now = timezone.now()
    report.state = spec.target
    if spec.target == State.APPROVED and spec.source == State.SUBMITTED:
        report.approved_at, report.approved_by = now, actor
    elif spec.target == State.CONFIRMED:
        report.confirmed_at, report.confirmed_by = now, actor
    elif spec.target == State.SUBMITTED:  # the approval withdrawn
        report.approved_at, report.approved_by = None, None
    else:  # the confirmation withdrawn
        report.confirmed_at, report.confirmed_by = None, None
    fields = ["state", "approved_at", "approved_by", "confirmed_at", "confirmed_by", "updated_at"]
    report.save(update_fields=fields)
    return ""


def frozen_refusal(year: int) -> str:
    return _(
        "The %(year)s annual report is approved: its months stay as approved until it is reopened."
    ) % {"year": year}


def _own_work(spec: Move, report: MonthReport, actor) -> str:
    """No one approves a month they marked complete, nor confirms one they approved."""
    if spec.name == "approved" and report.submitted_by_id == actor.pk:
        return _("You marked this month complete: another reviewer approves it.")
    if spec.name == "confirmed" and report.approved_by_id == actor.pk:
        return _("You approved this month: another reviewer confirms it.")
    return ""


def _open_for_correction(centre: Centre, month: dt.date, reason: str, actor) -> None:
    """A returned month opens for the centre to correct and mark again, for as long as a
    granted request to open months would (a month long past its lock day stays open too)."""
    open_months(
        centre,
        month,
        month,
        timezone.localdate() + dt.timedelta(days=OPEN_REQUEST_DAYS),
        reason,
        actor,
    )
