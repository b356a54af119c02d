from __future__ import annotations

from dataclasses import dataclass

import pytest

from haven.accounts.models import Compartment, Role, User
from haven.records.models import Person
from haven.records.tests import factories as f

from .helpers import user


@dataclass
class Small:
    """Six persons in compartment A, one in B; a documenter and an analyst of A, a documenter of A and B."""

    comp_a: Compartment
    comp_b: Compartment
    a: list[Person]
    b: Person
    doc: User
    analyst: User
    doc_ab: User


@pytest.fixture
def small(db) -> Small:  # type: ignore[no-untyped-def]
    _, comp_a = f.organisation("alpha")
    _, comp_b = f.organisation("beta")
    people = [
        ("최예린", "Choi Ye-rin"),
        ("최예린", "Choe Ye Rin"),
        ("문하람", "Moon Ha-ram"),
        ("문하람", "Mun Ha Ram"),
        ("리설주", "Ri Sol-ju"),
        ("이설주", "Lee Seol-ju"),
    ]
    a = [f.person("alpha", hangul=h, roman=r) for h, r in people]
    b = f.person("beta", hangul="박은정", roman="Park Eun-jung")
    return Small(
        comp_a=comp_a,
        comp_b=comp_b,
        a=a,
        b=b,
        doc=user("doc-a", Role.DOCUMENTER, [comp_a]),
        analyst=user("analyst-a", Role.ANALYST, [comp_a]),
        doc_ab=user("doc-ab", Role.DOCUMENTER, [comp_a, comp_b]),
    )
