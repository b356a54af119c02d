"""What the linkage engine is given: persons as raw records, and reviewers' decisions as labels.

:func:`person_records` decrypts names, birth dates and places of origin into plain dicts for
:func:`haven.analytics.linkage.link_records`. It is called only by the run service, inside the
permission-checked task, on persons the access policy let the run's user see; the dicts live in memory for
the length of the run and are never written anywhere (the engine keeps DuckDB in memory, spilling off).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from django.db.models import Q, QuerySet

from haven.analytics.korean import normalize_place
from haven.analytics.linkage import LabelledPair
from haven.lib.dates import DateParseError, ImpreciseDate
from haven.records.models import NameKind, Person, PersonName

# The counting unit of a single human (HURIDOCS counting-units "01"); groups and institutions are not linked.
INDIVIDUAL_UNIT = "01"
# The engine refuses years outside this range; a stored date beyond it is treated as unknown.
_YEARS = range(1850, 2101)
_LATIN_KINDS = (NameKind.ROMANIZED,)
_OTHER_KINDS = (NameKind.HANJA, NameKind.OTHER)


def linkable(persons: QuerySet[Person]) -> QuerySet[Person]:
    """Narrow ``persons`` to individuals (no counting unit recorded, or "individual")."""
    return persons.filter(Q(counting_unit__isnull=True) | Q(counting_unit__code=INDIVIDUAL_UNIT))


def source_of(person: Person) -> str:
    """Return the engine's ``source`` (list) of a person: the documenting organisation."""
    return f"org{person.organisation_id}"


def record_key(person_or_id: Person | int, organisation_id: int | None = None) -> tuple[str, str]:
    if isinstance(person_or_id, Person):
        return source_of(person_or_id), str(person_or_id.pk)
    return f"org{organisation_id}", str(person_or_id)


def _ordered_names(person: Person) -> list[PersonName]:
    return sorted(person.names.all(), key=lambda n: (not n.is_primary, n.pk))


def _first(names: Sequence[PersonName], kinds: Iterable[str]) -> str:
    wanted = set(kinds)
    return next((n.full_name for n in names if n.kind in wanted and n.full_name), "")


def _birth_year(text: str | None) -> int | None:
    if not text:
        return None
    try:
        year = ImpreciseDate.parse(text).year
    except DateParseError:
        return None
    return year if year in _YEARS else None


@lru_cache(maxsize=4096)
def _names_a_province(text: str) -> bool:
    match = normalize_place(text)
    return match is not None and match.province is not None


def _origin(person: Person) -> str:
    detail = (person.origin_detail or "").strip()
    province = person.origin_province
    if not detail:
        return (province.name_ko or province.name_en) if province is not None else ""
    if province is None or _names_a_province(detail):
        return detail
    # A county named alone ("Musan") may exist in several provinces: the province field says which.
    return f"{province.name_ko or province.name_en} {detail}"


def person_record(person: Person) -> dict[str, Any]:
    """Return the engine's raw record of one person (names, birth year and origin decrypted, in memory).

    The person must come with ``names`` prefetched and ``origin_province`` selected.
    """
    names = _ordered_names(person)
    hangul = _first(names, (NameKind.HANGUL,))
    latin = _first(names, _LATIN_KINDS) or _first(names, _OTHER_KINDS)
    source, record_id = record_key(person)
    return {
        "source": source,
        "record_id": record_id,
        "name": latin,
        "name_hangul": hangul,
        "sex": person.sex if person.sex in ("F", "M") else "",
        "birth_year": _birth_year(person.birth_date),
        "origin": _origin(person),
        "exit_year": person.exit_year if person.exit_year in _YEARS else None,
    }


def person_records(persons: Iterable[Person]) -> list[dict[str, Any]]:
    return [person_record(p) for p in persons]


def labelled_pairs(
    pairs: Iterable[tuple[int, int, bool]], organisation_of: dict[int, int]
) -> list[LabelledPair]:
    """Return the engine's labels for (left id, right id, same person?) among the run's persons."""
    out = []
    for left, right, match in pairs:
        if left in organisation_of and right in organisation_of:
            out.append(
                LabelledPair(
                    record_key(left, organisation_of[left]), record_key(right, organisation_of[right]), match
                )
            )
    return out
