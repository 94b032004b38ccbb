"""Template context of our own."""

from __future__ import annotations

from django.http import HttpRequest


def csp_nonce(request: HttpRequest) -> dict:
    """The request's CSP nonce as `csp_nonce`, the name django-htmx's {% htmx_script %} reads.

    Lazy: a page that never prints it sends a policy without a nonce.
    """
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
