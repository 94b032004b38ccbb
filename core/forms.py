"""Form behaviour shared by every app."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
