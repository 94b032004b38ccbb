"""Middleware of our own."""

from __future__ import annotations

import logging
import re
import time
import uuid

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
