"""Forms of the case pages: validate input at the boundary; the services check again and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.accounts import policy
from haven.accounts.models import Compartment, User
from haven.cases.models import (
    AbductionStatus,
    Case,
    ClosureReason,
    ConsentScope,
    Currency,
    FollowUpStatus,
    GivenBy,
    Partner,
    PaymentKind,
    ReferralStatus,
    RiskLevel,
)
from haven.lib.dates import DateParseError, ImpreciseDate
from haven.lib.widgets import ListedChoices, QuickSelect
from haven.places.models import Location
from haven.records.models import Confidentiality, Sex
from haven.vocab.models import Term

DATE_HELP = _("For example 2019, 2019-03, 2019-03-05, c. 2019 or 2018..2019; leave empty if unknown.")


class ImpreciseDateField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", DATE_HELP)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> ImpreciseDate:  # type: ignore[override]
        text = super().clean(value)
        try:
            return ImpreciseDate.parse(text)
        except (DateParseError, ValueError) as exc:
            raise forms.ValidationError(str(exc)) from None


class TermField(forms.ModelChoiceField):  # type: ignore[type-arg]
    widget = QuickSelect
    iterator = ListedChoices
    keep_choices = True

    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * max(obj.depth - 1, 0)}{obj.label}"


class TermsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    widget = forms.CheckboxSelectMultiple
    iterator = ListedChoices
    keep_choices = True

    def label_from_instance(self, obj: Any) -> str:
        return obj.label


class TermsSelectField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A long, nested list (perpetrator types): a multiple select, indented by depth."""

    widget = forms.SelectMultiple(attrs={"size": 8})
    iterator = ListedChoices
    keep_choices = True

    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * max(obj.depth - 1, 0)}{obj.label}"


class PlaceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    widget = QuickSelect
    iterator = ListedChoices
    keep_choices = True

    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * max(obj.path.count('/') - 2, 0)}{obj.name}"


class UserField(forms.ModelChoiceField):  # type: ignore[type-arg]
    widget = QuickSelect
    iterator = ListedChoices

    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class UsersField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    widget = forms.CheckboxSelectMultiple
    iterator = ListedChoices

    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class PartnersField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    widget = forms.CheckboxSelectMultiple
    iterator = ListedChoices

    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class PartnerField(forms.ModelChoiceField):  # type: ignore[type-arg]
    widget = QuickSelect
    iterator = ListedChoices

    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class DateInput(forms.DateInput):
    input_type = "date"


def terms(vocabulary: str) -> Any:
    return Term.objects.filter(vocabulary__code=vocabulary, retired=False).order_by("sort_order")


def places() -> Any:
    return Location.objects.order_by("path")


def case_workers(compartment_id: int, *, editors_only: bool = False) -> list[User]:
    """Users who may work on cases in this compartment (granted it, with VIEW_CASES or EDIT_CASES)."""
    need = policy.C.EDIT_CASES if editors_only else policy.C.VIEW_CASES
    users = User.objects.filter(grants__compartment_id=compartment_id, is_active=True).order_by("username")
    return [u for u in users if policy.has(u, need)]


class CaseForm(forms.Form):
    """A form of the case page: its own ids (``id_<prefix>_<field>``), since the page holds many forms."""

    id_prefix = "case"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class CaseCreateForm(forms.Form):
    compartment = forms.ModelChoiceField(label=_("Compartment"), queryset=Compartment.objects.none())
    confidentiality = forms.ChoiceField(label=_("Confidentiality"))
    person_id = forms.IntegerField(
        label=_("Person record number"),
        required=False,
        min_value=1,
        help_text=_("If the person is already in the records; otherwise enter their name below."),
    )
    name_hangul = forms.CharField(label=_("Name in Hangul"), required=False, max_length=200)
    name_latin = forms.CharField(label=_("Name in Latin letters"), required=False, max_length=200)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.FEMALE)
    birth_date = ImpreciseDateField(label=_("Date of birth"))
    summary = forms.CharField(
        label=_("Case summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    current_whereabouts = forms.CharField(
        label=_("Where the person is now"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    safe_contact = forms.CharField(
        label=_("How to reach them safely"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compartment"].queryset = Compartment.objects.filter(  # type: ignore[attr-defined]
            pk__in=policy.compartment_ids(user)
        ).order_by("code")
        cleared = policy.clearance(user)
        self.fields["confidentiality"].choices = [  # type: ignore[attr-defined]
            (v, label) for v, label in Confidentiality.choices if v in cleared
        ]
        if Confidentiality.CONFIDENTIAL in cleared:
            self.fields["confidentiality"].initial = Confidentiality.CONFIDENTIAL

    def clean(self) -> Any:
        cleaned = super().clean()
        has_name = bool(
            (cleaned.get("name_hangul") or "").strip() or (cleaned.get("name_latin") or "").strip()
        )
        if not cleaned.get("person_id") and not has_name:
            self.add_error("person_id", _("Give the person's record number, or their name for a new record."))
        if cleaned.get("person_id") and has_name:
            self.add_error("name_hangul", _("Either a record number or a new name, not both."))
        return cleaned


class DetailsForm(CaseForm):
    id_prefix = "details"

    summary = forms.CharField(
        label=_("Case summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    current_whereabouts = forms.CharField(
        label=_("Where the person is now"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    safe_contact = forms.CharField(
        label=_("How to reach them safely"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    confidentiality = forms.ChoiceField(label=_("Confidentiality"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cleared = policy.clearance(user)
        self.fields["confidentiality"].choices = [  # type: ignore[attr-defined]
            (v, label) for v, label in Confidentiality.choices if v in cleared
        ]


class AssignForm(CaseForm):
    id_prefix = "team"

    owner = UserField(label=_("Owner"), queryset=User.objects.none())
    team = UsersField(label=_("Team"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        editors = [u.pk for u in case_workers(case.compartment_id, editors_only=True)]
        members = [u.pk for u in case_workers(case.compartment_id)]
        self.fields["owner"].queryset = User.objects.filter(pk__in=editors).order_by("username")  # type: ignore[attr-defined]
        self.fields["team"].queryset = User.objects.filter(pk__in=members).order_by("username")  # type: ignore[attr-defined]


class TransitionForm(CaseForm):
    id_prefix = "transition"

    to = forms.ChoiceField(choices=[(s, s) for s in ("new", "assessment", "plan", "in_progress")])


class CloseForm(CaseForm):
    id_prefix = "close"

    closure_reason = forms.ChoiceField(label=_("Why is the case closed?"), choices=ClosureReason.choices)
    closed_on = forms.DateField(label=_("Closed on"), required=False, widget=DateInput)


class RiskForm(CaseForm):
    id_prefix = "risk"

    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    risk_reasons = TermsField(label=_("Reasons"), queryset=Term.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["risk_reasons"].queryset = terms("case-risk-factors")  # type: ignore[attr-defined]


class NeedsForm(CaseForm):
    id_prefix = "needs"

    needs = TermsField(label=_("Needs"), queryset=Term.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["needs"].queryset = terms("case-needs")  # type: ignore[attr-defined]


class StageForm(CaseForm):
    id_prefix = "stage"

    stage = TermField(label=_("Stage"), queryset=Term.objects.none())
    when = ImpreciseDateField(label=_("From when"))
    place = PlaceField(
        label=_("Place"), queryset=Location.objects.none(), required=False, empty_label=_("Unknown")
    )
    place_detail = forms.CharField(label=_("Exact place"), required=False, max_length=2000)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = terms("case-journey-stages")  # type: ignore[attr-defined]
        self.fields["place"].queryset = places()  # type: ignore[attr-defined]


class ConsentForm(CaseForm):
    id_prefix = "consent"

    scope = forms.ChoiceField(label=_("Consent to"), choices=ConsentScope.choices)
    granted = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Agreed")), ("no", _("Refused"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )
    partners = PartnersField(
        label=_("Organisations named (referral only)"), queryset=Partner.objects.none(), required=False
    )
    given_on = forms.DateField(label=_("Date given"), widget=DateInput)
    given_by = forms.ChoiceField(label=_("Given by"), choices=GivenBy.choices)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = Partner.objects.filter(  # type: ignore[attr-defined]
            organisation=case.organisation_id, active=True
        )


class WithdrawForm(CaseForm):
    id_prefix = "withdraw"

    consent = forms.IntegerField(widget=forms.HiddenInput)
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), required=False, widget=DateInput)


class ReferralForm(CaseForm):
    id_prefix = "referral"

    partner = PartnerField(label=_("Refer to"), queryset=Partner.objects.none())
    need = TermField(label=_("For"), queryset=Term.objects.none(), required=False, empty_label=_("—"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        label=_("Reason to refer without consent"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Only if the person has not agreed to this referral and it cannot wait: the override is recorded "
            "with your name and this reason, and audited."
        ),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(  # type: ignore[attr-defined]
            organisation=case.organisation_id, active=True
        )
        self.fields["need"].queryset = terms("case-needs")  # type: ignore[attr-defined]


class ReferralStatusForm(CaseForm):
    id_prefix = "rstatus"

    referral = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=ReferralStatus.choices)


class ServiceForm(CaseForm):
    id_prefix = "service"

    service = TermField(label=_("Service"), queryset=Term.objects.none())
    given_on = forms.DateField(label=_("Date"), widget=DateInput)
    provider = PartnerField(
        label=_("Given by"),
        queryset=Partner.objects.none(),
        required=False,
        empty_label=_("Our organisation"),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = terms("case-needs")  # type: ignore[attr-defined]
        self.fields["provider"].queryset = Partner.objects.filter(organisation=case.organisation_id)  # type: ignore[attr-defined]


class FollowUpForm(CaseForm):
    id_prefix = "followup"

    assigned_to = UserField(label=_("Who"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("Due on"), widget=DateInput)
    task = forms.CharField(label=_("What to do"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        editors = [u.pk for u in case_workers(case.compartment_id, editors_only=True)]
        self.fields["assigned_to"].queryset = User.objects.filter(pk__in=editors).order_by("username")  # type: ignore[attr-defined]


class FollowUpCloseForm(CaseForm):
    id_prefix = "fclose"

    followup = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=[(FollowUpStatus.DONE, ""), (FollowUpStatus.CANCELLED, "")])


class IncidentForm(CaseForm):
    id_prefix = "incident"

    gbv_type = TermField(label=_("Type (GBVIMS)"), queryset=Term.objects.none())
    when = ImpreciseDateField(label=_("When"))
    place = PlaceField(
        label=_("Place"), queryset=Location.objects.none(), required=False, empty_label=_("Unknown")
    )
    place_detail = forms.CharField(label=_("Exact place"), required=False, max_length=2000)
    first_reported_on = forms.DateField(label=_("First reported on"), required=False, widget=DateInput)
    survivor_age = forms.IntegerField(
        label=_("Survivor's age at the time"), required=False, min_value=0, max_value=120
    )
    goods_money_exchanged = forms.BooleanField(label=_("Goods or money were exchanged"), required=False)
    abduction_status = forms.ChoiceField(
        label=_("Abducted or trafficked at the time"),
        choices=AbductionStatus.choices,
        initial=AbductionStatus.UNKNOWN,
    )
    perpetrator_count = forms.IntegerField(
        label=_("Number of perpetrators"), required=False, min_value=1, max_value=999
    )
    perpetrator_types = TermsSelectField(
        label=_("Perpetrators"), queryset=Term.objects.none(), required=False
    )
    trafficking_acts = TermsField(label=_("Act"), queryset=Term.objects.none(), required=False)
    trafficking_means = TermsField(label=_("Means"), queryset=Term.objects.none(), required=False)
    trafficking_purposes = TermsField(label=_("Purpose"), queryset=Term.objects.none(), required=False)
    ilo_indicators = TermsField(
        label=_("Indicators of forced labour (ILO)"), queryset=Term.objects.none(), required=False
    )
    narrative = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gbv_type"].queryset = terms("case-gbv-types")  # type: ignore[attr-defined]
        self.fields["place"].queryset = places()  # type: ignore[attr-defined]
        perpetrators = Term.objects.filter(vocabulary__code="perpetrator-types", retired=False).order_by(
            "path"
        )
        self.fields["perpetrator_types"].queryset = perpetrators  # type: ignore[attr-defined]
        self.fields["trafficking_acts"].queryset = terms("case-trafficking-acts")  # type: ignore[attr-defined]
        self.fields["trafficking_means"].queryset = terms("case-trafficking-means")  # type: ignore[attr-defined]
        self.fields["trafficking_purposes"].queryset = terms("case-trafficking-purposes")  # type: ignore[attr-defined]
        self.fields["ilo_indicators"].queryset = terms("case-ilo-indicators")  # type: ignore[attr-defined]


class PaymentForm(CaseForm):
    id_prefix = "payment"

    kind = forms.ChoiceField(label=_("What"), choices=PaymentKind.choices)
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=14, decimal_places=2)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.CNY)
    when = ImpreciseDateField(label=_("When"))


class DocumentForm(CaseForm):
    id_prefix = "document"

    act_type = TermField(
        label=_("Document as"), queryset=Term.objects.none(), required=False, empty_label=_("—")
    )
    override_reason = forms.CharField(
        label=_("Reason to use the testimony without consent"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"].queryset = Term.objects.filter(  # type: ignore[attr-defined]
            vocabulary__code="act-types", retired=False
        ).order_by("path")


class CaseListForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), required=False, max_length=16)
    name = forms.CharField(label=_("Name of the person"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    risk_level = forms.ChoiceField(label=_("Risk level"), required=False)
    stage = forms.ChoiceField(label=_("Where in the journey"), required=False)
    mine = forms.BooleanField(label=_("Only my cases"), required=False)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from haven.cases.models import Status

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any")), ("open", _("Open")), *Status.choices]  # type: ignore[attr-defined]
        self.fields["risk_level"].choices = [("", _("Any")), *RiskLevel.choices]  # type: ignore[attr-defined]
        # Retired stages are not offered as a filter, but a case may still be at one: the list labels those too.
        stages = list(
            Term.objects.filter(vocabulary__code="case-journey-stages").order_by("sort_order", "pk")
        )
        self.stage_labels = {t.pk: t.label for t in stages}
        self.fields["stage"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *[(t.code, t.label) for t in stages if not t.retired],
        ]
