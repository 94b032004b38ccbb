"""Writes about organisations and memberships; each one is atomic and audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import DomainError

from .models import Centre, CentreMembership

User = get_user_model()


def _lock_managers(centre: Centre) -> list[int]:
    """Lock the centre's manager rows so two managers cannot demote each other at once."""
    return list(
        CentreMembership.objects.select_for_update()
        .filter(centre=centre, role=CentreMembership.Role.MANAGER)
        .values_list("pk", flat=True)
    )


def _new_user(*, username: str, full_name: str, password: str):
    """Create an account for a new member; the password must pass the site's validators."""
    user = User(username=username, first_name=full_name)
    if not password:
        raise DomainError(_("A new account needs an initial password."))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def membership_grant(
    *,
    centre: Centre,
    username: str,
    role: str,
    actor,
    full_name: str = "",
    password: str = "",
) -> CentreMembership:
    """Give a user (new or existing) a role at a centre; a user holds one role per centre."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = _new_user(username=username, full_name=full_name, password=password)
    elif CentreMembership.objects.filter(user=user, centre=centre).exists():
        raise DomainError(_("This user is already a member of the centre."))
    membership = CentreMembership.objects.create(user=user, centre=centre, role=role)
    audit(
        actor=actor,
        action="centers.membership.granted",
        target=membership,
        centre=centre,
        changes={"user": [None, user.username], "role": [None, role]},
    )
    return membership


@transaction.atomic
def membership_change_role(*, membership: CentreMembership, role: str, actor) -> CentreMembership:
    """Change a member's role; a centre always keeps at least one manager."""
    managers = _lock_managers(membership.centre)
    membership.refresh_from_db()
    old = membership.role
    if old == role:
        return membership
    if old == CentreMembership.Role.MANAGER and managers == [membership.pk]:
        raise DomainError(_("A centre must keep at least one manager."))
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit(
        actor=actor,
        action="centers.membership.role_changed",
        target=membership,
        centre=membership.centre,
        changes={"role": [old, role]},
    )
    return membership


@transaction.atomic
def membership_revoke(*, membership: CentreMembership, actor) -> None:
    """Remove a member from a centre; the last manager cannot be removed."""
    managers = _lock_managers(membership.centre)
    if membership.role == CentreMembership.Role.MANAGER and managers == [membership.pk]:
        raise DomainError(_("A centre must keep at least one manager."))
    audit(
        actor=actor,
        action="centers.membership.revoked",
        target=membership,
        centre=membership.centre,
        changes={"user": [membership.user.username, None], "role": [membership.role, None]},
    )
    membership.delete()
