"""The reviewer's dashboard for an authority and a period, and its XLSX export."""

from __future__ import annotations

import io
import json

from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from centers.access import AuthorityRequest, authority_view
from centers.models import Centre
from centers.permissions import VIEW_AUTHORITY
from core.downloads import XLSX, attachment, download_name
from core.spreadsheet import text_row
from services import figures

from . import assessment, dashboard, selectors
from .forms import DashboardForm
from .models import AnnualFiling

PAGE_ROWS = 50  # centres per page: a city of 1,000 centres stays a page of ~60 KB

HEADERS = [
    "排名",
    "中心",
    "举办单位",
    "门急诊人次",
    "上年同期",
    "同比(%)",
    "全人群签约率(%)",
    "65岁以上老年人体检率(%)",
    "高血压患者规范管理率(%)",
    "2型糖尿病患者规范管理率(%)",
    "报送完整率(%)",
    "年报状态",
    "综合得分",
]


def _load(request: AuthorityRequest):
    form = DashboardForm(request.GET or None)

    def opening() -> int:  # no year chosen: the latest year the subtree has tallies for
        centres = Centre.objects.filter(sponsor_id__in=request.authority_subtree)
        return figures.opening_year(centre_ids=list(centres.values_list("pk", flat=True)))

    period = form.period(opening)
    form.initial = {"year": period.first.year, "part": "year"}
    data = form.cleaned_data if form.is_valid() else {}
    sort = data.get("sort") or "-score"
    catalogue = figures.catalogue()
    scheme = selectors.default_scheme(
        authority_id=request.authority.pk, tree=request.authority_tree
    )
    items = selectors.scheme_specs(scheme) if scheme else assessment.DEFAULT_ITEMS
    own = tuple(figures.commission_codes(request.authority.pk, period))
    rows, districts = dashboard.dashboard_tables(
        own_codes=own,
        authority_ids=request.authority_subtree,
        period=period,
        sort=sort,
        authority=request.authority,
        tree=request.authority_tree,
        catalogue=catalogue,
        items=items,
    )
    name = scheme.name if scheme else assessment.DEFAULT_NAME
    formula = _("Combined score (scheme “%(name)s”): %(items)s") % {
        "name": name,
        "items": assessment.describe(items, assessment.names(catalogue)),
    }
    return form, period, sort, data, rows, districts, catalogue, formula


def _trend_choices(request: AuthorityRequest, period, catalogue) -> list[tuple[str, str]]:
    applying = figures.applying_codes(request.authority.pk, period)
    return [(c, n) for c, n in dashboard.trend_choices(catalogue) if c in applying]


@authority_view(VIEW_AUTHORITY)
@require_GET
def dashboard_page(request: AuthorityRequest) -> HttpResponse:
    """Every centre with its key indicators, sortable, ranked by a stated score; the monthly
    trend follows as its own fragment (dashboard_trend), so the table comes first."""
    form, period, sort, data, rows, districts, catalogue, formula = _load(request)
    choices = _trend_choices(request, period, catalogue)
    trend_code = data.get("trend") if data.get("trend") in dict(choices) else "opd_visits"
    query = request.GET.copy()
    query.pop("page", None)
    pager_query = query.urlencode()  # pages keep the sort order
    query.pop("sort", None)
    page = Paginator(rows, PAGE_ROWS).get_page(request.GET.get("page"))
    period_query = query.copy()
    period_query.pop("trend", None)
    shown = QueryDict(mutable=True)  # the trend of the period as shown (a bad one fell back)
    shown.update({"year": period.first.year, "part": data.get("part") or "year"})
    trend_url = reverse("reporting:dashboard-trend", args=[request.authority.slug])
    context = {
        "rows": page.object_list,
        "query": pager_query,
        "period_query": period_query.urlencode(),
        "rate_codes": dashboard.RATE_CODES,
        "page": page,
        "districts": districts,
        "period": period,
        "sort": sort,
        "base_query": query.urlencode(),
        "formula": formula,
        "columns": dashboard.columns(rows, catalogue),
        "trend_url": f"{trend_url}?{shown.urlencode()}",
        "trend_code": trend_code,
        "trend_choices": choices,
        "statuses": dict(AnnualFiling.Status.choices),
        "form": form,
    }
    template = "reporting/dashboard.html"
    if request.htmx and not request.htmx.boosted:  # the pager swaps the centres' table only
        template += "#centre-table"
    return render(request, template, context)


@authority_view(VIEW_AUTHORITY)
@require_GET
def dashboard_trend(request: AuthorityRequest) -> HttpResponse:
    """One indicator's monthly totals over the subtree, this year against the year before: the
    dashboard's chart, loaded after its table and again when another indicator is picked."""
    form = DashboardForm(request.GET or None)
    period = form.period(lambda: timezone.localdate().year)
    data = form.cleaned_data if form.is_valid() else {}
    choices = _trend_choices(request, period, figures.catalogue())
    code = data.get("trend") if data.get("trend") in dict(choices) else "opd_visits"
    centres = Centre.objects.filter(sponsor_id__any_of=list(request.authority_subtree))
    trend = dashboard.monthly_trend(
        centre_ids=list(centres.values_list("pk", flat=True)), code=code, year=period.last.year
    )
    trend["name"] = dict(choices).get(code, "")
    context = {"trend": trend, "trend_json": json.dumps(trend, ensure_ascii=False)}
    return render(request, "reporting/dashboard.html#trend", context)


def _cell(value):
    return None if value is None else float(value)


@authority_view(VIEW_AUTHORITY)
@require_GET
def dashboard_export(request: AuthorityRequest) -> HttpResponse:
    """The same table as a spreadsheet, with the score's formula beneath it."""
    from openpyxl import Workbook

    _form, period, _sort, _data, rows, districts, _catalogue, formula = _load(request)
    statuses = dict(AnnualFiling.Status.choices)
    book = Workbook()
    sheet = book.active
    sheet.title = "综合排名"
    sheet.append(
        text_row(sheet, [f"{request.authority.name} {period.label} 社区卫生服务中心关键指标"])
    )
    sheet.append(text_row(sheet, HEADERS))
    for r in rows:
        sheet.append(
            text_row(
                sheet,
                [
                    r.rank,
                    r.centre.name,
                    r.centre.sponsor.name,
                    _cell(r.opd),
                    _cell(r.opd_previous),
                    _cell(r.opd_growth),
                    *(_cell(r.rates.get(code)) for code in dashboard.RATE_CODES),
                    _cell(r.completeness),
                    str(statuses.get(r.filing_status, _("not started"))),
                    _cell(r.score),
                ],
            )
        )
    sheet.append([])
    sheet.append(text_row(sheet, [formula]))
    sheet.column_dimensions["B"].width = 28
    if districts:
        _district_sheet(book.create_sheet("分区汇总"), request.authority, period, districts)
    out = io.BytesIO()
    book.save(out)
    name = download_name(request.authority.name, f"{period.label}关键指标", ext="xlsx")
    return attachment(out.getvalue(), content_type=XLSX, filename=name)


DISTRICT_HEADERS = [
    "区县",
    "中心数",
    "门急诊人次",
    "上年同期",
    "同比(%)",
    *HEADERS[6:10],
    "报送完整率(%)",
    "年报已审核",
    "平均综合得分",
]


def _district_sheet(sheet, authority, period, districts) -> None:
    """The dashboard's table by district: each district's centres added up, their mean score."""
    sheet.append(text_row(sheet, [f"{authority.name} {period.label} 分区汇总"]))
    sheet.append(text_row(sheet, DISTRICT_HEADERS))
    for d in districts:
        name = "直属中心" if d.own else d.authority.name
        sheet.append(
            text_row(
                sheet,
                [
                    name,
                    d.centres,
                    _cell(d.opd),
                    _cell(d.opd_previous),
                    _cell(d.opd_growth),
                    *(_cell(value) for _code, value in d.rate_list),
                    _cell(d.completeness),
                    d.approved,
                    _cell(d.mean_score),
                ],
            )
        )
    sheet.column_dimensions["A"].width = 28
