"""The certificate page (登载事项, 变更登记), the department checklist and the history."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from core.history import PERSONAL_FIELDS
from core.stale import StaleEdit, conflict_status, stamp

from . import actions, selectors
from .access import CentreRequest, centre_view
from .forms import CentreInfoForm, RegistrationChangeForm, StatementForm
from .models import RegistrationChange
from .permissions import EDIT_RECORDS, VIEW_CENTRE, VIEW_ID_NUMBERS

TEMPLATE = "centers/registration.html"
HISTORY_PAGE = 50


def _statement_context(request: CentreRequest, params) -> dict:
    default_year = timezone.localdate().year - 1  # reports are filed for the previous year
    form = StatementForm(params or None, initial={"year": default_year, "scope": "year"})
    if form.is_valid():
        year, since = form.cleaned_data["year"], form.cleaned_data["scope"] == "since"
    else:
        year, since = default_year, False
    text = selectors.registration_statement(
        centre=request.centre, year=year, since_certificate=since
    )
    return {
        "statement_form": form,
        "statement": text,
        "statement_year": year,
        "statement_is_report": since == selectors.REPORT_SINCE_CERTIFICATE,
    }


def _page(
    request: CentreRequest, *, info_form=None, change_form=None, editing=None, part="", status=200
):
    can_edit = request.access.can(EDIT_RECORDS)
    context = {
        "part": part,
        "info_form": info_form,
        "change_form": change_form
        or (RegistrationChangeForm(centre=request.centre) if can_edit else None),
        "editing": editing,
        "rows": selectors.registration_change_rows(centre=request.centre),
        "can_edit": can_edit,
        **_statement_context(request, request.GET),
    }
    template = TEMPLATE + (f"#{part}" if part and request.htmx else "")
    return render(request, template, context, status=status)


@centre_view(VIEW_CENTRE)
@require_GET
def registration_detail(request: CentreRequest) -> HttpResponse:
    """The certificate data, its change registrations and the generated statement."""
    return _page(request)


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def registration_edit(request: CentreRequest) -> HttpResponse:
    """Edit the certificate data; registered items already filled in stay read-only here."""
    if request.method == "GET":
        return _page(request, info_form=CentreInfoForm(instance=request.centre), part="centre-info")
    form = CentreInfoForm(request.POST, instance=request.centre)
    if form.is_valid():
        try:
            request.centre = actions.centre_update_info(
                centre=request.centre,
                data=form.values(),
                based_on=form.cleaned_data["based_on"],
                actor=request.user,
            )
        except StaleEdit as exc:
            form.refuse(exc)
            status = conflict_status(request)
            return _page(request, info_form=form, part="centre-info", status=status)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            if not request.htmx:
                return redirect("centers:registration", request.centre.slug)
            return _page(request, part="centre-info")
    return _page(request, info_form=form, part="centre-info")


def _change_form_for_edit(
    request: CentreRequest, change: RegistrationChange
) -> RegistrationChangeForm:
    """The recorded change, with its stamp so that a correction made meanwhile is not lost."""
    initial = {f: getattr(change, f) for f in actions.CHANGE_FIELDS}
    initial["based_on"] = stamp(change)
    return RegistrationChangeForm(centre=request.centre, initial=initial)


# Sent with the form when the item list changes: re-render it for the item, save nothing. A POST,
# not a GET, because the values typed may be long texts (业务范围), past the query-string guard.
CHOOSING_ITEM = "choosing_item"


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def change_add(request: CentreRequest) -> HttpResponse:
    """Record a change registration; choosing the item re-renders the form for it (GET or POST)."""
    if request.method == "GET" or CHOOSING_ITEM in request.POST:
        typed = request.GET if request.method == "GET" else request.POST
        form = RegistrationChangeForm.for_item(centre=request.centre, typed=typed)
        return _page(request, change_form=form, part="change-form")
    form = RegistrationChangeForm(request.POST, centre=request.centre)
    if not form.is_valid():
        return _page(request, change_form=form, part="registration-body")
    try:
        change = actions.registration_change_record(
            centre=request.centre, data=form.values(), actor=request.user
        )
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _page(request, change_form=form, part="registration-body")
    return _after_change(request, change)


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def change_edit(request: CentreRequest, pk: int) -> HttpResponse:
    """Correct a recorded change (its dates, values or note)."""
    change = get_object_or_404(RegistrationChange, centre=request.centre, pk=pk)
    if request.method == "GET":
        form = _change_form_for_edit(request, change)
        return _page(request, change_form=form, editing=change, part="change-form")
    form = RegistrationChangeForm(request.POST, centre=request.centre, editing_pk=change.pk)
    form.fields["item"].disabled = True
    form.initial["item"] = change.item
    if not form.is_valid():
        return _page(request, change_form=form, editing=change, part="registration-body")
    try:
        change = actions.registration_change_update(
            change=change,
            data=form.values(),
            based_on=form.cleaned_data["based_on"],
            actor=request.user,
        )
    except StaleEdit as exc:
        form.refuse(exc)
        return _page(
            request,
            change_form=form,
            editing=change,
            part="registration-body",
            status=conflict_status(request),
        )
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _page(request, change_form=form, editing=change, part="registration-body")
    return _after_change(request, change)


@centre_view(EDIT_RECORDS)
@require_POST
def change_delete(request: CentreRequest, pk: int) -> HttpResponse:
    """Delete a recorded change; the item returns to the value before it."""
    change = get_object_or_404(RegistrationChange, centre=request.centre, pk=pk)
    try:
        actions.registration_change_delete(change=change, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Deleted."))
    return _refreshed(request)


def _after_change(request: CentreRequest, change: RegistrationChange) -> HttpResponse:
    messages.success(request, _("Saved."))
    if change.item == RegistrationChange.Item.SPONSOR:
        messages.warning(
            request,
            _(
                "The change of sponsoring authority is recorded. Moving the centre to the new "
                "authority in the system is done by a system administrator."
            ),
        )
    return _refreshed(request)


def _refreshed(request: CentreRequest) -> HttpResponse:
    """After a change the whole page moves (record, list, statement): refresh it all."""
    if not request.htmx:
        return redirect("centers:registration", request.centre.slug)
    request.centre.refresh_from_db()
    return _page(request, part="registration-body")


@centre_view(VIEW_CENTRE)
@require_GET
def registration_statement(request: CentreRequest) -> HttpResponse:
    """The generated 变更登记执行情况 for a year, optionally since the certificate was issued."""
    if not request.htmx:
        return _page(request)
    return render(request, TEMPLATE + "#statement", _statement_context(request, request.GET))


@centre_view(VIEW_CENTRE)
@require_GET
def department_checklist(request: CentreRequest) -> HttpResponse:
    """Open departments against the national standards: present, missing, beds, floor space."""
    today = timezone.localdate()
    checks = selectors.department_checklist(centre=request.centre, on=today)
    return render(request, "centers/department_checklist.html", {"checks": checks, "on": today})


# A record's history is asked for by its audit target type ("app.model", as every record list
# and panel sends it); the centre filter keeps it to the centre's own entries whatever the type.
TARGET_TYPE = re.compile(r"[a-z_]{1,50}\.[a-z_]{1,50}")


@centre_view(VIEW_CENTRE)
@require_GET
def history(request: CentreRequest) -> HttpResponse:
    """Who changed what and when, old → new; for the whole centre or one record."""
    target_type = request.GET.get("type", "")
    target_id = request.GET.get("id", "")
    if not TARGET_TYPE.fullmatch(target_type) or not (target_id.isascii() and target_id.isdigit()):
        target_type = target_id = ""
    before = request.GET.get("before", "")
    before_id = int(before) if before.isascii() and before.isdigit() else None
    entries = selectors.centre_history(
        centre=request.centre,
        target_type=target_type,
        target_id=target_id,
        before_id=before_id,
        limit=HISTORY_PAGE + 1,
        hidden=frozenset() if request.access.can(VIEW_ID_NUMBERS) else PERSONAL_FIELDS,
    )
    more = len(entries) > HISTORY_PAGE
    entries = entries[:HISTORY_PAGE]
    query = {"type": target_type, "id": target_id} if target_type else {}
    if more:
        query["before"] = entries[-1].entry.pk
    context = {
        "entries": entries,
        "one_record": bool(target_type),
        "limit": HISTORY_PAGE,
        "older_query": urlencode(query) if more else "",
    }
    template = "centers/history.html"
    if request.htmx:
        template += "#history-list"
    return render(request, template, context)
