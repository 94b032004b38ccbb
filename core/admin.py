"""The audit log in the admin (read-only), and auditing of what administrators change there."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from .audit import audit, diff, snapshot
from .models import AuditEntry, CalendarDay


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_name", "centre", "action", "target_repr")
    list_filter = ("action", "centre")
    search_fields = ("target_repr", "action", "actor_name")
    date_hierarchy = "created_at"
    list_select_related = ("centre",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditedAdminMixin:
    """Audit what system administrators add, change and delete: who, when, old and new."""

    audit_prefix = "admin"

    def audit_centre(self, obj):
        """The centre an object belongs to, for the audit row; None for non-centre data."""
        return None

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = {}
            if change:
                before = snapshot(type(obj)._default_manager.get(pk=obj.pk))
            super().save_model(request, obj, form, change)
            changes = diff(before, snapshot(obj))
            if changes:
                verb = "changed" if change else "created"
                self._audit(request, obj, verb, changes)

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit(request, obj, "deleted", diff(snapshot(obj), {}))
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        """The changelist's bulk delete: one audit row per object, before it goes."""
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, obj, "deleted", diff(snapshot(obj), {}))
            super().delete_queryset(request, queryset)

    def _audit(self, request, obj, verb: str, changes: dict) -> None:
        audit(
            actor=request.user,
            action=f"{self.audit_prefix}.{verb}",
            target=obj,
            changes=changes,
            centre=self.audit_centre(obj),
        )


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
