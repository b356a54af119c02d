from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from haven.accounts import policy
from haven.accounts.admin_policy import RecordAdmin
from haven.evidence.models import EvidenceFile
from haven.evidence.services import evidence_attach

ATTACHABLE = ("records.person", "records.event", "records.act", "records.information", "records.intervention")


class EvidenceUploadForm(forms.ModelForm):
    upload = forms.FileField()
    record_type = forms.ChoiceField(choices=[(c, c) for c in ATTACHABLE])
    record_id = forms.IntegerField(min_value=1)

    class Meta:
        model = EvidenceFile
        fields = ("description",)

    user: Any = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk is None and data.get("record_type") and data.get("record_id"):
            app_label, model = data["record_type"].split(".")
            model_class = ContentType.objects.get(app_label=app_label, model=model).model_class()
            record = model_class._default_manager.filter(pk=data["record_id"]).first()
            if record is None or not policy.can_edit(self.user, record):
                raise forms.ValidationError("No such record.")  # the same for missing and forbidden
            data["record"] = record
        return data


@admin.register(EvidenceFile)
class EvidenceFileAdmin(RecordAdmin):
    list_display = ("id", "content_type", "object_id", "size", "uploaded_by", "uploaded_at", "download_link")
    list_select_related = ("content_type", "uploaded_by")
    form = EvidenceUploadForm

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type("BoundEvidenceUploadForm", (form,), {"user": request.user})

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("upload", "record_type", "record_id", "description")
        return ("content_type", "object_id", "size", "description", "uploaded_by", "uploaded_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else ("content_type", "object_id", "size", "uploaded_by", "uploaded_at")

    @admin.display(description="file")
    def download_link(self, obj: EvidenceFile) -> str:
        return format_html('<a href="{}">download</a>', reverse("evidence:download", args=[obj.pk]))

    def save_model(self, request: HttpRequest, obj: EvidenceFile, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["description"])
            return
        record = form.cleaned_data["record"]
        upload = form.cleaned_data["upload"]
        saved = evidence_attach(
            actor=request.user,
            record=record,
            chunks=upload.chunks(),
            original_name=upload.name,
            media_type=upload.content_type or "",
            request=request,
            description=form.cleaned_data.get("description", ""),
        )
        obj.pk = saved.pk

    def response_add(self, request: HttpRequest, obj: EvidenceFile, post_url_continue: Any = None) -> Any:
        return HttpResponseRedirect(reverse("admin:evidence_evidencefile_changelist"))
