"""A commission's assessment schemes (绩效考核/赛马): the schemes and their items, each period's
ranking, its spreadsheet and its printable 季晾晒 sheet.

Reviewers of the commission and of those above read them; the commission's own configurers
(CONFIGURE_COMMISSION) change them and compute rankings; a scheme of another commission is a 404.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from centers.access import AuthorityRequest, authority_view
from centers.permissions import CONFIGURE_COMMISSION, VIEW_AUTHORITY
from core.downloads import XLSX, attachment, download_name
from core.periods import Period, add_months
from core.spreadsheet import text_row
from core.stale import StaleEdit, conflict_status
from services import figures

from . import actions, assessment, selectors
from .forms import RankingPeriodForm, SchemeForm, SchemeItemForm, measure_choices
from .models import Scheme, SchemeItem

SIZES = {Scheme.PeriodKind.QUARTER: 3, Scheme.PeriodKind.HALF: 6, Scheme.PeriodKind.YEAR: 12}


def _scheme(request: AuthorityRequest, pk: int) -> Scheme:
    """Only the commission's own schemes are reached under it."""
    return get_object_or_404(Scheme, pk=pk, authority=request.authority)


def _go(request: AuthorityRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _effective_default(request: AuthorityRequest):
    """(the scheme giving the dashboard's score or None for the built-in, its items)."""
    scheme = selectors.default_scheme(
        authority_id=request.authority.pk, tree=request.authority_tree
    )
    specs = selectors.scheme_specs(scheme) if scheme else assessment.DEFAULT_ITEMS
    return scheme, specs


@authority_view(VIEW_AUTHORITY)
@require_GET
def scheme_list(request: AuthorityRequest) -> HttpResponse:
    """The commission's schemes, and which one gives the dashboard's 综合得分."""
    default, specs = _effective_default(request)
    known = assessment.names(figures.catalogue())
    context = {
        "schemes": selectors.scheme_list(authority=request.authority),
        "default": default,
        "default_text": assessment.describe(specs, known),
        "can_edit": request.access.can(CONFIGURE_COMMISSION),
    }
    return render(request, "reporting/scheme_list.html", context)


def _form_page(
    request: AuthorityRequest,
    form,
    save: Callable[[], Scheme],
    *,
    done: str,
    page: str,
    partial: str,
    context: dict,
) -> HttpResponse:
    """Save a valid posted form (`save` returns its scheme) and go to the scheme, or show the
    form again: a stale save is refused (core.stale) keeping what was typed, as a 409."""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            scheme = save()
        except StaleEdit as exc:
            form.refuse(exc)
            status = conflict_status(request)
        else:
            messages.success(request, done)
            return _go(
                request, reverse("reporting:scheme", args=[request.authority.slug, scheme.pk])
            )
    template = f"reporting/{page}.html#{partial}" if request.htmx else f"reporting/{page}.html"
    return render(request, template, context | {"form": form}, status=status)


def _scheme_form_page(request: AuthorityRequest, scheme: Scheme | None) -> HttpResponse:
    form = SchemeForm(request.POST or None, instance=scheme, authority=request.authority)

    def save() -> Scheme:
        start = ()
        if form.cleaned_data.get("start_from_default"):
            start = _effective_default(request)[1]
        return actions.scheme_save(
            authority=request.authority,
            data=form.values(),
            actor=request.user,
            scheme=scheme,
            start_from=start,
            based_on=form.cleaned_data["based_on"],
        )

    done = _("The scheme was saved.")
    return _form_page(
        request,
        form,
        save,
        done=done,
        page="scheme_form",
        partial="scheme-form",
        context={"scheme": scheme},
    )


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def scheme_create(request: AuthorityRequest) -> HttpResponse:
    """A new scheme (its items are added on its page)."""
    return _scheme_form_page(request, None)


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def scheme_edit(request: AuthorityRequest, pk: int) -> HttpResponse:
    """A scheme's name, period and marks."""
    return _scheme_form_page(request, _scheme(request, pk))


@authority_view(VIEW_AUTHORITY)
@require_GET
def scheme_detail(request: AuthorityRequest, pk: int) -> HttpResponse:
    """A scheme's items with their rules, and the periods it has rankings for."""
    scheme = _scheme(request, pk)
    known = assessment.names(figures.catalogue())
    items = [
        (item, spec, assessment.item_label(spec, known), assessment.rule_text(spec))
        for item, spec in zip(scheme.items.all(), selectors.scheme_specs(scheme), strict=True)
    ]
    context = {
        "scheme": scheme,
        "items": items,
        "total": sum((spec.weight for _i, spec, _l, _r in items), assessment.ZERO),
        "rankings": selectors.scheme_rankings(scheme=scheme),
        "can_edit": request.access.can(CONFIGURE_COMMISSION),
    }
    return render(request, "reporting/scheme_detail.html", context)


def _offered(scheme: Scheme, item: SchemeItem | None, catalogue: tuple) -> list:
    """The indicators and rates that apply to the scheme's commission from last year to next
    (never another district's own), and the item's present one."""
    year = timezone.localdate().year
    span = Period.range(dt.date(year - 1, 1, 1), dt.date(year + 1, 12, 1))
    codes = set(figures.applying_codes(scheme.authority_id, span))
    if item is not None:
        codes.add(item.code)
    return measure_choices(catalogue, codes)


def _item_form_page(request: AuthorityRequest, scheme: Scheme, item: SchemeItem | None):
    catalogue = figures.catalogue()
    form = SchemeItemForm(
        request.POST or None,
        offered=_offered(scheme, item, catalogue),
        indicators={i.code for i in catalogue[0]},
        scheme=scheme,
        item=item,
    )

    def save() -> Scheme:
        actions.scheme_item_save(
            scheme=scheme,
            data=form.item_data(),
            actor=request.user,
            item=item,
            based_on=form.cleaned_data["based_on"],
            shown=SchemeItemForm.stored,
        )
        return scheme

    context = {"scheme": scheme, "item": item}
    done = _("The item was saved.")
    return _form_page(
        request,
        form,
        save,
        done=done,
        page="scheme_item_form",
        partial="item-form",
        context=context,
    )


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def scheme_item_create(request: AuthorityRequest, pk: int) -> HttpResponse:
    """Add an indicator or rate to a scheme, with its weight and rule."""
    return _item_form_page(request, _scheme(request, pk), None)


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def scheme_item_edit(request: AuthorityRequest, pk: int, item_pk: int) -> HttpResponse:
    """Change an item's measure, weight or rule."""
    scheme = _scheme(request, pk)
    item = get_object_or_404(SchemeItem, scheme=scheme, pk=item_pk)
    return _item_form_page(request, scheme, item)


@authority_view(CONFIGURE_COMMISSION)
@require_POST
def scheme_item_delete(request: AuthorityRequest, pk: int, item_pk: int) -> HttpResponse:
    """Take an item out of the scheme (kept rankings keep their breakdown)."""
    scheme = _scheme(request, pk)
    actions.scheme_item_delete(
        item=get_object_or_404(SchemeItem, scheme=scheme, pk=item_pk), actor=request.user
    )
    messages.success(request, _("The item was removed."))
    return _go(request, reverse("reporting:scheme", args=[request.authority.slug, scheme.pk]))


# --- rankings -----------------------------------------------------------------------------


def latest_ended(kind: str, today: dt.date) -> dict:
    """The period form's data for the latest period of this kind that has wholly ended."""
    last = add_months(today.replace(day=1), -1)
    if kind == Scheme.PeriodKind.MONTH:
        return {"year": last.year, "part": "month", "month": last.month}
    size = SIZES[kind]
    year, index = last.year, last.month // size
    if index == 0:
        year, index = year - 1, 12 // size
    part = {3: f"q{index}", 6: f"h{index}", 12: "year"}[size]
    return {"year": year, "part": part}


def _period(request: AuthorityRequest, scheme: Scheme, data=None) -> tuple:
    """(form, period) from the query (or posted data), else the latest ended period."""
    today = timezone.localdate()
    data = data if data is not None else request.GET
    if "year" not in data:
        data = latest_ended(scheme.period_kind, today)
    form = RankingPeriodForm(data, parts=RankingPeriodForm.PARTS[scheme.period_kind])
    return form, form.period(today.year)


def _period_query(period: Period, form: RankingPeriodForm) -> str:
    data = form.cleaned_data if form.is_valid() else {}
    keys = {"year": period.last.year, "part": data.get("part") or form.parts[0]}
    if data.get("month"):
        keys["month"] = data["month"]
    return urlencode(keys)


def _ranking(request: AuthorityRequest, pk: int):
    """The scheme, the period form and period, and the kept ranking or one computed now."""
    scheme = _scheme(request, pk)
    form, period = _period(request, scheme)
    ranking, rows = selectors.ranking_stored(scheme=scheme, period=period)
    if ranking is not None:
        columns = ranking.items
    else:
        columns, rows = selectors.ranking_live(
            scheme=scheme, authority_ids=request.authority_subtree, period=period
        )
    columns = selectors.ranking_columns(scheme=scheme, columns=columns)
    return scheme, form, period, ranking, columns, rows


@authority_view(VIEW_AUTHORITY)
@require_GET
def ranking_page(request: AuthorityRequest, pk: int) -> HttpResponse:
    """A period's ranking: the kept one, or computed now (and not kept) when there is none."""
    scheme, form, period, ranking, columns, rows = _ranking(request, pk)
    context = {
        "scheme": scheme,
        "form": form,
        "period": period,
        "ranking": ranking,
        "columns": columns,
        "rows": rows,
        "period_query": _period_query(period, form),
        "can_edit": request.access.can(CONFIGURE_COMMISSION),
    }
    return render(request, "reporting/scheme_ranking.html", context)


@authority_view(CONFIGURE_COMMISSION)
@require_POST
def ranking_compute(request: AuthorityRequest, pk: int) -> HttpResponse:
    """Compute the period's ranking now and keep it (replacing that period's earlier one)."""
    scheme = _scheme(request, pk)
    form, period = _period(request, scheme, request.POST)
    actions.ranking_compute(
        scheme=scheme, authority_ids=request.authority_subtree, period=period, actor=request.user
    )
    done = _("The ranking of %(period)s was computed.") % {"period": period.label}
    messages.success(request, done)
    url = reverse("reporting:scheme-ranking", args=[request.authority.slug, scheme.pk])
    return _go(request, f"{url}?{_period_query(period, form)}")


def _headers(columns: list[dict]) -> list[str]:
    heads = [_("Rank"), _("Centre"), _("Total score")]
    for c in columns:
        heads += [c["label"], _("%(label)s points (%(marks)s)") % c]
    return heads


def _suffixes(columns: list[dict]) -> list[str]:
    """Per column, what its values are in: a rate's %, ‰ or 元, a growth's or 报送完整率's %;
    "" for counts."""
    rates = {r.code: r.suffix for r in figures.catalogue()[1]}
    out = []
    for c in columns:
        code, _sep, measure = c["key"].partition(":")
        if measure == assessment.GROWTH or code in assessment.DERIVED:
            out.append("%")
        else:
            out.append(rates.get(code, ""))
    return out


def _shape(sheet, heads: list[str], suffixes: list[str]) -> None:
    """Widths to read the headings by (a Chinese character is about two columns wide), and each
    value column's unit shown on its numbers (the cell keeps the number: 32.5 shows 32.50%)."""
    from openpyxl.utils import get_column_letter

    for n, head in enumerate(heads, 1):
        width = 28 if n == 2 else min(30, max(8, 2 * len(head) + 2))
        sheet.column_dimensions[get_column_letter(n)].width = width
    for n, suffix in enumerate(suffixes):
        if not suffix:
            continue
        shape = f'0.00"{suffix}"'
        for (cell,) in sheet.iter_rows(min_row=3, min_col=4 + 2 * n, max_col=4 + 2 * n):
            if isinstance(cell.value, float):
                cell.number_format = shape


@authority_view(VIEW_AUTHORITY)
@require_GET
def ranking_export(request: AuthorityRequest, pk: int) -> HttpResponse:
    """The ranking as a spreadsheet: rank, centre, score, then each item's value and points."""
    from openpyxl import Workbook

    scheme, _form, period, ranking, columns, rows = _ranking(request, pk)
    book = Workbook()
    sheet = book.active
    sheet.title = "排名"
    title = f"{request.authority.name} {scheme.name} {period.label}"
    sheet.append(text_row(sheet, [title]))
    heads = _headers(columns)
    sheet.append(text_row(sheet, heads))
    for r in rows:
        cells = [r.rank, r.centre.name, float(r.score)]
        for value, got, _completion in r.cells:
            cells += [None if value is None else float(value), float(got)]
        sheet.append(text_row(sheet, cells))
    sheet.append([])
    for c in columns:
        sheet.append(text_row(sheet, [f"{c['label']}（{c['marks']}）：{c['rule']}"]))
    if ranking is None:
        sheet.append(text_row(sheet, [_("Computed when downloaded; not kept.")]))
    _shape(sheet, heads, _suffixes(columns))
    out = io.BytesIO()
    book.save(out)
    name = download_name(request.authority.name, scheme.name, period.label, ext="xlsx")
    return attachment(out.getvalue(), content_type=XLSX, filename=name)


@authority_view(VIEW_AUTHORITY)
@require_GET
def ranking_print(request: AuthorityRequest, pk: int) -> HttpResponse:
    """The 季晾晒 sheet: the ranking as a printable table, one A4 landscape page per ~30 centres."""
    scheme, _form, period, ranking, columns, rows = _ranking(request, pk)
    context = {
        "scheme": scheme,
        "period": period,
        "ranking": ranking,
        "columns": columns,
        "rows": rows,
        "back": reverse("reporting:scheme-ranking", args=[request.authority.slug, scheme.pk]),
    }
    return render(request, "reporting/scheme_ranking_print.html", context)
