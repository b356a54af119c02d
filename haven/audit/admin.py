"""The audit log in the admin: read-only, for users with ``Capability.VIEW_AUDIT`` (auditors, administrators).

Nobody can add, change or delete an entry here, whatever their role. Browsing the log is itself recorded
(``AUDIT_VIEWED``): who looked at whose activity is sensitive too. The web interface will add a proper page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from haven.accounts.admin_policy import PolicyAdmin
from haven.accounts.policy import Capability
from haven.audit.chain import canonical_json
from haven.audit.models import AuditAction, AuditEntry
from haven.audit.services import audit_record

FIELDS = (
    "seq",
    "created_at",
    "actor_label",
    "actor",
    "action",
    "target_type",
    "target_id",
    "compartment_id",
    "ip",
    "details_json",
    "prev_hash",
    "entry_hash",
)


@admin.register(AuditEntry)
class AuditEntryAdmin(PolicyAdmin):
    view_capability = Capability.VIEW_AUDIT
    change_capability = None

    list_display = (
        "seq",
        "created_at",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "compartment_id",
        "ip",
    )
    list_filter = ("action", "created_at")
    search_fields = ("=actor_label", "=target_id", "^target_type")
    ordering = ("-seq",)
    list_per_page = 100
    show_full_result_count = False  # no COUNT(*) over the whole log on every page
    actions = None
    fields = FIELDS
    readonly_fields = FIELDS

    @admin.display(description=_("details"))
    def details_json(self, obj: AuditEntry) -> str:
        return format_html("<pre>{}</pre>", canonical_json(obj.details)) if obj.details else "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            params = {k for k in request.GET if k not in {"p", "o"}}
            audit_record(
                actor=request.user,
                action=AuditAction.AUDIT_VIEWED,
                request=request,
                details={"view": "list", "search": "q" in params, "filtered": bool(params - {"q"})},
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            audit_record(
                actor=request.user,
                action=AuditAction.AUDIT_VIEWED,
                request=request,
                target=("audit.auditentry", object_id),
                details={"view": "entry"},
            )
        return response
