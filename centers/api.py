"""The API's reach, and its commissions and centres (/api/v1/).

Every endpoint reaches a centre or a commission through `centre_endpoint` / `authority_endpoint`,
which apply the pages' own rules (centers.access): out of reach is a 404 (whether it exists or
not), a missing capability a 403, and the view runs inside the centre's scope (or, for a
commission's subtree, with scopes explicitly off, as authority_view does).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import scope, scopes_disabled
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from core.api import ApiView, Pagination

from .access import (
    _authority_by_slug,
    _centre_by_slug,
    authority_access,
    centre_access,
    request_places,
)
from .models import Authority, Centre
from .permissions import VIEW_AUTHORITY, VIEW_CENTRE
from .selectors import Places, authority_subtree_ids

# The demo's slugs as examples: the docs page's "try it out" and the schema check reach data.
CENTRE_SLUG = OpenApiParameter(
    "centre_slug",
    str,
    OpenApiParameter.PATH,
    description=_("The centre's short code (slug)."),
    examples=[OpenApiExample("ciqikou", value="ciqikou")],
)
AUTHORITY_SLUG = OpenApiParameter(
    "authority_slug",
    str,
    OpenApiParameter.PATH,
    description=_("The commission's short code (slug)."),
    examples=[OpenApiExample("shapingba", value="shapingba")],
)


def centre_endpoint(capability: str) -> Callable:
    """Decorate an ApiView method under centres/<centre_slug>/: reach (404), capability (403),
    then run it in the centre's scope with request.centre and request.access set."""

    def decorator(method: Callable) -> Callable:
        @wraps(method)
        def wrapped(view, request, centre_slug: str, *args, **kwargs):
            places = request_places(request)
            centre = _centre_by_slug(places, centre_slug)
            access = centre_access(places, centre) if centre else None
            if access is None:
                raise exceptions.NotFound()
            if not access.can(capability):
                raise exceptions.PermissionDenied()
            request.centre, request.access = centre, access
            with scope(centre=centre):
                return method(view, request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator


def authority_endpoint(capability: str) -> Callable:
    """The same under commissions/<authority_slug>/: request.authority and its subtree (ids);
    the subtree's centres are read across scopes, by design, filtered by the subtree."""

    def decorator(method: Callable) -> Callable:
        @wraps(method)
        def wrapped(view, request, authority_slug: str, *args, **kwargs):
            places = request_places(request)
            authority = _authority_by_slug(places, authority_slug)
            parents = places.authority_parents()
            access = authority_access(places, authority, parents) if authority else None
            if access is None:
                raise exceptions.NotFound()
            if not access.can(capability):
                raise exceptions.PermissionDenied()
            request.authority, request.access = authority, access
            request.authority_subtree = authority_subtree_ids([authority.pk], parents)
            with scopes_disabled():
                return method(view, request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator


def subtree_centre_ids(request) -> list[int]:
    """The centres of request.authority's subtree, by id (one query)."""
    return list(
        Centre.objects.filter(sponsor_id__in=request.authority_subtree)
        .order_by("name")
        .values_list("pk", flat=True)
    )


def reviewed_ids(places: Places) -> set[int]:
    """Every commission a user reviews for, and those below them (none for centre staff)."""
    roots = [m.authority_id for m in places.authority_memberships]
    return authority_subtree_ids(roots, places.authority_parents()) if roots else set()


# --- serializers (the responses' shapes, and the schema's) ------------------------------------


class CommissionSerializer(serializers.Serializer):
    slug = serializers.SlugField(help_text=_("Short code, used in addresses."))
    name = serializers.CharField()
    parent = serializers.SlugField(
        source="parent.slug",
        allow_null=True,
        default=None,
        help_text=_("The commission above it; null at the top."),
    )


class CentreSerializer(serializers.Serializer):
    slug = serializers.SlugField(help_text=_("Short code, used in addresses and in pushes."))
    name = serializers.CharField()
    creditCode = serializers.CharField(
        source="credit_code", help_text=_("统一社会信用代码; empty when not yet recorded.")
    )
    commission = serializers.SlugField(
        source="sponsor.slug", help_text=_("The sponsoring commission.")
    )
    commissionName = serializers.CharField(source="sponsor.name")
    reportingSince = serializers.DateField(
        source="reporting_since", help_text=_("The first month it reports in this system.")
    )
    foundedOn = serializers.DateField(source="founded_on", allow_null=True)


class CentreListQuery(serializers.Serializer):
    commission = serializers.SlugField(
        required=False, help_text=_("Only centres of this commission and those below it.")
    )
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text=_("Part of the centre's name.")
    )


def query(request, serializer_class) -> dict:
    """The request's query parameters, validated (400 with the fields' messages)."""
    form = serializer_class(data=request.query_params)
    form.is_valid(raise_exception=True)
    return form.validated_data


# --- endpoints --------------------------------------------------------------------------------


class CommissionList(ApiView):
    pagination_class = Pagination
    operation_name = "commission_list"

    @extend_schema(
        tags=["metadata"],
        summary=_("Commissions within reach"),
        description=_(
            "The commissions the user reviews for and every commission below them; empty for "
            "centre staff."
        ),
        responses=CommissionSerializer(many=True),
    )
    def get(self, request):
        ids = reviewed_ids(request_places(request))
        rows = Authority.objects.filter(pk__in=ids).select_related("parent").order_by("name")
        pages = self.pagination_class()
        page = pages.paginate_queryset(rows, request, view=self)
        return pages.get_paginated_response(CommissionSerializer(page, many=True).data)


class CommissionDetail(ApiView):
    operation_name = "commission_detail"

    @extend_schema(
        tags=["metadata"],
        summary=_("One commission"),
        parameters=[AUTHORITY_SLUG],
        responses=CommissionSerializer,
    )
    @authority_endpoint(VIEW_AUTHORITY)
    def get(self, request):
        authority = Authority.objects.select_related("parent").get(pk=request.authority.pk)
        return Response(CommissionSerializer(authority).data)


class CentreList(ApiView):
    pagination_class = Pagination
    operation_name = "centre_list"

    @extend_schema(
        tags=["metadata"],
        summary=_("Centres within reach"),
        description=_(
            "The centres where the user holds a role, and those of the commissions they review "
            "for (and below), by name."
        ),
        parameters=[CentreListQuery],
        responses=CentreSerializer(many=True),
    )
    def get(self, request):
        params = query(request, CentreListQuery)
        places = request_places(request)
        reach = Q(pk__in=[m.centre_id for m in places.centre_memberships])
        if reviewed := reviewed_ids(places):
            reach |= Q(sponsor_id__in=reviewed)
        rows = Centre.objects.filter(reach).select_related("sponsor").order_by("name")
        if slug := params.get("commission"):
            found = Authority.objects.filter(slug=slug).first()
            below = authority_subtree_ids([found.pk], places.authority_parents()) if found else []
            rows = rows.filter(sponsor_id__in=below)
        if search := params.get("search"):
            rows = rows.filter(name__icontains=search)
        pages = self.pagination_class()
        page = pages.paginate_queryset(rows, request, view=self)
        return pages.get_paginated_response(CentreSerializer(page, many=True).data)


class CentreDetail(ApiView):
    operation_name = "centre_detail"

    @extend_schema(
        tags=["metadata"],
        summary=_("One centre"),
        parameters=[CENTRE_SLUG],
        responses=CentreSerializer,
    )
    @centre_endpoint(VIEW_CENTRE)
    def get(self, request):
        return Response(CentreSerializer(request.centre).data)
