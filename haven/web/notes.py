"""Clarification notes added from a record page (the note form is shown to users who may edit the record)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from haven.accounts import policy
from haven.audit.models import AuditAction
from haven.audit.services import audit_refusal
from haven.records.models import Act, Event, Information, Person
from haven.records.services import MAX_NOTE, NOTE_FIELDS, WriteRefused, clarification_note_add

# URL segment -> (model, name of the record page)
KINDS: dict[str, tuple[type[Model], str]] = {
    "persons": (Person, "web:person"),
    "events": (Event, "web:event"),
    "acts": (Act, "web:act"),
    "information": (Information, "web:information"),
}
KIND_OF_MODEL = {model._meta.label_lower: kind for kind, (model, _page) in KINDS.items()}

# Labels of the fields notes and history name, where the model's own name is not translated.
_SPECIAL_LABELS = {
    "": gettext_lazy("The record as a whole"),
    "date": gettext_lazy("Date"),
    "date_start": gettext_lazy("Date"),
    "date_end": gettext_lazy("Date"),
    "date_precision": gettext_lazy("Date"),
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Date of birth"),
    "origin_province": gettext_lazy("Province of origin"),
    "origin_detail": gettext_lazy("Place of origin (detail)"),
    "exit_year": gettext_lazy("Year of leaving North Korea"),
    "sensitive_notes": gettext_lazy("Notes (sensitive)"),
    "location": gettext_lazy("Place"),
    "facility": gettext_lazy("Detention facility"),
    "act_type": gettext_lazy("Type of act"),
    "victim": gettext_lazy("Victim"),
    "methods": gettext_lazy("Methods"),
    "victim_age": gettext_lazy("Age of the victim at the time"),
    "stated_reason": gettext_lazy("Stated reason"),
    "source": gettext_lazy("Source"),
    "event": gettext_lazy("Event"),
    "connection": gettext_lazy("Source's connection to the events"),
    "source_types": gettext_lazy("Type of source material"),
    "language": gettext_lazy("Language"),
    "reliability": gettext_lazy("Reliability"),
    "consent": gettext_lazy("Consent"),
    "interviewer": gettext_lazy("Interviewer"),
    "remarks": gettext_lazy("Remarks"),
    "perpetrator": gettext_lazy("Perpetrator"),
    "degree": gettext_lazy("Degree of involvement"),
    "perpetrator_types": gettext_lazy("Type of perpetrator"),
    "full_name": gettext_lazy("Name as written"),
    "group_description": gettext_lazy("Group description"),
    "confidentiality": gettext_lazy("Confidentiality"),
}


def field_label(model: type[Model] | Model, name: str) -> str:
    """Return the human name of a field a note is attached to ("date of birth"), or the name itself."""
    if name in _SPECIAL_LABELS:
        return str(_SPECIAL_LABELS[name])
    try:
        verbose = str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name
    return verbose[:1].upper() + verbose[1:]


class NoteForm(forms.Form):
    field_name = forms.ChoiceField(label=gettext_lazy("About"), required=False)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Why a value is uncertain, or where it comes from. Stored encrypted."),
    )

    def __init__(self, *args: Any, record: Model, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "note-%s")
        super().__init__(*args, **kwargs)
        names = NOTE_FIELDS.get(record._meta.label_lower, ("",))
        self.fields["field_name"].choices = [(n, field_label(record, n)) for n in names]  # type: ignore[attr-defined]
        self.fields["note"].widget.attrs["aria-describedby"] = "note-note-help"


def note_form_for(user: Any, record: Model) -> NoteForm | None:
    """Return an empty note form if ``user`` may edit ``record`` (else None: no form is shown)."""
    if record._meta.label_lower not in KIND_OF_MODEL or not policy.can_edit(user, record):
        return None
    return NoteForm(record=record)


@require_POST
def note_add(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in KINDS:
        raise Http404("No such page.")
    model, page = KINDS[kind]
    record = model._default_manager.filter(pk=pk).first()
    if record is None or not policy.can_view(request.user, record):
        audit_refusal(
            actor=request.user,
            action=AuditAction.ACCESS_REFUSED,
            target=(model._meta.label_lower, str(pk)),
            request=request,
            details={"reason": "not found or not permitted"},
        )
        raise Http404("No such record.")  # the same answer for missing and forbidden
    form = NoteForm(request.POST, record=record)
    if form.is_valid():
        try:
            clarification_note_add(
                actor=request.user,
                record=record,
                field_name=form.cleaned_data["field_name"] or "",
                note=form.cleaned_data["note"],
            )
        except WriteRefused:
            messages.error(request, _("Your role may not add notes to this record."))
        except ValidationError as error:
            messages.error(request, " ".join(m for ms in error.message_dict.values() for m in ms))
        else:
            messages.success(request, _("Note added."))
    else:
        problems = [f"{form[name].label}: {' '.join(errs)}" for name, errs in form.errors.items()]
        messages.error(request, " ".join(problems))
    return redirect(f"{_page_url(page, record.pk)}#notes-h")


def _page_url(page: str, pk: Any) -> str:
    from django.urls import reverse

    return reverse(page, args=[pk])
