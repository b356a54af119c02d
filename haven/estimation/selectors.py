"""Reads for estimation: which lists an analyst may pick, and the capture-pattern table of a choice.

Everything starts from :func:`haven.accounts.policy.visible`: a person, or an act that makes a person count
as a victim, that the analyst may not see neither joins a list nor changes a count. Records of the same human
in several lists are joined through the record linkage (:func:`haven.linkage.services.identity_map`), so a
person documented by two organisations is one unit captured by two lists, and one documented twice by the
same organisation is captured once.

The table holds counts only. Person ids never leave this module.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from haven.accounts import policy
from haven.accounts.models import Organisation
from haven.records.imprecise import in_period
from haven.records.models import Act, Person, Sex
from haven.vocab.models import Term

# Strata, in the order they are combined into a stratum label.
STRATA = ("sex", "act_period", "exit_period", "origin_province")
UNKNOWN = "unknown"
# HURIDOCS counting unit "individual": families, groups and institutions are not people to count.
INDIVIDUAL_UNIT = "01"
POPULATIONS = ("victims", "persons")


@dataclass(frozen=True)
class TableSpec:
    """What to count: the lists (organisations), who counts, the filters and the strata."""

    organisation_ids: tuple[int, ...]
    population: str = "victims"
    act_type_id: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    strata: tuple[str, ...] = ()
    band: int = 5

    def __post_init__(self) -> None:
        if self.population not in POPULATIONS:
            raise ValueError(f"population must be one of {POPULATIONS}, not {self.population!r}")
        unknown = [s for s in self.strata if s not in STRATA]
        if unknown:
            raise ValueError(f"unknown strata: {unknown}")
        if self.band < 1:
            raise ValueError("band must be at least one year")


@dataclass
class CaptureTable:
    lists: list[dict[str, str]]
    strata: list[str]
    rows: list[dict[str, Any]]
    compartment_ids: list[int]
    records: int = 0
    units: int = 0
    excluded_groups: int = 0
    notes: list[str] = field(default_factory=list)


def organisations_for(user: Any) -> QuerySet[Organisation]:
    """Return the organisations with at least one person record ``user`` may see: the lists they may pick."""
    persons = policy.visible(user, Person.objects.all())
    return Organisation.objects.filter(pk__in=persons.values("organisation_id")).order_by("code")


def band_label(year: int | None, band: int) -> str:
    """Return the band of ``year``: ``"2011"`` for one-year bands, else ``"2010-2014"`` (aligned to ``band``)."""
    if year is None:
        return UNKNOWN
    start = year - year % band
    return str(year) if band == 1 else f"{start}-{start + band - 1}"


def _date_band(start: date | None, end: date | None, band: int) -> str:
    # An act dated "2009..2011" lies in one band only if both ends do; otherwise its band is unknown.
    if start is None or end is None:
        return UNKNOWN
    first, last = band_label(start.year, band), band_label(end.year, band)
    return first if first == last else UNKNOWN


def _majority(values: Iterable[str]) -> str:
    # A unit's records may disagree: the most frequent known value wins (ties: the smallest), as in the
    # multi-list export.
    known = Counter(v for v in values if v != UNKNOWN)
    if not known:
        return UNKNOWN
    best = max(known.values())
    return min(v for v, n in known.items() if n == best)


def _period_q(year_from: int | None, year_to: int | None) -> Q:
    # Whole date range inside the period (haven.records.imprecise.in_period, certain=True).
    if year_from is not None and year_to is not None:
        return in_period("date", date(year_from, 1, 1), date(year_to, 12, 31), certain=True)
    if year_from is not None:
        return Q(date_start__gte=date(year_from, 1, 1))
    if year_to is not None:
        return Q(date_end__lte=date(year_to, 12, 31))
    return Q()


def _individuals(persons: QuerySet[Person]) -> QuerySet[Person]:
    return persons.filter(Q(counting_unit__isnull=True) | Q(counting_unit__code=INDIVIDUAL_UNIT))


def identities(person_ids: Sequence[int]) -> dict[int, int]:
    """Return each person's identity key after the accepted merges of the record linkage."""
    from haven.linkage.services import identity_map

    return identity_map(list(person_ids))


def capture_table(user: Any, spec: TableSpec) -> CaptureTable:
    """Return the capture-pattern table of ``spec`` as ``user`` may see it.

    Raises:
        ValueError: A list is not among the organisations ``user`` may pick (callers check first and audit).
    """
    allowed = {o.pk: o for o in organisations_for(user).filter(pk__in=spec.organisation_ids)}
    if set(spec.organisation_ids) - set(allowed):
        raise ValueError("a list is not visible to this user")
    orgs = sorted(allowed.values(), key=lambda o: o.code)
    position = {o.pk: j for j, o in enumerate(orgs)}

    persons = policy.visible(user, Person.objects.filter(organisation_id__in=position))
    groups = persons.exclude(pk__in=_individuals(persons).values("pk")).count()
    persons = _individuals(persons)
    compartments: set[int] = set()
    act_band: dict[int, tuple[date, str]] = {}
    if spec.population == "victims":
        acts = policy.visible(user, Act.objects.filter(victim__in=persons)).filter(
            _period_q(spec.year_from, spec.year_to)
        )
        if spec.act_type_id is not None:
            path = Term.objects.values_list("path", flat=True).get(pk=spec.act_type_id)
            acts = acts.filter(act_type__path__startswith=path)
        for victim_id, start, end, compartment_id in acts.values_list(
            "victim_id", "date_start", "date_end", "compartment_id"
        ).iterator(chunk_size=5000):
            compartments.add(compartment_id)
            # The unit's act period is that of its earliest dated act (undated acts sort last).
            key = (start or date.max, _date_band(start, end, spec.band))
            if victim_id not in act_band or key < act_band[victim_id]:
                act_band[victim_id] = key

    rows = [
        row
        for row in persons.values_list(
            "pk", "organisation_id", "compartment_id", "sex", "exit_year", "origin_province__code"
        ).iterator(chunk_size=5000)
        if spec.population != "victims" or row[0] in act_band
    ]
    identity = identities([r[0] for r in rows]) if rows else {}
    unit_lists: dict[tuple[str, int], set[int]] = defaultdict(set)
    unit_values: dict[tuple[str, int], dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for pk, org_id, compartment_id, sex, exit_year, province in rows:
        compartments.add(compartment_id)
        unit = ("i", identity[pk]) if pk in identity else ("p", pk)
        unit_lists[unit].add(position[org_id])
        values = unit_values[unit]
        values["sex"].append(sex if sex and sex != Sex.UNKNOWN else UNKNOWN)
        values["exit_period"].append(band_label(exit_year, spec.band))
        values["origin_province"].append(province or UNKNOWN)
        if pk in act_band:
            values["act_period"].append(act_band[pk])

    counts: Counter[tuple[tuple[str, ...], str]] = Counter()
    for unit, members in unit_lists.items():
        pattern = "".join("1" if j in members else "0" for j in range(len(orgs)))
        values = unit_values[unit]
        stratum = []
        for name in spec.strata:
            if name == "act_period":
                found = values["act_period"]
                stratum.append(min(found)[1] if found else UNKNOWN)
            else:
                stratum.append(_majority(values[name]))
        counts[(tuple(stratum), pattern)] += 1

    return CaptureTable(
        lists=[{"code": o.code, "name_en": o.name_en, "name_ko": o.name_ko} for o in orgs],
        strata=list(spec.strata),
        rows=[
            {"stratum": list(stratum), "pattern": pattern, "count": n}
            for (stratum, pattern), n in sorted(
                counts.items(), key=lambda kv: (kv[0][0], [-int(c) for c in kv[0][1]])
            )
        ],
        compartment_ids=sorted(compartments),
        records=len(rows),
        units=len(unit_lists),
        excluded_groups=groups,
    )
