"""GBVIMS incidents and trafficking: derived flags, money, and "incident → documented act" in one step."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from haven.audit.models import AuditAction, AuditEntry
from haven.cases import flags, services
from haven.cases.models import ConsentScope, Incident
from haven.cases.tests.world import CaseWorld, term
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.records.models import Act, Event, Information, Involvement

D = ImpreciseDate.parse


# ---- flags (no database) ------------------------------------------------------------------------------


def facts(**kw):  # type: ignore[no-untyped-def]
    kw.setdefault("gbv_type", "rape")
    kw.setdefault("incident_date", D("2019-05-01"))
    return flags.IncidentFacts(**kw)


def test_possible_sexual_exploitation_needs_sexual_violence_and_an_exchange() -> None:
    assert flags.possible_sexual_exploitation(facts(goods_money_exchanged=True))
    assert flags.possible_sexual_exploitation(facts(sale_price_recorded=True))
    assert flags.possible_sexual_exploitation(facts(trafficking_purposes=frozenset({"prostitution"})))
    assert not flags.possible_sexual_exploitation(facts())
    assert not flags.possible_sexual_exploitation(
        facts(gbv_type="physical_assault", goods_money_exchanged=True)
    )


def test_possible_sexual_slavery_needs_sexual_violence_while_abducted_or_trafficked() -> None:
    assert flags.possible_sexual_slavery(facts(abduction_status="trafficked"))
    assert flags.possible_sexual_slavery(
        facts(gbv_type="sexual_assault", trafficking_purposes=frozenset({"forced_marriage"}))
    )
    assert not flags.possible_sexual_slavery(facts(abduction_status="none"))
    assert not flags.possible_sexual_slavery(facts(abduction_status="unknown"))
    assert not flags.possible_sexual_slavery(facts(gbv_type="forced_marriage", abduction_status="trafficked"))


@pytest.mark.parametrize(
    ("age", "birth", "when", "expected"),
    [
        (16, None, "2019", flags.ChildStatus.CHILD),
        (18, None, "2019", flags.ChildStatus.ADULT),
        (None, "2003-06-01", "2019-05-01", flags.ChildStatus.CHILD),  # 15
        (None, "2001", "2019", flags.ChildStatus.POSSIBLY_CHILD),  # 17 or 18
        (None, "1990", "2019", flags.ChildStatus.ADULT),
        (None, None, "2019", flags.ChildStatus.UNKNOWN),
        (None, "2003", "", flags.ChildStatus.UNKNOWN),
    ],
)
def test_child_status_from_the_age_or_the_imprecise_dates(age, birth, when, expected) -> None:  # type: ignore[no-untyped-def]
    f = facts(survivor_age=age, survivor_birth=D(birth) if birth else None, incident_date=D(when))
    assert flags.child_status(f) == expected


@pytest.mark.parametrize(
    ("when", "reported", "bands", "late"),
    [
        ("2019-05-01", date(2019, 5, 3), ("0_3_days", "0_3_days"), False),
        ("2019-05-01", date(2019, 5, 6), ("4_5_days", "4_5_days"), True),
        ("2019-05-01", date(2019, 5, 20), ("15_30_days", "15_30_days"), True),
        ("2019-05-01", date(2019, 9, 1), ("over_1_month", "over_1_month"), True),
        ("2019-05", date(2019, 6, 2), ("0_3_days", "over_1_month"), False),  # sometime in May: 2 to 32 days
    ],
)
def test_reporting_delay_in_gbvims_bands_even_for_imprecise_dates(when, reported, bands, late) -> None:  # type: ignore[no-untyped-def]
    delay = flags.reporting_delay(facts(incident_date=D(when), first_reported_on=reported))
    assert delay is not None and (delay.first_band, delay.last_band) == bands and delay.late == late
    assert flags.reporting_delay(facts(incident_date=D(""), first_reported_on=reported)) is None


def test_trafficking_needs_act_means_and_purpose_except_for_a_child() -> None:
    act, means, purpose = frozenset({"transfer"}), frozenset({"deception"}), frozenset({"forced_marriage"})
    assert flags.trafficking_elements_met(
        facts(trafficking_acts=act, trafficking_means=means, trafficking_purposes=purpose)
    )
    assert not flags.trafficking_elements_met(facts(trafficking_acts=act, trafficking_purposes=purpose))
    assert flags.trafficking_elements_met(
        facts(trafficking_acts=act, trafficking_purposes=purpose, survivor_age=15)
    )
    assert not flags.trafficking_elements_met(facts(trafficking_acts=act, trafficking_means=means))


# ---- incidents in the database ------------------------------------------------------------------------


@pytest.fixture
def w(db) -> CaseWorld:  # type: ignore[no-untyped-def]
    return CaseWorld()


def _sale(w: CaseWorld, gbv: str = "forced_marriage", **extra) -> Incident:  # type: ignore[no-untyped-def]
    data = services.IncidentInput(
        gbv_type=term("case-gbv-types", gbv),
        when=D("2016-04"),
        place=Location.objects.filter(path__startswith="/CN/")
        .exclude(kind="country")
        .order_by("path")
        .first(),
        place_detail="Farm house of the buyer, third house past the school",
        first_reported_on=date(2019, 8, 1),
        survivor_age=None,
        goods_money_exchanged=True,
        abduction_status="trafficked",
        perpetrator_count=2,
        perpetrator_types=[term("perpetrator-types", "9107"), term("perpetrator-types", "9109")],
        trafficking_acts=[
            term("case-trafficking-acts", "transfer"),
            term("case-trafficking-acts", "transportation"),
        ],
        trafficking_means=[term("case-trafficking-means", "deception")],
        trafficking_purposes=[term("case-trafficking-purposes", "forced_marriage")],
        ilo_indicators=[term("case-ilo-indicators", "restriction_of_movement")],
        narrative="Told she would work in a restaurant; sold to a farmer for 30,000 yuan.",
        **extra,
    )
    return services.incident_save(actor=w.worker_a, case=w.case_a, data=data)


def test_an_incident_records_the_trafficking_elements_and_the_sale_price(w: CaseWorld) -> None:
    incident = _sale(w)
    payment = services.payment_add(
        actor=w.worker_a, incident=incident, kind="sale_price", amount="30000", currency="CNY"
    )
    assert payment.amount == Decimal("30000.00")
    f = Incident.objects.get(pk=incident.pk).facts()
    assert f.sale_price_recorded and flags.trafficking_elements_met(f)
    assert flags.child_status(f) == flags.ChildStatus.ADULT  # born 1994, sold 2016
    for bad in ("-5", "abc", "1.005", None):
        with pytest.raises(services.CaseInputError):
            services.payment_add(
                actor=w.worker_a, incident=incident, kind="sale_price", amount=bad, currency="CNY"
            )
    with pytest.raises(services.CaseInputError):
        services.payment_add(actor=w.worker_a, incident=incident, kind="gift", amount="5", currency="XXX")
    entry = AuditEntry.objects.filter(
        action=AuditAction.CASE_CHANGED, details__payment_added=payment.pk
    ).get()
    assert entry.details["amount"] == "30000.00"
    created = AuditEntry.objects.filter(
        action=AuditAction.CASE_CHANGED, details__incident=incident.pk
    ).first()
    assert "restaurant" not in str(created.details) and created.details["changes"]["narrative"]["changed"]


def test_bad_incident_input_names_the_field(w: CaseWorld) -> None:
    data = services.IncidentInput(
        gbv_type=term("case-needs", "shelter"),
        when=D("2019-05"),
        first_reported_on=date(2019, 4, 1),
        survivor_age=130,
        perpetrator_count=0,
        trafficking_means=[term("case-trafficking-acts", "transfer")],
    )
    with pytest.raises(services.CaseInputError) as err:
        services.incident_save(actor=w.worker_a, case=w.case_a, data=data)
    assert set(err.value.message_dict) == {
        "gbv_type",
        "first_reported_on",
        "survivor_age",
        "perpetrator_count",
        "trafficking_means",
    }
    assert not Incident.objects.exists()


def test_documenting_an_incident_needs_consent_to_use_the_testimony(w: CaseWorld) -> None:
    incident = _sale(w)
    with pytest.raises(services.ConsentRequired) as err:
        services.incident_document(actor=w.worker_a, incident=incident)
    assert err.value.scope == ConsentScope.TESTIMONY
    assert not Event.objects.filter(provenance__incident=incident.pk).exists()


def test_one_click_documents_the_incident_as_event_acts_involvements_and_its_source(w: CaseWorld) -> None:
    incident = _sale(w)
    w.consent(w.case_a, ConsentScope.TESTIMONY)
    before = Event.objects.count()
    result = services.incident_document(actor=w.worker_a, incident=incident)
    event = result.event
    assert Event.objects.count() == before + 1
    assert event.compartment == w.comp_a and event.confidentiality == w.case_a.confidentiality
    assert str(event.date) == "2016-04" and event.location == incident.place
    assert event.sensitive_notes == incident.narrative
    assert event.provenance["incident"] == incident.pk and event.provenance["case"] == w.case_a.reference
    codes = sorted(a.act_type.code for a in result.acts)
    assert codes == ["070102", "9101"]  # forced marriage, and trafficking for forced marriage
    assert all(a.victim == w.case_a.person for a in result.acts)
    assert len(result.involvements) == 2 and len(result.persons_created) == 1
    perpetrator = result.persons_created[0]
    assert perpetrator.number_of_persons_in_group == 2 and perpetrator.counting_unit.code == "03"
    assert {t.code for t in result.involvements[0].perpetrator_types.all()} == {"9107", "9109"}
    info = result.information
    assert info.source == w.case_a.person and info.connection.code == "0101" and info.consent == "anonymous"
    assert Incident.objects.get(pk=incident.pk).documented_event == event
    created = AuditEntry.objects.filter(action=AuditAction.RECORD_CREATED, details__incident=incident.pk)
    assert {e.target_type for e in created} == {
        "records.event",
        "records.act",
        "records.person",
        "records.involvement",
        "records.information",
    }
    assert created.count() == 1 + 2 + 1 + 2 + 1
    with pytest.raises(services.CaseInputError):
        services.incident_document(actor=w.worker_a, incident=incident)
    with pytest.raises(services.CaseInputError):
        services.incident_save(
            actor=w.worker_a,
            case=w.case_a,
            incident=incident,
            data=services.IncidentInput(gbv_type=incident.gbv_type),
        )
    assert (
        Act.objects.filter(event=event).count() == 2 and Involvement.objects.filter(event=event).count() == 2
    )
    assert Information.objects.filter(event=event).count() == 1


def test_a_type_without_an_equivalent_act_asks_which_act_and_an_override_is_audited(w: CaseWorld) -> None:
    incident = _sale(w, gbv="denial_of_resources")
    reason = "She asked us to file it before she leaves; no way to reach her to sign."
    with pytest.raises(services.CaseInputError) as err:
        services.incident_document(actor=w.worker_a, incident=incident, override_reason=reason)
    assert "act_type" in err.value.message_dict
    result = services.incident_document(
        actor=w.worker_a, incident=incident, act_type=term("act-types", "130107"), override_reason=reason
    )
    assert result.override is not None and result.override.scope == ConsentScope.TESTIMONY
    assert result.information.consent == "internal"
    entry = AuditEntry.objects.filter(action=AuditAction.CONSENT_OVERRIDDEN).latest("seq")
    assert entry.details["incident"] == incident.pk and "sign" not in str(entry.details)


def test_another_compartments_worker_cannot_document_or_change_an_incident(w: CaseWorld) -> None:
    from django.core.exceptions import PermissionDenied

    incident = _sale(w)
    w.consent(w.case_a, ConsentScope.TESTIMONY)
    with pytest.raises(PermissionDenied):
        services.incident_document(actor=w.worker_b, incident=incident)
    with pytest.raises(PermissionDenied):
        services.payment_add(actor=w.worker_b, incident=incident, kind="debt", amount="10", currency="USD")
    assert Incident.objects.get(pk=incident.pk).documented_event is None
