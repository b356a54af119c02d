"""A small synthetic world for the web tests: one refugee's journey, told through events in two scripts."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType

from haven.accounts.tests.personas import World
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.records.models import (
    Act,
    BiographicRelation,
    ChainOfEvents,
    ClarificationNote,
    Confidentiality,
    Event,
    Information,
    Involvement,
    Person,
)
from haven.records.tests import factories as f


def place(code: str) -> Location:
    return Location.objects.get(code=code)


def event(
    world: World, title: str, description: str, when: str, where: str | None, *, org: str = "alpha"
) -> Event:
    org_obj, comp = (world.org_a, world.comp_a) if org == "alpha" else (world.org_b, world.comp_b)
    e = Event(
        organisation=org_obj,
        compartment=comp,
        title=title,
        description=description,
        location=place(where) if where else None,
        confidentiality=Confidentiality.INTERNAL,
    )
    e.date = ImpreciseDate.parse(when)
    e.save()
    return e


def act(
    e: Event, victim: Person, code: str, when: str, *, age: int | None = None, where: str | None = None
) -> Act:
    a = Act(
        organisation=e.organisation,
        compartment=e.compartment,
        event=e,
        victim=victim,
        act_type=f.term("act-types", code),
        victim_age=age,
        location=place(where) if where else e.location,
        confidentiality=Confidentiality.INTERNAL,
    )
    a.date = ImpreciseDate.parse(when)
    a.save()
    return a


@dataclass
class Story:
    world: World
    crossing: Event
    arrest: Event
    return_: Event
    jipkyulso: Event
    border: Event
    hidden: Event
    perpetrator: Person
    source: Person
    sister: Person
    acts: list[Act]
    information: Information


def story() -> Story:
    w = World()
    # World's own event_a/act_a (2011, "Arrest at the border") stays: it is a fifth event of person_a.
    crossing = event(
        w,
        "두만강 도강",
        "밤에 강을 건넜다. Crossed the Tumen river at night.",
        "2009-03-02",
        "CN-JL-YANBIAN-YANJI",
    )
    arrest = event(
        w,
        "연길에서 체포",
        "공안에 체포되었다. Arrested by public security police in Yanji. 在延吉被公安逮捕。",
        "2010",
        "CN-JL-YANBIAN-YANJI",
    )
    return_ = event(
        w, "강제북송", "Forcibly returned across the border. 被强制遣返。", "2010-11", "KP-09-ONSONG"
    )
    jipkyulso = event(
        w,
        "온성 집결소 구금",
        "Held in the Onsong jipkyulso; 구타를 당했다.",
        "c. 2011",
        "KP-09-ONSONG-MSS-DETENTION",
    )
    border = event(w, "Interrogation", "Questioned about contacts in China.", "unknown", None)
    hidden = event(
        w,
        "Secret transfer",
        "Arrested again and 체포 recorded in a secret file.",
        "2012",
        "KP-09-ONSONG",
        org="beta",
    )
    p = w.person_a
    acts = [
        act(jipkyulso, p, "030102", "c. 2011", age=27),  # detention, imprisonment
        act(arrest, p, "030101", "2010", age=26),  # arrest
        act(return_, p, "030101", "2010-11", age=26),
        act(border, p, "030101", "unknown"),
        act(crossing, p, "030104", "2009-03-02", age=25),
    ]
    perpetrator = f.person("alpha", hangul="김정훈", roman="Kim Jung-hun", sex="M")
    involvement = Involvement(
        organisation=w.org_a,
        compartment=w.comp_a,
        act=acts[1],
        event=arrest,
        perpetrator=perpetrator,
        degree=f.term("involvement-degrees", "0101"),
        confidentiality=Confidentiality.INTERNAL,
    )
    involvement.save()
    involvement.perpetrator_types.add(f.term("perpetrator-types", "010104"))
    source = f.person("alpha", hangul="리설주", roman="Ri Sol-ju", sex="F")
    info = Information(
        organisation=w.org_a,
        compartment=w.comp_a,
        source=source,
        event=arrest,
        related_person=p,
        connection=f.term("source-connections"),
        confidentiality=Confidentiality.INTERNAL,
    )
    info.date = ImpreciseDate.parse("2015-06")
    info.save()
    sister = f.person("alpha", hangul="최예나", roman="Choi Ye-na", sex="F")
    BiographicRelation.objects.create(
        person=p,
        related_person=sister,
        relationship=f.term("relationship-types"),
        details="lives in Hoeryong",
    )
    ChainOfEvents.objects.create(event=arrest, related_event=return_, chain_type=f.term("chain-types", "01"))
    ClarificationNote.objects.create(
        content_type=ContentType.objects.get_for_model(Person),
        object_id=p.pk,
        field_name="birth_date",
        note="Born during the famine, says her aunt",
    )
    return Story(
        w, crossing, arrest, return_, jipkyulso, border, hidden, perpetrator, source, sister, acts, info
    )
