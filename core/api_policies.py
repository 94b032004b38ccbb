"""The API's policies, which REST framework's settings name (REST_FRAMEWORK in settings): token
authentication, throttling per token, the CSV parser, paging and the stable error body.

Kept apart from core/api.py, which builds views: REST framework imports these while it loads its
own views, so this module must not import them (a circular import otherwise).
"""

from __future__ import annotations

import csv
import io
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from . import tokens
from .errors import DomainError
from .models import ApiToken

log = logging.getLogger(__name__)


def error_body(code: str, message: str, details=None) -> dict:
    return {"code": code, "message": message, "details": details}


class ApiError(exceptions.APIException):
    """An error with our code, a Chinese message and details (the body every error has)."""

    def __init__(self, status: int, code: str, message: str, details=None, headers=None):
        super().__init__(message, code)
        self.status_code, self.error_code, self.message = status, code, message
        self.details, self.headers = details, headers or {}


def _messages() -> dict[type, tuple[str, str]]:
    """DRF's exceptions as our codes and Chinese messages (read per request: translated)."""
    return {
        exceptions.NotAuthenticated: (
            "not_authenticated",
            _("Sign in, or send a personal API token: Authorization: Bearer <token>."),
        ),
        exceptions.AuthenticationFailed: (
            "authentication_failed",
            _("The token is unknown, revoked or expired."),
        ),
        exceptions.PermissionDenied: (
            "permission_denied",
            _("You may not do this here."),
        ),
        exceptions.NotFound: ("not_found", _("Not found, or not within your reach.")),
        exceptions.MethodNotAllowed: ("method_not_allowed", _("This method is not allowed here.")),
        exceptions.NotAcceptable: (
            "not_acceptable",
            _("The API answers in JSON only (Accept: application/json)."),
        ),
        exceptions.UnsupportedMediaType: (
            "unsupported_media_type",
            _("Send JSON (application/json) or, where it is offered, CSV (text/csv)."),
        ),
        exceptions.ParseError: ("parse_error", _("The request body cannot be read.")),
        exceptions.ValidationError: ("invalid", _("Some parameters are not valid; see details.")),
    }


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DomainError):
        return ApiError(400, "refused", str(exc))
    if isinstance(exc, RequestDataTooBig):
        return ApiError(413, "too_large", _("The request body is too large."))
    return exc if isinstance(exc, exceptions.APIException) else None


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error as {"code", "message", "details"} (DRF's EXCEPTION_HANDLER)."""
    api_exc = _as_api_exception(exc)
    if api_exc is None:  # a bug: logged, and still answered in the stable shape
        log.exception("API view failed", exc_info=exc)
        return Response(
            error_body("server_error", _("Something went wrong on our side; it is logged.")),
            status=500,
        )
    headers = {}
    if getattr(api_exc, "auth_header", None):
        headers["WWW-Authenticate"] = api_exc.auth_header
    if isinstance(api_exc, ApiError):
        body = error_body(api_exc.error_code, api_exc.message, api_exc.details)
        headers.update(api_exc.headers)
    elif isinstance(api_exc, exceptions.Throttled):
        wait = int(api_exc.wait or 1)
        headers["Retry-After"] = str(wait)
        message = _("Too many requests; try again in %(n)s seconds.") % {"n": wait}
        body = error_body("throttled", message, {"retryAfter": wait})
    else:
        code, message = _message_for(api_exc)
        details = api_exc.detail if isinstance(api_exc, exceptions.ValidationError) else None
        body = error_body(code, message, details)
    return Response(body, status=api_exc.status_code, headers=headers)


def _message_for(exc: exceptions.APIException) -> tuple[str, str]:
    for kind, found in _messages().items():
        if isinstance(exc, kind):
            return found
    return ("error", str(exc.detail))


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`: the token's user, with exactly that user's places.

    A revoked or expired token, or one of a deactivated account, is refused at once (401); the
    secret is only ever hashed, never logged.
    """

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed()
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed() from exc
        token = tokens.api_token_for_secret(secret)
        if token is None:
            raise exceptions.AuthenticationFailed()
        # The access log names the user (core.middleware reads what auth loaded).
        request._request._cached_user = token.user
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class TokenRateThrottle(SimpleRateThrottle):
    """Per token (per user on the session, per address otherwise), on the shared cache; the
    rate is CHC_API_RATE, read at each request so that tests and deployments can change it."""

    scope = "api"

    def get_rate(self) -> str:
        return settings.CHC_API_RATE

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class JsonParser(JSONParser):
    """JSON as DRF parses it, but a body nested past Python's recursion limit ("[" × 100,000)
    is a parse error (400) like any other malformed body, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError() from exc


class CsvParser(BaseParser):
    """text/csv with a header row: each line becomes a dict of its columns (a push's rows)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            text = stream.read().decode("utf-8-sig")
            rows = list(csv.DictReader(io.StringIO(text, newline="")))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise exceptions.ParseError() from exc
        return {"csvRows": rows}


class Pagination(PageNumberPagination):
    """?page=2&pageSize=100: {count, next, previous, results}."""

    page_size = 50
    page_size_query_param = "pageSize"
    max_page_size = 1000
