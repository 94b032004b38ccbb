"""Reads about organisations and who belongs where."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from .models import Authority, AuthorityMembership, Centre, CentreMembership


def authority_parent_map() -> dict[int, int | None]:
    """Every authority's parent, in one query: the tree is small (a city has dozens)."""
    return dict(Authority.objects.values_list("id", "parent_id"))


def authority_subtree_ids(
    root_ids: Iterable[int], parents: dict[int, int | None] | None = None
) -> set[int]:
    """The given authorities and all their descendants, at any depth."""
    parents = authority_parent_map() if parents is None else parents
    children: dict[int | None, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    stack = [i for i in root_ids if i in parents]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def authority_ancestor_ids(authority_id: int, parents: dict[int, int | None]) -> list[int]:
    """The authority itself and every authority above it, nearest first."""
    chain: list[int] = []
    current: int | None = authority_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


@dataclass
class Places:
    """Where a user belongs: centre memberships and the authorities they review for."""

    centre_memberships: list[CentreMembership] = field(default_factory=list)
    authority_memberships: list[AuthorityMembership] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.centre_memberships) + len(self.authority_memberships)

    def centre_roles(self, centre_id: int) -> set[str]:
        return {m.role for m in self.centre_memberships if m.centre_id == centre_id}


def user_places(user) -> Places:
    """A user's memberships, two queries; anonymous users have none."""
    if not user.is_authenticated:
        return Places()
    return Places(
        centre_memberships=list(
            CentreMembership.objects.filter(user=user).select_related("centre__sponsor")
        ),
        authority_memberships=list(
            AuthorityMembership.objects.filter(user=user).select_related("authority")
        ),
    )


def reviewed_authority_ids(places: Places) -> set[int]:
    """All authorities a user may read: those they review for and everything below."""
    roots = {m.authority_id for m in places.authority_memberships}
    return authority_subtree_ids(roots) if roots else set()


def centre_list(
    *, authority_ids: Iterable[int], search: str = "", sponsor_id: int | None = None
) -> QuerySet[Centre]:
    """Centres sponsored by the given authorities, filtered by name or address and sponsor."""
    qs = Centre.objects.filter(sponsor_id__in=list(authority_ids)).select_related("sponsor")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(address__icontains=search))
    if sponsor_id is not None:
        qs = qs.filter(sponsor_id=sponsor_id)
    return qs.order_by("sponsor__name", "name")


def authority_options(authority_ids: Iterable[int]) -> QuerySet[Authority]:
    """Authorities for a sponsor filter, by name."""
    return Authority.objects.filter(id__in=list(authority_ids)).order_by("name")


def centre_member_list(*, centre: Centre) -> QuerySet[CentreMembership]:
    """A centre's members with their user, managers first."""
    return (
        CentreMembership.objects.filter(centre=centre)
        .select_related("user")
        .order_by("-role", "user__username")
    )
