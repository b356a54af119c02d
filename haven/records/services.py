"""Writes to the events model. Each service runs in one transaction.

The security core adds the permission check and the audit entry to each of these; callers (views, import,
demo) go through them rather than saving models directly, so that blind indexes are always in step with
the encrypted values they index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from haven.accounts.models import Compartment, Organisation
from haven.analytics.korean import name_keys
from haven.crypto.keyring import blind_index
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.records.models import Confidentiality, NameKind, Person, PersonIndex, PersonName

_NOT_NAME_CHARS = re.compile(r"[\s\-‐‑·.,'’`]+")


def normalize_name_exact(text: str) -> str:
    """Return the form under which two spellings count as the *same writing* of a name."""
    return _NOT_NAME_CHARS.sub("", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class NameInput:
    full_name: str
    kind: str = NameKind.HANGUL
    system: str = ""
    family_name: str | None = None
    given_name: str | None = None
    is_primary: bool = False


def name_index_pairs(full_name: str) -> list[tuple[str, str]]:
    """Return (kind, blind index) pairs for one name: its exact form and its script-independent keys."""
    pairs = [(PersonIndex.Kind.NAME_EXACT.value, blind_index(normalize_name_exact(full_name), "name.exact"))]
    keys = name_keys(full_name)
    pairs += [(PersonIndex.Kind.NAME_FULL.value, blind_index(k, "name.full")) for k in sorted(keys.full_keys)]
    pairs += [
        (PersonIndex.Kind.SURNAME.value, blind_index(s, "name.surname")) for s in sorted(keys.surname_ids)
    ]
    if keys.given_key:
        pairs.append((PersonIndex.Kind.GIVEN.value, blind_index(keys.given_key, "name.given")))
    return pairs


def birth_year_index(year: int) -> str:
    return blind_index(str(year), "birth_year")


def person_index_rows(person: Person, names: Iterable[PersonName]) -> list[PersonIndex]:
    rows = [
        PersonIndex(person=person, name=name, kind=kind, index=index)
        for name in names
        for kind, index in name_index_pairs(name.full_name)
    ]
    if person.birth_date:
        year = ImpreciseDate.parse(person.birth_date).year
        if year:
            rows.append(
                PersonIndex(person=person, kind=PersonIndex.Kind.BIRTH_YEAR, index=birth_year_index(year))
            )
    return rows


@transaction.atomic
def person_create(
    *,
    organisation: Organisation,
    compartment: Compartment,
    names: list[NameInput],
    sex: str = "U",
    birth_date: ImpreciseDate | None = None,
    origin_province: Location | None = None,
    origin_detail: str | None = None,
    exit_year: int | None = None,
    confidentiality: str = Confidentiality.CONFIDENTIAL,
    external_id: str = "",
    provenance: dict[str, object] | None = None,
    created_by: object | None = None,
    counting_unit: object | None = None,
) -> Person:
    person = Person.objects.create(
        counting_unit=counting_unit,
        organisation=organisation,
        compartment=compartment,
        sex=sex,
        birth_date=str(birth_date) if birth_date and birth_date.is_known else None,
        origin_province=origin_province,
        origin_detail=origin_detail,
        exit_year=exit_year,
        confidentiality=confidentiality,
        external_id=external_id,
        provenance=provenance or {},
        created_by=created_by,
    )
    if names and not any(n.is_primary for n in names):
        names = [NameInput(**{**names[0].__dict__, "is_primary": True}), *names[1:]]
    saved = [
        PersonName.objects.create(
            person=person,
            kind=n.kind,
            system=n.system,
            full_name=n.full_name,
            family_name=n.family_name,
            given_name=n.given_name,
            is_primary=n.is_primary,
        )
        for n in names
    ]
    PersonIndex.objects.bulk_create(person_index_rows(person, saved))
    return person


@transaction.atomic
def person_reindex(person: Person) -> None:
    """Recompute a person's blind indexes from their current names and birth date (after any edit)."""
    PersonIndex.objects.filter(person=person).delete()
    PersonIndex.objects.bulk_create(person_index_rows(person, list(PersonName.objects.filter(person=person))))


def persons_find_by_name(text: str) -> list[int]:
    """Return ids of persons having a name with the same script-independent key as ``text`` (no decryption)."""
    wanted = [index for kind, index in name_index_pairs(text) if kind in {"name_exact", "name_full"}]
    return sorted(set(PersonIndex.objects.filter(index__in=wanted).values_list("person_id", flat=True)))
