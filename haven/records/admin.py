"""The Django admin: the fallback interface for every model until the web interface covers it.

Korean names are shown decrypted in their own script (the admin is for administrators; the security core
decides who may reach it).
"""

from __future__ import annotations

from django.contrib import admin

from haven.records.models import (
    Act,
    BiographicRelation,
    ChainOfEvents,
    ClarificationNote,
    Event,
    Information,
    Intervention,
    Involvement,
    Person,
    PersonName,
)

RECORD_FIELDS = ("organisation", "compartment", "confidentiality", "external_id")


class PersonNameInline(admin.TabularInline):
    model = PersonName
    fields = ("kind", "system", "full_name", "family_name", "given_name", "is_primary")
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("id", "names_display", "sex", "origin_province", "exit_year", "organisation", "confidentiality")
    list_filter = ("organisation", "sex", "confidentiality", "origin_province")
    inlines = [PersonNameInline]
    raw_id_fields = ("origin_province",)
    exclude = ("provenance", "version")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).select_related("organisation", "origin_province").prefetch_related("names")

    @admin.display(description="names")
    def names_display(self, obj: Person) -> str:
        return " / ".join(n.full_name for n in obj.names.all())


class ActInline(admin.TabularInline):
    model = Act
    fields = ("victim", "act_type", "date_start", "date_end", "date_precision", "location")
    raw_id_fields = ("victim", "location")
    extra = 0
    show_change_link = True


class InformationInline(admin.TabularInline):
    model = Information
    fields = ("source", "connection", "reliability", "consent")
    raw_id_fields = ("source",)
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "date_start", "date_precision", "location", "organisation", "confidentiality")
    list_filter = ("organisation", "confidentiality", "date_precision")
    search_fields = ("title", "description")
    raw_id_fields = ("location",)
    inlines = [ActInline, InformationInline]
    exclude = ("provenance", "version")
    list_select_related = ("location", "organisation")


class InvolvementInline(admin.TabularInline):
    model = Involvement
    fields = ("perpetrator", "event", "degree")
    raw_id_fields = ("perpetrator", "event")
    extra = 0


@admin.register(Act)
class ActAdmin(admin.ModelAdmin):
    list_display = ("id", "act_type", "event", "date_start", "date_precision", "victim_age", "organisation")
    list_filter = ("organisation", "act_type")
    raw_id_fields = ("event", "victim", "location", "facility")
    filter_horizontal = ("methods", "victim_characteristics")
    inlines = [InvolvementInline]
    exclude = ("provenance", "version")
    list_select_related = ("act_type", "event", "organisation")


@admin.register(Involvement)
class InvolvementAdmin(admin.ModelAdmin):
    list_display = ("id", "act", "event", "perpetrator", "degree")
    raw_id_fields = ("act", "event", "perpetrator")
    exclude = ("provenance", "version")


@admin.register(Information)
class InformationAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "source", "connection", "reliability", "consent")
    raw_id_fields = ("event", "source", "related_person")
    exclude = ("provenance", "version")


@admin.register(Intervention)
class InterventionAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "intervening_party", "intervention_type")
    raw_id_fields = ("event", "intervening_party", "victim")
    exclude = ("provenance", "version")


@admin.register(ChainOfEvents)
class ChainOfEventsAdmin(admin.ModelAdmin):
    list_display = ("event", "chain_type", "related_event")
    raw_id_fields = ("event", "related_event")


@admin.register(BiographicRelation)
class BiographicRelationAdmin(admin.ModelAdmin):
    list_display = ("person", "relationship", "related_person")
    raw_id_fields = ("person", "related_person")


@admin.register(ClarificationNote)
class ClarificationNoteAdmin(admin.ModelAdmin):
    list_display = ("content_type", "object_id", "field_name", "created_by", "created_at")
