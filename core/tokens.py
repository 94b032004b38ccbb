"""Personal API tokens: their owner creates and revokes them (audited); requests find them by
the hash of their secret. Writes in actions style, the lookup and the list in selectors style."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit
from .errors import DomainError
from .models import ApiToken

SECRET_PREFIX = "chc_"  # noqa: S105 (a label, not a secret)
PREFIX_LENGTH = 12  # "chc_" and 8 characters of the secret: enough to tell tokens apart
MAX_ACTIVE = 20  # a person's integrations, not a token per request
# last_used_at is written at most this often, so that a busy integration does not write per call.
TOUCH_SECONDS = 60


def _hash(secret: str) -> str:
    """SHA-256 of the secret: 32 random bytes need no slow hash, and lookups stay one probe."""
    return hashlib.sha256(secret.encode()).hexdigest()


def usable(token: ApiToken, today: dt.date | None = None) -> bool:
    """Neither revoked nor past its last day."""
    today = today or timezone.localdate()
    return token.revoked_at is None and (token.expires_on is None or token.expires_on >= today)


def api_token_list(*, user) -> QuerySet[ApiToken]:
    """The user's tokens, the working ones first, newest first (revoked ones stay listed)."""
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-id")


def api_token_for_secret(secret: str) -> ApiToken | None:
    """The usable token with this secret, its user loaded (one query; one more at most once a
    minute to record its use); None for anything else, whatever the reason."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(secret)).first()
    if token is None or not usable(token) or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > TOUCH_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@transaction.atomic
def api_token_create(*, user, name: str, expires_on: dt.date | None = None) -> tuple[ApiToken, str]:
    """A new token for the user and its secret, which is shown once and never stored."""
    if expires_on is not None and expires_on < timezone.localdate():
        raise DomainError(_("The last day cannot be in the past."))
    active = [t for t in ApiToken.objects.filter(user=user, revoked_at__isnull=True) if usable(t)]
    if len(active) >= MAX_ACTIVE:
        raise DomainError(
            _("You have %(n)s working tokens; revoke one you no longer use first.")
            % {"n": len(active)}
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=_hash(secret),
        expires_on=expires_on,
    )
    audit(
        actor=user,
        action="core.api_token.created",
        target=token,
        changes={
            "name": name,
            "prefix": token.prefix,
            "expires_on": str(expires_on) if expires_on else None,
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke a token: its next request is refused. Idempotent (revoking twice records once)."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(
            actor=actor,
            action="core.api_token.revoked",
            target=token,
            changes={"name": token.name, "prefix": token.prefix},
        )
    return token
