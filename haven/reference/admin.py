"""Reference datasets in the admin: read-only. New versions come only through ``haven reference update``."""

from __future__ import annotations

from django.contrib import admin

from haven.accounts.admin_policy import PolicyAdmin, PolicyTabularInline
from haven.accounts.policy import Capability
from haven.reference.models import ReferenceDataset, ReferenceVersion


class ReferenceVersionInline(PolicyTabularInline):
    change_capability = None
    model = ReferenceVersion
    fields = (
        "number",
        "is_current",
        "published_on",
        "loaded_at",
        "loaded_by",
        "source_file_name",
        "row_count",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


class ReadOnlyReferenceAdmin(PolicyAdmin):
    view_capability = Capability.USE_ADMIN
    change_capability = None  # versions are never edited; they are added by the service, which audits


@admin.register(ReferenceDataset)
class ReferenceDatasetAdmin(ReadOnlyReferenceAdmin):
    list_display = ("name", "title_en", "publisher", "licence")
    search_fields = ("name", "title_en", "title_ko", "publisher")
    fields = ("name", "title_en", "title_ko", "publisher", "source_url", "sources", "licence", "caveats")
    readonly_fields = fields
    inlines = [ReferenceVersionInline]


@admin.register(ReferenceVersion)
class ReferenceVersionAdmin(ReadOnlyReferenceAdmin):
    list_display = (
        "dataset",
        "number",
        "is_current",
        "published_on",
        "loaded_at",
        "source_file_name",
        "row_count",
    )
    list_filter = ("dataset", "is_current", "origin")
    list_select_related = ("dataset",)
    fields = (
        "dataset",
        "number",
        "is_current",
        "origin",
        "published_on",
        "retrieved_on",
        "loaded_at",
        "loaded_by",
        "source_file_name",
        "source_format",
        "sha256",
        "row_count",
        "note",
    )
    readonly_fields = fields
