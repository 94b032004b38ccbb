"""Writes to the roster; each is atomic and audited (who, when, old → new)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from centers.models import Centre
from core import stale
from core.audit import audit, diff, snapshot
from core.errors import DomainError

from .models import Person, Spell

PERSON_FIELDS = ("name", "gender", "birth_date", "id_number", "education", "degree", "party_member")
SPELL_FIELDS = (
    "hired_on",
    "left_on",
    "leave_reason",
    "category",
    "practice_type",
    "general_practice",
    "title",
    "title_name",
    "establishment",
    "contract_kind",
    "position",
    "department",
)


# Someone who may not see 身份证号 learns, from a refused duplicate, that a number they guessed is
# on the roster. That refusal cannot be avoided, so each one is audited (the count, never the
# numbers) and after ID_CONFLICT_LIMIT of them in ID_CONFLICT_WINDOW they may enter no full
# number at all (staff.selectors.id_number_entry_blocked).
ID_CONFLICT = "staff.id_number.conflict"
ID_REFUSED = "staff.id_number.refused"
ID_CONFLICT_LIMIT = 3
ID_CONFLICT_WINDOW = dt.timedelta(hours=24)
ID_ENTRY_BLOCKED = gettext_lazy(
    "You have entered identity card numbers of other people on the roster several times; for "
    "now you cannot enter full identity card numbers. Ask a centre manager."
)


def id_number_probe_record(*, actor, centre: Centre, target, action: str, count: int) -> None:
    """Audit a conflict or refusal (never the number): managers see probing, the limit counts."""
    audit(actor=actor, action=action, target=target, centre=centre, changes={"count": count})


def _audit(actor, action: str, target, centre, changes: dict) -> None:
    if changes:
        audit(actor=actor, action=action, target=target, centre=centre, changes=changes)


def _check_no_overlap(person: Person, hired_on: dt.date, left_on, exclude_pk=None) -> None:
    """A person holds one post at a time: spells may not overlap."""
    others = Spell.objects.filter(person=person).exclude(pk=exclude_pk)
    for other in others:
        other_end = other.left_on or dt.date.max
        this_end = left_on or dt.date.max
        if hired_on <= other_end and other.hired_on <= this_end:
            raise DomainError(
                _("This overlaps %(name)s's employment from %(start)s; spells may not overlap.")
                % {"name": person.name, "start": other.hired_on}
            )


@transaction.atomic
def staff_create(*, centre: Centre, person_data: dict, spell_data: dict, actor) -> Spell:
    """Add a new person to the roster with their first spell."""
    person = Person.objects.create(centre=centre, **person_data)
    spell = Spell.objects.create(person=person, centre=centre, **spell_data)
    _audit(actor, "staff.person.created", person, centre, diff({}, snapshot(person, PERSON_FIELDS)))
    _audit(actor, "staff.spell.created", spell, centre, diff({}, snapshot(spell, SPELL_FIELDS)))
    return spell


@transaction.atomic
def staff_update(
    *, spell: Spell, person_data: dict, spell_data: dict, based_on: str, actor
) -> Spell:
    """Correct a person's details and one of their spells, unless someone saved them meanwhile.

    `based_on` is core.stale's stamp of the person and the spell, in that order.
    """
    stale.claim(spell.person, spell, based_on=based_on, fields=PERSON_FIELDS + SPELL_FIELDS)
    person = Person.objects.get(pk=spell.person_id)
    fresh = Spell.objects.get(pk=spell.pk)
    fresh.person = person
    before_person = snapshot(person, PERSON_FIELDS)
    before_spell = snapshot(fresh, SPELL_FIELDS)
    _check_no_overlap(
        person, spell_data["hired_on"], spell_data.get("left_on"), exclude_pk=spell.pk
    )
    for name, value in person_data.items():
        setattr(person, name, value)
    person.save()
    for name, value in spell_data.items():
        setattr(fresh, name, value)
    fresh.save()
    centre = fresh.centre
    _audit(
        actor,
        "staff.person.updated",
        person,
        centre,
        diff(before_person, snapshot(person, PERSON_FIELDS)),
    )
    _audit(
        actor,
        "staff.spell.updated",
        fresh,
        centre,
        diff(before_spell, snapshot(fresh, SPELL_FIELDS)),
    )
    return fresh


@transaction.atomic
def staff_depart(*, spell: Spell, left_on: dt.date, reason: str, based_on: str, actor) -> Spell:
    """Record that someone left: the spell ends on that day, which still counts.

    `based_on` is the spell's stamp from the departure form: a spell corrected meanwhile is
    shown again rather than ended blind.
    """
    stale.claim(spell, based_on=based_on, fields=("hired_on", "left_on", "leave_reason"))
    fresh = Spell.objects.select_for_update().get(pk=spell.pk)
    if fresh.left_on is not None:
        raise DomainError(_("This spell has already ended."))
    if left_on < fresh.hired_on:
        raise DomainError(_("The date left cannot be before the date hired."))
    before = snapshot(fresh, SPELL_FIELDS)
    fresh.left_on, fresh.leave_reason = left_on, reason
    fresh.save(update_fields=["left_on", "leave_reason", "updated_at"])
    _audit(
        actor, "staff.spell.ended", fresh, fresh.centre, diff(before, snapshot(fresh, SPELL_FIELDS))
    )
    return fresh


@transaction.atomic
def staff_rehire(*, person: Person, spell_data: dict, actor) -> Spell:
    """Someone comes back: a new spell; the earlier ones stay as they were."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    _check_no_overlap(person, spell_data["hired_on"], spell_data.get("left_on"))
    spell = Spell.objects.create(person=person, centre=person.centre, **spell_data)
    _audit(
        actor, "staff.spell.created", spell, person.centre, diff({}, snapshot(spell, SPELL_FIELDS))
    )
    return spell
