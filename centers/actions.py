"""Writes about organisations and memberships; each one is atomic and audited."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import stale
from core.audit import audit, diff, snapshot
from core.errors import DomainError

from .models import Centre, CentreMembership, FundingSource, RegistrationChange

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


# --- Centre record ---------------------------------------------------------------------

INFO_FIELDS = (
    "credit_code",
    "name",
    "purpose",
    "address",
    "legal_representative",
    "capital",
    "funding_source",
    "certificate_valid_from",
    "certificate_valid_to",
    "online_name",
    "founded_on",
)


def centre_update_info(*, centre: Centre, data: dict, based_on: str, actor) -> Centre:
    """Save the certificate data, refusing a stale form instead of overwriting a newer save."""
    with transaction.atomic():
        stale.claim(centre, based_on=based_on, fields=INFO_FIELDS)
        before = snapshot(Centre.objects.get(pk=centre.pk), INFO_FIELDS)
        try:
            with transaction.atomic():
                Centre.objects.filter(pk=centre.pk).update(
                    **data, version=F("version") + 1, updated_at=timezone.now()
                )
        except IntegrityError as exc:  # a credit code another centre saved just now
            raise DomainError(_("Another centre is registered with this code.")) from exc
        fresh = Centre.objects.select_related("sponsor", "funding_source").get(pk=centre.pk)
        changes = diff(before, snapshot(fresh, INFO_FIELDS))
        if changes:
            audit(
                actor=actor,
                action="centers.centre.updated",
                target=fresh,
                centre=fresh,
                changes=changes,
            )
    return fresh


def registered_item_value(centre: Centre, item: str) -> str:
    """A registered item's current value in the text form that change records keep."""
    Item = RegistrationChange.Item
    if item == Item.CAPITAL:
        return "" if centre.capital is None else f"{centre.capital:.2f}"
    if item == Item.FUNDING_SOURCE:
        return centre.funding_source.name if centre.funding_source_id else ""
    if item == Item.SPONSOR:
        return centre.sponsor.name
    return getattr(centre, item)


def _set_item(centre: Centre, item: str, value: str) -> bool:
    """Put a registered item's value on the centre; False when it cannot apply here.

    The sponsor decides who reviews the centre, so moving a centre to another authority stays
    with the system administrators; the change is recorded all the same.
    """
    Item = RegistrationChange.Item
    if item == Item.SPONSOR:
        return False
    if item == Item.CAPITAL:
        centre.capital = Decimal(value)
    elif item == Item.FUNDING_SOURCE:
        source = FundingSource.objects.filter(name=value).first()
        if source is None:
            return False
        centre.funding_source = source
    else:
        setattr(centre, item, value)
    return True


ITEM_COLUMNS = {"funding_source": "funding_source_id"}


def _apply_latest(*, centre_id: int, item: str, actor, fallback: str | None = None) -> None:
    """Make the centre's item equal the newest change of it (or the fallback if none is left).

    Only that column is written, so a concurrent edit of other fields stands; updated_at moves
    too, so a certificate form opened before this is refused as stale (core.stale).
    """
    centre = Centre.objects.select_related("funding_source", "sponsor").get(pk=centre_id)
    latest = (
        RegistrationChange.objects.filter(centre_id=centre_id, item=item)
        .order_by("-effective_on", "-registered_on", "-id")
        .first()
    )
    value = latest.new_value if latest else fallback
    old = registered_item_value(centre, item)
    if value is None or value == old or not _set_item(centre, item, value):
        return
    column = ITEM_COLUMNS.get(item, item)
    try:
        with transaction.atomic():
            Centre.objects.filter(pk=centre_id).update(
                **{column: getattr(centre, column)},
                version=F("version") + 1,
                updated_at=timezone.now(),
            )
    except IntegrityError as exc:  # e.g. a name another centre took in the meantime
        raise DomainError(
            _("The register cannot take this value: %(value)s is in use.") % {"value": value}
        ) from exc
    audit(
        actor=actor,
        action="centers.centre.registered_item_changed",
        target=centre,
        centre=centre,
        changes={item: [old, value]},
    )


CHANGE_FIELDS = ("item", "old_value", "new_value", "effective_on", "registered_on", "note")


@transaction.atomic
def registration_change_record(*, centre: Centre, data: dict, actor) -> RegistrationChange:
    """Record a change registration and bring the centre's registered item up to date."""
    change = RegistrationChange.objects.create(centre=centre, **data)
    audit(
        actor=actor,
        action="centers.registrationchange.created",
        target=change,
        centre=centre,
        changes=diff({}, snapshot(change, CHANGE_FIELDS)),
    )
    _apply_latest(centre_id=centre.pk, item=change.item, actor=actor)
    return change


@transaction.atomic
def registration_change_update(
    *, change: RegistrationChange, data: dict, based_on: str, actor
) -> RegistrationChange:
    """Correct a recorded change unless someone saved it since the form was opened.

    The item itself cannot change (delete and record anew).
    """
    stale.claim(change, based_on=based_on, fields=CHANGE_FIELDS)
    before = snapshot(RegistrationChange.objects.get(pk=change.pk), CHANGE_FIELDS)
    for name, value in data.items():
        if name != "item":
            setattr(change, name, value)
    change.save()
    changes = diff(before, snapshot(change, CHANGE_FIELDS))
    if changes:
        audit(
            actor=actor,
            action="centers.registrationchange.updated",
            target=change,
            centre=change.centre,
            changes=changes,
        )
    _apply_latest(centre_id=change.centre_id, item=change.item, actor=actor)
    return change


@transaction.atomic
def registration_change_delete(*, change: RegistrationChange, actor) -> None:
    """Delete a recorded change; the item falls back to the previous change or its old value."""
    audit(
        actor=actor,
        action="centers.registrationchange.deleted",
        target=change,
        centre=change.centre,
        changes=diff(snapshot(change, CHANGE_FIELDS), {}),
    )
    centre_id, item, fallback = change.centre_id, change.item, change.old_value
    change.delete()
    _apply_latest(centre_id=centre_id, item=item, actor=actor, fallback=fallback)


def _record_fields(model) -> list[str]:
    skip = {"id", "centre", "created_at", "updated_at"}
    return [f.name for f in model._meta.concrete_fields if f.name not in skip]


@transaction.atomic
def record_create(*, centre: Centre, model, data: dict, actor):
    """Add a record (licence, donation, department …) to a centre, audited."""
    record = model.objects.create(centre=centre, **data)
    audit(
        actor=actor,
        action=f"centers.{model._meta.model_name}.created",
        target=record,
        centre=centre,
        changes=diff({}, snapshot(record, _record_fields(model))),
    )
    return record


@transaction.atomic
def record_update(*, record, data: dict, based_on: str, actor):
    """Change a record unless someone saved it since the form was opened; audit old → new."""
    fields = _record_fields(type(record))
    stale.claim(record, based_on=based_on, fields=data)
    # Re-read: a bound ModelForm has already written the new values onto the instance.
    before = snapshot(type(record).objects.get(pk=record.pk), fields)
    for name, value in data.items():
        setattr(record, name, value)
    changes = diff(before, snapshot(record, fields))
    if changes:  # an unchanged save keeps the stamp, so nobody else's form turns stale
        record.save()
        audit(
            actor=actor,
            action=f"centers.{record._meta.model_name}.updated",
            target=record,
            centre=record.centre,
            changes=changes,
        )
    return record


@transaction.atomic
def record_delete(*, record, actor) -> None:
    """Delete a record; the audit row keeps every value it had."""
    audit(
        actor=actor,
        action=f"centers.{record._meta.model_name}.deleted",
        target=record,
        centre=record.centre,
        changes=diff(snapshot(record, _record_fields(type(record))), {}),
    )
    record.delete()
