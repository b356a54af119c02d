"""The case workflow through the services: new → assessment → plan → in progress → closed → reopened."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from haven.accounts.models import Role
from haven.audit.models import AuditAction, AuditEntry
from haven.cases import services, workflow
from haven.cases.models import Case, ClosureReason, RiskLevel, Status
from haven.cases.tests.world import CaseWorld, term
from haven.lib.dates import ImpreciseDate

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> CaseWorld:
    return CaseWorld()


def _entries(case: Case, action: AuditAction) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(target_type="cases.case", target_id=str(case.pk), action=action))


def test_it_walks_a_case_through_the_whole_workflow_with_an_audit_entry_for_each_step(w: CaseWorld) -> None:
    case, actor = w.case_a, w.worker_a
    assert case.status == Status.NEW and case.version == 1
    assert _entries(case, AuditAction.CASE_CREATED)
    case = services.case_transition(actor=actor, case=case, to=Status.ASSESSMENT)
    with pytest.raises(services.CaseInputError) as no_risk:
        services.case_transition(actor=actor, case=case, to=Status.PLAN)
    assert "risk_level" in no_risk.value.message_dict
    services.case_set_risk(
        actor=actor,
        case=case,
        level=RiskLevel.HIGH,
        reasons=[term("case-risk-factors", "trafficked"), term("case-risk-factors", "broker_debt")],
    )
    case = services.case_transition(actor=actor, case=case, to=Status.PLAN)
    case = services.case_transition(actor=actor, case=case, to=Status.IN_PROGRESS)
    case = services.case_close(
        actor=actor, case=case, reason=ClosureReason.RESETTLED, closed_on=date(2024, 6, 1)
    )
    assert (case.status, case.closed_on, case.closure_reason) == ("closed", date(2024, 6, 1), "resettled")
    case = services.case_reopen(actor=actor, case=case)
    assert (case.status, case.closed_on, case.closure_reason, case.reopened_count) == (
        "assessment",
        None,
        "",
        1,
    )
    statuses = [
        e.details["changes"]["status"]["new"]
        for e in _entries(case, AuditAction.CASE_CHANGED)
        if "status" in e.details.get("changes", {})
    ]
    assert statuses == ["assessment", "plan", "in_progress"]
    assert _entries(case, AuditAction.CASE_CLOSED)[0].details["reason"] == "resettled"
    assert _entries(case, AuditAction.CASE_REOPENED)[0].details["previously"]["closed_on"] == "2024-06-01"
    risk = [
        e for e in _entries(case, AuditAction.CASE_CHANGED) if "risk_level" in e.details.get("changes", {})
    ]
    assert risk[0].details["changes"]["risk_reasons"]["new"] == ["broker_debt", "trafficked"]
    assert case.version > 5


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.NEW, Status.PLAN),
        (Status.NEW, Status.IN_PROGRESS),
        (Status.NEW, Status.CLOSED),
        (Status.ASSESSMENT, Status.NEW),
        (Status.ASSESSMENT, Status.IN_PROGRESS),
        (Status.CLOSED, Status.ASSESSMENT),
        ("in_progress", "nonsense"),
    ],
)
def test_it_refuses_a_transition_the_workflow_does_not_allow(w: CaseWorld, start: str, target: str) -> None:
    Case.objects.filter(pk=w.case_a.pk).update(
        status=start,
        closed_on=date(2024, 2, 1) if start == Status.CLOSED else None,
        closure_reason="other" if start == Status.CLOSED else "",
    )
    case = Case.objects.get(pk=w.case_a.pk)
    with pytest.raises(services.CaseInputError) as err:
        services.case_transition(actor=w.worker_a, case=case, to=target)
    assert "status" in err.value.message_dict
    assert Case.objects.get(pk=case.pk).status == start


def test_the_workflow_table_is_what_the_issue_describes() -> None:
    path = [workflow.NEW, workflow.ASSESSMENT, workflow.PLAN, workflow.IN_PROGRESS]
    assert all(workflow.may_move(a, b) for a, b in zip(path, path[1:], strict=False))
    assert all(workflow.may_close(s) for s in path) and not workflow.may_close(workflow.CLOSED)
    assert workflow.may_reopen(workflow.CLOSED) and not workflow.may_reopen(workflow.NEW)
    assert not workflow.referral_may_move("done", "accepted")
    assert workflow.referral_may_move("sent", "accepted") and workflow.referral_may_move("accepted", "done")


def test_closing_asks_why_and_cannot_predate_the_opening(w: CaseWorld) -> None:
    with pytest.raises(services.CaseInputError) as err:
        services.case_close(actor=w.worker_a, case=w.case_a, reason="bored", closed_on=date(2023, 1, 1))
    assert set(err.value.message_dict) == {"closure_reason", "closed_on"}
    assert Case.objects.get(pk=w.case_a.pk).status == Status.NEW


def test_one_open_case_per_person_in_a_compartment(w: CaseWorld) -> None:
    with pytest.raises(services.CaseInputError) as err:
        services.case_create(actor=w.worker_a, compartment=w.comp_a, person=w.case_a.person)
    assert "person" in err.value.message_dict
    services.case_close(actor=w.worker_a, case=w.case_a, reason=ClosureReason.LOST_CONTACT)
    second = services.case_create(actor=w.worker_a, compartment=w.comp_a, person=w.case_a.person)
    with pytest.raises(services.CaseInputError):
        services.case_reopen(actor=w.worker_a, case=Case.objects.get(pk=w.case_a.pk))
    assert second.reference != w.case_a.reference


def test_only_case_workers_with_the_compartment_change_a_case(w: CaseWorld) -> None:
    for actor in (w.worker_b, w.world.users[Role.ADMINISTRATOR], w.world.users[Role.DOCUMENTER]):
        with pytest.raises(PermissionDenied):
            services.case_transition(actor=actor, case=w.case_a, to=Status.ASSESSMENT)
    refusals = AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED)
    assert refusals.count() >= 3
    assert Case.objects.get(pk=w.case_a.pk).status == Status.NEW
    with pytest.raises(PermissionDenied):
        services.case_create(actor=w.worker_b, compartment=w.comp_a, person=w.case_a.person)


def test_the_owner_and_team_must_work_in_the_compartment(w: CaseWorld) -> None:
    with pytest.raises(services.CaseInputError) as err:
        services.case_assign(actor=w.worker_a, case=w.case_a, owner=w.worker_b, team=[w.worker_b])
    assert set(err.value.message_dict) == {"owner", "team"}
    case = services.case_assign(
        actor=w.worker_a,
        case=w.case_a,
        owner=w.colleague_a,
        team=[w.worker_a, w.world.users[Role.ADMINISTRATOR]],
    )
    assert case.owner == w.colleague_a and set(case.team.all()) == {
        w.worker_a,
        w.world.users[Role.ADMINISTRATOR],
    }


def test_where_a_person_hides_is_encrypted_at_rest_and_never_in_the_audit_log(w: CaseWorld) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_whereabouts, safe_contact, summary FROM cases_case WHERE id = %s", [w.case_a.pk]
        )
        raw = " ".join(cursor.fetchone())
    assert "noodle" not in raw and "pastor" not in raw and "farmer" not in raw
    services.case_update_details(
        actor=w.worker_a,
        case=w.case_a,
        summary=w.case_a.summary,
        current_whereabouts="Moved to a flat behind the Tumen railway station",
        safe_contact=w.case_a.safe_contact,
    )
    entry = _entries(w.case_a, AuditAction.CASE_CHANGED)[-1]
    change = entry.details["changes"]["current_whereabouts"]
    assert change["changed"] is True and set(change) == {"changed", "old_hmac", "new_hmac"}
    everything = " ".join(str(e.details) for e in AuditEntry.objects.all())
    for secret in ("noodle", "Tumen railway", "pastor", "한소망", "Han So-mang"):
        assert secret not in everything


def test_the_current_stage_of_the_journey_is_derived_from_the_latest_stage(w: CaseWorld) -> None:
    from haven.cases.selectors import current_stage, with_current_stage

    case, actor = w.case_a, w.worker_a
    stages = [
        ("in_dprk", ""),
        ("crossed_border", "2016-03"),
        ("trafficking_situation", "2016-04..2019"),
        ("hiding_china", "c. 2019"),
    ]
    for code, when in stages:
        services.stage_add(
            actor=actor, case=case, stage=term("case-journey-stages", code), when=ImpreciseDate.parse(when)
        )
    assert current_stage(list(case.stages.all())).stage.code == "hiding_china"
    annotated = with_current_stage(Case.objects.filter(pk=case.pk)).get()
    assert annotated.current_stage_id == term("case-journey-stages", "hiding_china").pk
    # A stage entered later but dated earlier does not become the current one.
    services.stage_add(
        actor=actor,
        case=case,
        stage=term("case-journey-stages", "detained_china"),
        when=ImpreciseDate.parse("2015"),
    )
    assert (
        with_current_stage(Case.objects.filter(pk=case.pk)).get().current_stage_id
        == term("case-journey-stages", "hiding_china").pk
    )
    services.stage_add(
        actor=actor,
        case=case,
        stage=term("case-journey-stages", "in_transit"),
        when=ImpreciseDate.parse("2024-02-03"),
        place_detail="Guest house in Vientiane",
    )
    assert current_stage(list(case.stages.all())).stage.code == "in_transit"
    assert (
        with_current_stage(Case.objects.filter(pk=case.pk)).get().current_stage_id
        == term("case-journey-stages", "in_transit").pk
    )
    with pytest.raises(services.CaseInputError):
        services.stage_add(
            actor=actor, case=case, stage=term("case-needs", "shelter"), when=ImpreciseDate.unknown()
        )


def test_follow_ups_appear_on_the_assigned_workers_due_list_only(w: CaseWorld) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from haven.cases.selectors import due_for

    today = timezone.localdate()
    soon = services.followup_create(
        actor=w.worker_a,
        case=w.case_a,
        assigned_to=w.colleague_a,
        due_on=today + timedelta(days=2),
        task="Call",
    )
    late = services.followup_create(
        actor=w.worker_a,
        case=w.case_a,
        assigned_to=w.colleague_a,
        due_on=today - timedelta(days=3),
        task="Visit",
    )
    services.followup_create(
        actor=w.worker_a,
        case=w.case_a,
        assigned_to=w.colleague_a,
        due_on=today + timedelta(days=30),
        task="Later",
    )
    assert due_for(w.colleague_a) == [late, soon]
    assert due_for(w.worker_a) == []
    services.followup_close(actor=w.colleague_a, followup=late)
    assert due_for(w.colleague_a) == [soon]
    with pytest.raises(services.CaseInputError):
        services.followup_create(
            actor=w.worker_a, case=w.case_a, assigned_to=w.worker_b, due_on=today, task="x"
        )
    with pytest.raises(services.CaseInputError):
        services.followup_close(actor=w.worker_a, followup=late)
