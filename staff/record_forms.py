"""Forms for a person's training, registrations and promotions, the centre's 核定编制, and the
filters of their lists. Each editor carries its record's stamp (core.stale), and every refusal
is a message beside its field with what was typed kept.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centers.forms import DateInput, RecordForm
from core import attachments
from core.dates import RECORD_DATE
from core.imports import SpreadsheetField
from core.periods import PeriodForm

from . import excel
from .licences import PHYSICIAN_LICENCES, Status, is_masked, mask_licence_number
from .models import (
    EstablishmentQuota,
    LicenceKind,
    Person,
    PractisingLicence,
    Promotion,
    Title,
    TitleLevel,
    Training,
    TrainingKind,
)
from .record_actions import date_errors


def _in_order(form: forms.Form, start: str, end: str, message) -> None:
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first and last and last < first and end not in form.errors:
        form.add_error(end, message)


class PersonRecordForm(RecordForm):
    """A record of one person: its dates are checked against their spells (date_errors)."""

    extra_fields: tuple[str, ...] = ()

    def __init__(self, *args, person: Person, **kwargs):
        self.person = person
        super().__init__(*args, **kwargs)

    def check_spells(self) -> None:
        for name, message in date_errors(self._meta.model, self.person, self.cleaned_data):
            if name not in self.errors:
                self.add_error(name, message)

    def values(self) -> dict:
        """What the action writes: the model fields only."""
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k != "based_on" and k not in self.extra_fields
        }


class TrainingForm(PersonRecordForm):
    extra_fields = ("certificate_file", "remove_certificate", "checked")

    class Meta:
        model = Training
        fields = (
            "kind",
            "place",
            "subject",
            "started_on",
            "ended_on",
            "hours",
            "credits",
            "external",
        )

    certificate_file = forms.FileField(
        label=_("certificate (PDF, PNG or JPEG, at most 10 MB)"),
        required=False,
        error_messages={"empty": _("The file is empty.")},
    )
    remove_certificate = forms.BooleanField(label=_("remove the certificate"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not (self.instance.pk and self.instance.certificate):
            del self.fields["remove_certificate"]
        for name in ("hours", "credits"):
            self.fields[name].validators.append(MinValueValidator(0))
            self.fields[name].widget.attrs["min"] = "0"

    def clean(self):
        cleaned = super().clean()
        _in_order(self, "started_on", "ended_on", _("The training ends before it starts."))
        self.check_spells()
        upload = cleaned.get("certificate_file")
        if upload is not None:
            if upload.size > attachments.SIZE_LIMIT:  # refused before a byte of it is read
                self.add_error("certificate_file", str(attachments.too_large()))
            else:
                try:
                    cleaned["checked"] = attachments.check(upload.read())
                except attachments.AttachmentRefused as exc:
                    self.add_error("certificate_file", str(exc))
        return cleaned


class LicenceForm(PersonRecordForm):
    """A registration; without the right to see 身份证号 its number shows masked, and the masked
    value sent back keeps the stored number."""

    class Meta:
        model = PractisingLicence
        fields = (
            "kind",
            "licence_number",
            "practice_type",
            "scope",
            "registered_here",
            "registered_at",
            "issued_on",
            "valid_to",
        )

    def __init__(self, *args, show_number: bool = True, **kwargs):
        self.show_number = show_number
        super().__init__(*args, **kwargs)
        stored = self.instance.licence_number if self.instance.pk else ""
        if stored and not show_number:
            self.initial["licence_number"] = mask_licence_number(stored)

    def clean_licence_number(self) -> str:
        number = "".join(self.cleaned_data.get("licence_number", "").split()).upper()
        stored = self.instance.licence_number if self.instance.pk else ""
        if stored and number == mask_licence_number(stored):
            return stored  # the masked value shown came back unchanged
        if is_masked(number):
            raise forms.ValidationError(
                _("Type the certificate number in full, or keep the masked number shown.")
            )
        if number and not number.isalnum():
            raise forms.ValidationError(_("A certificate number has only letters and digits."))
        return number

    def clean(self):
        cleaned = super().clean()
        _in_order(self, "issued_on", "valid_to", _("The registration expires before it starts."))
        if cleaned.get("registered_here"):
            cleaned["registered_at"] = ""
        elif not cleaned.get("registered_at") and "registered_at" not in self.errors:
            self.add_error("registered_at", _("Say where it is registered."))
        kind = cleaned.get("kind")
        if cleaned.get("practice_type") and kind and kind not in PHYSICIAN_LICENCES:
            self.add_error("practice_type", _("Only physicians' registrations have a category."))
        return cleaned

    def shown(self, name: str, value) -> str:
        if name == "licence_number" and not self.show_number:  # a refusal must not reveal it
            return mask_licence_number(value or "") or "—"
        return super().shown(name, value)


class PromotionForm(PersonRecordForm):
    class Meta:
        model = Promotion
        fields = ("title_name", "title", "previous_title", "passed_on", "appointed_on", "document")

    def __init__(self, *args, category: str = "", **kwargs):
        self.category = category
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Left empty, it is read from the title as written.")

    def clean(self):
        cleaned = super().clean()
        written = excel.title_name(cleaned.get("title_name", ""))
        if not cleaned.get("title") and "title" not in self.errors:
            try:
                cleaned["title"] = excel.title(written, self.category)
            except ValueError:
                self.add_error(
                    "title",
                    _("Choose the level: it cannot be read from “%(name)s”.") % {"name": written}
                    if written
                    else forms.Field.default_error_messages["required"],
                )
        cleaned["title_name"] = written
        if cleaned.get("title") == Title.NONE:
            self.add_error("title", _("A promotion reaches a title."))
        _in_order(
            self, "passed_on", "appointed_on", _("The appointment cannot come before the review.")
        )
        self.check_spells()
        return cleaned


class QuotaForm(RecordForm):
    class Meta:
        model = EstablishmentQuota
        fields = ("kind", "approved", "effective_on", "document")

    def __init__(self, *args, centre, **kwargs):
        self.centre = centre
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        kind, day = cleaned.get("kind"), cleaned.get("effective_on")
        taken = EstablishmentQuota.objects.filter(centre=self.centre, kind=kind, effective_on=day)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if kind and day and taken.exists():
            self.add_error(
                "effective_on",
                _("This kind of establishment already has a figure from that day; edit that one."),
            )
        return cleaned


# --- list filters (bad values are ignored, never refused) -------------------------------------


def _all(choices) -> list:
    return [("", _("All")), *choices]


class TrainingFilterForm(PeriodForm):
    parts = ("year", "h1", "h2", "range")

    kind = forms.ChoiceField(label=_("kind of training"), required=False)
    q = forms.CharField(label=_("Search by name or place"), required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _all(TrainingKind.choices)


class PromotionFilterForm(PeriodForm):
    parts = ("year", "h1", "h2", "range")

    level = forms.ChoiceField(label=_("title level"), required=False)
    q = forms.CharField(label=_("Search by name"), required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = _all(TitleLevel.choices)


class LicenceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_all(
            [
                (Status.VALID, _("valid")),
                (Status.EXPIRING, _("expires within 90 days")),
                (Status.EXPIRED, _("expired")),
                (Status.NOT_YET, _("not yet valid")),
            ]
        ),
    )
    kind = forms.ChoiceField(label=_("kind of registration"), required=False)
    q = forms.CharField(label=_("Search by name"), required=False, max_length=50)
    on = forms.DateField(label=_("on"), required=False, widget=DateInput, validators=[RECORD_DATE])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _all(LicenceKind.choices)

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "status": data.get("status") or "",
            "kind": data.get("kind") or "",
            "search": data.get("q") or "",
            "today": data.get("on") or timezone.localdate(),
        }


class DayForm(forms.Form):
    on = forms.DateField(label=_("on"), required=False, widget=DateInput, validators=[RECORD_DATE])

    def day(self):
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("on") or timezone.localdate()


class RecordImportForm(forms.Form):
    file = SpreadsheetField(label=_("File (.xlsx)"))
