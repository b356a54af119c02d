"""Synthetic assistance cases for the demo: every person, place detail, payment and story here is invented.

Mekong Route Aid (fictional) assists people it has documented: the demo case worker opens cases for some of
the women in its testimonies compartment and works them through the real services, so every step is
checked and audited as it would be for real work: journeys, risk, needs, consent, referrals (a few under an
audited override), services, follow-ups, and incidents of trafficking and gender-based violence with the
money involved. Deterministic for a seed; idempotent (does nothing if the organisation already has cases).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from django.utils import timezone

from haven.accounts.models import Compartment, Organisation, User
from haven.cases import services
from haven.cases.models import Case, ClosureReason, ConsentScope, Partner, RiskLevel, Status
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.records.models import Person
from haven.vocab.models import Term

ORGANISATION = "mekong"
COMPARTMENT = "mekong-testimonies"
WORKER = "caseworker"
PARTNER_ADMIN = "admin"

PARTNERS = (
    ("Riverbank Safe House (fictional)", "강변 안전가옥 (가상)", "TH", ["shelter"]),
    ("Lantern Clinic (fictional)", "등불 의원 (가상)", "TH", ["medical", "psychosocial"]),
    ("Open Door Legal Aid (fictional)", "열린문 법률지원 (가상)", "TH", ["legal", "documents"]),
    ("Long Road Escort Network (fictional)", "먼 길 동행 네트워크 (가상)", "LA", ["travel"]),
    ("Harbour Counselling Centre (fictional)", "항구 상담센터 (가상)", "KR", ["psychosocial", "livelihood"]),
)
HIDING = (
    "Rented room above a phone shop, {city}",
    "Back room of a restaurant kitchen, {city}",
    "With a church volunteer's family, {city}",
    "Farm worker dormitory outside {city}",
    "Flat shared with two other women, {city}",
)
CONTACT = (
    "Through the volunteer's second phone, evenings only",
    "Messages via a relative in Seoul, never call directly",
    "Weekly check-in at the clinic, Tuesdays",
    "Only through the escort network's coordinator",
)


def _term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code)


def _partners(org: Organisation, admin: User) -> list[Partner]:
    out = []
    for name_en, name_ko, country, needs in PARTNERS:
        existing = Partner.objects.filter(organisation=org, name_en=name_en).first()
        out.append(
            existing
            or services.partner_save(
                actor=admin,
                organisation=org,
                name_en=name_en,
                name_ko=name_ko,
                country=Location.objects.filter(code=country).first(),
                services=[_term("case-needs", n) for n in needs],
            )
        )
    return out


def add_demo_cases(
    *, cases: int = 60, seed: int = 20121, progress: Callable[[str], None] = lambda s: None
) -> int:
    """Open and work ``cases`` synthetic cases in the Mekong organisation; return how many were made."""
    org = Organisation.objects.filter(code=ORGANISATION).first()
    comp = Compartment.objects.filter(code=COMPARTMENT).first()
    worker = User.objects.filter(username=WORKER).first()
    admin = User.objects.filter(username=PARTNER_ADMIN).first()
    if org is None or comp is None or worker is None or admin is None:
        raise RuntimeError("build the demo corpus and the demo accounts before the demo cases")
    if Case.objects.filter(organisation=org).exists():
        return 0
    rng = random.Random(seed)
    partners = _partners(org, admin)
    women = list(
        Person.objects.filter(compartment=comp, sex="F", counting_unit__code="01", cases__isnull=True)
        .select_related("origin_province")
        .order_by("pk")
    )
    rng.shuffle(women)
    places = _Places.load()
    today = timezone.localdate()
    made = 0
    for person in women[:cases]:
        _one_case(rng, worker, comp, person, partners, places, today)
        made += 1
        if made % 20 == 0:
            progress(f"  {made} demo cases")
    return made


class _Places:
    def __init__(
        self, china: list[Location], transit: list[Location], embassies: list[Location], korea: list[Location]
    ) -> None:
        self.china, self.transit, self.embassies, self.korea = china, transit, embassies, korea

    @classmethod
    def load(cls) -> _Places:
        return cls(
            china=list(
                Location.objects.filter(path__startswith="/CN/", kind__in=["city", "county"]).order_by("code")
            ),
            transit=list(
                Location.objects.filter(
                    kind__in=["city", "transit_point"], path__regex=r"^/(LA|TH|VN|KH|MN)/"
                ).order_by("code")
            ),
            embassies=list(
                Location.objects.filter(kind__in=["embassy", "unhcr_office"])
                .exclude(path__startswith="/CN/")
                .order_by("code")
            ),
            korea=list(
                Location.objects.filter(path__startswith="/KR/").exclude(kind="country").order_by("code")
            ),
        )


def _one_case(
    rng: random.Random,
    worker: User,
    comp: Compartment,
    person: Person,
    partners: list[Partner],
    places: _Places,
    today: date,
) -> Case:
    exit_year = person.exit_year or rng.randint(2008, 2019)
    opened = today - timedelta(days=rng.randint(30, 900))
    city = rng.choice(places.china) if places.china else None
    case = services.case_create(
        actor=worker,
        compartment=comp,
        person=person,
        confidentiality=person.confidentiality,
        opened_on=opened,
        summary=rng.choice(
            [
                "Crossed the Tumen in {y}; sold to a farmer within weeks; left with help from a neighbour.",
                "Worked in a restaurant in {y} until the owner threatened to report her.",
                "Held in a flat and made to chat on webcams from {y}; escaped when the building was raided.",
                "Left to find her mother in {y}; owes a broker for the journey south.",
            ]
        ).format(y=exit_year),
        current_whereabouts=rng.choice(HIDING).format(city=city.name_en if city else "Yanji"),
        safe_contact=rng.choice(CONTACT),
    )

    trafficked = rng.random() < 0.55
    # The journey: where she came from, the crossing, China, and how far south she has come.
    stages: list[tuple[str, str, Location | None]] = [
        ("in_dprk", "", person.origin_province),
        ("crossed_border", f"{exit_year}", None),
    ]
    if trafficked:
        stages.append(
            ("trafficking_situation", f"{exit_year}..{min(exit_year + rng.randint(1, 6), opened.year)}", city)
        )
    stages.append(("hiding_china", f"c. {min(exit_year + rng.randint(1, 7), opened.year)}", city))
    progress_south = rng.random()
    if progress_south > 0.35 and places.transit:
        stages.append(("in_transit", opened.isoformat()[:7], rng.choice(places.transit)))
    if progress_south > 0.7 and places.embassies:
        stages.append(
            ("embassy_unhcr", (opened + timedelta(days=20)).isoformat(), rng.choice(places.embassies))
        )
    if progress_south > 0.85 and places.korea:
        stages.append(("arrived", (opened + timedelta(days=60)).isoformat()[:7], rng.choice(places.korea)))
    for code, when, place in stages:
        parsed = ImpreciseDate.parse(when)
        if parsed.is_known and parsed.start and parsed.start > today:
            parsed = ImpreciseDate.parse(today.isoformat()[:7])
        services.stage_add(
            actor=worker, case=case, stage=_term("case-journey-stages", code), when=parsed, place=place
        )

    reasons = ["trafficked"] if trafficked else []
    if rng.random() < 0.3:
        reasons.append("broker_debt")
    if rng.random() < 0.12:
        reasons.append("pregnant")
    if rng.random() < 0.2:
        reasons.append("health")
    if rng.random() < 0.15:
        reasons.append("known_to_police")
    level = RiskLevel.HIGH if len(reasons) >= 2 else RiskLevel.MEDIUM if reasons else RiskLevel.LOW
    services.case_transition(actor=worker, case=case, to=Status.ASSESSMENT)
    services.case_set_risk(
        actor=worker, case=case, level=level, reasons=[_term("case-risk-factors", r) for r in reasons]
    )
    needs = rng.sample(
        ["shelter", "medical", "psychosocial", "legal", "documents", "travel", "livelihood"],
        k=rng.randint(1, 4),
    )
    services.case_set_needs(actor=worker, case=case, needs=[_term("case-needs", n) for n in needs])

    consent_day = opened + timedelta(days=rng.randint(0, 10))
    consent_day = min(consent_day, today)
    services.consent_record(
        actor=worker, case=case, scope=ConsentScope.SERVICES, granted=True, given_on=consent_day
    )
    named = rng.sample(partners, k=rng.randint(1, 3)) if rng.random() < 0.75 else []
    if named:
        services.consent_record(
            actor=worker,
            case=case,
            scope=ConsentScope.REFERRAL,
            granted=True,
            given_on=consent_day,
            partners=named,
        )
    testimony = rng.random() < 0.45
    if testimony:
        services.consent_record(
            actor=worker, case=case, scope=ConsentScope.TESTIMONY, granted=True, given_on=consent_day
        )
    if rng.random() < 0.6:
        services.consent_record(
            actor=worker, case=case, scope=ConsentScope.REPORTING, granted=True, given_on=consent_day
        )

    for partner in named[:2]:
        referral = services.referral_create(actor=worker, case=case, partner=partner, sent_on=consent_day)
        outcome = rng.random()
        if outcome < 0.5:
            services.referral_set_status(actor=worker, referral=referral, status="accepted", on=consent_day)
            if outcome < 0.3:
                services.referral_set_status(actor=worker, referral=referral, status="done", on=consent_day)
                services.service_record(
                    actor=worker,
                    case=case,
                    service=partner.services.first(),
                    given_on=consent_day,
                    referral=referral,
                )
        elif outcome < 0.65:
            services.referral_set_status(actor=worker, referral=referral, status="rejected", on=consent_day)
    if not named and rng.random() < 0.3:
        services.referral_create(
            actor=worker,
            case=case,
            partner=partners[0],
            sent_on=consent_day,
            override_reason="Her buyer's relatives found the room; she had to move the same night and could not be asked.",
        )
    services.service_record(
        actor=worker, case=case, service=_term("case-needs", needs[0]), given_on=consent_day
    )

    if trafficked or rng.random() < 0.25:
        _incident(rng, worker, case, exit_year, city, trafficked, testimony)

    services.followup_create(
        actor=worker,
        case=case,
        assigned_to=worker,
        due_on=today + timedelta(days=rng.randint(-5, 20)),
        task=rng.choice(
            ["Safety call", "Check the clinic appointment happened", "Ask about the documents", "Visit"]
        ),
    )

    status_roll = rng.random()
    if level != RiskLevel.LOW or status_roll > 0.2:
        services.case_transition(actor=worker, case=case, to=Status.PLAN)
        if status_roll > 0.35:
            services.case_transition(actor=worker, case=case, to=Status.IN_PROGRESS)
        if status_roll > 0.8:
            services.case_close(
                actor=worker,
                case=case,
                reason=rng.choice(
                    [ClosureReason.RESETTLED, ClosureReason.GOALS_MET, ClosureReason.LOST_CONTACT]
                ),
                closed_on=min(opened + timedelta(days=rng.randint(60, 400)), today),
            )
    return case


def _incident(
    rng: random.Random,
    worker: User,
    case: Case,
    exit_year: int,
    city: Location | None,
    trafficked: bool,
    testimony: bool,
) -> None:
    gbv = (
        rng.choice(["forced_marriage", "rape", "forced_marriage"])
        if trafficked
        else rng.choice(["physical_assault", "psychological_abuse", "sexual_assault", "denial_of_resources"])
    )
    year = exit_year if trafficked else min(exit_year + rng.randint(0, 4), timezone.localdate().year)
    data = services.IncidentInput(
        gbv_type=_term("case-gbv-types", gbv),
        when=ImpreciseDate.parse(f"{year}"),
        place=city,
        first_reported_on=date(min(year + rng.randint(1, 5), timezone.localdate().year), 1, 15),
        goods_money_exchanged=trafficked,
        abduction_status="trafficked" if trafficked else "none",
        perpetrator_count=rng.randint(1, 3),
        perpetrator_types=[_term("perpetrator-types", "9107"), _term("perpetrator-types", "9109")]
        if trafficked
        else [],
        trafficking_acts=[_term("case-trafficking-acts", c) for c in ("transportation", "transfer")]
        if trafficked
        else [],
        trafficking_means=[
            _term("case-trafficking-means", c) for c in ("deception", "abuse_of_vulnerability")
        ]
        if trafficked
        else [],
        trafficking_purposes=[_term("case-trafficking-purposes", "forced_marriage")] if trafficked else [],
        ilo_indicators=[_term("case-ilo-indicators", c) for c in ("restriction_of_movement", "isolation")]
        if trafficked
        else [],
        narrative="Synthetic account for the demo: told of work in a restaurant, taken across the river, "
        "handed to a man who paid the broker.",
    )
    incident = services.incident_save(actor=worker, case=case, data=data)
    if trafficked:
        services.payment_add(
            actor=worker,
            incident=incident,
            kind="sale_price",
            amount=str(rng.randrange(10_000, 50_000, 500)),
            currency="CNY",
            when=ImpreciseDate.parse(f"{year}"),
        )
        if rng.random() < 0.4:
            services.payment_add(
                actor=worker,
                incident=incident,
                kind="debt",
                amount=str(rng.randrange(2_000, 9_000, 100)),
                currency="USD",
            )
    if testimony and rng.random() < 0.5:
        act_type = None if gbv != "denial_of_resources" else _term("act-types", "130107")
        services.incident_document(actor=worker, incident=incident, act_type=act_type)
