"""Writes to import profiles: create, change, copy, delete, each audited in its transaction; a
change made from a stale form is refused (core.stale), never an overwrite."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from centers.models import Authority, Centre
from core import stale
from core.audit import audit, diff, snapshot
from core.errors import DomainError

from .models import ImportProfile

FIELDS = [
    "name",
    "file_type",
    "encoding",
    "header_row",
    "period_column",
    "centre_code_column",
    "centre_name_column",
    "mappings",
    "rows_combine",
]
NAME_TAKEN = _("Another import profile here has this name; choose another.")


def _saved(profile: ImportProfile) -> None:
    """Save, turning a name another save took just now into a refusal."""
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:
        raise DomainError(str(NAME_TAKEN)) from exc


def _owner_taken(profile: ImportProfile) -> bool:
    others = ImportProfile.objects.filter(
        centre=profile.centre, authority=profile.authority, name=profile.name
    )
    return others.exclude(pk=profile.pk).exists()


@transaction.atomic
def profile_create(
    *,
    data: dict,
    actor,
    centre: Centre | None = None,
    authority: Authority | None = None,
    copied_from: str = "",
) -> ImportProfile:
    """A new profile of a centre or of a commission (exactly one); `copied_from` names the
    profile it copies, for the audit."""
    if (centre is None) == (authority is None):
        raise ValueError("a profile belongs to a centre or to a commission")
    profile = ImportProfile(centre=centre, authority=authority, **data)
    if _owner_taken(profile):
        raise DomainError(str(NAME_TAKEN))
    _saved(profile)
    changes = diff({}, snapshot(profile, FIELDS))
    if copied_from:
        changes["copied_from"] = [None, copied_from]
    audit(
        actor=actor,
        action="services.importprofile.copied" if copied_from else "services.importprofile.created",
        target=profile,
        centre=centre,
        changes=changes,
    )
    return profile


@transaction.atomic
def profile_update(*, profile: ImportProfile, data: dict, based_on: str, actor) -> ImportProfile:
    """Change a profile unless someone saved it since the form was opened; audit old → new."""
    stale.claim(profile, based_on=based_on, fields=FIELDS)
    before = snapshot(ImportProfile.objects.get(pk=profile.pk), FIELDS)
    for name, value in data.items():
        setattr(profile, name, value)
    changes = diff(before, snapshot(profile, FIELDS))
    if changes:  # an unchanged save keeps the stamp, so nobody else's form turns stale
        if _owner_taken(profile):
            raise DomainError(str(NAME_TAKEN))
        _saved(profile)
        audit(
            actor=actor,
            action="services.importprofile.changed",
            target=profile,
            centre=profile.centre,
            changes=changes,
        )
    return profile


@transaction.atomic
def profile_delete(*, profile: ImportProfile, actor) -> None:
    """Delete a profile; imports already made through it keep what they wrote (and their own
    copy of the profile in the job)."""
    audit(
        actor=actor,
        action="services.importprofile.deleted",
        target=profile,
        centre=profile.centre,
        changes=diff(snapshot(profile, FIELDS), {}),
    )
    profile.delete()


def _copy_name(source: ImportProfile, centre, authority) -> str:
    """The source's name, numbered when the place has a profile of that name already."""
    taken = set(
        ImportProfile.objects.filter(centre=centre, authority=authority).values_list(
            "name", flat=True
        )
    )
    name, n = source.name, 2
    while name in taken:
        name = f"{source.name[:90]}（{n}）"
        n += 1
    return name


def profile_copy(
    *, source: ImportProfile, actor, centre: Centre | None = None, authority=None
) -> ImportProfile:
    """A commission's (or a shipped) profile copied to a centre or commission, to change there."""
    data = {name: getattr(source, name) for name in FIELDS}
    data["mappings"] = [dict(m) for m in source.mappings]
    data["name"] = _copy_name(source, centre, authority)
    origin = source.authority.name if source.authority_id else _("shipped with the app")
    return profile_create(
        data=data,
        actor=actor,
        centre=centre,
        authority=authority,
        copied_from=f"{source.name}（{origin}）",
    )
