"""Assistance cases through the API: the case pages' compartments, masking and audit."""

from __future__ import annotations

import pytest

from haven.accounts.models import Role
from haven.accounts.policy import MASK
from haven.api import tokens
from haven.api.models import Scope
from haven.api.tests.helpers import call, token_for
from haven.audit.models import AuditAction, AuditEntry
from haven.cases.tests.world import CaseWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> CaseWorld:
    return CaseWorld()


def test_a_case_worker_reads_the_cases_of_her_compartment_only(client, w: CaseWorld) -> None:  # type: ignore[no-untyped-def]
    worker = token_for(w.worker_a, [Scope.CASES_READ])
    listed = call(client, "GET", "/api/v1/cases/", worker)
    assert listed.status_code == 200, listed.content
    refs = [c["reference"] for c in listed.json()["results"]]
    assert refs == [w.case_a.reference]
    text = listed.content.decode()
    for secret in (*CaseWorld.NAMES_A, *CaseWorld.NAMES_B, CaseWorld.HIDING_B):
        assert secret not in text  # lists never carry names
    detail = call(client, "GET", f"/api/v1/cases/{w.case_a.reference}/", worker)
    assert detail.status_code == 200
    body = detail.json()
    assert (
        body["current_whereabouts"] == CaseWorld.HIDING_A and body["person"]["label"] == CaseWorld.NAMES_A[0]
    )
    assert body["identifying_shown"] is True
    assert AuditEntry.objects.filter(action=AuditAction.CASE_VIEWED, details__via="api").exists()
    assert AuditEntry.objects.filter(action=AuditAction.CASE_SEARCHED, details__via="api").exists()
    missing = call(client, "GET", "/api/v1/cases/NOSUCHCASE/", worker)
    other = call(client, "GET", f"/api/v1/cases/{w.case_b.reference}/", worker)
    assert missing.status_code == other.status_code == 404 and missing.content == other.content
    assert CaseWorld.HIDING_B not in other.content.decode()


def test_a_role_that_may_not_see_identifying_data_gets_the_mask(client, w: CaseWorld) -> None:  # type: ignore[no-untyped-def]
    admin = w.world.users[Role.ADMINISTRATOR]  # sees cases (public and internal ones), not identifying data
    token = token_for(admin, [Scope.CASES_READ])
    assert (
        call(client, "GET", f"/api/v1/cases/{w.case_a.reference}/", token).status_code == 404
    )  # confidential
    w.case_a.confidentiality = "internal"
    w.case_a.save(update_fields=["confidentiality"])
    body = call(client, "GET", f"/api/v1/cases/{w.case_a.reference}/", token).json()
    assert body["identifying_shown"] is False
    assert body["current_whereabouts"] == body["safe_contact"] == body["summary"] == MASK
    text = str(body)
    for secret in (*CaseWorld.NAMES_A, CaseWorld.HIDING_A, "pastor"):
        assert secret not in text


def test_roles_without_cases_have_no_cases_scope_and_tokens_without_it_are_refused(
    client, w: CaseWorld
) -> None:  # type: ignore[no-untyped-def]
    assert Scope.CASES_READ not in tokens.scopes_allowed(w.world.users[Role.ANALYST])
    records_only = token_for(w.worker_a, [Scope.RECORDS_READ])
    response = call(client, "GET", "/api/v1/cases/", records_only)
    assert response.status_code == 403 and "cases:read" in response.json()["detail"]


def test_the_case_list_reads_a_page_in_a_fixed_number_of_queries_and_shows_what_a_case_read_shows(
    client, w: CaseWorld
) -> None:  # type: ignore[no-untyped-def]
    """Pinned: one case or five, each with risk reasons and needs, the list makes the same queries; and each
    listed case is exactly what the single-case presenter gives (terms in the vocabulary's order)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from haven.api.cases import CaseSerializer, case_out
    from haven.cases import services
    from haven.cases.models import Case, RiskLevel
    from haven.cases.tests.world import term
    from haven.vocab.models import Term

    worker = token_for(w.worker_a, [Scope.CASES_READ])
    reasons = list(Term.objects.filter(vocabulary__code="case-risk-factors").order_by("-sort_order")[:3])
    needs = list(Term.objects.filter(vocabulary__code="case-needs").order_by("-sort_order")[:3])
    assert len(reasons) == len(needs) == 3

    def listed() -> tuple[int, list[dict[str, object]]]:
        with CaptureQueriesContext(connection) as ctx:
            response = call(client, "GET", "/api/v1/cases/", worker)
        assert response.status_code == 200, response.content
        return len(ctx.captured_queries), response.json()["results"]

    services.case_set_risk(actor=w.worker_a, case=w.case_a, level=RiskLevel.HIGH, reasons=reasons)
    services.case_set_needs(actor=w.worker_a, case=w.case_a, needs=needs)
    listed()  # the token's first use is recorded once
    one, _ = listed()
    for i in range(4):
        case = w.new_case(w.worker_a, w.comp_a, (f"가상{i}", f"Ga Sang-{i}"))
        services.case_set_risk(actor=w.worker_a, case=case, level=RiskLevel.MEDIUM, reasons=reasons[i % 3 :])
        services.case_set_needs(
            actor=w.worker_a, case=case, needs=[needs[i % 3], term("case-needs", "shelter")]
        )
    five, results = listed()
    assert len(results) == 5
    assert five == one, (one, five)
    for item in results:
        case = Case.objects.get(reference=item["reference"])
        alone = CaseSerializer(case_out(w.worker_a, case, detail=False)).data
        assert item == alone
        assert item["risk_reasons"] and item["needs"]
