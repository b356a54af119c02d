"""Small helpers that build records through the services, for tests. Every person is synthetic."""

from __future__ import annotations

from haven.accounts.models import Compartment, Organisation
from haven.lib.dates import ImpreciseDate
from haven.records.models import Act, Event, NameKind, NameSystem, Person
from haven.records.services import NameInput, person_create
from haven.vocab.models import Term


def organisation(code: str = "org-a") -> tuple[Organisation, Compartment]:
    org, _ = Organisation.objects.get_or_create(code=code, defaults={"name_en": f"Org {code}"})
    comp, _ = Compartment.objects.get_or_create(
        code=f"{code}-main", defaults={"name": "main", "organisation": org}
    )
    return org, comp


def person(
    org_code: str = "org-a", hangul: str = "박은정", roman: str = "Park Eun-jung", sex: str = "F"
) -> Person:
    org, comp = organisation(org_code)
    return person_create(
        organisation=org,
        compartment=comp,
        sex=sex,
        birth_date=ImpreciseDate.parse("1984"),
        names=[
            NameInput(hangul, NameKind.HANGUL, NameSystem.SOUTH, is_primary=True),
            NameInput(roman, NameKind.ROMANIZED, NameSystem.PASSPORT),
        ],
    )


def term(vocabulary: str, code: str | None = None) -> Term:
    qs = Term.objects.filter(vocabulary__code=vocabulary)
    return qs.get(code=code) if code else qs.filter(children__isnull=True).first()


def event(date_text: str = "2011", org_code: str = "org-a") -> Event:
    org, comp = organisation(org_code)
    e = Event(organisation=org, compartment=comp, title="Arrest at the border")
    e.date = ImpreciseDate.parse(date_text)
    e.save()
    return e


def act(ev: Event, victim: Person, date_text: str | None = None) -> Act:
    a = Act(
        organisation=ev.organisation,
        compartment=ev.compartment,
        event=ev,
        victim=victim,
        act_type=term("act-types", "030101"),
    )
    a.date = ImpreciseDate.parse(date_text) if date_text else ev.date
    a.save()
    return a
