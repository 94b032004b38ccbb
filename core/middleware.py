"""Middleware of our own."""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import JsonResponse
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_scopes import scopes_disabled

from core.logs import request_id_var

access_log = logging.getLogger("chc.request")
# An id from the proxy is kept only if it cannot smuggle anything into a log line or header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware:
    """Tag the request with an id (the proxy's X-Request-ID if sane, else a new one) and log it.

    Every log record written while the request runs carries the id (core/logs.py), the response
    echoes it in X-Request-ID, and one access line per request goes to the `chc.request` logger,
    so the WSGI server's own access log can stay off. Comes first in MIDDLEWARE to time it all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            user_id = _loaded_user_id(request)
            # The path only: query strings may carry tokens.
            access_log.info(
                "%s %s %s %sms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user_id": user_id,
                },
            )
            return response
        finally:
            request_id_var.reset(token)


def _loaded_user_id(request) -> int | None:
    """The signed-in user's id, if the request already loaded its user.

    AuthenticationMiddleware loads the user lazily and caches it as `_cached_user`; asking
    `request.user` here would cost a session and a user query on pages that never needed them
    (the health checks among them).
    """
    user = getattr(request, "_cached_user", None)
    return user.pk if user is not None and user.is_authenticated else None


class AdminScopesDisabledMiddleware:
    """The admin works across centres by design, so centre scoping is off there, explicitly."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/admin/"):
            with scopes_disabled():
                return self.get_response(request)
        return self.get_response(request)


# Browser features the app never uses, switched off for every page (and any script on it).
# Only features Chromium knows: an unknown one ("bluetooth") is a warning in every page's console.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "usb",
        "serial",
        "hid",
        "xr-spatial-tracking",
        "browsing-topics",
    )
)


class PermissionsPolicyMiddleware:
    """Send Permissions-Policy, so a script that slipped in still cannot reach camera, mic, GPS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class HtmxVaryMiddleware:
    """Say that an answer depends on HX-Request: a filter pushes its URL into the history while
    the answer is only the table, and without Vary the browser's Back showed that fragment alone,
    unstyled, instead of the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response


# No query parameter of ours is anywhere near this long (searches, filters, ids, dates).
MAX_QUERY_VALUE = 1000


class QueryGuardMiddleware:
    """Answer 400 to a query string with a NUL byte or an overlong value, before any view.

    Views read query parameters by hand in places; a NUL there would reach PostgreSQL (which
    refuses it with an error, so a 500) and a 10,000-digit number would overflow int(). Form
    bodies are left to the forms, which answer with a message and keep what was typed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(
            _hostile(key) or any(_hostile(v) for v in values) for key, values in request.GET.lists()
        ):
            if request.path_info.startswith("/api/"):  # the API's stable error body, in JSON
                body = {
                    "code": "invalid",
                    "message": _("A query parameter is too long or contains a NUL character."),
                    "details": None,
                }
                return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
            return render(request, "400.html", status=400)
        return self.get_response(request)


def _hostile(value: str) -> bool:
    return "\x00" in value or len(value) > MAX_QUERY_VALUE


# Session keys of the timeout (epoch seconds): when the user signed in, when last seen.
SIGNED_IN_AT = "_chc_signed_in_at"
LAST_SEEN_AT = "_chc_last_seen_at"
# Seen-at is written at most this often, so that a busy page does not save its session per click.
SEEN_GRANULARITY = 60


class SessionTimeoutMiddleware:
    """Sign a user out after CHC_SESSION_IDLE_MINUTES without a request, and in any case
    CHC_SESSION_MAX_HOURS after signing in (a working day); the login page says why.

    Shared computers in a centre stay signed in otherwise. Goes after the session, auth and
    message middleware; anonymous requests (health checks among them) cost nothing here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if SESSION_KEY in request.session:
            expired = _session_expired(request.session, int(time.time()))
            if expired:
                logout(request)
                messages.info(request, expired)
                if request.headers.get("HX-Request") == "true":  # a fragment would land mid-page
                    return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
        return self.get_response(request)


def _session_expired(session, now: int) -> str:
    """Why the session has ended ("" if it has not); records the visit when it goes on."""
    signed_in = session.setdefault(SIGNED_IN_AT, now)
    last_seen = session.get(LAST_SEEN_AT, now)
    idle = settings.CHC_SESSION_IDLE_MINUTES
    if now - last_seen > idle * 60:
        return _(
            "You were signed out after %(minutes)s minutes without activity. Please sign in again."
        ) % {"minutes": idle}
    longest = settings.CHC_SESSION_MAX_HOURS
    if now - signed_in > longest * 3600:
        return _("You were signed out %(hours)s hours after signing in. Please sign in again.") % {
            "hours": longest
        }
    if now - last_seen >= SEEN_GRANULARITY or LAST_SEEN_AT not in session:
        session[LAST_SEEN_AT] = now
    return ""


def start_session_clock(sender, request, user, **kwargs) -> None:
    """On user_logged_in (core.apps): a new sign-in starts both clocks afresh."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_SEEN_AT] = now
