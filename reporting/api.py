"""The API's annual filings (/api/v1/): where each centre's 《事业单位法人年度报告书》 stands, for
a centre or a commission's centres, read-only."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from centers.api import AUTHORITY_SLUG, CENTRE_SLUG, authority_endpoint, centre_endpoint, query
from centers.models import Centre
from centers.permissions import VIEW_AUTHORITY, VIEW_CENTRE
from core.api import ApiView, Pagination

from .models import AnnualFiling
from .selectors import STATE_NOT_STARTED, FilingRow, due_date, subtree_filings

STATES = [STATE_NOT_STARTED, *AnnualFiling.Status.values]


class FilingSerializer(serializers.Serializer):
    centre = serializers.SlugField()
    centreName = serializers.CharField()
    year = serializers.IntegerField()
    state = serializers.ChoiceField(
        choices=STATES,
        help_text=_(
            "not_started, draft, submitted (awaiting review), returned, approved or published."
        ),
    )
    online = serializers.ChoiceField(
        choices=AnnualFiling.Online.values,
        help_text=_("On 事业单位在线: empty (not filed), filed, returned or publicised."),
    )
    handedIn = serializers.BooleanField(help_text=_("Filed online (not returned) or published."))
    overdue = serializers.BooleanField(help_text=_("Past the due day and not handed in."))
    due = serializers.DateField()
    updatedAt = serializers.DateTimeField(allow_null=True)


class FilingYearQuery(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, help_text=_("Default: last year.")
    )


def _row(row: FilingRow, year: int) -> dict:
    filing = row.filing
    return {
        "centre": row.centre.slug,
        "centreName": row.centre.name,
        "year": year,
        "state": row.state,
        "online": filing.online if filing else "",
        "handedIn": bool(filing and filing.handed_in),
        "overdue": row.overdue,
        "due": due_date(year),
        "updatedAt": timezone.localtime(filing.updated_at) if filing else None,
    }


def _year(request) -> int:
    return query(request, FilingYearQuery).get("year") or timezone.localdate().year - 1


class CentreFilings(ApiView):
    operation_name = "centre_filings"

    @extend_schema(
        tags=["work"],
        summary=_("A centre's annual filing"),
        description=_("Where the centre's annual report of a year stands, and whether it is late."),
        parameters=[CENTRE_SLUG, FilingYearQuery],
        responses=FilingSerializer,
    )
    @centre_endpoint(VIEW_CENTRE)
    def get(self, request):
        year = _year(request)
        centres = Centre.objects.filter(pk=request.centre.pk)
        (row,) = subtree_filings(centres=centres, year=year, today=timezone.localdate())
        return Response(_row(row, year))


class CommissionFilings(ApiView):
    pagination_class = Pagination
    operation_name = "commission_filings"

    @extend_schema(
        tags=["work"],
        summary=_("The annual filings of a commission's centres"),
        description=_("Every centre below the commission with its annual report's state."),
        parameters=[AUTHORITY_SLUG, FilingYearQuery],
        responses=FilingSerializer(many=True),
    )
    @authority_endpoint(VIEW_AUTHORITY)
    def get(self, request):
        year = _year(request)
        centres = Centre.objects.filter(sponsor_id__in=request.authority_subtree).order_by("name")
        pages = self.pagination_class()
        page = pages.paginate_queryset(centres, request, view=self)
        ids = [c.pk for c in page]
        rows = subtree_filings(
            centres=Centre.objects.filter(pk__in=ids).order_by("name"),
            year=year,
            today=timezone.localdate(),
        )
        return pages.get_paginated_response([_row(r, year) for r in rows])
