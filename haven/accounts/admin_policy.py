"""The Django admin, held to the access policy like every other interface.

Django's own model permissions and ``is_superuser`` are ignored: each ModelAdmin declares which capability
lets a user view and change it, querysets are narrowed to the user's compartments and clearance, and
identifying fields are left out of forms and lists for users who may not see them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest

from haven.accounts import policy
from haven.accounts.policy import Capability


def _site_has_permission(request: HttpRequest) -> bool:
    return policy.has(request.user, Capability.USE_ADMIN) or policy.has(request.user, Capability.VIEW_AUDIT)


admin.site.has_permission = _site_has_permission  # type: ignore[method-assign]

_admin_password_login = admin.site.login


@login_not_required
def _admin_login(request: HttpRequest, extra_context: Any = None) -> Any:
    """Send every log-in through allauth, which asks for the second factor; the admin's own form never logs in.

    Django's admin login form checks only the password: left in place, it would let a user with two-factor
    authentication in without the code.
    """
    from django.http import HttpResponseForbidden, HttpResponseRedirect
    from django.urls import reverse
    from django.utils.http import urlencode

    if request.method != "GET":
        return HttpResponseForbidden("Log in through /accounts/login/.")
    if request.user.is_authenticated:
        return _admin_password_login(request, extra_context)  # the admin's "not authorised" page; GET only
    next_url = request.GET.get("next") or reverse("admin:index")
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")


admin.site.login = _admin_login  # type: ignore[method-assign]


class PolicyAdmin(admin.ModelAdmin):
    view_capability: Capability = Capability.USE_ADMIN
    change_capability: Capability | None = None
    # How to reach the record whose compartment decides visibility ("" = the object itself, None = no compartment).
    compartment_path: str | None = None

    def _can(self, request: HttpRequest, capability: Capability | None) -> bool:
        return capability is not None and policy.has(request.user, capability)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._can(request, self.view_capability)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._can(request, self.view_capability) or self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._can(request, self.change_capability)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._can(request, self.change_capability)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._can(request, self.change_capability)

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request)
        if self.compartment_path is None:
            return qs
        prefix = f"{self.compartment_path}__" if self.compartment_path else ""
        has_level = self.compartment_path == "" and hasattr(qs.model, "confidentiality")
        return policy.visible(
            request.user,
            qs,
            compartment_field=f"{prefix}compartment",
            confidentiality_field=f"{prefix}confidentiality" if (has_level or prefix) else None,
        )

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])
        if not policy.shows_identifying(request.user, obj):
            excluded += sorted(policy.identifying_fields(self.model))
        return excluded or None


def _shown(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


class VersionCheckedForm(forms.ModelForm):
    """Refuses to save over a version of the record that the editor never saw (optimistic locking)."""

    version_seen = forms.IntegerField(widget=forms.HiddenInput, required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["version_seen"].initial = self.instance.version

    def clean(self) -> Any:
        from haven.lib.concurrency import check_version

        cleaned = super().clean()
        seen = cleaned.get("version_seen")
        if self.instance.pk is None or seen is None:
            return cleaned
        model_fields = {f.name for f in self.instance._meta.concrete_fields}
        proposed = {name: cleaned.get(name) for name in self.changed_data if name in model_fields}
        conflict = check_version(type(self.instance), self.instance.pk, seen, proposed)
        if conflict is not None:
            self.conflict = conflict
            lines = [conflict.message()]
            for name, (mine, theirs) in conflict.differences.items():
                label = self.fields[name].label if name in self.fields else name
                lines.append(f"{label}: yours “{_shown(mine)}”, saved “{_shown(theirs)}”")
            raise forms.ValidationError(lines, code="conflict")
        return cleaned


class RecordAdmin(PolicyAdmin):
    """Documentation records: seen by anyone with VIEW_RECORDS in their compartments, edited by documenters.

    Every change and deletion made here is audited (sensitive values only as HMACs), deleting needs a fresh
    re-authentication, and searches are audited without their text (which may be a name).
    """

    view_capability = Capability.USE_ADMIN
    change_capability = Capability.EDIT_RECORDS
    compartment_path = ""

    def _snapshot(self, obj: Any) -> dict[str, Any]:
        return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        # The admin builds its fieldsets from the form's fields, then asks again for those: the hidden
        # version field is the form's own, not the model's.
        if kwargs.get("fields"):
            kwargs["fields"] = [name for name in kwargs["fields"] if name != "version_seen"]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not hasattr(obj, "version"):
            return form
        return type(form.__name__, (VersionCheckedForm, form), {})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from haven.audit.models import AuditAction
        from haven.audit.redaction import diff_for_audit
        from haven.audit.services import audit_record

        before = self._snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change and obj.pk else {}
        if hasattr(obj, "version") and change:
            obj.version = (obj.version or 0) + 1
        super().save_model(request, obj, form, change)
        details = diff_for_audit(before, self._snapshot(obj), policy.identifying_fields(obj))
        audit_record(
            actor=request.user,
            action=AuditAction.RECORD_CHANGED if change else AuditAction.RECORD_CREATED,
            target=obj,
            request=request,
            details={"via": "admin", "fields": details},
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        from haven.audit.models import AuditAction
        from haven.audit.redaction import diff_for_audit
        from haven.audit.services import audit_record

        changes = []
        for inline_form in formset.forms:
            if not inline_form.has_changed():
                continue
            fields = inline_form.changed_data
            old = {f: inline_form.initial.get(f) for f in fields}
            new = {f: inline_form.cleaned_data.get(f) for f in fields if f != "DELETE"}
            changes.append(diff_for_audit(old, new, policy.identifying_fields(formset.model)))
        super().save_formset(request, form, formset, change)
        if changes:
            audit_record(
                actor=request.user,
                action=AuditAction.RECORD_CHANGED,
                target=form.instance,
                request=request,
                details={"via": "admin", "inline": formset.model._meta.label_lower, "rows": changes},
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from haven.audit.models import AuditAction
        from haven.audit.services import audit_record

        audit_record(
            actor=request.user,
            action=AuditAction.RECORD_DELETED,
            target=obj,
            request=request,
            details={"via": "admin"},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        from haven.accounts.sudo import ensure_sudo

        if request.method == "POST":
            ensure_sudo(request)
        return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        from haven.audit.models import AuditAction
        from haven.audit.services import audit_record
        from haven.crypto.keyring import audit_fingerprint

        response = super().changelist_view(request, extra_context)
        query = request.GET.get("q", "")
        filters = {k: v for k, v in request.GET.items() if k not in {"q", "p", "o"}}
        if query or filters:
            audit_record(
                actor=request.user,
                action=AuditAction.RECORD_SEARCHED,
                request=request,
                target=(self.model._meta.label_lower, ""),
                details={
                    "via": "admin",
                    "query_hmac": audit_fingerprint(query, "audit.search") if query else None,
                    "filters": filters,
                },
            )
        return response

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and self.compartment_path == "":
            return policy.can_edit(request.user, obj)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not policy.has(request.user, Capability.DELETE_RECORDS):
            return False
        return obj is None or self.compartment_path != "" or policy.can_delete(request.user, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Offer only the compartments the user holds, so nobody files a record where they cannot see it.
        if db_field.name == "compartment":
            from haven.accounts.models import Compartment

            kwargs["queryset"] = Compartment.objects.filter(pk__in=policy.compartment_ids(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReferenceAdmin(PolicyAdmin):
    """Vocabularies and the gazetteer: readable by anyone who uses the admin, changed by administrators."""

    view_capability = Capability.USE_ADMIN
    change_capability = Capability.MANAGE_USERS


class PolicyInline(admin.options.InlineModelAdmin):
    """Inlines follow the policy too: seen with ``view_capability``, edited when the parent record may be."""

    view_capability: Capability = Capability.USE_ADMIN
    change_capability: Capability | None = Capability.EDIT_RECORDS
    identifying: bool = False  # the inline shows identifying fields (names): needs VIEW_IDENTIFYING

    def _may_see(self, request: HttpRequest, obj: Any) -> bool:
        if self.identifying and not policy.shows_identifying(request.user, obj):
            return False
        return policy.has(request.user, self.view_capability)

    def _may_change(self, request: HttpRequest, obj: Any) -> bool:
        if self.change_capability is None or not policy.has(request.user, self.change_capability):
            return False
        if obj is not None and hasattr(obj, "compartment_id"):
            return policy.can_view(request.user, obj)
        return True

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_see(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_see(request, obj) and self._may_change(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_see(request, obj) and self._may_change(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_see(request, obj) and self._may_change(request, obj)


class PolicyTabularInline(PolicyInline, admin.TabularInline):
    pass
