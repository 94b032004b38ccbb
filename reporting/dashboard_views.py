"""The reviewer's dashboard for an authority and a period, and its XLSX export."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from centers.access import AuthorityRequest, authority_view
from centers.permissions import VIEW_AUTHORITY
from core.spreadsheet import text_row

from . import dashboard
from .forms import DashboardForm
from .models import AnnualFiling

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
    form = DashboardForm(request.GET)
    period = form.period()
    data = form.cleaned_data if form.is_valid() else {}
    sort = data.get("sort") or "-score"
    rows = dashboard.dashboard_rows(
        authority_ids=request.authority_subtree, period=period, sort=sort
    )
    return form, period, sort, data, rows


@require_GET
@authority_view(VIEW_AUTHORITY)
def dashboard_page(request: AuthorityRequest) -> HttpResponse:
    """Every centre with its key indicators, sortable, ranked by a stated score; monthly trends."""
    form, period, sort, data, rows = _load(request)
    choices = dashboard.trend_choices()
    trend_code = data.get("trend") or "opd_visits"
    if trend_code not in dict(choices):
        trend_code = "opd_visits"
    trend = dashboard.monthly_trend(
        authority_ids=request.authority_subtree, code=trend_code, year=period.last.year
    )
    trend["name"] = dict(choices).get(trend_code, "")
    query = request.GET.copy()
    query.pop("sort", None)
    context = {
        "rows": rows,
        "period": period,
        "year": period.last.year,
        "part": data.get("part") or "year",
        "sort": sort,
        "base_query": query.urlencode(),
        "formula": dashboard.FORMULA,
        "columns": dashboard.COLUMNS,
        "trend": trend,
        "trend_code": trend_code,
        "trend_choices": choices,
        "statuses": dict(AnnualFiling.Status.choices),
        "form": form,
    }
    return render(request, "reporting/dashboard.html", context)


def _cell(value):
    return None if value is None else float(value)


@require_GET
@authority_view(VIEW_AUTHORITY)
def dashboard_export(request: AuthorityRequest) -> HttpResponse:
    """The same table as a spreadsheet, with the score's formula beneath it."""
    from openpyxl import Workbook

    _form, period, _sort, _data, rows = _load(request)
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
    sheet.append(text_row(sheet, [dashboard.FORMULA]))
    sheet.column_dimensions["B"].width = 28
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"{request.authority.name}{period.label}关键指标.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
