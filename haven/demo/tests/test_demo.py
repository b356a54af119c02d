"""The demo corpus: deterministic, realistic in its proportions, and overlapping across organisations."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from haven.accounts.models import Organisation
from haven.demo.generator import CODES, DemoBuilder
from haven.demo.worked_example import add_worked_example
from haven.records.models import Event, Involvement, Person, PersonName


def _build(persons: int = 400, seed: int = 7) -> dict[str, int]:
    return DemoBuilder(persons=persons, seed=seed).build()


@pytest.mark.django_db
def test_it_builds_about_the_requested_numbers_in_realistic_proportions():
    counts = _build(600)
    assert 500 <= counts["persons"] <= 800
    assert counts["events"] > counts["persons"]  # about 1.5 events per person, as in the default corpus
    assert counts["acts"] > 1.5 * counts["events"]
    individuals = Person.objects.filter(counting_unit__code=CODES["individual"][1])
    sexes = Counter(individuals.values_list("sex", flat=True))
    assert sexes["F"] > 2 * sexes["M"]  # most escapees are women
    provinces = Counter(individuals.values_list("origin_province__code", flat=True))
    assert provinces.most_common(2)[0][0] == "KP-09"  # North Hamgyong first
    assert {"KP-09", "KP-10"} <= {code for code, _ in provinces.most_common(3)}
    assert Organisation.objects.filter(code__in=["hanbit", "tumen", "mekong"]).count() == 3
    assert Involvement.objects.exists()


def test_it_is_deterministic_for_a_seed(committed_db):
    from haven.config.testing import load_reference_data

    def snapshot() -> list[tuple[str, str, str | None]]:
        names = PersonName.objects.select_related("person__organisation").order_by("id")[:300]
        return [(n.person.organisation.code, n.full_name, n.person.birth_date) for n in names]

    _build(200, seed=11)
    first = snapshot()
    call_command("flush", interactive=False, verbosity=0)
    load_reference_data()
    _build(200, seed=11)
    assert snapshot() == first


@pytest.mark.django_db
def test_organisations_write_the_same_people_differently():
    _build(800)
    systems = Counter(PersonName.objects.values_list("person__organisation__code", "system"))
    assert systems[("hanbit", "south")] > 0 and systems[("hanbit", "rr")] > 0
    assert systems[("tumen", "north")] > 0 and systems[("tumen", "nk")] > 0
    assert systems[("mekong", "passport")] > 0
    hangul = {n.full_name for n in PersonName.objects.filter(system="north")}
    assert any(
        name.startswith(("리", "류", "림", "로", "량")) for name in hangul
    )  # northern orthography kept


@pytest.mark.django_db
def test_the_worked_example_holds_only_its_public_facts():
    _build(100)
    from haven.accounts.models import Compartment

    org = Organisation.objects.get(code="hanbit")
    event = add_worked_example(
        org, Compartment.objects.get(code="hanbit-public"), {k: c for k, (_, c) in CODES.items()}
    )
    assert event.location is not None and event.location.name_en == "Dalian"
    assert str(event.date) == "2012"
    assert "3 August 2012" in event.description
    assert event.acts.count() == 4
    assert {a.act_type.code for a in event.acts.all()} == {CODES["detention"][1], CODES["torture"][1]}
    assert Event.objects.filter(confidentiality="public").count() == 1
