"""Assistance cases: a person being helped, their journey, consent, referrals, services, follow-ups and incidents.

A case belongs to one organisation and one compartment and has a confidentiality level, like every record;
who may see it is decided by haven.accounts.policy (VIEW_CASES, compartments, clearance). Its survivor is a
records.Person, so names live in one place, encrypted with their blind indexes; the case itself never shows
them in a list. Where a person is now, how to reach them and every narrative are stored encrypted.

Nothing here is computed twice: the current journey stage is the latest stage (haven.cases.selectors), and
incident flags are derived (haven.cases.flags). Writes go through haven.cases.services only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from haven.cases import flags, workflow
from haven.crypto.fields import EncryptedTextField
from haven.records.imprecise import ImpreciseDateDescriptor, imprecise_date_constraints, imprecise_date_fields
from haven.records.models import Confidentiality


def vocab(code: str) -> dict[str, str]:
    return {"vocabulary__code": code}


class Status(models.TextChoices):
    NEW = workflow.NEW, _("New")
    ASSESSMENT = workflow.ASSESSMENT, _("Assessment")
    PLAN = workflow.PLAN, _("Plan")
    IN_PROGRESS = workflow.IN_PROGRESS, _("In progress")
    CLOSED = workflow.CLOSED, _("Closed")


class RiskLevel(models.TextChoices):
    NOT_ASSESSED = "not_assessed", _("Not assessed")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ClosureReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Plan completed")
    RESETTLED = "resettled", _("Resettled and no longer needs help")
    TRANSFERRED = "transferred", _("Transferred to another organisation")
    LOST_CONTACT = "lost_contact", _("Contact lost")
    RETURNED = "returned", _("Forcibly returned or detained")
    DECLINED = "declined", _("Declined further help")
    DECEASED = "deceased", _("Died")
    OTHER = "other", _("Other")


class Partner(models.Model):
    """An organisation a case can be referred to (shelter, clinic, lawyer, embassy, UNHCR...).

    Each Haven organisation keeps its own list; consent to referral names partners from it.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ko = models.CharField(_("name (Korean)"), max_length=200, blank=True)
    country = models.ForeignKey(
        "places.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    services = models.ManyToManyField(
        "vocab.Term", blank=True, related_name="+", limit_choices_to=vocab("case-needs")
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name_en"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name_en"], name="partner_name_unique_per_org")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ko if (get_language() or "en").startswith("ko") and self.name_ko else self.name_en


class Case(models.Model):
    # A random reference, not a running number: a running number would tell anyone who sees one case how
    # many cases the organisation has in compartments they cannot see. It is also the case's URL key.
    reference = models.CharField(_("reference"), max_length=16, unique=True, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    compartment = models.ForeignKey("accounts.Compartment", on_delete=models.PROTECT, related_name="+")
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=16,
        choices=Confidentiality.choices,
        default=Confidentiality.CONFIDENTIAL,
    )
    person = models.ForeignKey("records.Person", on_delete=models.PROTECT, related_name="cases")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("team")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(
        _("reason for closing"), max_length=16, choices=ClosureReason.choices, blank=True
    )
    reopened_count = models.PositiveSmallIntegerField(default=0)
    risk_level = models.CharField(
        _("risk level"), max_length=16, choices=RiskLevel.choices, default=RiskLevel.NOT_ASSESSED
    )
    risk_reasons = models.ManyToManyField(
        "vocab.Term",
        blank=True,
        related_name="+",
        limit_choices_to=vocab("case-risk-factors"),
        verbose_name=_("reasons for the risk level"),
    )
    needs = models.ManyToManyField(
        "vocab.Term",
        blank=True,
        related_name="+",
        limit_choices_to=vocab("case-needs"),
        verbose_name=_("needs"),
    )
    # Identifying: where the person is now (a hiding place), how to reach them safely, the case narrative.
    current_whereabouts = EncryptedTextField(_("where the person is now"), null=True, blank=True)
    safe_contact = EncryptedTextField(_("how to reach them safely"), null=True, blank=True)
    summary = EncryptedTextField(_("case summary"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    # The source organisation's own id of the case, when it was imported (haven import --kind cases): unique
    # per organisation when given, so re-importing a spreadsheet finds its cases again instead of duplicating
    # them. Provenance says which file, row, user and run it came from, like records (haven.records).
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    provenance = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-opened_on", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~models.Q(external_id=""),
                name="case_external_id_unique_per_organisation",
            ),
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="case_status_valid"),
            models.CheckConstraint(
                condition=models.Q(risk_level__in=RiskLevel.values), name="case_risk_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(confidentiality__in=Confidentiality.values),
                name="case_confidentiality_valid",
            ),
            # A closed case says when and why; an open one has neither.
            models.CheckConstraint(
                condition=(
                    models.Q(status="closed", closed_on__isnull=False)
                    & ~models.Q(closure_reason="")
                    & models.Q(closure_reason__in=ClosureReason.values)
                )
                | (~models.Q(status="closed") & models.Q(closed_on__isnull=True, closure_reason="")),
                name="case_closed_consistent",
            ),
            # One open case per person in a compartment: two would split what is known about them. (Per
            # compartment, not per organisation: refusing a second case because of one in a compartment the
            # user cannot see would tell them that case exists.)
            models.UniqueConstraint(
                fields=["compartment", "person"],
                condition=~models.Q(status="closed"),
                name="case_one_open_per_person_per_compartment",
            ),
        ]
        indexes = [
            models.Index(fields=["compartment", "status"], name="case_compartment_status"),
            # The case list's order: its first page is read from this index, not sorted from every case.
            models.Index(fields=["-opened_on", "reference"], name="case_list_order"),
            # Counting the cases a user may see (every list page does) from the index alone.
            models.Index(fields=["compartment", "confidentiality"], name="case_visibility"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED


_stage_date = imprecise_date_fields("date")


class JourneyStage(models.Model):
    """One stage of a person's journey: where they were, from when. The latest is where they are now."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stages")
    stage = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=vocab("case-journey-stages"),
        verbose_name=_("stage"),
    )
    date_start, date_end, date_precision = _stage_date
    date = ImpreciseDateDescriptor("date")
    place = models.ForeignKey(
        "places.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Identifying: the exact place (village, address, employer, hiding place) and what happened there.
    place_detail = EncryptedTextField(_("exact place"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "date_start", "date_end", "pk"]
        constraints = [*imprecise_date_constraints("date", "journeystage")]

    def __str__(self) -> str:
        return f"Stage {self.pk} of case {self.case_id}"


class ConsentScope(models.TextChoices):
    SERVICES = "services", _("Receiving services")
    REFERRAL = "referral", _("Referral to named organisations")
    REPORTING = "reporting", _("Reporting in non-identifying form")
    TESTIMONY = "testimony", _("Use of their testimony as documentation")
    FAMILY_CONTACT = "family_contact", _("Contact with family")


class GivenBy(models.TextChoices):
    PERSON = "person", _("The person")
    GUARDIAN = "guardian", _("Parent or guardian")
    OTHER = "other", _("Someone else on their behalf")


class Consent(models.Model):
    """What a person agreed to (or refused), when, and who recorded it. Withdrawn consent stays, marked."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(_("what for"), max_length=16, choices=ConsentScope.choices)
    granted = models.BooleanField(_("agreed"), default=True)
    partners = models.ManyToManyField(
        Partner, blank=True, related_name="+", verbose_name=_("organisations named")
    )
    given_on = models.DateField(_("date given"))
    given_by = models.CharField(_("given by"), max_length=16, choices=GivenBy.choices, default=GivenBy.PERSON)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = EncryptedTextField(_("notes"), null=True, blank=True)

    class Meta:
        ordering = ["case", "-given_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=ConsentScope.values), name="consent_scope_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(given_by__in=GivenBy.values), name="consent_given_by_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_on__isnull=True) | models.Q(withdrawn_by__isnull=False),
                name="consent_withdrawal_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent {self.pk} ({self.scope}) on case {self.case_id}"

    @property
    def active(self) -> bool:
        return self.granted and self.withdrawn_on is None


class ConsentOverride(models.Model):
    """A decision to go ahead without the matching consent, by a user allowed to, with the reason why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="overrides")
    scope = models.CharField(max_length=16, choices=ConsentScope.choices)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = EncryptedTextField(_("reason"))
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=ConsentScope.values), name="override_scope_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Consent override {self.pk} on case {self.case_id}"


class ReferralStatus(models.TextChoices):
    SENT = workflow.R_SENT, _("Sent")
    ACCEPTED = workflow.R_ACCEPTED, _("Accepted")
    REJECTED = workflow.R_REJECTED, _("Rejected")
    DONE = workflow.R_DONE, _("Done")
    REVOKED = workflow.R_REVOKED, _("Revoked")


class Referral(models.Model):
    """A referral to a partner, made under a matching consent or an audited override (never neither)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    need = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=vocab("case-needs"),
        verbose_name=_("for"),
    )
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    override = models.OneToOneField(
        ConsentOverride, on_delete=models.PROTECT, null=True, blank=True, related_name="referral"
    )
    sent_on = models.DateField(_("sent on"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status_changed_on = models.DateField(null=True, blank=True)
    notes = EncryptedTextField(_("notes"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "-sent_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReferralStatus.values), name="referral_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(consent__isnull=False) | models.Q(override__isnull=False),
                name="referral_has_consent_or_override",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} of case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.status in workflow.REFERRAL_OPEN


class ServiceRecord(models.Model):
    """A service given to the person, by the organisation itself or by a partner."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="services")
    service = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=vocab("case-needs"),
        verbose_name=_("service"),
    )
    given_on = models.DateField(_("date"))
    provider = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("given by partner"),
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="services"
    )
    notes = EncryptedTextField(_("notes"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "-given_on", "-pk"]

    def __str__(self) -> str:
        return f"Service {self.pk} for case {self.case_id}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Due")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUp(models.Model):
    """Something a worker must do for a case by a date: a check-in, a safety call, a visit."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followups")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("assigned to")
    )
    due_on = models.DateField(_("due on"))
    task = EncryptedTextField(_("what to do"))
    status = models.CharField(max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=FollowUpStatus.values), name="followup_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", completed_on__isnull=True)
                | (~models.Q(status="open") & models.Q(completed_on__isnull=False)),
                name="followup_completion_consistent",
            ),
        ]
        indexes = [models.Index(fields=["assigned_to", "status", "due_on"], name="followup_due")]

    def __str__(self) -> str:
        return f"Follow-up {self.pk} of case {self.case_id}"


class AbductionStatus(models.TextChoices):
    """Primero's abduction_status_time_of_incident, with Haven's "unknown"."""

    NONE = "none", _("None")
    TRAFFICKED = "trafficked", _("Trafficked")
    FORCED_CONSCRIPTION = "forced_conscription", _("Forced conscription")
    OTHER_ABDUCTION = "other_abduction", _("Other abduction or kidnapping")
    UNKNOWN = "unknown", _("Unknown")


_incident_date = imprecise_date_fields("date")


class Incident(models.Model):
    """A gender-based violence or trafficking incident a survivor disclosed, classified by GBVIMS type."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="incidents")
    gbv_type = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=vocab("case-gbv-types"),
        verbose_name=_("type (GBVIMS)"),
    )
    date_start, date_end, date_precision = _incident_date
    date = ImpreciseDateDescriptor("date")
    place = models.ForeignKey(
        "places.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    place_detail = EncryptedTextField(_("exact place"), null=True, blank=True)
    first_reported_on = models.DateField(_("first reported on"), null=True, blank=True)
    survivor_age = models.PositiveSmallIntegerField(_("survivor's age at the time"), null=True, blank=True)
    goods_money_exchanged = models.BooleanField(_("goods or money exchanged"), default=False)
    abduction_status = models.CharField(
        _("abducted or trafficked at the time"),
        max_length=24,
        choices=AbductionStatus.choices,
        default=AbductionStatus.UNKNOWN,
    )
    perpetrator_count = models.PositiveSmallIntegerField(_("number of perpetrators"), null=True, blank=True)
    perpetrator_types = models.ManyToManyField(
        "vocab.Term",
        blank=True,
        related_name="+",
        limit_choices_to=vocab("perpetrator-types"),
        verbose_name=_("perpetrators"),
    )
    trafficking_acts = models.ManyToManyField(
        "vocab.Term",
        blank=True,
        related_name="+",
        limit_choices_to=vocab("case-trafficking-acts"),
        verbose_name=_("trafficking: act"),
    )
    trafficking_means = models.ManyToManyField(
        "vocab.Term",
        blank=True,
        related_name="+",
        limit_choices_to=vocab("case-trafficking-means"),
        verbose_name=_("trafficking: means"),
    )
    trafficking_purposes = models.ManyToManyField(
        "vocab.Term",
        blank=True,
        related_name="+",
        limit_choices_to=vocab("case-trafficking-purposes"),
        verbose_name=_("trafficking: purpose"),
    )
    ilo_indicators = models.ManyToManyField(
        "vocab.Term",
        blank=True,
        related_name="+",
        limit_choices_to=vocab("case-ilo-indicators"),
        verbose_name=_("forced labour indicators (ILO)"),
    )
    narrative = EncryptedTextField(_("what happened"), null=True, blank=True)
    # Set once the incident has been documented in the events model (haven.records), so it is done once.
    documented_event = models.OneToOneField(
        "records.Event", on_delete=models.PROTECT, null=True, blank=True, related_name="case_incident"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "date_start", "pk"]
        constraints = [
            *imprecise_date_constraints("date", "incident"),
            models.CheckConstraint(
                condition=models.Q(abduction_status__in=AbductionStatus.values),
                name="incident_abduction_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(survivor_age__isnull=True) | models.Q(survivor_age__lte=120),
                name="incident_survivor_age_range",
            ),
            models.CheckConstraint(
                condition=models.Q(perpetrator_count__isnull=True) | models.Q(perpetrator_count__gte=1),
                name="incident_perpetrator_count_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Incident {self.pk} of case {self.case_id}"

    def facts(self) -> flags.IncidentFacts:
        """Return what the flags are derived from (prefetch the many-to-many fields and payments)."""
        from haven.lib.dates import ImpreciseDate

        birth_text = self.case.person.birth_date
        try:
            birth = ImpreciseDate.parse(birth_text) if birth_text else None
        except ValueError:
            birth = None
        return flags.IncidentFacts(
            gbv_type=self.gbv_type.code,
            incident_date=self.date,
            first_reported_on=self.first_reported_on,
            survivor_age=self.survivor_age,
            survivor_birth=birth,
            goods_money_exchanged=self.goods_money_exchanged,
            sale_price_recorded=any(p.kind == PaymentKind.SALE_PRICE for p in self.payments.all()),
            abduction_status=self.abduction_status,
            trafficking_acts=flags.codes(self.trafficking_acts.all()),
            trafficking_means=flags.codes(self.trafficking_means.all()),
            trafficking_purposes=flags.codes(self.trafficking_purposes.all()),
        )


class PaymentKind(models.TextChoices):
    PAID_TO_BROKER = "paid_to_broker", _("Paid to a broker (by the person or their family)")
    PAID_BY_BROKER = "paid_by_broker", _("Paid by a broker or trafficker (to a guard, official or buyer)")
    SALE_PRICE = "sale_price", _("Price at which the person was sold")
    DEBT = "debt", _("Debt owed to a broker")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    USD = "USD", _("US dollar (USD)")
    KRW = "KRW", _("South Korean won (KRW)")
    KPW = "KPW", _("North Korean won (KPW)")
    THB = "THB", _("Thai baht (THB)")
    LAK = "LAK", _("Lao kip (LAK)")
    VND = "VND", _("Vietnamese dong (VND)")
    KHR = "KHR", _("Cambodian riel (KHR)")
    MNT = "MNT", _("Mongolian tögrög (MNT)")
    EUR = "EUR", _("Euro (EUR)")


_payment_date = imprecise_date_fields("date")


class Payment(models.Model):
    """Money paid to or by brokers, a debt to one, or the price at which the person was sold."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="payments")
    kind = models.CharField(_("kind"), max_length=16, choices=PaymentKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    date_start, date_end, date_precision = _payment_date
    date = ImpreciseDateDescriptor("date")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["incident", "date_start", "pk"]
        constraints = [
            *imprecise_date_constraints("date", "payment"),
            models.CheckConstraint(
                condition=models.Q(kind__in=PaymentKind.values), name="payment_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__in=Currency.values), name="payment_currency_valid"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payment_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} in incident {self.incident_id}"
