"""Labelled synthetic lists of North Korean refugees, for tests and benchmarks of record linkage.

**Synthetic data, not real people.** Names are random combinations of surnames (drawn by their real
frequency, so Kim, Lee and Park collide as often as they do in life) and generic given names
(:func:`~haven.analytics.korean.sample_given_name`).

A population of people is drawn (78 % women, birth years centred on the late 1970s, origins weighted to
North Hamgyong and Ryanggang, exit years peaking around 1998-2012). Several organisations then capture
them with heterogeneous probability: each person has a latent visibility, and each organisation a base
rate and a preference for some provinces, so captures are correlated as in real multi-list data. An
organisation may record one person twice (internal duplicates).

Each organisation has its own recording style (:class:`OrgStyle`), covering the variation described in
the linkage notes (section 4): southern or northern Hangul (이설주 / 리설주), RR, McCune-Reischauer with
and without breves, the DPRK system, passport and free individual spellings, western order, upper case,
hyphens / spaces / joined given names, typing errors, missing Hangul, birth years guessed from an age
(off by one or two), place names in Hangul, English, MR or RR, with or without the province or county,
and missing fields.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from haven.analytics.korean import (
    SURNAMES,
    AdminUnit,
    compose,
    decompose,
    name_variants,
    nk_admin_units,
    romanize_name,
    sample_given_name,
    to_south_orthography,
)

__all__ = ["ORG_STYLES", "OrgStyle", "SyntheticData", "generate_lists"]

# Romanization "systems" an organisation may use; "free" = an individual's own spelling (name_variants).
_SYSTEMS = ("rr", "mr", "mr_plain", "nk", "nk_plain", "passport", "free")


@dataclass(frozen=True)
class OrgStyle:
    """How one organisation records people.

    Attributes:
        name: Source name written to the ``source`` column.
        capture: Base probability of capturing a person of average visibility.
        province_bias: Capture multipliers by province code (e.g. a Yanbian network sees Ryanggang).
        duplicate_rate: Probability that a captured person is recorded a second time.
        hangul_rate: Probability that ``name_hangul`` is filled.
        hangul_north: Probability that Hangul uses the northern orthography (리설주 rather than 이설주).
        latin_rate: Probability that ``name`` holds a romanization (otherwise Hangul or empty).
        name_hangul_rate: Probability that ``name`` holds Hangul when it holds no romanization.
        systems: Romanization systems with weights.
        western_rate: Probability of western order (given name first).
        upper_rate: Probability of upper case.
        typo_rate: Probability of a typing error in the romanized name.
        hangul_typo_rate: Probability of a wrong vowel in the Hangul name.
        birth_missing: Probability that the birth year is missing.
        birth_error: Probabilities of an error of 1 and 2 years (age-based guesses).
        sex_missing: Probability that sex is missing.
        origin_missing: Probability that the origin is missing.
        origin_hangul: Probability that the origin is written in Hangul.
        origin_county_only: Probability of naming the county without its province.
        origin_province_only: Probability of naming only the province.
        exit_missing: Probability that the exit year is missing.
        exit_error: Probability that the exit year is off by one.
    """

    name: str
    capture: float
    province_bias: dict[str, float] = field(default_factory=dict)
    duplicate_rate: float = 0.05
    hangul_rate: float = 0.5
    hangul_north: float = 0.3
    latin_rate: float = 0.9
    name_hangul_rate: float = 0.5
    systems: tuple[tuple[str, float], ...] = (("passport", 1.0),)
    western_rate: float = 0.0
    upper_rate: float = 0.0
    typo_rate: float = 0.03
    hangul_typo_rate: float = 0.01
    birth_missing: float = 0.05
    birth_error: tuple[float, float] = (0.1, 0.03)
    sex_missing: float = 0.02
    origin_missing: float = 0.1
    origin_hangul: float = 0.0
    origin_county_only: float = 0.3
    origin_province_only: float = 0.2
    exit_missing: float = 0.1
    exit_error: float = 0.05


#: Five organisations with distinct styles; :func:`generate_lists` uses the first ``n_sources``.
ORG_STYLES: tuple[OrgStyle, ...] = (
    OrgStyle(  # a South Korean style registry: southern Hangul, RR or passport spelling, exact dates
        name="registry",
        capture=0.45,
        duplicate_rate=0.03,
        hangul_rate=0.95,
        hangul_north=0.05,
        latin_rate=0.7,
        name_hangul_rate=0.0,
        systems=(("rr", 0.5), ("passport", 0.5)),
        typo_rate=0.02,
        birth_missing=0.01,
        birth_error=(0.03, 0.0),
        sex_missing=0.0,
        origin_missing=0.05,
        origin_hangul=0.9,
        origin_county_only=0.2,
        origin_province_only=0.15,
        exit_missing=0.03,
        exit_error=0.02,
    ),
    OrgStyle(  # an English-language NGO: passport and free spellings, ages rather than birth years
        name="ngo",
        capture=0.35,
        province_bias={"KP-10": 1.4},
        duplicate_rate=0.08,
        hangul_rate=0.25,
        hangul_north=0.4,
        latin_rate=1.0,
        systems=(("passport", 0.4), ("free", 0.3), ("rr", 0.2), ("mr_plain", 0.1)),
        western_rate=0.25,
        upper_rate=0.15,
        typo_rate=0.08,
        birth_missing=0.08,
        birth_error=(0.25, 0.07),
        sex_missing=0.05,
        origin_missing=0.15,
        origin_county_only=0.35,
        origin_province_only=0.25,
        exit_missing=0.25,
        exit_error=0.05,
    ),
    OrgStyle(  # an academic / UN style database: McCune-Reischauer, northern Hangul
        name="research",
        capture=0.25,
        duplicate_rate=0.04,
        hangul_rate=0.5,
        hangul_north=0.5,
        latin_rate=0.95,
        systems=(("mr", 0.6), ("mr_plain", 0.2), ("nk", 0.2)),
        typo_rate=0.03,
        birth_missing=0.05,
        birth_error=(0.15, 0.02),
        sex_missing=0.02,
        origin_missing=0.1,
        origin_county_only=0.3,
        origin_province_only=0.3,
        exit_missing=0.1,
    ),
    OrgStyle(  # testimonies collected near the border: DPRK spellings, guessed ages, county only
        name="testimony",
        capture=0.2,
        province_bias={"KP-09": 1.3, "KP-10": 1.3},
        duplicate_rate=0.1,
        hangul_rate=0.6,
        hangul_north=0.8,
        latin_rate=0.8,
        name_hangul_rate=0.6,
        systems=(("nk_plain", 0.6), ("nk", 0.2), ("passport", 0.2)),
        typo_rate=0.05,
        birth_missing=0.15,
        birth_error=(0.25, 0.1),
        sex_missing=0.05,
        origin_missing=0.1,
        origin_hangul=0.5,
        origin_county_only=0.6,
        origin_province_only=0.1,
        exit_missing=0.4,
        exit_error=0.08,
    ),
    OrgStyle(  # a church network: free spellings, joined given names, much missing information
        name="church",
        capture=0.15,
        province_bias={"KP-08": 1.5},
        duplicate_rate=0.06,
        hangul_rate=0.1,
        hangul_north=0.3,
        latin_rate=1.0,
        systems=(("free", 0.5), ("passport", 0.3), ("rr", 0.2)),
        western_rate=0.3,
        upper_rate=0.1,
        typo_rate=0.12,
        birth_missing=0.2,
        birth_error=(0.2, 0.1),
        sex_missing=0.1,
        origin_missing=0.35,
        origin_county_only=0.4,
        origin_province_only=0.3,
        exit_missing=0.3,
        exit_error=0.05,
    ),
)

# Share of people by province of origin (most refugees come from the northern border provinces).
_PROVINCE_WEIGHTS: dict[str, float] = {
    "KP-09": 0.55,  # North Hamgyong
    "KP-10": 0.22,  # Ryanggang
    "KP-08": 0.08,  # South Hamgyong
    "KP-01": 0.03,
    "KP-02": 0.03,
    "KP-03": 0.02,
    "KP-04": 0.02,
    "KP-05": 0.01,
    "KP-06": 0.01,
    "KP-07": 0.01,
    "KP-13": 0.02,
}
_FEMALE_SHARE = 0.78


@dataclass(frozen=True)
class SyntheticData:
    """Generated lists with their ground truth.

    Attributes:
        rows: Records as dicts with the CSV columns (source, record_id, name, name_hangul, sex,
            birth_year, origin, exit_year); every value is a string, "" when missing.
        person_ids: The true person of each row (same order as ``rows``).
        n_people: Size of the population drawn (including people no list captured).
    """

    rows: list[dict[str, str]]
    person_ids: list[int]
    n_people: int


@dataclass(frozen=True)
class _Person:
    surname: str  # southern Hangul id
    surname_north: str
    given: str  # as sampled (northern orthography for names starting with ㄹ)
    sex: str
    birth_year: int
    province: str
    county: str | None
    exit_year: int
    visibility: float


@cache
def _places() -> tuple[dict[str, AdminUnit], dict[str, tuple[AdminUnit, ...]]]:
    units = nk_admin_units()
    provinces = {u.code: u for u in units if u.parent_code is None}
    children: dict[str, list[AdminUnit]] = {code: [] for code in provinces}
    for unit in units:
        # Second-level units only (cities and counties); special zones are not places of origin.
        if unit.parent_code in provinces and unit.kind in ("city", "county"):
            children[unit.parent_code].append(unit)
    return provinces, {code: tuple(units) for code, units in children.items()}


def _is_hangul_name(text: str) -> bool:
    return any("\uac00" <= c <= "\ud7a3" for c in text)


def _is_latin_name(text: str) -> bool:
    return all(c.isascii() or c in "ŏŭŎŬ" or not c.isalpha() for c in text) and any(c.isalpha() for c in text)


@cache
def _spellings(code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the Hangul and Latin spellings of a unit (primary names first)."""
    provinces, children = _places()
    unit = provinces.get(code) or next(u for units in children.values() for u in units if u.code == code)
    hangul = tuple(n for n in unit.names if _is_hangul_name(n))
    latin = tuple(n for n in unit.names if _is_latin_name(n))
    return hangul, latin


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def _draw_person(rng: random.Random, surname_table: list[tuple[str, float]], recombine: float) -> _Person:
    provinces, children = _places()
    sid = _weighted(rng, surname_table)
    entry = next(s for s in SURNAMES if s.id == sid)
    sex = "female" if rng.random() < _FEMALE_SHARE else "male"
    given = sample_given_name(rng, sex, recombine=recombine)  # type: ignore[arg-type]
    birth = int(round(rng.gauss(1978, 13)))
    birth = min(2012, max(1930, birth))
    province = _weighted(rng, list(_PROVINCE_WEIGHTS.items()))
    counties = children.get(province, ())
    county = rng.choice(counties).code if counties and rng.random() < 0.97 else None
    exit_year = int(round(rng.gauss(2005, 7)))
    exit_year = min(2024, max(max(1994, birth + 1), exit_year))
    # Log-normal visibility: most people are seen by few organisations, some by many.
    visibility = math.exp(rng.gauss(0, 0.6) - 0.18)
    return _Person(sid, entry.north, given, sex, birth, province, county, exit_year, visibility)


def _typo(text: str, rng: random.Random) -> str:
    """Introduce one typing error in the given-name part of a romanized name."""
    head, sep, tail = text.partition(" ")
    target = tail if sep and len(tail) > 2 else text
    positions = [i for i, c in enumerate(target) if c.isalpha()]
    if len(positions) < 3:
        return text
    i = rng.choice(positions[1:])
    kind = rng.randrange(4)
    if kind == 0 and i + 1 < len(target) and target[i + 1].isalpha():
        new = target[:i] + target[i + 1] + target[i] + target[i + 2 :]
    elif kind == 1:
        new = target[:i] + target[i + 1 :]
    elif kind == 2:
        new = target[:i] + target[i] + target[i:]
    else:
        new = target[:i] + rng.choice("aeiouny") + target[i + 1 :]
    return f"{head} {new}" if target is tail else new


_VOWEL_SWAPS = {"ᅥ": "ᅧ", "ᅧ": "ᅥ", "ᅩ": "ᅮ", "ᅮ": "ᅩ", "ᅢ": "ᅦ", "ᅦ": "ᅢ", "ᅳ": "ᅮ", "ᅵ": "ᅴ"}


def _hangul_typo(text: str, rng: random.Random) -> str:
    """Swap one vowel of the given name (ㅓ/ㅕ, ㅗ/ㅜ, ㅐ/ㅔ ...), a common Hangul input slip."""
    jamo = list(decompose(text))
    positions = [i for i, c in enumerate(jamo) if c in _VOWEL_SWAPS]
    if len(positions) < 2:
        return text
    i = rng.choice(positions[1:])
    jamo[i] = _VOWEL_SWAPS[jamo[i]]
    return compose("".join(jamo))


def _latin_name(person: _Person, org: OrgStyle, rng: random.Random) -> str:
    system = _weighted(rng, org.systems)
    south_given = to_south_orthography(person.given)
    western = rng.random() < org.western_rate
    if system == "free":
        # The individual's own spelling (Lee/Yi/Rhee, Jung/Jeong ...) from the variant generator.
        variants = name_variants(person.surname, south_given, rng, typo=False)
        latin = [v for v in variants if v.isascii() and v[:1].isupper()]
        text = rng.choice(latin) if latin else romanize_name(person.surname, south_given, "passport")
    else:
        north = system in ("nk", "nk_plain")
        surname = person.surname_north if north else person.surname
        given = person.given if north else south_given
        style = rng.choice(("space", "space", "hyphen") if north else ("hyphen", "hyphen", "space", "joined"))
        order = "western" if western and not north else "eastern"
        text = romanize_name(surname, given, system, order, style)  # type: ignore[arg-type]
    if rng.random() < org.typo_rate:
        text = _typo(text, rng)
    if rng.random() < org.upper_rate:
        text = text.upper()
    return text


def _hangul_name(person: _Person, org: OrgStyle, rng: random.Random) -> str:
    if rng.random() < org.hangul_north:
        text = person.surname_north + person.given
    else:
        text = person.surname + to_south_orthography(person.given)
    if rng.random() < org.hangul_typo_rate:
        text = text[: len(person.surname)] + _hangul_typo(text[len(person.surname) :], rng)
    if rng.random() < 0.1:
        text = text[: len(person.surname)] + " " + text[len(person.surname) :]
    return text


def _origin(person: _Person, org: OrgStyle, rng: random.Random) -> str:
    if rng.random() < org.origin_missing:
        return ""
    _, children = _places()
    county = person.county
    if county is not None and rng.random() < 0.03:  # misreported: another county of the same province
        county = rng.choice(children[person.province]).code
    hangul = rng.random() < org.origin_hangul
    idx = 0 if hangul else 1
    province_names = _spellings(person.province)[idx] or _spellings(person.province)[1 - idx]
    p = rng.choice(province_names)
    if county is None:
        return p
    county_names = _spellings(county)[idx] or _spellings(county)[1 - idx]
    c = rng.choice(county_names)
    x = rng.random()
    if x < org.origin_county_only:
        return c
    if x < org.origin_county_only + org.origin_province_only:
        return p
    if hangul:
        return rng.choice((f"{p} {c}", f"{p} {c}", f"{c}"))
    return rng.choice((f"{c}, {p}", f"{c} {p}", f"{c} ({p})", f"{p}, {c}"))


def _record(person: _Person, org: OrgStyle, rng: random.Random) -> dict[str, str]:
    name_hangul = _hangul_name(person, org, rng) if rng.random() < org.hangul_rate else ""
    if rng.random() < org.latin_rate:
        name = _latin_name(person, org, rng)
    elif rng.random() < org.name_hangul_rate:
        name = _hangul_name(person, org, rng)
    else:
        name = ""
    if not name and not name_hangul:
        name = _latin_name(person, org, rng)
    birth = ""
    if rng.random() >= org.birth_missing:
        x = rng.random()
        error = 1 if x < org.birth_error[0] else 2 if x < sum(org.birth_error) else 0
        birth = str(person.birth_year + error * rng.choice((-1, 1)))
    sex = ""
    if rng.random() >= org.sex_missing:
        wrong = rng.random() < 0.005
        sex = {"female": "F", "male": "M"}[person.sex] if not wrong else rng.choice(("F", "M"))
        if rng.random() < 0.2:  # some lists spell it out
            sex = {"F": rng.choice(("female", "여")), "M": rng.choice(("male", "남"))}[sex]
    exit_year = ""
    if rng.random() >= org.exit_missing:
        error = rng.choice((-1, 1)) if rng.random() < org.exit_error else 0
        exit_year = str(person.exit_year + error)
    return {
        "name": name,
        "name_hangul": name_hangul,
        "sex": sex,
        "birth_year": birth,
        "origin": _origin(person, org, rng),
        "exit_year": exit_year,
    }


def generate_lists(n_records: int, *, seed: int, n_sources: int = 4, recombine: float = 0.6) -> SyntheticData:
    """Generate about ``n_records`` records from ``n_sources`` overlapping lists, with ground truth.

    People are drawn until the lists hold ``n_records`` records; the result then has exactly that many.
    Rows are grouped by source and shuffled within each source.

    Args:
        n_records: Number of records wanted.
        seed: Seed; the result is a deterministic function of (n_records, seed, n_sources).
        n_sources: Number of organisations, 1 to 5 (see :data:`ORG_STYLES`).
        recombine: Share of given names built from two random syllables of the name lists rather than
            taken from the lists (see :func:`~haven.analytics.korean.sample_given_name`). With 0.6 the
            72 listed names per sex cover 40 % of people, roughly the concentration of given names in
            South Korean birth cohorts (my estimate, not a sourced figure); 0.3 makes namesakes about
            twice as common.

    Returns:
        The rows and the true person id of each row.

    Raises:
        ValueError: If ``n_sources`` is out of range or ``n_records`` is negative.
    """
    if not 1 <= n_sources <= len(ORG_STYLES):
        raise ValueError(f"n_sources must be between 1 and {len(ORG_STYLES)}")
    if n_records < 0:
        raise ValueError("n_records must not be negative")
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible by design
    orgs = ORG_STYLES[:n_sources]
    surname_table = [(s.id, s.frequency) for s in SURNAMES]
    per_source: list[list[tuple[int, dict[str, str]]]] = [[] for _ in orgs]
    total = 0
    n_people = 0
    while total < n_records:
        person = _draw_person(rng, surname_table, recombine)
        pid = n_people
        n_people += 1
        for k, org in enumerate(orgs):
            p = org.capture * person.visibility * org.province_bias.get(person.province, 1.0)
            if rng.random() >= min(0.95, p):
                continue
            copies = 2 if rng.random() < org.duplicate_rate else 1
            for _ in range(copies):
                per_source[k].append((pid, _record(person, org, rng)))
                total += 1
    # Trim the surplus from the last person(s) drawn, then shuffle within each source.
    surplus = total - n_records
    for k in reversed(range(len(orgs))):
        while surplus > 0 and per_source[k] and per_source[k][-1][0] == n_people - 1:
            per_source[k].pop()
            surplus -= 1
    while surplus > 0:  # the last person was fully removed; drop from the longest list
        longest = max(range(len(orgs)), key=lambda i: len(per_source[i]))
        per_source[longest].pop()
        surplus -= 1
    rows: list[dict[str, str]] = []
    person_ids: list[int] = []
    for k, org in enumerate(orgs):
        records = per_source[k]
        rng.shuffle(records)
        for i, (pid, record) in enumerate(records):
            rows.append({"source": org.name, "record_id": f"{org.name[:3].upper()}-{i + 1:07d}", **record})
            person_ids.append(pid)
    return SyntheticData(rows=rows, person_ids=person_ids, n_people=n_people)
