from __future__ import annotations

from django.contrib import admin

from haven.accounts.admin_policy import PolicyAdmin
from haven.accounts.policy import Capability
from haven.crypto.models import DataKey


@admin.register(DataKey)
class DataKeyAdmin(PolicyAdmin):
    view_capability = Capability.MANAGE_KEYS
    change_capability = None

    list_display = ("kid", "purpose", "active", "created_at", "retired_at")
    exclude = ("wrapped",)
    readonly_fields = ("kid", "purpose", "active", "created_at", "retired_at")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
