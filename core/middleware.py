"""Middleware of our own."""

from __future__ import annotations

from django_scopes import scopes_disabled


class AdminScopesDisabledMiddleware:
    """The admin works across centres by design, so centre scoping is off there, explicitly."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/admin/"):
            with scopes_disabled():
                return self.get_response(request)
        return self.get_response(request)
