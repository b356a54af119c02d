"""The web import's forms: the upload (file, kind, source organisation, compartment, mapping) and the decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.accounts import policy
from haven.accounts.models import Compartment, Organisation
from haven.exchange import uploads
from haven.exchange.models import ColumnMapping, ImportKind

ENCODINGS = [
    ("", _("Detect it (UTF-8, UTF-16, or CP949/EUC-KR as Korean Excel saves CSV)")),
    ("utf-8", "UTF-8"),
    ("cp949", "CP949 / EUC-KR"),
    ("utf-16", "UTF-16"),
]


class MappingChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.organisation.code} · {obj.name} ({obj.get_kind_display()})"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV, XLSX (first sheet) or JSON. The file is encrypted as it arrives and deleted after the import."
        ),
    )
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    organisation = forms.ModelChoiceField(
        label=_("Source organisation"),
        queryset=Organisation.objects.none(),
        help_text=_("The organisation that documented these records: ids in the file are its ids."),
    )
    compartment = forms.ModelChoiceField(
        label=_("Compartment to import into"), queryset=Compartment.objects.none()
    )
    mapping = MappingChoiceField(
        label=_("Column mapping"),
        queryset=ColumnMapping.objects.none(),
        required=False,
        empty_label=_("None: recognise the usual headers"),
        help_text=_(
            "A mapping saved for the source organisation, if its files name their columns otherwise."
        ),
    )
    encoding = forms.ChoiceField(label=_("Encoding (CSV and JSON)"), choices=ENCODINGS, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.order_by("code")  # type: ignore[attr-defined]
        self.fields["compartment"].queryset = (  # type: ignore[attr-defined]
            Compartment.objects.filter(pk__in=policy.compartment_ids(user))
            .select_related("organisation")
            .order_by("code")
        )
        self.fields["mapping"].queryset = ColumnMapping.objects.select_related("organisation").order_by(  # type: ignore[attr-defined]
            "organisation__code", "name", "kind"
        )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(uploads.SUFFIXES):
            raise forms.ValidationError(
                _("Unsupported file type: use CSV (.csv, .tsv, .txt), XLSX or JSON."), code="suffix"
            )
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."), code="empty")
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        mapping = data.get("mapping")
        if mapping is not None and (
            mapping.organisation_id != getattr(data.get("organisation"), "pk", None)
            or mapping.kind != data.get("kind")
        ):
            self.add_error(
                "mapping",
                _(
                    "This mapping belongs to another organisation or kind of file; choose one of the source's."
                ),
            )
        return data


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("import", "import"), ("discard", "discard")])
    skip_invalid = forms.BooleanField(required=False)
