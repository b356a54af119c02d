"""Writes to cases. Every service checks the policy, validates, writes in one transaction and audits last.

Services are named ``<entity>_<action>(*, actor, ...)``. Bad input raises :class:`CaseInputError` (a
ValidationError whose message dict is keyed by field name, so each message lands by its field); an actor who
may not act raises :class:`~django.core.exceptions.PermissionDenied`, and the refusal is audited. A referral or
a use of testimony without the matching consent raises :class:`ConsentRequired` (audited) unless the actor
may override consent and gives a reason: the override is then recorded and audited with the action.

Identifying values (where a person is, how to reach them, narratives, reasons) never enter the audit log in
clear: changes to them are recorded as keyed HMACs (haven.audit.redaction.diff_for_audit).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.accounts.models import Compartment, CompartmentGrant, User
from haven.audit.models import AuditAction
from haven.audit.redaction import diff_for_audit
from haven.audit.services import audit_record, audit_refusal
from haven.cases import flags, workflow
from haven.cases.access import can_view_case
from haven.cases.models import (
    AbductionStatus,
    Case,
    ClosureReason,
    Consent,
    ConsentOverride,
    ConsentScope,
    Currency,
    FollowUp,
    FollowUpStatus,
    GivenBy,
    Incident,
    JourneyStage,
    Partner,
    Payment,
    PaymentKind,
    Referral,
    ReferralStatus,
    RiskLevel,
    ServiceRecord,
    Status,
)
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.records.models import Act, Confidentiality, Event, Information, Involvement, Person
from haven.records.models import Consent as InformationConsent
from haven.records.services import NameInput, person_create
from haven.vocab.models import Term

C = policy.Capability
MAX_TEXT = 20_000
MIN_OVERRIDE_REASON = 10
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed by hand

VOCABS = {
    "risk": "case-risk-factors",
    "need": "case-needs",
    "stage": "case-journey-stages",
    "gbv": "case-gbv-types",
    "t_act": "case-trafficking-acts",
    "t_means": "case-trafficking-means",
    "t_purpose": "case-trafficking-purposes",
    "ilo": "case-ilo-indicators",
    "perpetrator": "perpetrator-types",
}
CASE_IDENTIFYING = policy.IDENTIFYING_FIELDS["cases.case"]


class CaseInputError(ValidationError):
    """What was given cannot be saved; the message dict says which field and why. Nothing was written."""


class ConsentRequired(PermissionDenied):
    """The action needs a consent the person has not given (or has withdrawn or refused)."""

    def __init__(self, scope: str, partner: Partner | None = None) -> None:
        self.scope = scope
        self.partner = partner
        label = ConsentScope(scope).label
        if partner is not None:
            message = _("No consent to %(scope)s for %(partner)s.") % {
                "scope": label,
                "partner": partner.name,
            }
        else:
            message = _("No consent to %(scope)s.") % {"scope": label}
        super().__init__(message)


# ---- checks --------------------------------------------------------------------------------------------


def _refuse(actor: Any, reason: str, *, target: Any = None, compartment_id: int | None = None) -> NoReturn:
    audit_refusal(
        actor=actor,
        action=AuditAction.ACCESS_REFUSED,
        target=target,
        compartment_id=compartment_id,
        details={"reason": reason},
    )
    raise PermissionDenied(reason)


def _check_edit(actor: Any, case: Case) -> None:
    if not policy.has(actor, C.EDIT_CASES):
        _refuse(actor, "may not change cases", target=case)
    if not can_view_case(actor, case):
        _refuse(actor, "case not visible to the actor", target=("cases.case", case.reference))


def _fail(errors: dict[str, str]) -> None:
    if errors:
        raise CaseInputError({k: [v] for k, v in errors.items()})


def _text(errors: dict[str, str], name: str, value: str | None, *, required: bool = False) -> str | None:
    value = (value or "").strip()
    if required and not value:
        errors[name] = _("This field is required.")
    elif len(value) > MAX_TEXT:
        errors[name] = _("At most %(n)s characters.") % {"n": MAX_TEXT}
    return value or None


def _terms(errors: dict[str, str], name: str, terms: Iterable[Term], vocabulary: str) -> list[Term]:
    terms = list(terms)
    wrong = [t for t in terms if t.vocabulary.code != vocabulary or t.retired]
    if wrong:
        errors[name] = _("Not a term of this list: %(terms)s") % {"terms": ", ".join(t.code for t in wrong)}
    return terms


def _term(
    errors: dict[str, str], name: str, term: Term | None, vocabulary: str, *, required: bool = True
) -> None:
    if term is None:
        if required:
            errors[name] = _("This field is required.")
        return
    _terms(errors, name, [term], vocabulary)


def _case_member(user: Any, case: Case | Compartment) -> bool:
    """May ``user`` work on cases in this compartment (a case worker or administrator granted it)?"""
    compartment_id = case.compartment_id if isinstance(case, Case) else case.pk
    return (
        user is not None
        and user.is_active
        and policy.has(user, C.VIEW_CASES)
        and CompartmentGrant.objects.filter(user=user, compartment_id=compartment_id).exists()
    )


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "risk_level": case.risk_level,
        "owner": case.owner_id,
        "confidentiality": case.confidentiality,
        "closed_on": case.closed_on,
        "closure_reason": case.closure_reason,
        "current_whereabouts": case.current_whereabouts,
        "safe_contact": case.safe_contact,
        "summary": case.summary,
    }


def _save_case(case: Case, fields: list[str]) -> None:
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


def _audit_case(actor: Any, case: Case, action: AuditAction, details: dict[str, Any]) -> None:
    audit_record(actor=actor, action=action, target=case, details=details)


def new_reference() -> str:
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"C-{body[:4]}-{body[4:]}"


# ---- cases ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSurvivor:
    """A person not yet in the records, entered with the case (names are encrypted and blind-indexed)."""

    names: tuple[NameInput, ...]
    sex: str = "F"
    birth_date: ImpreciseDate | None = None


@transaction.atomic
def case_create(
    *,
    actor: Any,
    compartment: Compartment,
    person: Person | NewSurvivor,
    confidentiality: str = Confidentiality.CONFIDENTIAL,
    owner: User | None = None,
    opened_on: date | None = None,
    summary: str | None = None,
    current_whereabouts: str | None = None,
    safe_contact: str | None = None,
) -> Case:
    """Open a case for a person already in the records, or for a new one entered with it."""
    if not policy.has(actor, C.EDIT_CASES):
        _refuse(actor, "may not open cases", compartment_id=compartment.pk)
    if compartment.pk not in policy.compartment_ids(actor):
        _refuse(actor, "compartment not granted", compartment_id=compartment.pk)
    errors: dict[str, str] = {}
    if confidentiality not in policy.clearance(actor):
        errors["confidentiality"] = _("You are not cleared for this confidentiality level.")
    owner = owner or actor
    if not (_case_member(owner, compartment) and policy.has(owner, C.EDIT_CASES)):
        errors["owner"] = _("The owner must be a case worker with access to this compartment.")
    if isinstance(person, Person):
        if not policy.can_view(actor, person):
            errors["person"] = _("No such person in your compartments.")
    elif not person.names or not any(n.full_name.strip() for n in person.names):
        errors["person"] = _("Give at least one name of the person.")
    elif not policy.has(actor, C.VIEW_IDENTIFYING):
        errors["person"] = _("Only users who may see names can enter a new person.")
    values = {
        "summary": _text(errors, "summary", summary),
        "current_whereabouts": _text(errors, "current_whereabouts", current_whereabouts),
        "safe_contact": _text(errors, "safe_contact", safe_contact),
    }
    _fail(errors)
    created_person = None
    if isinstance(person, NewSurvivor):
        created_person = person_create(
            organisation=compartment.organisation,
            compartment=compartment,
            names=[n for n in person.names if n.full_name.strip()],
            sex=person.sex,
            birth_date=person.birth_date,
            confidentiality=confidentiality,
            provenance={"via": "case", "by": actor.get_username()},
            created_by=actor,
        )
        person = created_person
    if Case.objects.filter(compartment=compartment, person=person).exclude(status=Status.CLOSED).exists():
        raise CaseInputError({"person": [_("This person already has an open case in this compartment.")]})
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    reference=new_reference(),
                    organisation=compartment.organisation,
                    compartment=compartment,
                    confidentiality=confidentiality,
                    person=person,
                    owner=owner,
                    opened_on=opened_on or timezone.localdate(),
                    created_by=actor,
                    **values,
                )
            break
        except IntegrityError:  # a reference already taken (about 1 in 10^11): draw another
            continue
    else:  # pragma: no cover - five collisions in a row
        raise RuntimeError("could not draw a unique case reference")
    if created_person is not None:
        audit_record(
            actor=actor,
            action=AuditAction.RECORD_CREATED,
            target=created_person,
            details={"via": "case", "case": case.reference},
        )
    _audit_case(
        actor,
        case,
        AuditAction.CASE_CREATED,
        {
            "person": person.pk,
            "owner": owner.pk,
            "confidentiality": confidentiality,
            **diff_for_audit({}, values, CASE_IDENTIFYING),
        },
    )
    return case


@transaction.atomic
def case_update_details(
    *,
    actor: Any,
    case: Case,
    summary: str | None,
    current_whereabouts: str | None,
    safe_contact: str | None,
    confidentiality: str | None = None,
) -> Case:
    """Change where the person is, how to reach them, the summary, or the confidentiality level."""
    _check_edit(actor, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "summary": _text(errors, "summary", summary),
        "current_whereabouts": _text(errors, "current_whereabouts", current_whereabouts),
        "safe_contact": _text(errors, "safe_contact", safe_contact),
    }
    if confidentiality is not None:
        if confidentiality not in Confidentiality.values or confidentiality not in policy.clearance(actor):
            errors["confidentiality"] = _("You are not cleared for this confidentiality level.")
        values["confidentiality"] = confidentiality
    _fail(errors)
    before = _snapshot(case)
    for name, value in values.items():
        setattr(case, name, value)
    _save_case(case, list(values))
    changes = diff_for_audit(before, _snapshot(case), CASE_IDENTIFYING)
    if changes:
        _audit_case(actor, case, AuditAction.CASE_CHANGED, {"changes": changes})
    return case


@transaction.atomic
def case_assign(*, actor: Any, case: Case, owner: User, team: Iterable[User]) -> Case:
    """Give the case an owner and a team: case workers (or administrators, for the team) of its compartment."""
    _check_edit(actor, case)
    team = list(team)
    errors: dict[str, str] = {}
    if not (_case_member(owner, case) and policy.has(owner, C.EDIT_CASES)):
        errors["owner"] = _("The owner must be a case worker with access to this compartment.")
    outsiders = [u.get_username() for u in team if not _case_member(u, case)]
    if outsiders:
        errors["team"] = _("Not able to work on cases in this compartment: %(users)s") % {
            "users": ", ".join(outsiders)
        }
    _fail(errors)
    before_team = sorted(case.team.values_list("pk", flat=True))
    before_owner = case.owner_id
    case.owner = owner
    _save_case(case, ["owner"])
    case.team.set(team)
    after_team = sorted(u.pk for u in team)
    details = diff_for_audit(
        {"owner": before_owner, "team": before_team}, {"owner": owner.pk, "team": after_team}
    )
    if details:
        _audit_case(actor, case, AuditAction.CASE_CHANGED, {"changes": details})
    return case


@transaction.atomic
def case_transition(*, actor: Any, case: Case, to: str) -> Case:
    """Move an open case along the workflow (closing and reopening have their own services)."""
    _check_edit(actor, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not workflow.may_move(case.status, to):
        raise CaseInputError(
            {
                "status": [
                    _("A case cannot go from %(a)s to %(b)s.")
                    % {"a": Status(case.status).label, "b": Status(to).label if to in Status.values else to}
                ]
            }
        )
    if to == Status.PLAN and case.risk_level == RiskLevel.NOT_ASSESSED:
        raise CaseInputError({"risk_level": [_("Assess the risk level before making a plan.")]})
    before = case.status
    case.status = to
    _save_case(case, ["status"])
    _audit_case(actor, case, AuditAction.CASE_CHANGED, {"changes": {"status": {"old": before, "new": to}}})
    return case


@transaction.atomic
def case_close(*, actor: Any, case: Case, reason: str, closed_on: date | None = None) -> Case:
    _check_edit(actor, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    errors: dict[str, str] = {}
    if not workflow.may_close(case.status):
        errors["status"] = _("This case is already closed.")
    if reason not in ClosureReason.values:
        errors["closure_reason"] = _("Choose why the case is closed.")
    closed_on = closed_on or timezone.localdate()
    if closed_on < case.opened_on:
        errors["closed_on"] = _("A case cannot close before it was opened.")
    _fail(errors)
    before = case.status
    case.status, case.closed_on, case.closure_reason = Status.CLOSED, closed_on, reason
    _save_case(case, ["status", "closed_on", "closure_reason"])
    _audit_case(
        actor,
        case,
        AuditAction.CASE_CLOSED,
        {"from": before, "reason": reason, "closed_on": closed_on.isoformat()},
    )
    return case


@transaction.atomic
def case_reopen(*, actor: Any, case: Case) -> Case:
    """Reopen a closed case: back to assessment, since what brought the person back must be assessed."""
    _check_edit(actor, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not workflow.may_reopen(case.status):
        raise CaseInputError({"status": [_("Only a closed case can be reopened.")]})
    if (
        Case.objects.filter(compartment=case.compartment_id, person=case.person_id)
        .exclude(status=Status.CLOSED)
        .exists()
    ):
        raise CaseInputError({"status": [_("This person already has another open case.")]})
    previous = {
        "closed_on": case.closed_on.isoformat() if case.closed_on else None,
        "reason": case.closure_reason,
    }
    case.status, case.closed_on, case.closure_reason = workflow.REOPEN_TO, None, ""
    case.reopened_count += 1
    _save_case(case, ["status", "closed_on", "closure_reason", "reopened_count"])
    _audit_case(actor, case, AuditAction.CASE_REOPENED, {"previously": previous, "to": case.status})
    return case


@transaction.atomic
def case_set_risk(*, actor: Any, case: Case, level: str, reasons: Iterable[Term]) -> Case:
    _check_edit(actor, case)
    errors: dict[str, str] = {}
    if level not in RiskLevel.values:
        errors["risk_level"] = _("Choose a risk level.")
    reasons = _terms(errors, "risk_reasons", reasons, VOCABS["risk"])
    if level in (RiskLevel.MEDIUM, RiskLevel.HIGH) and not reasons:
        errors["risk_reasons"] = _("Give at least one reason for a medium or high risk.")
    _fail(errors)
    before = {
        "risk_level": case.risk_level,
        "risk_reasons": sorted(case.risk_reasons.values_list("code", flat=True)),
    }
    case.risk_level = level
    _save_case(case, ["risk_level"])
    case.risk_reasons.set(reasons)
    after = {"risk_level": level, "risk_reasons": sorted(t.code for t in reasons)}
    changes = diff_for_audit(before, after)
    if changes:
        _audit_case(actor, case, AuditAction.CASE_CHANGED, {"changes": changes})
    return case


@transaction.atomic
def case_set_needs(*, actor: Any, case: Case, needs: Iterable[Term]) -> Case:
    _check_edit(actor, case)
    errors: dict[str, str] = {}
    needs = _terms(errors, "needs", needs, VOCABS["need"])
    _fail(errors)
    before = sorted(case.needs.values_list("code", flat=True))
    case.needs.set(needs)
    _save_case(case, [])
    after = sorted(t.code for t in needs)
    if before != after:
        _audit_case(
            actor, case, AuditAction.CASE_CHANGED, {"changes": {"needs": {"old": before, "new": after}}}
        )
    return case


# ---- journey ------------------------------------------------------------------------------------------


@transaction.atomic
def stage_add(
    *,
    actor: Any,
    case: Case,
    stage: Term | None,
    when: ImpreciseDate,
    place: Location | None = None,
    place_detail: str | None = None,
    notes: str | None = None,
) -> JourneyStage:
    """Add a stage to the journey. The current stage is always the latest one; nothing else records it."""
    _check_edit(actor, case)
    errors: dict[str, str] = {}
    _term(errors, "stage", stage, VOCABS["stage"])
    detail = _text(errors, "place_detail", place_detail)
    note = _text(errors, "notes", notes)
    _fail(errors)
    row = JourneyStage(case=case, stage=stage, place=place, place_detail=detail, notes=note, created_by=actor)
    row.date = when
    row.save()
    _save_case(case, [])
    _audit_case(
        actor,
        case,
        AuditAction.CASE_CHANGED,
        {
            "journey_stage_added": row.pk,
            "stage": stage.code if stage else None,
            "date": str(when),
            "place": place.pk if place else None,
            **diff_for_audit({}, {"place_detail": detail, "notes": note}, {"place_detail", "notes"}),
        },
    )
    return row


@transaction.atomic
def stage_remove(*, actor: Any, stage: JourneyStage) -> None:
    """Remove a stage entered by mistake (the audit log keeps that it existed)."""
    case = stage.case
    _check_edit(actor, case)
    details = {"journey_stage_removed": stage.pk, "stage": stage.stage.code, "date": str(stage.date)}
    stage.delete()
    _save_case(case, [])
    _audit_case(actor, case, AuditAction.CASE_CHANGED, details)


# ---- consent ------------------------------------------------------------------------------------------


def latest_consent(case: Case, scope: str, partner: Partner | None = None) -> Consent | None:
    """Return the person's latest decision (agreed, refused or withdrawn) on ``scope``, for ``partner``.

    The latest decision wins: a refusal recorded after an agreement cancels it, and so does withdrawing.
    """
    qs = case.consents.filter(scope=scope)
    if partner is not None:
        qs = qs.filter(partners=partner)
    return qs.order_by("-given_on", "-pk").first()


def matching_consent(case: Case, scope: str, partner: Partner | None = None) -> Consent | None:
    """Return the consent that allows ``scope`` (for ``partner``) now, or None."""
    consent = latest_consent(case, scope, partner)
    return consent if consent is not None and consent.active else None


@transaction.atomic
def consent_record(
    *,
    actor: Any,
    case: Case,
    scope: str,
    granted: bool,
    given_on: date,
    given_by: str = GivenBy.PERSON,
    partners: Iterable[Partner] = (),
    notes: str | None = None,
) -> Consent:
    """Record what the person agreed to or refused, when, and (automatically) who recorded it."""
    _check_edit(actor, case)
    partners = list(partners)
    errors: dict[str, str] = {}
    if scope not in ConsentScope.values:
        errors["scope"] = _("Choose what the consent is for.")
    if given_by not in GivenBy.values:
        errors["given_by"] = _("Choose who gave the consent.")
    if scope == ConsentScope.REFERRAL and not partners:
        errors["partners"] = _("Name the organisations the person agreed (or refused) to be referred to.")
    if scope != ConsentScope.REFERRAL and partners:
        errors["partners"] = _("Organisations are named only for referral consent.")
    foreign = [p.name for p in partners if p.organisation_id != case.organisation_id]
    if foreign:
        errors["partners"] = _("Not a partner of this organisation: %(p)s") % {"p": ", ".join(foreign)}
    if given_on > timezone.localdate():
        errors["given_on"] = _("The date cannot be in the future.")
    note = _text(errors, "notes", notes)
    _fail(errors)
    consent = Consent.objects.create(
        case=case,
        scope=scope,
        granted=granted,
        given_on=given_on,
        given_by=given_by,
        recorded_by=actor,
        notes=note,
    )
    consent.partners.set(partners)
    _save_case(case, [])
    _audit_case(
        actor,
        case,
        AuditAction.CONSENT_RECORDED,
        {
            "consent": consent.pk,
            "scope": scope,
            "granted": granted,
            "given_on": given_on.isoformat(),
            "given_by": given_by,
            "partners": sorted(p.pk for p in partners),
        },
    )
    return consent


@transaction.atomic
def consent_withdraw(*, actor: Any, consent: Consent, withdrawn_on: date | None = None) -> list[Referral]:
    """Mark a consent withdrawn and revoke the open referrals made under it; return those referrals."""
    case = consent.case
    _check_edit(actor, case)
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    withdrawn_on = withdrawn_on or timezone.localdate()
    errors: dict[str, str] = {}
    if consent.withdrawn_on is not None:
        errors["consent"] = _("This consent was already withdrawn.")
    elif not consent.granted:
        errors["consent"] = _("A refusal cannot be withdrawn; record a new consent instead.")
    elif withdrawn_on < consent.given_on:
        errors["withdrawn_on"] = _("A consent cannot be withdrawn before it was given.")
    _fail(errors)
    consent.withdrawn_on, consent.withdrawn_by = withdrawn_on, actor
    consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
    revoked = list(Referral.objects.filter(consent=consent, status__in=workflow.REFERRAL_OPEN))
    for referral in revoked:
        referral.status, referral.status_changed_on = ReferralStatus.REVOKED, withdrawn_on
        referral.save(update_fields=["status", "status_changed_on"])
    _save_case(case, [])
    _audit_case(
        actor,
        case,
        AuditAction.CONSENT_WITHDRAWN,
        {
            "consent": consent.pk,
            "scope": consent.scope,
            "withdrawn_on": withdrawn_on.isoformat(),
            "referrals_revoked": [r.pk for r in revoked],
        },
    )
    return revoked


def _override(
    actor: Any, case: Case, scope: str, partner: Partner | None, reason: str | None
) -> ConsentOverride:
    """Check and create a consent override (the caller audits it with the action it allows)."""
    if not policy.has(actor, C.OVERRIDE_CONSENT):
        _refuse(actor, "may not override consent", target=case)
    text = (reason or "").strip()
    if len(text) < MIN_OVERRIDE_REASON:
        raise CaseInputError(
            {"override_reason": [_("Explain why (at least %(n)s characters).") % {"n": MIN_OVERRIDE_REASON}]}
        )
    if len(text) > MAX_TEXT:
        raise CaseInputError({"override_reason": [_("At most %(n)s characters.") % {"n": MAX_TEXT}]})
    return ConsentOverride.objects.create(
        case=case, scope=scope, partner=partner, reason=text, overridden_by=actor
    )


def _refuse_without_consent(actor: Any, case: Case, scope: str, partner: Partner | None) -> NoReturn:
    audit_refusal(
        actor=actor,
        action=AuditAction.ACCESS_REFUSED,
        target=case,
        details={"reason": "no matching consent", "scope": scope, "partner": partner.pk if partner else None},
    )
    raise ConsentRequired(scope, partner)


# ---- referrals, services, follow-ups ------------------------------------------------------------------


@transaction.atomic
def referral_create(
    *,
    actor: Any,
    case: Case,
    partner: Partner,
    need: Term | None = None,
    sent_on: date | None = None,
    notes: str | None = None,
    override_reason: str | None = None,
) -> Referral:
    """Refer the person to a partner: only with their consent to be referred to that partner, or an override.

    Without the consent, and without an override reason, raise ConsentRequired (audited). With a reason, the
    actor must hold OVERRIDE_CONSENT (the view also asks them to re-authenticate); the override is recorded
    with the reason (encrypted) and audited together with the referral.
    """
    _check_edit(actor, case)
    errors: dict[str, str] = {}
    if not case.is_open:
        errors["case"] = _("Reopen the case before referring the person.")
    if partner.organisation_id != case.organisation_id or not partner.active:
        errors["partner"] = _("Not an active partner of this organisation.")
    _term(errors, "need", need, VOCABS["need"], required=False)
    sent_on = sent_on or timezone.localdate()
    if sent_on > timezone.localdate():
        errors["sent_on"] = _("The date cannot be in the future.")
    note = _text(errors, "notes", notes)
    _fail(errors)
    consent = matching_consent(case, ConsentScope.REFERRAL, partner)
    override = None
    if consent is None:
        if override_reason is None or not override_reason.strip():
            _refuse_without_consent(actor, case, ConsentScope.REFERRAL, partner)
        override = _override(actor, case, ConsentScope.REFERRAL, partner, override_reason)
    referral = Referral.objects.create(
        case=case,
        partner=partner,
        need=need,
        consent=consent,
        override=override,
        sent_on=sent_on,
        sent_by=actor,
        notes=note,
    )
    _save_case(case, [])
    if override is not None:
        _audit_case(
            actor,
            case,
            AuditAction.CONSENT_OVERRIDDEN,
            {
                "override": override.pk,
                "scope": ConsentScope.REFERRAL.value,
                "partner": partner.pk,
                "referral": referral.pk,
                **diff_for_audit({}, {"reason": override.reason}, {"reason"}),
            },
        )
    _audit_case(
        actor,
        case,
        AuditAction.REFERRAL_MADE,
        {
            "referral": referral.pk,
            "partner": partner.pk,
            "need": need.code if need else None,
            "consent": consent.pk if consent else None,
            "override": override.pk if override else None,
        },
    )
    return referral


@transaction.atomic
def referral_set_status(*, actor: Any, referral: Referral, status: str, on: date | None = None) -> Referral:
    case = referral.case
    _check_edit(actor, case)
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if not workflow.referral_may_move(referral.status, status):
        raise CaseInputError(
            {
                "status": [
                    _("A referral cannot go from %(a)s to %(b)s.")
                    % {
                        "a": ReferralStatus(referral.status).label,
                        "b": ReferralStatus(status).label if status in ReferralStatus.values else status,
                    }
                ]
            }
        )
    if status == ReferralStatus.ACCEPTED and referral.override_id is None:
        # Going ahead needs the consent still to hold: it may have been withdrawn since the referral was sent.
        if matching_consent(case, ConsentScope.REFERRAL, referral.partner) is None:
            _refuse_without_consent(actor, case, ConsentScope.REFERRAL, referral.partner)
    before = referral.status
    referral.status, referral.status_changed_on = status, on or timezone.localdate()
    referral.save(update_fields=["status", "status_changed_on"])
    _save_case(case, [])
    _audit_case(
        actor,
        case,
        AuditAction.REFERRAL_CHANGED,
        {"referral": referral.pk, "changes": {"status": {"old": before, "new": status}}},
    )
    return referral


@transaction.atomic
def service_record(
    *,
    actor: Any,
    case: Case,
    service: Term | None,
    given_on: date,
    provider: Partner | None = None,
    referral: Referral | None = None,
    notes: str | None = None,
) -> ServiceRecord:
    _check_edit(actor, case)
    errors: dict[str, str] = {}
    _term(errors, "service", service, VOCABS["need"])
    if provider is not None and provider.organisation_id != case.organisation_id:
        errors["provider"] = _("Not a partner of this organisation.")
    if referral is not None and referral.case_id != case.pk:
        errors["referral"] = _("Not a referral of this case.")
    if given_on > timezone.localdate():
        errors["given_on"] = _("The date cannot be in the future.")
    note = _text(errors, "notes", notes)
    _fail(errors)
    row = ServiceRecord.objects.create(
        case=case,
        service=service,
        given_on=given_on,
        provider=provider or (referral.partner if referral else None),
        referral=referral,
        notes=note,
        recorded_by=actor,
    )
    _save_case(case, [])
    _audit_case(
        actor,
        case,
        AuditAction.CASE_CHANGED,
        {
            "service_recorded": row.pk,
            "service": service.code if service else None,
            "provider": row.provider_id,
            "given_on": given_on.isoformat(),
        },
    )
    return row


@transaction.atomic
def followup_create(
    *, actor: Any, case: Case, assigned_to: User | None, due_on: date | None, task: str | None
) -> FollowUp:
    _check_edit(actor, case)
    errors: dict[str, str] = {}
    if (
        assigned_to is None
        or not _case_member(assigned_to, case)
        or not policy.has(assigned_to, C.EDIT_CASES)
    ):
        errors["assigned_to"] = _("Assign it to a case worker with access to this compartment.")
    if due_on is None:
        errors["due_on"] = _("This field is required.")
    text = _text(errors, "task", task, required=True)
    _fail(errors)
    assert assigned_to is not None and due_on is not None  # noqa: S101
    row = FollowUp.objects.create(
        case=case, assigned_to=assigned_to, due_on=due_on, task=text, created_by=actor
    )
    _save_case(case, [])
    _audit_case(
        actor,
        case,
        AuditAction.CASE_CHANGED,
        {"followup_created": row.pk, "assigned_to": assigned_to.pk, "due_on": due_on.isoformat()},
    )
    return row


@transaction.atomic
def followup_close(*, actor: Any, followup: FollowUp, status: str = FollowUpStatus.DONE) -> FollowUp:
    case = followup.case
    _check_edit(actor, case)
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if followup.status != FollowUpStatus.OPEN:
        raise CaseInputError({"status": [_("This follow-up is already closed.")]})
    if status not in (FollowUpStatus.DONE, FollowUpStatus.CANCELLED):
        raise CaseInputError({"status": [_("Mark it done or cancelled.")]})
    followup.status, followup.completed_on, followup.completed_by = status, timezone.localdate(), actor
    followup.save(update_fields=["status", "completed_on", "completed_by"])
    _save_case(case, [])
    _audit_case(
        actor,
        case,
        AuditAction.CASE_CHANGED,
        {"followup": followup.pk, "changes": {"status": {"old": "open", "new": status}}},
    )
    return followup


# ---- incidents ----------------------------------------------------------------------------------------


@dataclass
class IncidentInput:
    gbv_type: Term | None
    when: ImpreciseDate = field(default_factory=ImpreciseDate.unknown)
    place: Location | None = None
    place_detail: str | None = None
    first_reported_on: date | None = None
    survivor_age: int | None = None
    goods_money_exchanged: bool = False
    abduction_status: str = AbductionStatus.UNKNOWN
    perpetrator_count: int | None = None
    perpetrator_types: list[Term] = field(default_factory=list)
    trafficking_acts: list[Term] = field(default_factory=list)
    trafficking_means: list[Term] = field(default_factory=list)
    trafficking_purposes: list[Term] = field(default_factory=list)
    ilo_indicators: list[Term] = field(default_factory=list)
    narrative: str | None = None


_INCIDENT_M2M = {
    "perpetrator_types": "perpetrator",
    "trafficking_acts": "t_act",
    "trafficking_means": "t_means",
    "trafficking_purposes": "t_purpose",
    "ilo_indicators": "ilo",
}


def _check_incident(data: IncidentInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    _term(errors, "gbv_type", data.gbv_type, VOCABS["gbv"])
    for name, key in _INCIDENT_M2M.items():
        _terms(errors, name, getattr(data, name), VOCABS[key])
    if data.abduction_status not in AbductionStatus.values:
        errors["abduction_status"] = _("Choose one of the listed values.")
    if data.survivor_age is not None and not 0 <= data.survivor_age <= 120:
        errors["survivor_age"] = _("An age between 0 and 120.")
    if data.perpetrator_count is not None and data.perpetrator_count < 1:
        errors["perpetrator_count"] = _("At least 1, or leave it empty if unknown.")
    today = timezone.localdate()
    if data.first_reported_on is not None:
        if data.first_reported_on > today:
            errors["first_reported_on"] = _("The date cannot be in the future.")
        elif data.when.is_known and data.when.start and data.first_reported_on < data.when.start:
            errors["first_reported_on"] = _("An incident cannot be reported before it happened.")
    if data.when.is_known and data.when.start and data.when.start > today:
        errors["when"] = _("The date cannot be in the future.")
    _text(errors, "narrative", data.narrative)
    _text(errors, "place_detail", data.place_detail)
    return errors


def _incident_values(data: IncidentInput) -> dict[str, Any]:
    return {
        "gbv_type": data.gbv_type,
        "place": data.place,
        "place_detail": (data.place_detail or "").strip() or None,
        "first_reported_on": data.first_reported_on,
        "survivor_age": data.survivor_age,
        "goods_money_exchanged": data.goods_money_exchanged,
        "abduction_status": data.abduction_status,
        "perpetrator_count": data.perpetrator_count,
        "narrative": (data.narrative or "").strip() or None,
    }


def _incident_state(incident: Incident) -> dict[str, Any]:
    state: dict[str, Any] = {
        "gbv_type": incident.gbv_type.code,
        "date": str(incident.date),
        "place": incident.place_id,
        "place_detail": incident.place_detail,
        "first_reported_on": incident.first_reported_on,
        "survivor_age": incident.survivor_age,
        "goods_money_exchanged": incident.goods_money_exchanged,
        "abduction_status": incident.abduction_status,
        "perpetrator_count": incident.perpetrator_count,
        "narrative": incident.narrative,
    }
    for name in _INCIDENT_M2M:
        state[name] = sorted(getattr(incident, name).values_list("code", flat=True))
    return state


INCIDENT_IDENTIFYING = policy.IDENTIFYING_FIELDS["cases.incident"]


@transaction.atomic
def incident_save(
    *, actor: Any, case: Case, data: IncidentInput, incident: Incident | None = None
) -> Incident:
    """Create an incident, or change one (``incident``) that has not yet been documented as acts."""
    _check_edit(actor, case)
    errors = _check_incident(data)
    if incident is not None:
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident is not None and incident.case_id != case.pk:
        errors["incident"] = _("Not an incident of this case.")
    if incident is not None and incident.documented_event_id is not None:
        errors["incident"] = _(
            "This incident is already documented in the events model; change the documented records instead."
        )
    _fail(errors)
    before = _incident_state(incident) if incident is not None else {}
    if incident is None:
        incident = Incident(case=case, created_by=actor)
    for name, value in _incident_values(data).items():
        setattr(incident, name, value)
    incident.date = data.when
    incident.save()
    for name in _INCIDENT_M2M:
        getattr(incident, name).set(getattr(data, name))
    _save_case(case, [])
    changes = diff_for_audit(before, _incident_state(incident), INCIDENT_IDENTIFYING)
    _audit_case(
        actor,
        case,
        AuditAction.CASE_CHANGED,
        {"incident": incident.pk, "created": not before, "changes": changes},
    )
    return incident


@transaction.atomic
def payment_add(
    *,
    actor: Any,
    incident: Incident,
    kind: str,
    amount: Decimal | str | None,
    currency: str,
    when: ImpreciseDate | None = None,
) -> Payment:
    """Record money paid to or by a broker, a debt to one, or the price at which the person was sold."""
    case = incident.case
    _check_edit(actor, case)
    errors: dict[str, str] = {}
    if kind not in PaymentKind.values:
        errors["kind"] = _("Choose what the payment was.")
    if currency not in Currency.values:
        errors["currency"] = _("Choose a currency.")
    try:
        value = Decimal(str(amount)) if amount is not None else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        errors["amount"] = _("An amount of 0 or more, such as 15000 or 1500.50.")
    elif value != value.quantize(Decimal("0.01")):
        errors["amount"] = _("At most two decimal places.")
    _fail(errors)
    assert value is not None  # noqa: S101
    value = value.quantize(Decimal("0.01"))
    payment = Payment(incident=incident, kind=kind, amount=value, currency=currency, created_by=actor)
    payment.date = when or ImpreciseDate.unknown()
    payment.save()
    _save_case(case, [])
    _audit_case(
        actor,
        case,
        AuditAction.CASE_CHANGED,
        {
            "incident": incident.pk,
            "payment_added": payment.pk,
            "kind": kind,
            "amount": str(value),
            "currency": currency,
            "date": str(payment.date),
        },
    )
    return payment


# The trafficking act recorded with it when the Palermo elements are all present (act-types branch 91).
TRAFFICKING_ACT_TYPES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"forced_marriage"}), "9101"),
    (frozenset({"prostitution", "sexual_exploitation"}), "9102"),
    (frozenset({"forced_labour", "servitude", "slavery"}), "9103"),
)
TRAFFICKING_GENERAL = "91"


def default_act_type(incident: Incident) -> Term | None:
    code = flags.GBV_ACT_TYPES.get(incident.gbv_type.code)
    return Term.objects.filter(vocabulary__code="act-types", code=code).first() if code else None


def trafficking_act_type(purposes: frozenset[str]) -> str:
    for wanted, code in TRAFFICKING_ACT_TYPES:
        if purposes & wanted:
            return code
    return TRAFFICKING_GENERAL


@dataclass
class Documented:
    event: Event
    acts: list[Act]
    involvements: list[Involvement]
    information: Information
    persons_created: list[Person]
    override: ConsentOverride | None


def _vocab_term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code)


@transaction.atomic
def incident_document(
    *,
    actor: Any,
    incident: Incident,
    act_type: Term | None = None,
    override_reason: str | None = None,
) -> Documented:
    """Document a case incident in the events model in one step, linked to its source.

    Creates an Event (the incident's date, place and narrative), an Act against the survivor (the act type
    its GBVIMS type maps to, or ``act_type``), a second Act of trafficking when the Palermo elements are all
    recorded, an unnamed perpetrator with an Involvement in each act when perpetrators were described, and
    an Information row with the survivor as the source. Using a testimony needs the person's consent to it
    (or an audited override). Every record is audited as created; the incident keeps the link.
    """
    case = incident.case
    _check_edit(actor, case)
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("case__person", "gbv_type", "place")
        .get(pk=incident.pk)
    )
    errors: dict[str, str] = {}
    if incident.documented_event_id is not None:
        errors["incident"] = _("This incident is already documented.")
    chosen = act_type or default_act_type(incident)
    if chosen is None:
        errors["act_type"] = _("Choose the type of act this incident is documented as.")
    elif chosen.vocabulary.code != "act-types":
        errors["act_type"] = _("Not a type of act.")
    if case.confidentiality not in policy.clearance(actor):
        errors["incident"] = _("You are not cleared for this case's confidentiality level.")
    _fail(errors)
    assert chosen is not None  # noqa: S101
    consent = matching_consent(case, ConsentScope.TESTIMONY)
    override = None
    if consent is None:
        if override_reason is None or not override_reason.strip():
            _refuse_without_consent(actor, case, ConsentScope.TESTIMONY, None)
        override = _override(actor, case, ConsentScope.TESTIMONY, None, override_reason)

    facts = incident.facts()
    provenance = {
        "from": "cases.incident",
        "incident": incident.pk,
        "case": case.reference,
        "by": actor.get_username(),
        "at": timezone.now().isoformat(),
    }
    base = {
        "organisation": case.organisation,
        "compartment": case.compartment,
        "confidentiality": case.confidentiality,
        "created_by": actor,
        "provenance": provenance,
    }
    label = incident.gbv_type.label
    event = Event(
        title=_("%(type)s (case incident)") % {"type": label},
        location=incident.place,
        sensitive_notes=incident.narrative,
        **base,
    )
    event.date = incident.date
    event.save()

    act_types = [chosen]
    if flags.trafficking_elements_met(facts):
        act_types.append(_vocab_term("act-types", trafficking_act_type(facts.trafficking_purposes)))
    acts = []
    for kind in act_types:
        act = Act(
            event=event,
            victim=case.person,
            act_type=kind,
            location=incident.place,
            victim_age=incident.survivor_age,
            **base,
        )
        act.date = incident.date
        act.save()
        acts.append(act)

    persons_created: list[Person] = []
    involvements: list[Involvement] = []
    perpetrator_types = list(incident.perpetrator_types.all())
    if perpetrator_types or incident.perpetrator_count:
        count = incident.perpetrator_count or 1
        perpetrator = person_create(
            organisation=case.organisation,
            compartment=case.compartment,
            names=[],
            confidentiality=case.confidentiality,
            provenance=provenance,
            created_by=actor,
            counting_unit=_vocab_term("counting-units", "01" if count == 1 else "03"),
        )
        perpetrator.group_description = ", ".join(t.label_en for t in perpetrator_types) or "Unidentified"
        perpetrator.number_of_persons_in_group = count if count > 1 else None
        perpetrator.save(update_fields=["group_description", "number_of_persons_in_group"])
        persons_created.append(perpetrator)
        degree = _vocab_term("involvement-degrees", "0101")
        for act in acts:
            inv = Involvement.objects.create(
                act=act, event=event, perpetrator=perpetrator, degree=degree, **base
            )
            inv.perpetrator_types.set(perpetrator_types)
            involvements.append(inv)

    info = Information(
        source=case.person,
        event=event,
        connection=_vocab_term("source-connections", "0101"),
        consent=InformationConsent.ANONYMOUS if consent is not None else InformationConsent.INTERNAL,
        remarks="Documented from a case incident (haven.cases).",
        **base,
    )
    info.date = ImpreciseDate.parse((incident.first_reported_on or timezone.localdate()).isoformat())
    info.save()
    interview = Term.objects.filter(vocabulary__code="source-types", code="091420051801").first()
    if interview is not None:
        info.source_types.set([interview])

    incident.documented_event = event
    incident.save(update_fields=["documented_event"])
    _save_case(case, [])

    via = {"via": "case incident", "incident": incident.pk, "case": case.reference}
    for record in [event, *acts, *persons_created, *involvements, info]:
        audit_record(actor=actor, action=AuditAction.RECORD_CREATED, target=record, details=via)
    if override is not None:
        _audit_case(
            actor,
            case,
            AuditAction.CONSENT_OVERRIDDEN,
            {
                "override": override.pk,
                "scope": ConsentScope.TESTIMONY.value,
                "incident": incident.pk,
                **diff_for_audit({}, {"reason": override.reason}, {"reason"}),
            },
        )
    _audit_case(
        actor,
        case,
        AuditAction.CASE_CHANGED,
        {
            "incident": incident.pk,
            "documented_event": event.pk,
            "acts": [a.pk for a in acts],
            "consent": consent.pk if consent else None,
            "override": override.pk if override else None,
        },
    )
    return Documented(event, acts, involvements, info, persons_created, override)


# ---- partners -----------------------------------------------------------------------------------------


@transaction.atomic
def partner_save(
    *,
    actor: Any,
    organisation: Any,
    name_en: str,
    name_ko: str = "",
    country: Location | None = None,
    services: Iterable[Term] = (),
    partner: Partner | None = None,
    active: bool = True,
) -> Partner:
    """Add or change a partner in an organisation's list (administrators: MANAGE_USERS)."""
    if not policy.has(actor, C.MANAGE_USERS):
        _refuse(actor, "may not manage partners")
    errors: dict[str, str] = {}
    name = (name_en or "").strip()
    if not name:
        errors["name_en"] = _("This field is required.")
    services = _terms(errors, "services", services, VOCABS["need"])
    _fail(errors)
    before = (
        {}
        if partner is None
        else {"name_en": partner.name_en, "name_ko": partner.name_ko, "active": partner.active}
    )
    partner = partner or Partner(organisation=organisation)
    partner.name_en, partner.name_ko, partner.country, partner.active = (
        name,
        (name_ko or "").strip(),
        country,
        active,
    )
    partner.save()
    partner.services.set(services)
    audit_record(
        actor=actor,
        action=AuditAction.CASE_CHANGED,
        target=partner,
        details={
            "partner": partner.pk,
            "changes": diff_for_audit(
                before, {"name_en": partner.name_en, "name_ko": partner.name_ko, "active": active}
            ),
        },
    )
    return partner
