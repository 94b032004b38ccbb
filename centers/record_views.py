"""List, add, edit and delete for each simple record kind (centers/records.py), with htmx.

Every mutation answers with the refreshed #record-section; invalid input comes back in the form
with what was typed and the message beside the field.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.stale import StaleEdit, conflict_status

from . import actions
from .access import CentreRequest, centre_view
from .permissions import EDIT_RECORDS, VIEW_CENTRE
from .records import RecordKind

TEMPLATE = "centers/record_list.html"
PAGE_ROWS = 50  # a year of work records is a few hundred: pages keep the list and its form in view


def _form(kind: RecordKind, request: CentreRequest, **kwargs):
    return kind.form(**kwargs, **kind.form_kwargs(request.centre))


def _section(
    request: CentreRequest, kind: RecordKind, form=None, editing=None, status: int = 200
) -> HttpResponse:
    """The whole list page, or only its section for htmx."""
    can_edit = request.access.can(EDIT_RECORDS)
    if form is None and can_edit:
        form = _form(kind, request, initial=kind.initial(request.centre))
    page = Paginator(kind.rows(centre=request.centre), PAGE_ROWS).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)  # the pager keeps the rest (an activity list's period)
    context = {
        "kind": kind,
        "rows": page.object_list,
        "page": page,
        "query": query.urlencode(),
        "form": form,
        "editing": editing,
        "can_edit": can_edit,
        **kind.summary(request),
    }
    template = TEMPLATE + "#record-section" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)


def _saved(request: CentreRequest, kind: RecordKind, message: str) -> HttpResponse:
    messages.success(request, message)
    if not request.htmx:
        return redirect(kind.list_url, request.centre.slug)
    return _section(request, kind)


def list_view(kind: RecordKind) -> Callable:
    @centre_view(VIEW_CENTRE)
    @require_GET
    def view(request: CentreRequest) -> HttpResponse:
        return _section(request, kind)

    view.__name__ = f"{kind.key}_list"
    return view


def add_view(kind: RecordKind) -> Callable:
    @centre_view(EDIT_RECORDS)
    @require_http_methods(["GET", "POST"])
    def view(request: CentreRequest) -> HttpResponse:
        if request.method == "GET":  # a fresh form, e.g. after cancelling an edit
            form = _form(kind, request, initial=kind.initial(request.centre))
            return render(request, TEMPLATE + "#record-form", {"kind": kind, "form": form})
        form = _form(kind, request, data=request.POST)
        if not form.is_valid():
            return _section(request, kind, form=form)
        try:
            actions.record_create(
                centre=request.centre, model=kind.model, data=form.values(), actor=request.user
            )
        except IntegrityError:  # the same unique row saved by someone else a moment ago
            form.add_error(None, _("This record was just saved by someone else; reload the page."))
            return _section(request, kind, form=form)
        return _saved(request, kind, _("Saved."))

    view.__name__ = f"{kind.key}_add"
    return view


def edit_view(kind: RecordKind) -> Callable:
    @centre_view(EDIT_RECORDS)
    @require_http_methods(["GET", "POST"])
    def view(request: CentreRequest, pk: int) -> HttpResponse:
        record = get_object_or_404(kind.model, centre=request.centre, pk=pk)
        if request.method == "GET":
            form = _form(kind, request, instance=record)
            context = {"kind": kind, "form": form, "editing": record}
            if request.htmx:
                return render(request, TEMPLATE + "#record-form", context)
            return _section(request, kind, form=form, editing=record)
        form = _form(kind, request, data=request.POST, instance=record)
        if not form.is_valid():
            return _section(request, kind, form=form, editing=record)
        try:
            actions.record_update(
                record=record,
                data=form.values(),
                based_on=form.cleaned_data["based_on"],
                actor=request.user,
            )
        except StaleEdit as exc:
            form.refuse(exc)
            return _section(request, kind, form, record, status=conflict_status(request))
        except IntegrityError:
            form.add_error(None, _("This record was just saved by someone else; reload the page."))
            return _section(request, kind, form=form, editing=record)
        return _saved(request, kind, _("Saved."))

    view.__name__ = f"{kind.key}_edit"
    return view


def delete_view(kind: RecordKind) -> Callable:
    @centre_view(EDIT_RECORDS)
    @require_POST
    def view(request: CentreRequest, pk: int) -> HttpResponse:
        record = get_object_or_404(kind.model, centre=request.centre, pk=pk)
        actions.record_delete(record=record, actor=request.user)
        return _saved(request, kind, _("Deleted."))

    view.__name__ = f"{kind.key}_delete"
    return view


def record_urls(kinds) -> list:
    """The four URLs of each record kind, named <key>-list/-add/-edit/-delete."""
    from django.urls import path

    urls = []
    for kind in kinds:
        base = f"centres/<slug:centre_slug>/{kind.path}/"
        urls += [
            path(base, list_view(kind), name=f"{kind.key}-list"),
            path(base + "add/", add_view(kind), name=f"{kind.key}-add"),
            path(base + "<int:pk>/edit/", edit_view(kind), name=f"{kind.key}-edit"),
            path(base + "<int:pk>/delete/", delete_view(kind), name=f"{kind.key}-delete"),
        ]
    return urls
