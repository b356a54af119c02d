"""The demo's synthetic cases: built through the services, in the demo case worker's compartment."""

from __future__ import annotations

import pytest

from haven.audit.models import AuditAction, AuditEntry
from haven.cases.models import Case, Incident, Referral
from haven.demo.cases import add_demo_cases
from haven.demo.generator import DemoBuilder
from haven.demo.users import ensure_demo_accounts

pytestmark = pytest.mark.django_db


def test_it_opens_and_works_synthetic_cases_for_the_demo_case_worker() -> None:
    DemoBuilder(persons=250, seed=5).build()
    ensure_demo_accounts("demo password for tests 1")
    made = add_demo_cases(cases=18, seed=5)
    assert made == 18 == Case.objects.count()
    assert set(Case.objects.values_list("compartment__code", flat=True)) == {"mekong-testimonies"}
    assert set(Case.objects.values_list("owner__username", flat=True)) == {"caseworker"}
    assert len(set(Case.objects.values_list("status", flat=True))) >= 3
    assert all(c.stages.exists() and c.consents.exists() for c in Case.objects.all())
    assert Incident.objects.exists() and Referral.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.CASE_CREATED).count() == 18
    assert add_demo_cases(cases=18, seed=5) == 0  # idempotent
