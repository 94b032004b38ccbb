"""System administrators manage authorities, centres, accounts and memberships here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedAdminMixin
from core.audit import audit, diff, snapshot
from core.forms import TextGuard

from .models import Authority, AuthorityMembership, Centre, CentreMembership, FundingSource
from .selectors import authority_subtree_ids


class AuthorityForm(TextGuard, forms.ModelForm):
    class Meta:
        model = Authority
        fields = ("name", "slug", "parent")

    def clean_parent(self):
        """An authority cannot sit below itself or below one of its own sub-authorities."""
        parent = self.cleaned_data.get("parent")
        if parent and self.instance.pk and parent.pk in authority_subtree_ids([self.instance.pk]):
            raise forms.ValidationError(
                _("The parent cannot be this authority or one of its sub-authorities.")
            )
        return parent


class CentreMembershipInline(admin.TabularInline):
    model = CentreMembership
    extra = 0
    autocomplete_fields = ("user",)


class AuthorityMembershipInline(admin.TabularInline):
    model = AuthorityMembership
    extra = 0
    autocomplete_fields = ("user",)


MEMBERSHIP_FIELDS = ("user", "role", "centre", "authority")


def _membership_snapshot(obj) -> dict:
    return snapshot(obj, [f for f in MEMBERSHIP_FIELDS if hasattr(obj, f)])


class MembershipFormsetAuditMixin:
    """Write an audit row for each membership added, changed or deleted in an inline."""

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            before = {}
            for f in formset.initial_forms:
                if f.instance.pk and (f.has_changed() or f in formset.deleted_forms):
                    old = type(f.instance)._default_manager.get(pk=f.instance.pk)
                    before[f.instance.pk] = _membership_snapshot(old)
            for f in formset.deleted_forms:
                if f.instance.pk:  # audit before the row (and its pk) is gone
                    _audit_membership(
                        request, f.instance, "deleted", diff(before[f.instance.pk], {})
                    )
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                _audit_membership(request, obj, "created", diff({}, _membership_snapshot(obj)))
            for obj, _fields in formset.changed_objects:
                changes = diff(before.get(obj.pk, {}), _membership_snapshot(obj))
                if changes:
                    _audit_membership(request, obj, "changed", changes)


def _audit_membership(request, obj, verb: str, changes: dict) -> None:
    audit(
        actor=request.user,
        action=f"admin.membership.{verb}",
        target=obj,
        changes=changes,
        centre=getattr(obj, "centre", None),
    )


@admin.register(Authority)
class AuthorityAdmin(MembershipFormsetAuditMixin, AuditedAdminMixin, admin.ModelAdmin):
    form = AuthorityForm
    list_display = ("name", "slug", "parent")
    search_fields = ("name", "slug")
    list_select_related = ("parent",)
    inlines = [AuthorityMembershipInline]
    audit_prefix = "admin.authority"


class CentreAdminForm(TextGuard, forms.ModelForm):
    """The admin's own form for every field of a centre, with names checked as in the app."""


@admin.register(Centre)
class CentreAdmin(MembershipFormsetAuditMixin, AuditedAdminMixin, admin.ModelAdmin):
    form = CentreAdminForm
    list_display = ("name", "slug", "sponsor", "legal_representative")
    list_filter = ("sponsor",)
    search_fields = ("name", "slug", "address")
    list_select_related = ("sponsor",)
    autocomplete_fields = ("sponsor",)
    inlines = [CentreMembershipInline]
    audit_prefix = "admin.centre"

    def audit_centre(self, obj):
        return obj

    def save_model(self, request, obj, form, change):
        # A form opened in the app before this admin edit must not overwrite it.
        obj.version += 1
        super().save_model(request, obj, form, change)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ChcUserAdmin(MembershipFormsetAuditMixin, AuditedAdminMixin, UserAdmin):
    """Accounts: every change, including a password reset, leaves an audit row."""

    inlines = [CentreMembershipInline, AuthorityMembershipInline]
    audit_prefix = "admin.user"

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            audit(
                actor=request.user,
                action="admin.user.password_changed",
                target=user,
                changes={"password": ["******", "******"]},
            )
        return response


@admin.register(FundingSource)
class FundingSourceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "position", "is_active")
    list_editable = ("position", "is_active")
    audit_prefix = "admin.fundingsource"
