"""Writes to a person's training, practising registrations and title promotions, and to the
centre's 核定编制; each is atomic and audited (who, when, old → new).

Dates are checked against the person's spells here and in the forms alike (`date_errors`): no
training before they were hired or after they left, unless it is marked external; a promotion
is passed (and appointed) while they serve. Registrations are not checked: people bring them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from centers.models import Centre
from core import stale
from core.attachments import Checked, clean_name
from core.audit import audit, diff, snapshot
from core.errors import DomainError

from .models import EstablishmentQuota, Person, PractisingLicence, Promotion, Spell, Training

FIELDS: dict[type, tuple[str, ...]] = {
    Training: (
        "kind",
        "place",
        "subject",
        "started_on",
        "ended_on",
        "hours",
        "credits",
        "external",
        "certificate_name",
    ),
    PractisingLicence: (
        "kind",
        "licence_number",
        "practice_type",
        "scope",
        "registered_here",
        "registered_at",
        "issued_on",
        "valid_to",
    ),
    Promotion: (
        "title",
        "title_name",
        "previous_title",
        "passed_on",
        "appointed_on",
        "document",
    ),
    EstablishmentQuota: ("kind", "approved", "effective_on", "document"),
}


def _name(model: type) -> str:
    return f"staff.{model._meta.model_name}"


# --- dates against the person's spells --------------------------------------------------


def _spell_of(spells: Iterable[Spell], day: dt.date) -> Spell | None:
    return next(
        (s for s in spells if s.hired_on <= day and (s.left_on is None or s.left_on >= day)), None
    )


def _spells_words(spells: list[Spell]) -> str:
    if not spells:
        return _("no employment recorded")
    return "、".join(
        f"{s.hired_on:%Y-%m-%d}–{s.left_on:%Y-%m-%d}" if s.left_on else f"{s.hired_on:%Y-%m-%d}–"
        for s in spells
    )


def _not_serving(person: Person, day: dt.date, spells: list[Spell]) -> str:
    return _("%(name)s was not employed here on %(day)s (employed %(spells)s).") % {
        "name": person.name,
        "day": day,
        "spells": _spells_words(spells),
    }


def _training_errors(person: Person, data: dict, spells: list[Spell]) -> list[tuple[str, str]]:
    start, end = data.get("started_on"), data.get("ended_on")
    if data.get("external") or start is None:
        return []
    spell = _spell_of(spells, start)
    if spell is None:
        hint = _("If it was outside employment here, tick “outside employment here”.")
        return [("started_on", f"{_not_serving(person, start, spells)} {hint}")]
    if end is not None and spell.left_on is not None and end > spell.left_on:
        return [
            (
                "ended_on",
                _("%(name)s left on %(left)s, before this training ended.")
                % {"name": person.name, "left": spell.left_on},
            )
        ]
    return []


def _promotion_errors(person: Person, data: dict, spells: list[Spell]) -> list[tuple[str, str]]:
    errors = []
    for name in ("passed_on", "appointed_on"):
        day = data.get(name)
        if day is not None and _spell_of(spells, day) is None:
            errors.append((name, _not_serving(person, day, spells)))
    return errors


def spell_errors(
    model: type, person: Person, data: dict, spells: list[Spell]
) -> list[tuple[str, str]]:
    """(field, message) for each date of `data` these spells of the person rule out."""
    check = {Training: _training_errors, Promotion: _promotion_errors}.get(model)
    return check(person, data, spells) if check is not None else []


def date_errors(model: type, person: Person, data: dict) -> list[tuple[str, str]]:
    """spell_errors with the person's spells read (one query)."""
    if model not in (Training, Promotion):
        return []
    spells = list(Spell.objects.filter(person_id=person.pk).order_by("hired_on"))
    return spell_errors(model, person, data, spells)


def _check_dates(model: type, person: Person, data: dict) -> None:
    if errors := date_errors(model, person, data):
        raise DomainError(" ".join(message for _field, message in errors))


# --- a person's records ---------------------------------------------------------------------


def _store_certificate(record: Training, checked: Checked, name: str) -> None:
    """Keep the checked bytes under a name of ours; the uploader's name is only shown."""
    record.certificate_type = checked.content_type
    record.certificate_sha256 = checked.sha256
    record.certificate_name = clean_name(name, checked.content_type, 150)
    record.certificate.save("upload", ContentFile(checked.content), save=False)


def _drop_certificate(record: Training) -> None:
    if record.certificate:
        path, storage = record.certificate.name, record.certificate.storage
        transaction.on_commit(lambda: storage.delete(path))  # the row may yet roll back
    record.certificate = ""
    record.certificate_name = record.certificate_type = record.certificate_sha256 = ""


@transaction.atomic
def person_record_create(
    *,
    person: Person,
    model: type,
    data: dict,
    actor,
    certificate: Checked | None = None,
    certificate_name: str = "",
):
    """Add a training, registration or promotion to a person, checked against their spells."""
    person = Person.objects.select_for_update().get(pk=person.pk)  # their spells hold still
    _check_dates(model, person, data)
    record = model(person=person, centre=person.centre, **data)
    if certificate is not None:
        _store_certificate(record, certificate, certificate_name)
    record.save()
    audit(
        actor=actor,
        action=f"{_name(model)}.created",
        target=record,
        centre=person.centre,
        changes=diff({}, snapshot(record, FIELDS[model])),
    )
    return record


@transaction.atomic
def person_record_update(
    *,
    record,
    data: dict,
    based_on: str,
    actor,
    certificate: Checked | None = None,
    certificate_name: str = "",
    remove_certificate: bool = False,
):
    """Change a person's record unless someone saved it since the form was opened."""
    model, fields = type(record), FIELDS[type(record)]
    stale.claim(record, based_on=based_on, fields=fields)
    fresh = model.objects.select_related("person").get(pk=record.pk)
    Person.objects.select_for_update().filter(pk=fresh.person_id).first()
    _check_dates(model, fresh.person, data)
    before = snapshot(fresh, fields)
    for name, value in data.items():
        setattr(fresh, name, value)
    if model is Training and (remove_certificate or certificate is not None):
        _drop_certificate(fresh)
        if certificate is not None:
            _store_certificate(fresh, certificate, certificate_name)
    changes = diff(before, snapshot(fresh, fields))
    if changes:  # an unchanged save keeps the stamp, so nobody else's form turns stale
        fresh.save()
        audit(
            actor=actor,
            action=f"{_name(model)}.updated",
            target=fresh,
            centre=fresh.centre,
            changes=changes,
        )
    return fresh


@transaction.atomic
def person_record_delete(*, record, actor) -> None:
    """Delete a record (and its certificate file, once committed); the audit keeps its values."""
    model = type(record)
    audit(
        actor=actor,
        action=f"{_name(model)}.deleted",
        target=record,
        centre=record.centre,
        changes=diff(snapshot(record, FIELDS[model]), {}),
    )
    if model is Training:
        _drop_certificate(record)
    record.delete()


# --- 核定编制 ------------------------------------------------------------------------------


def _quota_taken() -> DomainError:
    return DomainError(
        _("This kind of establishment already has a figure from that day; edit that one.")
    )


@transaction.atomic
def quota_create(*, centre: Centre, data: dict, actor) -> EstablishmentQuota:
    """Record a 核定编制数 of one kind from a day on."""
    try:
        with transaction.atomic():
            quota = EstablishmentQuota.objects.create(centre=centre, **data)
    except IntegrityError as exc:
        raise _quota_taken() from exc
    fields = FIELDS[EstablishmentQuota]
    audit(
        actor=actor,
        action="staff.establishmentquota.created",
        target=quota,
        centre=centre,
        changes=diff({}, snapshot(quota, fields)),
    )
    return quota


@transaction.atomic
def quota_update(
    *, quota: EstablishmentQuota, data: dict, based_on: str, actor
) -> EstablishmentQuota:
    """Correct a quota row unless someone saved it since the form was opened."""
    fields = FIELDS[EstablishmentQuota]
    stale.claim(quota, based_on=based_on, fields=fields)
    fresh = EstablishmentQuota.objects.get(pk=quota.pk)
    before = snapshot(fresh, fields)
    for name, value in data.items():
        setattr(fresh, name, value)
    changes = diff(before, snapshot(fresh, fields))
    if changes:
        try:
            with transaction.atomic():
                fresh.save()
        except IntegrityError as exc:
            raise _quota_taken() from exc
        audit(
            actor=actor,
            action="staff.establishmentquota.updated",
            target=fresh,
            centre=fresh.centre,
            changes=changes,
        )
    return fresh


@transaction.atomic
def quota_delete(*, quota: EstablishmentQuota, actor) -> None:
    audit(
        actor=actor,
        action="staff.establishmentquota.deleted",
        target=quota,
        centre=quota.centre,
        changes=diff(snapshot(quota, FIELDS[EstablishmentQuota]), {}),
    )
    quota.delete()
