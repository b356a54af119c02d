"""What the run page prints of the capture table: every count for a reader granted every compartment, the
shared small-cell rules (haven.analytics.disclosure.protect_table) for anyone else."""

from __future__ import annotations

import pytest

from haven.analytics.disclosure import protect_table
from haven.estimation import pages
from haven.estimation.models import EstimationRun

pytestmark = pytest.mark.django_db

LISTS = [{"code": c, "name_en": c.title(), "name_ko": c} for c in ("alpha", "beta")]


def _run(by_stratum: dict[str, dict[str, int]]) -> EstimationRun:
    """An unsaved run whose table has the counts of ``by_stratum`` (sex → pattern → count)."""
    table = [
        {"stratum": [sex], "pattern": p, "count": n}
        for sex, counts in by_stratum.items()
        for p, n in counts.items()
    ]
    return EstimationRun(inputs={"table": table, "lists": LISTS, "strata": ["sex"]})


def _table(run: EstimationRun, exact: bool) -> dict[str, object]:
    return pages.capture_table(run, exact, pages.StratumLabels(["sex"], run.inputs["table"]))


def _cells(table: dict[str, object]) -> list[list[str]]:
    """The printed cells, per stratum (column)."""
    rows = table["rows"]
    return [[row.cells[k] for row in rows] for k in range(len(table["keys"]))]  # type: ignore[attr-defined]


# Patterns sort most lists first: 11, 10, 01.
WOMEN = {"11": 30, "10": 12, "01": 0}
MEN = {"11": 1, "10": 12, "01": 8}


def test_a_reader_granted_every_compartment_sees_every_count_and_the_pooled_ones() -> None:
    table = _table(_run({"F": WOMEN, "M": MEN}), exact=True)
    assert _cells(table) == [["30", "12", "0"], ["1", "12", "8"]]
    assert table["column_total_list"] == ["42", "21"] and table["total"] == "63"
    assert [row.total for row in table["rows"]] == ["31", "24", "8"]  # type: ignore[attr-defined]
    assert table["list_totals"] == [{"code": "alpha", "total": "55"}, {"code": "beta", "total": "39"}]
    assert table["pooled"]


def test_other_readers_see_the_shared_rules_with_withheld_counts_marked() -> None:
    run = _run({"F": WOMEN, "M": MEN})
    table = _table(run, exact=False)
    mark = pages.WITHHELD_MARK
    # The 1 is withheld with the 8 (the smallest count of 5 or more in its stratum); nothing pooled is printed.
    assert _cells(table) == [["30", "12", "0"], [mark, "12", mark]]
    assert table["column_total_list"] == ["42", "21"] and table["total"] == "63"
    assert table["list_totals"] is None and not table["pooled"]
    assert all(row.total is None for row in table["rows"])  # type: ignore[attr-defined]
    assert pages.observed_and_shown(run, exact=False)[0] == "63"
    expected = protect_table([[30, 12, 0], [1, 12, 8]])
    assert table["column_total_list"] == list(expected.column_totals)


def test_a_stratum_of_fewer_than_ten_people_is_withheld_with_a_companion_total() -> None:
    run = _run({"F": WOMEN, "M": {"11": 2, "10": 1, "01": 0}, "X": {"11": 9, "10": 9, "01": 0}})
    table = _table(run, exact=False)
    mark = pages.WITHHELD_MARK
    # Totals 42, 3, 18: the 3 alone cannot be "<5" (the others would give it back), so it is withheld with the
    # 18, and both strata print no count at all.
    assert table["column_total_list"] == ["42", mark, mark] and table["total"] == "63"
    assert _cells(table)[1:] == [[mark, mark, mark], [mark, mark, mark]]
    strata = pages.strata_results(
        EstimationRun(inputs=run.inputs, outputs={"parts": [{"key": k} for k in table["keys"]]}),
        pages.StratumLabels(["sex"], run.inputs["table"]),
        table,
        pages.observed_and_shown(run, exact=False)[1],
    )
    assert [s["observed"] for s in strata] == ["42", mark, mark]


def test_a_run_of_a_few_people_prints_only_that_there_are_fewer_than_five() -> None:
    run = EstimationRun(
        inputs={"table": [{"stratum": [], "pattern": "11", "count": 3}], "lists": LISTS, "strata": []}
    )
    table = pages.capture_table(run, False, pages.StratumLabels([], run.inputs["table"]))
    assert table["total"] == "<5" and table["column_total_list"] == ["<5"]
    assert _cells(table) == [[pages.WITHHELD_MARK]]
    assert pages.observed_and_shown(run, exact=True)[0] == "3"
    empty = EstimationRun(inputs={"table": [], "lists": LISTS, "strata": []})
    assert pages.observed_and_shown(empty, exact=False)[0] == "0"


def test_results_go_with_every_count_of_their_stratum() -> None:
    run = _run({"F": WOMEN, "M": MEN})
    shown = pages.observed_and_shown(run, exact=False)[1]
    # Men's total (21) is printed, but their 1 and 8 are withheld: their estimate would tell them apart.
    assert shown.part("F") and not shown.part("M") and not shown.part(None) and not shown.total
    assert not shown.part("not a stratum")  # an unknown key is withheld, not shown
    assert pages.observed_and_shown(run, exact=True)[1].part("M")
    every = _run({"F": WOMEN, "M": {"11": 5, "10": 12, "01": 0}})
    assert pages.observed_and_shown(every, exact=False)[1].total
