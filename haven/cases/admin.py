"""The admin for cases: partner lists for administrators, and a read-only, name-free overview of cases.

Cases are worked on in the case pages (haven.cases.views), never here; the admin only lists them, narrowed
to the user's compartments and clearance, with identifying fields left out for users who may not see them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from haven.accounts import policy
from haven.accounts.admin_policy import PolicyAdmin
from haven.accounts.models import Organisation
from haven.accounts.policy import Capability
from haven.audit.models import AuditAction
from haven.audit.services import audit_record
from haven.cases import services
from haven.cases.access import cases_visible_to, shows_identifying
from haven.cases.models import Case, Partner


def _organisations(user: Any) -> Any:
    return Organisation.objects.filter(compartments__in=policy.compartment_ids(user)).distinct()


@admin.register(Partner)
class PartnerAdmin(PolicyAdmin):
    """Each organisation's partners (where cases are referred): kept by its administrators."""

    view_capability = Capability.VIEW_CASES
    change_capability = Capability.MANAGE_USERS
    list_display = ("name_en", "name_ko", "organisation", "country", "active")
    list_filter = ("active",)
    fields = ("organisation", "name_en", "name_ko", "country", "services", "active")
    filter_horizontal = ()

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(organisation__in=_organisations(request.user))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # referrals and consents name partners: retire one (active = no) instead

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "organisation":
            kwargs["queryset"] = _organisations(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "services":
            from haven.vocab.models import Term

            kwargs["queryset"] = Term.objects.filter(vocabulary__code="case-needs", retired=False)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.partner_save(
            actor=request.user,
            organisation=obj.organisation,
            name_en=obj.name_en,
            name_ko=obj.name_ko,
            country=obj.country,
            services=form.cleaned_data.get("services") or [],
            partner=obj,
            active=obj.active,
        )


@admin.register(Case)
class CaseAdmin(PolicyAdmin):
    """A read-only overview: references, status and risk, never the survivor's name."""

    view_capability = Capability.VIEW_CASES
    change_capability = None
    list_display = (
        "reference",
        "status",
        "risk_level",
        "organisation",
        "compartment",
        "opened_on",
        "closed_on",
    )
    list_filter = ("status", "risk_level")
    search_fields = ("reference",)
    readonly_fields = (
        "reference",
        "organisation",
        "compartment",
        "confidentiality",
        "status",
        "risk_level",
        "opened_on",
        "closed_on",
        "closure_reason",
        "reopened_count",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> Any:
        return cases_visible_to(request.user).select_related("organisation", "compartment")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        obj = self.get_object(request, object_id)
        if obj is not None:
            audit_record(
                actor=request.user,
                action=AuditAction.CASE_VIEWED,
                target=obj,
                request=request,
                details={"via": "admin", "identifying_shown": shows_identifying(request.user, obj)},
            )
        return super().change_view(request, object_id, form_url, extra_context)
