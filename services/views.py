"""Tally pages: the monthly entry grid (one cell saved at a time), completeness, locks, figures."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centers import selectors as centre_selectors
from centers.access import AuthorityRequest, CentreRequest, authority_view, centre_view
from centers.permissions import EDIT_RECORDS, REVIEW_FILINGS, VIEW_AUTHORITY, VIEW_CENTRE
from core import imports
from core.downloads import XLSX, attachment, download_name
from core.errors import DomainError
from core.history import HistoryRow
from core.models import ImportJob
from core.periods import add_months
from core.stale import StaleEdit
from core.text import strip_control_chars

from . import actions, excel, selectors
from . import figures as door
from .definitions import applies, centre_path
from .forms import FiguresForm, LockExceptionForm, TallyImportForm
from .locking import LockContext, lock_state, locked_spans, year_lock_state
from .models import Category, Indicator, LockException
from .open_month_views import warn_still_locked

GRID = "services/tally_grid.html"


def _category(value: str) -> str:
    if value not in Category.values:
        raise Http404("no such category")
    return value


def _year(value: int) -> int:
    if not 2000 <= value <= 2100:
        raise Http404("no such year")
    return value


@centre_view(VIEW_CENTRE)
@require_GET
def tally_home(request: CentreRequest) -> HttpResponse:
    """The grid of the year whose month is due now (the month just ended: where a clerk's work
    is, even before anything of it is typed), first category."""
    year = add_months(timezone.localdate().replace(day=1), -1).year
    return redirect("services:tally-grid", request.centre.slug, year, Category.RECORDS)


@centre_view(VIEW_CENTRE)
@require_GET
def tally_grid(request: CentreRequest, year: int, category: str) -> HttpResponse:
    """Indicators × months for one category, each cell saved on its own."""
    grid = selectors.tally_grid(
        centre=request.centre, year=_year(year), category=_category(category)
    )
    context = {
        "grid": grid,
        "categories": Category.choices,
        "category_label": Category(category).label,
        "can_edit": request.access.can(EDIT_RECORDS),
        # Why months are locked, in words above the grid (the header's 🔒 only in a tooltip).
        "locked": locked_spans([(c.month, c.lock) for c in grid.months], timezone.localdate()),
    }
    if request.htmx and request.GET.get("part") == "warnings":  # refreshed after each save
        return render(request, GRID + "#open-warnings", context)
    return render(request, GRID, context)


def _cell_request(request: CentreRequest) -> tuple[Indicator, dt.date]:
    """The indicator and period named by a request; anything odd is a 404, never a 500."""
    params = request.POST if request.method == "POST" else request.GET
    code = params.get("indicator", "")
    if "\x00" in code or len(code) > 64:  # no code is like that; PostgreSQL refuses a NUL
        raise Http404("no such cell")
    indicator = selectors.cell_catalogue().indicators.get(code)
    try:
        period = dt.date.fromisoformat(params.get("period", ""))
    except ValueError:
        period = None
    if indicator is None or period is None or period.day != 1 or not 2000 <= period.year <= 2100:
        raise Http404("no such cell")
    if indicator.frequency == Indicator.Frequency.YEARLY and period.month != 1:
        raise Http404("no such cell")
    yearly = indicator.frequency == Indicator.Frequency.YEARLY
    last = period.replace(month=12) if yearly else period
    if not applies(indicator, centre_path(request.centre), period, last):
        raise Http404("no such cell")  # another commission's, or not in force then
    return indicator, period


def _cell_context(
    request: CentreRequest, indicator: Indicator, period: dt.date, result=None, conflict=None
) -> dict:
    # A save hands over the year and locks it checked (the year with its write applied).
    loaded = getattr(result, "loaded", None) or selectors.load_year(
        centre=request.centre, year=period.year
    )
    values, comments, rules = loaded
    ctx = getattr(result, "locks", None) or LockContext.load(request.centre, timezone.localdate())
    yearly = indicator.frequency == Indicator.Frequency.YEARLY
    lock = year_lock_state(period.year, ctx) if yearly else lock_state(period, ctx)
    cell = selectors.Cell(
        indicator=indicator,
        period=period,
        value=values.by_cell.get((indicator.pk, period)),
        comment=comments.get((indicator.pk, period), ""),
        lock=lock,
        warnings=selectors.cell_warnings(indicator, period, values, rules),
    )
    # A yearly denominator weighs on every month of its year; a monthly value on its own month.
    months = [period.replace(month=m) for m in range(1, 13)] if yearly else [period]
    # Only the rates on this cell's page (its category): htmx logs an error for an out-of-band
    # fragment with no target, and a rate of another category is drawn when its page loads.
    # A save has read them already.
    affected = getattr(result, "rates", None)
    if affected is None:
        affected = [
            r
            for r in selectors.category_rates(request.centre, indicator.category, period, period)
            if indicator.pk in (r.numerator_id, r.denominator_id)
        ]
    rates = [
        (rate, month, selectors._month_rate(rate, month, values))
        for rate in affected
        for month in months
    ]
    return {
        "cell": cell,
        "error": result.error if result else "",
        "typed": request.POST.get("value", "") if conflict or (result and result.error) else None,
        "saved": bool(result and not result.error),
        "conflict": conflict,  # someone saved the cell since it was shown (core.stale)
        "rates": rates,
        "can_edit": request.access.can(EDIT_RECORDS),
    }


@centre_view(EDIT_RECORDS)
@require_POST
def tally_cell(request: CentreRequest) -> HttpResponse:
    """Save one cell; answer with the cell (saved, warning or error) and its month's rates."""
    indicator, period = _cell_request(request)
    base = request.POST.get("base")  # the value the grid showed; none is stale, as a lost stamp
    try:
        result = actions.tally_save(
            centre=request.centre,
            indicator=indicator,
            period=period,
            raw=request.POST.get("value", ""),
            actor=request.user,
            base=actions.UNSEEN if base is None else base[:40],
        )
    except StaleEdit as exc:  # their value and yours, side by side in the cell
        context = _cell_context(request, indicator, period, conflict=exc)
    else:
        context = _cell_context(request, indicator, period, result)
    response = render(request, "services/partials/cell_saved.html", context)
    response["HX-Trigger"] = "tally-changed"
    return response


def _cell_history(request: CentreRequest, indicator, period) -> list[HistoryRow]:
    """The cell's 50 newest audit entries in words, with its month's reporting and approval
    steps, through the centre's one history selector."""
    return centre_selectors.centre_history(
        centre=request.centre,
        target_type="services.tallyvalue",
        target_id=f"{indicator.code}@{period:%Y-%m}",
        also=("services.monthreport", f"{period:%Y-%m}"),
    )


@centre_view(VIEW_CENTRE)
@require_GET
def tally_cell_detail(request: CentreRequest) -> HttpResponse:
    """A cell's warnings, comment and history."""
    indicator, period = _cell_request(request)
    context = _cell_context(request, indicator, period)
    context["history"] = _cell_history(request, indicator, period)
    return render(request, "services/partials/cell_detail.html", context)


@centre_view(EDIT_RECORDS)
@require_POST
def tally_cell_comment(request: CentreRequest) -> HttpResponse:
    """Save the explanation of a value."""
    indicator, period = _cell_request(request)
    comment = strip_control_chars(request.POST.get("comment", "")).strip()
    conflict = refused = None
    try:
        actions.tally_comment(
            centre=request.centre,
            indicator=indicator,
            period=period,
            comment=comment,
            actor=request.user,
            # The explanation the panel showed; a request without it is stale, never an overwrite.
            base=request.POST.get("base", actions.UNSEEN),
        )
    except StaleEdit as exc:
        conflict = exc
    except DomainError as exc:  # too long, locked: the panel keeps what was typed
        messages.error(request, str(exc))
        refused = exc
    else:
        messages.success(request, _("The explanation is saved."))
    if not request.htmx:
        if conflict is not None:
            messages.error(request, str(conflict))
        return redirect("services:tally-grid", request.centre.slug, period.year, indicator.category)
    context = _cell_context(request, indicator, period)
    context.update(comment_conflict=conflict, comment_refused=refused, typed_comment=comment)
    context["history"] = _cell_history(request, indicator, period)
    context["oob_cell"] = True  # the cell's mark turns from ! to ✓
    response = render(request, "services/partials/cell_detail.html", context)
    response["HX-Trigger"] = "tally-changed"
    return response


@centre_view(EDIT_RECORDS)
@require_POST
def month_submit(request: CentreRequest, year: int, month: int) -> HttpResponse:
    """Mark a month 已报送, unless a warning of that month is unexplained; empty categories are
    listed for the person to confirm first."""
    if not 1 <= month <= 12:
        raise Http404("no such month")
    category = request.POST.get("category", Category.RECORDS)
    if category not in Category.values:
        category = Category.RECORDS
    confirmed = request.POST.getlist("empty_confirmed")  # the codes the confirmation listed
    try:
        actions.month_submit(
            centre=request.centre,
            month=dt.date(_year(year), month, 1),
            actor=request.user,
            empty_confirmed=confirmed,
        )
    except actions.EmptyCategories as exc:  # asked before anything is marked, again if it changed
        context = {
            "year": year,
            "month": month,
            "empty": exc.labels,
            "codes": exc.categories,
            "changed": bool(confirmed),
            "category": category,
        }
        return render(request, "services/month_submit_confirm.html", context)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("%(year)s-%(month)02d is marked complete.") % {"year": year, "month": month}
        )
    return redirect("services:tally-grid", request.centre.slug, year, category)


def _lock_exceptions_page(request: CentreRequest, form) -> HttpResponse:
    """The reopened periods, the grant form and the centre's requests to open months."""
    context = {
        "exceptions": LockException.objects.filter(centre=request.centre).select_related(
            "granted_by"
        ),
        "form": form,
        "today": timezone.localdate(),
        "withheld_reason": request.access.withheld_reason,
        "open_requests": selectors.centre_open_month_requests(centre=request.centre),
        "can_ask": request.access.can(EDIT_RECORDS),
    }
    return render(request, "services/lock_exceptions.html", context)


@centre_view(VIEW_CENTRE)
@require_GET
def lock_exceptions(request: CentreRequest) -> HttpResponse:
    """Reopened periods of the centre; reviewers grant new ones here."""
    can_grant = request.access.can(REVIEW_FILINGS)
    return _lock_exceptions_page(request, LockExceptionForm() if can_grant else None)


@centre_view(REVIEW_FILINGS)
@require_POST
def lock_exception_grant(request: CentreRequest) -> HttpResponse:
    """A reviewer reopens months for late corrections."""
    form = LockExceptionForm(request.POST)
    if form.is_valid():
        try:
            actions.lock_exception_grant(
                centre=request.centre, actor=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The months are reopened."))
            data = form.cleaned_data
            warn_still_locked(request, request.centre, data["first_month"], data["last_month"])
            return redirect("services:lock-exceptions", request.centre.slug)
    return _lock_exceptions_page(request, form)


@authority_view(VIEW_AUTHORITY)
@require_GET
def completeness(request: AuthorityRequest, year: int) -> HttpResponse:
    """Per centre of the subtree and month: 已报, 逾期已报, 未报 or 待报, and beside a month
    marked 已报送 how many categories it left empty."""
    year = _year(year)
    centres = list(centre_selectors.centre_list(authority_ids=request.authority_subtree))
    empty = selectors.empty_categories_of_year(centre_ids=[c.pk for c in centres], year=year)
    rows = [
        (
            c,
            [
                (s, approval, empty[(c.pk, dt.date(year, m, 1))])
                for m, (s, approval) in enumerate(statuses, start=1)
            ],
        )
        for c, statuses in selectors.completeness(centres=centres, year=year)
    ]
    return render(
        request,
        "services/completeness.html",
        {"rows": rows, "year": year, "months": range(1, 13), "today": timezone.localdate()},
    )


def _figures_page(request, centre_ids: list[int], title: str, owner: int) -> HttpResponse:
    """`owner`: the commission whose definitions the page shows (a centre's sponsor)."""
    form = FiguresForm(request.GET or None)
    period = form.period(lambda: door.opening_year(centre_ids=centre_ids))
    approved_only = bool(form.is_valid() and form.cleaned_data.get("approved"))
    figures = door.totals(
        centre_ids=centre_ids, period=period, owner=owner, approved_only=approved_only
    )
    activities = door.activities(centre_ids=centre_ids, period=period)
    groups = []
    for value, label in Category.choices:
        counts = [f for f in figures.values() if not f.is_rate and f.category == value]
        rates = [f for f in figures.values() if f.is_rate and f.category == value]
        if counts or rates:
            groups.append((label, counts, rates))
    context = {
        "form": form,
        "period": period,
        "groups": groups,
        "activities": activities,
        "title": title,
        # Targets count every month entered: not shown beside approved-only figures.
        "targets": [] if approved_only else _target_rows(request, figures, period.last.year),
        "target_year": period.last.year,
        # (approved, begun) centre-months of the period and of the year before, when only
        # approved data are counted: 同比 compares them, so the page says how much each holds.
        "approved": (
            door.approved_count(centre_ids=centre_ids, period=period),
            door.approved_count(centre_ids=centre_ids, period=period.year_earlier()),
        )
        if approved_only
        else None,
    }
    return render(request, "services/figures.html", context)


def _target_rows(request, figures: dict, year: int) -> list:
    """A centre's targets of the period's year beside their progress (one page, one centre)."""
    centre = getattr(request, "centre", None)
    if centre is None:
        return []
    progress = door.target_progress(centre_ids=[centre.pk], year=year)
    return [(figures[code], p) for (_c, code), p in progress.items() if code in figures]


@centre_view(VIEW_CENTRE)
@require_GET
def centre_figures(request: CentreRequest) -> HttpResponse:
    """The centre's figures for a period, with the same period a year earlier and 同比."""
    centre = request.centre
    return _figures_page(request, [centre.pk], centre.name, centre.sponsor_id)


@authority_view(VIEW_AUTHORITY)
@require_GET
def authority_figures(request: AuthorityRequest) -> HttpResponse:
    """The same for every centre of an authority's subtree, added up in the database."""
    centres = centre_selectors.centre_list(authority_ids=request.authority_subtree)
    ids = list(centres.values_list("pk", flat=True))
    return _figures_page(request, ids, request.authority.name, request.authority.pk)


@centre_view(VIEW_CENTRE)
@require_GET
def tally_export(request: CentreRequest, year: int) -> HttpResponse:
    """A year of the centre's tallies as XLSX: indicators as rows, months as columns."""
    content = excel.write_year(request.centre, _year(year))
    name = download_name(
        request.centre.name, _("%(year)s service tallies") % {"year": year}, ext="xlsx"
    )
    return attachment(content, content_type=XLSX, filename=name)


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def tally_import_upload(request: CentreRequest) -> HttpResponse:
    """Upload a year of tallies; it is checked in the background, the next page previews it."""
    form = TallyImportForm(request.POST or None, request.FILES or None)
    if job := imports.start_from_form(request, form, kind="tallies", params=("year",)):
        return redirect("services:tally-import-preview", request.centre.slug, job.pk)
    jobs = imports.recent_jobs(centre=request.centre, kind="tallies")
    context = {
        "form": form,
        "year": timezone.localdate().year,
        "jobs": jobs,
        "url_name": "services:tally-import-preview",
    }
    return render(request, "services/tally_import.html", context)


@centre_view(EDIT_RECORDS)
@require_GET
def tally_import_preview(request: CentreRequest, pk: int) -> HttpResponse:
    """The job: its progress, then every problem by row and column and every changed cell."""
    job = get_object_or_404(ImportJob, kind="tallies", centre=request.centre, pk=pk)
    if (poll := imports.job_poll(request, job)) is not None:
        return poll
    context = {"job": job, "changes": excel.planned_changes(job), "same": job.plan.get("same", 0)}
    return render(request, "services/tally_import_preview.html", context)


@centre_view(EDIT_RECORDS)
@require_POST
def tally_import_confirm(request: CentreRequest, pk: int) -> HttpResponse:
    """Save the previewed cells in the background, all or none."""
    job = get_object_or_404(ImportJob, kind="tallies", centre=request.centre, pk=pk)
    try:
        imports.import_confirm(job=job, actor=request.user)
    except imports.Refused as exc:
        messages.error(request, _("Nothing was imported: %(why)s") % {"why": exc})
    return redirect("services:tally-import-preview", request.centre.slug, pk)
