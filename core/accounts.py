"""Django's login and password-change pages, hardened: bounded input, an audited change."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.db import transaction

from .audit import audit


class BoundedUsername:
    """Refuse an overlong username with a message before anything looks it up or logs it.

    Django sets the field's max_length after the field is built, so its validator is missing:
    a 10,000-character name reached the backends and axes' attempt log (varchar(255)).
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class LoginForm(BoundedUsername, AuthenticationForm):
    pass


class AdminLoginForm(BoundedUsername, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """The user's own password change, recorded in the audit log (never the password itself)."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            audit(actor=self.request.user, action="auth.password.changed", target=form.user)
        return response
