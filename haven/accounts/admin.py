from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from haven.accounts.models import Compartment, Organisation, User


@admin.register(User)
class HavenUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Haven", {"fields": ("organisation", "preferred_language")}))
    list_display = ("username", "email", "organisation", "is_staff", "is_active")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ko")
    search_fields = ("code", "name_en", "name_ko")


@admin.register(Compartment)
class CompartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "organisation")
    list_filter = ("organisation",)
