from __future__ import annotations

from django.contrib import admin

from haven.crypto.models import DataKey


@admin.register(DataKey)
class DataKeyAdmin(admin.ModelAdmin):
    list_display = ("kid", "purpose", "active", "created_at", "retired_at")
    exclude = ("wrapped",)
    readonly_fields = ("kid", "purpose", "active", "created_at", "retired_at")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
