"""The Django admin: the fallback interface for every model until the web interface covers it.

Korean names are shown decrypted, in their own script, to users whose role may see identifying data in
the record's compartment; everyone else sees the mask. Querysets, permissions and masking come from the
access policy (haven.accounts.admin_policy), and every opened record is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from haven.accounts import policy
from haven.accounts.admin_policy import PolicyTabularInline, RecordAdmin
from haven.records.access import audit_view
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
from haven.records.services import person_reindex

RECORD_FIELDS = ("organisation", "compartment", "confidentiality", "external_id")


class PersonNameInline(PolicyTabularInline):
    model = PersonName
    identifying = True
    fields = ("kind", "system", "full_name", "family_name", "given_name", "is_primary")
    extra = 0


class AuditedRecordAdmin(RecordAdmin):
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        obj = self.get_object(request, object_id)
        if obj is not None:
            audit_view(request.user, obj, request=request, via="admin")
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Person)
class PersonAdmin(AuditedRecordAdmin):
    list_display = (
        "id",
        "names_display",
        "sex",
        "origin_province",
        "exit_year",
        "organisation",
        "confidentiality",
    )
    list_filter = ("organisation", "sex", "confidentiality", "origin_province")
    inlines = [PersonNameInline]
    raw_id_fields = ("origin_province",)
    exclude = ("provenance", "version")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return (
            super()
            .get_queryset(request)
            .select_related("organisation", "origin_province")
            .prefetch_related("names")
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        person_reindex(form.instance)  # names or birth date may have changed: keep the blind indexes in step

    def get_list_display(self, request: HttpRequest) -> Any:
        self._request_user = request.user
        return super().get_list_display(request)

    @admin.display(description="names")
    def names_display(self, obj: Person) -> str:
        if not policy.shows_identifying(getattr(self, "_request_user", None), obj):
            return policy.MASK
        return " / ".join(n.full_name for n in obj.names.all())


class ActInline(PolicyTabularInline):
    model = Act
    fields = ("victim", "act_type", "date_start", "date_end", "date_precision", "location")
    raw_id_fields = ("victim", "location")
    extra = 0
    show_change_link = True


class InformationInline(PolicyTabularInline):
    model = Information
    fields = ("source", "connection", "reliability", "consent")
    raw_id_fields = ("source",)
    extra = 0


@admin.register(Event)
class EventAdmin(AuditedRecordAdmin):
    list_display = (
        "id",
        "title",
        "date_start",
        "date_precision",
        "location",
        "organisation",
        "confidentiality",
    )
    list_filter = ("organisation", "confidentiality", "date_precision")
    search_fields = ("title", "description")
    raw_id_fields = ("location",)
    inlines = [ActInline, InformationInline]
    exclude = ("provenance", "version")
    list_select_related = ("location", "organisation")


class InvolvementInline(PolicyTabularInline):
    model = Involvement
    fields = ("perpetrator", "event", "degree")
    raw_id_fields = ("perpetrator", "event")
    extra = 0


@admin.register(Act)
class ActAdmin(AuditedRecordAdmin):
    list_display = ("id", "act_type", "event", "date_start", "date_precision", "victim_age", "organisation")
    list_filter = ("organisation", "act_type")
    raw_id_fields = ("event", "victim", "location", "facility")
    filter_horizontal = ("methods", "victim_characteristics")
    inlines = [InvolvementInline]
    exclude = ("provenance", "version")
    list_select_related = ("act_type", "event", "organisation")


@admin.register(Involvement)
class InvolvementAdmin(AuditedRecordAdmin):
    list_display = ("id", "act", "event", "perpetrator", "degree")
    raw_id_fields = ("act", "event", "perpetrator")
    exclude = ("provenance", "version")


@admin.register(Information)
class InformationAdmin(AuditedRecordAdmin):
    list_display = ("id", "event", "source", "connection", "reliability", "consent")
    raw_id_fields = ("event", "source", "related_person")
    exclude = ("provenance", "version")


@admin.register(Intervention)
class InterventionAdmin(AuditedRecordAdmin):
    list_display = ("id", "event", "intervening_party", "intervention_type")
    raw_id_fields = ("event", "intervening_party", "victim")
    exclude = ("provenance", "version")


@admin.register(ChainOfEvents)
class ChainOfEventsAdmin(AuditedRecordAdmin):
    compartment_path = "event"

    list_display = ("event", "chain_type", "related_event")
    raw_id_fields = ("event", "related_event")


@admin.register(BiographicRelation)
class BiographicRelationAdmin(AuditedRecordAdmin):
    compartment_path = "person"

    list_display = ("person", "relationship", "related_person")
    raw_id_fields = ("person", "related_person")


@admin.register(ClarificationNote)
class ClarificationNoteAdmin(AuditedRecordAdmin):
    # A note's visibility follows its record, which a generic relation cannot filter on in SQL: only users who
    # may see identifying data in general list notes, and each note's record is checked when opened.
    compartment_path = None
    list_display = ("content_type", "object_id", "field_name", "created_by", "created_at")

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request)
        if not policy.shows_identifying(request.user):
            return qs.none()
        visible_ids = [
            n.pk
            for n in qs.select_related("content_type")
            if n.record is not None and policy.can_view(request.user, n.record)
        ]
        return qs.filter(pk__in=visible_ids)
