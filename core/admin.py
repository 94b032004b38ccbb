"""The audit log in the admin: readable and searchable, never editable."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from .audit import audit
from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "centre", "action", "target_repr")
    list_filter = ("action", "centre")
    search_fields = ("target_repr", "action", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor", "centre")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _plain(value):
    return str(value) if value is not None and not isinstance(value, (int, bool)) else value


class AuditedAdminMixin:
    """Audit what system administrators change in the admin: who, when, old and new."""

    audit_prefix = "admin"

    def audit_centre(self, obj):
        """The centre an object belongs to, for the audit row; None for non-centre data."""
        return None

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changes = {
                name: [
                    _plain(form.initial.get(name)) if change else None,
                    _plain(getattr(obj, name)),
                ]
                for name in form.changed_data
            }
            verb = "changed" if change else "created"
            audit(
                actor=request.user,
                action=f"{self.audit_prefix}.{verb}",
                target=obj,
                changes=changes,
                centre=self.audit_centre(obj),
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit(
                actor=request.user,
                action=f"{self.audit_prefix}.deleted",
                target=obj,
                centre=self.audit_centre(obj),
            )
            super().delete_model(request, obj)
