"""Roster forms: one form for a person and their post, plus departure, rehire and import."""

from __future__ import annotations

import copy
import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from centers.forms import DateInput
from centers.models import Centre, Department
from core.dates import BIRTH_DATE, WORK_DATE, add_plausible_date
from core.forms import TextGuard
from core.imports import SpreadsheetField
from core.periods import PeriodForm
from core.stale import BasedOnForm

from . import excel
from .actions import ID_CONFLICT, ID_ENTRY_BLOCKED, ID_REFUSED, PERSON_FIELDS, SPELL_FIELDS
from .models import (
    PHYSICIANS,
    Category,
    Education,
    Establishment,
    LeaveReason,
    Person,
    Spell,
    Title,
)
from .selectors import id_number_entry_blocked
from .validators import (
    id_disagreements,
    mask_id_number,
    normalise_id_number,
    validate_id_number,
)

# Each person or spell date is checked for plausibility (a 离职日期 of 9999-12-31 is a slip).
DATE_CHECKS = {"birth_date": BIRTH_DATE, "hired_on": WORK_DATE, "left_on": WORK_DATE}


def _date_widgets(form: forms.Form) -> None:
    for name, field in form.fields.items():
        if isinstance(field, forms.DateField):
            field.widget = DateInput()
            if name in DATE_CHECKS:
                add_plausible_date(field, DATE_CHECKS[name])


class JobFields(TextGuard, forms.Form):
    """The post held during a spell; shared by the staff form and the rehire form."""

    def __init__(self, *args, centre: Centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.centre = centre
        if "department" in self.fields:
            self.fields["department"].queryset = Department.objects.filter(centre=centre)
        _date_widgets(self)

    def clean_job(self, cleaned: dict) -> None:
        """Rules between the post's fields, each message put beside the field concerned."""
        category = cleaned.get("category")
        if category not in PHYSICIANS:
            if cleaned.get("practice_type"):
                self.add_error("practice_type", _("Only physicians have a practice type."))
            if cleaned.get("general_practice"):
                self.add_error(
                    "general_practice", _("Only physicians register in general practice.")
                )
        establishment = cleaned.get("establishment")
        if establishment == Establishment.OFF and not cleaned.get("contract_kind"):
            self.add_error("contract_kind", _("Say which kind of off-establishment post it is."))
        if establishment == Establishment.ON and cleaned.get("contract_kind"):
            self.add_error("contract_kind", _("A post on the establishment has no such kind."))
        hired, left = cleaned.get("hired_on"), cleaned.get("left_on")
        if hired and left and left < hired:
            self.add_error("left_on", _("The date left cannot be before the date hired."))
        if left and not cleaned.get("leave_reason"):
            self.add_error("leave_reason", _("Give the reason for leaving."))
        if cleaned.get("leave_reason") and not left:
            self.add_error("left_on", _("Give the date left, or clear the reason."))
        self._clean_title(cleaned)

    def _clean_title(self, cleaned: dict) -> None:
        """The level may be left to the written title (主管护师 → 中级), read as the import reads
        it (excel.title); a written title that names only a level is not kept beside it."""
        if "title_name" not in cleaned:  # refused by its own field check
            return
        written = cleaned["title_name"]
        if not cleaned.get("title") and "title" not in self.errors:
            if not written:  # one of the two tells the level (the field shows no "*")
                self.add_error("title", _("Choose the level, or write the title it is read from."))
            else:
                try:
                    cleaned["title"] = excel.title(written, cleaned.get("category"))
                except ValueError:
                    self.add_error(
                        "title",
                        _("Choose the level: it cannot be read from “%(name)s”.")
                        % {"name": written},
                    )
        cleaned["title_name"] = excel.title_name(written)


# Built once at import, outside any centre's scope; each form narrows the department choices.
with scopes_disabled():
    SPELL_FORM_FIELDS = forms.fields_for_model(Spell, fields=SPELL_FIELDS)
    PERSON_FORM_FIELDS = forms.fields_for_model(Person, fields=PERSON_FIELDS)
# The level may be left empty when the written title tells it (JobFields._clean_title).
SPELL_FORM_FIELDS["title"].required = False


class StaffForm(BasedOnForm, JobFields):
    """A person and one of their spells, edited together.

    Without the right to see 身份证号 the form shows it masked and keeps the stored number; see
    clean_id_number for what such a user may type. `based_on` stamps the person and the spell
    (core.stale), so a form opened before someone else's save cannot overwrite it.
    """

    def __init__(
        self, *args, person: Person | None = None, show_id: bool = True, user=None, **kwargs
    ):
        self.person = person
        self.show_id = show_id
        self.user = user
        # The audit action the view must record for a number this user may not see (actions.py).
        self.id_probe = ""
        super().__init__(*args, **kwargs)
        if person is not None and person.id_number and not show_id:
            self.initial["id_number"] = person.masked_id_number

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter the name."))
        return name

    def clean_birth_date(self) -> dt.date:
        born = self.cleaned_data["birth_date"]
        if born > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        return born

    def clean_id_number(self) -> str:
        """A full number, unless the user may not see numbers and it could tell them one.

        Such a user may not replace a stored number (a right and a wrong guess would save
        differently), and "already in use" is audited; after ID_CONFLICT_LIMIT of those they may
        type no full number at all. The view records self.id_probe.
        """
        number = normalise_id_number(self.cleaned_data.get("id_number", ""))
        if (
            self.person is not None
            and self.person.id_number
            and number == self.person.masked_id_number
        ):
            return self.person.id_number  # the masked value shown came back unchanged
        if not number:
            return ""
        if not self.show_id:
            if id_number_entry_blocked(user=self.user):
                self.id_probe = ID_REFUSED
                raise forms.ValidationError(ID_ENTRY_BLOCKED)
            if self.person is not None and self.person.id_number:
                raise forms.ValidationError(
                    _(
                        "You may not see identity card numbers: keep the masked number shown; "
                        "a centre manager corrects identity card numbers."
                    )
                )
        validate_id_number(number)
        others = Person.objects.filter(centre=self.centre, id_number=number)
        if self.person is not None:
            others = others.exclude(pk=self.person.pk)
        if others.exists():
            if not self.show_id:
                self.id_probe = ID_CONFLICT
            raise forms.ValidationError(_("Someone on this roster already has this number."))
        return number

    def clean(self):
        cleaned = super().clean()
        if number := cleaned.get("id_number"):
            born, gender = cleaned.get("birth_date"), cleaned.get("gender")
            for message in id_disagreements(number, born, gender):
                self.add_error("id_number", message)
        if cleaned.get("degree") and cleaned.get("education") != Education.POSTGRADUATE:
            self.add_error("degree", _("A degree is recorded only with postgraduate education."))
        self.clean_job(cleaned)
        return cleaned

    def shown(self, name: str, value) -> str:
        if name == "id_number" and not self.show_id:  # a refusal must not reveal it either
            return mask_id_number(value or "") or "—"
        return super().shown(name, value)

    def person_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in PERSON_FIELDS}

    def spell_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in SPELL_FIELDS}


for _name, _field in {**PERSON_FORM_FIELDS, **SPELL_FORM_FIELDS}.items():
    StaffForm.base_fields[_name] = _field
StaffForm.base_fields["id_number"] = forms.CharField(
    label=_("identity card number"), max_length=30, required=False
)
StaffForm.base_fields["name"].max_length = 50


class RehireForm(JobFields):
    """A returning person's new post; their earlier spells stay untouched."""

    def clean(self):
        cleaned = super().clean()
        self.clean_job(cleaned)
        return cleaned


REHIRE_FIELDS = [f for f in SPELL_FIELDS if f not in ("left_on", "leave_reason")]
for _name in REHIRE_FIELDS:
    RehireForm.base_fields[_name] = copy.deepcopy(SPELL_FORM_FIELDS[_name])


class DepartureForm(BasedOnForm):
    left_on = forms.DateField(label=_("date left"), widget=DateInput, validators=[WORK_DATE])
    leave_reason = forms.ChoiceField(label=_("reason for leaving"), choices=LeaveReason.choices)


class RosterFilterForm(forms.Form):
    """Roster filters; an invalid value is ignored rather than refused."""

    q = forms.CharField(label=_("Search by name"), required=False, max_length=50)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("active", _("in service")), ("left", _("left")), ("all", _("All"))],
    )
    on = forms.DateField(label=_("on"), required=False, widget=DateInput)
    department = forms.TypedChoiceField(
        label=_("department"), required=False, coerce=int, empty_value=None
    )
    category = forms.ChoiceField(label=_("staff category"), required=False)
    title = forms.ChoiceField(label=_("professional title"), required=False)
    establishment = forms.ChoiceField(label=_("establishment"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("full name")),
            ("-hired_on", _("latest hired first")),
            ("hired_on", _("earliest hired first")),
            ("department", _("department")),
            ("title", _("professional title")),
        ],
    )

    def __init__(self, *args, centre: Centre, **kwargs):
        super().__init__(*args, **kwargs)
        all_ = [("", _("All"))]
        departments = Department.objects.filter(centre=centre).order_by("name")
        self.fields["department"].choices = all_ + [(d.pk, d.name) for d in departments]
        self.fields["category"].choices = all_ + list(Category.choices)
        self.fields["title"].choices = all_ + list(Title.choices)
        self.fields["establishment"].choices = all_ + list(Establishment.choices)
        _date_widgets(self)

    def filters(self) -> dict:
        self.is_valid()
        data = self.cleaned_data
        return {
            "status": data.get("status") or "active",
            "on": data.get("on") or timezone.localdate(),
            "search": data.get("q") or "",
            "department_id": data.get("department"),
            "category": data.get("category") or "",
            "title": data.get("title") or "",
            "establishment": data.get("establishment") or "",
            "sort": data.get("sort") or "name",
        }


class ImportForm(forms.Form):
    file = SpreadsheetField(label=_("Roster file (.xlsx)"))


class WorkforcePeriodForm(PeriodForm):
    """A year, one of its halves, or a range of whole months (at most ten years)."""

    parts = ("year", "h1", "h2", "range")
