"""The user's own personal API tokens: list, create (the secret shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from . import tokens
from .errors import DomainError
from .forms import ApiTokenForm
from .models import ApiToken

PAGE = "core/api_tokens.html"
NEW_SECRET = "api_token_secret"  # noqa: S105 (a session key, not a secret)


def _new_secret(request: HttpRequest) -> tuple[ApiToken | None, str | None]:
    """The token just created and its secret, handed over once and then forgotten."""
    pk, secret = request.session.pop(NEW_SECRET, None) or (None, None)
    if pk is None:
        return None, None
    return ApiToken.objects.filter(pk=pk, user=request.user).first(), secret


@never_cache  # the page that shows a new secret must not be kept by any cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's tokens and the form for a new one; after creating, its secret, once."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = tokens.api_token_create(user=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            # Redirected, so a reload does not make a second token; the secret waits in the
            # (server-side) session for the one page that shows it.
            request.session[NEW_SECRET] = [token.pk, secret]
            return redirect("api-tokens")
    token, secret = _new_secret(request)
    context = {
        "form": form,
        "new_token": token,
        "secret": secret,
        "tokens": tokens.api_token_list(user=request.user),
        "usable": {t.pk for t in tokens.api_token_list(user=request.user) if tokens.usable(t)},
    }
    return render(request, PAGE, context)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens (another's is a 404); refused from its next request."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    if request.headers.get("HX-Request") == "true":  # asked to confirm first: reload the page
        return HttpResponseClientRedirect(reverse("api-tokens"))
    return redirect("api-tokens")
