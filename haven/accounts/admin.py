from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.decorators import method_decorator

from haven.accounts import services
from haven.accounts.admin_policy import PolicyAdmin, PolicyTabularInline
from haven.accounts.models import Compartment, CompartmentGrant, Organisation, User
from haven.accounts.policy import Capability
from haven.accounts.sudo import sudo_required


class GrantInline(PolicyTabularInline):
    model = CompartmentGrant
    view_capability = Capability.MANAGE_USERS
    change_capability = Capability.MANAGE_USERS
    fk_name = "user"
    fields = ("compartment", "granted_by", "granted_at")
    readonly_fields = ("granted_by", "granted_at")
    extra = 0


@admin.register(User)
class HavenUserAdmin(PolicyAdmin, UserAdmin):
    """Users, roles and grants: administrators only, after re-authentication, every change audited."""

    view_capability = Capability.MANAGE_USERS
    change_capability = Capability.MANAGE_USERS
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Haven", {"fields": ("role", "organisation", "preferred_language")}),
        ("Person", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2", "role")}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "role", "organisation", "is_active", "last_login")
    list_filter = ("role", "organisation", "is_active")
    inlines = [GrantInline]

    @method_decorator(sudo_required(allow_get=True))
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return super().changeform_view(request, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        new_role = obj.role
        if change:
            obj.role = User.objects.get(pk=obj.pk).role  # the role changes only through the audited service
        super().save_model(request, obj, form, change)
        services.user_set_role(actor=request.user, user=obj, role=new_role, request=request)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not CompartmentGrant:
            return super().save_formset(request, form, formset, change)
        user = form.instance
        for grant_form in formset.forms:
            if not grant_form.has_changed() and not grant_form.cleaned_data.get("DELETE"):
                continue
            data = grant_form.cleaned_data
            if data.get("DELETE") and data.get("id"):
                services.grant_remove(
                    actor=request.user, user=user, compartment=data["id"].compartment, request=request
                )
            elif data.get("compartment") and not data.get("DELETE"):
                if data.get("id") and data["id"].compartment != data["compartment"]:
                    services.grant_remove(
                        actor=request.user, user=user, compartment=data["id"].compartment, request=request
                    )
                services.grant_add(
                    actor=request.user, user=user, compartment=data["compartment"], request=request
                )
        # The admin builds its change message from these; the audit log has the real record.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None


@admin.register(Organisation)
class OrganisationAdmin(PolicyAdmin):
    view_capability = Capability.USE_ADMIN
    change_capability = Capability.MANAGE_USERS
    list_display = ("code", "name_en", "name_ko")
    search_fields = ("code", "name_en", "name_ko")


@admin.register(Compartment)
class CompartmentAdmin(PolicyAdmin):
    view_capability = Capability.MANAGE_USERS
    change_capability = Capability.MANAGE_USERS
    list_display = ("code", "name", "organisation")
    list_filter = ("organisation",)


def _govern_third_party_admins() -> None:
    """Put the admin pages that allauth, axes and django.contrib.auth register under the access policy.

    Their own ModelAdmins trust Django's model permissions, which a superuser flag would bypass; in Haven
    only the policy decides. Groups and e-mail addresses are not used, so their pages go.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group

    for model in (Group, EmailAddress):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
    for model, can_delete in (
        (Authenticator, True),
        (UserSession, True),
        (AccessAttempt, True),
        (AccessLog, False),
        (AccessFailureLog, False),
    ):
        original = admin.site._registry.get(model)
        if original is not None:
            admin.site.unregister(model)
        attrs = {
            "view_capability": Capability.MANAGE_USERS,
            "change_capability": None,
            "has_delete_permission": (
                (lambda self, request, obj=None: self._can(request, Capability.MANAGE_USERS))
                if can_delete
                else (lambda self, request, obj=None: False)
            ),
        }
        if model is Authenticator:
            attrs["exclude"] = ("data",)  # encrypted secrets: nothing to show
        bases = (PolicyAdmin, type(original)) if original is not None else (PolicyAdmin,)
        admin.site.register(model, type(f"Governed{model.__name__}Admin", bases, attrs))


_govern_third_party_admins()
