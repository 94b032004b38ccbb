"""Writes about organisations and memberships; each one is atomic and audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit
from core.errors import DomainError

from .models import Centre, CentreMembership

User = get_user_model()
USERNAME_TAKEN = gettext_lazy(
    "This username is taken. To add an existing account to the centre, ask the system "
    "administrator."
)


def _lock_managers(centre: Centre) -> list[int]:
    """Lock the centre's manager rows so two managers cannot demote each other at once.

    Only the membership rows are locked (of=self), in pk order, so that logins of the same
    users and the centre row are never blocked and two lockers cannot deadlock.
    """
    return list(
        CentreMembership.objects.select_for_update(of=("self",))
        .filter(centre=centre, role=CentreMembership.Role.MANAGER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _locked(membership: CentreMembership) -> CentreMembership:
    """Re-read a membership under lock; someone may have changed or removed it meanwhile."""
    fresh = (
        CentreMembership.objects.select_for_update(of=("self",))
        .select_related("user", "centre")
        .filter(pk=membership.pk, centre_id=membership.centre_id)
        .first()
    )
    if fresh is None:
        raise DomainError(_("This member has been removed in the meantime."))
    return fresh


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
    """Create an account for a new member of the centre.

    Managers only create accounts: attaching an existing one would let a manager pull in
    (and learn about) people of other centres or administrators, so that stays with the
    system administrators.
    """
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(USERNAME_TAKEN)
    try:
        with transaction.atomic():
            user = _new_user(username=username, full_name=full_name, password=password)
            membership = CentreMembership.objects.create(user=user, centre=centre, role=role)
    except IntegrityError as exc:  # the same username created by someone else just now
        raise DomainError(USERNAME_TAKEN) from exc
    audit(
        actor=actor,
        action="centers.membership.granted",
        target=membership,
        centre=centre,
        changes={"user": [None, user.username], "role": [None, role], "account": "created"},
    )
    return membership


@transaction.atomic
def membership_change_role(*, membership: CentreMembership, role: str, actor) -> CentreMembership:
    """Change a member's role; a centre always keeps at least one manager."""
    managers = _lock_managers(membership.centre)
    membership = _locked(membership)
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
    membership = _locked(membership)
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
