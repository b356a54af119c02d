"""The form that sets up an estimation run; it validates everything the job will need, at the boundary."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from haven.analytics.estimation import DEFAULT_MAX_MODELS, count_hierarchical_models
from haven.estimation.models import EstimationRun, Method
from haven.estimation.selectors import organisations_for
from haven.estimation.services import MAX_SWEEPS, SEED_LIMIT
from haven.vocab.models import Term

MAX_LISTS = 12
STRATA_CHOICES = [
    ("sex", _("Victim's sex")),
    ("act_period", _("Period of the act")),
    ("exit_period", _("Year of leaving North Korea")),
    ("origin_province", _("Province of origin")),
]
BAND_CHOICES = [(1, _("1 year")), (2, _("2 years")), (5, _("5 years")), (10, _("10 years"))]


class OrganisationChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        name = obj.name_ko if get_language() == "ko" and obj.name_ko else obj.name_en
        return f"{name} ({obj.code})"


class TermChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * max(obj.depth - 1, 0)}{obj.label}"


class RunForm(forms.Form):
    lists = OrganisationChoiceField(
        label=_("Lists (one per organisation)"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Each list holds the people one organisation documented, among the records you may see. A person "
            "recorded by several organisations is counted once, on each of their lists (record linkage)."
        ),
    )
    population = forms.ChoiceField(
        label=_("Who counts"),
        choices=[
            ("victims", _("Victims of acts (filtered below)")),
            ("persons", _("Every person recorded (victims, sources and others)")),
        ],
        initial="victims",
        widget=forms.RadioSelect,
    )
    act_type = TermChoiceField(
        label=_("Type of act"), queryset=Term.objects.none(), required=False, empty_label=_("Any")
    )
    year_from = forms.IntegerField(label=_("Acts from year"), min_value=1900, max_value=2100, required=False)
    year_to = forms.IntegerField(label=_("to year"), min_value=1900, max_value=2100, required=False)
    strata = forms.MultipleChoiceField(
        label=_("Estimate separately by (strata)"),
        choices=STRATA_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each stratum is estimated on its own and the totals are combined."),
    )
    band = forms.TypedChoiceField(
        label=_("Width of the period bands"), choices=BAND_CHOICES, coerce=int, initial=5
    )
    method = forms.ChoiceField(
        label=_("Method"), choices=Method.choices, initial=Method.LOGLINEAR, widget=forms.RadioSelect
    )
    criterion = forms.ChoiceField(
        label=_("Model selection criterion"),
        choices=[("aic", "AIC"), ("bic", "BIC")],
        initial="aic",
        widget=forms.RadioSelect,
    )
    max_order = forms.IntegerField(
        label=_("Highest interaction order"),
        min_value=1,
        max_value=MAX_LISTS - 1,
        required=False,
        help_text=_("Empty: all orders up to the number of lists minus one."),
    )
    K = forms.IntegerField(
        label=_("Latent classes (K)"),
        min_value=1,
        max_value=50,
        required=False,
        help_text=_("Empty: min(2^lists − 1, 15)."),
    )
    burnin = forms.IntegerField(label=_("Burn-in sweeps"), min_value=0, max_value=200_000, initial=10_000)
    samples = forms.IntegerField(
        label=_("Draws kept per chain"), min_value=4, max_value=20_000, initial=1_000
    )
    thinning = forms.IntegerField(
        label=_("Thinning (sweeps per draw)"), min_value=1, max_value=1_000, initial=10
    )
    chains = forms.IntegerField(label=_("Chains"), min_value=1, max_value=8, initial=2)
    seed = forms.IntegerField(
        label=_("Seed"),
        min_value=0,
        max_value=SEED_LIMIT - 1,
        required=False,
        help_text=_("Empty: a random seed, recorded with the run so it can be repeated."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lists"].queryset = organisations_for(user)  # type: ignore[attr-defined]
        self.fields["act_type"].queryset = Term.objects.filter(  # type: ignore[attr-defined]
            vocabulary__code="act-types", retired=False
        ).order_by("path")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lists = data.get("lists")
        if lists is not None and not 2 <= len(lists) <= MAX_LISTS:
            self.add_error(
                "lists",
                _("Choose from 2 to %(max)s lists: capture-recapture needs the overlap of at least two.")
                % {"max": MAX_LISTS},
            )
        year_from, year_to = data.get("year_from"), data.get("year_to")
        if year_from is not None and year_to is not None and year_from > year_to:
            self.add_error("year_to", _("The period ends before it starts."))
        if data.get("population") == "persons":
            if data.get("act_type") or year_from is not None or year_to is not None:
                self.add_error(
                    "population",
                    _("The type of act and the period select victims: choose “Victims of acts”."),
                )
            if "act_period" in (data.get("strata") or []):
                self.add_error("strata", _("The period of the act needs “Victims of acts”."))
        if data.get("method") == Method.LOGLINEAR and lists is not None and len(lists) >= 2:
            self._check_models(len(lists), data.get("max_order"))
        if data.get("method") == Method.LCMCR:
            sweeps = (data.get("burnin") or 0) + (data.get("samples") or 0) * (data.get("thinning") or 0)
            if sweeps > MAX_SWEEPS:
                self.add_error(
                    "samples",
                    _("That is %(n)s sweeps per chain; the limit is %(max)s. Keep fewer draws or thin less.")
                    % {"n": f"{sweeps:,}", "max": f"{MAX_SWEEPS:,}"},
                )
        return data

    def _check_models(self, num_lists: int, max_order: int | None) -> None:
        if max_order is not None and max_order > num_lists - 1:
            self.add_error(
                "max_order",
                _("With %(j)s lists the highest interaction order is %(top)s.")
                % {"j": num_lists, "top": num_lists - 1},
            )
            return
        count = count_hierarchical_models(num_lists, max_order, limit=DEFAULT_MAX_MODELS)
        if count > DEFAULT_MAX_MODELS:
            self.add_error(
                "max_order",
                _(
                    "With %(j)s lists there are more than %(max)s log-linear models to compare: "
                    "set a lower highest interaction order (2 usually suffices), or use LCMCR."
                )
                % {"j": num_lists, "max": f"{DEFAULT_MAX_MODELS:,}"},
            )

    def to_params(self) -> dict[str, Any]:
        """Return the job parameters (plain JSON) for the validated form."""
        data = self.cleaned_data
        lcmcr = data["method"] == Method.LCMCR
        return {
            "table": {
                "organisation_ids": sorted(o.pk for o in data["lists"]),
                "population": data["population"],
                "act_type_id": data["act_type"].pk if data.get("act_type") else None,
                "year_from": data.get("year_from"),
                "year_to": data.get("year_to"),
                "strata": [s for s, _label in STRATA_CHOICES if s in data.get("strata", [])],
                "band": data["band"],
            },
            "method": {
                "method": data["method"],
                "criterion": data["criterion"],
                "max_order": None if lcmcr else data.get("max_order"),
                "K": data.get("K") if lcmcr else None,
                "burnin": data["burnin"],
                "samples": data["samples"],
                "thinning": data["thinning"],
                "chains": data["chains"],
                "seed": data.get("seed") if lcmcr else None,
            },
        }


def initial_from_run(run: EstimationRun, user: Any) -> dict[str, Any]:
    """Return form initial values that repeat ``run``'s choices on today's records (lists still visible)."""
    inputs = run.inputs
    codes = [item["code"] for item in inputs["lists"]]
    act_type = (inputs.get("filters") or {}).get("act_type")
    settings = inputs["settings"]
    initial: dict[str, Any] = {
        "lists": list(organisations_for(user).filter(code__in=codes)),
        "population": inputs.get("population", "victims"),
        "act_type": Term.objects.filter(vocabulary__code="act-types", code=act_type["code"]).first()
        if act_type
        else None,
        "year_from": inputs["filters"].get("year_from"),
        "year_to": inputs["filters"].get("year_to"),
        "strata": list(inputs.get("strata", [])),
        "band": inputs.get("band", 5),
        "method": inputs["method"],
    }
    for key in ("criterion", "max_order", "K", "burnin", "samples", "thinning", "chains", "seed"):
        if key in settings:
            initial[key] = settings[key]
    return initial
