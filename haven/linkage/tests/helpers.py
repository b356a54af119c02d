"""Synthetic people in the database for the linkage tests, and users with chosen grants. All invented."""

from __future__ import annotations

from dataclasses import dataclass, field

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from haven.accounts import policy
from haven.accounts.models import Compartment, CompartmentGrant, Organisation, User
from haven.accounts.tests.personas import PASSWORD
from haven.analytics.korean import contains_hangul
from haven.analytics.linkage import generate_lists
from haven.lib.dates import ImpreciseDate
from haven.records.models import Confidentiality, NameKind, NameSystem, Person
from haven.records.services import NameInput, person_create

_SEX = {"f": "F", "female": "F", "여": "F", "여성": "F", "m": "M", "male": "M", "남": "M", "남성": "M"}


def user(name: str, role: str, compartments: list[Compartment]) -> User:
    """Return a user with ``role``, granted ``compartments``, with a second factor when the role needs one."""
    made = User.objects.create_user(name, password=PASSWORD, role=role)
    for c in compartments:
        CompartmentGrant.objects.create(user=made, compartment=c)
    if policy.requires_mfa(made):
        TOTP.activate(made, generate_totp_secret())
    return made


@dataclass
class Lists:
    """Persons made from labelled synthetic lists: one organisation and compartment per list."""

    compartments: dict[str, Compartment]
    persons: list[Person]
    truth: dict[int, int]  # person id -> true (synthetic) human
    texts: dict[int, list[str]] = field(default_factory=dict)  # person id -> its identifying texts

    def in_compartment(self, code: str) -> list[Person]:
        comp = self.compartments[code]
        return [p for p in self.persons if p.compartment_id == comp.pk]


def _names(row: dict[str, str]) -> list[NameInput]:
    names = []
    if row.get("name_hangul"):
        names.append(NameInput(row["name_hangul"], NameKind.HANGUL, NameSystem.SOUTH))
    if row.get("name"):
        kind = NameKind.HANGUL if contains_hangul(row["name"]) else NameKind.ROMANIZED
        names.append(NameInput(row["name"], kind, "" if kind == NameKind.HANGUL else NameSystem.PASSPORT))
    return names


def make_lists(
    n: int,
    *,
    seed: int,
    n_sources: int = 3,
    prefix: str = "lk",
    confidentiality: str = Confidentiality.CONFIDENTIAL,
) -> Lists:
    data = generate_lists(n, seed=seed, n_sources=n_sources)
    compartments: dict[str, Compartment] = {}
    persons: list[Person] = []
    truth: dict[int, int] = {}
    texts: dict[int, list[str]] = {}
    for row, human in zip(data.rows, data.person_ids, strict=True):
        source = row["source"]
        if source not in compartments:
            org, _ = Organisation.objects.get_or_create(
                code=f"{prefix}-{source}", defaults={"name_en": f"List {source}"}
            )
            compartments[source], _ = Compartment.objects.get_or_create(
                code=f"{prefix}-{source}-main", defaults={"name": f"{source} main", "organisation": org}
            )
        comp = compartments[source]
        birth = row.get("birth_year") or ""
        exit_year = row.get("exit_year") or ""
        person = person_create(
            organisation=comp.organisation,
            compartment=comp,
            names=_names(row),
            sex=_SEX.get((row.get("sex") or "").strip().lower(), "U"),
            birth_date=ImpreciseDate.parse(birth) if birth else None,
            origin_detail=row.get("origin") or None,
            exit_year=int(exit_year) if exit_year else None,
            confidentiality=confidentiality,
            external_id=row["record_id"],
        )
        persons.append(person)
        truth[person.pk] = human
        texts[person.pk] = [t for t in (row.get("name"), row.get("name_hangul"), row.get("origin")) if t]
    return Lists(compartments, persons, truth, texts)


def pairwise_f1(clusters: dict[int, int], truth: dict[int, int]) -> float:
    """Return pairwise F1 of a clustering {person: cluster} against {person: true human}."""
    from haven.analytics.linkage import pairwise_scores

    ids = sorted(truth)
    return pairwise_scores([clusters[i] for i in ids], [truth[i] for i in ids]).f1
