"""The centre's 党支部 page: the branch, its committee, its members on a day, transfers and
发展党员, with htmx editors; 三会一课 compliance arrives as a fragment from reporting.

Every editor answers an htmx post with the refreshed #party-body (the form kept, with what was
typed and each message beside its field, when something was refused).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centers.access import CentreRequest, centre_view
from centers.forms import DateInput
from centers.permissions import EDIT_RECORDS, VIEW_CENTRE, VIEW_ID_NUMBERS
from core.stale import StaleEdit, conflict_status

from . import party
from . import party_selectors as sel
from .models import CommitteeTerm, PartyMember, PartyOrigin
from .party_forms import PARTY_DATE, CommitteeTermForm, PartyBranchForm, PartyMemberForm

PAGE = "staff/party.html"


class PartyDayForm(forms.Form):
    """The day the members' list and counts are read on; a bad one says so and today is used."""

    on = forms.DateField(label=gettext_lazy("status on"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].validators.append(PARTY_DATE)

    def day(self) -> dt.date:
        if self.is_valid() and self.cleaned_data["on"]:
            return self.cleaned_data["on"]
        return timezone.localdate()


def _context(request: CentreRequest) -> dict:
    centre = request.centre
    day_form = PartyDayForm(request.GET or None)
    day = day_form.day()
    members = sel.member_list(centre=centre, day=day)
    counts = sel.party_counts(
        centre_ids=[centre.pk], day=day, first=dt.date(day.year, 1, 1), last=day
    )
    return {
        "day_form": day_form,
        "day": day,
        "branch": sel.branch_get(centre=centre),
        "terms": sel.committee_terms(centre=centre),
        "members": members,
        "transfers_in": [m for m in members if m.origin == PartyOrigin.TRANSFERRED],
        "transfers_out": [m for m in members if m.out_on is not None],
        "counts": counts,
        "developed_years": sel.developed_by_year(centre=centre),
        "flagged": sel.flagged_without_record(centre=centre, day=day),
        "show_id": request.access.can(VIEW_ID_NUMBERS),
        "can_edit": request.access.can(EDIT_RECORDS),
    }


def _page(request: CentreRequest, *, editor: dict | None = None, status: int = 200):
    """The page, or only its body for htmx, with an editor open when given."""
    context = _context(request) | (editor or {})
    template = PAGE + "#party-body" if request.htmx and not request.htmx.boosted else PAGE
    return render(request, template, context, status=status)


@centre_view(VIEW_CENTRE)
@require_GET
def party_page(request: CentreRequest) -> HttpResponse:
    """The 党支部 page; htmx swaps only its body (a new day, after a save)."""
    return _page(request)


def _refuse(form, exc: Exception) -> None:
    if isinstance(exc, party.PartyError):
        for name, message in exc.errors.items():
            form.add_error(name if name in form.fields else None, message)
    else:
        form.add_error(None, _("This record was just saved by someone else; reload the page."))


def _edit(request: CentreRequest, form, save: Callable, *, title: str) -> HttpResponse:
    """One editor's GET (the form) and POST (save, or the form again with why not)."""
    editor = {"form": form, "form_title": title, "form_action": request.get_full_path()}
    if request.method == "GET":
        if request.htmx:
            return render(request, PAGE + "#party-form", editor)
        return _page(request, editor=editor)
    status = 200
    if form.is_valid():
        try:
            save(form)
        except StaleEdit as exc:
            form.refuse(exc)
            status = conflict_status(request)
        except (party.PartyError, IntegrityError) as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Saved."))
            if not request.htmx:
                return redirect("staff:party", request.centre.slug)
            return _page(request)
    return _page(request, editor=editor, status=status)


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def branch_edit(request: CentreRequest) -> HttpResponse:
    """Record the branch, or correct its name and founding day."""
    branch = sel.branch_get(centre=request.centre)
    form = PartyBranchForm(request.POST or None, instance=branch)

    def save(form):
        party.branch_save(
            centre=request.centre,
            data=form.values(),
            based_on=form.cleaned_data["based_on"],
            actor=request.user,
        )

    return _edit(request, form, save, title=_("Party branch"))


def _member_form(request: CentreRequest, member: PartyMember | None = None) -> PartyMemberForm:
    return PartyMemberForm(
        request.POST or None,
        instance=member,
        centre=request.centre,
        show_id=request.access.can(VIEW_ID_NUMBERS),
    )


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def member_add(request: CentreRequest) -> HttpResponse:
    """Put someone on the branch's books: admitted here (发展), or transferred in."""

    def save(form):
        party.member_create(centre=request.centre, data=form.values(), actor=request.user)

    return _edit(request, _member_form(request), save, title=_("Add a party member"))


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def member_edit(request: CentreRequest, pk: int) -> HttpResponse:
    """Correct a member's stay, make them a full member, or record their transfer out."""
    member = get_object_or_404(
        PartyMember.objects.select_related("person"), centre=request.centre, pk=pk
    )

    def save(form):
        party.member_update(
            member=member,
            data=form.values(),
            based_on=form.cleaned_data["based_on"],
            actor=request.user,
        )

    title = _("Edit %(name)s") % {"name": member.person}
    return _edit(request, _member_form(request, member), save, title=title)


def _deleted(request: CentreRequest, remove: Callable[[], None]) -> HttpResponse:
    try:
        remove()
    except party.PartyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Deleted."))
    if not request.htmx:
        return redirect("staff:party", request.centre.slug)
    return _page(request)


@centre_view(EDIT_RECORDS)
@require_POST
def member_delete(request: CentreRequest, pk: int) -> HttpResponse:
    """Remove a stay entered by mistake (audited with every value it had)."""
    member = get_object_or_404(
        PartyMember.objects.select_related("person"), centre=request.centre, pk=pk
    )
    return _deleted(request, lambda: party.member_delete(member=member, actor=request.user))


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def term_add(request: CentreRequest) -> HttpResponse:
    """Record the committee's founding or a re-election (换届)."""
    form = CommitteeTermForm(request.POST or None, centre=request.centre)

    def save(form):
        party.term_create(
            centre=request.centre,
            data=form.term_data(),
            members=form.chosen_members(),
            actor=request.user,
        )

    return _edit(request, form, save, title=_("Record a committee election"))


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def term_edit(request: CentreRequest, pk: int) -> HttpResponse:
    """Correct an election and who was elected."""
    term = get_object_or_404(CommitteeTerm, centre=request.centre, pk=pk)
    form = CommitteeTermForm(request.POST or None, instance=term, centre=request.centre)

    def save(form):
        party.term_update(
            term=term,
            data=form.term_data(),
            members=form.chosen_members(),
            based_on=form.cleaned_data["based_on"],
            actor=request.user,
        )

    return _edit(request, form, save, title=_("Edit the committee election"))


@centre_view(EDIT_RECORDS)
@require_POST
def term_delete(request: CentreRequest, pk: int) -> HttpResponse:
    """Remove an election entered by mistake."""
    term = get_object_or_404(CommitteeTerm, centre=request.centre, pk=pk)
    return _deleted(request, lambda: party.term_delete(term=term, actor=request.user))
