"""Forms for tallies: activities, lock exceptions, imports and the figures period."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centers.forms import DateInput, RecordForm
from core.forms import TextGuard
from core.imports import SpreadsheetField

from .models import Activity
from .periods import Period

MONTH_INPUT = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class MonthField(forms.DateField):
    """A month typed as 2024-03 (the browser's month picker), stored as its first day."""

    widget = MONTH_INPUT
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        if day and not 2000 <= day.year <= 2100:
            raise forms.ValidationError(_("Choose a month between 2000 and 2100."))
        return day.replace(day=1) if day else day


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


class TallyImportForm(forms.Form):
    year = forms.IntegerField(
        label=_("year"), min_value=2000, max_value=2100, initial=lambda: timezone.localdate().year
    )
    file = SpreadsheetField(label=_("Tally file (.xlsx)"))


class FiguresForm(forms.Form):
    """A month, quarter, half-year, year or range of months; bad input falls back to last year."""

    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100, required=False)
    part = forms.ChoiceField(
        label=_("period"),
        required=False,
        choices=[
            ("year", _("whole year")),
            ("h1", _("first half")),
            ("h2", _("second half")),
            ("q1", _("first quarter")),
            ("q2", _("second quarter")),
            ("q3", _("third quarter")),
            ("q4", _("fourth quarter")),
            ("month", _("one month")),
            ("range", _("range of months")),
        ],
    )
    month = forms.IntegerField(label=_("month"), min_value=1, max_value=12, required=False)
    first = MonthField(label=_("from month"), required=False)
    last = MonthField(label=_("to month"), required=False)

    def period(self) -> Period:
        default = timezone.localdate().year - 1
        if not self.is_valid():
            return Period.year(default)
        data = self.cleaned_data
        year, part = data.get("year") or default, data.get("part") or "year"
        if part in ("h1", "h2"):
            return Period.half(year, int(part[1]))
        if part.startswith("q"):
            return Period.quarter(year, int(part[1]))
        if part == "month" and data.get("month"):
            return Period.month(year, data["month"])
        first, last = data.get("first"), data.get("last")
        if part == "range" and first and last and first <= last and (last - first).days <= 3660:
            return Period.range(first, last)
        return Period.year(year)
