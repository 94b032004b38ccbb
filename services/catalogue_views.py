"""A commission's catalogue: its own indicators, rates, rules and activity kinds, and, to read,
those of the commissions above and the system's.

Reviewers of the commission and of those above read it; the commission's own administrators
(CONFIGURE_COMMISSION) change it. A definition owned by anyone else is a 404 under this page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from centers.access import AuthorityRequest, authority_view
from centers.permissions import CONFIGURE_COMMISSION, VIEW_AUTHORITY
from centers.selectors import authority_ancestor_ids
from core.errors import DomainError
from core.stale import StaleEdit, conflict_status

from . import catalogue_actions as actions
from .catalogue_selectors import (
    COUNTING_FIELDS,
    KINDS,
    catalogue_sections,
    change_reach,
)
from .forms import DEFINITION_FORMS, RetireForm
from .models import Definition, Rate

FORM = "services/catalogue/definition_form.html"


def _model(kind: str) -> type[Definition]:
    if kind not in KINDS:
        raise Http404("no such section")
    return KINDS[kind]


def _own(request: AuthorityRequest, kind: str, pk: int) -> Definition:
    """Only the commission's own definitions are changed under it."""
    return get_object_or_404(_model(kind), pk=pk, owner=request.authority)


def _back(request: AuthorityRequest) -> HttpResponse:
    """To the top of the catalogue, where the message saying what happened shows (an anchor to
    the section would scroll it out of sight)."""
    url = reverse("services:catalogue", args=[request.authority.slug])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _path(request: AuthorityRequest) -> frozenset[int]:
    """The commission and those above it, from the tree the gate already read."""
    parents = {node.pk: node.parent_id for node in request.authority_tree}
    return frozenset(authority_ancestor_ids(request.authority.pk, parents))


@authority_view(VIEW_AUTHORITY)
@require_GET
def catalogue(request: AuthorityRequest) -> HttpResponse:
    """Every definition the commission's centres see, its own ones editable by its admins."""
    context = {
        "sections": catalogue_sections(authority=request.authority, path=_path(request)),
        "names": request.authority_names,
        "can_edit": request.access.can(CONFIGURE_COMMISSION),
    }
    return render(request, "services/catalogue/catalogue.html", context)


def _form_page(request, kind, form, definition=None, reach=None, status=200) -> HttpResponse:
    context = {"form": form, "kind": kind, "definition": definition, "reach": reach}
    template = FORM + "#definition-form" if request.htmx else FORM
    return render(request, template, context, status=status)


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def definition_create(request: AuthorityRequest, kind: str) -> HttpResponse:
    """A new definition of the commission."""
    model = _model(kind)
    form = DEFINITION_FORMS[model](
        request.POST or None, authority=request.authority, path=_path(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.definition_create(
                model=model, authority=request.authority, data=form.values(), actor=request.user
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The definition was saved."))
            return _back(request)
    return _form_page(request, kind, form)


def _involved(definition: Definition) -> set[int]:
    """The indicators whose data a definition counts, as stored (read before the form binds:
    validating a ModelForm writes the new values onto its instance)."""
    if isinstance(definition, Rate):
        return {definition.numerator_id, definition.denominator_id}
    return {definition.pk}


def _reach(request: AuthorityRequest, definition: Definition, form, before: set[int]):
    """What a change of counted fields reaches (the data of the indicators involved before
    and after), or None when the edit counts nothing anew."""
    fields = COUNTING_FIELDS.get(type(definition), ())
    if not any(name in form.changed_data for name in fields):
        return None
    ids = before | _involved(definition)
    return change_reach(authority_ids=request.authority_subtree, indicator_ids=ids)


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def definition_edit(request: AuthorityRequest, kind: str, pk: int) -> HttpResponse:
    """Change a definition; a change of what is counted shows whom it reaches, then saves on
    confirmation (a second POST with confirm=1)."""
    definition = _own(request, kind, pk)
    before = _involved(definition)
    form = DEFINITION_FORMS[type(definition)](
        request.POST or None, instance=definition, authority=request.authority, path=_path(request)
    )
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, kind, form, definition)
    reach = _reach(request, definition, form, before)
    if reach is not None and request.POST.get("confirm") != "1":
        return _form_page(request, kind, form, definition, reach)
    starts = form.cleaned_data.get("formula_from")
    try:
        if starts is not None:  # a new version: the months before keep the old formula
            actions.rate_new_version(
                rate=definition,
                data={name: form.cleaned_data[name] for name in form.FORMULA}
                | {"name": form.cleaned_data["name"]},
                starts=starts,
                based_on=form.cleaned_data["based_on"],
                actor=request.user,
            )
        else:
            actions.definition_update(
                definition=definition,
                data=form.values(),
                based_on=form.cleaned_data["based_on"],
                actor=request.user,
            )
    except StaleEdit as exc:
        form.refuse(exc)
        return _form_page(request, kind, form, definition, status=conflict_status(request))
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _form_page(request, kind, form, definition)
    messages.success(request, _("The definition was saved."))
    return _back(request)


@authority_view(CONFIGURE_COMMISSION)
@require_http_methods(["GET", "POST"])
def definition_retire(request: AuthorityRequest, kind: str, pk: int) -> HttpResponse:
    """End a definition's months: what was counted stays, later months no longer see it."""
    definition = _own(request, kind, pk)
    form = RetireForm(request.POST or None, definition=definition)
    if request.method == "POST" and form.is_valid():
        try:
            actions.definition_retire(
                definition=definition, until=form.cleaned_data["until"], actor=request.user
            )
        except DomainError as exc:
            form.add_error("until", str(exc))
        else:
            messages.success(request, _("The definition was retired."))
            return _back(request)
    context = {"form": form, "kind": kind, "definition": definition}
    return render(request, "services/catalogue/retire.html", context)


@authority_view(CONFIGURE_COMMISSION)
@require_POST
def definition_delete(request: AuthorityRequest, kind: str, pk: int) -> HttpResponse:
    """Delete a definition nothing used; otherwise say why it can only be retired."""
    definition = _own(request, kind, pk)
    try:
        actions.definition_delete(definition=definition, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The definition was deleted."))
    return _back(request)
