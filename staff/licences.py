"""Reads about practising registrations (执业注册): validity, what a post requires, who practises
without a valid registration, and the expiries the daily reminders announce.

A registration is valid on a day from its issue to its expiry (none: no expiry), and only when
it is registered at this centre. A post needs (Spell.category, practice type, 全科):
- 执业医师: a physician's registration of the same practice category;
- 执业助理医师: an assistant physician's (or a physician's) registration of that category;
- registered in 全科: also the general-practice registration;
- 注册护士: a nurse's practising certificate.
A registration without a practice category recorded is taken to match any (imports often lack
it). Pharmacists, technicians and others need none here: hospital pharmacists practise on their
专业技术资格, not on 执业药师 registration.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from centers.models import Centre

from .models import Category, LicenceKind, PractisingLicence, Spell
from .selectors import in_service

# Warned this many days before expiry, then again within the last 30 (Notification kinds).
EXPIRY_WARN_DAYS = 90
EXPIRY_URGENT_DAYS = 30
LICENCE_SHOWN = 4  # characters of a certificate number shown to those who may not see it
# The registrations that carry a practice category (临床, 中医, 口腔, 公共卫生).
PHYSICIAN_LICENCES = frozenset(
    {LicenceKind.PHYSICIAN, LicenceKind.ASSISTANT_PHYSICIAN, LicenceKind.GENERAL_PRACTICE}
)


def mask_licence_number(value: str) -> str:
    """1105*********** : the issuing region stays readable, the person's number does not."""
    if not value:
        return ""
    return value[:LICENCE_SHOWN] + "*" * max(len(value) - LICENCE_SHOWN, 4)


def is_masked(value: str) -> bool:
    return "*" in value


class Status:
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NOT_YET = "not_yet"


def licence_status(licence: PractisingLicence, today: dt.date) -> str:
    """valid, expiring (within EXPIRY_WARN_DAYS), expired, or not yet valid, on `today`."""
    if licence.issued_on > today:
        return Status.NOT_YET
    if licence.valid_to is None:
        return Status.VALID
    if licence.valid_to < today:
        return Status.EXPIRED
    if (licence.valid_to - today).days <= EXPIRY_WARN_DAYS:
        return Status.EXPIRING
    return Status.VALID


@dataclass(frozen=True)
class Requirement:
    label: str
    kinds: frozenset[str]
    practice_type: str  # "" when any category will do


def requirements(spell: Spell) -> list[Requirement]:
    """The registrations a post needs to practise (module docstring)."""
    needs = []
    practice = spell.practice_type or ""
    if spell.category == Category.PHYSICIAN:
        needs.append(
            Requirement(_("physician registration"), frozenset({LicenceKind.PHYSICIAN}), practice)
        )
    elif spell.category == Category.ASSISTANT_PHYSICIAN:
        kinds = frozenset({LicenceKind.ASSISTANT_PHYSICIAN, LicenceKind.PHYSICIAN})
        needs.append(Requirement(_("assistant physician registration"), kinds, practice))
    elif spell.category == Category.NURSE:
        needs.append(Requirement(_("nurse registration"), frozenset({LicenceKind.NURSE}), ""))
    if spell.general_practice and spell.category in (
        Category.PHYSICIAN,
        Category.ASSISTANT_PHYSICIAN,
    ):
        kinds = frozenset({LicenceKind.GENERAL_PRACTICE})
        needs.append(Requirement(_("general practice registration"), kinds, ""))
    return needs


NEEDS_REGISTRATION = Q(
    category__in=[Category.PHYSICIAN, Category.ASSISTANT_PHYSICIAN, Category.NURSE]
)


def _same_category(need: Requirement, licence: PractisingLicence) -> bool:
    wanted, held = need.practice_type, licence.practice_type
    return not wanted or not held or wanted == held


def _meets(need: Requirement, licences: Iterable[PractisingLicence], day: dt.date) -> bool:
    return any(
        lic.kind in need.kinds
        and lic.registered_here
        and lic.valid_on(day)
        and _same_category(need, lic)
        for lic in licences
    )


def gaps_of(spell: Spell, licences: Iterable[PractisingLicence], day: dt.date) -> list[str]:
    """What the post needs that none of these registrations gives on `day` (labels)."""
    licences = list(licences)
    return [need.label for need in requirements(spell) if not _meets(need, licences, day)]


def registration_gaps(*, spells: Iterable[Spell], day: dt.date) -> dict[int, list[str]]:
    """Per spell serving on `day`, the registrations it lacks; one query for all their people."""
    serving = [
        s
        for s in spells
        if s.hired_on <= day and (s.left_on is None or s.left_on >= day) and requirements(s)
    ]
    if not serving:
        return {}
    by_person = defaultdict(list)
    for lic in PractisingLicence.objects.filter(person_id__in={s.person_id for s in serving}):
        by_person[lic.person_id].append(lic)
    found = {}
    for spell in serving:
        if missing := gaps_of(spell, by_person[spell.person_id], day):
            found[spell.pk] = missing
    return found


@dataclass(frozen=True)
class Unregistered:
    spell: Spell
    missing: list[str]


def unregistered(*, centre: Centre, day: dt.date) -> list[Unregistered]:
    """Everyone serving on `day` whose post lacks a valid registration, in two queries."""
    spells = list(
        Spell.objects.filter(in_service(day), NEEDS_REGISTRATION | Q(general_practice=True))
        .filter(centre=centre)
        .select_related("person")
        .order_by("person__name", "hired_on")
    )
    gaps = registration_gaps(spells=spells, day=day)
    return [Unregistered(s, gaps[s.pk]) for s in spells if s.pk in gaps]


def licence_list(
    *, centre: Centre, today: dt.date, status: str = "", kind: str = "", search: str = ""
) -> QuerySet[PractisingLicence]:
    """The centre's registrations, filtered by their status on `today`, kind and name."""
    qs = PractisingLicence.objects.filter(centre=centre).select_related("person")
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(person__name__icontains=search)
    horizon = today + dt.timedelta(days=EXPIRY_WARN_DAYS)
    started = Q(issued_on__lte=today)
    if status == Status.VALID:
        qs = qs.filter(started, Q(valid_to__isnull=True) | Q(valid_to__gt=horizon))
    elif status == Status.EXPIRING:
        qs = qs.filter(started, valid_to__range=(today, horizon))
    elif status == Status.EXPIRED:
        qs = qs.filter(valid_to__lt=today)
    elif status == Status.NOT_YET:
        qs = qs.filter(issued_on__gt=today)
    return qs.order_by("person__name", "kind", "-issued_on")


def person_licences(*, person_id: int) -> QuerySet[PractisingLicence]:
    return PractisingLicence.objects.filter(person_id=person_id).order_by("kind", "-issued_on")


# --- the expiries the daily reminders send (reporting.reminders) -------------------------


@dataclass(frozen=True)
class LicenceExpiry:
    centre_id: int
    licence_id: int
    person_id: int
    person: str
    kind: str  # the registration's label
    valid_to: dt.date
    days: int  # until expiry; negative once expired

    @property
    def urgency(self) -> str:
        """expired, 30 (days or fewer) or 90."""
        if self.days < 0:
            return Status.EXPIRED
        return "30" if self.days <= EXPIRY_URGENT_DAYS else "90"


def licence_expiries(*, centre_ids: list[int], today: dt.date) -> list[LicenceExpiry]:
    """Registrations of people serving today that expire within EXPIRY_WARN_DAYS or have
    expired, unless a later registration of the same kind replaced them; one query.

    staff cannot import reporting: the reminders (reporting.reminders) read this and deliver.
    """
    horizon = today + dt.timedelta(days=EXPIRY_WARN_DAYS)
    renewed = PractisingLicence.objects.filter(
        person_id=OuterRef("person_id"), kind=OuterRef("kind"), issued_on__gt=OuterRef("issued_on")
    )
    serving = Spell.objects.filter(in_service(today), person_id=OuterRef("person_id"))
    rows = (
        PractisingLicence.objects.filter(
            centre_id__any_of=centre_ids, registered_here=True, valid_to__lte=horizon
        )
        .filter(Exists(serving), ~Exists(renewed))
        .select_related("person")
        .order_by("valid_to", "person__name", "pk")
    )
    return [
        LicenceExpiry(
            centre_id=lic.centre_id,
            licence_id=lic.pk,
            person_id=lic.person_id,
            person=lic.person.name,
            kind=lic.get_kind_display(),
            valid_to=lic.valid_to,
            days=(lic.valid_to - today).days,
        )
        for lic in rows
    ]
