"""A synthetic documentation world for the estimation tests: three organisations' overlapping lists.

Every human is synthetic and nameless. Each one is documented by the organisations of their capture pattern
(one Person record per organisation, each the victim of an act) and the records of one human are merged
through the record linkage, so the expected capture-pattern table is known independently of the code under
test: ``PATTERNS`` (per sex) is what the estimator must receive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from haven.accounts import policy
from haven.accounts.models import Compartment, CompartmentGrant, Organisation, Role, User
from haven.accounts.tests.personas import PASSWORD, make_user
from haven.lib.dates import ImpreciseDate
from haven.linkage.services import persons_merge
from haven.places.models import Location
from haven.records.models import Act, Confidentiality, Event, Person
from haven.records.services import person_create
from haven.records.tests import factories as f
from haven.vocab.models import Term

LISTS = ("alpha", "beta", "gamma")
# Humans per capture pattern (alpha, beta, gamma) and sex. "101" for men is 3: a small count.
PATTERNS: dict[str, dict[str, int]] = {
    "F": {"111": 3, "110": 7, "101": 5, "100": 22, "011": 4, "010": 16, "001": 14},
    "M": {"111": 2, "110": 6, "101": 3, "100": 20, "011": 4, "010": 15, "001": 12},
}
ACT_TYPE = "030101"
OTHER_ACT_TYPE = "020101"


def pooled() -> dict[str, int]:
    out: dict[str, int] = {}
    for by_pattern in PATTERNS.values():
        for pattern, n in by_pattern.items():
            out[pattern] = out.get(pattern, 0) + n
    return out


@dataclass
class EstimationWorld:
    orgs: dict[str, Organisation]
    compartments: dict[str, Compartment]
    analyst: User
    documenter: User
    hidden_org: Organisation
    province: Location
    people: list[list[Person]] = field(default_factory=list)

    def ids(self, *codes: str) -> list[int]:
        return [self.orgs[c].pk if c in self.orgs else self.hidden_org.pk for c in codes]

    def user(
        self, role: str, codes: tuple[str, ...], *, username: str, organisation: str | None = "alpha"
    ) -> User:
        """Return a new user of ``role`` granted the compartments of ``codes``, member of ``organisation``."""
        user = User.objects.create_user(
            username,
            password=PASSWORD,
            role=role,
            organisation={**self.orgs, "delta": self.hidden_org}[organisation] if organisation else None,
        )
        for code in codes:
            CompartmentGrant.objects.create(user=user, compartment=self.compartments[code])
        if policy.requires_mfa(user):
            TOTP.activate(user, generate_totp_secret())
        return user


def _term(code: str) -> Term:
    return Term.objects.get(vocabulary__code="act-types", code=code)


def _act(event: Event, victim: Person, code: str, when: str) -> Act:
    act = Act(
        organisation=event.organisation,
        compartment=event.compartment,
        event=event,
        victim=victim,
        act_type=_term(code),
        confidentiality=Confidentiality.INTERNAL,
    )
    act.date = ImpreciseDate.parse(when)
    act.save()
    return act


def build() -> EstimationWorld:
    orgs, compartments, events = {}, {}, {}
    for code in (*LISTS, "delta"):
        org, comp = f.organisation(code)
        orgs[code], compartments[code] = org, comp
        events[code] = f.event("2012", code)
    province = Location.objects.filter(kind="province", path__startswith="/KP/").order_by("code").first()
    assert province is not None
    hidden = orgs.pop("delta")
    analyst, _ = make_user(Role.ANALYST, [compartments[c] for c in LISTS])
    analyst.organisation = orgs["alpha"]
    analyst.save()
    documenter, _ = make_user(Role.DOCUMENTER, list(compartments.values()), with_totp=False)
    world = EstimationWorld(orgs, compartments, analyst, documenter, hidden, province)

    i = 0
    for sex, by_pattern in PATTERNS.items():
        for pattern, n in by_pattern.items():
            for _ in range(n):
                i += 1
                year = 2010 + i % 5  # acts in 2010..2014
                records = []
                for j, code in enumerate(LISTS):
                    if pattern[j] == "1":
                        person = person_create(
                            organisation=orgs[code],
                            compartment=compartments[code],
                            names=[],
                            sex=sex,
                            exit_year=year + 1,
                            origin_province=province,
                        )
                        _act(events[code], person, ACT_TYPE, str(year))
                        records.append(person)
                if len(records) > 1:
                    persons_merge(actor=documenter, persons=records)
                world.people.append(records)

    # Noise the filters and rules must keep out of the table:
    # a victim of another type of act, a victim of an act in 1995, a group, a person with no act,
    # and a victim documented by an organisation the analyst may not see.
    other = person_create(organisation=orgs["alpha"], compartment=compartments["alpha"], names=[], sex="F")
    _act(events["alpha"], other, OTHER_ACT_TYPE, "2012")
    old = person_create(organisation=orgs["beta"], compartment=compartments["beta"], names=[], sex="M")
    _act(events["beta"], old, ACT_TYPE, "1995")
    group_unit = Term.objects.get(vocabulary__code="counting-units", code="03")
    group = person_create(
        organisation=orgs["gamma"], compartment=compartments["gamma"], names=[], counting_unit=group_unit
    )
    _act(events["gamma"], group, ACT_TYPE, "2012")
    person_create(organisation=orgs["alpha"], compartment=compartments["alpha"], names=[], sex="F")
    outsider = person_create(organisation=hidden, compartment=compartments["delta"], names=[], sex="F")
    _act(events["delta"], outsider, ACT_TYPE, "2012")
    return world


def grant(user: User, compartment: Compartment) -> None:
    CompartmentGrant.objects.create(user=user, compartment=compartment)
    if hasattr(user, "_haven_compartment_ids"):
        del user._haven_compartment_ids
