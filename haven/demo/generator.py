"""A deterministic, seeded synthetic corpus that looks like real documentation work.

Every person here is invented. The generator draws a population of synthetic escapees (most of them women,
most from North Hamgyong and Ryanggang, leaving in the years when most people left), gives each a journey
with the violations people in such journeys suffer, and lets three fictional organisations document
overlapping subsets of them, each in its own way of writing names: one in South Korean Hangul and Revised
Romanization with exact dates, one in North Korean orthography and DPRK romanization with birth years
guessed from age, one in passport-style Latin letters, sometimes in Western order and with typos. Some
organisations record the same person twice. This is the material linkage and estimation are built for.

Rows are written in bulk through the same index function the services use, so blind indexes are right.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from haven.accounts.models import Compartment, Organisation
from haven.analytics.korean import (
    SURNAMES,
    romanize_name,
    romanize_surname,
    sample_given_name,
    to_north_orthography,
)
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.records.models import (
    Act,
    Confidentiality,
    Event,
    Information,
    Involvement,
    NameKind,
    NameSystem,
    Person,
    PersonIndex,
    PersonName,
)
from haven.records.services import person_index_rows
from haven.vocab.models import Term

# Vocabulary codes the generator uses, checked against the database before anything is written.
CODES: dict[str, tuple[str, str]] = {
    "arrest": ("act-types", "030101"),
    "detention": ("act-types", "030102"),
    "torture": ("act-types", "02011111"),
    "rape": ("act-types", "02011101"),
    "forced_labour": ("act-types", "30010201"),
    "refoulement": ("act-types", "380101"),
    "forced_repatriation": ("act-types", "9201"),
    "trafficking_marriage": ("act-types", "9101"),
    "trafficking_sexual": ("act-types", "9102"),
    "forced_abortion": ("act-types", "080103"),
    "death_in_detention": ("act-types", "01010601"),
    "interrogation_after_return": ("act-types", "9301"),
    "beating": ("methods", "0301"),
    "electric_shock": ("methods", "0308"),
    "forced_postures": ("methods", "0311"),
    "food_deprivation": ("methods", "031501"),
    "direct": ("involvement-degrees", "0101"),
    "suspected": ("involvement-degrees", "0106"),
    "victim_source": ("source-connections", "0101"),
    "interview": ("source-types", "091420051801"),
    "reliable": ("reliability", "02"),
    "reliability_unknown": ("reliability", "99"),
    "ko": ("languages", "ko"),
    "individual": ("counting-units", "01"),
    "group": ("counting-units", "03"),
    "institution": ("counting-units", "03"),
    "deny": ("attribution", "0102"),
    "consular": ("intervention-types", "0196"),
    "prc_police": ("perpetrator-types", "9101"),
    "prc_border": ("perpetrator-types", "9102"),
    "dprk_mss": ("perpetrator-types", "9104"),
    "dprk_mps": ("perpetrator-types", "9105"),
    "broker": ("perpetrator-types", "9107"),
    "buyer": ("perpetrator-types", "9109"),
}


@dataclass(frozen=True)
class OrgSpec:
    code: str
    name_en: str
    name_ko: str
    style: str  # "south" | "north" | "latin"
    capture_high: float  # probability of documenting a person who testified widely
    capture_low: float


ORGS = (
    OrgSpec("hanbit", "Hanbit Testimony Archive (fictional)", "한빛 증언기록원 (가상)", "south", 0.55, 0.14),
    OrgSpec("tumen", "Tumen River Watch (fictional)", "두만강 인권감시 (가상)", "north", 0.45, 0.12),
    OrgSpec("mekong", "Mekong Route Aid (fictional)", "메콩 루트 지원 (가상)", "latin", 0.40, 0.10),
)

# Shares of origin by province, rounded from the Ministry of Unification's birthplace table (most arrivals
# are from North Hamgyong and Ryanggang; see shared reference notes).
PROVINCE_WEIGHTS = {
    "KP-09": 0.60,
    "KP-10": 0.18,
    "KP-08": 0.08,
    "KP-03": 0.04,
    "KP-04": 0.02,
    "KP-07": 0.02,
    "KP-02": 0.02,
    "KP-01": 0.02,
    "KP-06": 0.01,
    "KP-05": 0.01,
}
# Years of leaving, shaped like the arrivals series (rising to 2009, falling after 2011).
EXIT_YEAR_WEIGHTS = {
    1997: 1,
    1998: 2,
    1999: 3,
    2000: 3,
    2001: 4,
    2002: 6,
    2003: 7,
    2004: 9,
    2005: 8,
    2006: 10,
    2007: 12,
    2008: 13,
    2009: 13,
    2010: 11,
    2011: 11,
    2012: 7,
    2013: 7,
    2014: 6,
    2015: 5,
    2016: 5,
    2017: 4,
    2018: 4,
    2019: 3,
}
FEMALE_SHARE = 0.78
DUPLICATE_IN_LIST = 0.02
BATCH = 1000


@dataclass
class Episode:
    kind: str
    year: int
    place: Location
    facility: Location | None = None


@dataclass
class Human:
    sex: str
    surname: str
    given: str
    birth: date
    province: Location
    county: Location | None
    exit_year: int
    visible: bool
    episodes: list[Episode] = field(default_factory=list)


@dataclass
class Places:
    provinces: dict[str, Location]
    counties: dict[str, list[Location]]
    china: list[Location]
    transit: list[Location]
    nk_facilities: list[Location]
    cn_facilities: list[Location]

    @classmethod
    def load(cls) -> Places:
        provinces = {loc.code: loc for loc in Location.objects.filter(code__in=PROVINCE_WEIGHTS)}
        counties: dict[str, list[Location]] = {}
        for loc in Location.objects.filter(
            path__startswith="/KP/", kind__in=["city", "county", "district"]
        ).order_by("code"):
            counties.setdefault(loc.path.split("/")[2], []).append(loc)
        china = list(
            Location.objects.filter(
                path__startswith="/CN/", kind__in=["city", "prefecture", "county"]
            ).order_by("code")
        )
        transit = list(
            Location.objects.filter(kind__in=["city", "transit_point"])
            .filter(path__regex=r"^/(LA|TH|VN|KH|MN)/")
            .order_by("code")
        )
        facilities = list(
            Location.objects.filter(kind="detention_facility")
            .select_related("facility_type")
            .order_by("code")
        )
        return cls(
            provinces=provinces,
            counties=counties,
            china=china,
            transit=transit,
            nk_facilities=[f for f in facilities if f.path.startswith("/KP/")],
            cn_facilities=[f for f in facilities if f.path.startswith("/CN/")],
        )


def _weighted(rng: random.Random, weights: dict) -> object:  # type: ignore[type-arg]
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class DemoBuilder:
    def __init__(
        self,
        *,
        persons: int,
        seed: int,
        repeat_arrests: float = 0.0,
        progress: Callable[[str], None] = lambda s: None,
    ) -> None:
        self.target = persons
        # Many escapees were caught and sent back more than once. 0 (the demo) keeps the corpus as it was;
        # the large benchmark instance uses it to reach about five acts per person.
        self.repeat_arrests = repeat_arrests
        self.rng = random.Random(seed)
        self.progress = progress
        self.terms: dict[str, Term] = {}
        self.surnames = [(s.id, s.frequency) for s in SURNAMES if s.frequency > 0]
        self.counts = {"persons": 0, "events": 0, "acts": 0}

    # ---- set-up -------------------------------------------------------------------------------------------

    def _load_terms(self) -> None:
        missing = []
        for key, (vocabulary, code) in CODES.items():
            term = Term.objects.filter(vocabulary__code=vocabulary, code=code).first()
            if term is None:
                missing.append(f"{vocabulary}:{code} ({key})")
            else:
                self.terms[key] = term
        if missing:
            raise RuntimeError("vocabularies are not loaded or lack terms: " + ", ".join(missing))

    def _organisations(self) -> dict[str, tuple[Organisation, Compartment]]:
        result = {}
        for spec in ORGS:
            org, _ = Organisation.objects.get_or_create(
                code=spec.code, defaults={"name_en": spec.name_en, "name_ko": spec.name_ko}
            )
            comp, _ = Compartment.objects.get_or_create(
                code=f"{spec.code}-testimonies",
                defaults={"name": f"{spec.name_en}: testimonies", "organisation": org},
            )
            Compartment.objects.get_or_create(
                code=f"{spec.code}-public",
                defaults={"name": f"{spec.name_en}: public cases", "organisation": org},
            )
            result[spec.code] = (org, comp)
        return result

    # ---- the synthetic population ---------------------------------------------------------------------------

    def _human(self, places: Places) -> Human:
        rng = self.rng
        sex = "F" if rng.random() < FEMALE_SHARE else "M"
        surname = rng.choices([s for s, _ in self.surnames], weights=[w for _, w in self.surnames])[0]
        given = sample_given_name(rng, "female" if sex == "F" else "male")
        exit_year = int(_weighted(rng, EXIT_YEAR_WEIGHTS))  # type: ignore[call-overload]
        age = max(12, min(70, int(rng.triangular(14, 60, 27))))
        birth = date(exit_year - age, rng.randint(1, 12), rng.randint(1, 28))
        province_code = str(_weighted(rng, PROVINCE_WEIGHTS))
        province = places.provinces[province_code]
        counties = places.counties.get(province_code) or []
        human = Human(
            sex,
            surname,
            given,
            birth,
            province,
            rng.choice(counties) if counties else None,
            exit_year,
            rng.random() < 0.25,
        )
        human.episodes = self._journey(human, places)
        return human

    def _journey(self, h: Human, places: Places) -> list[Episode]:
        rng = self.rng
        year = h.exit_year
        episodes: list[Episode] = []
        china = rng.choice(places.china)
        if h.sex == "F" and rng.random() < 0.5:
            episodes.append(Episode("trafficking", year, rng.choice(places.china)))
        if rng.random() < 0.45:
            year = min(year + rng.randint(0, 3), 2020)
            cycles = 1
            while True:
                cn_fac = rng.choice(places.cn_facilities) if places.cn_facilities else None
                episodes.append(Episode("arrest_china", year, china, cn_fac))
                nk_fac = rng.choice(places.nk_facilities) if places.nk_facilities else None
                episodes.append(
                    Episode(
                        "repatriation_detention",
                        year,
                        nk_fac.parent if nk_fac and nk_fac.parent else h.province,
                        nk_fac,
                    )
                )
                if not self.repeat_arrests or cycles >= 6 or rng.random() >= self.repeat_arrests:
                    break
                cycles += 1
                year = min(year + rng.randint(1, 3), 2021)
                china = rng.choice(places.china)
        if rng.random() < 0.15 and places.transit:
            episodes.append(Episode("transit_detention", min(year + 1, 2021), rng.choice(places.transit)))
        if not episodes:
            episodes.append(
                Episode(
                    "arrest_china",
                    year,
                    china,
                    rng.choice(places.cn_facilities) if places.cn_facilities else None,
                )
            )
        return episodes

    # ---- how each organisation writes a person ---------------------------------------------------------------

    def _typo(self, text: str) -> str:
        letters = [i for i, c in enumerate(text) if c.isalpha()]
        if len(letters) < 4:
            return text
        i = self.rng.choice(letters[1:])
        op = self.rng.randrange(3)
        if op == 0:
            return text[:i] + text[i + 1 :]
        if op == 1 and i + 1 < len(text):
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        return text[:i] + text[i] + text[i:]

    def _names(self, h: Human, style: str) -> list[tuple[str, str, str, str, str]]:
        """Return (kind, system, full, family, given) tuples as this organisation would write them."""
        rng = self.rng
        names = []
        if style == "south":
            names.append((NameKind.HANGUL, NameSystem.SOUTH, h.surname + h.given, h.surname, h.given))
            names.append(self._roman(h, "rr", NameSystem.RR, "eastern", "hyphen"))
        elif style == "north":
            family = to_north_orthography(h.surname)
            names.append((NameKind.HANGUL, NameSystem.NORTH, family + h.given, family, h.given))
            names.append(self._roman(h, "nk", NameSystem.NK, "eastern", "space"))
        else:
            order = "western" if rng.random() < 0.3 else "eastern"
            kind, system, full, family, given = self._roman(
                h, "passport", NameSystem.PASSPORT, order, rng.choice(["hyphen", "space", "joined"])
            )
            if rng.random() < 0.1:
                full = self._typo(full)
            if rng.random() < 0.2:
                full = full.upper()
            names.append((kind, system, full, family, given))
            if rng.random() < 0.4:
                names.append((NameKind.HANGUL, NameSystem.SOUTH, h.surname + h.given, h.surname, h.given))
        return names

    def _roman(
        self, h: Human, system: str, tag: str, order: str, given_style: str
    ) -> tuple[str, str, str, str, str]:
        full = romanize_name(h.surname, h.given, system, order=order, given_style=given_style)
        family = romanize_surname(h.surname, system)
        given = full.replace(family, "", 1).strip(" ,")
        return (NameKind.ROMANIZED, tag, full, family, given)

    def _birth(self, h: Human, style: str) -> str:
        rng = self.rng
        if style == "south":
            return h.birth.isoformat() if rng.random() < 0.6 else str(h.birth.year)
        if style == "north":  # guessed from the age the person gave: often a year off
            return f"c. {h.birth.year + rng.choice([-1, 0, 0, 1])}"
        return str(h.birth.year + rng.choice([0, 0, 0, -1, 1]))

    def _origin_detail(self, h: Human, style: str) -> str | None:
        if h.county is None:
            return None
        if style == "latin":
            return f"{h.county.name_en}, {h.province.name_en}"
        return f"{h.province.name_ko} {h.county.name_ko}"

    # ---- building ---------------------------------------------------------------------------------------------

    def build(self) -> dict[str, int]:
        self._load_terms()
        places = Places.load()
        if not places.china or not places.provinces:
            raise RuntimeError("the gazetteer is not loaded")
        orgs = self._organisations()
        perpetrators = {code: self._perpetrators(org, comp, places) for code, (org, comp) in orgs.items()}
        records_per_human = sum((0.25 * s.capture_high + 0.75 * s.capture_low) for s in ORGS) * (
            1 + DUPLICATE_IN_LIST
        )
        humans_needed = int(self.target / records_per_human)
        self.progress(f"drawing {humans_needed} synthetic people")
        pending: list[tuple[Human, OrgSpec]] = []
        for i in range(humans_needed):
            h = self._human(places)
            for spec in ORGS:
                p = spec.capture_high if h.visible else spec.capture_low
                if self.rng.random() < p:
                    pending.append((h, spec))
                    if self.rng.random() < DUPLICATE_IN_LIST:
                        pending.append((h, spec))
            if len(pending) >= BATCH or i == humans_needed - 1:
                self._write(pending, orgs, perpetrators)
                pending = []
                self.progress(
                    f"  {self.counts['persons']} persons, {self.counts['events']} events, {self.counts['acts']} acts"
                )
        return self.counts

    def _perpetrators(self, org: Organisation, comp: Compartment, places: Places) -> dict[str, list[Person]]:
        groups: dict[str, list[tuple[str, str]]] = {
            "prc_police": [
                (f"{c.name_en} Public Security Bureau", f"{c.name_ko or c.name_en} 공안국")
                for c in places.china[:12]
            ],
            "prc_border": [("PRC border defence (unidentified unit)", "중국 변방부대 (미상)")],
            "dprk_mss": [
                (f"Ministry of State Security, {p.name_en}", f"{p.name_ko} 국가보위성")
                for p in places.provinces.values()
            ],
            "dprk_mps": [
                (f"Ministry of Social Security, {p.name_en}", f"{p.name_ko} 사회안전성")
                for p in places.provinces.values()
            ],
            "broker": [("Broker (unidentified)", "브로커 (미상)")],
            "buyer": [('Buyer / "husband" (unidentified)', "매수인 / '남편' (미상)")],
        }
        result: dict[str, list[Person]] = {}
        for kind, labels in groups.items():
            people = []
            for en, ko in labels:
                person = Person.objects.create(
                    organisation=org,
                    compartment=comp,
                    confidentiality=Confidentiality.INTERNAL,
                    counting_unit=self.terms["institution"],
                )
                names = [
                    PersonName.objects.create(
                        person=person, kind=NameKind.OTHER, full_name=ko, is_primary=True
                    ),
                    PersonName.objects.create(person=person, kind=NameKind.OTHER, full_name=en),
                ]
                PersonIndex.objects.bulk_create(person_index_rows(person, names))
                people.append(person)
                self.counts["persons"] += 1
            result[kind] = people
        return result

    @transaction.atomic
    def _write(
        self,
        pending: list[tuple[Human, OrgSpec]],
        orgs: dict[str, tuple[Organisation, Compartment]],
        perpetrators: dict[str, dict[str, list[Person]]],
    ) -> None:
        rng = self.rng
        conf_choices = (
            [Confidentiality.CONFIDENTIAL] * 7 + [Confidentiality.INTERNAL] * 2 + [Confidentiality.SECRET]
        )
        persons = []
        for h, spec in pending:
            org, comp = orgs[spec.code]
            persons.append(
                Person(
                    organisation=org,
                    compartment=comp,
                    sex=h.sex,
                    birth_date=self._birth(h, spec.style),
                    origin_province=h.province,
                    origin_detail=self._origin_detail(h, spec.style),
                    exit_year=h.exit_year if rng.random() < 0.9 else None,
                    counting_unit=self.terms["individual"],
                    confidentiality=rng.choice(conf_choices),
                )
            )
        Person.objects.bulk_create(persons)
        names: list[PersonName] = []
        by_person: list[list[PersonName]] = []
        for person, (h, spec) in zip(persons, pending, strict=True):
            mine = [
                PersonName(
                    person=person,
                    kind=k,
                    system=s,
                    full_name=f,
                    family_name=fam,
                    given_name=g,
                    is_primary=(i == 0),
                )
                for i, (k, s, f, fam, g) in enumerate(self._names(h, spec.style))
            ]
            names += mine
            by_person.append(mine)
        PersonName.objects.bulk_create(names)
        PersonIndex.objects.bulk_create(
            [
                row
                for person, mine in zip(persons, by_person, strict=True)
                for row in person_index_rows(person, mine)
            ],
            batch_size=2000,
        )
        self.counts["persons"] += len(persons)
        self._write_events(persons, pending, orgs, perpetrators)

    def _write_events(
        self,
        persons: list[Person],
        pending: list[tuple[Human, OrgSpec]],
        orgs: dict[str, tuple[Organisation, Compartment]],
        perpetrators: dict[str, dict[str, list[Person]]],
    ) -> None:
        rng = self.rng
        events: list[Event] = []
        plans: list[tuple[Event, Person, Human, OrgSpec, Episode]] = []
        for person, (h, spec) in zip(persons, pending, strict=True):
            documented = [e for e in h.episodes if rng.random() < 0.85] or h.episodes[:1]
            for ep in documented:
                org, comp = orgs[spec.code]
                title_en, title_ko, text_en, text_ko = narrative(ep, h)
                ko = spec.style != "latin"
                event = Event(
                    organisation=org,
                    compartment=comp,
                    confidentiality=Confidentiality.INTERNAL,
                    title=title_ko if ko else title_en,
                    description=text_ko if ko else text_en,
                    location=ep.place,
                )
                event.date = self._episode_date(ep, spec)
                events.append(event)
                plans.append((event, person, h, spec, ep))
        Event.objects.bulk_create(events)
        acts: list[Act] = []
        act_meta: list[tuple[Act, list[str], str | None, OrgSpec, Event]] = []
        for event, person, h, spec, ep in plans:
            age = ep.year - h.birth.year
            for act_key, methods, perp in ACTS_BY_EPISODE[ep.kind](rng, h):
                act = Act(
                    organisation=event.organisation,
                    compartment=event.compartment,
                    confidentiality=event.confidentiality,
                    event=event,
                    victim=person,
                    act_type=self.terms[act_key],
                    location=ep.place,
                    facility=ep.facility
                    if act_key in ("detention", "torture", "forced_labour", "death_in_detention")
                    else None,
                    victim_age=age if 0 <= age <= 120 else None,
                )
                act.date = event.date
                acts.append(act)
                act_meta.append((act, methods, perp, spec, event))
        Act.objects.bulk_create(acts)
        through = Act.methods.through
        through.objects.bulk_create(
            [
                through(act_id=a.pk, term_id=self.terms[m].pk)
                for a, methods, _, _, _ in act_meta
                for m in methods
            ]
        )
        involvements = []
        types = []
        for act, _, perp, spec, event in act_meta:
            if perp is None:
                continue
            candidates = perpetrators[spec.code][perp]
            involvements.append(
                Involvement(
                    organisation=act.organisation,
                    compartment=act.compartment,
                    confidentiality=act.confidentiality,
                    act=act,
                    event=event,
                    perpetrator=rng.choice(candidates),
                    degree=self.terms["direct" if rng.random() < 0.85 else "suspected"],
                )
            )
            types.append(perp)
        Involvement.objects.bulk_create(involvements)
        ptypes = Involvement.perpetrator_types.through
        ptypes.objects.bulk_create(
            [
                ptypes(involvement_id=i.pk, term_id=self.terms[t].pk)
                for i, t in zip(involvements, types, strict=True)
            ]
        )
        infos = []
        for event, person, h, spec, _ep in plans:
            info = Information(
                organisation=event.organisation,
                compartment=event.compartment,
                confidentiality=event.confidentiality,
                source=person,
                event=event,
                connection=self.terms["victim_source"],
                language=self.terms["ko"],
                reliability=self.terms["reliable"],
                interviewer=f"{spec.code}-staff-{rng.randint(1, 9)}",
                consent=rng.choice(["full", "anonymous", "anonymous", "internal"]),
            )
            info.date = ImpreciseDate.from_parts(
                min(h.exit_year + rng.randint(1, 6), 2025), rng.randint(1, 12)
            )
            infos.append(info)
        Information.objects.bulk_create(infos)
        st = Information.source_types.through
        st.objects.bulk_create([st(information_id=i.pk, term_id=self.terms["interview"].pk) for i in infos])
        self.counts["events"] += len(events)
        self.counts["acts"] += len(acts)

    def _episode_date(self, ep: Episode, spec: OrgSpec) -> ImpreciseDate:
        rng = self.rng
        roll = rng.random()
        if spec.style == "south" and roll < 0.5:
            return ImpreciseDate.from_parts(ep.year, rng.randint(1, 12), rng.randint(1, 28))
        if roll < 0.75:
            return ImpreciseDate.from_parts(ep.year, rng.randint(1, 12))
        if roll < 0.93:
            return ImpreciseDate.from_parts(ep.year)
        return ImpreciseDate.from_parts(ep.year, estimated=True)


def _acts_trafficking(rng: random.Random, h: Human) -> list[tuple[str, list[str], str | None]]:
    acts = [("trafficking_marriage", [], "broker")]
    if rng.random() < 0.3:
        acts.append(("rape", [], "buyer"))
    if rng.random() < 0.15:
        acts.append(("trafficking_sexual", [], "broker"))
    return acts


def _acts_arrest(rng: random.Random, h: Human) -> list[tuple[str, list[str], str | None]]:
    acts = [("arrest", [], "prc_police")]
    if rng.random() < 0.5:
        acts.append(("detention", [], "prc_police"))
    acts.append(("forced_repatriation" if rng.random() < 0.6 else "refoulement", [], "prc_border"))
    return acts


def _acts_return(rng: random.Random, h: Human) -> list[tuple[str, list[str], str | None]]:
    acts: list[tuple[str, list[str], str | None]] = [("detention", [], "dprk_mps")]
    if rng.random() < 0.7:
        acts.append(("interrogation_after_return", [], "dprk_mss"))
    if rng.random() < 0.45:
        acts.append(
            (
                "torture",
                rng.sample(["beating", "forced_postures", "food_deprivation", "electric_shock"], 2),
                "dprk_mss",
            )
        )
    if rng.random() < 0.35:
        acts.append(("forced_labour", [], "dprk_mps"))
    if h.sex == "F" and rng.random() < 0.05:
        acts.append(("forced_abortion", [], "dprk_mss"))
    return acts


def _acts_transit(rng: random.Random, h: Human) -> list[tuple[str, list[str], str | None]]:
    return [("detention", [], None)]


ACTS_BY_EPISODE: dict[str, Callable[[random.Random, Human], list[tuple[str, list[str], str | None]]]] = {
    "trafficking": _acts_trafficking,
    "arrest_china": _acts_arrest,
    "repatriation_detention": _acts_return,
    "transit_detention": _acts_transit,
}


def narrative(ep: Episode, h: Human) -> tuple[str, str, str, str]:
    """Return English and Korean titles and narratives. Narratives never name the person."""
    place_en, place_ko = ep.place.name_en, ep.place.name_ko or ep.place.name_en
    fac_en = ep.facility.name_en if ep.facility else "a detention facility"
    fac_ko = (ep.facility.name_ko or ep.facility.name_en) if ep.facility else "구금시설"
    y = ep.year
    woman = h.sex == "F"
    if ep.kind == "trafficking":
        return (
            f"Sold into forced marriage near {place_en} ({y})",
            f"{place_ko} 인근 강제결혼 인신매매 ({y})",
            f"After crossing the border in {y} the {'woman' if woman else 'person'} was taken by a broker and sold to a "
            f"farmer near {place_en} as a wife. She was kept in the house and could not leave.",
            f"{y}년 국경을 넘은 후 브로커에게 넘겨져 {place_ko} 인근 농촌 남성에게 아내로 팔려갔다. 집 밖으로 나갈 수 없었다.",
        )
    if ep.kind == "arrest_china":
        return (
            f"Arrest in {place_en} and forced return ({y})",
            f"{place_ko}에서 체포 및 강제송환 ({y})",
            f"Arrested by Chinese public security in {place_en} in {y}, held at {fac_en}, then handed over to North "
            f"Korean border guards.",
            f"{y}년 {place_ko}에서 중국 공안에 체포되어 {fac_ko}에 구금된 뒤 북한 국경경비대에 넘겨졌다.",
        )
    if ep.kind == "repatriation_detention":
        return (
            f"Interrogation and detention after forced return, {place_en} ({y})",
            f"강제송환 후 조사 및 구금, {place_ko} ({y})",
            f"After being returned from China in {y}, interrogated by the Ministry of State Security about contacts with "
            f"South Koreans and churches, and held at {fac_en} with forced labour and little food.",
            f"{y}년 중국에서 강제송환된 후 보위부에서 한국인 및 교회 접촉 여부를 조사받았고, {fac_ko}에 구금되어 "
            f"강제노동을 하며 식사를 제대로 받지 못했다.",
        )
    return (
        f"Immigration detention in {place_en} ({y})",
        f"{place_ko}에서 이민 구금 ({y})",
        f"Detained by immigration police in {place_en} in {y} on the way to South Korea.",
        f"{y}년 한국으로 가는 길에 {place_ko}에서 이민경찰에 구금되었다.",
    )
