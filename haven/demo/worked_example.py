"""The one real case in the demo, with public facts only.

In 2012 South Korean activist Kim Young-hwan and three colleagues, who assisted North Korean defectors, were
detained in Dalian, Liaoning, and charged with "threatening the national security of China". After their
release they said at a press conference on 3 August 2012 that they had been beaten and tortured with
electricity, that Chinese and North Korean agents were both involved, and that a consular meeting was
delayed. China denied the allegations.
"""

from __future__ import annotations

from haven.accounts.models import Compartment, Organisation
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.records.models import (
    Act,
    Confidentiality,
    Event,
    Information,
    Intervention,
    Involvement,
    NameKind,
    NameSystem,
    Person,
    Sex,
)
from haven.records.services import NameInput, person_create
from haven.vocab.models import Term


def _term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code)


def add_worked_example(organisation: Organisation, compartment: Compartment, codes: dict[str, str]) -> Event:
    dalian = Location.objects.filter(name_en__iexact="Dalian").first()
    public = Confidentiality.PUBLIC
    common = {"organisation": organisation, "compartment": compartment, "confidentiality": public}
    kim = person_create(
        organisation=organisation,
        compartment=compartment,
        sex=Sex.MALE,
        confidentiality=public,
        external_id="worked-example-kim-young-hwan",
        names=[
            NameInput("김영환", NameKind.HANGUL, NameSystem.SOUTH, "김", "영환", is_primary=True),
            NameInput("Kim Young-hwan", NameKind.ROMANIZED, NameSystem.PASSPORT, "Kim", "Young-hwan"),
            NameInput("Kim Yeong-hwan", NameKind.ROMANIZED, NameSystem.RR, "Kim", "Yeong-hwan"),
        ],
    )

    def group(slug: str, label: str, counting_unit: str) -> Person:
        """A group or institution, named by what it is (no individual is named but Kim Young-hwan)."""
        return person_create(
            organisation=organisation,
            compartment=compartment,
            confidentiality=public,
            external_id=f"worked-example-{slug}",
            names=[NameInput(label, NameKind.OTHER, is_primary=True)],
            counting_unit=_term("counting-units", codes[counting_unit]),
        )

    colleagues = group("three-colleagues", "Three colleagues of Kim Young-hwan", "group")
    colleagues.group_description = "Three South Korean colleagues detained with him (names not used here)."
    colleagues.number_of_persons_in_group = 3
    colleagues.save(update_fields=["group_description", "number_of_persons_in_group"])
    prc = group("prc-state-security", "PRC state security authorities (Dalian)", "institution")
    dprk = group("dprk-agents", "North Korean agents (unidentified)", "institution")
    press = group("press-conference", "Press conference of 3 August 2012, Seoul", "institution")
    consulate = group("rok-consulate", "Consular officials of the Republic of Korea", "institution")

    event = Event(
        **common,
        external_id="worked-example-dalian-2012",
        title="Detention of Kim Young-hwan and three colleagues in Dalian (2012)",
        description=(
            "Worked example with public facts only. In 2012 South Korean activist Kim Young-hwan and three "
            "colleagues, who assisted North Korean defectors, were detained in Dalian, Liaoning, and charged with "
            '"threatening the national security of China". After release they said at a press conference on '
            "3 August 2012 that they had been beaten and tortured with electricity, that Chinese and North Korean "
            "agents were both involved, and that a consular meeting was delayed. China denied the allegations.\n\n"
            "2012년 탈북자를 돕던 한국인 활동가 김영환 씨와 동료 3명이 중국 랴오닝성 다롄에서 '국가안전위해' 혐의로 "
            "구금되었다. 석방 후 2012년 8월 3일 기자회견에서 구타와 전기고문을 당했고 중국과 북한 요원이 모두 관여했으며 "
            "영사 면담이 지연되었다고 밝혔다. 중국은 이를 부인했다."
        ),
        location=dalian,
    )
    event.date = ImpreciseDate.parse("2012")
    event.save()
    acts = []
    for victim in (kim, colleagues):
        for act_code, methods in (
            (codes["detention"], []),
            (codes["torture"], [codes["beating"], codes["electric_shock"]]),
        ):
            act = Act(
                **common,
                event=event,
                victim=victim,
                act_type=_term("act-types", act_code),
                location=dalian,
                attribution=_term("attribution", codes["deny"]),
                stated_reason='Charged with "threatening the national security of China".',
            )
            act.date = ImpreciseDate.parse("2012")
            act.save()
            act.methods.set([_term("methods", m) for m in methods])
            acts.append(act)
    for act in acts:
        Involvement.objects.create(
            **common,
            act=act,
            event=event,
            perpetrator=prc,
            degree=_term("involvement-degrees", codes["direct"]),
        )
        involvement = Involvement.objects.create(
            **common,
            act=act,
            event=event,
            perpetrator=dprk,
            degree=_term("involvement-degrees", codes["suspected"]),
        )
        involvement.perpetrator_types.set([_term("perpetrator-types", codes["dprk_mss"])])
    info = Information(
        **common,
        source=press,
        event=event,
        related_person=kim,
        connection=_term("source-connections", codes["victim_source"]),
        reliability=_term("reliability", codes["reliability_unknown"]),
        remarks="Statements at the press conference of 3 August 2012; China denied them.",
    )
    info.date = ImpreciseDate.parse("2012-08-03")
    info.save()
    intervention = Intervention(
        **common,
        intervening_party=consulate,
        event=event,
        victim=kim,
        intervention_type=_term("intervention-types", codes["consular"]),
        response="Consular access was requested; the meeting was delayed.",
    )
    intervention.date = ImpreciseDate.parse("2012")
    intervention.save()
    return event
