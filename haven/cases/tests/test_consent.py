"""Consent gating: referrals and the use of testimony are refused without the matching consent, unless an
allowed user records an audited override with a reason."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from haven.accounts import policy
from haven.accounts.models import Role
from haven.audit.models import AuditAction, AuditEntry
from haven.cases import services
from haven.cases.models import ConsentOverride, ConsentScope, Referral, ReferralStatus
from haven.cases.tests.world import CaseWorld, term

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> CaseWorld:
    return CaseWorld()


def _refer(w: CaseWorld, partner=None, **kwargs):  # type: ignore[no-untyped-def]
    return services.referral_create(
        actor=w.worker_a,
        case=w.case_a,
        partner=partner or w.shelter_a,
        need=term("case-needs", "shelter"),
        **kwargs,
    )


def test_it_refuses_a_referral_without_consent_and_audits_the_refusal(w: CaseWorld) -> None:
    with pytest.raises(services.ConsentRequired) as err:
        _refer(w)
    assert err.value.scope == ConsentScope.REFERRAL and err.value.partner == w.shelter_a
    assert not Referral.objects.exists()
    refusal = AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED).latest("seq")
    assert refusal.details == {
        "reason": "no matching consent",
        "scope": "referral",
        "partner": w.shelter_a.pk,
    }
    assert refusal.actor == w.worker_a and refusal.target_id == str(w.case_a.pk)


def test_consent_to_one_partner_does_not_allow_a_referral_to_another(w: CaseWorld) -> None:
    w.referral_consent(w.clinic_a)
    with pytest.raises(services.ConsentRequired):
        _refer(w, w.shelter_a)
    referral = _refer(w, w.clinic_a)
    assert (
        referral.consent is not None and referral.override is None and referral.status == ReferralStatus.SENT
    )
    made = AuditEntry.objects.filter(action=AuditAction.REFERRAL_MADE).latest("seq")
    assert made.details["consent"] == referral.consent_id and made.details["override"] is None


def test_other_kinds_of_consent_do_not_count_for_a_referral(w: CaseWorld) -> None:
    w.consent(w.case_a, ConsentScope.SERVICES)
    w.consent(w.case_a, ConsentScope.REPORTING)
    with pytest.raises(services.ConsentRequired):
        _refer(w)


def test_the_latest_decision_wins_a_refusal_cancels_an_earlier_consent(w: CaseWorld) -> None:
    w.referral_consent(w.shelter_a)
    services.consent_record(
        actor=w.worker_a,
        case=w.case_a,
        scope=ConsentScope.REFERRAL,
        granted=False,
        given_on=date(2024, 2, 1),
        partners=[w.shelter_a],
    )
    with pytest.raises(services.ConsentRequired):
        _refer(w)


def test_withdrawing_consent_revokes_the_open_referrals_made_under_it(w: CaseWorld) -> None:
    w.referral_consent(w.shelter_a)
    referral = _refer(w)
    consent = referral.consent
    revoked = services.consent_withdraw(actor=w.worker_a, consent=consent, withdrawn_on=date(2024, 3, 1))
    assert revoked == [referral]
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REVOKED
    entry = AuditEntry.objects.filter(action=AuditAction.CONSENT_WITHDRAWN).latest("seq")
    assert entry.details["referrals_revoked"] == [referral.pk]
    with pytest.raises(services.ConsentRequired):
        _refer(w)
    with pytest.raises(services.CaseInputError):
        services.consent_withdraw(actor=w.worker_a, consent=consent)


def test_accepting_a_referral_needs_the_consent_still_to_hold(w: CaseWorld) -> None:
    w.referral_consent(w.shelter_a)
    referral = _refer(w)
    services.consent_record(
        actor=w.worker_a,
        case=w.case_a,
        scope=ConsentScope.REFERRAL,
        granted=False,
        given_on=date(2024, 2, 1),
        partners=[w.shelter_a],
    )
    with pytest.raises(services.ConsentRequired):
        services.referral_set_status(actor=w.worker_a, referral=referral, status=ReferralStatus.ACCEPTED)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


def test_an_override_needs_a_reason_and_is_recorded_encrypted_and_audited(w: CaseWorld) -> None:
    with pytest.raises(services.CaseInputError) as err:
        _refer(w, override_reason="urgent")
    assert "override_reason" in err.value.message_dict
    assert not ConsentOverride.objects.exists()
    reason = "Police raid expected tonight at the Yanji safe house; she cannot be reached to ask."
    referral = _refer(w, override_reason=reason)
    assert referral.consent is None and referral.override is not None
    assert referral.override.reason == reason and referral.override.overridden_by == w.worker_a
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM cases_consentoverride WHERE id = %s", [referral.override_id])
        assert "Yanji" not in cursor.fetchone()[0]
    entry = AuditEntry.objects.filter(action=AuditAction.CONSENT_OVERRIDDEN).latest("seq")
    assert entry.details["referral"] == referral.pk and entry.details["partner"] == w.shelter_a.pk
    assert entry.details["reason"]["changed"] is True and "Yanji" not in str(entry.details)
    made = AuditEntry.objects.filter(action=AuditAction.REFERRAL_MADE).latest("seq")
    assert made.details["override"] == referral.override_id and made.seq > entry.seq
    # An overridden referral can go ahead: the override is its basis.
    services.referral_set_status(actor=w.worker_a, referral=referral, status=ReferralStatus.ACCEPTED)
    services.referral_set_status(actor=w.worker_a, referral=referral, status=ReferralStatus.DONE)
    with pytest.raises(services.CaseInputError):
        services.referral_set_status(actor=w.worker_a, referral=referral, status=ReferralStatus.SENT)


def test_an_override_is_refused_to_a_user_without_the_permission(w: CaseWorld, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    without = policy.ROLE_CAPABILITIES[Role.CASE_WORKER] - {policy.C.OVERRIDE_CONSENT}
    monkeypatch.setitem(policy.ROLE_CAPABILITIES, Role.CASE_WORKER, without)
    with pytest.raises(PermissionDenied) as err:
        _refer(w, override_reason="Police raid expected tonight; cannot reach her.")
    assert not isinstance(err.value, services.ConsentRequired)
    assert not Referral.objects.exists() and not ConsentOverride.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED).latest("seq").details == {
        "reason": "may not override consent"
    }


def test_referral_consent_names_partners_of_the_organisation_only(w: CaseWorld) -> None:
    with pytest.raises(services.CaseInputError) as err:
        w.consent(w.case_a, ConsentScope.REFERRAL, [w.lawyer_b])
    assert "partners" in err.value.message_dict
    with pytest.raises(services.CaseInputError) as err:
        w.consent(w.case_a, ConsentScope.REFERRAL, [])
    assert "partners" in err.value.message_dict
    with pytest.raises(services.CaseInputError):
        services.referral_create(
            actor=w.worker_a, case=w.case_a, partner=w.lawyer_b, override_reason="x" * 20
        )


def test_consent_records_who_recorded_it_and_when(w: CaseWorld) -> None:
    consent = services.consent_record(
        actor=w.colleague_a,
        case=w.case_a,
        scope=ConsentScope.TESTIMONY,
        granted=True,
        given_on=date(2024, 1, 20),
        given_by="guardian",
        notes="Agreed in front of her aunt",
    )
    assert consent.recorded_by == w.colleague_a and consent.recorded_at is not None
    assert consent.given_by == "guardian" and consent.active
    entry = AuditEntry.objects.filter(action=AuditAction.CONSENT_RECORDED).latest("seq")
    assert entry.details["scope"] == "testimony" and "aunt" not in str(entry.details)
    with pytest.raises(services.CaseInputError):
        services.consent_record(
            actor=w.worker_a,
            case=w.case_a,
            scope=ConsentScope.SERVICES,
            granted=True,
            given_on=date(2999, 1, 1),
        )
