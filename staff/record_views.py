"""Pages for a person's training, practising registrations and title promotions (each an htmx
section of the person page with its own editor), the centre's lists of them, its 编制, and their
XLSX imports.

A mutation answers with its refreshed section (htmx) or a redirect to the person page; invalid
input comes back in the section's form with what was typed and the message beside the field.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centers.access import CentreRequest, centre_view
from centers.permissions import EDIT_RECORDS, VIEW_CENTRE, VIEW_ID_NUMBERS
from core.errors import DomainError
from core.pagination import CountingPaginator
from core.periods import month_end
from core.stale import StaleEdit, conflict_status

from . import establishment, licences, promotions, record_actions, training
from .models import EstablishmentQuota, Person, PractisingLicence, Promotion, Spell, Training
from .record_forms import (
    DayForm,
    LicenceFilterForm,
    LicenceForm,
    PromotionFilterForm,
    PromotionForm,
    QuotaForm,
    TrainingFilterForm,
    TrainingForm,
)

PERSON = "staff/person.html"
PAGE_SIZE = 50


@dataclass(frozen=True)
class Section:
    """One kind of a person's records: its model, form, and the person page's partial."""

    key: str
    model: type
    form: type

    @property
    def partial(self) -> str:
        return f"{PERSON}#{self.key}-section"


SECTIONS = {
    "training": Section("training", Training, TrainingForm),
    "licence": Section("licence", PractisingLicence, LicenceForm),
    "promotion": Section("promotion", Promotion, PromotionForm),
}


def _person(request: CentreRequest, pk: int) -> Person:
    return get_object_or_404(Person, centre=request.centre, pk=pk)


def _latest_spell(spells: list[Spell]) -> Spell | None:
    return max(spells, key=lambda s: s.hired_on, default=None)


def _form(section: Section, request: CentreRequest, person: Person, spells, **kwargs):
    extra: dict = {}
    if section.key == "licence":
        extra["show_number"] = request.access.can(VIEW_ID_NUMBERS)
    elif section.key == "promotion":
        latest = _latest_spell(spells)
        extra["category"] = latest.category if latest else ""
        if "instance" not in kwargs and latest is not None:
            kwargs.setdefault("initial", {"previous_title": latest.title})
    return section.form(person=person, **extra, **kwargs)


def _spells(person: Person) -> list[Spell]:
    return list(person.spells.select_related("department").order_by("-hired_on"))


def _person_context(
    request: CentreRequest,
    person: Person,
    *,
    spells: list[Spell] | None = None,
    forms: dict | None = None,
    editing=None,
) -> dict:
    """Everything the person page shows, in four queries after the gate's and the person's."""
    today = timezone.localdate()
    spells = _spells(person) if spells is None else spells
    held = list(licences.person_licences(person_id=person.pk))
    promoted = list(promotions.person_promotions(person_id=person.pk))
    serving = next(
        (s for s in spells if s.hired_on <= today and (s.left_on is None or s.left_on >= today)),
        None,
    )
    can_edit = request.access.can(EDIT_RECORDS)
    forms = dict(forms or {})
    if can_edit:
        for key, section in SECTIONS.items():
            forms.setdefault(key, _form(section, request, person, spells))
    return {
        "person": person,
        "spells": spells,
        "serving": serving,
        "trainings": list(training.person_trainings(person_id=person.pk)),
        "licences": [(lic, licences.licence_status(lic, today)) for lic in held],
        "promotions": promoted,
        "gaps": licences.gaps_of(serving, held, today) if serving else [],
        "title_now": promotions.title_at(serving, promoted, today) if serving else None,
        "forms": forms,
        "editing": editing,
        "can_edit": can_edit,
        "show_id": request.access.can(VIEW_ID_NUMBERS),
        "today": today,
    }


@centre_view(VIEW_CENTRE)
@require_GET
def person_page(request: CentreRequest, pk: int) -> HttpResponse:
    """A person: their spells, training, registrations and promotions, each editable in place."""
    person = _person(request, pk)
    return render(request, PERSON, _person_context(request, person))


def _section(
    request: CentreRequest,
    section: Section,
    person: Person,
    *,
    spells: list[Spell] | None = None,
    form=None,
    editing=None,
    status: int = 200,
) -> HttpResponse:
    """The section (htmx) or the whole person page, with this form open."""
    forms = {section.key: form} if form is not None else {}
    editing = {section.key: editing} if editing is not None else {}
    context = _person_context(request, person, spells=spells, forms=forms, editing=editing)
    template = section.partial if request.htmx else PERSON
    return render(request, template, context, status=status)


def _saved(request: CentreRequest, section: Section, person: Person, message: str):
    messages.success(request, message)
    if not request.htmx:
        url = reverse("staff:person", args=[request.centre.slug, person.pk])
        return redirect(f"{url}#{section.key}-section")
    return _section(request, section, person)


def _certificate(form) -> dict:
    """The checked certificate and the choice to remove one, for a training's action."""
    if not isinstance(form, TrainingForm):
        return {}
    upload = form.cleaned_data.get("certificate_file")
    return {
        "certificate": form.cleaned_data.get("checked"),
        "certificate_name": upload.name if upload is not None else "",
    }


def add_view(section: Section):
    @centre_view(EDIT_RECORDS)
    @require_http_methods(["GET", "POST"])
    def view(request: CentreRequest, pk: int) -> HttpResponse:
        person = _person(request, pk)
        spells = _spells(person)
        if request.method == "GET":  # a fresh form, e.g. after cancelling an edit
            return _section(request, section, person, spells=spells)
        form = _form(section, request, person, spells, data=request.POST, files=request.FILES)
        if form.is_valid():
            try:
                record_actions.person_record_create(
                    person=person,
                    model=section.model,
                    data=form.values(),
                    actor=request.user,
                    **_certificate(form),
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                return _saved(request, section, person, _("Saved."))
        return _section(request, section, person, spells=spells, form=form)

    view.__name__ = f"{section.key}_add"
    return view


def edit_view(section: Section):
    @centre_view(EDIT_RECORDS)
    @require_http_methods(["GET", "POST"])
    def view(request: CentreRequest, pk: int) -> HttpResponse:
        record = get_object_or_404(
            section.model.objects.select_related("person"), centre=request.centre, pk=pk
        )
        person = record.person
        spells = _spells(person)
        data = {"data": request.POST, "files": request.FILES} if request.method == "POST" else {}
        form = _form(section, request, person, spells, instance=record, **data)
        page = {"spells": spells, "form": form, "editing": record}
        if request.method == "GET" or not form.is_valid():
            return _section(request, section, person, **page)
        status = 200
        try:
            record_actions.person_record_update(
                record=record,
                data=form.values(),
                based_on=form.cleaned_data["based_on"],
                actor=request.user,
                remove_certificate=bool(form.cleaned_data.get("remove_certificate")),
                **_certificate(form),
            )
        except StaleEdit as exc:
            form.refuse(exc)
            status = conflict_status(request)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, section, person, _("Saved."))
        return _section(request, section, person, **page, status=status)

    view.__name__ = f"{section.key}_edit"
    return view


def delete_view(section: Section):
    @centre_view(EDIT_RECORDS)
    @require_POST
    def view(request: CentreRequest, pk: int) -> HttpResponse:
        record = get_object_or_404(
            section.model.objects.select_related("person"), centre=request.centre, pk=pk
        )
        record_actions.person_record_delete(record=record, actor=request.user)
        return _saved(request, section, record.person, _("Deleted."))

    view.__name__ = f"{section.key}_delete"
    return view


@centre_view(VIEW_CENTRE)
@require_GET
def training_certificate(request: CentreRequest, pk: int) -> HttpResponse:
    """A training's certificate, to the centre's people and the reviewers above it."""
    record = get_object_or_404(Training, centre=request.centre, pk=pk)
    if not record.certificate:
        raise Http404("no certificate")
    try:
        handle = record.certificate.open("rb")
    except OSError:
        raise Http404("the file is gone from storage") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=record.certificate_name or f"certificate{record.certificate_ext}",
        content_type=record.certificate_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the centre's lists -------------------------------------------------------------------


def _page(request: CentreRequest, rows):
    page = CountingPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _list(request: CentreRequest, template: str, partial: str, context: dict) -> HttpResponse:
    if request.htmx and not request.htmx.boosted:
        template += f"#{partial}"
    return render(request, template, context)


@centre_view(VIEW_CENTRE)
@require_GET
def training_list(request: CentreRequest) -> HttpResponse:
    """The centre's training in a period, with its 人次, people and credits by kind."""
    year = timezone.localdate().year
    form = TrainingFilterForm(request.GET or None, initial={"year": year, "part": "year"})
    period = form.period(year)
    start, end = period.first, month_end(period.last)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = training.training_list(
        centre=request.centre,
        start=start,
        end=end,
        kind=data.get("kind") or "",
        search=data.get("q") or "",
    )
    page, query = _page(request, rows)
    counts = training.training_counts(centre_ids=[request.centre.pk], start=start, end=end)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "counts": counts,
        "period": period,
        "start": start,
        "end": end,
    }
    return _list(request, "staff/training_list.html", "training-results", context)


@centre_view(VIEW_CENTRE)
@require_GET
def licence_list(request: CentreRequest) -> HttpResponse:
    """The centre's registrations by status on a day, and who practises without a valid one."""
    form = LicenceFilterForm(request.GET or None)
    filters = form.filters()
    page, query = _page(request, licences.licence_list(centre=request.centre, **filters))
    today = filters["today"]
    context = {
        "form": form,
        "page": page,
        "query": query,
        "rows": [(lic, licences.licence_status(lic, today)) for lic in page],
        "unregistered": licences.unregistered(centre=request.centre, day=today),
        "today": today,
        "show_id": request.access.can(VIEW_ID_NUMBERS),
    }
    return _list(request, "staff/licence_list.html", "licence-results", context)


@centre_view(VIEW_CENTRE)
@require_GET
def promotion_list(request: CentreRequest) -> HttpResponse:
    """The centre's promotions passed in a period, with the people per title level."""
    year = timezone.localdate().year
    form = PromotionFilterForm(request.GET or None, initial={"year": year, "part": "year"})
    period = form.period(year)
    start, end = period.first, month_end(period.last)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = promotions.promotion_list(
        centre=request.centre,
        start=start,
        end=end,
        level=data.get("level") or "",
        search=data.get("q") or "",
    )
    page, query = _page(request, rows)
    counts = promotions.promotion_counts(scope=Q(centre=request.centre), start=start, end=end)
    context = {"form": form, "page": page, "query": query, "counts": counts, "period": period}
    return _list(request, "staff/promotion_list.html", "promotion-results", context)


# --- 编制 ----------------------------------------------------------------------------------

ESTABLISHMENT = "staff/establishment.html"


def _establishment(
    request: CentreRequest, *, form=None, editing=None, status: int = 200
) -> HttpResponse:
    day = DayForm(request.GET or None).day()
    can_edit = request.access.can(EDIT_RECORDS)
    if form is None and can_edit:
        form = QuotaForm(centre=request.centre)
    context = {
        "quotas": list(establishment.quota_list(centre=request.centre)),
        "position": establishment.establishment_at(centre_id=request.centre.pk, day=day),
        "day_form": DayForm(request.GET or None, initial={"on": day}),
        "day": day,
        "form": form,
        "editing": editing,
        "can_edit": can_edit,
    }
    template = ESTABLISHMENT + "#quota-section" if request.htmx else ESTABLISHMENT
    return render(request, template, context, status=status)


@centre_view(VIEW_CENTRE)
@require_GET
def establishment_page(request: CentreRequest) -> HttpResponse:
    """核定编制 by kind over time, and on a day: 实有在编, 空编 and 超编."""
    return _establishment(request)


def _quota_saved(request: CentreRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    if not request.htmx:
        return redirect("staff:establishment", request.centre.slug)
    return _establishment(request)


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def quota_add(request: CentreRequest) -> HttpResponse:
    if request.method == "GET":
        return _establishment(request)
    form = QuotaForm(request.POST, centre=request.centre)
    if form.is_valid():
        try:
            record_actions.quota_create(
                centre=request.centre, data=form.values(), actor=request.user
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _quota_saved(request, _("Saved."))
    return _establishment(request, form=form)


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def quota_edit(request: CentreRequest, pk: int) -> HttpResponse:
    quota = get_object_or_404(EstablishmentQuota, centre=request.centre, pk=pk)
    data = {"data": request.POST} if request.method == "POST" else {}
    form = QuotaForm(centre=request.centre, instance=quota, **data)
    if request.method == "GET" or not form.is_valid():
        return _establishment(request, form=form, editing=quota)
    status = 200
    try:
        record_actions.quota_update(
            quota=quota,
            data=form.values(),
            based_on=form.cleaned_data["based_on"],
            actor=request.user,
        )
    except StaleEdit as exc:
        form.refuse(exc)
        status = conflict_status(request)
    except DomainError as exc:
        form.add_error(None, str(exc))
    else:
        return _quota_saved(request, _("Saved."))
    return _establishment(request, form=form, editing=quota, status=status)


@centre_view(EDIT_RECORDS)
@require_POST
def quota_delete(request: CentreRequest, pk: int) -> HttpResponse:
    quota = get_object_or_404(EstablishmentQuota, centre=request.centre, pk=pk)
    record_actions.quota_delete(quota=quota, actor=request.user)
    return _quota_saved(request, _("Deleted."))
