"""Forms for membership management; messages are shown beside their field."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from .actions import USERNAME_TAKEN
from .models import CentreMembership


class MembershipAddForm(forms.Form):
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

    def __init__(self, *args, sponsors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sponsor"].choices = [("", _("All"))] + [(a.pk, a.name) for a in sponsors]
