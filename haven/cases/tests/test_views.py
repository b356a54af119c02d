"""The case pages through the Django test client: workflow, consent gating and the override, end to end."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.policy import MASK
from haven.audit.models import AuditAction, AuditEntry
from haven.cases.models import Case, Consent, Incident, Referral, ReferralStatus, Status
from haven.cases.tests.world import PASSWORD, CaseWorld, term

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> CaseWorld:
    return CaseWorld()


def url(name: str, case: Case, *args: object) -> str:
    return reverse(f"cases:{name}", args=[case.reference, *args])


def test_a_case_worker_moves_a_case_along_the_workflow_from_its_page(client, w: CaseWorld) -> None:
    client.force_login(w.worker_a)
    page = client.get(url("detail", w.case_a))
    assert page.status_code == 200
    html = page.content.decode()
    for text in (*w.NAMES_A[:1], w.HIDING_A, "second phone", w.case_a.reference):
        assert text in html
    response = client.post(url("transition", w.case_a), {"to": "assessment"})
    assert response.status_code == 302 and response.url.endswith("#workflow")
    refused = client.post(url("transition", w.case_a), {"to": "plan"})  # risk not assessed yet
    assert refused.status_code == 400
    assert "Assess the risk level before making a plan." in refused.content.decode()
    client.post(
        url("risk", w.case_a),
        {"risk_level": "high", "risk_reasons": [term("case-risk-factors", "pregnant").pk]},
    )
    client.post(url("transition", w.case_a), {"to": "plan"})
    client.post(url("transition", w.case_a), {"to": "in_progress"})
    response = client.post(url("close", w.case_a), {"closure_reason": "resettled", "closed_on": "2024-05-02"})
    assert response.status_code == 302
    case = Case.objects.get(pk=w.case_a.pk)
    assert (case.status, case.closed_on) == (Status.CLOSED, date(2024, 5, 2))
    client.post(url("reopen", w.case_a))
    assert Case.objects.get(pk=w.case_a.pk).status == Status.ASSESSMENT
    assert AuditEntry.objects.filter(action=AuditAction.CASE_REOPENED, actor=w.worker_a).exists()


def test_a_referral_is_refused_without_consent_then_overridden_after_reauthentication_then_accepted(
    client, w: CaseWorld
) -> None:
    client.force_login(w.worker_a)
    form = {
        "partner": w.shelter_a.pk,
        "need": term("case-needs", "shelter").pk,
        "notes": "Needs a bed tonight",
    }
    refused = client.post(url("refer", w.case_a), form)
    assert refused.status_code == 403
    assert "No consent to Referral to named organisations for Riverside Shelter" in refused.content.decode()
    assert not Referral.objects.exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.ACCESS_REFUSED, details__reason="no matching consent"
    ).exists()

    reason = "Her buyer found the hiding place; she must move tonight and cannot be reached to ask."
    first = client.post(url("refer", w.case_a), {**form, "override_reason": reason})
    assert first.status_code == 302 and "reauthenticate" in first.url  # sudo mode first
    assert not Referral.objects.exists()
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    done = client.post(url("refer", w.case_a), {**form, "override_reason": reason})
    assert done.status_code == 302 and done.url.endswith("#referrals"), done
    referral = Referral.objects.get()
    assert referral.override is not None and referral.override.overridden_by == w.worker_a
    assert referral.consent is None and referral.status == ReferralStatus.SENT

    accepted = client.post(url("referral_status", w.case_a), {"referral": referral.pk, "status": "accepted"})
    assert accepted.status_code == 302
    assert Referral.objects.get().status == ReferralStatus.ACCEPTED
    page = client.get(url("detail", w.case_a)).content.decode()
    assert "override by" in page and reason in page
    kinds = list(
        AuditEntry.objects.filter(target_type="cases.case", target_id=str(w.case_a.pk))
        .exclude(action=AuditAction.CASE_VIEWED)
        .values_list("action", flat=True)
    )
    assert kinds[-3:] == [
        AuditAction.CONSENT_OVERRIDDEN,
        AuditAction.REFERRAL_MADE,
        AuditAction.REFERRAL_CHANGED,
    ]


def test_a_referral_with_consent_goes_through_without_an_override(client, w: CaseWorld) -> None:
    client.force_login(w.worker_a)
    response = client.post(
        url("consent", w.case_a),
        {
            "scope": "referral",
            "granted": "yes",
            "partners": [w.clinic_a.pk],
            "given_on": "2024-01-12",
            "given_by": "person",
            "notes": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    consent = Consent.objects.get()
    assert consent.recorded_by == w.worker_a and list(consent.partners.all()) == [w.clinic_a]
    response = client.post(url("refer", w.case_a), {"partner": w.clinic_a.pk})
    assert response.status_code == 302
    assert Referral.objects.get().consent == consent
    client.post(url("withdraw_consent", w.case_a), {"consent": consent.pk, "withdrawn_on": "2024-02-01"})
    assert Referral.objects.get().status == ReferralStatus.REVOKED


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(client, w: CaseWorld) -> None:
    client.force_login(w.worker_a)
    response = client.post(
        url("add_stage", w.case_a),
        {"stage": term("case-journey-stages", "hiding_china").pk, "when": "2019-13"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "month 13 is not between 1 and 12" in html
    assert re.search(r"<details open><summary>Add a stage", html)
    assert not w.case_a.stages.exists()
    response = client.post(
        url("add_followup", w.case_a), {"assigned_to": w.worker_a.pk, "due_on": "", "task": ""}
    )
    assert response.status_code == 400 and not w.case_a.followups.exists()


def test_an_incident_becomes_a_documented_act_in_one_click(client, w: CaseWorld) -> None:
    client.force_login(w.worker_a)
    w.consent(w.case_a, "testimony")
    response = client.post(
        url("add_incident", w.case_a),
        {
            "gbv_type": term("case-gbv-types", "rape").pk,
            "when": "2017-08",
            "abduction_status": "trafficked",
            "goods_money_exchanged": "on",
            "first_reported_on": "2019-01-05",
            "narrative": "Held in a karaoke bar in Shenyang",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    incident = Incident.objects.get()
    page = client.get(url("detail", w.case_a)).content.decode()
    assert "Possible sexual exploitation" in page and "Possible sexual slavery" in page
    response = client.post(url("document_incident", w.case_a, incident.pk), {})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert response.url == reverse("web:event", args=[incident.documented_event_id])
    event_page = client.get(response.url)
    assert event_page.status_code == 200 and "Rape" in event_page.content.decode()


def test_an_administrator_sees_the_case_masked_and_cannot_change_it(client, w: CaseWorld) -> None:
    from haven.records.models import Confidentiality

    Case.objects.filter(pk=w.case_a.pk).update(confidentiality=Confidentiality.INTERNAL)
    admin = w.world.users[Role.ADMINISTRATOR]
    client.force_login(admin)
    page = client.get(url("detail", w.case_a))
    assert page.status_code == 200
    html = page.content.decode()
    assert MASK in html
    for secret in (*w.NAMES_A, w.HIDING_A, "pastor", "farmer"):
        assert secret not in html
    assert '<form method="post" action="/cases/' not in html
    assert client.post(url("transition", w.case_a), {"to": "assessment"}).status_code == 403
    assert Case.objects.get(pk=w.case_a.pk).status == Status.NEW
    listing = client.get(reverse("cases:list")).content.decode()
    assert w.case_a.reference in listing and w.NAMES_A[0] not in listing


@pytest.mark.parametrize("role", [Role.DOCUMENTER, Role.ANALYST, Role.VIEWER, Role.AUDITOR])
def test_roles_without_case_access_get_404_everywhere(client, w: CaseWorld, role: str) -> None:
    client.force_login(w.world.users[role])
    for target in (
        reverse("cases:list"),
        reverse("cases:statistics"),
        reverse("cases:due"),
        reverse("cases:new"),
        url("detail", w.case_a),
    ):
        assert client.get(target).status_code == 404, (role, target)


def test_lists_never_show_names_and_the_page_exists_in_korean(client, w: CaseWorld) -> None:
    client.force_login(w.worker_a)
    listing = client.get(reverse("cases:list")).content.decode()
    assert w.case_a.reference in listing
    for name in w.NAMES_A:
        assert name not in listing
    client.cookies["django_language"] = "ko"
    korean = client.get(url("detail", w.case_a)).content.decode()
    assert "위험" in korean and "동의" in korean and "이동 경로" in korean
    assert client.get(reverse("cases:list")).content.decode().count("사례") >= 2


def test_a_case_is_opened_for_a_new_person_from_the_form(client, w: CaseWorld) -> None:
    client.force_login(w.worker_a)
    response = client.post(
        reverse("cases:new"),
        {
            "compartment": w.comp_a.pk,
            "confidentiality": "confidential",
            "name_hangul": "도하늘",
            "name_latin": "Do Ha-neul",
            "sex": "F",
            "birth_date": "c. 1999",
            "summary": "",
            "current_whereabouts": "",
            "safe_contact": "",
        },
    )
    assert response.status_code == 302
    case = Case.objects.exclude(pk__in=[w.case_a.pk, w.case_b.pk]).get()
    assert case.person.primary_name.full_name == "도하늘" and case.owner == w.worker_a
    bad = client.post(
        reverse("cases:new"), {"compartment": w.comp_b.pk, "confidentiality": "confidential", "sex": "F"}
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Select a valid choice" in text and "record number, or their name" in text


def test_pages_carry_no_inline_script_or_style(client, w: CaseWorld) -> None:
    client.force_login(w.worker_a)
    for target in (
        reverse("cases:list"),
        url("detail", w.case_a),
        reverse("cases:statistics"),
        reverse("cases:due"),
        reverse("cases:new"),
    ):
        html = client.get(target).content.decode()
        assert " style=" not in html and "<script>" not in html and not re.search(r"\son[a-z]+=", html), (
            target
        )


def test_an_incident_is_edited_on_its_own_page_and_money_is_recorded_with_it(client, w: CaseWorld) -> None:
    from haven.cases import services

    incident = services.incident_save(
        actor=w.worker_a,
        case=w.case_a,
        data=services.IncidentInput(gbv_type=term("case-gbv-types", "physical_assault")),
    )
    client.force_login(w.worker_a)
    page = client.get(url("incident", w.case_a, incident.pk))
    assert page.status_code == 200 and "Physical assault" in page.content.decode()
    response = client.post(
        url("incident", w.case_a, incident.pk),
        {"gbv_type": term("case-gbv-types", "sexual_assault").pk, "when": "2018", "abduction_status": "none"},
    )
    assert response.status_code == 302
    assert Incident.objects.get().gbv_type.code == "sexual_assault"
    bad = client.post(
        url("add_payment", w.case_a, incident.pk), {"kind": "sale_price", "amount": "-3", "currency": "CNY"}
    )
    assert bad.status_code == 400 and f'id="id_payment{incident.pk}_amount"' in bad.content.decode()
    ok = client.post(
        url("add_payment", w.case_a, incident.pk),
        {"kind": "sale_price", "amount": "28000", "currency": "CNY", "when": "2018"},
    )
    assert ok.status_code == 302 and ok.url.endswith(f"#incident-{incident.pk}")
    assert "28000.00 CNY" in client.get(url("detail", w.case_a)).content.decode()
    client.force_login(w.worker_b)
    assert client.get(url("incident", w.case_a, incident.pk)).status_code == 404


def test_the_due_list_and_statistics_pages_render(client, w: CaseWorld) -> None:
    from django.utils import timezone

    from haven.cases import services

    services.followup_create(
        actor=w.worker_a,
        case=w.case_a,
        assigned_to=w.worker_a,
        due_on=timezone.localdate(),
        task="Safety call",
    )
    client.force_login(w.worker_a)
    due = client.get(reverse("cases:due")).content.decode()
    assert "Safety call" in due and w.case_a.reference in due and w.NAMES_A[0] not in due
    page = client.get(reverse("cases:statistics")).content.decode()
    assert "Cases by stage of work" in page and "&lt;5" in page
    assert AuditEntry.objects.filter(action=AuditAction.REPORT_GENERATED, actor=w.worker_a).exists()


def test_the_case_page_does_not_grow_in_queries_with_its_contents(client, w: CaseWorld) -> None:
    """Pinned: a page with one of everything and a page with four of everything make the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from haven.cases import services
    from haven.lib.dates import ImpreciseDate
    from haven.places.models import Location

    place = Location.objects.filter(path__startswith="/CN/").exclude(kind="country").first()

    def add_one(i: int) -> None:
        services.stage_add(
            actor=w.worker_a,
            case=w.case_a,
            stage=term("case-journey-stages", "hiding_china"),
            when=ImpreciseDate.parse(f"201{i}"),
            place=place,
        )
        incident = services.incident_save(
            actor=w.worker_a,
            case=w.case_a,
            data=services.IncidentInput(
                gbv_type=term("case-gbv-types", "forced_marriage"),
                place=place,
                perpetrator_types=[term("perpetrator-types", "9107")],
                trafficking_acts=[term("case-trafficking-acts", "transfer")],
            ),
        )
        services.payment_add(actor=w.worker_a, incident=incident, kind="debt", amount="100", currency="USD")
        services.consent_record(
            actor=w.worker_a,
            case=w.case_a,
            scope="referral",
            granted=True,
            given_on=date(2024, 1, 2),
            partners=[w.shelter_a],
        )
        services.referral_create(actor=w.worker_a, case=w.case_a, partner=w.shelter_a)
        services.followup_create(
            actor=w.worker_a, case=w.case_a, assigned_to=w.worker_a, due_on=date(2024, 5, 1), task="x"
        )

    def count(user) -> int:  # type: ignore[no-untyped-def]
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("detail", w.case_a)).status_code == 200
        return len(ctx.captured_queries)

    from haven.records.models import Confidentiality

    Case.objects.filter(pk=w.case_a.pk).update(confidentiality=Confidentiality.INTERNAL)
    add_one(1)
    one = {u.pk: count(u) for u in (w.worker_a, w.world.users[Role.ADMINISTRATOR])}
    for i in (2, 3, 4):
        add_one(i)
    four = {u.pk: count(u) for u in (w.worker_a, w.world.users[Role.ADMINISTRATOR])}
    assert four == one, (one, four)


def test_administrators_keep_the_partner_list_in_the_admin_and_it_is_audited(client, w: CaseWorld) -> None:
    from haven.cases.models import Partner

    admin = w.world.users[Role.ADMINISTRATOR]
    client.force_login(admin)
    listing = client.get(reverse("admin:cases_partner_changelist")).content.decode()
    assert "Riverside Shelter" in listing and "Beta Legal Aid" not in listing  # other organisations' lists
    response = client.post(
        reverse("admin:cases_partner_add"),
        {
            "organisation": w.world.org_a.pk,
            "name_en": "Night Bus Escort (fictional)",
            "name_ko": "밤버스 동행 (가상)",
            "services": [term("case-needs", "travel").pk],
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    partner = Partner.objects.get(name_en="Night Bus Escort (fictional)")
    assert [t.code for t in partner.services.all()] == ["travel"]
    assert AuditEntry.objects.filter(
        target_type="cases.partner", target_id=str(partner.pk), actor=admin
    ).exists()
    client.force_login(w.worker_a)  # case workers do not use the admin
    assert client.get(reverse("admin:cases_partner_changelist")).status_code in (302, 403)


def test_a_follow_up_is_marked_done_from_the_due_list(client, w: CaseWorld) -> None:
    from django.utils import timezone

    from haven.cases import services
    from haven.cases.models import FollowUp

    f = services.followup_create(
        actor=w.worker_a,
        case=w.case_a,
        assigned_to=w.worker_a,
        due_on=timezone.localdate(),
        task="Safety call",
    )
    client.force_login(w.worker_a)
    response = client.post(
        url("close_followup", w.case_a), {"followup": f.pk, "status": "done", "next": "due"}
    )
    assert response.status_code == 302 and response.url == reverse("cases:due")
    assert FollowUp.objects.get(pk=f.pk).status == "done"
    assert "Safety call" not in client.get(reverse("cases:due")).content.decode()


def test_the_case_page_makes_as_many_queries_with_many_entries_as_with_one(client, w: CaseWorld) -> None:  # type: ignore[no-untyped-def]
    """No query per journey stage, consent or follow-up (N+1)."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from haven.cases.models import ConsentScope, FollowUp, JourneyStage
    from haven.lib.dates import ImpreciseDate

    def add(n: int) -> None:
        for i in range(n):
            stage = JourneyStage(
                case=w.case_a, stage=term("case-journey-stages", "hiding_china"), created_by=w.worker_a
            )
            stage.date = ImpreciseDate.from_parts(2015 + i)
            stage.save()
            Consent.objects.create(
                case=w.case_a, scope=ConsentScope.SERVICES, granted=True, given_on=date(2020, 1, 1 + i),
                recorded_by=w.worker_a,
            )  # fmt: skip
            FollowUp.objects.create(
                case=w.case_a,
                assigned_to=w.worker_a,
                due_on=date.today() + timedelta(days=i),
                created_by=w.worker_a,
            )

    client.force_login(w.worker_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("detail", w.case_a)).status_code == 200
        return len(captured.captured_queries)

    add(1)
    client.get(url("detail", w.case_a))  # sessions and caches settled
    one = queries()
    add(6)
    assert queries() == one
