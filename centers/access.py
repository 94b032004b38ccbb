"""The one gate every centre- or authority-scoped view goes through.

A place outside the user's reach is a 404 (we do not reveal that it exists);
a place in reach without the needed capability is a 403.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails
from django_scopes import scope, scopes_disabled

from .models import Authority, AuthorityMembership, Centre
from .permissions import CONFIGURER, REVIEW_FILINGS, REVIEWER, capabilities_of
from .selectors import (
    Places,
    authority_ancestor_ids,
    authority_subtree_ids,
    user_places,
)


@dataclass(frozen=True)
class Access:
    """What the current user may do at one centre or authority, and why."""

    roles: frozenset[str]
    # Capabilities the roles would give but separation of duties withholds here, and the reason.
    withheld: frozenset[str] = frozenset()
    withheld_reason: str = ""

    @property
    def capabilities(self) -> frozenset[str]:
        return capabilities_of(self.roles) - self.withheld

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


class CentreRequest(HttpRequest):
    """A request that passed centre_view: it knows its centre and the user's access."""

    htmx: HtmxDetails
    centre: Centre
    access: Access
    places: Places


class AuthorityRequest(HttpRequest):
    """A request that passed authority_view."""

    htmx: HtmxDetails
    authority: Authority
    authority_subtree: set[int]
    authority_names: dict[int, str]  # every authority's name, in name order
    authority_tree: list  # every authority as centers.selectors.TreeNode, in name order
    access: Access
    places: Places


def request_places(request: HttpRequest) -> Places:
    """The user's memberships, loaded once per request (one query; never kept longer)."""
    if not hasattr(request, "_chc_places"):
        request._chc_places = user_places(request.user)  # type: ignore[attr-defined]
    return request._chc_places  # type: ignore[attr-defined]


def _holds_a_role() -> str:
    return _(
        "You hold a role at this centre, so you cannot review its work; "
        "another reviewer of its commission has to."
    )


def review_refusal(places: Places, centre: Centre) -> str:
    """Why this user may not review the centre's work (filings, lock exceptions); "" if they may.

    Separation of duties: only reviewers of the centre's own sponsoring commission act on it
    (commissions above read it), and never someone who also holds a role at the centre.
    """
    if places.centre_roles(centre.pk):
        return _holds_a_role()
    if not any(m.authority_id == centre.sponsor_id for m in places.authority_memberships):
        return _(
            "Only reviewers of the centre's own commission (%(sponsor)s) can do this; "
            "commissions above it can read but not act."
        ) % {"sponsor": centre.sponsor.name}
    return ""


def confirm_refusal(places: Places, centre: Centre) -> str:
    """Why this user may not confirm (确认) what the centre's commission approved; "" if they may.

    The second level of monthly approval belongs to reviewers of the commission right above the
    centre's sponsor, never to someone who holds a role at the centre.
    """
    parent = places.authority_parents().get(centre.sponsor_id)
    if parent is None:
        return _("%(sponsor)s has no commission above it: its approval needs no confirmation.") % {
            "sponsor": centre.sponsor.name
        }
    if places.centre_roles(centre.pk):
        return _holds_a_role()
    if not any(m.authority_id == parent for m in places.authority_memberships):
        return _("Only reviewers of the commission above %(sponsor)s confirm its approvals.") % {
            "sponsor": centre.sponsor.name
        }
    return ""


def centre_access(places: Places, centre: Centre) -> Access | None:
    """The user's access to a centre, or None when it is outside their reach."""
    roles = set(places.centre_roles(centre.pk))
    if places.authority_memberships:
        above = authority_ancestor_ids(centre.sponsor_id, places.authority_parents())
        if any(m.authority_id in above for m in places.authority_memberships):
            roles.add(REVIEWER)
    if not roles:
        return None
    reason = review_refusal(places, centre) if REVIEWER in roles else ""
    withheld = frozenset({REVIEW_FILINGS}) if reason else frozenset()
    return Access(frozenset(roles), withheld, reason)


def authority_access(
    places: Places, authority: Authority, parents: dict[int, int | None] | None = None
) -> Access | None:
    """A reviewer reaches an authority they review for and every authority below it."""
    if not places.authority_memberships:
        return None
    parents = places.authority_parents() if parents is None else parents
    above = authority_ancestor_ids(authority.pk, parents)
    if any(m.authority_id in above for m in places.authority_memberships):
        own = any(
            m.authority_id == authority.pk and m.role == AuthorityMembership.Role.ADMIN
            for m in places.authority_memberships
        )
        return Access(frozenset({REVIEWER, CONFIGURER} if own else {REVIEWER}))
    return None


def _centre_by_slug(places: Places, slug: str) -> Centre | None:
    """The centre, with its sponsor and funding source; no query when the user holds a role
    there (the places loaded it). A copy, so that a form editing the page's centre leaves the
    switcher's alone."""
    for m in places.centre_memberships:
        if m.centre.slug == slug:
            return copy.copy(m.centre)
    return Centre.objects.select_related("sponsor", "funding_source").filter(slug=slug).first()


def _authority_by_slug(places: Places, slug: str) -> Authority | None:
    """The authority; no query when the user reviews for it (the places loaded it)."""
    for m in places.authority_memberships:
        if m.authority.slug == slug:
            return copy.copy(m.authority)
    return Authority.objects.filter(slug=slug).first()


def centre_view(capability: str) -> Callable:
    """Decorate a view under centres/<centre_slug>/: login, reach (404), capability (403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, centre_slug: str, *args, **kwargs) -> HttpResponse:
            places = request_places(request)
            centre = _centre_by_slug(places, centre_slug)
            access = centre_access(places, centre) if centre else None
            if access is None:
                raise Http404("centre not found")
            if not access.can(capability):
                raise PermissionDenied
            request.centre = centre  # type: ignore[attr-defined]
            request.access = access  # type: ignore[attr-defined]
            request.places = places  # type: ignore[attr-defined]
            with scope(centre=centre):
                return view(request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator


def authority_view(capability: str) -> Callable:
    """Decorate a view under authorities/<authority_slug>/, with the same 404/403 rules."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, authority_slug: str, *args, **kwargs) -> HttpResponse:
            places = request_places(request)
            authority = _authority_by_slug(places, authority_slug)
            tree = places.tree()  # read with a reviewer's memberships: no query
            parents = {node.pk: node.parent_id for node in tree}
            access = authority_access(places, authority, parents) if authority else None
            if access is None:
                raise Http404("authority not found")
            if not access.can(capability):
                raise PermissionDenied
            request.authority = authority  # type: ignore[attr-defined]
            request.authority_subtree = authority_subtree_ids([authority.pk], parents)  # type: ignore[attr-defined]
            request.authority_names = {node.pk: node.name for node in tree}  # type: ignore[attr-defined]
            request.authority_tree = tree  # type: ignore[attr-defined]
            request.access = access  # type: ignore[attr-defined]
            request.places = places  # type: ignore[attr-defined]
            # Authority pages read across the centres of the subtree by design; their selectors
            # filter by request.authority_subtree, so the per-centre scope is off here.
            with scopes_disabled():
                return view(request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator
