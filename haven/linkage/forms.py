"""Forms of the linkage pages: starting a run, and a reviewer's decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.accounts import policy
from haven.accounts.models import Compartment
from haven.analytics.linkage import DEFAULT_THRESHOLD
from haven.linkage.models import Decision, LinkageRun, RunStatus
from haven.linkage.services import run_visible


class RunForm(forms.Form):
    compartments = forms.ModelMultipleChoiceField(
        queryset=Compartment.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=_("Compartments to link"),
        help_text=_("The persons of these compartments that you may see are linked with each other."),
        error_messages={"required": _("Choose at least one compartment.")},
    )
    threshold = forms.FloatField(
        label=_("Threshold (match probability that starts a cluster)"),
        min_value=0.05,
        max_value=0.99,
        initial=DEFAULT_THRESHOLD,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    seed = forms.IntegerField(
        label=_("Seed (optional; the same seed gives the same result)"),
        required=False,
        min_value=0,
        max_value=2**31 - 1,
    )
    model_from = forms.ModelChoiceField(
        queryset=LinkageRun.objects.none(),
        required=False,
        label=_("Reuse the model of an earlier run (optional)"),
        help_text=_("For few records, too few to train a model on: the model of an earlier run is used."),
        empty_label=_("Train a new model, learning from reviewers' decisions"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compartments"].queryset = Compartment.objects.filter(
            pk__in=policy.compartment_ids(user)
        ).select_related("organisation")
        self.fields["compartments"].label_from_instance = lambda c: f"{c.organisation} — {c.name} ({c.code})"
        candidates = (
            LinkageRun.objects.filter(status=RunStatus.DONE, compartments__in=policy.compartment_ids(user))
            .distinct()
            .order_by("-created_at")[:20]
        )
        allowed = [r.pk for r in candidates if run_visible(user, r)]
        self.fields["model_from"].queryset = LinkageRun.objects.filter(pk__in=allowed).order_by("-created_at")
        self.fields["model_from"].label_from_instance = lambda run: (
            _("Run %(id)s of %(date)s")
            % {
                "id": run.pk,
                "date": run.created_at.date().isoformat(),
            }
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, label=_("Decision"))
    note = forms.CharField(
        label=_("Note (optional, kept encrypted)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class UndoForm(forms.Form):
    note = forms.CharField(
        label=_("Why undo? (optional, kept encrypted)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
