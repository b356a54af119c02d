from __future__ import annotations

from django.contrib import admin

from haven.vocab.models import Term, Vocabulary


class TermInline(admin.TabularInline):
    model = Term
    fields = ("code", "label_en", "label_ko", "origin", "retired")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False


@admin.register(Vocabulary)
class VocabularyAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ko", "version")
    inlines = [TermInline]


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("code", "label_en", "label_ko", "vocabulary", "origin", "retired")
    list_filter = ("vocabulary", "origin", "retired")
    search_fields = ("code", "label_en", "label_ko")
    list_select_related = ("vocabulary",)
