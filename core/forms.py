"""Form behaviour shared by every app."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .text import refuse_control_chars, strip_control_chars


class TextGuard:
    """Mixin: one-line text refuses control characters, free text drops them (see core.text).

    Free text is a Textarea or a field named in `free_text_fields`; fields in `unguarded_fields`
    are checked by the form itself. Applied at cleaning, so fields added in __init__ are covered.
    """

    free_text_fields: tuple[str, ...] = ()
    unguarded_fields: tuple[str, ...] = ()

    def full_clean(self):
        guard_text_fields(self)
        super().full_clean()


def guard_text_fields(form: forms.BaseForm) -> None:
    """Give each of the form's text fields its check once (fields are per form instance)."""
    for name, field in form.fields.items():
        if (
            not isinstance(field, forms.CharField)
            or isinstance(field.widget, forms.PasswordInput)
            or field.disabled  # shows the stored value; it cannot be corrected here
            or name in getattr(form, "unguarded_fields", ())
            or getattr(field, "text_guarded", False)
        ):
            continue
        field.text_guarded = True
        if name in getattr(form, "free_text_fields", ()) or isinstance(
            field.widget, forms.Textarea
        ):
            field.to_python = _stripping(field.to_python)
        else:
            field.validators.append(refuse_control_chars)


def _stripping(to_python):
    def to_python_stripped(value):
        # A NUL is left for Django's own validator: it refuses the text, which comes back to copy.
        if isinstance(value, str) and "\x00" not in value:
            value = strip_control_chars(value)
        return to_python(value)

    return to_python_stripped


DIGIT_CODES = ("max_digits", "max_whole_digits", "max_decimal_places")
TOO_LARGE = _("Cannot be more than %(largest)s.")
TOO_SMALL = _("Cannot be less than %(least)s.")
TOO_PRECISE = ngettext_lazy(
    "At most %(places)s decimal place.", "At most %(places)s decimal places.", "places"
)


class DecimalLimits(DecimalValidator):
    """Django's digit counts said in the number's own terms: the largest allowed, the decimals kept.

    "No more than 10 digits in total" means nothing to a clerk entering a floor area; "cannot be
    more than 99999999.99" does. Django's error codes stay, so a field's own messages still win.
    """

    def __init__(self, max_digits, decimal_places, least=None, most=None):
        super().__init__(max_digits, decimal_places)
        # The field's own bounds: beyond them its min/max message says it, once, not ours too.
        self.least, self.most = least, most

    def __call__(self, value: Decimal) -> None:
        try:
            super().__call__(value)
        except ValidationError as exc:
            if exc.code not in DIGIT_CODES or self.decimal_places is None:
                raise
            if error := self._said_plainly(value, exc.code):
                raise error from None

    def _said_plainly(self, value: Decimal, code: str) -> ValidationError | None:
        if self.max_digits is not None:
            places = self.decimal_places
            largest = Decimal(10) ** (self.max_digits - places) - Decimal(10) ** -places
            if value > largest:
                if self.most is not None and self.most < largest:
                    return None
                return ValidationError(TOO_LARGE, code=code, params={"largest": f"{largest:f}"})
            if value < -largest:
                if self.least is not None and self.least > -largest:
                    return None
                return ValidationError(TOO_SMALL, code=code, params={"least": f"{-largest:f}"})
        # Within range, so the digits over are decimals (1.23456789012 has 12 digits in all).
        return ValidationError(
            TOO_PRECISE, code="max_decimal_places", params={"places": self.decimal_places}
        )


def explain_decimal_limits(field: forms.DecimalField) -> forms.DecimalField:
    """Give a decimal field DecimalLimits in place of Django's digit-count check; returns it."""
    field.validators = [
        DecimalLimits(v.max_digits, v.decimal_places, field.min_value, field.max_value)
        if type(v) is DecimalValidator
        else v
        for v in field.validators
    ]
    return field


class ApiTokenForm(TextGuard, forms.Form):
    """A new personal API token: a name to recognise it by, and its last day if it has one."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What uses it, e.g. “HIS interface”."),
    )
    expires_on = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for a token that works until it is revoked."),
    )

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("The last day cannot be in the past."))
        return day
