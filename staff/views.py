"""The roster pages: list with filters, add/edit/leave/return, Excel in and out, and figures."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centers.access import CentreRequest, centre_view
from centers.permissions import EDIT_RECORDS, VIEW_CENTRE, VIEW_ID_NUMBERS
from core import imports
from core.downloads import XLSX, attachment, download_name
from core.errors import DomainError
from core.models import ImportJob
from core.pagination import CountingPaginator
from core.periods import month_end
from core.stale import StaleEdit, conflict_status, stamp

from . import actions, excel, importer, selectors
from .development import development_figures
from .forms import (
    REHIRE_FIELDS,
    DepartureForm,
    ImportForm,
    RehireForm,
    RosterFilterForm,
    StaffForm,
    WorkforcePeriodForm,
)
from .licences import registration_gaps
from .models import Person, Spell
from .promotions import titles_at

PAGE_SIZE = 50
ROSTER = "staff/roster.html"


def _filtered(request: CentreRequest):
    form = RosterFilterForm(request.GET, centre=request.centre)
    return form, selectors.roster(centre=request.centre, **form.filters())


@centre_view(VIEW_CENTRE)
@require_GET
def roster(request: CentreRequest) -> HttpResponse:
    """The 花名册, filtered, searched, sorted and paged; htmx swaps only the table."""
    form, spells = _filtered(request)
    page = CountingPaginator(spells, PAGE_SIZE).get_page(request.GET.get("page"))
    _mark_records(page, form.filters()["on"])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "show_id": request.access.can(VIEW_ID_NUMBERS),
        "can_edit": request.access.can(EDIT_RECORDS),
        "on": form.filters()["on"],
    }
    template = ROSTER + "#roster-table" if request.htmx and not request.htmx.boosted else ROSTER
    return render(request, template, context)


def _mark_records(page, day) -> None:
    """Each row's title on the day (promotions) and the registrations it lacks: two queries."""
    page.object_list = list(page.object_list)
    gaps = registration_gaps(spells=page.object_list, day=day)
    titles = titles_at(spells=page.object_list, day=day)
    for spell in page.object_list:
        spell.registration_gaps = gaps.get(spell.pk, [])
        spell.title_on_day = titles[spell.pk]


@centre_view(VIEW_CENTRE)
@require_GET
def roster_export(request: CentreRequest) -> HttpResponse:
    """The filtered roster as the same XLSX layout import reads (ID numbers masked if need be)."""
    _form, spells = _filtered(request)
    content = excel.write_roster(
        spells.iterator(chunk_size=500), show_id=request.access.can(VIEW_ID_NUMBERS)
    )
    day = timezone.localdate().isoformat()
    name = download_name(request.centre.name, _("Staff roster"), day, ext="xlsx")
    return attachment(content, content_type=XLSX, filename=name)


def _staff_form_page(request, form, *, title: str, spell=None, status: int = 200) -> HttpResponse:
    context = {"form": form, "title": title, "spell": spell}
    return render(request, "staff/staff_form.html", context, status=status)


def _record_id_probe(request: CentreRequest, form: StaffForm) -> None:
    """Audit a number the user may not see that was in use or refused (StaffForm.id_probe)."""
    if form.id_probe:
        actions.id_number_probe_record(
            actor=request.user,
            centre=request.centre,
            target=request.centre,
            action=form.id_probe,
            count=1,
        )


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def staff_add(request: CentreRequest) -> HttpResponse:
    """Add someone to the roster."""
    form = StaffForm(
        request.POST or None,
        centre=request.centre,
        show_id=request.access.can(VIEW_ID_NUMBERS),
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        actions.staff_create(
            centre=request.centre,
            person_data=form.person_data(),
            spell_data=form.spell_data(),
            actor=request.user,
        )
        messages.success(request, _("Saved."))
        return redirect("staff:roster", request.centre.slug)
    _record_id_probe(request, form)
    return _staff_form_page(request, form, title=_("Add a staff member"))


def _initial(spell: Spell) -> dict:
    person = spell.person
    data = {k: getattr(person, k) for k in actions.PERSON_FIELDS}
    data.update({k: getattr(spell, k) for k in actions.SPELL_FIELDS})
    return data


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def staff_edit(request: CentreRequest, pk: int) -> HttpResponse:
    """Correct a person's details and one of their spells."""
    spell = get_object_or_404(Spell.objects.select_related("person"), centre=request.centre, pk=pk)
    form = StaffForm(
        request.POST or None,
        centre=request.centre,
        person=spell.person,
        show_id=request.access.can(VIEW_ID_NUMBERS),
        user=request.user,
        initial={**_initial(spell), "based_on": stamp(spell.person, spell)},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            actions.staff_update(
                spell=spell,
                person_data=form.person_data(),
                spell_data=form.spell_data(),
                based_on=form.cleaned_data["based_on"],
                actor=request.user,
            )
        except StaleEdit as exc:
            form.refuse(exc)
            status = conflict_status(request)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("staff:roster", request.centre.slug)
    _record_id_probe(request, form)
    title = _("Edit %(name)s") % {"name": spell.person}
    return _staff_form_page(request, form, title=title, spell=spell, status=status)


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def staff_depart(request: CentreRequest, pk: int) -> HttpResponse:
    """Record that someone left."""
    spell = get_object_or_404(Spell.objects.select_related("person"), centre=request.centre, pk=pk)
    form = DepartureForm(request.POST or None, initial={"based_on": stamp(spell)})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            actions.staff_depart(
                spell=spell,
                left_on=form.cleaned_data["left_on"],
                reason=form.cleaned_data["leave_reason"],
                based_on=form.cleaned_data["based_on"],
                actor=request.user,
            )
        except StaleEdit as exc:
            form.refuse(exc)
            status = conflict_status(request)
        except DomainError as exc:
            form.add_error("left_on", str(exc))
        else:
            messages.success(request, _("The departure is recorded."))
            return redirect("staff:roster", request.centre.slug)
    context = {"form": form, "spell": spell}
    return render(request, "staff/departure_form.html", context, status=status)


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def staff_rehire(request: CentreRequest, pk: int) -> HttpResponse:
    """Someone comes back: a new spell, the earlier ones kept."""
    person = get_object_or_404(Person, centre=request.centre, pk=pk)
    last = person.spells.order_by("-hired_on").first()
    initial = {k: getattr(last, k) for k in REHIRE_FIELDS if k != "hired_on"} if last else {}
    form = RehireForm(request.POST or None, centre=request.centre, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.staff_rehire(person=person, spell_data=form.cleaned_data, actor=request.user)
        except DomainError as exc:
            form.add_error("hired_on", str(exc))
        else:
            messages.success(request, _("%(name)s is back on the roster.") % {"name": person})
            return redirect("staff:roster", request.centre.slug)
    title = _("Rehire %(name)s") % {"name": person}
    return render(
        request, "staff/staff_form.html", {"form": form, "title": title, "person": person}
    )


@centre_view(EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def import_upload(request: CentreRequest) -> HttpResponse:
    """Upload a 花名册; it is checked in the background and nothing is written yet."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if job := imports.start_from_form(request, form, kind="roster"):
        return redirect("staff:import-preview", request.centre.slug, job.pk)
    jobs = imports.recent_jobs(centre=request.centre, kind="roster")
    context = {"form": form, "jobs": jobs, "url_name": "staff:import-preview"}
    return render(request, "staff/import_upload.html", context)


def _preview_page(
    request: CentreRequest, job: ImportJob, *, ticked=None, establishment_error: str = ""
) -> HttpResponse:
    """The preview; after a refused confirm, with the user's ticks and the error kept."""
    rows, hidden = importer.preview_rows(job)
    new_departments = job.plan.get("new_departments", [])
    context = {
        "job": job,
        "rows": rows,
        "hidden": hidden,
        "summary": job.plan.get("summary", {}),
        "bad_rows": job.plan.get("bad_rows", 0),
        "labels": importer.CHANGE_LABELS,
        "ignored_columns": job.plan.get("ignored_columns", []),
        "new_departments": new_departments,
        "ticked": [d["name"] for d in new_departments] if ticked is None else ticked,
        "assumptions": importer.assumptions(job),
        "establishments": importer.ESTABLISHMENTS if importer.asks_establishment(job) else [],
        "establishment_error": establishment_error,
    }
    return render(request, "staff/import_preview.html", context)


@centre_view(EDIT_RECORDS)
@require_GET
def import_preview(request: CentreRequest, pk: int) -> HttpResponse:
    """The job: its progress, then every row with errors and what the rest would change."""
    job = get_object_or_404(ImportJob, kind="roster", centre=request.centre, pk=pk)
    if (poll := imports.job_poll(request, job)) is not None:
        return poll
    return _preview_page(request, job)


@centre_view(EDIT_RECORDS)
@require_POST
def import_confirm(request: CentreRequest, pk: int) -> HttpResponse:
    """Apply the previewed file in the background, in one transaction, or nothing at all."""
    job = get_object_or_404(ImportJob, kind="roster", centre=request.centre, pk=pk)
    ticked = request.POST.getlist("create_department")
    try:
        importer.choose(
            job, departments=ticked, establishment=request.POST.get("establishment", "")
        )
    except ValidationError as exc:
        return _preview_page(request, job, ticked=ticked, establishment_error=exc.messages[0])
    try:
        imports.import_confirm(job=job, actor=request.user)
    except imports.Refused as exc:
        messages.error(request, _("Nothing was imported: %(why)s") % {"why": exc})
    return redirect("staff:import-preview", request.centre.slug, pk)


@centre_view(VIEW_CENTRE)
@require_GET
def figures(request: CentreRequest) -> HttpResponse:
    """Workforce figures for a year, a half-year or a range of whole months."""
    default_year = timezone.localdate().year - 1
    form = WorkforcePeriodForm(request.GET or None, initial={"year": default_year, "part": "year"})
    period = form.period(default_year)
    data = selectors.workforce_figures(
        centre=request.centre, start=period.first, end=month_end(period.last)
    )
    dev = development_figures(  # training, promotions and 编制 (issue 18)
        centre_ids=[request.centre.pk],
        start=data.start,
        end=data.end,
        on_establishment=data.headcount_end - data.off_establishment_end,
    )
    return render(request, "staff/figures.html", {"form": form, "f": data, "dev": dev})
