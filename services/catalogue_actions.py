"""Writes to a commission's catalogue: create, edit, retire, delete; each audited (who, old and
new values) in its transaction. Saving moves the catalogue's memo version (services.apps)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from centers.models import Authority
from core import stale
from core.audit import audit, diff, snapshot
from core.errors import DomainError
from core.periods import add_months

from .catalogue_selectors import deletion_refusal
from .models import Definition, Rate

SKIPPED = {"id", "created_at", "updated_at", "is_active"}


def _fields(definition: Definition) -> list[str]:
    return [f.name for f in definition._meta.concrete_fields if f.name not in SKIPPED]


def _action(definition: Definition, verb: str) -> str:
    return f"services.{definition._meta.model_name}.{verb}"


def _saved(definition: Definition) -> None:
    """Save, turning a code or name that another save took just now into a refusal."""
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError as exc:
        raise DomainError(_("Another definition was saved with this code or name.")) from exc


@transaction.atomic
def definition_create(
    *, model: type[Definition], authority: Authority, data: dict, actor
) -> Definition:
    """A new definition owned by the commission (never by another, never the system's)."""
    definition = model(**data)
    definition.owner = authority
    _saved(definition)
    audit(
        actor=actor,
        action=_action(definition, "created"),
        target=definition,
        changes=diff({}, snapshot(definition, _fields(definition))),
    )
    return definition


@transaction.atomic
def definition_update(*, definition: Definition, data: dict, based_on: str, actor) -> Definition:
    """Change a definition unless someone saved it since the form was opened; audit old → new."""
    fields = _fields(definition)
    stale.claim(definition, based_on=based_on, fields=data)
    # Re-read: a bound ModelForm has already written the new values onto the instance.
    before = snapshot(type(definition).objects.get(pk=definition.pk), fields)
    for name, value in data.items():
        setattr(definition, name, value)
    changes = diff(before, snapshot(definition, fields))
    if changes:  # an unchanged save keeps the stamp, so nobody else's form turns stale
        _saved(definition)
        audit(
            actor=actor,
            action=_action(definition, "updated"),
            target=definition,
            changes=changes,
        )
    return definition


@transaction.atomic
def rate_new_version(*, rate: Rate, data: dict, starts: dt.date, based_on: str, actor) -> Rate:
    """The rate counted with a new formula from `starts` on: its version ends the month before,
    a new version with the same code begins; figures of earlier periods keep the old formula.
    Both steps audited; a save since the form was opened is refused (core.stale)."""
    stale.claim(rate, based_on=based_on, fields=data)
    old = Rate.objects.select_for_update().get(pk=rate.pk)
    new = Rate(
        **{name: getattr(old, name) for name in ("code", "category", "position", "owner_id")},
        **data,
    )
    new.active_from, new.active_to = starts, old.active_to
    until = add_months(starts, -1)
    audit(
        actor=actor,
        action=_action(old, "retired"),
        target=old,
        changes={"active_to": [str(old.active_to) if old.active_to else None, str(until)]},
    )
    old.active_to = until
    old.save(update_fields=["active_to", "updated_at"])
    _saved(new)
    audit(
        actor=actor,
        action=_action(new, "created"),
        target=new,
        changes=diff({}, snapshot(new, _fields(new))),
    )
    return new


@transaction.atomic
def definition_retire(*, definition: Definition, until: dt.date, actor) -> Definition:
    """In force until `until` (its last month); the data and history stay as they are."""
    definition = type(definition).objects.select_for_update().get(pk=definition.pk)
    if definition.active_from and until < definition.active_from:
        raise DomainError(_("The last month is before the first."))
    old = definition.active_to
    definition.active_to = until
    definition.save(update_fields=["active_to", "updated_at"])
    audit(
        actor=actor,
        action=_action(definition, "retired"),
        target=definition,
        changes={"active_to": [str(old) if old else None, str(until)]},
    )
    return definition


@transaction.atomic
def definition_delete(*, definition: Definition, actor) -> None:
    """Delete a definition nothing has used; one with data or users can only be retired."""
    definition = type(definition).objects.select_for_update().get(pk=definition.pk)
    if refusal := deletion_refusal(definition):
        raise DomainError(refusal)
    audit(
        actor=actor,
        action=_action(definition, "deleted"),
        target=definition,
        changes=diff(snapshot(definition, _fields(definition)), {}),
    )
    try:
        with transaction.atomic():
            definition.delete()
    except ProtectedError as exc:  # something else refers to it (a target saved just now)
        raise DomainError(_("Something still refers to it; retire it instead.")) from exc
