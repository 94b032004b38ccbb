"""Summaries handed up: the centre hands up (上报), its commission returns or accepts, sees who
is late, and compiles paragraphs of accepted summaries into its own.

The steps are centre URLs (centre_view checks reach and capability, the actions separation of
duties); the received list and the compile picker are the authority's.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centers.access import authority_view, centre_view, review_refusal
from centers.permissions import (
    REVIEW_FILINGS,
    SUBMIT_FILINGS,
    VIEW_AUTHORITY,
    VIEW_CENTRE,
)
from core.errors import DomainError
from core.periods import Period, PeriodForm
from core.stale import StaleEdit, stamp

from . import summary_actions, summary_review
from .forms import CommentForm, ReasonForm, first_error
from .models import Summary
from .numbercheck import check_summary_texts, mismatches
from .numbercheck_books import summary_book, waiting_mismatches

SS = Summary.Status


def writes_own_summaries(request: HttpRequest) -> bool:
    """A commission's own summaries are written by its own reviewers: the commissions above it
    read them (and write their own)."""
    authority = request.authority  # type: ignore[attr-defined]
    return request.access.can(REVIEW_FILINGS) and any(  # type: ignore[attr-defined]
        m.authority_id == authority.pk
        for m in request.places.authority_memberships  # type: ignore[attr-defined]
    )


PICK = re.compile(r"([0-9]{1,9}):([a-z0-9]{1,16})")


def _centre_summary(request: HttpRequest, pk: int) -> Summary:
    return get_object_or_404(Summary.objects.filter(centre=request.centre), pk=pk)  # type: ignore[attr-defined]


def _period_query(summary: Summary) -> str:
    """?year=…&part=… naming the summary's period on the received list."""
    part = (
        "year" if summary.kind == Summary.Kind.YEAR else f"h{1 if summary.first.month == 1 else 2}"
    )
    return f"?year={summary.first.year}&part={part}"


def _back(request: HttpRequest, summary: Summary) -> HttpResponse:
    """To the received list when the step was taken there, else to the summary's page."""
    if request.POST.get("back") == "inbox":
        sponsor = request.centre.sponsor  # type: ignore[attr-defined]
        url = reverse("reporting:authority-summary-inbox", args=[sponsor.slug])
        return redirect(url + _period_query(summary))
    return redirect("reporting:centre-summary", request.centre.slug, summary.pk)  # type: ignore[attr-defined]


def _step(request: HttpRequest, pk: int, run: Callable[[Summary], Summary], done: str):
    summary = _centre_summary(request, pk)
    try:
        run(summary)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back(request, summary)


@require_POST
def summary_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the summary up to the centre's commission. From the editor the typed text is saved
    first; numbers that disagree with the stored figures are named and asked about before."""
    from . import summary_views

    summary = _centre_summary(request, pk)
    # The editor's form: nothing typed is dropped on the way.
    summary, refused = summary_views.save_before_step(request, summary)
    if refused is not None:
        return refused
    if summary.status in (SS.DRAFT, SS.RETURNED):
        flags, checked = submit_mismatches(summary)
        if flags and request.POST.get("confirm") != str(len(flags)):
            check = {"flags": flags, "checked": checked}
            context = summary_views.page_context(request, summary, submit_check=check)
            return summary_views.render_page(request, context)
    sponsor = request.centre.sponsor.name  # type: ignore[attr-defined]
    try:
        summary_actions.summary_submit(
            summary_obj=summary,
            actor=request.user,
            access=request.access,  # type: ignore[attr-defined]
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Handed up to %(sponsor)s.") % {"sponsor": sponsor})
    url = reverse("reporting:centre-summary", args=[request.centre.slug, summary.pk])  # type: ignore[attr-defined]
    return summary_views.after_step(request, url)


def submit_mismatches(summary: Summary) -> tuple[list, int]:
    """The numbers of the summary that disagree with the stored figures, and how many were
    tied to a figure at all (reporting/numbercheck.py)."""
    book, scope = summary_book(summary)
    ties = check_summary_texts(summary.texts, summary.figures, book, scope)
    return mismatches(ties), len(ties)


def _with_text(request, pk, form_class, field: str, run, done: str) -> HttpResponse:
    """A step that carries a comment or reason: bad text is a message, nothing moves."""
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(request, _centre_summary(request, pk))
    return _step(request, pk, lambda s: run(s, form.cleaned_data[field]), done)


@require_POST
def summary_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a handed-up summary with a comment (required)."""
    return _with_text(
        request,
        pk,
        CommentForm,
        "comment",
        lambda s, text: summary_actions.summary_return(
            summary_obj=s,
            comment=text,
            actor=request.user,
            access=request.access,  # type: ignore[attr-defined]
        ),
        _("The summary was returned to the centre."),
    )


@require_POST
def summary_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the handed-up version."""
    return _with_text(
        request,
        pk,
        CommentForm,
        "comment",
        lambda s, text: summary_actions.summary_accept(
            summary_obj=s,
            comment=text,
            actor=request.user,
            access=request.access,  # type: ignore[attr-defined]
        ),
        _("The summary was accepted."),
    )


@require_POST
def summary_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Give an accepted summary back for changes, with the reason."""
    return _with_text(
        request,
        pk,
        ReasonForm,
        "reason",
        lambda s, text: summary_actions.summary_reopen(
            summary_obj=s,
            reason=text,
            actor=request.user,
            access=request.access,  # type: ignore[attr-defined]
        ),
        _("The summary was reopened for the centre."),
    )


@require_GET
def summary_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """What changed in the text since the version handed up or accepted (or ?base=n)."""
    summary = _centre_summary(request, pk)
    latest = summary.versions.values_list("number", flat=True).first() or 0
    raw = request.GET.get("base", "")
    if raw and not re.fullmatch(r"[0-9]{1,9}", raw):
        raise Http404("no such version")
    base_number = int(raw) if raw else summary_review.default_base(summary, latest)
    base, current = summary_review.version_pair(summary, base_number)
    if raw and base is None:
        raise Http404("no such version")
    context = {
        "summary": summary,
        "base": base,
        "latest": latest,
        "handed": summary_review.handed_versions(summary),
        "changes": (
            summary_review.text_changes(base.texts, current, base.figures, summary.figures)
            if base
            else []
        ),
        "page_url": reverse("reporting:centre-summary", args=[request.centre.slug, pk]),  # type: ignore[attr-defined]
        "states": dict(SS.choices),
    }
    return render(request, "reporting/summary_changes.html", context)


def chain_context(request: HttpRequest, summary: Summary) -> dict:
    """What the summary page shows of the chain: state, steps, and the buttons this user has."""
    if summary.centre_id is None:
        return _compile_context(request, summary)
    if summary.kind not in summary_actions.HANDED_KINDS:
        return {}
    access = request.access  # type: ignore[attr-defined]
    slug = request.centre.slug  # type: ignore[attr-defined]
    mine = summary.submitted_by_id is not None and summary.submitted_by_id == request.user.pk
    urls = {
        name: reverse(f"reporting:centre-summary-{name}", args=[slug, summary.pk])
        for name in ("submit", "return", "accept", "reopen", "changes")
    }
    late, handed_late = summary_review.summary_lateness(summary)
    return {
        "chain": {
            "events": list(summary.events.select_related("actor")),
            "can_submit": access.can(SUBMIT_FILINGS) and summary.status in (SS.DRAFT, SS.RETURNED),
            "can_review": access.can(REVIEW_FILINGS) and not mine,
            "urls": urls,
            "sponsor": request.centre.sponsor.name,  # type: ignore[attr-defined]
            "due": summary_review.due_date(Period(summary.first, summary.last)),
            "late": late,
            "handed_late": handed_late,
        }
    }


def _compile_context(request: HttpRequest, summary: Summary) -> dict:
    slug = request.authority.slug  # type: ignore[attr-defined]
    return {"compile_url": reverse("reporting:authority-summary-compile", args=[slug, summary.pk])}


def _default_choice(authority_ids) -> dict[str, str]:
    """The latest period a centre below has handed a summary up for (waiting, returned or
    accepted), else the last half-year that has ended."""
    if latest := summary_review.latest_handed_period(authority_ids=authority_ids):
        return latest
    today = timezone.localdate()
    if today.month >= 7:
        return {"year": str(today.year), "part": "h1"}
    return {"year": str(today.year - 1), "part": "h2"}


@require_GET
def summary_inbox(request: HttpRequest) -> HttpResponse:
    """Every centre below the commission and its summary of the period: handed up, late,
    returned, accepted; the commission's own reviewers act on each from here. A bad period is
    refused beside its field (the list would be of some other period)."""
    authority = request.authority  # type: ignore[attr-defined]
    subtree = request.authority_subtree  # type: ignore[attr-defined]
    form = PeriodForm(request.GET or _default_choice(subtree), parts=("h1", "h2", "year"))
    if not form.is_valid():
        context = {"form": form, "period": None, "authority": authority}
        return render(request, "reporting/summary_inbox.html", context, status=400)
    period = form.period(timezone.localdate().year)
    kind = Summary.Kind.HALF if len(period.months) == 6 else Summary.Kind.YEAR
    rows = summary_review.inbox(
        authority_ids=request.authority_subtree,  # type: ignore[attr-defined]
        period=period,
        kind=kind,
    )
    places = request.places  # type: ignore[attr-defined]
    listed = [(row, review_refusal(places, row.centre), _row_urls(row)) for row in rows]
    context = {
        "form": form,
        "period": period,
        "due": summary_review.due_date(period),
        "due_days": summary_review.DUE_DAYS,
        "rows": listed,
        "counts": summary_review.counts(rows),
        "authority": authority,
        "user_pk": request.user.pk,
        # What the number check finds in each summary waiting for review (reporting/numbercheck).
        "checks": waiting_mismatches(rows),
    }
    return render(request, "reporting/summary_inbox.html", context)


def _row_urls(row) -> dict[str, str]:
    if row.summary is None:
        return {}
    args = [row.centre.slug, row.summary.pk]
    return {
        "page": reverse("reporting:centre-summary", args=args),
        "return": reverse("reporting:centre-summary-return", args=args),
        "accept": reverse("reporting:centre-summary-accept", args=args),
        "changes": reverse("reporting:centre-summary-changes", args=args),
    }


def _picks(request: HttpRequest) -> list[tuple[int, str]] | None:
    """The ticked paragraphs as (summary, paragraph id); None when one is malformed."""
    out = []
    for value in request.POST.getlist("pick")[:500]:
        match = PICK.fullmatch(value)
        if match is None:
            return None
        out.append((int(match[1]), match[2]))
    return out


@require_http_methods(["GET", "POST"])
def summary_compile(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick paragraphs of the accepted centre summaries of the same period into this one."""
    if not writes_own_summaries(request):
        raise PermissionDenied("a commission's own reviewers compile its summary")
    authority = request.authority  # type: ignore[attr-defined]
    summary = get_object_or_404(Summary.objects.filter(authority=authority), pk=pk)
    page = reverse("reporting:authority-summary", args=[authority.slug, pk])
    error, status, based_on = "", 200, stamp(summary)
    if request.method == "POST":
        picks = _picks(request)
        try:
            if picks is None:
                raise DomainError(
                    _("A chosen paragraph is no longer in an accepted summary; choose again.")
                )
            summary_actions.summary_compile(
                summary_obj=summary,
                picks=picks,
                target=request.POST.get("target", "")[:16],
                authority_ids=request.authority_subtree,  # type: ignore[attr-defined]
                based_on=request.POST.get("based_on", ""),
                actor=request.user,
            )
        except StaleEdit as exc:
            error, status, based_on = exc.message, 409, exc.based_on
        except DomainError as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, _("The chosen paragraphs were copied, with their source."))
            return redirect(page)
    accepted = summary_actions.accepted_for(summary, request.authority_subtree)  # type: ignore[attr-defined]
    context = {
        "summary": summary,
        "sources": summary_review.picker(accepted),
        "targets": summary_review.targets(summary),
        "target": request.POST.get("target") or summary_review.default_target(summary),
        "picked": set(request.POST.getlist("pick")),
        "based_on": based_on,
        "error": error,
        "page_url": page,
    }
    return render(request, "reporting/summary_compile.html", context, status=status)


def routes() -> list[tuple[str, str, object]]:
    """(route, name, view), mounted beside the summary pages by summary_views.mounted()."""
    centre = "centres/<slug:centre_slug>/summaries/<int:pk>/"
    authority = "authorities/<slug:authority_slug>/summaries/"
    return [
        (centre + "submit/", "centre-summary-submit", centre_view(SUBMIT_FILINGS)(summary_submit)),
        (centre + "return/", "centre-summary-return", centre_view(REVIEW_FILINGS)(summary_return)),
        (centre + "accept/", "centre-summary-accept", centre_view(REVIEW_FILINGS)(summary_accept)),
        (centre + "reopen/", "centre-summary-reopen", centre_view(REVIEW_FILINGS)(summary_reopen)),
        (centre + "changes/", "centre-summary-changes", centre_view(VIEW_CENTRE)(summary_changes)),
        (
            authority + "received/",
            "authority-summary-inbox",
            authority_view(VIEW_AUTHORITY)(summary_inbox),
        ),
        (
            authority + "<int:pk>/compile/",
            "authority-summary-compile",
            authority_view(REVIEW_FILINGS)(summary_compile),
        ),
    ]
