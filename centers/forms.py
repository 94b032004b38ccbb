"""Forms for membership management; messages are shown beside their field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import RECORD_DATE
from core.forms import TextGuard, explain_decimal_limits
from core.stale import BasedOnForm
from core.text import refuse_control_chars, strip_control_chars

from .actions import USERNAME_TAKEN
from .actions import registered_item_value as current_item_value
from .models import (
    Authority,
    Centre,
    CentreMembership,
    CentreYear,
    Department,
    Donation,
    FundingSource,
    Licence,
    PerformanceRecord,
    RegistrationChange,
)
from .validators import normalise_credit_code, validate_credit_code

TEXT_LIMIT = 5000
MAX_MOVE_IN_DAYS = 366
# Registered items (登载事项): once filled in, they change only by change registration.
REGISTERED_FIELDS = (
    "name",
    "purpose",
    "address",
    "legal_representative",
    "capital",
    "funding_source",
)


class MembershipAddForm(TextGuard, forms.Form):
    """Add a person to a centre by creating their account."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("The new account's login name."),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=CentreMembership.Role.choices, initial=CentreMembership.Role.CLERK
    )
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Tell it to the person; they change it after logging in."),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(USERNAME_TAKEN)
        return username


class MembershipRoleForm(forms.Form):
    """Change a member's role."""

    role = forms.ChoiceField(label=_("Role"), choices=CentreMembership.Role.choices)


class CentreFilterForm(forms.Form):
    """Search and filter on a reviewer's centre list; bad values are ignored, never a 500."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sponsor = forms.TypedChoiceField(
        label=_("Sponsoring authority"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, sponsors: Iterable[tuple[int, str]] = (), **kwargs):
        """`sponsors`: (id, name) of the authorities to offer, in the order shown."""
        super().__init__(*args, **kwargs)
        self.fields["sponsor"].choices = [("", _("All")), *sponsors]


# --- Centre record ---------------------------------------------------------------------


# Years that can only be typing slips (0001, 9999) are refused: they would skew every count.
plausible_date = RECORD_DATE


class DateInput(forms.DateInput):
    """A native date picker; the server still checks what arrives."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class RecordForm(BasedOnForm, TextGuard, forms.ModelForm):
    """A ModelForm with date pickers and short text areas, for the inline record lists.

    Editing one carries the record's stamp (`based_on`), so a stale save is refused (core.stale).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DateInput()
                field.validators.append(plausible_date)
            elif isinstance(field, forms.DecimalField):
                explain_decimal_limits(field)
            elif isinstance(field.widget, forms.Textarea):
                field.widget.attrs.update({"rows": 3})


def _period_in_order(form: forms.Form, start: str, end: str, message) -> None:
    """Put the message beside the end date when a period ends before it starts."""
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first and last and last < first:
        form.add_error(end, message)


class LicenceForm(RecordForm):
    class Meta:
        model = Licence
        fields = ("name", "number", "issuer", "valid_from", "valid_to")

    def clean(self):
        cleaned = super().clean()
        _period_in_order(self, "valid_from", "valid_to", _("The validity ends before it starts."))
        return cleaned


class PerformanceRecordForm(RecordForm):
    class Meta:
        model = PerformanceRecord
        fields = ("date", "kind", "issuer", "text")

    text = forms.CharField(label=_("content"), max_length=TEXT_LIMIT, widget=forms.Textarea)


class DonationForm(RecordForm):
    class Meta:
        model = Donation
        fields = ("date", "donor", "amount", "purpose", "usage")

    usage = forms.CharField(
        label=_("how it was used"), max_length=TEXT_LIMIT, required=False, widget=forms.Textarea
    )


class DepartmentForm(RecordForm):
    class Meta:
        model = Department
        fields = ("name", "kind", "opened_on", "closed_on", "standard_item")

    def clean(self):
        cleaned = super().clean()
        _period_in_order(
            self, "opened_on", "closed_on", _("A department cannot close before it opens.")
        )
        return cleaned


class CentreYearForm(RecordForm):
    class Meta:
        model = CentreYear
        fields = (
            "year",
            "service_area_km2",
            "served_population",
            "floor_area_m2",
            "beds",
            "net_assets_begin",
            "net_assets_end",
        )

    def __init__(self, *args, centre=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.centre = centre

    def clean_year(self):
        year = self.cleaned_data["year"]
        taken = CentreYear.objects.filter(centre=self.centre, year=year)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("Figures for this year exist already; edit them instead.")
            )
        return year


class CentreInfoForm(RecordForm):
    """The centre's certificate data; registered items are editable here only while empty."""

    # Longer than 18 so that a code typed with spaces reaches the check and gets a precise message.
    credit_code = forms.CharField(
        label=_("unified social credit code"), max_length=40, required=False
    )

    class Meta:
        model = Centre
        fields = (
            "credit_code",
            "name",
            "purpose",
            "address",
            "legal_representative",
            "capital",
            "funding_source",
            "certificate_valid_from",
            "certificate_valid_to",
            "online_name",
            "founded_on",
        )

    purpose = forms.CharField(
        label=_("purpose and scope of business"),
        max_length=TEXT_LIMIT,
        required=False,
        widget=forms.Textarea,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A source since withdrawn from the list stays valid for the centre that has it.
        self.fields["funding_source"].queryset = FundingSource.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.funding_source_id)
        )
        for name in REGISTERED_FIELDS:
            if name in self.fields and self._is_registered(name):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Change it with a change registration.")

    def _is_registered(self, name: str) -> bool:
        value = getattr(self.instance, name if name != "funding_source" else "funding_source_id")
        return value not in (None, "")

    def clean_credit_code(self):
        code = normalise_credit_code(self.cleaned_data.get("credit_code", ""))
        if code:
            validate_credit_code(code)
            if Centre.objects.filter(credit_code=code).exclude(pk=self.instance.pk).exists():
                raise forms.ValidationError(_("Another centre is registered with this code."))
        return code

    def clean(self):
        cleaned = super().clean()
        _period_in_order(
            self,
            "certificate_valid_from",
            "certificate_valid_to",
            _("The validity ends before it starts."),
        )
        return cleaned  # the founding day's rules are the model's (Centre.clean)


# Longest text each registered item may hold, as on the Centre model.
ITEM_LIMITS = {"name": 100, "purpose": TEXT_LIMIT, "address": 200, "legal_representative": 50}
# What the change form keeps when another item is chosen (the item itself is the new choice).
KEPT_ON_CHOOSING = ("old_value", "new_value", "effective_on", "registered_on", "note")


class RegistrationChangeForm(BasedOnForm, TextGuard, forms.Form):
    """Record or correct a change registration; the new value is checked as the item requires."""

    free_text_fields = ("note",)
    unguarded_fields = ("old_value", "new_value")  # one line or free text by item: clean_item_value

    item = forms.ChoiceField(label=_("registered item"), choices=RegistrationChange.Item.choices)
    old_value = forms.CharField(label=_("old value"), max_length=TEXT_LIMIT, widget=forms.Textarea)
    new_value = forms.CharField(label=_("new value"), max_length=TEXT_LIMIT, widget=forms.Textarea)
    effective_on = forms.DateField(
        label=_("date of the change"), widget=DateInput, validators=[plausible_date]
    )
    registered_on = forms.DateField(
        label=_("date registered"), widget=DateInput, validators=[plausible_date]
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, centre: Centre, editing_pk: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.centre = centre
        self.editing_pk = editing_pk
        for name in ("old_value", "new_value"):
            self.fields[name].widget.attrs.update({"rows": 2})

    @classmethod
    def for_item(cls, *, centre: Centre, typed: Mapping[str, str]) -> RegistrationChangeForm:
        """A fresh form for the chosen item that keeps what was typed, unchecked until saved.

        The old value becomes the item's registered one when it is empty or still holds what was
        filled in for another item; an old value the user typed stays.
        """
        initial = {name: typed.get(name, "") for name in KEPT_ON_CHOOSING}
        items = RegistrationChange.Item.values
        item = typed.get("item", "")
        item = item if item in items else ""
        filled_in = {current_item_value(centre, i).strip() for i in items if i != item}
        old = initial["old_value"].replace("\r\n", "\n").strip()  # browsers send CRLF
        if not old or old in filled_in:
            initial["old_value"] = current_item_value(centre, item) if item else ""
        return cls(centre=centre, initial={**initial, "item": item})

    def clean_registered_on(self):
        day = self.cleaned_data["registered_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The registration date cannot be in the future."))
        return day

    def _check_against_record(self, cleaned: dict) -> None:
        """A change newer than every recorded one starts from the value registered now."""
        item, old, new = cleaned.get("item"), cleaned.get("old_value"), cleaned.get("new_value")
        effective = cleaned.get("effective_on")
        if not item or old is None or effective is None:
            return
        latest = (
            RegistrationChange.objects.filter(centre=self.centre, item=item)
            .exclude(pk=self.editing_pk)
            .order_by("-effective_on", "-registered_on", "-id")
            .first()
        )
        if latest is not None and effective >= latest.effective_on:
            current = latest.new_value
        elif latest is None and self.editing_pk is None:
            current = current_item_value(self.centre, item)
        else:  # an older change, or correcting the only one: nothing to hold it against
            current = ""
        if current and old != current:
            self.add_error(
                "old_value",
                _("The old value must be the value registered now (%(current)s).")
                % {"current": current},
            )
        taken = Centre.objects.filter(name=new).exclude(pk=self.centre.pk)
        if item == RegistrationChange.Item.NAME and new and taken.exists():
            self.add_error("new_value", _("Another centre is registered under this name."))

    def clean(self):
        cleaned = super().clean()
        item = cleaned.get("item")
        for name in ("old_value", "new_value"):
            if item and name in cleaned:
                cleaned[name] = self._clean_value(item, name, cleaned[name])
        old, new = cleaned.get("old_value"), cleaned.get("new_value")
        if old is not None and new is not None and old == new:
            self.add_error("new_value", _("The new value is the same as the old one."))
        self._check_dates(item, cleaned.get("effective_on"), cleaned.get("registered_on"))
        if not self.errors:
            self._check_against_record(cleaned)
        return cleaned

    def _check_dates(self, item, effective_on, registered_on) -> None:
        if not (effective_on and registered_on):
            return
        # 住所 must be registered before moving in, so only there may registration come first,
        # and by no more than a year.
        if item != RegistrationChange.Item.ADDRESS and registered_on < effective_on:
            self.add_error(
                "registered_on",
                _("The registration date cannot be before the date of the change."),
            )
        elif (effective_on - registered_on).days > MAX_MOVE_IN_DAYS:
            self.add_error(
                "effective_on",
                _("Moving in more than a year after registering is not plausible."),
            )

    def _clean_value(self, item: str, name: str, value: str):
        value = value.strip()
        try:
            return clean_item_value(item, value)
        except forms.ValidationError as exc:
            self.add_error(name, exc)
            return None


def clean_item_value(item: str, value: str) -> str:
    """Check one value of a registered item and return it in its stored form."""
    Item = RegistrationChange.Item
    if item == Item.PURPOSE:
        value = strip_control_chars(value)
    else:  # a name, an address, a person: one line
        refuse_control_chars(value)
    if item == Item.CAPITAL:
        field = explain_decimal_limits(
            forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)
        )
        return f"{field.clean(value):.2f}"
    if item == Item.FUNDING_SOURCE and not FundingSource.objects.filter(name=value).exists():
        raise forms.ValidationError(_("Choose one of the listed sources of funds."))
    if item == Item.SPONSOR and not Authority.objects.filter(name=value).exists():
        raise forms.ValidationError(_("Choose one of the listed health authorities."))
    limit = ITEM_LIMITS.get(item)
    if limit and len(value) > limit:
        raise forms.ValidationError(
            _("At most %(limit)s characters (it has %(n)s)."),
            params={"limit": limit, "n": len(value)},
        )
    return value


class StatementForm(forms.Form):
    """Which year the 变更登记 statement covers, and whether earlier years are included."""

    year = forms.IntegerField(label=_("report year"), min_value=1949, max_value=2100)
    scope = forms.ChoiceField(
        label=_("changes"),
        choices=[
            ("year", _("registered in that year")),
            ("since", _("since the certificate was issued")),
        ],
        initial="year",
        widget=forms.RadioSelect,
    )
