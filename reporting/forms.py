"""Typed input of the reporting pages. Django's fields refuse NUL, which PostgreSQL cannot store,
and say so in Chinese: filing notes and narrative, summary periods and texts, dashboard queries."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import TextGuard
from core.stale import BasedOnForm
from services.forms import MonthField
from services.periods import Period

from .models import Summary

MAX_MONTHS = 36
NARRATIVE_LIMIT = 50_000
NOTE_LIMIT = 2000


class SummaryCreateForm(forms.Form):
    """上半年/下半年, a whole year, or a range of whole months."""

    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[("h1", _("first half")), ("h2", _("second half")), *Summary.Kind.choices[1:]],
        initial="h1",
    )
    year = forms.IntegerField(
        label=_("year"), min_value=2000, max_value=2100, initial=lambda: timezone.localdate().year
    )
    first = MonthField(label=_("from month"), required=False)
    last = MonthField(label=_("to month"), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Summary.Kind.RANGE:
            self._check_range(cleaned.get("first"), cleaned.get("last"))
        self._begun()
        return cleaned

    def _check_range(self, first, last) -> None:
        if not first and "first" not in self.errors:
            self.add_error("first", _("Choose the first month of the range."))
        if not last and "last" not in self.errors:
            self.add_error("last", _("Choose the last month of the range."))
        if first and last and last < first:
            self.add_error("last", _("The last month is before the first."))
        elif first and last and len(Period.range(first, last).months) > MAX_MONTHS:
            self.add_error("last", _("A summary covers at most 36 months."))

    def _begun(self) -> None:
        """A summary of months that have not begun has nothing to say yet."""
        if self.errors:
            return
        _kind, period = self.period()
        if period.first >= timezone.localdate().replace(day=1):
            self.add_error("year", _("That period has not begun yet; choose one that has."))

    def period(self) -> tuple[str, Period]:
        """(stored kind, period) of valid input."""
        data = self.cleaned_data
        kind = data["kind"]
        if kind in ("h1", "h2"):
            return Summary.Kind.HALF, Period.half(data["year"], int(kind[1]))
        if kind == Summary.Kind.YEAR:
            return kind, Period.year(data["year"])
        return kind, Period.range(data["first"], data["last"])


class SummaryTextsForm(BasedOnForm, TextGuard, forms.Form):
    """The author's texts: one box per part of the summary, and the stamp they started from."""

    def __init__(self, *args, keys: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in keys:
            self.fields[key] = forms.CharField(
                label=label,
                required=False,
                max_length=20_000,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )


class DashboardForm(forms.Form):
    """The dashboard's period and sort order; bad input falls back to the defaults."""

    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
    part = forms.ChoiceField(
        required=False,
        choices=[("h1", _("first half")), ("h2", _("second half")), ("year", _("whole year"))],
    )
    sort = forms.CharField(required=False, max_length=40)
    trend = forms.CharField(required=False, max_length=40)

    def period(self) -> Period:
        default = timezone.localdate().year - 1
        data = self.cleaned_data if self.is_valid() else {}
        year, part = data.get("year") or default, data.get("part") or "year"
        if part in ("h1", "h2"):
            return Period.half(year, int(part[1]))
        return Period.year(year)


class NarrativeForm(BasedOnForm, TextGuard, forms.Form):
    """开展业务活动情况 with the stamp the form was opened at (a bad one counts as stale)."""

    free_text_fields = ("narrative",)

    narrative = forms.CharField(required=False, max_length=NARRATIVE_LIMIT, strip=False)


class ReasonForm(TextGuard, forms.Form):
    """Why a report is returned or reopened; the action itself insists that there is one."""

    free_text_fields = ("reason",)

    reason = forms.CharField(required=False, max_length=NOTE_LIMIT)


class CommentForm(TextGuard, forms.Form):
    """The reviewer's optional comment on approval."""

    free_text_fields = ("comment",)

    comment = forms.CharField(required=False, max_length=NOTE_LIMIT)


def first_error(form: forms.Form) -> str:
    """The first message of an invalid form, for pages that show one line rather than the form."""
    return next(str(message) for errors in form.errors.values() for message in errors)
