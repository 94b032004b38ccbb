"""Reads for import profiles: which a centre or a commission sees, the indicators a profile may
map to, and the centres an uploader may write."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from centers.access import centre_access
from centers.models import Authority, Centre
from centers.permissions import EDIT_RECORDS
from centers.selectors import Places

from .definitions import centre_path, owned_on, owner_path
from .import_layouts import SHIPPED_PREFIX, shipped_profile, shipped_profiles
from .models import ImportProfile, Indicator


@dataclass
class ProfileLists:
    own: list[ImportProfile]  # editable here
    above: list[ImportProfile]  # the commissions' (for a centre) or those above (a commission)
    shipped: list[ImportProfile]


def centre_profiles(*, centre: Centre) -> ProfileLists:
    """The centre's own profiles, those of every commission from its sponsor up, and the shipped
    layouts (one query)."""
    path = centre_path(centre)
    rows = list(
        ImportProfile.objects.filter(Q(centre=centre) | Q(authority_id__in=path)).select_related(
            "authority"
        )
    )
    own = [p for p in rows if p.centre_id == centre.pk]
    above = [p for p in rows if p.authority_id is not None]
    return ProfileLists(own, above, shipped_profiles())


def authority_profiles(*, authority: Authority, path: frozenset[int]) -> ProfileLists:
    """A commission's own profiles and those of the commissions above it (one query)."""
    rows = list(ImportProfile.objects.filter(authority_id__in=path).select_related("authority"))
    own = [p for p in rows if p.authority_id == authority.pk]
    above = [p for p in rows if p.authority_id != authority.pk]
    return ProfileLists(own, above, shipped_profiles())


def own_centre_profile(*, centre: Centre, pk: int) -> ImportProfile:
    """One of the centre's own profiles; anything else is a 404."""
    found = ImportProfile.objects.filter(centre=centre, pk=pk).first()
    if found is None:
        raise Http404("no such profile")
    return found


def own_authority_profile(*, authority: Authority, pk: int) -> ImportProfile:
    found = ImportProfile.objects.filter(authority=authority, pk=pk).first()
    if found is None:
        raise Http404("no such profile")
    return found


def usable_profile(*, centre: Centre, ref: str) -> ImportProfile | None:
    """A profile the centre may import through: its own, a commission's on its path, or a
    shipped layout (ref "shipped:<key>"); None otherwise."""
    if ref.startswith(SHIPPED_PREFIX):
        return shipped_profile(ref.removeprefix(SHIPPED_PREFIX))
    if not ref.isdigit() or len(ref) > 12:
        return None
    return (
        ImportProfile.objects.filter(pk=int(ref))
        .filter(Q(centre=centre) | Q(authority_id__in=centre_path(centre)))
        .first()
    )


def copyable_profile(*, path: frozenset[int], ref: str) -> ImportProfile | None:
    """A profile that may be copied into a place whose commission path is `path`: a shipped
    layout, or a profile of a commission on that path."""
    if ref.startswith(SHIPPED_PREFIX):
        return shipped_profile(ref.removeprefix(SHIPPED_PREFIX))
    if not ref.isdigit() or len(ref) > 12:
        return None
    return ImportProfile.objects.filter(pk=int(ref), authority_id__in=path).first()


def profile_ref(profile: ImportProfile) -> str:
    """What a form names a profile by."""
    key = getattr(profile, "shipped_key", None)
    return f"{SHIPPED_PREFIX}{key}" if key else str(profile.pk)


def mapping_indicators(*, path: frozenset[int]) -> list[Indicator]:
    """The active indicators a profile of a place on this commission path may map a column to
    (the system's and those of the path's commissions), in catalogue order. Whether one is in
    force in a month is the import's question, per row."""
    indicators = Indicator.objects.filter(is_active=True).order_by("category", "position", "code")
    return [i for i in indicators if owned_on(i, path)]


def centre_mapping_indicators(*, centre: Centre) -> list[Indicator]:
    return mapping_indicators(path=centre_path(centre))


def authority_mapping_indicators(*, authority: Authority) -> list[Indicator]:
    return mapping_indicators(path=owner_path(authority.pk))


def writable_centres(places: Places) -> list[Centre]:
    """The centres where these places may enter data: a multi-centre file's rows may go only to
    these (read from the memberships already loaded: no query)."""
    found: dict[int, Centre] = {}
    for membership in places.centre_memberships:
        centre = membership.centre
        access = centre_access(places, centre)
        if access is not None and access.can(EDIT_RECORDS):
            found[centre.pk] = centre
    return list(found.values())
