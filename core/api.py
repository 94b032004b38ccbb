"""What every endpoint of the API (/api/v1/) shares: the base view (ETags, 304), periods in
requests and answers, the schema's operation ids and its documented errors; the policies REST
framework's settings name (token authentication, throttling, paging, CSV, the error body) are in
core/api_policies.py and re-exported here.

Errors always answer `{"code": "...", "message": "<Chinese>", "details": ...}`: 401 without
valid credentials (a revoked or expired token at once), 403 for a missing capability, 404 for
what is out of reach (never saying whether it exists), 429 when throttled, 400 for bad input.
"""

from __future__ import annotations

import hashlib

from django.core.validators import RegexValidator
from django.http import HttpRequest, JsonResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.views import APIView

from .api_policies import ApiError, CsvParser, JsonParser, Pagination, error_body
from .periods import Period, month_end, period_code, period_from_code

__all__ = ["ApiError", "ApiView", "CsvParser", "JsonParser", "Pagination", "error_body"]


# --- errors ---------------------------------------------------------------------------------


def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any /api/ address no endpoint answers: the stable 404, not the HTML page."""
    body = error_body("not_found", gettext("Not found, or not within your reach."))
    return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})


class ErrorSerializer(serializers.Serializer):
    """The body of every error."""

    code = serializers.CharField(help_text=_("A stable code, for programs."))
    message = serializers.CharField(help_text=_("What went wrong, in Chinese, for people."))
    details = serializers.JSONField(
        allow_null=True, help_text=_("More: the invalid fields, the import summary …")
    )


# --- authentication, throttling ----------------------------------------------------------------


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.api_policies.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": gettext(
                "A personal API token, created under “API tokens” in the user's menu."
            ),
        }


# --- parsing, paging, caching ---------------------------------------------------------------


NOT_A_PERIOD = _(
    "Not a period: write 2024, 2024S1, 2024Q2, 2024-04 or 2024-01/2024-05 (at most ten years)."
)


class PeriodField(serializers.CharField):
    """A period by its code: 2024, 2024S1 (half-year), 2024Q2, 2024-04 (or 202404), or a range of
    months 2024-01/2024-05 (core.periods.period_from_code)."""

    # The shapes of a code, for the schema (and generated requests); period_from_code decides.
    PATTERN = r"^(\d{4}(-?\d{2}|[QqSsHh]\d)?|\d{4}-?\d{2}(/|\.\.)\d{4}-?\d{2})$"

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("allow_blank", not kwargs.get("required", True))
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(self.PATTERN, message=NOT_A_PERIOD))

    def run_validation(self, data=serializers.empty):
        """The text as a CharField checks it (length, blank), then as the period it names."""
        text = super().run_validation(data)
        if text in (None, ""):
            return text
        period = period_from_code(text)
        if period is None:
            raise serializers.ValidationError(NOT_A_PERIOD)
        return period

    def to_representation(self, value) -> str:
        return period_code(value) if isinstance(value, Period) else str(value)


class PeriodSerializer(serializers.Serializer):
    """A period as answers describe it."""

    code = serializers.CharField(help_text=_("The code that names it in requests."))
    label = serializers.CharField()
    first = serializers.DateField(help_text=_("Its first day."))
    last = serializers.DateField(help_text=_("Its last day."))


def describe_period(period: Period) -> dict:
    return {
        "code": period_code(period),
        "label": period.label,
        "first": period.first,
        "last": month_end(period.last),
    }


class ApiView(APIView):
    """The base of our endpoints: reads answer with an ETag, and 304 when it still matches."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Authorization", "Cookie"])
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        response.render()
        etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        response["ETag"] = etag
        patch_cache_control(response, private=True, no_cache=True)
        return get_conditional_response(request, etag=etag, response=response)


# --- the schema -------------------------------------------------------------------------------


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, with operation ids from the URL names (stable for clients)."""

    def get_description(self) -> str:
        """Only what extend_schema says (in Chinese), never a class's English docstring."""
        return ""

    def get_operation_id(self) -> str:
        name = getattr(self.view, "operation_name", None)
        if name:
            return name if self.method in ("GET", "HEAD") else f"{name}_{self.method.lower()}"
        return super().get_operation_id()


ERROR_STATUSES = ("400", "401", "403", "404", "405", "406", "415", "429")


def _error_descriptions() -> dict[str, str]:
    return {
        "304": gettext("Not modified: the ETag sent in If-None-Match still matches."),
        "400": gettext("Bad input; details names it."),
        "401": gettext("No credentials, or a token that is unknown, revoked or expired."),
        "403": gettext("Within reach, but the capability is missing (as in the app)."),
        "404": gettext("Not found, or not within your reach."),
        "405": gettext("This method is not allowed here."),
        "406": gettext("The API answers in JSON only."),
        "409": gettext(
            "The push has conflicts and nothing was written; details holds the summary."
        ),
        "413": gettext("The request body is too large."),
        "414": gettext("The address is too long; the web server refuses it before the app."),
        "415": gettext("Unsupported content type."),
        "429": gettext("Too many requests; Retry-After says when to try again."),
    }


def _tags() -> dict[str, tuple[str, str]]:
    """The operations' tags as named in code → their Chinese name and description."""
    return {
        "metadata": (
            gettext("Metadata"),
            gettext("Commissions, centres, periods and the indicator catalogue in force."),
        ),
        "data values": (
            gettext("Data values"),
            gettext("A centre's values read back, and pushes of values (dataValueSets)."),
        ),
        "figures": (
            gettext("Figures"),
            gettext("Aggregates with 同比 for a centre or a commission's subtree."),
        ),
        "work": (
            gettext("Work"),
            gettext("Filing states, reporting completeness and the roster's headcounts."),
        ),
    }


def _name_tags(result) -> None:
    tags = _tags()
    for item in result.get("paths", {}).values():
        for operation in item.values():
            operation["tags"] = [tags.get(t, (t, ""))[0] for t in operation.get("tags", [])]
    result["tags"] = [{"name": name, "description": text} for name, text in tags.values()]


def add_error_responses(result, generator, request, public):
    """Every operation documents the stable error body for the statuses any request can meet
    (drf-spectacular postprocessing hook), and reads their 304; tags get their Chinese names."""
    _name_tags(result)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"nullable": True},
            },
            "required": ["code", "message", "details"],
        },
    )
    texts = _error_descriptions()
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status in ERROR_STATUSES:
                responses.setdefault(status, {"description": texts[status], "content": body})
            for status in ("409", "413"):
                if status in responses:
                    responses[status] = {"description": texts[status], "content": body}
            if method == "get":
                responses.setdefault("304", {"description": texts["304"]})
            # Answered by the web server before the app (gunicorn's or nginx's page).
            responses.setdefault("414", {"description": texts["414"]})
    return result
