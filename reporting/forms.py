"""Typed input of the reporting pages. Django's fields refuse NUL, which PostgreSQL cannot store,
and say so in Chinese: filing notes and narrative, summary periods and texts, dashboard queries."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import TextGuard
from core.periods import Period, PeriodForm
from core.stale import BasedOnForm

from .models import Summary

MAX_MONTHS = 36
NARRATIVE_LIMIT = 50_000
NOTE_LIMIT = 2000


class SummaryCreateForm(PeriodForm):
    """上半年/下半年, a whole year, or a range of whole months; the field is "kind", as stored."""

    parts = ("h1", "h2", "year", "range")
    part_field = "kind"
    max_months = MAX_MONTHS
    too_long = _("A summary covers at most 36 months.")
    field_order = ("kind", "year", "first", "last")

    part = None
    kind = forms.ChoiceField(label=_("period"), initial="h1")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].required = True
        self.fields["year"].initial = timezone.localdate().year

    def clean(self):
        cleaned = super().clean()
        self._begun()
        return cleaned

    def _begun(self) -> None:
        """A summary of months that have not begun has nothing to say yet."""
        if self.errors:
            return
        _kind, period = self.summary_period()
        if period.first >= timezone.localdate().replace(day=1):
            self.add_error("year", _("That period has not begun yet; choose one that has."))

    def summary_period(self) -> tuple[str, Period]:
        """(stored kind, period) of valid input: 上半年 and 下半年 are both stored as half."""
        kind = self.cleaned_data["kind"]
        stored = Summary.Kind.HALF if kind in ("h1", "h2") else kind
        return stored, self.period(self.cleaned_data["year"])


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


class DashboardForm(PeriodForm):
    """The dashboard's period and sort order; bad input falls back to the defaults."""

    parts = ("year", "h1", "h2")

    sort = forms.CharField(required=False, max_length=40)
    trend = forms.CharField(required=False, max_length=40)


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
