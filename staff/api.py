"""The API's roster figures (/api/v1/): headcounts of a centre or of a commission's centres for a
period, read-only, as the work summaries quote them (staff.selectors.workforce_brief)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from centers.api import AUTHORITY_SLUG, CENTRE_SLUG, authority_endpoint, centre_endpoint, query
from centers.permissions import VIEW_AUTHORITY, VIEW_CENTRE
from core.api import ApiView, PeriodField, PeriodSerializer, describe_period
from core.periods import Period, month_end

from .selectors import workforce_brief

CENT = Decimal("0.01")


class HeadcountQuery(serializers.Serializer):
    period = PeriodField(
        required=False, help_text=_("2024, 2024S1, 2024Q2, 2024-04 … Default: this year so far.")
    )


class HeadcountSerializer(serializers.Serializer):
    period = PeriodSerializer()
    headcountEnd = serializers.IntegerField(help_text=_("Serving on the period's last day."))
    averageHeadcount = serializers.CharField(help_text=_("The mean of the month-end headcounts."))
    hires = serializers.IntegerField()
    departures = serializers.IntegerField()
    departureRate = serializers.CharField(
        allow_null=True, help_text=_("离职率 in %: departures ÷ average headcount.")
    )
    offEstablishmentEnd = serializers.IntegerField(help_text=_("编外 staff on the last day."))
    offEstablishmentShare = serializers.CharField(allow_null=True, help_text=_("编外 share, %."))
    healthProfessionals = serializers.IntegerField(help_text=_("卫生技术人员 on the last day."))
    physicians = serializers.IntegerField()
    generalPractitioners = serializers.IntegerField()
    nurses = serializers.IntegerField()
    nursesPerPhysician = serializers.CharField(
        allow_null=True, help_text=_("医护比 as 1 : x (nurses per physician).")
    )


def _text(value) -> str | None:
    return None if value is None else f"{value:f}"


def _headcount(request, scope: Q) -> Response:
    period = query(request, HeadcountQuery).get("period") or None
    if period is None:
        today = timezone.localdate()
        period = Period.range(today.replace(month=1), today)
    end = min(month_end(period.last), max(timezone.localdate(), period.first))
    brief = workforce_brief(scope=scope, start=period.first, end=end)
    body = {
        "period": describe_period(period),
        "headcountEnd": brief.headcount_end,
        "averageHeadcount": _text(brief.average_headcount.quantize(CENT, ROUND_HALF_UP)),
        "hires": brief.hires,
        "departures": brief.departures,
        "departureRate": _text(brief.departure_rate),
        "offEstablishmentEnd": brief.off_establishment_end,
        "offEstablishmentShare": _text(brief.off_share_end),
        "healthProfessionals": brief.health_professionals,
        "physicians": brief.physicians,
        "generalPractitioners": brief.general_practitioners,
        "nurses": brief.nurses,
        "nursesPerPhysician": _text(brief.nurses_per_physician),
    }
    return Response(body)


DESCRIPTION = _(
    "The roster's figures for a period, as the work summaries quote them: headcount on the "
    "last day (today for a period not yet over), the mean of month-end headcounts, hires, "
    "departures and 离职率, 编外, and the health professionals serving."
)


class CentreHeadcount(ApiView):
    operation_name = "centre_headcount"

    @extend_schema(
        tags=["work"],
        summary=_("A centre's headcount figures"),
        description=DESCRIPTION,
        parameters=[CENTRE_SLUG, HeadcountQuery],
        responses=HeadcountSerializer,
    )
    @centre_endpoint(VIEW_CENTRE)
    def get(self, request):
        return _headcount(request, Q(centre=request.centre))


class CommissionHeadcount(ApiView):
    operation_name = "commission_headcount"

    @extend_schema(
        tags=["work"],
        summary=_("The headcount figures of a commission's centres"),
        description=DESCRIPTION,
        parameters=[AUTHORITY_SLUG, HeadcountQuery],
        responses=HeadcountSerializer,
    )
    @authority_endpoint(VIEW_AUTHORITY)
    def get(self, request):
        return _headcount(request, Q(centre__sponsor_id__in=request.authority_subtree))
