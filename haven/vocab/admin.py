from __future__ import annotations

from django.contrib import admin

from haven.accounts.admin_policy import PolicyTabularInline, ReferenceAdmin
from haven.vocab.models import Term, Vocabulary


class TermInline(PolicyTabularInline):
    change_capability = None
    model = Term
    fields = ("code", "label_en", "label_ko", "origin", "retired")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False


@admin.register(Vocabulary)
class VocabularyAdmin(ReferenceAdmin):
    list_display = ("code", "name_en", "name_ko", "version")
    inlines = [TermInline]


@admin.register(Term)
class TermAdmin(ReferenceAdmin):
    list_display = ("code", "label_en", "label_ko", "vocabulary", "origin", "retired")
    list_filter = ("vocabulary", "origin", "retired")
    search_fields = ("code", "label_en", "label_ko")
    list_select_related = ("vocabulary",)
