from __future__ import annotations

from django.contrib import admin

from haven.accounts.admin_policy import ReferenceAdmin
from haven.places.models import Location


@admin.register(Location)
class LocationAdmin(ReferenceAdmin):
    list_display = ("code", "name_en", "name_ko", "name_zh", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("code", "name_en", "name_ko", "name_zh")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
