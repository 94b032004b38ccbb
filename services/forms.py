"""Forms for tallies: activities, lock exceptions, imports and the figures period."""

from __future__ import annotations

from functools import cached_property
from types import SimpleNamespace

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centers.forms import DateInput, RecordForm
from core.forms import TextGuard, explain_decimal_limits
from core.imports import SpreadsheetField
from core.periods import MonthField, PeriodForm
from core.stale import BasedOnForm

from .catalogue_selectors import (
    approved_year_from,
    code_taken,
    covers,
    later_users,
    name_taken,
    rule_exists,
    users_of,
    visible,
)
from .definitions import centre_path, owner_path
from .locking import open_request_errors
from .models import Activity, ActivityKind, Category, Definition, Indicator, Rate, ValidationRule


class ActivityForm(RecordForm):
    class Meta:
        model = Activity
        fields = ("date", "kind", "title", "people", "note")

    def __init__(self, *args, centre=None, **kwargs):
        super().__init__(*args, **kwargs)
        if centre is not None:  # the kinds of no commission and of those above the centre
            path = centre_path(centre)
            owned = Q(owner=None) | Q(owner_id__in=path)
            self.fields["kind"].queryset = ActivityKind.objects.filter(owned)

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


class TargetImportForm(forms.Form):
    year = forms.IntegerField(
        label=_("year"), min_value=2000, max_value=2100, initial=lambda: timezone.localdate().year
    )
    file = SpreadsheetField(label=_("Target file (.xlsx)"))


class FiguresForm(PeriodForm):
    """The figures pages offer every part: a month, quarter, half-year, year or range of months,
    and may count only the months a commission approved."""

    approved = forms.BooleanField(label=_("approved months only"), required=False)


# --- the commission's catalogue -----------------------------------------------------------

NOT_IN_FORCE = _(
    "“%(name)s” is an indicator not in force for every month this definition is; choose "
    "another or shorten the months."
)

NAME_TAKEN = _("The name “%(name)s” is already used by an indicator or rate; names are unique.")


def by_category(indicators, empty_label: str | None) -> list:
    """Indicator choices in <optgroup>s, one a category in the catalogue's order of categories
    and, inside one, in the given order."""
    groups: dict[str, list] = {}
    for indicator in indicators:
        groups.setdefault(indicator.category, []).append((indicator.pk, indicator.name))
    grouped = [(label, groups[value]) for value, label in Category.choices if value in groups]
    return grouped if empty_label is None else [("", empty_label), *grouped]


class DefinitionForm(BasedOnForm, TextGuard, forms.ModelForm):
    """A commission's own definition: owned by the page's commission, in force over months."""

    active_from = MonthField(label=_("in force from"), required=False)
    active_to = MonthField(
        label=_("in force until"), required=False, help_text=_("Its last month; empty: open.")
    )

    def __init__(self, *args, authority, path: frozenset[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.authority, self.known_path = authority, path
        if self.instance.pk is None:
            self.instance.owner = authority
        for field in self.fields.values():
            if isinstance(field, forms.DecimalField):  # limits said in plain words
                explain_decimal_limits(field)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("active_from"), cleaned.get("active_to")
        if first and last and last < first:
            self.add_error("active_to", _("The last month is before the first."))
        return cleaned

    @cached_property
    def path(self) -> frozenset[int]:
        """The commission and those above it: whose definitions it sees."""
        return owner_path(self.authority.pk) if self.known_path is None else self.known_path

    def check_code(self) -> None:
        """A new code is lower case and unused by any indicator or rate, in any case (an edit
        keeps its code: figures, rollups, imports and schemes know it by it)."""
        code = self.cleaned_data.get("code")
        if not code or "code" in self.errors or self.instance.pk is not None:
            return
        if code != code.lower():
            self.add_error("code", _("Write the code in lower case: letters, digits and _."))
        elif code_taken(code, exclude=self.instance):
            self.add_error(
                "code", _("The code %(code)s is already used; codes are unique.") % {"code": code}
            )

    def check_name(self) -> None:
        """Figures are quoted by name: no two indicators or rates the commission sees share one."""
        name = self.cleaned_data.get("name")
        if not name or "name" in self.errors:
            return
        if self.instance.pk is not None and "name" not in self.changed_data:
            return  # an unchanged name is not the edit's to answer for
        if name_taken(name, path=self.path, exclude=self.instance):
            self.add_error("name", NAME_TAKEN % {"name": name.strip()})

    def check_operands(self, *names: str) -> None:
        """Each side must be in force for every month the definition is."""
        first, last = self.cleaned_data.get("active_from"), self.cleaned_data.get("active_to")
        if "active_to" in self.errors:
            return
        for name in names:
            operand = self.cleaned_data.get(name)
            if operand is not None and not covers(operand, first, last):
                self.add_error(name, NOT_IN_FORCE % {"name": operand.name})

    def limit_operands(self, *names: str) -> None:
        """Offer only the indicators the commission sees (a posted other one is refused), grouped
        by category: a flat list of some 90 names is hard to search."""
        indicators = visible(Indicator, self.authority, self.path)
        indicators = indicators.order_by("category", "position", "code")
        choices = None
        for name in names:
            field = self.fields[name]
            field.queryset = indicators  # validates the posted one
            choices = choices or by_category(indicators, field.empty_label)
            field.choices = choices  # shown; the queryset is read once for both fields


class IndicatorForm(DefinitionForm):
    class Meta:
        model = Indicator
        fields = (
            "code",
            "name",
            "category",
            "unit",
            "aggregation",
            "frequency",
            "whole_numbers",
            "max_value",
            "position",
            "active_from",
            "active_to",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # figures, rollups, imports and schemes know it by its code
            self.fields["code"].disabled = True

    def clean_max_value(self):
        value = self.cleaned_data["max_value"]
        if value is not None and value <= 0:
            raise forms.ValidationError(_("The largest plausible value must be above zero."))
        return value

    def clean(self):
        cleaned = super().clean()
        self.check_code()
        self.check_name()
        self._check_users(cleaned)
        return cleaned

    def _check_users(self, cleaned) -> None:
        """Narrowing the months of an indicator that rates or rules use must leave it in force
        for all of theirs (as retiring does)."""
        months = ("active_from", "active_to")
        if not self.instance.pk or not set(months) & set(self.changed_data) or self.errors:
            return
        probe = SimpleNamespace(
            active_from=cleaned.get("active_from"), active_to=cleaned.get("active_to")
        )
        names = [
            name
            for name, user in users_of(self.instance)
            if not covers(probe, user.active_from, user.active_to)
        ]
        if names:
            self.add_error(
                "active_to" if "active_to" in self.changed_data else "active_from",
                _("Still used in those months by %(users)s; change or retire those first.")
                % {"users": "、".join(names)},
            )


class RateForm(DefinitionForm):
    class Meta:
        model = Rate
        fields = (
            "code",
            "name",
            "category",
            "numerator",
            "denominator",
            "scale",
            "position",
            "active_from",
            "active_to",
        )

    FORMULA = ("numerator", "denominator", "scale")

    formula_from = MonthField(
        label=_("new formula from"),
        required=False,
        help_text=_("Figures of the months before keep the formula they were counted with."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_operands("numerator", "denominator")
        if self.instance.pk:
            self.fields["code"].disabled = True
        else:  # a new rate has no earlier figures to keep
            del self.fields["formula_from"]

    def values(self) -> dict:
        return {k: v for k, v in super().values().items() if k != "formula_from"}

    def clean(self):
        cleaned = super().clean()
        self.check_code()
        self.check_name()
        self._check_formula_from(cleaned.get("formula_from"))
        numerator, denominator = cleaned.get("numerator"), cleaned.get("denominator")
        if numerator is not None and numerator == denominator:
            self.add_error(
                "denominator", _("The numerator and the denominator cannot be the same indicator.")
            )
        self.check_operands("numerator", "denominator")
        return cleaned

    def _check_formula_from(self, start) -> None:
        """A changed formula starts in a month after the version's first: the periods before
        keep the old one (services.catalogue_actions.rate_new_version)."""
        if "formula_from" not in self.fields:
            return
        changed = any(name in self.changed_data for name in self.FORMULA)
        if changed and start is None:
            self.add_error(
                "formula_from",
                _("Say from which month the new formula counts; earlier months keep the old one."),
            )
        elif start is not None and not changed:
            self.add_error("formula_from", _("Only a changed formula takes a starting month."))
        elif start is not None:
            first, last = self.instance.active_from, self.instance.active_to
            if start.month != 1:  # every half-year and quarter then counts with one formula
                self.add_error("formula_from", _("A new formula starts in January of a year."))
            elif (first and start <= first) or (last and start > last):
                self.add_error(
                    "formula_from", _("The new formula must start within this version's months.")
                )
            elif frozen := approved_year_from(self.authority, start.year):
                self.add_error(
                    "formula_from",
                    _(
                        "%(year)s is approved for some centres: their figures keep the formula "
                        "they were approved with. Start the new formula in a later year."
                    )
                    % {"year": frozen},
                )


Severity = ValidationRule.Severity


class ValidationRuleForm(DefinitionForm):
    class Meta:
        model = ValidationRule
        fields = ("left", "operator", "right", "severity", "active_from", "active_to")
        labels = {
            "left": _("left side"),
            "operator": _("operator"),
            "right": _("right side"),
            "severity": _("severity"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_operands("left", "right")
        # A new rule asks for an explanation rather than refusing values, unless chosen so.
        severity = self.fields["severity"]
        severity.choices = sorted(severity.choices, key=lambda c: c[0] != Severity.WARNING)
        if self.instance.pk is None:
            severity.initial = Severity.WARNING

    def clean(self):
        cleaned = super().clean()
        left, operator, right = (cleaned.get(k) for k in ("left", "operator", "right"))
        if left is not None and left == right:
            self.add_error("right", _("A rule compares two indicators: both sides are the same."))
        elif left is not None and right is not None and operator and self._exists(cleaned):
            self.add_error("right", _("This rule exists already."))
        self.check_operands("left", "right")
        return cleaned

    def _exists(self, cleaned: dict) -> bool:
        """B ≤ A is the rule A ≥ B read from the other side: the same rule."""
        left, operator, right = (cleaned[k] for k in ("left", "operator", "right"))
        return rule_exists(left, operator, right, path=self.path, exclude=self.instance)


class ActivityKindForm(DefinitionForm):
    class Meta:
        model = ActivityKind
        fields = ("name", "counts_label", "position", "active_from", "active_to")


DEFINITION_FORMS: dict[type[Definition], type[DefinitionForm]] = {
    Indicator: IndicatorForm,
    Rate: RateForm,
    ValidationRule: ValidationRuleForm,
    ActivityKind: ActivityKindForm,
}


class RetireForm(forms.Form):
    """Retire a definition: in force until a month; its data and history stay."""

    until = MonthField(label=_("last month in force"))

    def __init__(self, *args, definition: Definition, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition

    def clean_until(self):
        until = self.cleaned_data["until"]
        if self.definition.active_from and until < self.definition.active_from:
            raise forms.ValidationError(_("The last month is before the first."))
        if isinstance(self.definition, Indicator):
            users = later_users(self.definition, until)
            if users:
                raise forms.ValidationError(
                    _("Still used after that month by %(users)s; retire those first.")
                    % {"users": "、".join(users)}
                )
        return until


class MonthReviewForm(TextGuard, forms.Form):
    """A reviewer's move on a month for the centres ticked; a return or a withdrawal needs the
    reason (services.approval_actions refuses one without it)."""

    free_text_fields = ("reason",)

    move = forms.ChoiceField(
        choices=[
            ("approve", _("Approve")),
            ("return", _("Return")),
            ("unapprove", _("Withdraw the approval")),
            ("confirm", _("Confirm")),
            ("unconfirm", _("Withdraw the confirmation")),
        ]
    )
    centres = forms.TypedMultipleChoiceField(
        label=_("centres"),
        coerce=int,
        error_messages={"required": _("Tick at least one centre.")},
    )
    reason = forms.CharField(
        label=_("reason"), max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, centre_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centres"].choices = [(pk, pk) for pk in centre_ids]

    def clean(self):
        cleaned = super().clean()
        needs_reason = cleaned.get("move") in ("return", "unapprove", "unconfirm")
        if (
            needs_reason
            and "reason" not in self.errors
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Give the reason: the centre sees it."))
        return cleaned
