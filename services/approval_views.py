"""The month review page: a commission approves, returns or confirms a month of its centres."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from centers import selectors as centre_selectors
from centers.access import AuthorityRequest, authority_view
from centers.permissions import VIEW_AUTHORITY
from core.errors import DomainError

from . import approval_selectors
from .approval_actions import NOT_SUBMITTED, month_move, state_label
from .forms import MonthReviewForm
from .locking import month_range_label
from .models import MonthReport


def _month(year: int, month: int) -> dt.date:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise Http404("no such month")
    return dt.date(year, month, 1)


def _ticked(form: MonthReviewForm) -> set[int]:
    """The centres the person ticked, to tick them again when the form comes back."""
    if not form.is_bound:
        return set()
    return {int(v) for v in form["centres"].value() or () if str(v).isdigit() and len(str(v)) < 19}


@authority_view(VIEW_AUTHORITY)
@require_http_methods(["GET", "POST"])
def month_review(request: AuthorityRequest, year: int, month: int) -> HttpResponse:
    """Every centre of the subtree with the month's state; tick centres and make one move."""
    first = _month(year, month)
    centres = list(centre_selectors.centre_list(authority_ids=request.authority_subtree))
    rows = approval_selectors.month_rows(centres=centres, month=first, places=request.places)
    form = MonthReviewForm(request.POST or None, centre_ids=[c.pk for c in centres])
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["centres"])
        try:
            outcome = month_move(
                move=form.cleaned_data["move"],
                centres=[c for c in centres if c.pk in chosen],
                month=first,
                actor=request.user,
                places=request.places,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error("reason", str(exc))
        else:
            if outcome.done:
                move = dict(form.fields["move"].choices)[form.cleaned_data["move"]]
                messages.success(
                    request,
                    ngettext(
                        "%(move)s: %(n)s centre.", "%(move)s: %(n)s centres.", len(outcome.done)
                    )
                    % {"move": move, "n": len(outcome.done)},
                )
            for centre, why in outcome.refused:
                messages.warning(request, f"{centre.name}：{why}")
            return redirect("services:month-review", request.authority.slug, year, month)
    counts = approval_selectors.state_counts(rows)
    context = {
        "rows": rows,
        "month": first,
        "form": form,
        "chosen": _ticked(form),
        "counts": [(state_label(s), n) for s, n in counts.items()],
        # Only the moves some row allows this reviewer (a district does not see 确认).
        "moves": [
            (m, label)
            for m, label in form.fields["move"].choices
            if any(m in row.moves for row in rows)
        ],
        "states": {NOT_SUBMITTED: state_label(NOT_SUBMITTED)}
        | {s: state_label(s) for s in MonthReport.State.values},
        "title": _("Review of %(month)s") % {"month": month_range_label(first, first)},
    }
    return render(request, "services/month_review.html", context)
