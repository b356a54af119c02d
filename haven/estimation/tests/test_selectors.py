"""The capture-pattern table: policy-filtered lists, linkage-deduplicated units, filters and strata."""

from __future__ import annotations

import pytest

from haven.accounts.models import Role
from haven.estimation.selectors import TableSpec, band_label, capture_table, organisations_for
from haven.estimation.tests.world import ACT_TYPE, LISTS, PATTERNS, EstimationWorld, pooled
from haven.vocab.models import Term

pytestmark = pytest.mark.django_db


def _spec(world: EstimationWorld, **kw) -> TableSpec:  # type: ignore[no-untyped-def]
    act_type = Term.objects.get(vocabulary__code="act-types", code=ACT_TYPE).pk
    base = {
        "organisation_ids": tuple(world.ids(*LISTS)),
        "act_type_id": act_type,
        "year_from": 2000,
        "year_to": 2020,
    }
    return TableSpec(**(base | kw))


def _as_dict(rows, strata=False):  # type: ignore[no-untyped-def]
    if strata:
        return {(tuple(r["stratum"]), r["pattern"]): r["count"] for r in rows}
    return {r["pattern"]: r["count"] for r in rows}


def test_it_offers_only_the_organisations_whose_records_the_user_may_see(world: EstimationWorld) -> None:
    assert [o.code for o in organisations_for(world.analyst)] == list(LISTS)
    partial = world.user(Role.ANALYST, ("alpha",), username="partial")
    assert [o.code for o in organisations_for(partial)] == ["alpha"]
    viewer = world.user(Role.AUDITOR, LISTS, username="auditor2")
    assert not organisations_for(viewer).exists()


def test_it_counts_each_linked_human_once_with_the_lists_that_documented_them(world: EstimationWorld) -> None:
    table = capture_table(world.analyst, _spec(world))
    assert [item["code"] for item in table.lists] == list(LISTS)
    assert _as_dict(table.rows) == pooled()
    assert table.units == sum(pooled().values())
    assert table.records == sum(len(p) for p in world.people)
    assert table.compartment_ids == sorted(world.compartments[c].pk for c in LISTS)
    assert all(set(row) == {"stratum", "pattern", "count"} for row in table.rows)  # no ids


def test_it_applies_the_act_type_and_period_and_leaves_out_groups(world: EstimationWorld) -> None:
    everything = _as_dict(
        capture_table(world.analyst, _spec(world, act_type_id=None, year_from=None, year_to=None)).rows
    )
    expected = pooled()
    expected["100"] += 1  # the alpha victim of another type of act
    expected["010"] += 1  # the beta victim of an act in 1995
    assert everything == expected
    only_1995 = capture_table(world.analyst, _spec(world, year_from=1990, year_to=1999))
    assert _as_dict(only_1995.rows) == {"010": 1}
    persons = capture_table(
        world.analyst, _spec(world, population="persons", act_type_id=None, year_from=None, year_to=None)
    )
    assert persons.excluded_groups == 1
    assert _as_dict(persons.rows)["100"] == pooled()["100"] + 2  # plus the person without any act


def test_it_stratifies_by_sex_and_by_period_bands(world: EstimationWorld) -> None:
    by_sex = capture_table(world.analyst, _spec(world, strata=("sex",)))
    assert _as_dict(by_sex.rows, strata=True) == {
        ((sex,), pattern): n for sex, by_pattern in PATTERNS.items() for pattern, n in by_pattern.items()
    }
    by_period = capture_table(world.analyst, _spec(world, strata=("act_period", "origin_province"), band=10))
    assert {tuple(r["stratum"]) for r in by_period.rows} == {("2010-2019", world.province.code)}
    by_exit = capture_table(world.analyst, _spec(world, strata=("exit_period",), band=5))
    assert {r["stratum"][0] for r in by_exit.rows} == {"2010-2014", "2015-2019"}


def test_band_labels() -> None:
    assert band_label(2013, 5) == "2010-2014"
    assert band_label(2013, 1) == "2013"
    assert band_label(None, 5) == "unknown"


def test_it_refuses_a_list_the_user_may_not_see(world: EstimationWorld) -> None:
    with pytest.raises(ValueError):
        capture_table(world.analyst, _spec(world, organisation_ids=tuple(world.ids("alpha", "delta"))))
