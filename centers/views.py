"""Pages for places: the home router, a centre's overview and members, a reviewer's centres."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.errors import DomainError
from core.pagination import CountingPaginator

from . import actions, selectors
from .access import AuthorityRequest, CentreRequest, authority_view, centre_view, request_places
from .forms import CentreFilterForm, MembershipAddForm, MembershipRoleForm
from .models import CentreMembership
from .permissions import MANAGE_MEMBERS, MANAGER, VIEW_AUTHORITY, VIEW_CENTRE

CENTRES_PER_PAGE = 25


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send a person with one place straight there; otherwise let them choose."""
    places = request_places(request)
    if places.count == 1 and places.centre_memberships:
        return redirect("centers:centre-detail", places.centre_memberships[0].centre.slug)
    if places.count == 1:
        return redirect(
            "centers:authority-centre-list", places.authority_memberships[0].authority.slug
        )
    return render(request, "centers/home.html", {"places": places})


@centre_view(VIEW_CENTRE)
@require_GET
def centre_detail(request: CentreRequest) -> HttpResponse:
    """A centre's overview: registered items, licence alerts, latest figures and the team."""
    context = {
        "members": selectors.centre_member_list(centre=request.centre),
        "licences": selectors.licence_list(centre=request.centre),
        "figures": selectors.latest_year(centre=request.centre),
        "certificate_status": selectors.certificate_status(centre=request.centre),
    }
    return render(request, "centers/centre_detail.html", context)


def _members_context(request: CentreRequest, form=None) -> dict:
    return {
        "members": selectors.centre_member_list(centre=request.centre),
        "form": form or MembershipAddForm(),
        "role_choices": CentreMembership.Role.choices,
    }


def _members_response(request: CentreRequest, context: dict) -> HttpResponse:
    template = "centers/member_list.html"
    if request.htmx:
        template += "#members-section"
    return render(request, template, context)


@centre_view(MANAGE_MEMBERS)
@require_GET
def member_list(request: CentreRequest) -> HttpResponse:
    """The centre's members, with forms to add, re-role and remove them."""
    return _members_response(request, _members_context(request))


@centre_view(MANAGE_MEMBERS)
@require_POST
def member_add(request: CentreRequest) -> HttpResponse:
    """Add a member; on any error the form comes back with what was typed."""
    form = MembershipAddForm(request.POST)
    if form.is_valid():
        try:
            membership = actions.membership_grant(
                centre=request.centre, actor=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(user)s was added.") % {"user": membership.user})
            if not request.htmx:
                return redirect("centers:member-list", request.centre.slug)
            return _members_response(request, _members_context(request))
    return _members_response(request, _members_context(request, form=form))


@centre_view(MANAGE_MEMBERS)
@require_POST
def member_role(request: CentreRequest, pk: int) -> HttpResponse:
    """Change one member's role."""
    membership = get_object_or_404(CentreMembership, centre=request.centre, pk=pk)
    form = MembershipRoleForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Choose a valid role.")
    else:
        try:
            membership = actions.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], actor=request.user
            )
        except DomainError as exc:
            error = str(exc)
    if not error and membership.user_id == request.user.pk and membership.role != MANAGER:
        # A manager who made themselves a clerk can no longer manage members.
        messages.success(request, _("The role was changed."))
        return _leave(request, reverse("centers:centre-detail", args=[request.centre.slug]))
    return _after_member_change(request, error, _("The role was changed."))


@centre_view(MANAGE_MEMBERS)
@require_POST
def member_remove(request: CentreRequest, pk: int) -> HttpResponse:
    """Remove one member from the centre (the account itself stays)."""
    membership = get_object_or_404(CentreMembership, centre=request.centre, pk=pk)
    error = ""
    try:
        actions.membership_revoke(membership=membership, actor=request.user)
    except DomainError as exc:
        error = str(exc)
    if not error and membership.user_id == request.user.pk:
        # Whoever removes themselves no longer reaches this page.
        messages.success(request, _("You left the centre."))
        return _leave(request, reverse("home"))
    return _after_member_change(request, error, _("The member was removed."))


def _leave(request: CentreRequest, url: str) -> HttpResponse:
    """Send the user elsewhere: a full-page redirect, also for htmx."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _after_member_change(request: CentreRequest, error: str, success: str) -> HttpResponse:
    """Report the outcome as a message; htmx gets the refreshed section, which shows it."""
    if error:
        messages.error(request, error)
    else:
        messages.success(request, success)
    if not request.htmx:
        return redirect("centers:member-list", request.centre.slug)
    return _members_response(request, _members_context(request))


@authority_view(VIEW_AUTHORITY)
@require_GET
def authority_centre_list(request: AuthorityRequest) -> HttpResponse:
    """Every centre the authority or its sub-authorities sponsor, searchable and paged."""
    subtree = request.authority_subtree
    sponsors = [(pk, name) for pk, name in request.authority_names.items() if pk in subtree]
    form = CentreFilterForm(request.GET, sponsors=sponsors)
    form.is_valid()  # an invalid filter is ignored; the valid ones still apply
    filters = form.cleaned_data
    centres = selectors.centre_list(
        authority_ids=subtree,
        search=filters.get("q") or "",
        sponsor_id=filters.get("sponsor"),
    )
    page = CountingPaginator(centres, CENTRES_PER_PAGE).get_page(request.GET.get("page"))
    template = "centers/authority_centre_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#centre-table"
    context = {
        "form": form,
        "page": page,
        "query": _query(request),
        "this_year": timezone.localdate().year,
    }
    return render(request, template, context)


def _query(request: HttpRequest) -> str:
    """The current filters as a query string, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
