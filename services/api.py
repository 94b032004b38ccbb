"""The API's tallies (/api/v1/): periods, a centre's catalogue and month states, its values read
back, the push (dataValueSets, through services.value_sets), the figures door's aggregates with
同比, and a commission's reporting completeness."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from centers.api import (
    AUTHORITY_SLUG,
    CENTRE_SLUG,
    authority_endpoint,
    centre_endpoint,
    query,
    subtree_centre_ids,
)
from centers.models import Authority, Centre
from centers.permissions import VIEW_AUTHORITY, VIEW_CENTRE
from core.api import (
    ApiError,
    ApiView,
    CsvParser,
    ErrorSerializer,
    JsonParser,
    Pagination,
    PeriodField,
    PeriodSerializer,
    describe_period,
)
from core.periods import Period

from . import figures as door
from .actions import _plain
from .definitions import applying, centre_path, versions_for
from .locking import LockContext, lock_state, year_lock_state
from .models import Category
from .selectors import cell_catalogue, reporting
from .value_sets import CentresRefused, Strategy, ValueRow, value_set_import, value_set_read

MAX_PUSH_ROWS = 200_000
MAX_CODES = 100  # codes in one filter: the catalogue has about a hundred indicators and rates
MONTH_STATUSES = ["reported", "late", "missing", "pending", ""]
IMPORT_STATUSES = ["SUCCESS", "WARNING", "ERROR"]


def _this_month() -> Period:
    today = timezone.localdate()
    return Period.month(today.year, today.month)


class CodeField(serializers.CharField):
    """An indicator's or a rate's code (a slug of at most 40 characters)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=40, **kwargs)
        self.validators.append(RegexValidator(r"^[-a-zA-Z0-9_]+$"))


class YearQuery(serializers.Serializer):
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("Default: this year."),
    )


# --- periods --------------------------------------------------------------------------------


class PeriodList(ApiView):
    operation_name = "period_list"

    @extend_schema(
        tags=["metadata"],
        summary=_("Periods of a year"),
        description=_(
            "Every month, quarter, half-year and the year itself, with the codes that name them "
            "in requests (period=…). Any range of whole months is written 2024-01/2024-05."
        ),
        parameters=[YearQuery],
        responses=PeriodSerializer(many=True),
    )
    def get(self, request):
        year = query(request, YearQuery).get("year") or timezone.localdate().year
        periods = [Period.month(year, m) for m in range(1, 13)]
        periods += [Period.quarter(year, q) for q in range(1, 5)]
        periods += [Period.half(year, 1), Period.half(year, 2), Period.year(year)]
        return Response([describe_period(p) for p in periods])


class MonthReportingSerializer(serializers.Serializer):
    period = serializers.CharField(help_text=_("The month, as 2024-04."))
    status = serializers.ChoiceField(
        choices=MONTH_STATUSES,
        help_text=_(
            "reported: marked complete by the due day; late: after it; missing: not marked "
            "and overdue; pending: not yet due; empty: before the centre reports or to come."
        ),
    )
    approval = serializers.ChoiceField(
        choices=["submitted", "approved", "confirmed", ""],
        help_text=_("Its review: marked complete, approved, confirmed; empty: not marked."),
    )
    due = serializers.DateField(help_text=_("The day it is due."))


class MonthStateSerializer(MonthReportingSerializer):
    locked = serializers.BooleanField()
    reason = serializers.CharField(help_text=_("Why it is locked; empty when open."))


class CentreYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    yearLocked = serializers.BooleanField(
        help_text=_("Whether yearly indicators of the year are closed.")
    )
    yearReason = serializers.CharField()
    months = MonthStateSerializer(many=True)


class CentrePeriods(ApiView):
    operation_name = "centre_periods"

    @extend_schema(
        tags=["work"],
        summary=_("A centre's months: open or locked, reported, approved"),
        description=_(
            "For each month of the year: whether values may still change (and why not, in the "
            "grid's words), whether it was marked complete on time, and its review."
        ),
        parameters=[CENTRE_SLUG, YearQuery],
        responses=CentreYearSerializer,
    )
    @centre_endpoint(VIEW_CENTRE)
    def get(self, request):
        centre, today = request.centre, timezone.localdate()
        year = query(request, YearQuery).get("year") or today.year
        months = [dt.date(year, m, 1) for m in range(1, 13)]
        ctx = LockContext.load(centre, today)
        state = reporting(centres=[(centre.pk, centre.owes_from)], months=months, today=today)
        rows = []
        for month in months:
            lock = lock_state(month, ctx)
            rows.append(
                {
                    "period": f"{month:%Y-%m}",
                    "locked": lock.locked,
                    "reason": lock.reason,
                    "status": state.status(centre.pk, month),
                    "approval": state.approval(centre.pk, month),
                    "due": door.tally_due_date(month),
                }
            )
        year_lock = year_lock_state(year, ctx)
        body = {
            "year": year,
            "yearLocked": year_lock.locked,
            "yearReason": year_lock.reason,
            "months": rows,
        }
        return Response(body)


# --- the catalogue ---------------------------------------------------------------------------


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.values)
    categoryName = serializers.CharField()
    unit = serializers.CharField()
    aggregation = serializers.ChoiceField(
        choices=["flow", "stock"],
        help_text=_("flow: added up over a period; stock: its value at the end."),
    )
    frequency = serializers.ChoiceField(choices=["monthly", "yearly"])
    wholeNumbers = serializers.BooleanField()
    maxValue = serializers.CharField(help_text=_("The largest plausible value."))
    activeFrom = serializers.DateField(allow_null=True)
    activeTo = serializers.DateField(allow_null=True)
    owner = serializers.SlugField(
        allow_null=True,
        help_text=_("The commission that defined it; null: the national catalogue."),
    )


class RateSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.values)
    numerator = serializers.CharField()
    denominator = serializers.CharField()
    unit = serializers.CharField(help_text=_("%, ‰ or 元 per visit."))


class CatalogueSerializer(serializers.Serializer):
    period = PeriodSerializer()
    indicators = IndicatorSerializer(many=True)
    rates = RateSerializer(many=True)


class PeriodQuery(serializers.Serializer):
    period = PeriodField(
        required=False,
        help_text=_("2024, 2024S1, 2024Q2, 2024-04 or 2024-01/2024-05."),
    )


def _owners() -> dict[int, str]:
    return dict(Authority.objects.values_list("pk", "slug"))


def _indicator_row(indicator, owners: dict[int, str]) -> dict:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "category": indicator.category,
        "categoryName": str(Category(indicator.category).label),
        "unit": indicator.unit,
        "aggregation": indicator.aggregation,
        "frequency": indicator.frequency,
        "wholeNumbers": indicator.whole_numbers,
        "maxValue": _plain(indicator.max_value),
        "activeFrom": indicator.active_from,
        "activeTo": indicator.active_to,
        "owner": owners.get(indicator.owner_id),
    }


class CentreIndicators(ApiView):
    operation_name = "centre_indicators"

    @extend_schema(
        tags=["metadata"],
        summary=_("The indicator catalogue in force for a centre"),
        description=_(
            "The indicators a centre reports in the period (the national ones and its "
            "commissions' own, each in force for some month of it) and the rates derived from "
            "them. Default period: this month."
        ),
        parameters=[CENTRE_SLUG, PeriodQuery],
        responses=CatalogueSerializer,
    )
    @centre_endpoint(VIEW_CENTRE)
    def get(self, request):
        period = query(request, PeriodQuery).get("period") or _this_month()
        catalogue, path = cell_catalogue(), centre_path(request.centre)
        indicators = applying(catalogue.indicators.values(), path, period.first, period.last)
        indicators.sort(key=lambda i: (i.category, i.position, i.code))
        rates = versions_for(
            applying(catalogue.rates, path, period.first, period.last), period.first, period.last
        )
        owners = _owners()
        body = {
            "period": describe_period(period),
            "indicators": [_indicator_row(i, owners) for i in indicators],
            "rates": [
                {
                    "code": r.code,
                    "name": r.name,
                    "category": r.category,
                    "numerator": r.numerator.code,
                    "denominator": r.denominator.code,
                    "unit": r.suffix,
                }
                for r in rates.values()
            ],
        }
        return Response(body)


# --- values ----------------------------------------------------------------------------------


class DataValueSerializer(serializers.Serializer):
    centre = serializers.CharField(
        help_text=_("The centre's slug, 统一社会信用代码 or name (alias: orgUnit).")
    )
    indicator = serializers.CharField(help_text=_("The indicator's code (alias: dataElement)."))
    period = serializers.CharField(
        help_text=_("2024-04 (or 202404) for a month; 2024 for a yearly indicator.")
    )
    value = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text=_("The value as the grid takes it (a number, as text or a number)."),
    )


class StoredValueSerializer(DataValueSerializer):
    comment = serializers.CharField(help_text=_("The explanation entered in the grid."))
    updatedAt = serializers.DateTimeField()


class ValuesQuery(PeriodQuery):
    period = PeriodField(help_text=_("2024, 2024S1, 2024Q2, 2024-04 or 2024-01/2024-05."))
    indicator = serializers.ListField(
        child=CodeField(),
        required=False,
        max_length=MAX_CODES,
        help_text=_("Only these indicator codes (repeat the parameter)."),
    )


class CentreValues(ApiView):
    pagination_class = Pagination
    operation_name = "centre_values"

    @extend_schema(
        tags=["data values"],
        summary=_("A centre's values for a period"),
        description=_(
            "Monthly indicators' values of the period's months and yearly indicators' values of "
            "its years, in the shape a push takes: pushing them back changes nothing."
        ),
        parameters=[CENTRE_SLUG, ValuesQuery],
        responses=StoredValueSerializer(many=True),
    )
    @centre_endpoint(VIEW_CENTRE)
    def get(self, request):
        params = query(request, ValuesQuery)
        rows = value_set_read(
            centre=request.centre, period=params["period"], codes=params.get("indicator")
        )
        slug = request.centre.slug
        data = [
            {
                "centre": slug,
                "indicator": r.indicator,
                "period": r.period,
                "value": _plain(r.value),
                "comment": r.comment,
                "updatedAt": timezone.localtime(r.updated_at),
            }
            for r in rows
        ]
        pages = self.pagination_class()
        page = pages.paginate_queryset(data, request, view=self)
        return pages.get_paginated_response(page)


class DataValueSetSerializer(serializers.Serializer):
    dataValues = DataValueSerializer(many=True)


class PushQuery(serializers.Serializer):
    dryRun = serializers.BooleanField(
        default=False,
        help_text=_("Check only and say what would change; write nothing."),
    )
    importStrategy = serializers.ChoiceField(
        choices=[s.value for s in Strategy],
        default=Strategy.CREATE_AND_UPDATE.value,
        help_text=_(
            "CREATE_AND_UPDATE (default); CREATE: cells with a value are left as they are; "
            "DELETE: the named cells are emptied."
        ),
    )
    atomic = serializers.BooleanField(
        default=True,
        help_text=_(
            "true (default): one conflict and nothing is written; false: the other rows are."
        ),
    )


class ConflictSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text=_("The row's position, from 1."))
    centre = serializers.CharField()
    indicator = serializers.CharField()
    period = serializers.CharField()
    code = serializers.CharField(
        help_text=_(
            "centre_unknown, centre_forbidden, indicator_unknown, indicator_not_in_force, "
            "period_invalid, value_missing, value_invalid, duplicate, locked or rule."
        )
    )
    reason = serializers.CharField(help_text=_("In the grid's words."))


class ChangeSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    centre = serializers.CharField()
    centreName = serializers.CharField()
    indicator = serializers.CharField()
    indicatorName = serializers.CharField()
    period = serializers.CharField()
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)
    action = serializers.ChoiceField(choices=["imported", "updated", "deleted"])


class ImportCountSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    updated = serializers.IntegerField()
    deleted = serializers.IntegerField()
    ignored = serializers.IntegerField(
        help_text=_("Rows that left their cell as it was, refused ones included.")
    )


class ImportSummarySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=IMPORT_STATUSES,
        help_text=_(
            "SUCCESS: no conflict; WARNING: partial push, some rows refused; ERROR: nothing "
            "written (an atomic push with conflicts, answered with 409)."
        ),
    )
    description = serializers.CharField()
    dryRun = serializers.BooleanField()
    importStrategy = serializers.ChoiceField(choices=[s.value for s in Strategy])
    atomic = serializers.BooleanField()
    importCount = ImportCountSerializer()
    conflicts = ConflictSerializer(many=True)
    changes = ChangeSerializer(
        many=True,
        required=False,
        help_text=_("Dry runs only: every cell that would change, old → new."),
    )


PUSH_EXAMPLE = {
    "dataValues": [
        {"centre": "ciqikou", "indicator": "opd_visits", "period": "2024-04", "value": "5241"},
        {"centre": "ciqikou", "indicator": "discharges", "period": "2024-04", "value": "35"},
    ]
}


def _text(value) -> str | None:
    """A cell of a row as text: strings, numbers; None for what is neither (or a bool)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _row(position: int, raw) -> tuple[ValueRow | None, dict]:
    """One row of a push as a ValueRow, or the problems of its fields (in Chinese)."""
    if not isinstance(raw, dict):
        return None, {
            "row": [gettext("Each row is an object with centre, indicator, period, value.")]
        }
    fields = {
        "centre": raw.get("centre", raw.get("orgUnit")),
        "indicator": raw.get("indicator", raw.get("dataElement")),
        "period": raw.get("period"),
    }
    errors = {}
    for name, value in fields.items():
        text = _text(value)
        if text is None or not text.strip():
            errors[name] = [gettext("This field is required, as text.")]
        fields[name] = text or ""
    value = raw.get("value")
    value_text = "" if value is None else _text(value)
    if value_text is None:
        errors["value"] = [gettext("A value is a number, as text or a number.")]
    if errors:
        return None, errors
    return ValueRow(value=value_text, line=position, **fields), {}


def _push_rows(data) -> list[ValueRow]:
    """The rows of a JSON ({"dataValues": [...]}) or CSV body; 400 naming every bad row."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"dataValues": [gettext('Send {"dataValues": [...]}.')]})
    raw_rows = data.get("csvRows", data.get("dataValues"))
    if not isinstance(raw_rows, list):
        raise serializers.ValidationError({"dataValues": [gettext('Send {"dataValues": [...]}.')]})
    if len(raw_rows) > MAX_PUSH_ROWS:
        raise ApiError(
            413,
            "too_large",
            gettext("At most %(n)s values per push.") % {"n": f"{MAX_PUSH_ROWS:,}"},
        )
    rows, problems = [], {}
    for position, raw in enumerate(raw_rows, start=1):
        row, errors = _row(position, raw)
        if errors:
            problems[str(position)] = errors
        else:
            rows.append(row)
        if len(problems) >= 100:  # enough to see what is wrong
            break
    if problems:
        raise serializers.ValidationError({"dataValues": problems})
    return rows


class DataValueSets(ApiView):
    operation_name = "data_value_sets"
    parser_classes = [JsonParser, CsvParser]

    @extend_schema(
        tags=["data values"],
        summary=_("Push values (dataValueSets)"),
        description=_(
            'A set of values for one centre or many, as JSON {"dataValues": [...]} or CSV '
            "with the columns centre,indicator,period,value. Every value goes through the "
            "grid's checks, locks (locked and approved months) and error rules, and is audited "
            "as a cell save; a value equal to the stored one is ignored, so pushing a set twice "
            "changes nothing. Answers the import summary; 409 when an atomic push has conflicts "
            "(nothing written), 404 or 403 when it names a centre out of reach or one where the "
            "user may not enter data."
        ),
        parameters=[PushQuery],
        request={"application/json": DataValueSetSerializer, "text/csv": OpenApiTypes.STR},
        responses={200: ImportSummarySerializer, 409: ErrorSerializer, 413: ErrorSerializer},
        examples=[OpenApiExample("一个月的两个数值", value=PUSH_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        size = request.META.get("CONTENT_LENGTH") or "0"
        if not size.isdigit() or int(size) > settings.CHC_API_MAX_PUSH_BYTES:
            raise ApiError(413, "too_large", gettext("The request body is too large."))
        # Read here, within CHC_API_MAX_PUSH_BYTES: REST framework reads `body`, which Django
        # caps at its form limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB; a city's month is ~5 MB).
        if not hasattr(request._request, "_body"):
            request._request._body = request._request.read(int(size))
        params = query(request, PushQuery)
        rows = _push_rows(request.data)
        try:
            summary = value_set_import(
                rows=rows,
                actor=request.user,
                strategy=Strategy(params["importStrategy"]),
                dry_run=params["dryRun"],
                atomic=params["atomic"],
                strict_centres=True,
            )
        except CentresRefused as exc:
            if exc.unknown:
                raise ApiError(404, "not_found", str(exc), {"centres": exc.unknown}) from exc
            raise ApiError(403, "permission_denied", str(exc), {"centres": exc.forbidden}) from exc
        body = summary.as_dict(changes=params["dryRun"])
        if summary.status == "ERROR":
            raise ApiError(409, "conflicts", summary.description, body)
        return Response(body)


# --- figures ---------------------------------------------------------------------------------


class FigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    isRate = serializers.BooleanField()
    unit = serializers.CharField()
    value = serializers.CharField(allow_null=True)
    previous = serializers.CharField(
        allow_null=True, help_text=_("The same period a year earlier.")
    )
    change = serializers.CharField(
        allow_null=True,
        help_text=_(
            "同比: growth in % for counts and amounts; the difference in points for rates."
        ),
    )
    changeUnit = serializers.ChoiceField(choices=["%", "百分点", "千分点"], allow_null=True)


class FiguresSerializer(serializers.Serializer):
    period = PeriodSerializer()
    previousPeriod = PeriodSerializer()
    centres = serializers.IntegerField(help_text=_("How many centres it adds up."))
    approvedOnly = serializers.BooleanField()
    figures = FigureSerializer(many=True)


class FiguresQuery(PeriodQuery):
    approvedOnly = serializers.BooleanField(
        default=False,
        help_text=_("Count only the months a commission approved (or confirmed)."),
    )
    indicator = serializers.ListField(
        child=CodeField(),
        required=False,
        max_length=MAX_CODES,
        help_text=_("Only these codes of indicators and rates (repeat the parameter)."),
    )
    category = serializers.ChoiceField(choices=Category.values, required=False)


def _change_unit(figure) -> str | None:
    if figure.change is None:
        return None
    if not figure.in_points:
        return "%"
    return "百分点" if figure.unit == "%" else "千分点"


def _figures(request, centre_ids: list[int], owner: int) -> Response:
    params = query(request, FiguresQuery)
    period = params.get("period") or Period.year(door.opening_year(centre_ids=centre_ids))
    found = door.totals(
        centre_ids=centre_ids, period=period, owner=owner, approved_only=params["approvedOnly"]
    )
    codes, category = params.get("indicator"), params.get("category")
    rows = [
        {
            "code": f.code,
            "name": f.name,
            "category": f.category,
            "isRate": f.is_rate,
            "unit": f.unit,
            "value": _plain(f.value),
            "previous": _plain(f.previous),
            "change": _plain(f.change),
            "changeUnit": _change_unit(f),
        }
        for f in found.values()
        if (not codes or f.code in codes) and (not category or f.category == category)
    ]
    earlier = period.year_earlier()
    body = {
        "period": describe_period(period),
        "previousPeriod": describe_period(earlier),
        "centres": len(centre_ids),
        "approvedOnly": params["approvedOnly"],
        "figures": rows,
    }
    return Response(body)


FIGURES_DESCRIPTION = _(
    "Every indicator and rate added up for the period, with the same period a year earlier and "
    "同比 (growth in % for counts, the difference in 百分点 or 千分点 for rates), from the figures "
    "door the app's pages use. Default period: the latest full year with values."
)


class CentreFigures(ApiView):
    operation_name = "centre_figures"

    @extend_schema(
        tags=["figures"],
        summary=_("A centre's figures with 同比"),
        description=FIGURES_DESCRIPTION,
        parameters=[CENTRE_SLUG, FiguresQuery],
        responses=FiguresSerializer,
    )
    @centre_endpoint(VIEW_CENTRE)
    def get(self, request):
        return _figures(request, [request.centre.pk], request.centre.sponsor_id)


class CommissionFigures(ApiView):
    operation_name = "commission_figures"

    @extend_schema(
        tags=["figures"],
        summary=_("A commission's figures with 同比, over every centre below it"),
        description=FIGURES_DESCRIPTION,
        parameters=[AUTHORITY_SLUG, FiguresQuery],
        responses=FiguresSerializer,
    )
    @authority_endpoint(VIEW_AUTHORITY)
    def get(self, request):
        return _figures(request, subtree_centre_ids(request), request.authority.pk)


# --- completeness ----------------------------------------------------------------------------


class CentreMonthsSerializer(serializers.Serializer):
    centre = serializers.SlugField()
    centreName = serializers.CharField()
    reported = serializers.IntegerField(help_text=_("Months owed and marked complete."))
    expected = serializers.IntegerField(help_text=_("Months owed so far."))
    months = MonthReportingSerializer(many=True)


class CommissionCompleteness(ApiView):
    pagination_class = Pagination
    operation_name = "commission_completeness"

    @extend_schema(
        tags=["work"],
        summary=_("Reporting completeness of a commission's centres"),
        description=_(
            "Per centre below the commission and month of the year: marked complete on time, "
            "late, missing or not yet due, and its review (the completeness page's states)."
        ),
        parameters=[AUTHORITY_SLUG, YearQuery],
        responses=CentreMonthsSerializer(many=True),
    )
    @authority_endpoint(VIEW_AUTHORITY)
    def get(self, request):
        today = timezone.localdate()
        year = query(request, YearQuery).get("year") or today.year
        centres = (
            Centre.objects.filter(sponsor_id__in=request.authority_subtree)
            .only("pk", "slug", "name", *Centre.OWES_FIELDS)
            .order_by("name")
        )
        pages = self.pagination_class()
        page = pages.paginate_queryset(centres, request, view=self)
        months = [dt.date(year, m, 1) for m in range(1, 13)]
        state = reporting(centres=[(c.pk, c.owes_from) for c in page], months=months, today=today)
        rows = [
            {
                "centre": c.slug,
                "centreName": c.name,
                "reported": state.reported(c.pk),
                "expected": state.expected(c.pk),
                "months": [
                    {
                        "period": f"{m:%Y-%m}",
                        "status": state.status(c.pk, m),
                        "approval": state.approval(c.pk, m),
                        "due": door.tally_due_date(m),
                    }
                    for m in months
                ],
            }
            for c in page
        ]
        return pages.get_paginated_response(rows)
