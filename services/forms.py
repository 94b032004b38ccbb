"""Forms for tallies: activities, lock exceptions, imports and the figures period."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centers.forms import DateInput, RecordForm
from core.forms import TextGuard
from core.imports import SpreadsheetField
from core.periods import MonthField, PeriodForm

from .locking import open_request_errors
from .models import Activity


class ActivityForm(RecordForm):
    class Meta:
        model = Activity
        fields = ("date", "kind", "title", "people", "note")

    def clean_people(self):
        people = self.cleaned_data["people"]
        if people is not None and people > 1_000_000:
            raise forms.ValidationError(_("That is implausibly many people."))
        return people


class LockExceptionForm(TextGuard, forms.Form):
    free_text_fields = ("reason",)

    first_month = MonthField(label=_("from month"))
    last_month = MonthField(label=_("to month"))
    open_until = forms.DateField(label=_("open until"), widget=DateInput)
    reason = forms.CharField(label=_("reason"), max_length=200)

    def clean(self):
        cleaned = super().clean()
        first, last, until = (cleaned.get(k) for k in ("first_month", "last_month", "open_until"))
        if first and last and last < first:
            self.add_error("last_month", _("The last month is before the first."))
        if until and until < timezone.localdate():
            self.add_error("open_until", _("Choose a day from today on."))
        if until and (until - timezone.localdate()).days > 366:
            self.add_error("open_until", _("Reopen for at most a year."))
        return cleaned


class OpenMonthRequestForm(TextGuard, forms.Form):
    """A centre asks to open months: within its history, none in the future, some of them locked
    for a reason an exception lifts, with a reason."""

    free_text_fields = ("reason",)

    first_month = MonthField(label=_("from month"))
    last_month = MonthField(label=_("to month"))
    reason = forms.CharField(label=_("reason"), max_length=200)

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.centre = centre

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_month"), cleaned.get("last_month")
        if first and last:
            errors = open_request_errors(self.centre, first, last, timezone.localdate())
            for name, message in errors.items():
                self.add_error(name, message)
        return cleaned


class DeclineForm(TextGuard, forms.Form):
    """A reviewer declines a request to open months: the centre reads the reason."""

    free_text_fields = ("reason",)

    reason = forms.CharField(label=_("reason for declining"), max_length=200)


class TallyImportForm(forms.Form):
    year = forms.IntegerField(
        label=_("year"), min_value=2000, max_value=2100, initial=lambda: timezone.localdate().year
    )
    file = SpreadsheetField(label=_("Tally file (.xlsx)"))


class FiguresForm(PeriodForm):
    """The figures pages offer every part: a month, quarter, half-year, year or range of months."""
